// SPDX-License-Identifier: GPL-2.0
/*
 * RDMA memory registration of VFIO BAR dma-bufs, through the uverbs ABI
 * exactly as rdma-core's ibv_reg_dmabuf_mr() sends it (rdma_util.c), on
 * the test-only edu_rdma device (include/uapi/misc/edu_rdma.h): an RDMA
 * device whose DMA engine is QEMU's edu, registering MRs through the
 * pinned-but-revocable umem, and moving bytes between RAM and an MR when
 * a test asks for an "RDMA write" or "RDMA read".
 *
 * The exporter is the ivshmem-plain of each ivshmem/edu pair, whose BAR2
 * is a file on the host. What registration gives for a pair is the PCI
 * core's P2P answer; data moves only where edu's DMA is untranslated (a
 * raw bus address through the vIOMMU would fault):
 *
 *   plan   rootbus      switch          rootports
 *   q35    EREMOTEIO    registers       EREMOTEIO
 *   epyc   registers,   registers,      registers,
 *          data moves   data moves      data moves
 *
 * Where bytes should be in the BAR, or should have stayed there after a
 * refused transfer, the runner checks the host file after the machine
 * stopped (RIG-CHECK). This program's slots are 10 MiB to 12 MiB of the
 * BAR, which no other program writes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <misc/edu_rdma.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"
#include "rdma_util.h"

#define PG		0x1000ULL
#define IV_BAR_SIZE	(16ULL << 20)
#define SLOT_BASE	(10ULL << 20)
#define SLOT_SIZE	(64ULL << 10)
/* Where MRs live in the IO virtual address space their users see */
#define MR_IOVA		(1ULL << 40)
#define XLEN		4096
#define ACC_RW		(IB_UVERBS_ACCESS_LOCAL_WRITE | \
			 IB_UVERBS_ACCESS_REMOTE_WRITE | \
			 IB_UVERBS_ACCESS_REMOTE_READ)

enum slot {
	SL_SINGLE, SL_MULTI_A, SL_MULTI_B, SL_MULTI_C, SL_DECODE, SL_RESET,
	SL_CLOSE, SL_ORDER, SL_ARGS, SL_DYNAMIC, SL_NR,
};

static uint64_t slot_off(int slot)
{
	return SLOT_BASE + slot * SLOT_SIZE;
}

struct pair_desc {
	const char *name;
	const char *iv_slot;
	const char *edu_slot;
	int reg_q35;		/* registration: 0 or -errno */
	int reg_epyc;
	bool bus_reset;		/* VFIO_DEVICE_RESET works */
};

static const struct pair_desc pair_rootbus = {
	.name = "rootbus", .iv_slot = "03.0", .edu_slot = "04.0",
	.reg_q35 = -EREMOTEIO, .reg_epyc = 0, .bus_reset = false,
};

static const struct pair_desc pair_switch = {
	.name = "switch", .iv_slot = "05.0", .edu_slot = "05.0",
	.reg_q35 = 0, .reg_epyc = 0, .bus_reset = true,
};

static const struct pair_desc pair_rootports = {
	.name = "rootports", .iv_slot = "07.0", .edu_slot = "08.0",
	.reg_q35 = -EREMOTEIO, .reg_epyc = 0, .bus_reset = true,
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

/* One pair: the exporter's VFIO device, the RDMA device on its edu */
struct rig {
	const struct pair_desc *p;
	char iv_bdf[32];
	char edu_bdf[32];
	int iommufd;
	int vfio;		/* exporter's cdev, bound to iommufd */
	uint8_t *bar;		/* BAR2 through VFIO: the CPU's view */
	size_t bar_size;
	int ctl;		/* /dev/edu_rdma */
	char ibdev[32];
	struct rdma_ctx ctx;
	bool ctx_open;
	int reg;		/* what registration gives here */
	bool xfer;		/* data may move */
};

static void rig_setup(struct __test_metadata *_metadata, struct rig *r,
		      const struct pair_desc *p, uint32_t create_flags)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	int ret;

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->iommufd = -1;
	r->vfio = -1;
	r->ctl = -1;
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

	ret = edu_rdma_create_flags(&r->ctl, pci_bdf_id(r->edu_bdf),
				    create_flags, r->ibdev, sizeof(r->ibdev));
	ASSERT_EQ(0, ret) TH_LOG("EDU_RDMA_CREATE: %s", strerror(-ret));
	ret = rdma_open(&r->ctx, r->ibdev);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", r->ibdev, strerror(-ret));
	r->ctx_open = true;

	r->reg = plan_epyc() ? p->reg_epyc : p->reg_q35;
	r->xfer = plan_epyc();
}

