// SPDX-License-Identifier: GPL-2.0
/*
 * DRM PRIME import of VFIO BAR dma-bufs, through libdrm as a GPU stack
 * calls it (drmPrimeFDToHandle(), drmPrimeHandleToFD(),
 * drmCloseBufferHandle()), into the test-only edu DRM device
 * (include/uapi/misc/edu_drm.h): a render node whose GEM objects are
 * imported dynamically (peer2peer, revocable: mapped at the first
 * transfer, unmapped when VFIO revokes the buffer) and whose copy engine
 * is QEMU's edu.
 *
 * The exporter is the ivshmem-plain of each ivshmem/edu pair, whose BAR2
 * is a file on the host. Import attaches and maps nothing, so it works for
 * every pair; what the first transfer's mapping gives is the PCI core's
 * P2P answer, and data moves only where edu's DMA is untranslated (a raw
 * bus address through the vIOMMU would fault, so no transfer is tried
 * there):
 *
 *   plan   rootbus      switch                 rootports
 *   q35    EREMOTEIO    maps, no transfer      EREMOTEIO
 *   epyc   data moves   data moves             data moves
 *
 * A transfer while VFIO has revoked the buffer is refused with ENODEV
 * before anything is mapped, on every pair. Static importers (vgem's and
 * vkms's drm_gem_prime_import()) are refused with EOPNOTSUPP, and a RAM
 * dma-buf of vgem moves data through edu on every plan.
 *
 * Where bytes should be in the BAR, or should have stayed there after a
 * refused transfer, the runner checks the host file after the machine
 * stopped (RIG-CHECK). This program's slots are 9.5 MiB to 10 MiB of the
 * BAR, which no other program writes.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "drm_util.h"
#include "../kselftest_harness.h"
#include "vfio_util.h"

#define PG		0x1000ULL
#define IV_BAR_SIZE	(16ULL << 20)
#define SLOT_BASE	(0x980000ULL)	/* 9.5 MiB */
#define SLOT_SIZE	(32ULL << 10)
#define XLEN		2048
#define NR_STATIC	100

enum slot {
	SL_XFER_A, SL_XFER_B, SL_HANDLES, SL_REEXPORT, SL_DECODE, SL_RESET,
	SL_CLOSE, SL_ORDER_RENDER, SL_ORDER_BUF, SL_ORDER_VFIO, SL_ORDER_CTL,
	SL_ARGS, SL_STATIC, SL_NR,
};

static_assert(SLOT_BASE + SL_NR * SLOT_SIZE <= (10ULL << 20),
	      "the slots end at 10 MiB");

static uint64_t slot_off(int slot)
{
	return SLOT_BASE + slot * SLOT_SIZE;
}

struct pair_desc {
	const char *name;
	const char *iv_slot;
	const char *edu_slot;
	int map_q35;		/* the mapping on q35: 0 or -errno */
	bool bus_reset;		/* VFIO_DEVICE_RESET works */
};

static const struct pair_desc pair_rootbus = {
	.name = "rootbus", .iv_slot = "03.0", .edu_slot = "04.0",
	.map_q35 = -EREMOTEIO, .bus_reset = false,
};

static const struct pair_desc pair_switch = {
	.name = "switch", .iv_slot = "05.0", .edu_slot = "05.0",
	.map_q35 = 0, .bus_reset = true,
};

static const struct pair_desc pair_rootports = {
	.name = "rootports", .iv_slot = "07.0", .edu_slot = "08.0",
	.map_q35 = -EREMOTEIO, .bus_reset = true,
};

static void __attribute__((constructor)) save_drivers(void)
{
	const struct pair_desc *pairs[] = {
		&pair_rootbus, &pair_switch, &pair_rootports,
	};
	char bdf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		if (!pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
				   pairs[i]->iv_slot, bdf, sizeof(bdf)))
			pci_save_driver(bdf);
		if (!pci_find_root(EDU_VENDOR, EDU_DEVICE, pairs[i]->edu_slot,
				   bdf, sizeof(bdf)))
			pci_save_driver(bdf);
	}
}

/* One pair: the exporter's VFIO device, a DRM device on its edu */
struct rig {
	const struct pair_desc *p;
	char iv_bdf[32];
	char edu_bdf[32];
	int iommufd;
	int vfio;		/* exporter's cdev, bound to iommufd */
	uint8_t *bar;		/* BAR2 through VFIO: the CPU's view */
	size_t bar_size;
	struct edu_drm drm;	/* /dev/edu_drm and a render file */
	int map;		/* what mapping for edu gives here */
	bool moves;		/* data moves */
	bool try_xfer;		/* a transfer moves data or is refused unmapped */
	bool bufinfo;		/* debugfs bufinfo is there */
};

