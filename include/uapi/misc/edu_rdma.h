/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * /dev/edu_rdma: the test-only control interface of the edu RDMA device.
 *
 * Each open file may create one RDMA device (an ib_device named
 * edu_rdma<index>) whose DMA device is an edu device. Memory regions are
 * registered on it through uverbs (/dev/infiniband/uverbsN) the way
 * rdma-core's ibv_reg_dmabuf_mr() does. Through this file a test then asks
 * the device for an "RDMA write" (bytes from user memory into an MR) or an
 * "RDMA read" (bytes of an MR into user memory) at an address of an MR,
 * named by its lkey; edu's DMA engine moves them through the MR's DMA
 * blocks. Closing the file unregisters the RDMA device; uverbs files still
 * open on it lose their objects (the MRs are deregistered) and fail every
 * later call with EIO.
 */
#ifndef _UAPI_MISC_EDU_RDMA_H
#define _UAPI_MISC_EDU_RDMA_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * define EDU_RDMA_MAX_XFER - most bytes one EDU_RDMA_XFER moves
 *
 * edu's engine takes 100 ms of virtual time per DMA and moves 2 KiB at
 * most; a transfer holds the buffer's reservation lock, which a revoke
 * waits for, so it stays short.
 */
#define EDU_RDMA_MAX_XFER	(16U << 10)

/*
 * &struct edu_rdma_create.flags: register MRs with the plain pinned umem
 * (ib_umem_dmabuf_get_pinned()), whose importer ignores revocation, the
 * way efa, bnxt_re and mana do; exporters of revocable memory refuse it
 */
#define EDU_RDMA_CREATE_PINNED	_BITUL(0)
/*
 * &struct edu_rdma_create.flags: register dynamic MRs (ib_umem_dmabuf_get(),
 * as mlx5 does): a revoke invalidates the MR's table, the next transfer
 * maps the buffer again, and fails with ENODEV while it is revoked
 */
#define EDU_RDMA_CREATE_DYNAMIC	_BITUL(1)

/**
 * struct edu_rdma_create - EDU_RDMA_CREATE argument
 * @edu_bdf: the edu device: bus << 8 | devfn (domain 0), bound to edu_dma
 * @flags: 0, EDU_RDMA_CREATE_PINNED or EDU_RDMA_CREATE_DYNAMIC
 * @index: out: the RDMA device is named edu_rdma<@index>
 * @pad: must be 0
 *
 * Without flags, MRs are pinned but revocable
 * (ib_umem_dmabuf_get_pinned_revocable_and_lock(), as irdma does): a
 * revoke invalidates the MR for good.
 *
 * Errors: EBUSY this file already created a device; ENODEV no such edu
 * bound to edu_dma; EINVAL unknown or conflicting @flags, nonzero @pad.
 */
struct edu_rdma_create {
	__u32 edu_bdf;
	__u32 flags;
	__u32 index;
	__u32 pad;
};

/* &struct edu_rdma_xfer.dir */
#define EDU_RDMA_WRITE		0	/* user memory (@data) into the MR */
#define EDU_RDMA_READ		1	/* the MR into user memory (@data) */

/**
 * struct edu_rdma_xfer - EDU_RDMA_XFER argument
 * @lkey: the MR
 * @dir: EDU_RDMA_WRITE or EDU_RDMA_READ
 * @addr: first byte, an address in the MR's IOVA range
 * @data: user pointer to @len bytes
 * @len: 1 to %EDU_RDMA_MAX_XFER
 *
 * Errors: ENOENT no MR with @lkey on this device; EINVAL bad @dir or @len,
 * or [@addr, @addr + @len) not inside the MR; EACCES a write into an MR
 * registered without IB_ACCESS_LOCAL_WRITE; ENODEV the MR was revoked by
 * its exporter (for good; a dynamic MR's buffer is revoked now); ERANGE
 * an address of the MR's table is beyond edu's DMA mask; EIO or ETIMEDOUT
 * edu's engine failed; EINTR a signal came while waiting for the buffer.
 */
struct edu_rdma_xfer {
	__u32 lkey;
	__u32 dir;
	__u64 addr;
	__u64 data;
	__u64 len;
};

/**
 * struct edu_rdma_mr_query - EDU_RDMA_MR_QUERY argument
 * @lkey: in: the MR
 * @revoked: out: 1 once the exporter revoked the MR for good (a dynamic
 *	MR is only invalidated: @nr_blocks is 0 until a transfer maps it)
 * @iova: out: first address of the MR
 * @length: out: bytes
 * @nr_blocks: out: DMA blocks in the MR's translation table
 * @block_shift: out: log2 of the block size
 * @revokes: out: revoke (or invalidate) callbacks this device ran, all MRs
 *	counted
 * @nr_mrs: out: MRs registered on this device now
 */
struct edu_rdma_mr_query {
	__u32 lkey;
	__u32 revoked;
	__u64 iova;
	__u64 length;
	__u32 nr_blocks;
	__u32 block_shift;
	__u32 revokes;
	__u32 nr_mrs;
};

#define EDU_RDMA_IOC_MAGIC	0xee
#define EDU_RDMA_CREATE		_IOWR(EDU_RDMA_IOC_MAGIC, 1, struct edu_rdma_create)
#define EDU_RDMA_XFER		_IOW(EDU_RDMA_IOC_MAGIC, 2, struct edu_rdma_xfer)
#define EDU_RDMA_MR_QUERY	_IOWR(EDU_RDMA_IOC_MAGIC, 3, struct edu_rdma_mr_query)

#endif /* _UAPI_MISC_EDU_RDMA_H */