static void rig_teardown(struct rig *r)
{
	if (r->ctx_open)
		rdma_close(&r->ctx);
	if (r->ctl >= 0)
		close(r->ctl);
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

struct mr {
	uint32_t handle;
	uint32_t lkey;
	uint32_t rkey;
};

static int reg(struct rig *r, int buf, uint64_t off, uint64_t len,
	       uint64_t iova, uint32_t access, struct mr *mr)
{
	return rdma_reg_dmabuf_mr(&r->ctx, off, len, iova, buf, access,
				  &mr->handle, &mr->lkey, &mr->rkey);
}

static int xfer(struct rig *r, uint32_t lkey, uint32_t dir, uint64_t addr,
		void *data, uint64_t len)
{
	return edu_rdma_xfer(r->ctl, lkey, dir, addr, data, len);
}

static int query(struct rig *r, uint32_t lkey, struct edu_rdma_mr_query *q)
{
	memset(q, 0, sizeof(*q));
	q->lkey = lkey;
	return edu_rdma_mr_query(r->ctl, q);
}

/* MRs registered on the device now (an unknown lkey answers it too) */
static uint32_t nr_mrs(struct rig *r)
{
	struct edu_rdma_mr_query q;

	query(r, 0, &q);
	return q.nr_mrs;
}

static uint32_t revokes(struct rig *r)
{
	struct edu_rdma_mr_query q;

	query(r, 0, &q);
	return q.revokes;
}

static void host_check(struct rig *r, const char *what, uint64_t off,
		       const void *buf, size_t len)
{
	char label[64], file[64];

	snprintf(label, sizeof(label), "rdma-%s-%s", what, r->p->name);
	snprintf(file, sizeof(file), "ivshmem-%s", r->p->name);
	rig_check(label, file, off, buf, len);
}

/*
 * Register [@off, @off + @len) of @buf at MR_IOVA, or check that it is
 * refused as this pair and plan say; true when registered.
 */
static bool reg_at(struct __test_metadata *_metadata, struct rig *r,
		   int buf, uint64_t off, uint64_t len, uint64_t iova,
		   struct mr *mr)
{
	long refs = dmabuf_fd_refs(buf);
	int ret;

	ret = reg(r, buf, off, len, iova, ACC_RW, mr);
	if (r->reg) {
		EXPECT_EQ(r->reg, ret) TH_LOG("%s: registration: %s",
					      r->p->name, strerror(-ret));
		EXPECT_EQ(0, nr_mrs(r));
		EXPECT_EQ(refs, dmabuf_fd_refs(buf));
		return false;
	}
	EXPECT_EQ(0, ret) TH_LOG("%s: registration: %s", r->p->name,
				 strerror(-ret));
	if (ret)
		return false;
	/* The umem holds its own reference to the dma-buf */
	EXPECT_EQ(refs + 1, dmabuf_fd_refs(buf));
	return true;
}

static bool reg_expect(struct __test_metadata *_metadata, struct rig *r,
		       int buf, uint64_t off, uint64_t len, struct mr *mr)
{
	return reg_at(_metadata, r, buf, off, len,
		      MR_IOVA + (off & (PG - 1)), mr);
}

/* An RDMA write of @len bytes at MR address @addr, then read them back */
static void write_read(struct __test_metadata *_metadata, struct rig *r,
		       const struct mr *mr, uint64_t addr, const void *data,
		       size_t len)
{
	void *back = calloc(1, len);
	int ret;

	ASSERT_NE(NULL, back);
	ret = xfer(r, mr->lkey, EDU_RDMA_WRITE, addr, (void *)data, len);
	ASSERT_EQ(0, ret) TH_LOG("RDMA write: %s", strerror(-ret));
	ret = xfer(r, mr->lkey, EDU_RDMA_READ, addr, back, len);
	ASSERT_EQ(0, ret) TH_LOG("RDMA read: %s", strerror(-ret));
	ASSERT_EQ(0, memcmp(data, back, len));
	free(back);
}

FIXTURE(rdma) {
	struct rig r;
};

FIXTURE_VARIANT(rdma) {
	const struct pair_desc *p;
};

FIXTURE_VARIANT_ADD(rdma, rootbus) {
	.p = &pair_rootbus,
};

FIXTURE_VARIANT_ADD(rdma, switch) {
	.p = &pair_switch,
};

FIXTURE_VARIANT_ADD(rdma, rootports) {
	.p = &pair_rootports,
};

FIXTURE_SETUP(rdma)
{
	rig_setup(_metadata, &self->r, variant->p, 0);
}

FIXTURE_TEARDOWN(rdma)
{
	rig_teardown(&self->r);
}

/*
 * One range: the MR's table covers it, an RDMA write lands in the BAR
 * (through VFIO's mmap and in the host file) and reads back; after
 * dereg the lkey is gone and the dma-buf reference with it.
 */
TEST_F(rdma, single_range)
{
	struct rig *r = &self->r;
	const uint64_t off = slot_off(SL_SINGLE);
	const struct vfio_region_dma_range rg = { off, SLOT_SIZE };
	struct edu_rdma_mr_query q;
	uint8_t data[XLEN];
	struct mr mr;
	int buf;

	buf = export(r, &rg, 1);
	ASSERT_LE(0, buf);
	if (!reg_expect(_metadata, r, buf, 0, SLOT_SIZE, &mr))
		return;
	ASSERT_EQ(0, query(r, mr.lkey, &q));
	ASSERT_EQ(0, q.revoked);
	ASSERT_EQ(MR_IOVA, q.iova);
	ASSERT_EQ(SLOT_SIZE, q.length);
	ASSERT_LE(1, q.nr_blocks);
	ASSERT_EQ(1, q.nr_mrs);
	ASSERT_EQ(mr.lkey, mr.rkey);

	if (r->xfer) {
		fill_pattern(data, sizeof(data), 0x51);
		write_read(_metadata, r, &mr, MR_IOVA + 2 * PG + 64, data,
			   sizeof(data));
		ASSERT_EQ(0, memcmp(r->bar + off + 2 * PG + 64, data,
				    sizeof(data)));
		host_check(r, "single", off + 2 * PG + 64, data, sizeof(data));
	}

	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	ASSERT_EQ(-ENOENT, query(r, mr.lkey, &q));
	ASSERT_EQ(0, q.nr_mrs);
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	ASSERT_EQ(-ENOENT, xfer(r, mr.lkey, EDU_RDMA_READ, MR_IOVA, data, 64));
	close(buf);
}

/*
 * Three ranges, the MR a part of them starting inside the first: a write
 * across the boundary of two ranges lands in both, where the exporter's
 * list puts them.
 */
TEST_F(rdma, multi_range)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg[] = {
		{ slot_off(SL_MULTI_C), SLOT_SIZE },
		{ slot_off(SL_MULTI_A), SLOT_SIZE },
		{ slot_off(SL_MULTI_B), SLOT_SIZE },
	};
	/* From 60 KiB of the buffer: 4 KiB of range 0, all of range 1, ... */
	const uint64_t mr_off = SLOT_SIZE - PG;
	const uint64_t mr_len = SLOT_SIZE + 2 * PG;
	struct edu_rdma_mr_query q;
	uint8_t data[2 * XLEN];
	struct mr mr;
	int buf;

	buf = export(r, rg, ARRAY_SIZE(rg));
	ASSERT_LE(0, buf);
	if (!reg_expect(_metadata, r, buf, mr_off, mr_len, &mr))
		return;
	ASSERT_EQ(0, query(r, mr.lkey, &q));
	/* Ranges 64 KiB apart: the largest block that fits is a page */
	ASSERT_EQ(12, q.block_shift);
	ASSERT_EQ(mr_len / PG, q.nr_blocks);

	if (r->xfer) {
		/* The last page of range 0, the first of range 1 */
		fill_pattern(data, sizeof(data), 0x52);
		write_read(_metadata, r, &mr, MR_IOVA, data, sizeof(data));
		ASSERT_EQ(0, memcmp(r->bar + rg[0].offset + SLOT_SIZE - PG,
				    data, XLEN));
		ASSERT_EQ(0, memcmp(r->bar + rg[1].offset, data + XLEN, XLEN));
		host_check(r, "multi-0", rg[0].offset + SLOT_SIZE - PG, data,
			   XLEN);
		host_check(r, "multi-1", rg[1].offset, data + XLEN, XLEN);
	}
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	close(buf);
}