static void rig_setup(struct __test_metadata *_metadata, struct rig *r,
		      const struct pair_desc *p)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	int ret;

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->iommufd = -1;
	r->vfio = -1;
	r->drm.ctl = -1;
	r->drm.fd = -1;
	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE, p->iv_slot,
				   r->iv_bdf, sizeof(r->iv_bdf)));
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE, p->edu_slot,
				   r->edu_bdf, sizeof(r->edu_bdf)));
	ASSERT_EQ(0, pci_bind_driver(r->iv_bdf, "vfio-pci"));
	ASSERT_EQ(0, pci_bind_driver(r->edu_bdf, "edu_dma"));

	r->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, r->iommufd);
	r->vfio = vfio_cdev_open(r->iv_bdf);
	ASSERT_LE(0, r->vfio);
	bind.iommufd = r->iommufd;
	ASSERT_EQ(0, ioctl(r->vfio, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	r->bar = vfio_mmap_region(r->vfio, IVSHMEM_BAR, &r->bar_size);
	ASSERT_NE(NULL, r->bar);
	ASSERT_EQ(IV_BAR_SIZE, r->bar_size);

	ret = edu_drm_create(&r->drm, pci_bdf_id(r->edu_bdf));
	ASSERT_EQ(0, ret) TH_LOG("EDU_DRM_CREATE on %s: %s", r->edu_bdf,
				 strerror(-ret));
	ASSERT_EQ(1, drm_can_import(r->drm.fd));

	r->moves = plan_epyc();
	r->map = plan_epyc() ? 0 : p->map_q35;
	r->try_xfer = r->moves || r->map;
	r->bufinfo = !access(DMABUF_BUFINFO, R_OK);
}

static void rig_teardown(struct rig *r)
{
	edu_drm_destroy(&r->drm);
	if (r->bar)
		munmap(r->bar, r->bar_size);
	if (r->vfio >= 0)
		close(r->vfio);
	if (r->iommufd >= 0)
		close(r->iommufd);
}

static int export(struct rig *r, const struct vfio_region_dma_range *rg,
		  uint32_t nr)
{
	return vfio_dmabuf_export(r->vfio, IVSHMEM_BAR, O_RDWR | O_CLOEXEC,
				  rg, nr);
}

static int export_slot(struct rig *r, int slot)
{
	const struct vfio_region_dma_range rg = { slot_off(slot), SLOT_SIZE };

	return export(r, &rg, 1);
}

static int import(struct rig *r, int buf, uint32_t *handle)
{
	return drm_prime_import(r->drm.fd, buf, handle);
}

static int xfer(struct rig *r, uint32_t handle, uint32_t dir, uint64_t off,
		void *data, uint64_t len)
{
	return edu_drm_xfer(r->drm.fd, handle, dir, off, data, len);
}

static int query(struct rig *r, uint32_t handle, struct drm_edu_drm_query *q)
{
	return edu_drm_query(r->drm.fd, handle, q);
}

static void host_check(struct rig *r, const char *what, uint64_t off,
		       const void *buf, size_t len)
{
	char label[64], file[64];

	snprintf(label, sizeof(label), "drm-%s-%s", what, r->p->name);
	snprintf(file, sizeof(file), "ivshmem-%s", r->p->name);
	rig_check(label, file, off, buf, len);
}

/*
 * Debugfs agrees: the buffer with inode @ino has @attached attachments,
 * or with @attached < 0 is gone. Nothing to check without debugfs.
 */
static void bufinfo_expect(struct __test_metadata *_metadata, struct rig *r,
			   unsigned long ino, int attached)
{
	struct dmabuf_info bi;

	if (!r->bufinfo)
		return;
	ASSERT_EQ(0, dmabuf_bufinfo(ino, &bi));
	if (attached < 0) {
		ASSERT_FALSE(bi.found) TH_LOG("dma-buf %lu still exists", ino);
		return;
	}
	ASSERT_TRUE(bi.found) TH_LOG("no dma-buf %lu in bufinfo", ino);
	ASSERT_EQ(attached, bi.attached);
}

/* dma-bufs in the system, or -1 without debugfs */
static int bufinfo_objects(struct rig *r)
{
	struct dmabuf_info bi;

	if (!r->bufinfo || dmabuf_bufinfo(0, &bi))
		return -1;
	return bi.objects;
}

/*
 * Write @len bytes of @data at @off of the object and read them back;
 * where no data moves, the transfer must fail as the mapping does.
 * True when the bytes went.
 */
static bool write_read(struct __test_metadata *_metadata, struct rig *r,
		       uint32_t handle, uint64_t off, void *data, size_t len)
{
	uint8_t *back;
	int ret;

	ret = xfer(r, handle, EDU_DRM_TO_BO, off, data, len);
	EXPECT_EQ(r->map, ret) TH_LOG("%s: XFER to the object: %s",
				      r->p->name, strerror(-ret));
	if (ret)
		return false;
	back = calloc(1, len);
	if (!back)
		return false;
	ret = xfer(r, handle, EDU_DRM_FROM_BO, off, back, len);
	EXPECT_EQ(0, ret) TH_LOG("XFER from the object: %s", strerror(-ret));
	EXPECT_EQ(0, memcmp(data, back, len));
	free(back);
	return !ret;
}

FIXTURE(drm) {
	struct rig r;
};

FIXTURE_VARIANT(drm) {
	const struct pair_desc *p;
};

FIXTURE_VARIANT_ADD(drm, rootbus) {
	.p = &pair_rootbus,
};

FIXTURE_VARIANT_ADD(drm, switch) {
	.p = &pair_switch,
};

FIXTURE_VARIANT_ADD(drm, rootports) {
	.p = &pair_rootports,
};

FIXTURE_SETUP(drm)
{
	rig_setup(_metadata, &self->r, variant->p);
}

FIXTURE_TEARDOWN(drm)
{
	rig_teardown(&self->r);
}

/*
 * Two ranges in reverse BAR order. Import attaches edu and maps nothing;
 * a transfer across the boundary of the ranges lands in both, where the
 * exporter's list puts them, and reads back; edu reads what the CPU wrote.
 * Where the PCI core finds no P2P path, both directions fail with
 * EREMOTEIO every time, nothing is mapped and the BAR is untouched.
 */
TEST_F(drm, import_xfer)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg[] = {
		{ slot_off(SL_XFER_B), SLOT_SIZE },
		{ slot_off(SL_XFER_A), SLOT_SIZE },
	};
	/* The last XLEN bytes of range 0 and the first XLEN of range 1 */
	const uint64_t at = SLOT_SIZE - XLEN;
	const uint64_t bar0 = rg[0].offset + SLOT_SIZE - XLEN;
	const uint64_t bar1 = rg[1].offset;
	/* Bytes the CPU wrote in range 1, 16 KiB into it */
	const uint64_t cpu_at = SLOT_SIZE + 4 * PG;
	uint8_t old[2 * XLEN], data[2 * XLEN], both[2 * XLEN];
	uint8_t cpu[XLEN], back[XLEN];
	struct drm_edu_drm_query q;
	struct dmabuf_info bi;
	unsigned long ino;
	uint32_t h;
	int buf, ret;

	fill_pattern(old, sizeof(old), 0x10);
	memcpy(r->bar + bar0, old, XLEN);
	memcpy(r->bar + bar1, old + XLEN, XLEN);
	fill_pattern(cpu, sizeof(cpu), 0x11);
	memcpy(r->bar + rg[1].offset + 4 * PG, cpu, XLEN);

	buf = export(r, rg, ARRAY_SIZE(rg));
	ASSERT_LE(0, buf);
	ino = fd_inode(buf);
	bufinfo_expect(_metadata, r, ino, 0);
	ret = import(r, buf, &h);
	ASSERT_EQ(0, ret) TH_LOG("%s: PRIME import: %s", r->p->name,
				 strerror(-ret));
	ASSERT_NE(0, h);
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(2 * SLOT_SIZE, q.size);
	ASSERT_EQ(0, q.mapped);
	ASSERT_EQ(0, q.invalidations);
	/* One attachment, by edu: the device the exporter judges P2P for */
	if (r->bufinfo) {
		ASSERT_EQ(0, dmabuf_bufinfo(ino, &bi));
		ASSERT_EQ(1, bi.attached);
		ASSERT_STREQ(r->edu_bdf, bi.devs[0]);
	}

	if (!r->try_xfer)
		goto out;
	fill_pattern(data, sizeof(data), 0x12);
	ret = xfer(r, h, EDU_DRM_TO_BO, at, data, sizeof(data));
	ASSERT_EQ(r->map, ret) TH_LOG("%s: XFER to the object: %s",
				      r->p->name, strerror(-ret));
	if (r->map) {
		ASSERT_EQ(r->map, xfer(r, h, EDU_DRM_FROM_BO, cpu_at, back,
				       XLEN));
		ASSERT_EQ(r->map, xfer(r, h, EDU_DRM_TO_BO, at, data,
				       sizeof(data)));
		ASSERT_EQ(0, query(r, h, &q));
		ASSERT_EQ(0, q.mapped);
		ASSERT_EQ(0, memcmp(r->bar + bar0, old, XLEN));
		ASSERT_EQ(0, memcmp(r->bar + bar1, old + XLEN, XLEN));
		host_check(r, "refused-0", bar0, old, XLEN);
		host_check(r, "refused-1", bar1, old + XLEN, XLEN);
		goto out;
	}
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(1, q.mapped);
	ASSERT_EQ(0, xfer(r, h, EDU_DRM_FROM_BO, at, both, sizeof(both)));
	ASSERT_EQ(0, memcmp(data, both, sizeof(both)));
	ASSERT_EQ(0, memcmp(r->bar + bar0, data, XLEN));
	ASSERT_EQ(0, memcmp(r->bar + bar1, data + XLEN, XLEN));
	host_check(r, "xfer-0", bar0, data, XLEN);
	host_check(r, "xfer-1", bar1, data + XLEN, XLEN);
	memset(back, 0, sizeof(back));
	ASSERT_EQ(0, xfer(r, h, EDU_DRM_FROM_BO, cpu_at, back, XLEN));
	ASSERT_EQ(0, memcmp(cpu, back, XLEN));
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(1, q.mapped);
	ASSERT_EQ(0, q.invalidations);
out:
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	ASSERT_EQ(-ENOENT, query(r, h, &q));
	bufinfo_expect(_metadata, r, ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	close(buf);
}

/*
 * The PRIME cache: a file imports a buffer once, and every later import
 * of it, by the same or another descriptor, gives that handle and nothing
 * new. GEM handles are not reference counted: one close ends the handle
 * however many imports returned it. Another file of the render node gets
 * an object (and attachment) of its own.
 */
TEST_F(drm, same_handle)
{
	struct rig *r = &self->r;
	struct drm_edu_drm_query q;
	uint8_t data[64] = { 0 };
	uint32_t h, h2, hb;
	unsigned long ino;
	int buf, dup_fd, fd2;

	buf = export_slot(r, SL_HANDLES);
	ASSERT_LE(0, buf);
	ino = fd_inode(buf);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	ASSERT_EQ(0, import(r, buf, &h));
	/*
	 * The object's attachment, its dma_buf and the file's PRIME cache
	 * each hold the buffer's file
	 */
	ASSERT_EQ(4, dmabuf_fd_refs(buf));
	bufinfo_expect(_metadata, r, ino, 1);

	ASSERT_EQ(0, import(r, buf, &h2));
	ASSERT_EQ(h, h2);
	dup_fd = dup(buf);
	ASSERT_LE(0, dup_fd);
	h2 = 0;
	ASSERT_EQ(0, import(r, dup_fd, &h2));
	ASSERT_EQ(h, h2);
	close(dup_fd);
	ASSERT_EQ(4, dmabuf_fd_refs(buf));
	bufinfo_expect(_metadata, r, ino, 1);
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(SLOT_SIZE, q.size);

	fd2 = edu_drm_open_render(&r->drm);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, drm_prime_import(fd2, buf, &hb));
	ASSERT_EQ(7, dmabuf_fd_refs(buf));
	bufinfo_expect(_metadata, r, ino, 2);

	/* One close: the handle is gone, the other file's object is not */
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	ASSERT_EQ(-ENOENT, query(r, h, &q));
	ASSERT_EQ(-ENOENT, xfer(r, h, EDU_DRM_TO_BO, 0, data, sizeof(data)));
	ASSERT_EQ(-ENOENT, xfer(r, h, EDU_DRM_FROM_BO, 0, data, sizeof(data)));
	ASSERT_EQ(-EINVAL, drm_close_handle(r->drm.fd, h));
	ASSERT_EQ(4, dmabuf_fd_refs(buf));
	bufinfo_expect(_metadata, r, ino, 1);
	ASSERT_EQ(0, edu_drm_query(fd2, hb, &q));
	ASSERT_EQ(SLOT_SIZE, q.size);

	/* Importing again makes a new object */
	ASSERT_EQ(0, import(r, buf, &h));
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(SLOT_SIZE, q.size);
	ASSERT_EQ(0, q.invalidations);
	bufinfo_expect(_metadata, r, ino, 2);
	close(fd2);
	bufinfo_expect(_metadata, r, ino, 1);
	ASSERT_EQ(4, dmabuf_fd_refs(buf));
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	bufinfo_expect(_metadata, r, ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	close(buf);
}

/*
 * Exporting an imported object gives the imported buffer itself (the
 * same file: the same inode), whose import is the same handle; with every
 * user descriptor closed the object still holds it, and a buffer exported
 * then is the one VFIO made: another file reads through it what this one
 * wrote.
 */
TEST_F(drm, reexport)
{
	struct rig *r = &self->r;
	const uint64_t off = slot_off(SL_REEXPORT);
	struct drm_edu_drm_query q;
	uint8_t data[XLEN], back[XLEN];
	uint32_t h, h2, hb;
	unsigned long ino;
	int buf, fd2, fd3, fdb, ret;

	buf = export_slot(r, SL_REEXPORT);
	ASSERT_LE(0, buf);
	ino = fd_inode(buf);
	ASSERT_EQ(0, import(r, buf, &h));
	ASSERT_EQ(0, drm_prime_export(r->drm.fd, h, DRM_CLOEXEC | DRM_RDWR,
				      &fd2));
	ASSERT_NE(buf, fd2);
	ASSERT_EQ(ino, fd_inode(fd2));
	ASSERT_TRUE(fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(O_RDWR, fcntl(fd2, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, import(r, fd2, &h2));
	ASSERT_EQ(h, h2);
	bufinfo_expect(_metadata, r, ino, 1);

	close(buf);
	close(fd2);
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(SLOT_SIZE, q.size);
	ASSERT_EQ(0, drm_prime_export(r->drm.fd, h, DRM_CLOEXEC, &fd3));
	ASSERT_EQ(ino, fd_inode(fd3));
	ASSERT_EQ(4, dmabuf_fd_refs(fd3));

	fdb = edu_drm_open_render(&r->drm);
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, drm_prime_import(fdb, fd3, &hb));
	bufinfo_expect(_metadata, r, ino, 2);
	if (r->try_xfer) {
		fill_pattern(data, sizeof(data), 0x20);
		ret = xfer(r, h, EDU_DRM_TO_BO, 0, data, XLEN);
		ASSERT_EQ(r->map, ret) TH_LOG("%s: XFER: %s", r->p->name,
					      strerror(-ret));
		ret = edu_drm_xfer(fdb, hb, EDU_DRM_FROM_BO, 0, back, XLEN);
		ASSERT_EQ(r->map, ret);
		if (!ret) {
			ASSERT_EQ(0, memcmp(data, back, XLEN));
			ASSERT_EQ(0, memcmp(r->bar + off, data, XLEN));
			host_check(r, "reexport", off, data, XLEN);
		}
	}
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	close(fdb);
	bufinfo_expect(_metadata, r, ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(fd3));
	close(fd3);
	bufinfo_expect(_metadata, r, ino, -1);
}

/*
 * A revoke case: one slot exported and imported; the CPU put @before in
 * its first page (edu overwrites it where data moves) and @junk in its
 * second, where a write refused during the revoke aims.
 */
struct revoke_case {
	int slot;
	uint64_t off;
	int buf;
	unsigned long ino;
	uint32_t h;
	uint8_t before[XLEN];
	uint8_t junk[XLEN];
};

static void revoke_prep(struct __test_metadata *_metadata, struct rig *r,
			struct revoke_case *rc, int slot)
{
	struct drm_edu_drm_query q;
	uint8_t data[XLEN];

	rc->slot = slot;
	rc->off = slot_off(slot);
	fill_pattern(rc->before, XLEN, 0x60 + slot);
	memcpy(r->bar + rc->off, rc->before, XLEN);
	fill_pattern(rc->junk, XLEN, 0x70 + slot);
	memcpy(r->bar + rc->off + PG, rc->junk, XLEN);
	rc->buf = export_slot(r, slot);
	ASSERT_LE(0, rc->buf);
	rc->ino = fd_inode(rc->buf);
	ASSERT_EQ(0, import(r, rc->buf, &rc->h));
	if (r->try_xfer) {
		fill_pattern(data, XLEN, 0x80 + slot);
		if (write_read(_metadata, r, rc->h, 0, data, XLEN))
			memcpy(rc->before, data, XLEN);
	}
	ASSERT_EQ(0, query(r, rc->h, &q));
	ASSERT_EQ(r->moves, q.mapped);
	ASSERT_EQ(0, q.invalidations);
}

/*
 * Revoked: the mapping is gone after one invalidation, and transfers are
 * refused with ENODEV before anything is mapped (so on every pair).
 */
static void revoked_check(struct __test_metadata *_metadata, struct rig *r,
			  struct revoke_case *rc)
{
	struct drm_edu_drm_query q;
	uint8_t bad[XLEN];

	ASSERT_EQ(0, query(r, rc->h, &q));
	ASSERT_EQ(0, q.mapped);
	ASSERT_EQ(1, q.invalidations);
	memset(bad, 0x5a, sizeof(bad));
	ASSERT_EQ(-ENODEV, xfer(r, rc->h, EDU_DRM_TO_BO, PG, bad, XLEN));
	ASSERT_EQ(-ENODEV, xfer(r, rc->h, EDU_DRM_FROM_BO, 0, bad, 64));
	ASSERT_EQ(0, query(r, rc->h, &q));
	ASSERT_EQ(0, q.mapped);
	ASSERT_EQ(1, q.invalidations);
}

/*
 * The buffer is usable again: the next transfer maps the object again
 * where mapping works (the third page), or fails as the mapping does.
 */
static void restored_check(struct __test_metadata *_metadata, struct rig *r,
			   struct revoke_case *rc, const char *what)
{
	struct drm_edu_drm_query q;
	uint8_t data[XLEN];
	char label[32];

	if (r->try_xfer) {
		fill_pattern(data, XLEN, 0x90 + rc->slot);
		if (write_read(_metadata, r, rc->h, 2 * PG, data, XLEN)) {
			ASSERT_EQ(0, memcmp(r->bar + rc->off + 2 * PG, data,
					    XLEN));
			snprintf(label, sizeof(label), "%s-after", what);
			host_check(r, label, rc->off + 2 * PG, data, XLEN);
		}
	}
	ASSERT_EQ(0, query(r, rc->h, &q));
	ASSERT_EQ(r->moves, q.mapped);
}

/* What must be in the host file: the bytes from before, the untouched page */
static void revoke_host_checks(struct rig *r, struct revoke_case *rc,
			       const char *what)
{
	char label[32];

	snprintf(label, sizeof(label), "%s-before", what);
	host_check(r, label, rc->off, rc->before, XLEN);
	snprintf(label, sizeof(label), "%s-untouched", what);
	host_check(r, label, rc->off + PG, rc->junk, XLEN);
}

static void revoke_done(struct __test_metadata *_metadata, struct rig *r,
			struct revoke_case *rc)
{
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, rc->h));
	bufinfo_expect(_metadata, r, rc->ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(rc->buf));
	close(rc->buf);
	bufinfo_expect(_metadata, r, rc->ino, -1);
}

