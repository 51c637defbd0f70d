// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/edu_dma: a dma-buf importer driven from user space, for tests.
 *
 * Each open file imports at most one dma-buf for one edu device. The
 * default import negotiates the physical range interconnect and maps the
 * buffer with dma_buf_phys_map(); EDU_DMA_IMPORT_SGT imports through
 * dma_buf_map_attachment() instead; the other modes attach the way
 * importers the exporter must refuse do. Transfers go through edu's DMA
 * engine: RAM to edu's buffer to the dma-buf, or back.
 *
 * The mapping is under the buffer's reservation lock, which is held for
 * the whole of a transfer, so move_notify (called with that lock held)
 * can drop the mapping at once: a revoke never waits for this importer.
 * Lock order: session mutex, then reservation lock, then edu's lock.
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-phys.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/misc/edu_dma.h>

#include "edu_dma.h"

static_assert(EDU_DMA_MAX_XFER == EDU_DMA_MAX_LEN);
static_assert(EDU_DMA_MAP_BUS_ADDR == PCI_P2PDMA_MAP_BUS_ADDR);
static_assert(EDU_DMA_MAP_THRU_HOST_BRIDGE == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);

struct edu_import {
	struct mutex lock;		/* serialises the ioctls */
	struct edu_dma *edu;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	u32 mode;			/* EDU_DMA_IMPORT_* */

	/* Under the reservation lock */
	struct dma_buf_dma_map *map;	/* range-list mapping */
	struct sg_table *sgt;		/* or the exporter's table */
	u32 revoked;
	u32 notified;

	/* Bounce buffer in RAM for edu */
	void *bounce;
	dma_addr_t bounce_dma;
};

/* Drop the mapping; reservation lock held. */
static bool edu_import_unmap_locked(struct edu_import *imp)
{
	dma_resv_assert_held(imp->dmabuf->resv);
	if (imp->map) {
		dma_buf_phys_unmap(imp->attach, imp->map);
		imp->map = NULL;
		return true;
	}
	if (imp->sgt) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt,
					 DMA_BIDIRECTIONAL);
		imp->sgt = NULL;
		return true;
	}
	return false;
}

static void edu_import_move_notify(struct dma_buf_attachment *attach)
{
	struct edu_import *imp = attach->importer_priv;

	imp->notified++;
	if (edu_import_unmap_locked(imp))
		imp->revoked++;
}

static const struct dma_buf_attach_ops edu_import_phys_ops = {
	.allow_peer2peer = true,
	.allow_phys = true,
	.revocable = true,
	.move_notify = edu_import_move_notify,
};

static const struct dma_buf_attach_ops edu_import_sgt_ops = {
	.allow_peer2peer = true,
	.revocable = true,
	.move_notify = edu_import_move_notify,
};

static const struct dma_buf_attach_ops edu_import_not_revocable_ops = {
	.allow_peer2peer = true,
	.allow_phys = true,
	.move_notify = edu_import_move_notify,
};

static const struct dma_buf_attach_ops edu_import_no_p2p_ops = {
	.revocable = true,
	.move_notify = edu_import_move_notify,
};

/* Map if not mapped; reservation lock held. */
static int edu_import_map_locked(struct edu_import *imp)
{
	struct sg_table *sgt;
	struct dma_buf_dma_map *map;

	dma_resv_assert_held(imp->dmabuf->resv);
	if (imp->map || imp->sgt)
		return 0;

	if (imp->mode & EDU_DMA_IMPORT_SGT) {
		sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		imp->sgt = sgt;
		return 0;
	}
	map = dma_buf_phys_map(imp->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(map))
		return PTR_ERR(map);
	imp->map = map;
	return 0;
}

static void edu_import_release(struct edu_import *imp)
{
	if (imp->attach) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		edu_import_unmap_locked(imp);
		dma_resv_unlock(imp->dmabuf->resv);
		dma_buf_detach(imp->dmabuf, imp->attach);
		imp->attach = NULL;
	}
	if (imp->dmabuf) {
		dma_buf_put(imp->dmabuf);
		imp->dmabuf = NULL;
	}
	if (imp->bounce) {
		dma_free_coherent(edu_dma_dev(imp->edu), EDU_DMA_MAX_LEN,
				  imp->bounce, imp->bounce_dma);
		imp->bounce = NULL;
	}
	if (imp->edu) {
		edu_dma_put(imp->edu);
		imp->edu = NULL;
	}
	imp->revoked = 0;
	imp->notified = 0;
}

static struct edu_dma *edu_import_find(u32 bdf)
{
	struct edu_dma *edu;
	struct pci_dev *pdev;

	pdev = pci_get_domain_bus_and_slot(0, bdf >> 8, bdf & 0xff);
	if (!pdev)
		return NULL;
	edu = edu_dma_get_pci(pdev);
	pci_dev_put(pdev);
	return edu;
}

