/* SPDX-License-Identifier: MIT */
/*
 * Dynamic PRIME import: a GEM object over a dma-buf attached with
 * peer2peer and a real invalidate, mapped at use and unmapped when the
 * exporter moves or revokes the buffer (drivers/gpu/drm/drm_prime_dynamic.c).
 */
#ifndef __DRM_PRIME_DYNAMIC_H__
#define __DRM_PRIME_DYNAMIC_H__

#include <drm/drm_gem.h>

struct dma_buf;
struct device;
struct drm_device;
struct sg_table;
struct drm_gem_dynamic_object;

/**
 * struct drm_gem_dynamic_funcs - a driver's part in a dynamic PRIME import
 */
struct drm_gem_dynamic_funcs {
	/**
	 * @invalidate:
	 *
	 * Optional. Called with the buffer's reservation lock held when the
	 * exporter moves or revokes the buffer, before the helper unmaps
	 * the object's mapping. The driver stops every use of the mapping
	 * here: work it already queued is tracked by fences in the buffer's
	 * reservation object, which the exporter waits for; it must not
	 * start new work on the old mapping.
	 */
	void (*invalidate)(struct drm_gem_dynamic_object *dobj);
};

/**
 * struct drm_gem_dynamic_object - a GEM object imported dynamically
 * @base: the GEM object; obj->import_attach is the dynamic attachment and
 *	obj->resv the buffer's reservation object
 * @funcs: the driver's callbacks
 * @sgt: the current mapping, under the reservation lock: NULL until
 *	drm_gem_dynamic_object_map() makes it and after an invalidation
 * @invalidations: how many times the exporter invalidated the mapping,
 *	under the reservation lock
 *
 * Drivers embed it in their own object type (allocated with
 * &drm_driver.gem_create_object, whose &drm_gem_object_funcs.free calls
 * drm_gem_dynamic_object_release() before freeing it) or use it as is.
 */
struct drm_gem_dynamic_object {
	struct drm_gem_object base;
	const struct drm_gem_dynamic_funcs *funcs;
	struct sg_table *sgt;
	u64 invalidations;
};

#define to_drm_gem_dynamic_object(obj) \
	container_of(obj, struct drm_gem_dynamic_object, base)

struct drm_gem_object *
drm_gem_prime_import_dynamic(struct drm_device *dev, struct dma_buf *dma_buf,
			     struct device *attach_dev,
			     const struct drm_gem_dynamic_funcs *funcs);
struct sg_table *drm_gem_dynamic_object_map(struct drm_gem_dynamic_object *dobj);
void drm_gem_dynamic_object_release(struct drm_gem_object *obj);

#endif /* __DRM_PRIME_DYNAMIC_H__ */