/* Memory decode off revokes; on again, the object maps at its next use */
TEST_F(drm, revoke_decode)
{
	struct rig *r = &self->r;
	struct drm_edu_drm_query q;
	struct revoke_case rc;

	revoke_prep(_metadata, r, &rc, SL_DECODE);
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, false));
	revoked_check(_metadata, r, &rc);
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	/* A restore invalidates nothing and maps nothing by itself */
	ASSERT_EQ(0, query(r, rc.h, &q));
	ASSERT_EQ(0, q.mapped);
	ASSERT_EQ(1, q.invalidations);
	restored_check(_metadata, r, &rc, "decode");
	ASSERT_EQ(0, query(r, rc.h, &q));
	ASSERT_EQ(1, q.invalidations);
	revoke_host_checks(r, &rc, "decode");
	revoke_done(_metadata, r, &rc);
}

/*
 * VFIO_DEVICE_RESET revokes where the function can be reset (alone behind
 * a bridge) and restores after it; on the root bus ivshmem has no reset:
 * EINVAL, and the object keeps its mapping.
 */
TEST_F(drm, revoke_reset)
{
	struct rig *r = &self->r;
	struct drm_edu_drm_query q;
	struct revoke_case rc;
	int ret;

	revoke_prep(_metadata, r, &rc, SL_RESET);
	ret = ioctl(r->vfio, VFIO_DEVICE_RESET) ? -errno : 0;
	if (!r->p->bus_reset) {
		ASSERT_EQ(-EINVAL, ret);
		ASSERT_EQ(0, query(r, rc.h, &q));
		ASSERT_EQ(r->moves, q.mapped);
		ASSERT_EQ(0, q.invalidations);
	} else {
		ASSERT_EQ(0, ret) TH_LOG("VFIO_DEVICE_RESET: %s",
					 strerror(-ret));
		/* Whatever the reset left in PCI_COMMAND */
		ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
		ASSERT_EQ(0, query(r, rc.h, &q));
		ASSERT_EQ(0, q.mapped);
		ASSERT_EQ(1, q.invalidations);
	}
	restored_check(_metadata, r, &rc, "reset");
	ASSERT_EQ(0, query(r, rc.h, &q));
	ASSERT_EQ(r->p->bus_reset ? 1 : 0, q.invalidations);
	revoke_host_checks(r, &rc, "reset");
	revoke_done(_metadata, r, &rc);
}

