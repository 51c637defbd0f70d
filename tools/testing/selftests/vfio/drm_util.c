// SPDX-License-Identifier: GPL-2.0
/*
 * DRM PRIME and the edu DRM device for the selftests; see drm_util.h.
 * Every libdrm call of the selftests is here: its API is CamelCase.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "drm_util.h"

int edu_drm_ctl_create(int ctl, uint32_t edu_bdf, uint32_t pad,
		       uint32_t *minor)
{
	struct edu_drm_create c = { .edu_bdf = edu_bdf, .pad = pad };

	if (ioctl(ctl, EDU_DRM_CREATE, &c))
		return -errno;
	if (minor)
		*minor = c.render_minor;
	return 0;
}

int edu_drm_create(struct edu_drm *d, uint32_t edu_bdf)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->ctl = open(EDU_DRM_CTL_PATH, O_RDWR | O_CLOEXEC);
	if (d->ctl < 0)
		return -errno;
	ret = edu_drm_ctl_create(d->ctl, edu_bdf, 0, &d->minor);
	if (ret)
		goto fail;
	snprintf(d->path, sizeof(d->path), DRM_DEV_DIR "/renderD%u", d->minor);
	d->fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	close(d->ctl);
	d->ctl = -1;
	return ret;
}

int edu_drm_open_render(const struct edu_drm *d)
{
	int fd = open(d->path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void edu_drm_destroy(struct edu_drm *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->ctl >= 0)
		close(d->ctl);
	d->fd = -1;
	d->ctl = -1;
}

int edu_drm_xfer(int fd, uint32_t handle, uint32_t dir, uint64_t offset,
		 void *data, uint64_t size)
{
	struct drm_edu_drm_xfer x = {
		.handle = handle,
		.dir = dir,
		.offset = offset,
		.size = size,
		.data = (uintptr_t)data,
	};

	return drmIoctl(fd, DRM_IOCTL_EDU_DRM_XFER, &x) ? -errno : 0;
}

int edu_drm_query(int fd, uint32_t handle, struct drm_edu_drm_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return drmIoctl(fd, DRM_IOCTL_EDU_DRM_QUERY, q) ? -errno : 0;
}

int drm_prime_import(int fd, int buf, uint32_t *handle)
{
	return drmPrimeFDToHandle(fd, buf, handle) ? -errno : 0;
}

int drm_prime_export(int fd, uint32_t handle, uint32_t flags, int *buf)
{
	return drmPrimeHandleToFD(fd, handle, flags, buf) ? -errno : 0;
}

int drm_close_handle(int fd, uint32_t handle)
{
	return drmCloseBufferHandle(fd, handle) ? -errno : 0;
}

int drm_can_import(int fd)
{
	uint64_t v = 0;

	if (drmGetCap(fd, DRM_CAP_PRIME, &v))
		return -errno;
	return !!(v & DRM_PRIME_CAP_IMPORT);
}

int drm_driver_name(int fd, char *name, size_t len)
{
	drmVersionPtr v;

	errno = 0;
	v = drmGetVersion(fd);
	if (!v)
		return errno ? -errno : -EINVAL;
	snprintf(name, len, "%.*s", v->name_len, v->name ? v->name : "");
	drmFreeVersion(v);
	return 0;
}

int drm_open_driver(const char *name, bool render, char *path, size_t len)
{
	const char *prefix = render ? "renderD" : "card";
	char p[300], drv[64];
	struct dirent *de;
	int fd, ret = -ENOENT;
	DIR *dir;

	dir = opendir(DRM_DEV_DIR);
	if (!dir)
		return -ENOENT;
	while (ret < 0 && (de = readdir(dir))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(p, sizeof(p), DRM_DEV_DIR "/%s", de->d_name);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!drm_driver_name(fd, drv, sizeof(drv)) &&
		    !strcmp(drv, name)) {
			if (path)
				snprintf(path, len, "%s", p);
			ret = fd;
		} else {
			close(fd);
		}
	}
	closedir(dir);
	return ret;
}

