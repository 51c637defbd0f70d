/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for exporters of memory without struct pages: serve
 * &dma_buf_ops.map_dma_buf with a DMA-address-only sg_table built from
 * physical ranges of a PCI P2P provider. The names and arguments are
 * mainline's; the implementation is the physical range interconnect's
 * (drivers/dma-buf/dma-buf-phys.c, Documentation/driver-api/dma-buf-phys.rst).
 */
#ifndef __DMA_BUF_MAPPING_H__
#define __DMA_BUF_MAPPING_H__

#include <linux/dma-direction.h>
#include <linux/types.h>

struct dma_buf_attachment;
struct p2pdma_provider;
struct sg_table;

struct sg_table *dma_buf_phys_vec_to_sgt(struct dma_buf_attachment *attach,
					 struct p2pdma_provider *provider,
					 struct phys_vec *phys_vec,
					 size_t nr_ranges, size_t size,
					 enum dma_data_direction dir);
void dma_buf_free_sgt(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir);

#endif