/*
 * Closing the VFIO device revokes for good: the device opened again with
 * decode on does not bring the buffer back.
 */
TEST_F(drm, revoke_close)
{
	struct rig *r = &self->r;
	struct revoke_case rc;

	revoke_prep(_metadata, r, &rc, SL_CLOSE);
	munmap(r->bar, r->bar_size);
	r->bar = NULL;
	close(r->vfio);
	r->vfio = -1;
	revoked_check(_metadata, r, &rc);

	r->vfio = vfio_cdev_bind(r->iv_bdf, r->iommufd, NULL);
	ASSERT_LE(0, r->vfio) TH_LOG("reopening %s: %s", r->iv_bdf,
				     strerror(-r->vfio));
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	revoked_check(_metadata, r, &rc);
	revoke_host_checks(r, &rc, "close");
	revoke_done(_metadata, r, &rc);
}

/* Import a slot's buffer, and write a pattern where data may move */
static void order_prep(struct __test_metadata *_metadata, struct rig *r,
		       int slot, int *buf, unsigned long *ino, uint32_t *h,
		       uint8_t *data, const char *what)
{
	*buf = export_slot(r, slot);
	ASSERT_LE(0, *buf);
	*ino = fd_inode(*buf);
	ASSERT_EQ(0, import(r, *buf, h));
	bufinfo_expect(_metadata, r, *ino, 1);
	fill_pattern(data, XLEN, 0xa0 + slot);
	if (r->try_xfer &&
	    write_read(_metadata, r, *h, 0, data, XLEN)) {
		ASSERT_EQ(0, memcmp(r->bar + slot_off(slot), data, XLEN));
		host_check(r, what, slot_off(slot), data, XLEN);
	}
}

