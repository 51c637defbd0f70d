// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_drm: a test-only DRM render node on QEMU's edu DMA engine.
 *
 * It lets the selftests check dynamic PRIME import
 * (drm_gem_prime_import_dynamic()) of dma-bufs, VFIO's BAR slices among
 * them, with a device that really moves the bytes: a GPU driver's copy
 * engine is played by edu's DMA engine.
 *
 * Each open file of /dev/edu_drm may create one DRM device on an edu
 * device (EDU_DRM_CREATE). The DRM device's parent is the edu PCI
 * function, it has a render node and GEM, and every GEM object it has is
 * a dma-buf imported through DRM_IOCTL_PRIME_FD_TO_HANDLE and attached
 * for edu, peer2peer and revocable. DRM_IOCTL_EDU_DRM_XFER moves bytes
 * between user memory and an offset of such an object: the object is
 * mapped at the first transfer (and again after the exporter invalidated
 * it), and the transfer runs under the buffer's reservation lock, which
 * the exporter holds while invalidating, so a transfer never uses a
 * mapping the exporter took away. DRM_IOCTL_EDU_DRM_QUERY reports what
 * the driver knows of an object.
 *
 * The DRM device lives as long as its control file, not as a driver
 * binding: closing the control file unplugs it, render-node files still
 * open fail every later ioctl with ENODEV (the DRM core checks), and the
 * device, with its reference on edu, goes away when the last of them
 * closes.
 *
 * Bytes are staged through a coherent RAM buffer and edu's own buffer:
 * user memory <-> kernel buffer <-> RAM bounce buffer <-> edu <-> object.
 * Lock order: the reservation lock, then edu's buffer lock.
 */

#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime_dynamic.h>
#include <uapi/misc/edu_drm.h>

#include "edu_dma.h"

/* What a DRM device of this driver keeps, drmm-allocated */
struct edu_drm {
	struct edu_dma *edu;
	void *bounce;			/* RAM staging for edu, under buf_lock */
	dma_addr_t bounce_dma;
};

static struct edu_drm *to_edu_drm(struct drm_device *ddev)
{
	return ddev->dev_private;
}

/*
 * No invalidate callback: a transfer holds the reservation lock from map
 * to its last DMA, and the exporter invalidates under that lock, so there
 * is no work in flight to stop when the helper unmaps.
 */
static const struct drm_gem_dynamic_funcs edu_drm_dynamic_funcs = { };

/* &drm_driver.gem_prime_import: every object is a dynamic import for edu */
static struct drm_gem_object *edu_drm_gem_prime_import(struct drm_device *ddev,
						       struct dma_buf *dma_buf)
{
	struct edu_drm *edrm = to_edu_drm(ddev);

	return drm_gem_prime_import_dynamic(ddev, dma_buf,
					    edu_dma_dev(edrm->edu),
					    &edu_drm_dynamic_funcs);
}

/*
 * The DMA address of byte @pos of the object mapped by @sgt, and in
 * *@avail how many bytes are contiguous there (up to the segment's end).
 * The table describes DMA segments only; it has no pages.
 */
static dma_addr_t edu_drm_dma_addr(struct sg_table *sgt, u64 pos, u64 *avail)
{
	struct scatterlist *sg;
	u64 start = 0;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 len = sg_dma_len(sg);

		if (pos - start < len) {
			*avail = len - (pos - start);
			return sg_dma_address(sg) + (pos - start);
		}
		start += len;
	}
	return DMA_MAPPING_ERROR;
}

/*
 * Move @len bytes between @buf and the object at @offset, in chunks that
 * neither cross a DMA segment nor exceed edu's transfer size. Reservation
 * lock held, @sgt the current mapping.
 */
