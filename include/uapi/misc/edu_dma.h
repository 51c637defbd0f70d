/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * /dev/edu_dma: the test-only import interface of the edu test importer.
 *
 * Each open file imports at most one dma-buf, for one edu device, the way
 * an in-kernel importer does: it attaches (negotiating the physical range
 * interconnect unless told otherwise), maps the buffer for edu, and lets
 * user space move data between RAM and any offset of the buffer with
 * edu's DMA engine. When the exporter revokes the buffer, the importer
 * drops its mapping and counts it; transfers then fail with ENODEV until
 * the exporter restores the buffer.
 */
#ifndef _UAPI_MISC_EDU_DMA_H
#define _UAPI_MISC_EDU_DMA_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * define EDU_DMA_MAX_XFER - most bytes one EDU_DMA_XFER moves
 */
#define EDU_DMA_MAX_XFER		2048

/* Import modes for &struct edu_dma_import.flags */
/* Map through dma_buf_map_attachment() (the exporter's sg_table) */
#define EDU_DMA_IMPORT_SGT		_BITUL(0)
/* Attach statically (no move_notify, no peer2peer) */
#define EDU_DMA_IMPORT_STATIC		_BITUL(1)
/* Dynamic, but without declaring that mappings are dropped on revoke */
#define EDU_DMA_IMPORT_NOT_REVOCABLE	_BITUL(2)
/* Dynamic and revocable, but accepting neither P2P nor range lists */
#define EDU_DMA_IMPORT_NO_P2P		_BITUL(3)

/**
 * struct edu_dma_import - EDU_DMA_IMPORT argument
 * @edu_bdf: the edu device that does the DMA: bus << 8 | devfn (domain 0);
 *	it must be bound to the edu_dma driver
 * @fd: the dma-buf to import
 * @flags: EDU_DMA_IMPORT_*; 0 negotiates the physical range list
 * @pad: must be 0
 * @size: out: size of the buffer in bytes
 */
struct edu_dma_import {
	__u32 edu_bdf;
	__s32 fd;
	__u32 flags;
	__u32 pad;
	__u64 size;
};

/**
 * struct edu_dma_range - one DMA range of the importer's mapping
 * @addr: the address edu is programmed with
 * @len: bytes
 */
struct edu_dma_range {
	__u64 addr;
	__u64 len;
};

/* &struct edu_dma_map.map_type: how edu reaches the buffer */
#define EDU_DMA_MAP_SGT			0	/* the exporter's sg_table */
#define EDU_DMA_MAP_BUS_ADDR		2	/* PCI bus address, no IOMMU */
#define EDU_DMA_MAP_THRU_HOST_BRIDGE	3	/* dma_map_phys(DMA_ATTR_MMIO) */

/**
 * struct edu_dma_map - EDU_DMA_MAP argument
 * @nr_ranges: in: entries @ranges can hold; out: DMA ranges of the mapping
 *	(all of them are counted even if fewer were copied)
 * @map_type: out: EDU_DMA_MAP_*
 * @ranges: in: user pointer to an array of &struct edu_dma_range
 */
struct edu_dma_map {
	__u32 nr_ranges;
	__u32 map_type;
	__u64 ranges;
};

/* &struct edu_dma_xfer.dir */
#define EDU_DMA_TO_BUF		0	/* RAM (@data) to the buffer */
#define EDU_DMA_FROM_BUF	1	/* the buffer to RAM (@data) */

/**
 * struct edu_dma_xfer - EDU_DMA_XFER argument
 * @offset: byte offset in the dma-buf
 * @data: user pointer to @len bytes
 * @len: 1 to %EDU_DMA_MAX_XFER
 * @dir: EDU_DMA_TO_BUF or EDU_DMA_FROM_BUF
 *
 * Maps the buffer first if the importer holds no mapping.
 */
struct edu_dma_xfer {
	__u64 offset;
	__u64 data;
	__u32 len;
	__u32 dir;
};

/**
 * struct edu_dma_status - EDU_DMA_STATUS argument
 * @mapped: 1 while the importer holds a mapping
 * @revoked: mappings dropped because the exporter revoked the buffer
 * @notified: move_notify calls received
 * @pad: 0
 */
struct edu_dma_status {
	__u32 mapped;
	__u32 revoked;
	__u32 notified;
	__u32 pad;
};

#define EDU_DMA_IOC_MAGIC	0xed
#define EDU_DMA_IMPORT	_IOWR(EDU_DMA_IOC_MAGIC, 1, struct edu_dma_import)
#define EDU_DMA_MAP	_IOWR(EDU_DMA_IOC_MAGIC, 2, struct edu_dma_map)
#define EDU_DMA_UNMAP	_IO(EDU_DMA_IOC_MAGIC, 3)
#define EDU_DMA_XFER	_IOW(EDU_DMA_IOC_MAGIC, 4, struct edu_dma_xfer)
#define EDU_DMA_STATUS	_IOR(EDU_DMA_IOC_MAGIC, 5, struct edu_dma_status)
#define EDU_DMA_RELEASE	_IO(EDU_DMA_IOC_MAGIC, 6)

#endif /* _UAPI_MISC_EDU_DMA_H */