/*
 * A whole-BAR MR: the table uses the largest blocks the alignment of
 * IOVA and DMA addresses allows. The BAR is 16 MiB aligned and the IOVA
 * an odd multiple of 2 MiB: 2 MiB blocks.
 */
TEST_F(rdma, whole_bar)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { 0, IV_BAR_SIZE };
	struct edu_rdma_mr_query q;
	struct mr mr;
	int buf;

	buf = export(r, &rg, 1);
	ASSERT_LE(0, buf);
	if (!reg_at(_metadata, r, buf, 0, IV_BAR_SIZE, MR_IOVA + (2ULL << 20),
		    &mr))
		return;
	ASSERT_EQ(0, query(r, mr.lkey, &q));
	ASSERT_EQ(21, q.block_shift);
	ASSERT_EQ(IV_BAR_SIZE >> 21, q.nr_blocks);
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	close(buf);
}

/*
 * Prepare a revoke case: @len bytes of pattern at the slot, written by
 * the CPU through VFIO's mmap, then (where data moves) over it by an RDMA
 * write; the MR covers the slot. Returns false where registration is
 * refused here.
 */
static bool revoke_prep(struct __test_metadata *_metadata, struct rig *r,
			int slot, uint8_t *data, int *buf, struct mr *mr)
{
	const struct vfio_region_dma_range rg = { slot_off(slot), SLOT_SIZE };
	struct edu_rdma_mr_query q;

	fill_pattern(data, XLEN, 0x60 + slot);
	memcpy(r->bar + slot_off(slot), data, XLEN);
	*buf = export(r, &rg, 1);
	if (*buf < 0)
		return false;
	if (!reg_expect(_metadata, r, *buf, 0, SLOT_SIZE, mr))
		return false;
	if (r->xfer) {
		fill_pattern(data, XLEN, 0x70 + slot);
		write_read(_metadata, r, mr, MR_IOVA, data, XLEN);
	}
	if (query(r, mr->lkey, &q) || q.revoked)
		return false;
	return true;
}