/* Read what order_prep() wrote, where data moves */
static void order_read(struct __test_metadata *_metadata, struct rig *r,
		       int fd, uint32_t h, const uint8_t *data)
{
	uint8_t back[XLEN];

	if (!r->moves)
		return;
	memset(back, 0, sizeof(back));
	ASSERT_EQ(0, edu_drm_xfer(fd, h, EDU_DRM_FROM_BO, 0, back, XLEN));
	ASSERT_EQ(0, memcmp(data, back, XLEN));
}

/*
 * The render file first: its objects go with it (no attachment, no
 * reference left); the device and the buffer work on, for a new file.
 */
TEST_F(drm, close_render_first)
{
	struct rig *r = &self->r;
	int objects = bufinfo_objects(r);
	struct drm_edu_drm_query q;
	uint8_t data[XLEN];
	unsigned long ino;
	uint32_t h;
	int buf;

	order_prep(_metadata, r, SL_ORDER_RENDER, &buf, &ino, &h, data,
		   "order-render");
	close(r->drm.fd);
	r->drm.fd = -1;
	bufinfo_expect(_metadata, r, ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));

	r->drm.fd = edu_drm_open_render(&r->drm);
	ASSERT_LE(0, r->drm.fd);
	ASSERT_EQ(0, import(r, buf, &h));
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(0, q.mapped);
	order_read(_metadata, r, r->drm.fd, h, data);
	close(buf);
	bufinfo_expect(_metadata, r, ino, 1);
	close(r->drm.fd);
	r->drm.fd = -1;
	bufinfo_expect(_metadata, r, ino, -1);
	ASSERT_EQ(objects, bufinfo_objects(r));
}

