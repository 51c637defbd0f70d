// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: slices of a PCI memory BAR exported as a
 * dma-buf described by physical ranges (drivers/dma-buf/dma-buf-phys.c),
 * for importers that reach the BAR by peer-to-peer DMA.
 *
 * The buffers of a device are on vdev->dmabufs under memory_lock. Every
 * place that zaps the BAR mmaps (memory decode off, D3hot, FLR, reset,
 * hot reset, runtime low power) revokes them with
 * vfio_pci_dma_buf_move(), and vfio_pci_dma_buf_revoke_or_restore(),
 * called before memory_lock is dropped, restores them when the BAR can
 * answer again. Export claims the BAR (/proc/iomem shows "vfio" as its
 * owner) and its P2P provider is the one vfio-pci created when it
 * registered the device. Closing the device revokes the buffers for good
 * and drops the registration reference each one held on the device.
 *
 * Lock order: memory_lock, then the buffer's reservation lock, then
 * whatever the importers take in move_notify. Nothing here takes
 * memory_lock under a reservation lock.
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-buf-phys.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/overflow.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_priv.h"

/*
 * The header lives in its own slab cache, so it costs its size and no
 * more. A buffer of one range keeps it in @one; longer lists get an array
 * of exactly nr_ranges entries, 16 bytes each.
 */
struct vfio_pci_dma_buf {
	struct dma_buf *dmabuf;
	/* NULL once the device was closed; under memory_lock and resv */
	struct vfio_pci_core_device *vdev;
	struct list_head node;		/* on vdev->dmabufs, under memory_lock */
	struct p2pdma_provider *provider;
	struct phys_vec *ranges;	/* &one or the array */
	unsigned int nr_ranges;
	bool revoked;			/* under resv, written with memory_lock */
	struct phys_vec one;
};

static struct kmem_cache *vfio_pci_dma_buf_cache;

/* Range lists up to this long are copied from user space onto the stack */
#define VFIO_PCI_DMA_BUF_STACK_RANGES	8

static struct vfio_pci_dma_buf *vfio_pci_dma_buf_alloc(u32 nr_ranges)
{
	struct vfio_pci_dma_buf *priv;

	priv = kmem_cache_zalloc(vfio_pci_dma_buf_cache, GFP_KERNEL);
	if (!priv)
		return NULL;
	priv->ranges = &priv->one;
	if (nr_ranges > 1) {
		priv->ranges = kvmalloc_array(nr_ranges, sizeof(*priv->ranges),
					      GFP_KERNEL);
		if (!priv->ranges) {
			kmem_cache_free(vfio_pci_dma_buf_cache, priv);
			return NULL;
		}
	}
	priv->nr_ranges = nr_ranges;
	INIT_LIST_HEAD(&priv->node);
	return priv;
}

static void vfio_pci_dma_buf_free(struct vfio_pci_dma_buf *priv)
{
	if (priv->ranges != &priv->one)
		kvfree(priv->ranges);
	kmem_cache_free(vfio_pci_dma_buf_cache, priv);
}

/**
 * vfio_pci_dma_buf_init - create the slab cache of the export headers
 *
 * Called once when vfio-pci-core loads.
 *
 * Return: 0 or -ENOMEM.
 */
int vfio_pci_dma_buf_init(void)
{
	vfio_pci_dma_buf_cache = KMEM_CACHE(vfio_pci_dma_buf, 0);
	return vfio_pci_dma_buf_cache ? 0 : -ENOMEM;
}

/**
 * vfio_pci_dma_buf_exit - destroy the slab cache of the export headers
 *
 * Called when vfio-pci-core unloads, after every buffer was released.
 */
void vfio_pci_dma_buf_exit(void)
{
	kmem_cache_destroy(vfio_pci_dma_buf_cache);
}

static int vfio_pci_dma_buf_attach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	/*
	 * Only importers that handle memory without struct pages and that
	 * drop their mappings when the device stops answering.
	 */
	if (!dma_buf_attach_revocable(attach))
		return -EOPNOTSUPP;
	if (!attach->peer2peer && !dma_buf_attach_is_phys(attach))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * BAR memory does not move. Having pin/unpin makes the buffer dynamic, so
 * the dma-buf core never maps an attachment once and caches the table
 * past a revoke.
 */
static int vfio_pci_dma_buf_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void vfio_pci_dma_buf_unpin(struct dma_buf_attachment *attach)
{
}