/*
 * After a revoke: the callback ran once, the MR's table is gone, an RDMA
 * write is refused and nothing reached the BAR (host file), reads fail
 * too; a restore does not bring the MR back (permanent, as an HCA's
 * invalidated key), and dereg works.
 */
static void revoked_check(struct __test_metadata *_metadata, struct rig *r,
			  const struct mr *mr, uint32_t revokes0,
			  const uint8_t *data, int slot, const char *what)
{
	/* @what NULL: the host file was checked already */
	struct edu_rdma_mr_query q;
	uint8_t junk[XLEN];

	ASSERT_EQ(0, query(r, mr->lkey, &q));
	ASSERT_EQ(1, q.revoked);
	ASSERT_EQ(0, q.nr_blocks);
	ASSERT_EQ(revokes0 + 1, q.revokes);
	memset(junk, 0xa5, sizeof(junk));
	ASSERT_EQ(-ENODEV, xfer(r, mr->lkey, EDU_RDMA_WRITE, MR_IOVA, junk,
				sizeof(junk)));
	ASSERT_EQ(-ENODEV, xfer(r, mr->lkey, EDU_RDMA_READ, MR_IOVA, junk,
				64));
	if (what)
		host_check(r, what, slot_off(slot), data, XLEN);
}

static void dereg_check(struct __test_metadata *_metadata, struct rig *r,
			const struct mr *mr, uint32_t revokes0, int buf)
{
	/* The callback does not run a second time at dereg */
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr->handle));
	ASSERT_EQ(revokes0 + 1, revokes(r));
	ASSERT_EQ(0, nr_mrs(r));
	if (buf >= 0)
		ASSERT_EQ(1, dmabuf_fd_refs(buf));
}

TEST_F(rdma, revoke_decode)
{
	struct rig *r = &self->r;
	uint8_t data[XLEN];
	uint32_t revokes0;
	struct mr mr;
	int buf;

	revokes0 = revokes(r);
	if (!revoke_prep(_metadata, r, SL_DECODE, data, &buf, &mr))
		return;
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, false));
	revoked_check(_metadata, r, &mr, revokes0, data, SL_DECODE, "decode");
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	revoked_check(_metadata, r, &mr, revokes0, data, SL_DECODE, NULL);
	/* A new MR on the restored buffer works */
	{
		struct mr mr2;

		ASSERT_EQ(0, reg(r, buf, 0, PG, MR_IOVA, ACC_RW, &mr2));
		ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr2.handle));
	}
	ASSERT_EQ(revokes0 + 2, revokes(r));
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	ASSERT_EQ(revokes0 + 2, revokes(r));
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	close(buf);
}