static int edu_drm_move(struct edu_drm *edrm, struct sg_table *sgt, u32 dir,
			u64 offset, void *buf, u32 len)
{
	struct edu_dma *edu = edrm->edu;
	u32 done = 0;
	int ret = 0;

	edu_dma_buf_lock(edu);
	while (done < len) {
		dma_addr_t dma;
		u64 avail;
		u32 chunk;

		dma = edu_drm_dma_addr(sgt, offset + done, &avail);
		/* The exporter's mapping must cover the whole buffer */
		if (WARN_ON_ONCE(dma == DMA_MAPPING_ERROR)) {
			ret = -EIO;
			break;
		}
		chunk = min_t(u64, avail, min_t(u32, len - done,
						EDU_DMA_MAX_LEN));

		if (dir == EDU_DRM_TO_BO) {
			memcpy(edrm->bounce, buf + done, chunk);
			ret = edu_dma_from_bus(edu, edrm->bounce_dma, 0, chunk);
			if (!ret)
				ret = edu_dma_to_bus(edu, 0, dma, chunk);
		} else {
			ret = edu_dma_from_bus(edu, dma, 0, chunk);
			if (!ret)
				ret = edu_dma_to_bus(edu, 0, edrm->bounce_dma,
						     chunk);
			if (!ret)
				memcpy(buf + done, edrm->bounce, chunk);
		}
		if (ret)
			break;
		done += chunk;
	}
	edu_dma_buf_unlock(edu);
	return ret;
}

static int edu_drm_xfer_ioctl(struct drm_device *ddev, void *data,
			      struct drm_file *file)
{
	struct drm_edu_drm_xfer *arg = data;
	struct drm_gem_object *obj;
	struct sg_table *sgt;
	void *buf;
	int idx, ret;

	if ((arg->dir != EDU_DRM_TO_BO && arg->dir != EDU_DRM_FROM_BO) ||
	    !arg->size || arg->size > EDU_DRM_MAX_XFER)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, arg->handle);
	if (!obj)
		return -ENOENT;
	if (arg->offset > obj->size || arg->size > obj->size - arg->offset) {
		ret = -EINVAL;
		goto out_put;
	}

	/* User memory is copied outside the reservation lock */
	buf = kvmalloc(arg->size, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_put;
	}
	if (arg->dir == EDU_DRM_TO_BO &&
	    copy_from_user(buf, u64_to_user_ptr(arg->data), arg->size)) {
		ret = -EFAULT;
		goto out_free;
	}

	/* An unplug waits for transfers under way; none starts after it */
	if (!drm_dev_enter(ddev, &idx)) {
		ret = -ENODEV;
		goto out_free;
	}
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out_exit;
	/* Maps at the first use and after an invalidation; -ENODEV if revoked */
	sgt = drm_gem_dynamic_object_map(to_drm_gem_dynamic_object(obj));
	if (IS_ERR(sgt))
		ret = PTR_ERR(sgt);
	else
		ret = edu_drm_move(to_edu_drm(ddev), sgt, arg->dir,
				   arg->offset, buf, arg->size);
	dma_resv_unlock(obj->resv);
out_exit:
	drm_dev_exit(idx);
	if (!ret && arg->dir == EDU_DRM_FROM_BO &&
	    copy_to_user(u64_to_user_ptr(arg->data), buf, arg->size))
		ret = -EFAULT;
out_free:
	kvfree(buf);
out_put:
	drm_gem_object_put(obj);
	return ret;
}

static int edu_drm_query_ioctl(struct drm_device *ddev, void *data,
			       struct drm_file *file)
{
	struct drm_edu_drm_query *arg = data;
	struct drm_gem_dynamic_object *dobj;
	struct drm_gem_object *obj;
	int ret;

	obj = drm_gem_object_lookup(file, arg->handle);
	if (!obj)
		return -ENOENT;
	dobj = to_drm_gem_dynamic_object(obj);

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (!ret) {
		arg->mapped = !!dobj->sgt;
		arg->size = obj->size;
		arg->invalidations = dobj->invalidations;
		dma_resv_unlock(obj->resv);
	}
	drm_gem_object_put(obj);
	return ret;
}