static void vfio_pci_dma_buf_describe(struct vfio_pci_dma_buf *priv,
				      struct dma_buf_phys *phys)
{
	phys->provider = priv->provider;
	phys->ranges = priv->ranges;
	phys->nr_ranges = priv->nr_ranges;
}

static int vfio_pci_dma_buf_get_phys(struct dma_buf_attachment *attach,
				     struct dma_buf_phys *phys)
{
	struct vfio_pci_dma_buf *priv = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (priv->revoked)
		return -ENODEV;
	vfio_pci_dma_buf_describe(priv, phys);
	return 0;
}

static struct sg_table *
vfio_pci_dma_buf_map(struct dma_buf_attachment *attach,
		     enum dma_data_direction dir)
{
	struct vfio_pci_dma_buf *priv = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (priv->revoked)
		return ERR_PTR(-ENODEV);
	return dma_buf_phys_vec_to_sgt(attach, priv->provider, priv->ranges,
				       priv->nr_ranges, attach->dmabuf->size,
				       dir);
}

static void vfio_pci_dma_buf_unmap(struct dma_buf_attachment *attach,
				   struct sg_table *sgt,
				   enum dma_data_direction dir)
{
	dma_buf_free_sgt(attach, sgt, dir);
}

static void vfio_pci_dma_buf_release(struct dma_buf *dmabuf)
{
	struct vfio_pci_dma_buf *priv = dmabuf->priv;

	/*
	 * vfio_pci_dma_buf_cleanup() only detaches buffers whose file it
	 * could still take a reference on, so a buffer being released is
	 * either detached already (vdev NULL) or still ours to unlink.
	 */
	if (priv->vdev) {
		struct vfio_pci_core_device *vdev = priv->vdev;

		down_write(&vdev->memory_lock);
		list_del_init(&priv->node);
		up_write(&vdev->memory_lock);
		vfio_device_put_registration(&vdev->vdev);
	}
	vfio_pci_dma_buf_free(priv);
}

static const struct dma_buf_ops vfio_pci_dma_buf_ops = {
	.attach = vfio_pci_dma_buf_attach,
	.pin = vfio_pci_dma_buf_pin,
	.unpin = vfio_pci_dma_buf_unpin,
	.map_dma_buf = vfio_pci_dma_buf_map,
	.unmap_dma_buf = vfio_pci_dma_buf_unmap,
	.get_phys = vfio_pci_dma_buf_get_phys,
	.release = vfio_pci_dma_buf_release,
};

/* Revoke or restore one buffer; the caller holds a file reference. */
static void vfio_pci_dma_buf_set_revoked(struct vfio_pci_dma_buf *priv,
					 bool revoked, bool detach)
{
	struct dma_buf *dmabuf = priv->dmabuf;

	if (priv->revoked == revoked && !detach)
		return;

	dma_resv_lock(dmabuf->resv, NULL);
	if (detach)
		priv->vdev = NULL;
	if (priv->revoked != revoked) {
		priv->revoked = revoked;
		if (revoked)
			dma_buf_move_notify(dmabuf);
	}
	dma_resv_unlock(dmabuf->resv);

	if (revoked)
		dma_buf_phys_wait_unmapped(dmabuf);
}

/* BAR accesses work: decode on, D0, not in runtime low power. */
static bool vfio_pci_dma_buf_usable(struct vfio_pci_core_device *vdev)
{
	return !vdev->pm_runtime_engaged && __vfio_pci_memory_enabled(vdev);
}

/**
 * vfio_pci_dma_buf_move - revoke or restore every buffer of a device
 * @vdev: the device
 * @revoked: true to revoke, false to restore
 *
 * Revoking returns once every importer dropped its mappings.
 *
 * Context: memory_lock held for writing.
 */
void vfio_pci_dma_buf_move(struct vfio_pci_core_device *vdev, bool revoked)
{
	struct vfio_pci_dma_buf *priv;

	lockdep_assert_held_write(&vdev->memory_lock);

	list_for_each_entry(priv, &vdev->dmabufs, node) {
		/* A buffer whose last reference is gone is being released */
		if (!get_file_active(&priv->dmabuf->file))
			continue;
		vfio_pci_dma_buf_set_revoked(priv, revoked, false);
		fput(priv->dmabuf->file);
	}
}