/*
 * VFIO_DEVICE_RESET revokes where the function can be reset (alone
 * behind a bridge); on the root bus ivshmem has no reset, EINVAL, and the
 * MR stays usable.
 */
TEST_F(rdma, revoke_reset)
{
	struct rig *r = &self->r;
	struct edu_rdma_mr_query q;
	uint8_t data[XLEN];
	uint32_t revokes0;
	struct mr mr;
	int buf, ret;

	revokes0 = revokes(r);
	if (!revoke_prep(_metadata, r, SL_RESET, data, &buf, &mr))
		return;
	ret = ioctl(r->vfio, VFIO_DEVICE_RESET) ? -errno : 0;
	if (!r->p->bus_reset) {
		ASSERT_EQ(-EINVAL, ret);
		ASSERT_EQ(0, query(r, mr.lkey, &q));
		ASSERT_EQ(0, q.revoked);
		ASSERT_EQ(revokes0, q.revokes);
		host_check(r, "reset", slot_off(SL_RESET), data, XLEN);
		ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
		close(buf);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("VFIO_DEVICE_RESET: %s", strerror(-ret));
	/* Whatever the reset left in PCI_COMMAND, the MR stays revoked */
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	revoked_check(_metadata, r, &mr, revokes0, data, SL_RESET, "reset");
	dereg_check(_metadata, r, &mr, revokes0, buf);
	close(buf);
}

/*
 * Closing the VFIO device revokes for good; the MR, the dma-buf and the
 * uverbs file close afterwards in any order.
 */
TEST_F(rdma, revoke_close)
{
	struct rig *r = &self->r;
	uint8_t data[XLEN];
	uint32_t revokes0;
	struct mr mr;
	int buf;

	revokes0 = revokes(r);
	if (!revoke_prep(_metadata, r, SL_CLOSE, data, &buf, &mr))
		return;
	munmap(r->bar, r->bar_size);
	r->bar = NULL;
	close(r->vfio);
	r->vfio = -1;
	revoked_check(_metadata, r, &mr, revokes0, data, SL_CLOSE, "close");
	/* A new registration is refused for good: the device is gone */
	{
		struct mr mr2;

		ASSERT_EQ(-ENODEV, reg(r, buf, 0, PG, MR_IOVA, ACC_RW, &mr2));
	}
	close(buf);
	dereg_check(_metadata, r, &mr, revokes0, -1);
}

/*
 * A dynamic MR (ib_umem_dmabuf_get(), mlx5's kind): a revoke invalidates
 * its table and mapping, transfers fail while the buffer is revoked and
 * nothing reaches the BAR, and once restored the next transfer maps the
 * buffer again and works.
 */
TEST_F(rdma, dynamic)
{
	struct rig *r = &self->r;
	const uint64_t off = slot_off(SL_DYNAMIC);
	const struct vfio_region_dma_range rg = { off, SLOT_SIZE };
	struct rdma_ctx ctx = RDMA_CTX_INIT;
	struct edu_rdma_mr_query q = {};
	uint8_t data[XLEN], junk[XLEN], bad[XLEN];
	char ibdev[32];
	uint32_t handle;
	int ctl, buf, ret;

	ret = edu_rdma_create_flags(&ctl, pci_bdf_id(r->edu_bdf),
				    EDU_RDMA_CREATE_DYNAMIC, ibdev,
				    sizeof(ibdev));
	ASSERT_EQ(0, ret) TH_LOG("EDU_RDMA_CREATE: %s", strerror(-ret));
	ASSERT_EQ(0, rdma_open(&ctx, ibdev));

	/* The second page stays as the CPU writes it: a refused write's */
	fill_pattern(data, XLEN, 0x90);
	memcpy(r->bar + off, data, XLEN);
	fill_pattern(junk, XLEN, 0x93);
	memcpy(r->bar + off + XLEN, junk, XLEN);
	host_check(r, "dynamic-refused", off + XLEN, junk, XLEN);
	buf = export(r, &rg, 1);
	ASSERT_LE(0, buf);
	ret = rdma_reg_dmabuf_mr(&ctx, 0, SLOT_SIZE, MR_IOVA, buf, ACC_RW,
				 &handle, &q.lkey, NULL);
	if (r->reg) {
		ASSERT_EQ(r->reg, ret);
		goto out;
	}
	ASSERT_EQ(0, ret) TH_LOG("registration: %s", strerror(-ret));
	ASSERT_EQ(0, edu_rdma_mr_query(ctl, &q));
	ASSERT_LE(1, q.nr_blocks);
	ASSERT_EQ(0, q.revokes);
	if (r->xfer) {
		fill_pattern(data, XLEN, 0x91);
		ASSERT_EQ(0, edu_rdma_xfer(ctl, q.lkey, EDU_RDMA_WRITE, MR_IOVA,
					   data, XLEN));
	}

	/* Revoked: invalidated, not dead */
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, false));
	ASSERT_EQ(0, edu_rdma_mr_query(ctl, &q));
	ASSERT_EQ(0, q.revoked);
	ASSERT_EQ(0, q.nr_blocks);
	ASSERT_EQ(1, q.revokes);
	memset(bad, 0x5a, sizeof(bad));
	ASSERT_EQ(-ENODEV, edu_rdma_xfer(ctl, q.lkey, EDU_RDMA_WRITE,
					 MR_IOVA + XLEN, bad, XLEN));
	ASSERT_EQ(0, edu_rdma_mr_query(ctl, &q));
	ASSERT_EQ(0, q.nr_blocks);

	/* Restored: the next transfer maps again */
	ASSERT_EQ(0, vfio_set_mem_decode(r->vfio, true));
	if (r->xfer) {
		uint8_t back[XLEN];

		fill_pattern(data, XLEN, 0x92);
		ASSERT_EQ(0, edu_rdma_xfer(ctl, q.lkey, EDU_RDMA_WRITE, MR_IOVA,
					   data, XLEN));
		ASSERT_EQ(0, edu_rdma_xfer(ctl, q.lkey, EDU_RDMA_READ, MR_IOVA,
					   back, XLEN));
		ASSERT_EQ(0, memcmp(data, back, XLEN));
		ASSERT_EQ(0, memcmp(r->bar + off, data, XLEN));
		ASSERT_EQ(0, edu_rdma_mr_query(ctl, &q));
		ASSERT_LE(1, q.nr_blocks);
	}
	host_check(r, "dynamic", off, data, XLEN);
	ASSERT_EQ(0, rdma_dereg_mr(&ctx, handle));
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
out:
	rdma_close(&ctx);
	close(ctl);
	close(buf);
}