static int edu_import_import(struct edu_import *imp,
			     struct edu_dma_import __user *uarg)
{
	const struct dma_buf_attach_ops *ops;
	struct edu_dma_import arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad || arg.flags & ~(EDU_DMA_IMPORT_SGT | EDU_DMA_IMPORT_STATIC |
				     EDU_DMA_IMPORT_NOT_REVOCABLE |
				     EDU_DMA_IMPORT_NO_P2P) ||
	    hweight32(arg.flags) > 1)
		return -EINVAL;
	if (imp->dmabuf)
		return -EBUSY;

	imp->edu = edu_import_find(arg.edu_bdf);
	if (!imp->edu)
		return -ENODEV;
	imp->mode = arg.flags;

	imp->bounce = dma_alloc_coherent(edu_dma_dev(imp->edu), EDU_DMA_MAX_LEN,
					 &imp->bounce_dma, GFP_KERNEL);
	if (!imp->bounce) {
		ret = -ENOMEM;
		goto err;
	}

	imp->dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(imp->dmabuf)) {
		ret = PTR_ERR(imp->dmabuf);
		imp->dmabuf = NULL;
		goto err;
	}

	switch (arg.flags) {
	case EDU_DMA_IMPORT_SGT:
		ops = &edu_import_sgt_ops;
		break;
	case EDU_DMA_IMPORT_STATIC:
		ops = NULL;
		break;
	case EDU_DMA_IMPORT_NOT_REVOCABLE:
		ops = &edu_import_not_revocable_ops;
		break;
	case EDU_DMA_IMPORT_NO_P2P:
		ops = &edu_import_no_p2p_ops;
		break;
	default:
		ops = &edu_import_phys_ops;
		break;
	}
	imp->attach = dma_buf_dynamic_attach(imp->dmabuf, edu_dma_dev(imp->edu),
					     ops, imp);
	if (IS_ERR(imp->attach)) {
		ret = PTR_ERR(imp->attach);
		imp->attach = NULL;
		goto err;
	}
	if (!(arg.flags & EDU_DMA_IMPORT_SGT) &&
	    !dma_buf_attach_is_phys(imp->attach)) {
		/* The exporter does not offer a range list */
		ret = -EOPNOTSUPP;
		goto err;
	}

	arg.size = imp->dmabuf->size;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto err;
	}
	return 0;

err:
	edu_import_release(imp);
	return ret;
}

/* The DMA ranges of the current mapping; reservation lock held. */
static unsigned int edu_import_ranges(struct edu_import *imp, unsigned int i,
				      struct edu_dma_range *r)
{
	struct scatterlist *sg;
	unsigned int n;

	if (imp->map) {
		if (i < imp->map->nr_ranges) {
			r->addr = imp->map->ranges[i].addr;
			r->len = imp->map->ranges[i].len;
		}
		return imp->map->nr_ranges;
	}
	for_each_sgtable_dma_sg(imp->sgt, sg, n) {
		if (n == i) {
			r->addr = sg_dma_address(sg);
			r->len = sg_dma_len(sg);
		}
	}
	return imp->sgt->nents;
}

/*
 * Maps the buffer if it is not mapped and tells the DMA ranges. On error,
 * a mapping this call made is dropped again: the importer is left as it
 * was.
 */
