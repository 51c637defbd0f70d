/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DRM PRIME for the selftests and dmabuf-test, through libdrm as a GPU
 * stack uses it (drmPrimeFDToHandle(), drmPrimeHandleToFD(),
 * drmCloseBufferHandle()), plus the test-only edu DRM device
 * (include/uapi/misc/edu_drm.h): its control file /dev/edu_drm, which
 * creates a render node on an edu device, and the render node's XFER and
 * QUERY ioctls.
 *
 * Functions return 0 (or a descriptor) or the negative errno the kernel
 * gave; they never exit or print, so a test can assert on the exact error.
 */
#ifndef SELFTESTS_VFIO_DRM_UTIL_H
#define SELFTESTS_VFIO_DRM_UTIL_H

/*
 * libdrm's <drm.h> and the kernel's <drm/drm.h> share their include
 * guard: xf86drm.h comes first, so <misc/edu_drm.h> uses libdrm's copy.
 */
#include <xf86drm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <misc/edu_drm.h>

#define EDU_DRM_CTL_PATH	"/dev/edu_drm"
#define DRM_DEV_DIR		"/dev/dri"

/**
 * struct edu_drm - a DRM device created on an edu, and a file on it
 * @ctl: its control file (/dev/edu_drm); closing it unplugs the device
 * @fd: an open file of its render node, or -1
 * @minor: the render node's minor: @path is /dev/dri/renderD<@minor>
 * @path: the render node
 */
struct edu_drm {
	int ctl;
	int fd;
	uint32_t minor;
	char path[64];
};

#define EDU_DRM_INIT	{ .ctl = -1, .fd = -1 }

/* EDU_DRM_CREATE on an open control file; @minor may be NULL */
int edu_drm_ctl_create(int ctl, uint32_t edu_bdf, uint32_t pad,
		       uint32_t *minor);
/*
 * Open EDU_DRM_CTL_PATH, create a DRM device on edu @edu_bdf (bus << 8 |
 * devfn) and open its render node. On failure nothing stays open (-ENOENT:
 * no /dev/edu_drm; the errno of the create or of the open otherwise).
 */
int edu_drm_create(struct edu_drm *d, uint32_t edu_bdf);
/* Another file on @d's render node: a descriptor or -errno */
int edu_drm_open_render(const struct edu_drm *d);
/* Close the render file, then the control file (each if open) */
void edu_drm_destroy(struct edu_drm *d);

/* DRM_IOCTL_EDU_DRM_XFER: @dir EDU_DRM_TO_BO (@data into the object) or _FROM_BO */
int edu_drm_xfer(int fd, uint32_t handle, uint32_t dir, uint64_t offset,
		 void *data, uint64_t size);
/* DRM_IOCTL_EDU_DRM_QUERY of @handle into @q */
int edu_drm_query(int fd, uint32_t handle, struct drm_edu_drm_query *q);

/* libdrm's PRIME calls, errno as the return value */
int drm_prime_import(int fd, int buf, uint32_t *handle);
int drm_prime_export(int fd, uint32_t handle, uint32_t flags, int *buf);
int drm_close_handle(int fd, uint32_t handle);
/* DRM_CAP_PRIME: 1 when the device imports, 0 when not, or -errno */
int drm_can_import(int fd);
/* The driver name of the DRM file @fd (drmGetVersion()) */
int drm_driver_name(int fd, char *name, size_t len);
/*
 * Open the first node of /dev/dri whose driver is @name: a render node
 * (renderD*) when @render, else a primary node (card*). Its path goes to
 * @path if not NULL. A descriptor, or -ENOENT when there is none.
 */
int drm_open_driver(const char *name, bool render, char *path, size_t len);

#endif /* SELFTESTS_VFIO_DRM_UTIL_H */