/*
 * The dma-buf descriptor first: the object holds the buffer, which still
 * works and which VFIO still revokes; closing the handle releases it.
 */
TEST_F(drm, close_dmabuf_first)
{
	struct rig *r = &self->r;
	int objects = bufinfo_objects(r);
	struct drm_edu_drm_query q;
	uint8_t data[XLEN];
	unsigned long ino;
	uint32_t h;
	int buf;

	order_prep(_metadata, r, SL_ORDER_BUF, &buf, &ino, &h, data,
		   "order-dmabuf");
	close(buf);
	bufinfo_expect(_metadata, r, ino, 1);
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(SLOT_SIZE, q.size);
	order_read(_metadata, r, r->drm.fd, h, data);

	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, false));
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(0, q.mapped);
	ASSERT_EQ(1, q.invalidations);
	ASSERT_EQ(-ENODEV, xfer(r, h, EDU_DRM_FROM_BO, 0, data, 64));
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	order_read(_metadata, r, r->drm.fd, h, data);

	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	bufinfo_expect(_metadata, r, ino, -1);
	ASSERT_EQ(objects, bufinfo_objects(r));
}

/*
 * The VFIO device first: the object is revoked for good; then the render
 * file (the object detaches from a revoked buffer), then the descriptor.
 */
TEST_F(drm, close_vfio_first)
{
	struct rig *r = &self->r;
	int objects = bufinfo_objects(r);
	struct drm_edu_drm_query q;
	uint8_t data[XLEN];
	unsigned long ino;
	uint32_t h;
	int buf;

	order_prep(_metadata, r, SL_ORDER_VFIO, &buf, &ino, &h, data,
		   "order-vfio");
	munmap(r->bar, r->bar_size);
	r->bar = NULL;
	close(r->vfio);
	r->vfio = -1;
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(0, q.mapped);
	ASSERT_EQ(1, q.invalidations);
	ASSERT_EQ(-ENODEV, xfer(r, h, EDU_DRM_FROM_BO, 0, data, 64));

	close(r->drm.fd);
	r->drm.fd = -1;
	bufinfo_expect(_metadata, r, ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	close(buf);
	bufinfo_expect(_metadata, r, ino, -1);
	ASSERT_EQ(objects, bufinfo_objects(r));
}

/*
 * The control file first: the DRM device is unplugged with an object
 * (mapped, where data moves). Every ioctl of the render file fails with
 * ENODEV and its node is gone; VFIO still revokes and restores the buffer;
 * closing the render file lets go of everything, and the edu takes a new
 * DRM device.
 */
TEST_F(drm, close_control_first)
{
	struct rig *r = &self->r;
	int objects = bufinfo_objects(r);
	struct drm_edu_drm_query q;
	uint8_t data[XLEN];
	unsigned long ino;
	uint32_t h, h2;
	int buf, fd, ret;

	order_prep(_metadata, r, SL_ORDER_CTL, &buf, &ino, &h, data,
		   "order-ctl");
	close(r->drm.ctl);
	r->drm.ctl = -1;

	ASSERT_EQ(-ENODEV, query(r, h, &q));
	ASSERT_EQ(-ENODEV, xfer(r, h, EDU_DRM_FROM_BO, 0, data, 64));
	ASSERT_EQ(-ENODEV, import(r, buf, &h2));
	ASSERT_EQ(-ENODEV, drm_prime_export(r->drm.fd, h, DRM_CLOEXEC, &fd));
	ASSERT_EQ(-ENODEV, drm_close_handle(r->drm.fd, h));
	ASSERT_EQ(-ENODEV, drm_can_import(r->drm.fd));
	ASSERT_EQ(-1, access(r->drm.path, F_OK));
	ASSERT_EQ(ENOENT, errno);

	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, false));
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));

	close(r->drm.fd);
	r->drm.fd = -1;
	bufinfo_expect(_metadata, r, ino, 0);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));

	ret = edu_drm_create(&r->drm, pci_bdf_id(r->edu_bdf));
	ASSERT_EQ(0, ret) TH_LOG("EDU_DRM_CREATE again: %s", strerror(-ret));
	ASSERT_EQ(0, import(r, buf, &h));
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(SLOT_SIZE, q.size);
	ASSERT_EQ(0, q.invalidations);
	order_read(_metadata, r, r->drm.fd, h, data);
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	close(buf);
	bufinfo_expect(_metadata, r, ino, -1);
	ASSERT_EQ(objects, bufinfo_objects(r));
}

