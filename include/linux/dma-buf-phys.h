/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-buf physical range interconnect: buffers described as a list of
 * physical address ranges owned by a PCI P2P provider, with no struct
 * pages behind them. See Documentation/driver-api/dma-buf-phys.rst.
 */
#ifndef _LINUX_DMA_BUF_PHYS_H
#define _LINUX_DMA_BUF_PHYS_H

#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/types.h>

struct device;
struct dma_buf;
struct dma_buf_attachment;
struct p2pdma_provider;
struct sg_table;

/**
 * struct dma_buf_phys - a buffer described as physical ranges
 * @provider: the P2P provider owning every range (one BAR of one device)
 * @ranges: the ranges (&struct phys_vec: CPU physical address and length),
 *	in buffer order; the buffer is their concatenation
 * @nr_ranges: number of entries in @ranges, at least 1
 *
 * Filled by the exporter's &dma_buf_ops.get_phys. The description stays
 * valid until the importer calls dma_buf_put_phys(), and the exporter
 * does not finish a revoke before that.
 */
struct dma_buf_phys {
	struct p2pdma_provider *provider;
	const struct phys_vec *ranges;
	unsigned int nr_ranges;
};

/**
 * struct dma_buf_dma_range - one DMA-contiguous piece of a mapping
 * @addr: address the importing device uses
 * @len: bytes
 */
struct dma_buf_dma_range {
	dma_addr_t addr;
	size_t len;
};

/**
 * struct dma_buf_dma_map - a range-list buffer mapped for one device
 * @dev: the device the addresses are valid for
 * @map_type: the &enum pci_p2pdma_map_type the mapping used
 * @dir: DMA direction of the mapping
 * @nr_ranges: number of entries in @ranges, one per physical range
 * @ranges: the DMA ranges, in buffer order
 */
struct dma_buf_dma_map {
	struct device *dev;
	int map_type;
	enum dma_data_direction dir;
	unsigned int nr_ranges;
	struct dma_buf_dma_range ranges[] __counted_by(nr_ranges);
};

#ifdef CONFIG_DMABUF_PHYS
/* Importers */
bool dma_buf_offers_phys(struct dma_buf *dmabuf);
bool dma_buf_attach_is_phys(struct dma_buf_attachment *attach);
int dma_buf_get_phys(struct dma_buf_attachment *attach,
		     struct dma_buf_phys *phys);
void dma_buf_put_phys(struct dma_buf_attachment *attach);
struct dma_buf_dma_map *dma_buf_phys_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir);
void dma_buf_phys_unmap(struct dma_buf_attachment *attach,
			struct dma_buf_dma_map *map);

/* Exporters */
bool dma_buf_attach_revocable(struct dma_buf_attachment *attach);
/* dma_buf_phys_vec_to_sgt(), dma_buf_free_sgt(): <linux/dma-buf-mapping.h> */
unsigned int dma_buf_phys_wait_unmapped(struct dma_buf *dmabuf);

/* The dma-buf core */
void dma_buf_phys_detach(struct dma_buf_attachment *attach);
void dma_buf_phys_release(struct dma_buf *dmabuf);
#else
static inline bool dma_buf_offers_phys(struct dma_buf *dmabuf)
{
	return false;
}

static inline bool dma_buf_attach_is_phys(struct dma_buf_attachment *attach)
{
	return false;
}

static inline int dma_buf_get_phys(struct dma_buf_attachment *attach,
				   struct dma_buf_phys *phys)
{
	return -EOPNOTSUPP;
}

static inline void dma_buf_put_phys(struct dma_buf_attachment *attach)
{
}

static inline struct dma_buf_dma_map *
dma_buf_phys_map(struct dma_buf_attachment *attach, enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void dma_buf_phys_unmap(struct dma_buf_attachment *attach,
				      struct dma_buf_dma_map *map)
{
}

static inline void dma_buf_phys_detach(struct dma_buf_attachment *attach)
{
}

static inline void dma_buf_phys_release(struct dma_buf *dmabuf)
{
}
#endif

#if IS_ENABLED(CONFIG_KUNIT)
extern unsigned int dma_buf_phys_revoke_warn_ms;
extern atomic_t dma_buf_phys_late_warnings;
void dma_buf_phys_forget_leaked(struct dma_buf *dmabuf, int users);
#endif

#endif /* _LINUX_DMA_BUF_PHYS_H */