/*
 * Close orders: the dma-buf right after registration (the MR keeps it),
 * the uverbs file with an MR registered (uverbs deregisters it), and the
 * RDMA device itself under a live uverbs file (it disassociates).
 */
TEST_F(rdma, close_order)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SL_ORDER),
						  SLOT_SIZE };
	uint8_t data[XLEN];
	uint32_t revokes0;
	struct mr mr, mr2;
	int buf;

	buf = export(r, &rg, 1);
	ASSERT_LE(0, buf);
	if (!reg_expect(_metadata, r, buf, 0, SLOT_SIZE, &mr))
		return;
	close(buf);
	if (r->xfer) {
		fill_pattern(data, sizeof(data), 0x81);
		write_read(_metadata, r, &mr, MR_IOVA, data, sizeof(data));
	}

	/* uverbs file first: its MR is deregistered (and "revoked") */
	revokes0 = revokes(r);
	rdma_close_no_dealloc(&r->ctx);
	r->ctx_open = false;
	ASSERT_EQ(0, nr_mrs(r));
	ASSERT_EQ(revokes0 + 1, revokes(r));

	/* The RDMA device under a live uverbs file with an MR */
	buf = export(r, &rg, 1);
	ASSERT_LE(0, buf);
	ASSERT_EQ(0, rdma_open(&r->ctx, r->ibdev));
	r->ctx_open = true;
	ASSERT_EQ(0, reg(r, buf, 0, SLOT_SIZE, MR_IOVA, ACC_RW, &mr));
	ASSERT_EQ(2, dmabuf_fd_refs(buf));
	ASSERT_EQ(0, close(r->ctl));
	r->ctl = -1;
	/*
	 * Disassociated: the MR is gone; uverbs refuses every command but
	 * the destroys, which free what is left of their objects
	 */
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	ASSERT_EQ(-EIO, reg(r, buf, 0, SLOT_SIZE, MR_IOVA, ACC_RW, &mr2));
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	rdma_close(&r->ctx);
	r->ctx_open = false;
	close(buf);
}