/* ------------------------------------------------------------------ */
/* Wrong arguments: on the switch pair, whose mapping works on every    */
/* plan, so only the arguments are wrong; none of these may DMA.        */
/* ------------------------------------------------------------------ */

FIXTURE(args) {
	struct rig r;
	int buf;
	uint32_t h;
};

FIXTURE_SETUP(args)
{
	self->buf = -1;
	rig_setup(_metadata, &self->r, &pair_switch);
	self->buf = export_slot(&self->r, SL_ARGS);
	ASSERT_LE(0, self->buf);
	ASSERT_EQ(0, import(&self->r, self->buf, &self->h));
}

FIXTURE_TEARDOWN(args)
{
	if (self->buf >= 0)
		close(self->buf);
	rig_teardown(&self->r);
}

/* EDU_DRM_CREATE's errnos */
TEST_F(args, create)
{
	struct rig *r = &self->r;
	uint32_t minor;
	int ctl;

	ctl = open(EDU_DRM_CTL_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	/* No such device; a device that is no edu bound to edu_dma */
	ASSERT_EQ(-ENODEV, edu_drm_ctl_create(ctl, 0xffff, 0, &minor));
	ASSERT_EQ(-ENODEV, edu_drm_ctl_create(ctl, pci_bdf_id(r->iv_bdf), 0,
					      &minor));
	ASSERT_EQ(-EINVAL, edu_drm_ctl_create(ctl, pci_bdf_id(r->edu_bdf), 1,
					      &minor));
	ASSERT_EQ(-1, ioctl(ctl, _IO(EDU_DRM_IOC_MAGIC, 0x7f)));
	ASSERT_EQ(ENOTTY, errno);
	close(ctl);
	/* One device per file */
	ASSERT_EQ(-EBUSY, edu_drm_ctl_create(r->drm.ctl,
					     pci_bdf_id(r->edu_bdf), 0,
					     &minor));
	/* The refused calls broke nothing */
	ASSERT_EQ(0, edu_drm_query(r->drm.fd, self->h,
				   &(struct drm_edu_drm_query){}));
}

/* DRM_IOCTL_EDU_DRM_XFER's and _QUERY's errnos, checked before any DMA */
TEST_F(args, xfer)
{
	struct rig *r = &self->r;
	const uint32_t h = self->h;
	struct drm_edu_drm_query q;
	uint8_t data[XLEN] = { 0 };

	ASSERT_EQ(-ENOENT, xfer(r, h + 100, EDU_DRM_TO_BO, 0, data, 64));
	ASSERT_EQ(-ENOENT, xfer(r, 0, EDU_DRM_FROM_BO, 0, data, 64));
	ASSERT_EQ(-EINVAL, xfer(r, h, 2, 0, data, 64));
	ASSERT_EQ(-EINVAL, xfer(r, h, EDU_DRM_TO_BO, 0, data, 0));
	ASSERT_EQ(-EINVAL, xfer(r, h, EDU_DRM_FROM_BO, 0, data,
				EDU_DRM_MAX_XFER + 1));
	ASSERT_EQ(-EINVAL, xfer(r, h, EDU_DRM_TO_BO, SLOT_SIZE - 32, data, 64));
	ASSERT_EQ(-EINVAL, xfer(r, h, EDU_DRM_FROM_BO, SLOT_SIZE, data, 1));
	ASSERT_EQ(-EINVAL, xfer(r, h, EDU_DRM_TO_BO, -64ULL, data, 128));
	ASSERT_EQ(-ENOENT, query(r, h + 100, &q));
	ASSERT_EQ(-ENOENT, query(r, 0, &q));
	ASSERT_EQ(0, query(r, h, &q));
	ASSERT_EQ(0, q.invalidations);
	ASSERT_EQ(4, dmabuf_fd_refs(self->buf));
	bufinfo_expect(_metadata, r, fd_inode(self->buf), 1);

	/* The object's last bytes, where data moves */
	if (r->moves) {
		uint8_t back[64];

		fill_pattern(data, 64, 0xb0);
		ASSERT_EQ(0, xfer(r, h, EDU_DRM_TO_BO, SLOT_SIZE - 64, data,
				  64));
		ASSERT_EQ(0, xfer(r, h, EDU_DRM_FROM_BO, SLOT_SIZE - 64, back,
				  64));
		ASSERT_EQ(0, memcmp(data, back, 64));
		ASSERT_EQ(0, memcmp(r->bar + slot_off(SL_ARGS) + SLOT_SIZE - 64,
				    data, 64));
	}
}

/* PRIME's errnos on this device, with nothing left behind on the buffer */
TEST_F(args, prime)
{
	struct rig *r = &self->r;
	uint32_t h;
	int fd, memfd;

	ASSERT_EQ(-ENOENT, drm_prime_export(r->drm.fd, self->h + 100,
					    DRM_CLOEXEC, &fd));
	ASSERT_EQ(-EINVAL, drm_prime_export(r->drm.fd, self->h, 0x1234, &fd));
	ASSERT_EQ(-EBADF, import(r, 1000, &h));
	memfd = memfd_create("drm", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, SLOT_SIZE));
	ASSERT_EQ(-EINVAL, import(r, memfd, &h));
	close(memfd);
	ASSERT_EQ(-EINVAL, drm_close_handle(r->drm.fd, self->h + 100));
	ASSERT_EQ(4, dmabuf_fd_refs(self->buf));
	bufinfo_expect(_metadata, r, fd_inode(self->buf), 1);
}

