// SPDX-License-Identifier: MIT
/*
 * Dynamic PRIME import.
 *
 * drm_gem_prime_import_dev() attaches statically: it maps the buffer once,
 * at import, keeps that mapping for the object's lifetime, and cannot take
 * memory whose exporter may move it or take it away. Exporters of memory
 * that only peers reach (a PCI BAR exported by VFIO) or that the device's
 * owner can revoke at any time refuse such importers.
 *
 * The helpers here import a dma-buf as a GEM object attached dynamically,
 * with peer2peer allowed and a move_notify that really drops the mapping:
 * the object is mapped at its first use, under the buffer's reservation
 * lock, and unmapped when the exporter invalidates it. The attachment is
 * declared revocable (see Documentation/driver-api/dma-buf-phys.rst, "Who
 * may import revocable memory"): after move_notify returns the object
 * holds no mapping, and work the driver queued before is tracked by
 * fences in the buffer's reservation object, which a revoking exporter
 * waits for. The next use maps again, or fails with the exporter's error
 * (-ENODEV while the buffer is revoked).
 *
 * Locking: obj->resv is the buffer's reservation object; the mapping and
 * the invalidation count are under its lock. The driver's invalidate
 * callback runs under it too, from the exporter's move_notify.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/export.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_prime_dynamic.h>

static void drm_gem_dynamic_unmap_locked(struct drm_gem_dynamic_object *dobj)
{
	struct dma_buf_attachment *attach = dobj->base.import_attach;

	dma_resv_assert_held(dobj->base.resv);
	if (!dobj->sgt)
		return;
	dma_buf_unmap_attachment(attach, dobj->sgt, DMA_BIDIRECTIONAL);
	dobj->sgt = NULL;
}

static void drm_gem_dynamic_move_notify(struct dma_buf_attachment *attach)
{
	struct drm_gem_dynamic_object *dobj = attach->importer_priv;

	dma_resv_assert_held(dobj->base.resv);
	dobj->invalidations++;
	if (dobj->funcs && dobj->funcs->invalidate)
		dobj->funcs->invalidate(dobj);
	drm_gem_dynamic_unmap_locked(dobj);
}

static const struct dma_buf_attach_ops drm_gem_dynamic_attach_ops = {
	.allow_peer2peer = true,
	.revocable = true,
	.move_notify = drm_gem_dynamic_move_notify,
};

/**
 * drm_gem_dynamic_object_release - tear down a dynamically imported object
 * @obj: the GEM object, embedded in a &struct drm_gem_dynamic_object
 *
 * Drops the object's mapping, detaches it from its dma-buf, puts the
 * dma-buf and releases the GEM object. A driver that embeds
 * &struct drm_gem_dynamic_object in its own type calls this from its
 * &drm_gem_object_funcs.free before freeing its object; without a
 * &drm_driver.gem_create_object the helper's own free does it.
 */
void drm_gem_dynamic_object_release(struct drm_gem_object *obj)
{
	struct drm_gem_dynamic_object *dobj = to_drm_gem_dynamic_object(obj);
	struct dma_buf_attachment *attach = obj->import_attach;

	if (attach) {
		struct dma_buf *dma_buf = attach->dmabuf;

		dma_resv_lock(obj->resv, NULL);
		drm_gem_dynamic_unmap_locked(dobj);
		dma_resv_unlock(obj->resv);
		dma_buf_detach(dma_buf, attach);
		obj->import_attach = NULL;
		dma_buf_put(dma_buf);
	}
	drm_gem_object_release(obj);
}
EXPORT_SYMBOL(drm_gem_dynamic_object_release);

static void drm_gem_dynamic_object_free(struct drm_gem_object *obj)
{
	drm_gem_dynamic_object_release(obj);
	kfree(to_drm_gem_dynamic_object(obj));
}

static const struct drm_gem_object_funcs drm_gem_dynamic_object_funcs = {
	.free = drm_gem_dynamic_object_free,
};