/**
 * vfio_pci_dma_buf_revoke_or_restore - make the buffers follow the BAR
 * @vdev: the device
 *
 * Called before memory_lock is released after anything that may have
 * changed whether the BAR answers: restores the buffers when it does,
 * revokes them when it does not.
 *
 * Context: memory_lock held for writing.
 */
void vfio_pci_dma_buf_revoke_or_restore(struct vfio_pci_core_device *vdev)
{
	vfio_pci_dma_buf_move(vdev, !vfio_pci_dma_buf_usable(vdev));
}

/**
 * vfio_pci_dma_buf_cleanup - revoke a device's buffers for good
 * @vdev: the device being closed
 *
 * The dma-buf files stay valid but can never be mapped again, and no
 * longer keep the device registered.
 */
void vfio_pci_dma_buf_cleanup(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_dma_buf *priv, *tmp;

	down_write(&vdev->memory_lock);
	list_for_each_entry_safe(priv, tmp, &vdev->dmabufs, node) {
		if (!get_file_active(&priv->dmabuf->file))
			continue;
		list_del_init(&priv->node);
		vfio_pci_dma_buf_set_revoked(priv, true, true);
		vfio_device_put_registration(&vdev->vdev);
		fput(priv->dmabuf->file);
	}
	up_write(&vdev->memory_lock);
}

/**
 * vfio_pci_core_fill_phys_vec - place user ranges in a region's memory
 * @phys_vec: filled with one physical range per entry of @dma_ranges
 * @dma_ranges: the ranges user space asked for, offsets into the region
 * @nr_ranges: entries in both arrays
 * @start: CPU physical address of the region's first byte
 * @len: bytes in the region
 *
 * For a &vfio_pci_device_ops.get_dmabuf_phys whose region is physically
 * contiguous. The export has checked already that each range is page
 * aligned, not empty, and overlaps no other.
 *
 * Return: 0; -EOVERFLOW when offset + length of a range wraps; -EINVAL
 * when a range ends past the end of the region.
 */
int vfio_pci_core_fill_phys_vec(struct phys_vec *phys_vec,
				struct vfio_region_dma_range *dma_ranges,
				size_t nr_ranges, phys_addr_t start,
				phys_addr_t len)
{
	size_t i;
	u64 end;

	for (i = 0; i < nr_ranges; i++) {
		if (check_add_overflow(dma_ranges[i].offset,
				       dma_ranges[i].length, &end))
			return -EOVERFLOW;
		if (end > len)
			return -EINVAL;
		phys_vec[i].paddr = start + dma_ranges[i].offset;
		phys_vec[i].len = dma_ranges[i].length;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_core_fill_phys_vec);

/**
 * vfio_pci_core_get_dmabuf_phys - the physical ranges of a plain BAR
 * @vdev: the device
 * @provider: set to the BAR's P2P provider
 * @region_index: the BAR
 * @phys_vec: filled with one physical range per entry of @dma_ranges
 * @dma_ranges: the ranges user space asked for, offsets into the BAR
 * @nr_ranges: entries in both arrays
 *
 * The &vfio_pci_device_ops.get_dmabuf_phys of drivers that present the
 * BARs as they are (vfio-pci itself), and the fallback of variant drivers
 * for the BARs they do not change.
 *
 * Return: 0, or as vfio_pci_core_fill_phys_vec(); -EINVAL when the BAR
 * has no provider.
 */
int vfio_pci_core_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
				  struct p2pdma_provider **provider,
				  unsigned int region_index,
				  struct phys_vec *phys_vec,
				  struct vfio_region_dma_range *dma_ranges,
				  size_t nr_ranges)
{
	struct pci_dev *pdev = vdev->pdev;

	*provider = pcim_p2pdma_provider(pdev, region_index);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   pci_resource_start(pdev, region_index),
					   pci_resource_len(pdev, region_index));
}
EXPORT_SYMBOL_GPL(vfio_pci_core_get_dmabuf_phys);

/*
 * Whether any two of @nr ranges overlap, for a list out of order. Each
 * range ends past its start. The ranges are sorted by page offset with
 * an LSD radix sort of keys that carry the page offset above the range's
 * index (below 2^12, the cap being 4096), one pass per byte of the
 * largest page offset: linear in the ranges, two or three passes for
 * BARs up to 16 GiB. Then each range is compared with the one before.
 */