/* ------------------------------------------------------------------ */
/* Importers that cannot take the buffer, and one that takes RAM       */
/* ------------------------------------------------------------------ */

/*
 * drm_gem_prime_import() attaches statically: VFIO refuses it at attach,
 * every time, and nothing stays (no attachment, no reference, no handle).
 */
static void static_refused(struct __test_metadata *_metadata, struct rig *r,
			   int fd, const char *node, int buf)
{
	int objects = bufinfo_objects(r);
	uint32_t h;
	int i, ret;

	ASSERT_EQ(1, drm_can_import(fd));
	for (i = 0; i < NR_STATIC; i++) {
		ret = drm_prime_import(fd, buf, &h);
		ASSERT_EQ(-EOPNOTSUPP, ret) TH_LOG("%s, import %d: %s", node,
						   i, strerror(-ret));
	}
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	bufinfo_expect(_metadata, r, fd_inode(buf), 0);
	ASSERT_EQ(objects, bufinfo_objects(r));
	/* This file's first handle would be 1: there is none */
	ASSERT_EQ(-EINVAL, drm_close_handle(fd, 1));
}

/* The dynamic importer still takes the buffer the static ones could not */
static void dynamic_takes(struct __test_metadata *_metadata, struct rig *r,
			  int buf)
{
	uint32_t h;

	ASSERT_EQ(0, import(r, buf, &h));
	bufinfo_expect(_metadata, r, fd_inode(buf), 1);
	ASSERT_EQ(0, drm_close_handle(r->drm.fd, h));
	bufinfo_expect(_metadata, r, fd_inode(buf), 0);
}

TEST(static_vgem)
{
	char card_path[300], render_path[300];
	struct rig r;
	int buf, card, render;

	rig_setup(_metadata, &r, &pair_switch);
	card = drm_open_driver("vgem", false, card_path, sizeof(card_path));
	if (card < 0) {
		rig_teardown(&r);
		SKIP(return, "no vgem DRM device (modprobe vgem)");
	}
	render = drm_open_driver("vgem", true, render_path,
				 sizeof(render_path));
	ASSERT_LE(0, render) TH_LOG("vgem has %s but no render node",
				    card_path);
	buf = export_slot(&r, SL_STATIC);
	ASSERT_LE(0, buf);
	static_refused(_metadata, &r, render, render_path, buf);
	static_refused(_metadata, &r, card, card_path, buf);
	dynamic_takes(_metadata, &r, buf);
	close(buf);
	close(render);
	close(card);
	rig_teardown(&r);
}

TEST(static_vkms)
{
	char card_path[300];
	struct rig r;
	int buf, card;

	rig_setup(_metadata, &r, &pair_switch);
	card = drm_open_driver("vkms", false, card_path, sizeof(card_path));
	if (card < 0) {
		rig_teardown(&r);
		SKIP(return, "no vkms DRM device (modprobe vkms)");
	}
	buf = export_slot(&r, SL_STATIC);
	ASSERT_LE(0, buf);
	static_refused(_metadata, &r, card, card_path, buf);
	dynamic_takes(_metadata, &r, buf);
	close(buf);
	close(card);
	rig_teardown(&r);
}

/*
 * A RAM buffer (a vgem dumb buffer, exported by vgem): the dynamic
 * importer takes a static exporter's buffer too, and edu moves data
 * through it on every plan (RAM is no peer); the CPU sees it in vgem's
 * mmap.
 */
TEST(ram_import)
{
	struct drm_mode_create_dumb c = { .width = 1024, .height = 4, .bpp = 8 };
	struct drm_mode_map_dumb m = { 0 };
	uint8_t data[XLEN], back[XLEN], *p;
	struct drm_edu_drm_query q;
	struct rig r;
	int buf, card, ret;
	uint32_t h;

	rig_setup(_metadata, &r, &pair_switch);
	card = drm_open_driver("vgem", false, NULL, 0);
	if (card < 0) {
		rig_teardown(&r);
		SKIP(return, "no vgem DRM device (modprobe vgem)");
	}
	ASSERT_EQ(0, ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &c));
	ASSERT_LE(2 * XLEN, c.size);
	m.handle = c.handle;
	ASSERT_EQ(0, ioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &m));
	p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, card,
		 m.offset);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, XLEN, 0xc0);
	memset(p + XLEN, 0, XLEN);
	ASSERT_EQ(0, drm_prime_export(card, c.handle, DRM_CLOEXEC | DRM_RDWR,
				      &buf));

	ret = import(&r, buf, &h);
	ASSERT_EQ(0, ret) TH_LOG("PRIME import of vgem's buffer: %s",
				 strerror(-ret));
	ASSERT_EQ(0, query(&r, h, &q));
	ASSERT_EQ(c.size, q.size);
	ASSERT_EQ(0, xfer(&r, h, EDU_DRM_FROM_BO, 0, back, XLEN));
	ASSERT_EQ(0, memcmp(p, back, XLEN));
	fill_pattern(data, XLEN, 0xc1);
	ASSERT_EQ(0, xfer(&r, h, EDU_DRM_TO_BO, XLEN, data, XLEN));
	ASSERT_EQ(0, memcmp(p + XLEN, data, XLEN));
	ASSERT_EQ(0, query(&r, h, &q));
	ASSERT_EQ(1, q.mapped);
	ASSERT_EQ(0, q.invalidations);

	bufinfo_expect(_metadata, &r, fd_inode(buf), 1);
	ASSERT_EQ(0, drm_close_handle(r.drm.fd, h));
	bufinfo_expect(_metadata, &r, fd_inode(buf), 0);
	close(buf);
	munmap(p, c.size);
	ASSERT_EQ(0, drm_close_handle(card, c.handle));
	close(card);
	rig_teardown(&r);
}

TEST_HARNESS_MAIN