/* ------------------------------------------------------------------ */
/* Wrong arguments, refused importers: on the switch pair, which       */
/* registers on every plan.                                            */
/* ------------------------------------------------------------------ */

FIXTURE(args) {
	struct rig r;
	int buf;
};

FIXTURE_SETUP(args)
{
	const struct vfio_region_dma_range rg = { slot_off(SL_ARGS),
						  SLOT_SIZE };

	rig_setup(_metadata, &self->r, &pair_switch, 0);
	self->buf = export(&self->r, &rg, 1);
	ASSERT_LE(0, self->buf);
}

FIXTURE_TEARDOWN(args)
{
	if (self->buf >= 0)
		close(self->buf);
	rig_teardown(&self->r);
}

/* The errnos uverbs and the umem give, and nothing left behind */
TEST_F(args, registration)
{
	struct rig *r = &self->r;
	/* Memory windows: not an access REG_DMABUF_MR takes */
	const uint32_t bad_access = IB_UVERBS_ACCESS_MW_BIND;
	struct mr mr;
	int memfd;

	/* Page offsets of offset and IOVA differ */
	ASSERT_EQ(-EINVAL, reg(r, self->buf, 0, PG, MR_IOVA + 8, ACC_RW, &mr));
	ASSERT_EQ(-EINVAL, reg(r, self->buf, 0, 0, MR_IOVA, ACC_RW, &mr));
	ASSERT_EQ(-EINVAL, reg(r, self->buf, PG, SLOT_SIZE, MR_IOVA, ACC_RW,
			       &mr));
	ASSERT_EQ(-EINVAL, reg(r, self->buf, SLOT_SIZE, PG, MR_IOVA, ACC_RW,
			       &mr));
	ASSERT_EQ(-EINVAL, reg(r, self->buf, -PG, 2 * PG, MR_IOVA, ACC_RW,
			       &mr));
	/* IOVA + length wraps */
	ASSERT_EQ(-EINVAL, reg(r, self->buf, 0, 2 * PG, -PG, ACC_RW, &mr));
	/* Unknown access bit; remote write without local write */
	ASSERT_EQ(-EINVAL, reg(r, self->buf, 0, PG, MR_IOVA, bad_access, &mr));
	ASSERT_EQ(-EINVAL, reg(r, self->buf, 0, PG, MR_IOVA,
			       IB_UVERBS_ACCESS_REMOTE_WRITE, &mr));
	/* Not a descriptor; not a dma-buf */
	ASSERT_EQ(-EBADF, reg(r, 1000, 0, PG, MR_IOVA, ACC_RW, &mr));
	memfd = memfd_create("rdma", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, SLOT_SIZE));
	ASSERT_EQ(-EINVAL, reg(r, memfd, 0, PG, MR_IOVA, ACC_RW, &mr));
	close(memfd);
	/* A PD handle that does not exist */
	{
		uint32_t pd = r->ctx.pd_handle;

		r->ctx.pd_handle = pd + 100;
		ASSERT_EQ(-ENOENT, reg(r, self->buf, 0, PG, MR_IOVA, ACC_RW,
				       &mr));
		r->ctx.pd_handle = pd;
	}

	ASSERT_EQ(0, nr_mrs(r));
	ASSERT_EQ(1, dmabuf_fd_refs(self->buf));
	/* And a good one still works */
	ASSERT_EQ(0, reg(r, self->buf, 0, SLOT_SIZE, MR_IOVA, ACC_RW, &mr));
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	ASSERT_NE(0, rdma_dereg_mr(&r->ctx, mr.handle));
}