static const struct drm_ioctl_desc edu_drm_ioctls[] = {
	DRM_IOCTL_DEF_DRV(EDU_DRM_XFER, edu_drm_xfer_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(EDU_DRM_QUERY, edu_drm_query_ioctl, DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(edu_drm_fops);

static const struct drm_driver edu_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER,
	.gem_prime_import = edu_drm_gem_prime_import,
	.ioctls = edu_drm_ioctls,
	.num_ioctls = ARRAY_SIZE(edu_drm_ioctls),
	.fops = &edu_drm_fops,
	.name = "edu_drm",
	.desc = "Test-only render node on QEMU's edu DMA engine",
	.date = "20250101",
	.major = 1,
	.minor = 0,
};

/* drmm action: the DRM device is released, its last file closed */
static void edu_drm_fini(struct drm_device *ddev, void *data)
{
	struct edu_drm *edrm = data;

	if (edrm->bounce)
		dma_free_coherent(edu_dma_dev(edrm->edu), EDU_DMA_MAX_LEN,
				  edrm->bounce, edrm->bounce_dma);
	edu_dma_put(edrm->edu);
}

static int edu_drm_create_locked(struct file *file,
				 struct edu_drm_create __user *uarg)
{
	struct edu_drm_create arg;
	struct drm_device *ddev;
	struct edu_drm *edrm;
	struct pci_dev *pdev;
	struct edu_dma *edu;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.pad)
		return -EINVAL;
	if (arg.edu_bdf > 0xffff)
		return -ENODEV;

	pdev = pci_get_domain_bus_and_slot(0, arg.edu_bdf >> 8,
					   arg.edu_bdf & 0xff);
	if (!pdev)
		return -ENODEV;
	/* Holds edu bound, so its struct device stays too */
	edu = edu_dma_get_pci(pdev);
	pci_dev_put(pdev);
	if (!edu)
		return -ENODEV;

	ddev = drm_dev_alloc(&edu_drm_driver, edu_dma_dev(edu));
	if (IS_ERR(ddev)) {
		edu_dma_put(edu);
		return PTR_ERR(ddev);
	}
	edrm = drmm_kzalloc(ddev, sizeof(*edrm), GFP_KERNEL);
	if (!edrm) {
		edu_dma_put(edu);
		ret = -ENOMEM;
		goto err_put;
	}
	edrm->edu = edu;
	/* From here on the DRM device's release gives edu back */
	ret = drmm_add_action_or_reset(ddev, edu_drm_fini, edrm);
	if (ret)
		goto err_put;
	edrm->bounce = dma_alloc_coherent(edu_dma_dev(edu), EDU_DMA_MAX_LEN,
					  &edrm->bounce_dma, GFP_KERNEL);
	if (!edrm->bounce) {
		ret = -ENOMEM;
		goto err_put;
	}
	ddev->dev_private = edrm;

	ret = drm_dev_register(ddev, 0);
	if (ret)
		goto err_put;

	arg.render_minor = ddev->render->index;
	if (copy_to_user(uarg, &arg, sizeof(arg))) {
		/* The node was visible: someone may have opened it */
		drm_dev_unplug(ddev);
		ret = -EFAULT;
		goto err_put;
	}
	file->private_data = ddev;
	return 0;

err_put:
	drm_dev_put(ddev);
	return ret;
}

/* Serialises EDU_DRM_CREATE: one device per file */
static DEFINE_MUTEX(edu_drm_create_lock);

static long edu_drm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	int ret;

	if (cmd != EDU_DRM_CREATE)
		return -ENOTTY;

	mutex_lock(&edu_drm_create_lock);
	if (file->private_data)
		ret = -EBUSY;
	else
		ret = edu_drm_create_locked(file, (void __user *)arg);
	mutex_unlock(&edu_drm_create_lock);
	return ret;
}

/*
 * Unplug: render files still open get ENODEV from every ioctl and keep
 * the device (and edu) until they close, their objects freed then.
 */
static int edu_drm_release(struct inode *inode, struct file *file)
{
	struct drm_device *ddev = file->private_data;

	if (ddev) {
		drm_dev_unplug(ddev);
		drm_dev_put(ddev);
	}
	return 0;
}

/* misc_open() left the miscdevice there: a file starts with no device */
static int edu_drm_open(struct inode *inode, struct file *file)
{
	file->private_data = NULL;
	return 0;
}

static const struct file_operations edu_drm_ctl_fops = {
	.owner = THIS_MODULE,
	.open = edu_drm_open,
	.unlocked_ioctl = edu_drm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = edu_drm_release,
};

static struct miscdevice edu_drm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "edu_drm",
	.fops = &edu_drm_ctl_fops,
	.mode = 0600,
};
module_misc_device(edu_drm_misc);

MODULE_DESCRIPTION("Test-only DRM render node on QEMU's edu DMA engine");
MODULE_LICENSE("GPL");