static int edu_import_map(struct edu_import *imp, struct edu_dma_map __user *uarg)
{
	struct edu_dma_range *ranges = NULL;
	struct edu_dma_range r;
	struct edu_dma_map arg;
	unsigned int i, n, copy;
	bool was_mapped;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	ret = dma_resv_lock_interruptible(imp->dmabuf->resv, NULL);
	if (ret)
		return ret;
	was_mapped = imp->map || imp->sgt;
	ret = edu_import_map_locked(imp);
	if (ret)
		goto out_unlock;

	/* User memory is not touched under the reservation lock */
	n = edu_import_ranges(imp, 0, &r);
	copy = min(n, arg.nr_ranges);
	if (copy) {
		ranges = kvmalloc_array(copy, sizeof(*ranges), GFP_KERNEL);
		if (!ranges) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	for (i = 0; i < copy; i++)
		edu_import_ranges(imp, i, &ranges[i]);
	arg.nr_ranges = n;
	arg.map_type = imp->map ? imp->map->map_type : EDU_DMA_MAP_SGT;
out_unlock:
	dma_resv_unlock(imp->dmabuf->resv);

	if (!ret && copy &&
	    copy_to_user(u64_to_user_ptr(arg.ranges), ranges,
			 array_size(copy, sizeof(*ranges))))
		ret = -EFAULT;
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	kvfree(ranges);

	/* imp->lock keeps other ioctls out; a revoke may have unmapped it */
	if (ret && !was_mapped) {
		dma_resv_lock(imp->dmabuf->resv, NULL);
		edu_import_unmap_locked(imp);
		dma_resv_unlock(imp->dmabuf->resv);
	}
	return ret;
}

/*
 * Find the DMA address of buffer byte @offset and how many bytes follow
 * it in the same DMA range; reservation lock held.
 */
static int edu_import_addr(struct edu_import *imp, u64 offset,
			   dma_addr_t *addr, u64 *avail)
{
	struct edu_dma_range r = {};
	unsigned int i, n;

	n = edu_import_ranges(imp, 0, &r);
	for (i = 0; i < n; i++) {
		edu_import_ranges(imp, i, &r);
		if (offset < r.len) {
			*addr = r.addr + offset;
			*avail = r.len - offset;
			return 0;
		}
		offset -= r.len;
	}
	return -EINVAL;
}

static int edu_import_xfer(struct edu_import *imp,
			   struct edu_dma_xfer __user *uarg)
{
	struct edu_dma_xfer arg;
	u32 done = 0;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.len || arg.len > EDU_DMA_MAX_LEN ||
	    arg.offset > imp->dmabuf->size ||
	    arg.len > imp->dmabuf->size - arg.offset ||
	    (arg.dir != EDU_DMA_TO_BUF && arg.dir != EDU_DMA_FROM_BUF))
		return -EINVAL;

	if (arg.dir == EDU_DMA_TO_BUF &&
	    copy_from_user(imp->bounce, u64_to_user_ptr(arg.data), arg.len))
		return -EFAULT;

	ret = dma_resv_lock_interruptible(imp->dmabuf->resv, NULL);
	if (ret)
		return ret;
	ret = edu_import_map_locked(imp);
	if (ret)
		goto out;

	/*
	 * Stage through edu's buffer: RAM <-> edu <-> the dma-buf. Other
	 * importers on the same edu stage through it too.
	 */
	edu_dma_buf_lock(imp->edu);
	if (arg.dir == EDU_DMA_TO_BUF) {
		ret = edu_dma_from_bus(imp->edu, imp->bounce_dma, 0, arg.len);
		if (ret)
			goto out_buf;
	}
	while (done < arg.len) {
		dma_addr_t addr;
		u64 avail;
		u32 len;

		ret = edu_import_addr(imp, arg.offset + done, &addr, &avail);
		if (ret)
			goto out_buf;
		len = min_t(u64, avail, arg.len - done);
		if (arg.dir == EDU_DMA_TO_BUF)
			ret = edu_dma_to_bus(imp->edu, done, addr, len);
		else
			ret = edu_dma_from_bus(imp->edu, addr, done, len);
		if (ret)
			goto out_buf;
		done += len;
	}
	if (arg.dir == EDU_DMA_FROM_BUF)
		ret = edu_dma_to_bus(imp->edu, 0, imp->bounce_dma, arg.len);
out_buf:
	edu_dma_buf_unlock(imp->edu);
out:
	dma_resv_unlock(imp->dmabuf->resv);
	if (!ret && arg.dir == EDU_DMA_FROM_BUF &&
	    copy_to_user(u64_to_user_ptr(arg.data), imp->bounce, arg.len))
		ret = -EFAULT;
	return ret;
}

static int edu_import_status(struct edu_import *imp,
			     struct edu_dma_status __user *uarg)
{
	struct edu_dma_status st = {};

	dma_resv_lock(imp->dmabuf->resv, NULL);
	st.mapped = imp->map || imp->sgt;
	st.revoked = imp->revoked;
	st.notified = imp->notified;
	dma_resv_unlock(imp->dmabuf->resv);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long edu_import_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct edu_import *imp = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	mutex_lock(&imp->lock);
	if (cmd != EDU_DMA_IMPORT && !imp->dmabuf) {
		ret = -ENXIO;
		goto out;
	}
	switch (cmd) {
	case EDU_DMA_IMPORT:
		ret = edu_import_import(imp, uarg);
		break;
	case EDU_DMA_MAP:
		ret = edu_import_map(imp, uarg);
		break;
	case EDU_DMA_UNMAP:
		dma_resv_lock(imp->dmabuf->resv, NULL);
		edu_import_unmap_locked(imp);
		dma_resv_unlock(imp->dmabuf->resv);
		ret = 0;
		break;
	case EDU_DMA_XFER:
		ret = edu_import_xfer(imp, uarg);
		break;
	case EDU_DMA_STATUS:
		ret = edu_import_status(imp, uarg);
		break;
	case EDU_DMA_RELEASE:
		edu_import_release(imp);
		ret = 0;
		break;
	default:
		ret = -ENOTTY;
		break;
	}
out:
	mutex_unlock(&imp->lock);
	return ret;
}

static int edu_import_open(struct inode *inode, struct file *file)
{
	struct edu_import *imp = kzalloc(sizeof(*imp), GFP_KERNEL);

	if (!imp)
		return -ENOMEM;
	mutex_init(&imp->lock);
	file->private_data = imp;
	return 0;
}

static int edu_import_close(struct inode *inode, struct file *file)
{
	struct edu_import *imp = file->private_data;

	edu_import_release(imp);
	mutex_destroy(&imp->lock);
	kfree(imp);
	return 0;
}

static const struct file_operations edu_import_fops = {
	.owner = THIS_MODULE,
	.open = edu_import_open,
	.release = edu_import_close,
	.unlocked_ioctl = edu_import_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice edu_import_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "edu_dma",
	.fops = &edu_import_fops,
	.mode = 0600,
};

module_misc_device(edu_import_misc);

MODULE_DESCRIPTION("Test-only dma-buf importer on QEMU's edu device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