/**
 * drm_gem_prime_import_dynamic - import a dma-buf as a dynamic GEM object
 * @dev: the DRM device to import into
 * @dma_buf: the dma-buf
 * @attach_dev: the device that will reach the buffer by DMA (the exporter
 *	checks the peer-to-peer path against it)
 * @funcs: the driver's callbacks, or NULL
 *
 * For &drm_driver.gem_prime_import. A buffer exported from an object of
 * @dev gives that object back with a new reference. Otherwise the buffer
 * is attached dynamically, with peer2peer allowed and declared revocable,
 * to a new &struct drm_gem_dynamic_object (or the driver's type that
 * embeds it, from &drm_driver.gem_create_object) of the buffer's size,
 * sharing the buffer's reservation object. Nothing is mapped yet:
 * drm_gem_dynamic_object_map() maps at use.
 *
 * Return: the GEM object, or an ERR_PTR(): -ENOMEM, or the exporter's
 * refusal of the attachment (-EOPNOTSUPP from an exporter that takes no
 * such importer, -ENODEV from one whose buffer is gone).
 */
struct drm_gem_object *
drm_gem_prime_import_dynamic(struct drm_device *dev, struct dma_buf *dma_buf,
			     struct device *attach_dev,
			     const struct drm_gem_dynamic_funcs *funcs)
{
	struct dma_buf_attachment *attach;
	struct drm_gem_dynamic_object *dobj;
	struct drm_gem_object *obj;

	if (drm_gem_is_prime_exported_dma_buf(dev, dma_buf)) {
		/* Our own object comes back: a reference on it, as for static imports */
		obj = dma_buf->priv;
		drm_gem_object_get(obj);
		return obj;
	}

	if (dev->driver->gem_create_object) {
		obj = dev->driver->gem_create_object(dev, dma_buf->size);
		if (IS_ERR(obj))
			return obj;
		dobj = to_drm_gem_dynamic_object(obj);
	} else {
		dobj = kzalloc(sizeof(*dobj), GFP_KERNEL);
		if (!dobj)
			return ERR_PTR(-ENOMEM);
		obj = &dobj->base;
	}
	if (!obj->funcs)
		obj->funcs = &drm_gem_dynamic_object_funcs;
	dobj->funcs = funcs;
	drm_gem_private_object_init(dev, obj, dma_buf->size);

	attach = dma_buf_dynamic_attach(dma_buf, attach_dev,
					&drm_gem_dynamic_attach_ops, dobj);
	if (IS_ERR(attach)) {
		/* Not attached: the free callback only releases the object */
		drm_gem_object_put(obj);
		return ERR_CAST(attach);
	}

	get_dma_buf(dma_buf);
	obj->import_attach = attach;
	obj->resv = dma_buf->resv;
	return obj;
}
EXPORT_SYMBOL(drm_gem_prime_import_dynamic);

/**
 * drm_gem_dynamic_object_map - the object's mapping, made now if needed
 * @dobj: the object
 *
 * The caller holds the object's reservation lock (obj->resv) and keeps it
 * while the device uses the mapping, or tracks that use with a fence it
 * adds to obj->resv before unlocking: the exporter may invalidate the
 * mapping whenever the lock is free.
 *
 * Return: the DMA-mapped table (DMA addresses only: the table may have no
 * pages, never use sg_page() on it), or an ERR_PTR() from the exporter:
 * -ENODEV while it has revoked the buffer, -EREMOTEIO when no
 * peer-to-peer path reaches it, -ENOMEM.
 */
struct sg_table *drm_gem_dynamic_object_map(struct drm_gem_dynamic_object *dobj)
{
	struct drm_gem_object *obj = &dobj->base;
	struct sg_table *sgt;

	dma_resv_assert_held(obj->resv);
	if (dobj->sgt)
		return dobj->sgt;
	if (!obj->import_attach)
		return ERR_PTR(-ENODEV);
	sgt = dma_buf_map_attachment(obj->import_attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return sgt;
	dobj->sgt = sgt;
	return sgt;
}
EXPORT_SYMBOL(drm_gem_dynamic_object_map);
