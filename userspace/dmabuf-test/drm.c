// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-test drm: import the exported buffer into a DRM render node the
 * way a GPU stack does (libdrm's drmPrimeFDToHandle()), on the test-only
 * edu DRM device, and have its copy engine (edu's DMA) write a pattern
 * into the object and read it back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "drm_util.h"
#include "dmabuf-test.h"

static const char *xfer_cause(int err)
{
	switch (err) {
	case EREMOTEIO:
		return "the PCI core says edu cannot reach the BAR peer to peer (no common switch, and a host bridge not known to forward P2P)";
	case ENODEV:
		return "the buffer is revoked: memory decode is off, or the device is in reset, low power or closed";
	case EINVAL:
		return "offset and length must lie inside the buffer, at most 16 KiB per transfer";
	case ENOTTY:
		return "that render node is not an edu_drm device";
	default:
		return NULL;
	}
}

static const char *import_cause(int err)
{
	switch (err) {
	case EOPNOTSUPP:
		return "the exporter refused the importer: it does not drop its mappings when the buffer is revoked";
	case ENODEV:
		return "the DRM device was unplugged";
	case EINVAL:
		return "not a dma-buf";
	default:
		return NULL;
	}
}

int cmd_drm(struct ctx *c, const char *importer, uint32_t len, uint32_t seed,
	    const char *rig_file)
{
	struct edu_drm d = EDU_DRM_INIT;
	struct drm_edu_drm_query q;
	uint8_t *want, *back, *bar;
	char name[64] = "?";
	uint32_t handle, n, i;
	size_t bar_size;
	uint64_t off;
	int ret, bad = 0;

	if (!importer)
		die("drm needs --importer EDU_BDF: the edu device (bound to edu_dma) that carries the DRM device");
	ret = edu_drm_create(&d, pci_bdf_id(importer));
	if (ret)
		explain("creating the DRM device on the edu", -ret,
			ret == -ENOENT && !d.path[0] ? "no /dev/edu_drm: a kernel with CONFIG_EDU_DRM (modprobe edu_drm)" :
			ret == -ENOENT ? "its render node did not appear in /dev/dri (is devtmpfs mounted?)" :
			ret == -ENODEV ? "that edu is not bound to edu_dma" : NULL);
	drm_driver_name(d.fd, name, sizeof(name));
	printf("DRM device %s on edu %s: render node %s\n", name, importer,
	       d.path);
	if (drm_can_import(d.fd) != 1)
		die("%s does not import dma-bufs (DRM_CAP_PRIME)", d.path);

	ret = drm_prime_import(d.fd, c->buf, &handle);
	if (ret)
		explain("DRM_IOCTL_PRIME_FD_TO_HANDLE", -ret,
			import_cause(-ret));
	ret = edu_drm_query(d.fd, handle, &q);
	if (ret)
		explain("DRM_IOCTL_EDU_DRM_QUERY", -ret, NULL);
	printf("GEM handle %u: %" PRIu64 " bytes, imported dynamically, %s\n",
	       handle, (uint64_t)q.size,
	       q.mapped ? "mapped" : "not mapped until its first use");

	want = malloc(len);
	back = malloc(len);
	if (!want || !back)
		die("out of memory");
	bar = vfio_mmap_region(c->dev, c->bar, &bar_size);
	/* One transfer each way at the start of each slice */
	for (i = 0, off = 0; i < c->sl.nr; off += c->sl.r[i++].length) {
		uint64_t slice_off = c->sl.r[i].offset;

		n = len < c->sl.r[i].length ? len : c->sl.r[i].length;
		fill_pattern(want, n, seed + i);
		memset(back, 0, n);
		ret = edu_drm_xfer(d.fd, handle, EDU_DRM_TO_BO, off, want, n);
		if (ret)
			explain("DRM_IOCTL_EDU_DRM_XFER into the object", -ret,
				xfer_cause(-ret));
		ret = edu_drm_xfer(d.fd, handle, EDU_DRM_FROM_BO, off, back, n);
		if (ret)
			explain("DRM_IOCTL_EDU_DRM_XFER out of the object", -ret,
				xfer_cause(-ret));
		printf("slice %u: edu wrote %u bytes at object offset 0x%" PRIx64 " (BAR%d offset 0x%" PRIx64 "), read back: %s\n",
		       i, n, off, c->bar, slice_off,
		       memcmp(want, back, n) ? "MISMATCH" : "identical");
		bad += !!memcmp(want, back, n);
		if (bar) {
			bool ok = !memcmp(bar + slice_off, want, n);

			printf("  through the BAR: %s\n",
			       ok ? "the bytes are there" : "MISMATCH");
			bad += !ok;
		}
		if (rig_file) {
			char label[32];

			snprintf(label, sizeof(label), "dmabuf-test-drm%u", i);
			rig_check(label, rig_file, slice_off, want, n);
		}
	}
	ret = edu_drm_query(d.fd, handle, &q);
	if (ret)
		explain("DRM_IOCTL_EDU_DRM_QUERY", -ret, NULL);
	printf("object: %s, %" PRIu64 " invalidation%s\n",
	       q.mapped ? "mapped" : "NOT MAPPED", (uint64_t)q.invalidations,
	       q.invalidations == 1 ? "" : "s");
	bad += !q.mapped;
	ret = drm_close_handle(d.fd, handle);
	if (ret)
		explain("closing the GEM handle", -ret, NULL);
	edu_drm_destroy(&d);
	if (bar)
		munmap(bar, bar_size);
	free(want);
	free(back);
	printf("%s\n", bad ? "drm: FAILED" : "drm: OK");
	return bad ? 1 : 0;
}