static int vfio_pci_dma_buf_overlap(const struct vfio_region_dma_range *r,
				    u32 nr)
{
	const unsigned int idx_bits = ilog2(VFIO_DEVICE_DMA_BUF_MAX_RANGES);
	u64 *base, *keys, *tmp, *swap, max = 0, prev_end;
	unsigned int shift;
	bool overlap = false;
	u32 i, *count;

	BUILD_BUG_ON(!is_power_of_2(VFIO_DEVICE_DMA_BUF_MAX_RANGES));
	BUILD_BUG_ON(ilog2(VFIO_DEVICE_DMA_BUF_MAX_RANGES) > PAGE_SHIFT);
	/* The keys, as many again to sort them into, and 256 counters */
	base = kvmalloc(array_size(2 * nr, sizeof(*base)) + 256 * sizeof(*count),
			GFP_KERNEL);
	if (!base)
		return -ENOMEM;
	keys = base;
	tmp = base + nr;
	count = (u32 *)(base + 2 * nr);
	for (i = 0; i < nr; i++) {
		keys[i] = (r[i].offset >> PAGE_SHIFT) << idx_bits | i;
		max |= keys[i];
	}
	for (shift = idx_bits; shift < 64 && (max >> shift); shift += 8) {
		u32 sum = 0, c;

		memset(count, 0, 256 * sizeof(*count));
		for (i = 0; i < nr; i++)
			count[(keys[i] >> shift) & 0xff]++;
		for (i = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < nr; i++)
			tmp[count[(keys[i] >> shift) & 0xff]++] = keys[i];
		swap = keys;
		keys = tmp;
		tmp = swap;
	}

	prev_end = 0;
	for (i = 0; i < nr; i++) {
		const struct vfio_region_dma_range *cur =
			&r[keys[i] & (VFIO_DEVICE_DMA_BUF_MAX_RANGES - 1)];

		if (i && cur->offset < prev_end) {
			overlap = true;
			break;
		}
		prev_end = cur->offset + cur->length;
	}
	kvfree(base);
	return overlap;
}

/*
 * Check what does not depend on where the region is; on success *size is
 * the buffer size. One pass, linear in the ranges, finds the bad ones
 * and, for a list in ascending order (what user space builds), the
 * overlaps. Only a list out of order is sorted, by index, so @ranges
 * keeps the caller's order.
 */
static int vfio_pci_dma_buf_check_ranges(const struct vfio_region_dma_range *ranges,
					 u32 nr, u64 *size)
{
	u64 total = 0, end, prev_end = 0;
	bool in_order = true;
	u32 i;

	for (i = 0; i < nr; i++) {
		u64 offset = ranges[i].offset, len = ranges[i].length;

		if (!len || !PAGE_ALIGNED(offset | len))
			return -EINVAL;
		if (check_add_overflow(offset, len, &end))
			return -EOVERFLOW;
		if (check_add_overflow(total, len, &total))
			return -EINVAL;
		if (offset < prev_end)
			in_order = false;
		prev_end = end;
	}

	if (!in_order) {
		int overlap = vfio_pci_dma_buf_overlap(ranges, nr);

		if (overlap)
			return overlap < 0 ? overlap : -EINVAL;
	}

	*size = total;
	return 0;
}

static int vfio_pci_dma_buf_check_bar(struct pci_dev *pdev, u32 index)
{
	unsigned long flags;

	if (index > VFIO_PCI_BAR5_REGION_INDEX)
		return -ENODEV;
	flags = pci_resource_flags(pdev, index);
	if (!pci_resource_len(pdev, index) || (flags & IORESOURCE_UNSET))
		return -ENODEV;
	if (flags & IORESOURCE_IO)
		return -EINVAL;
	if (!(flags & IORESOURCE_MEM))
		return -ENODEV;
	return 0;
}

/**
 * vfio_pci_core_feature_dma_buf - VFIO_DEVICE_FEATURE_DMA_BUF
 * @vdev: the device
 * @flags: the feature flags (only GET and PROBE are supported)
 * @arg: user's &struct vfio_device_feature_dma_buf
 * @argsz: bytes the user supplied at @arg
 *
 * Return: the new dma-buf file descriptor, 0 for PROBE, or the errno the
 * UAPI names for each bad request.
 */