/* EDU_RDMA_XFER's own errnos, checked before any DMA */
TEST_F(args, transfer)
{
	struct rig *r = &self->r;
	uint8_t data[XLEN] = { 0 };
	struct mr mr, ro;

	ASSERT_EQ(0, reg(r, self->buf, 0, SLOT_SIZE, MR_IOVA, ACC_RW, &mr));
	ASSERT_EQ(0, reg(r, self->buf, 0, PG, MR_IOVA,
			 IB_UVERBS_ACCESS_REMOTE_READ, &ro));
	ASSERT_NE(mr.lkey, ro.lkey);

	ASSERT_EQ(-ENOENT, xfer(r, mr.lkey ^ 0x100, EDU_RDMA_READ, MR_IOVA,
				data, 64));
	ASSERT_EQ(-ENOENT, xfer(r, mr.lkey ^ 1, EDU_RDMA_READ, MR_IOVA,
				data, 64));
	ASSERT_EQ(-EINVAL, xfer(r, mr.lkey, 7, MR_IOVA, data, 64));
	ASSERT_EQ(-EINVAL, xfer(r, mr.lkey, EDU_RDMA_READ, MR_IOVA, data, 0));
	ASSERT_EQ(-EINVAL, xfer(r, mr.lkey, EDU_RDMA_READ, MR_IOVA, data,
				EDU_RDMA_MAX_XFER + 1));
	ASSERT_EQ(-EINVAL, xfer(r, mr.lkey, EDU_RDMA_READ, MR_IOVA - 1, data,
				64));
	ASSERT_EQ(-EINVAL, xfer(r, mr.lkey, EDU_RDMA_READ,
				MR_IOVA + SLOT_SIZE - 32, data, 64));
	ASSERT_EQ(-EINVAL, xfer(r, mr.lkey, EDU_RDMA_READ, -64ULL, data, 64));
	ASSERT_EQ(-EACCES, xfer(r, ro.lkey, EDU_RDMA_WRITE, MR_IOVA, data,
				64));
	ASSERT_EQ(-EFAULT, xfer(r, mr.lkey, EDU_RDMA_WRITE, MR_IOVA, NULL,
				64));
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, ro.handle));
	ASSERT_EQ(0, rdma_dereg_mr(&r->ctx, mr.handle));
	ASSERT_EQ(1, dmabuf_fd_refs(self->buf));
}

/* EDU_RDMA_CREATE's errnos */
TEST_F(args, create)
{
	struct edu_rdma_create c = { .edu_bdf = 0xffff };
	int ctl, ret;

	ctl = open("/dev/edu_rdma", O_RDWR);
	ASSERT_LE(0, ctl) {
		TH_LOG("/dev/edu_rdma: %s", strerror(errno));
	}
	{
		ASSERT_EQ(-1, ioctl(ctl, EDU_RDMA_CREATE, &c));
		ASSERT_EQ(ENODEV, errno);
		c.edu_bdf = pci_bdf_id(self->r.edu_bdf);
		/* Unknown, then conflicting */
		c.flags = 4;
		ASSERT_EQ(-1, ioctl(ctl, EDU_RDMA_CREATE, &c));
		ASSERT_EQ(EINVAL, errno);
		c.flags = EDU_RDMA_CREATE_PINNED | EDU_RDMA_CREATE_DYNAMIC;
		ASSERT_EQ(-1, ioctl(ctl, EDU_RDMA_CREATE, &c));
		ASSERT_EQ(EINVAL, errno);
		c.flags = 0;
		c.pad = 1;
		ASSERT_EQ(-1, ioctl(ctl, EDU_RDMA_CREATE, &c));
		ASSERT_EQ(EINVAL, errno);
		ASSERT_EQ(-1, ioctl(ctl, EDU_RDMA_XFER, &c));
		ASSERT_EQ(ENODEV, errno);
	}
	close(ctl);
	/* One device per file */
	ret = ioctl(self->r.ctl, EDU_RDMA_CREATE, &(struct edu_rdma_create){
		.edu_bdf = pci_bdf_id(self->r.edu_bdf) });
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EBUSY, errno);
}

/*
 * An importer that ignores revocation (the plain pinned umem of efa,
 * bnxt_re, mana) is refused at attach, and leaves nothing behind.
 */
TEST(pinned_refused)
{
	const struct vfio_region_dma_range rg = { slot_off(SL_ARGS), PG };
	struct rig r;
	struct mr mr;
	int buf, i;

	rig_setup(_metadata, &r, &pair_switch, EDU_RDMA_CREATE_PINNED);
	buf = export(&r, &rg, 1);
	ASSERT_LE(0, buf);
	for (i = 0; i < 16; i++)
		ASSERT_EQ(-EOPNOTSUPP, reg(&r, buf, 0, PG, MR_IOVA, ACC_RW,
					   &mr));
	ASSERT_EQ(0, nr_mrs(&r));
	ASSERT_EQ(1, dmabuf_fd_refs(buf));
	close(buf);
	rig_teardown(&r);
}

TEST_HARNESS_MAIN
