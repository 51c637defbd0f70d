// SPDX-License-Identifier: GPL-2.0-only
/*
 * A dma-buf exporter for iommufd's selftest (IOMMU_TEST_OP_DMABUF_GET and
 * IOMMU_TEST_OP_DMABUF_REVOKE, mainline's numbers).
 *
 * The buffer is kernel memory, offered to importers the way the VFIO
 * exporter offers a BAR slice: a range list (&dma_buf_ops.get_phys, one
 * range here), pin and unpin so that the buffer is dynamic, and a revoke
 * that calls dma_buf_move_notify() and then waits in
 * dma_buf_phys_wait_unmapped() until every importer dropped its use of
 * the ranges. A restore is not announced: importers find out on their
 * next dma_buf_get_phys().
 *
 * The range is not BAR memory: its P2P provider belongs to no PCI device
 * and the PCI core could say nothing about a path to it. Only iommufd
 * may attach; it maps ranges through the IOMMU domain without asking the
 * PCI core, and every other importer is refused in attach.
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-phys.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/* Mainline's limit on IOMMU_TEST_OP_DMABUF_GET */
#define IOMMUFD_TEST_DMABUF_MAX_PAGES 512

struct iommufd_test_dmabuf {
	void *memory;
	bool revoked;			/* under the reservation lock */
	struct phys_vec range;
	struct p2pdma_provider provider;
};

static int iommufd_test_dmabuf_attach(struct dma_buf *dmabuf,
				      struct dma_buf_attachment *attach)
{
	/* Taking the ranges and dropping them on move_notify, as iommufd does */
	if (attach->dev != iommufd_global_device() ||
	    !dma_buf_attach_is_phys(attach) ||
	    !dma_buf_attach_revocable(attach))
		return -EOPNOTSUPP;
	return 0;
}

/* Kernel memory does not move: pin and unpin only make the buffer dynamic */
static int iommufd_test_dmabuf_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void iommufd_test_dmabuf_unpin(struct dma_buf_attachment *attach)
{
}

static int iommufd_test_dmabuf_get_phys(struct dma_buf_attachment *attach,
					struct dma_buf_phys *phys)
{
	struct iommufd_test_dmabuf *priv = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (priv->revoked)
		return -ENODEV;
	phys->provider = &priv->provider;
	phys->ranges = &priv->range;
	phys->nr_ranges = 1;
	return 0;
}

/* Never reached: attach refuses every importer that asks for a table */
static struct sg_table *
iommufd_test_dmabuf_map(struct dma_buf_attachment *attach,
			enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void iommufd_test_dmabuf_unmap(struct dma_buf_attachment *attach,
				      struct sg_table *sgt,
				      enum dma_data_direction dir)
{
}

static void iommufd_test_dmabuf_release(struct dma_buf *dmabuf)
{
	struct iommufd_test_dmabuf *priv = dmabuf->priv;

	free_pages_exact(priv->memory, priv->range.len);
	kfree(priv);
}

static const struct dma_buf_ops iommufd_test_dmabuf_ops = {
	.attach = iommufd_test_dmabuf_attach,
	.pin = iommufd_test_dmabuf_pin,
	.unpin = iommufd_test_dmabuf_unpin,
	.get_phys = iommufd_test_dmabuf_get_phys,
	.map_dma_buf = iommufd_test_dmabuf_map,
	.unmap_dma_buf = iommufd_test_dmabuf_unmap,
	.release = iommufd_test_dmabuf_release,
};

/**
 * iommufd_test_dmabuf_get() - IOMMU_TEST_OP_DMABUF_GET
 * @ucmd: the test command
 * @open_flags: flags of the new file: O_CLOEXEC, O_ACCMODE
 * @length: bytes, rounded up to pages, at most 512 pages
 *
 * Return: a new dma-buf file descriptor of zeroed kernel memory, or a
 * negative errno: -EINVAL for a length of 0 or above the limit.
 */
int iommufd_test_dmabuf_get(struct iommufd_ucmd *ucmd,
			    unsigned int open_flags, size_t length)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct iommufd_test_dmabuf *priv;
	struct dma_buf *dmabuf;
	int rc;

	if (open_flags & ~(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	length = PAGE_ALIGN(length);
	if (!length || length > IOMMUFD_TEST_DMABUF_MAX_PAGES * PAGE_SIZE)
		return -EINVAL;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->memory = alloc_pages_exact(length, GFP_KERNEL | __GFP_ZERO);
	if (!priv->memory) {
		rc = -ENOMEM;
		goto err_free;
	}
	priv->range.paddr = virt_to_phys(priv->memory);
	priv->range.len = length;
	priv->provider.owner = iommufd_global_device();

	exp_info.ops = &iommufd_test_dmabuf_ops;
	exp_info.size = length;
	exp_info.flags = open_flags;
	exp_info.priv = priv;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		rc = PTR_ERR(dmabuf);
		goto err_free;
	}

	/* From here the buffer's release frees priv */
	rc = dma_buf_fd(dmabuf, open_flags);
	if (rc < 0)
		dma_buf_put(dmabuf);
	return rc;

err_free:
	if (priv->memory)
		free_pages_exact(priv->memory, length);
	kfree(priv);
	return rc;
}

/**
 * iommufd_test_dmabuf_revoke() - IOMMU_TEST_OP_DMABUF_REVOKE
 * @ucmd: the test command
 * @fd: a dma-buf from iommufd_test_dmabuf_get()
 * @revoked: true to revoke the buffer, false to restore it
 *
 * A revoke returns once every importer dropped its mappings.
 *
 * Return: 0, -EBADF or -EINVAL for a file that is no dma-buf,
 * -EOPNOTSUPP for a dma-buf of another exporter.
 */
int iommufd_test_dmabuf_revoke(struct iommufd_ucmd *ucmd, int fd,
			       bool revoked)
{
	struct iommufd_test_dmabuf *priv;
	struct dma_buf *dmabuf;
	int rc = 0;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (dmabuf->ops != &iommufd_test_dmabuf_ops) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	priv = dmabuf->priv;

	dma_resv_lock(dmabuf->resv, NULL);
	if (priv->revoked != revoked) {
		priv->revoked = revoked;
		if (revoked)
			dma_buf_move_notify(dmabuf);
	}
	dma_resv_unlock(dmabuf->resv);
	if (revoked)
		dma_buf_phys_wait_unmapped(dmabuf);

out_put:
	dma_buf_put(dmabuf);
	return rc;
}

MODULE_IMPORT_NS(DMA_BUF);