int vfio_pci_core_feature_dma_buf(struct vfio_pci_core_device *vdev, u32 flags,
				  struct vfio_device_feature_dma_buf __user *arg,
				  size_t argsz)
{
	struct vfio_region_dma_range stack[VFIO_PCI_DMA_BUF_STACK_RANGES];
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vfio_device_feature_dma_buf get;
	struct vfio_region_dma_range *uranges;
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_pci_dma_buf *priv;
	struct dma_buf *dmabuf;
	u64 size;
	int ret;

	/* Only drivers that say where their regions are may export them */
	if (!vdev->pci_ops || !vdev->pci_ops->get_dmabuf_phys)
		return -EOPNOTSUPP;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(get));
	if (ret != 1)
		return ret;

	if (copy_from_user(&get, arg, sizeof(get)))
		return -EFAULT;
	if (get.flags || !get.nr_ranges)
		return -EINVAL;
	if (get.nr_ranges > VFIO_DEVICE_DMA_BUF_MAX_RANGES)
		return -E2BIG;
	if (argsz < struct_size(&get, dma_ranges, get.nr_ranges))
		return -EINVAL;
	if (get.open_flags & ~(O_ACCMODE | O_CLOEXEC | O_NONBLOCK) ||
	    (get.open_flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;

	ret = vfio_pci_dma_buf_check_bar(pdev, get.region_index);
	if (ret)
		return ret;

	/* Short lists (most of them) are read onto the stack */
	if (get.nr_ranges <= ARRAY_SIZE(stack)) {
		uranges = stack;
		if (copy_from_user(stack, &arg->dma_ranges,
				   get.nr_ranges * sizeof(*stack)))
			return -EFAULT;
	} else {
		uranges = vmemdup_array_user(&arg->dma_ranges, get.nr_ranges,
					     sizeof(*uranges));
		if (IS_ERR(uranges))
			return PTR_ERR(uranges);
	}

	ret = vfio_pci_dma_buf_check_ranges(uranges, get.nr_ranges, &size);
	if (ret)
		goto err_free_uranges;

	priv = vfio_pci_dma_buf_alloc(get.nr_ranges);
	if (!priv) {
		ret = -ENOMEM;
		goto err_free_uranges;
	}

	/* Where the ranges are, and who provides them: the driver says */
	ret = vdev->pci_ops->get_dmabuf_phys(vdev, &priv->provider,
					     get.region_index, priv->ranges,
					     uranges, get.nr_ranges);
	if (ret)
		goto err_free_priv;
	if (uranges != stack)
		kvfree(uranges);
	uranges = NULL;

	if (!vfio_device_try_get_registration(&vdev->vdev)) {
		ret = -ENODEV;
		goto err_free_priv;
	}

	exp_info.ops = &vfio_pci_dma_buf_ops;
	exp_info.size = size;
	exp_info.flags = get.open_flags;
	exp_info.priv = priv;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_put_registration;
	}
	priv->dmabuf = dmabuf;

	/*
	 * Claim the BAR as mmap() and read/write do: a region another driver
	 * holds (a firmware framebuffer's, say) is not vfio's to hand out.
	 * The claim lasts until the device is closed, after every buffer
	 * was revoked for good. memory_lock orders concurrent exports; as in
	 * 6.12, mmap() and read/write claim the BAR without it. No fd exists
	 * yet, so nobody sees the buffer before it is claimed and listed;
	 * when the claim fails, the release op frees the buffer and puts the
	 * registration (priv->vdev is still NULL).
	 */
	down_write(&vdev->memory_lock);
	ret = vfio_pci_core_setup_barmap(vdev, get.region_index);
	if (!ret) {
		priv->vdev = vdev;
		priv->revoked = !vfio_pci_dma_buf_usable(vdev);
		list_add_tail(&priv->node, &vdev->dmabufs);
	}
	up_write(&vdev->memory_lock);
	if (ret) {
		dma_buf_put(dmabuf);
		vfio_device_put_registration(&vdev->vdev);
		return -ENODEV;
	}

	ret = dma_buf_fd(dmabuf, get.open_flags);
	if (ret < 0)
		dma_buf_put(dmabuf);
	return ret;

err_put_registration:
	vfio_device_put_registration(&vdev->vdev);
err_free_priv:
	vfio_pci_dma_buf_free(priv);
err_free_uranges:
	if (uranges != stack)
		kvfree(uranges);
	return ret;
}

MODULE_IMPORT_NS(DMA_BUF);
