/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * The test-only edu DRM device: a render node whose GEM objects are
 * dma-bufs imported with PRIME (DRM_IOCTL_PRIME_FD_TO_HANDLE), the way a
 * GPU driver imports them, and whose "copy engine" is edu's DMA engine.
 *
 * /dev/edu_drm is its control file: each open file may create one DRM
 * device on an edu device (EDU_DRM_CREATE); closing that file unplugs the
 * DRM device, and render-node files still open on it fail every later
 * ioctl with ENODEV. On the render node, DRM_IOCTL_EDU_DRM_XFER moves
 * bytes between user memory and an offset of an imported object through
 * edu's DMA engine, and DRM_IOCTL_EDU_DRM_QUERY tells what the driver
 * knows of an object (mapped, invalidations).
 *
 * Objects are imported dynamically (peer2peer, revocable, see
 * drm_gem_prime_import_dynamic()): the buffer is mapped at the first
 * transfer and unmapped when its exporter invalidates it; a transfer while
 * the exporter has revoked the buffer fails with ENODEV.
 */
#ifndef _UAPI_MISC_EDU_DRM_H
#define _UAPI_MISC_EDU_DRM_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <drm/drm.h>

/**
 * define EDU_DRM_MAX_XFER - most bytes one DRM_IOCTL_EDU_DRM_XFER moves
 *
 * edu's engine takes 100 ms of virtual time per DMA of at most 2 KiB, and
 * a transfer holds the buffer's reservation lock, which a revoke waits
 * for, so it stays short.
 */
#define EDU_DRM_MAX_XFER	(16U << 10)

/**
 * struct edu_drm_create - EDU_DRM_CREATE argument
 * @edu_bdf: the edu device: bus << 8 | devfn (domain 0), bound to edu_dma
 * @render_minor: out: the render node is /dev/dri/renderD<@render_minor>
 * @pad: must be 0
 *
 * Errors: EBUSY this file already created a device; ENODEV no such edu
 * bound to edu_dma; EINVAL nonzero @pad.
 */
struct edu_drm_create {
	__u32 edu_bdf;
	__u32 render_minor;
	__u32 pad;
};

#define EDU_DRM_IOC_MAGIC	0xef
#define EDU_DRM_CREATE		_IOWR(EDU_DRM_IOC_MAGIC, 1, struct edu_drm_create)

/* &struct drm_edu_drm_xfer.dir */
#define EDU_DRM_TO_BO		0	/* user memory (@data) into the object */
#define EDU_DRM_FROM_BO		1	/* the object into user memory (@data) */

/**
 * struct drm_edu_drm_xfer - DRM_IOCTL_EDU_DRM_XFER argument
 * @handle: a GEM handle of this file
 * @dir: EDU_DRM_TO_BO or EDU_DRM_FROM_BO
 * @offset: first byte in the object
 * @size: 1 to %EDU_DRM_MAX_XFER
 * @data: user pointer to @size bytes
 *
 * Errors: ENOENT no object with @handle; EINVAL bad @dir or @size, or
 * [@offset, @offset + @size) not inside the object; ENODEV the exporter
 * revoked the buffer, or the DRM device was unplugged; EREMOTEIO or
 * another mapping error: the exporter could not map the buffer for edu
 * (the PCI core found no P2P path); ERANGE a DMA address beyond edu's
 * DMA mask; EIO or ETIMEDOUT edu's engine failed; EINTR a signal came
 * while waiting for the buffer.
 */
struct drm_edu_drm_xfer {
	__u32 handle;
	__u32 dir;
	__u64 offset;
	__u64 size;
	__u64 data;
};

/**
 * struct drm_edu_drm_query - DRM_IOCTL_EDU_DRM_QUERY argument
 * @handle: in: a GEM handle of this file
 * @mapped: out: 1 while the driver holds a mapping of the object
 * @size: out: the object's size in bytes
 * @invalidations: out: how many times the exporter invalidated the
 *	object's mapping (move_notify calls)
 *
 * Errors: ENOENT no object with @handle; ENODEV the DRM device was
 * unplugged; EINTR a signal came while waiting for the buffer.
 */
struct drm_edu_drm_query {
	__u32 handle;
	__u32 mapped;
	__u64 size;
	__u64 invalidations;
};

#define DRM_EDU_DRM_XFER	0x00
#define DRM_EDU_DRM_QUERY	0x01

#define DRM_IOCTL_EDU_DRM_XFER \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EDU_DRM_XFER, struct drm_edu_drm_xfer)
#define DRM_IOCTL_EDU_DRM_QUERY \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDU_DRM_QUERY, struct drm_edu_drm_query)

#endif /* _UAPI_MISC_EDU_DRM_H */
