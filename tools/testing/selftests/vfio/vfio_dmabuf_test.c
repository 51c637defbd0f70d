// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: slices of a PCI memory BAR exported as a
 * dma-buf, checked against the user-space contract (shared/UAPI.md) and
 * imported by a real DMA engine: QEMU's edu device through the edu_dma
 * test importer (/dev/edu_dma, include/uapi/misc/edu_dma.h).
 *
 * The exporter is an ivshmem-plain whose BAR2 is a file on the host; the
 * machine has three ivshmem/edu pairs (rig/topologies.py), found by the
 * root slot they hang from. What the importer may do with a pair is the
 * machine's, and each case asserts what this plan must give:
 *
 *   plan   edu DMA     rootbus            switch     rootports
 *   q35    translated  EREMOTEIO          BUS_ADDR   EREMOTEIO
 *   epyc   identity    THRU_HOST_BRIDGE   BUS_ADDR   THRU_HOST_BRIDGE
 *
 * (epyc is told apart by its AMD Zen CPU, and boots with iommu=pt.) Data
 * moves only where edu's DMA is untranslated: a DMA to a raw bus address
 * through the vIOMMU would fault. Where bytes land in the BAR the runner checks
 * the host file after the machine stopped (RIG-CHECK lines), at offsets
 * in the upper half of the BAR that nothing else writes; every case has
 * its own slot there, so no later case overwrites what one checked.
 *
 * ivshmem-plain has no capabilities (no PM, no PCIe): D3hot and FLR are
 * triggered on the machine's e1000e instead, which is only ever mapped,
 * never written to. The I/O-port BAR is pci-testdev's BAR1.
 *
 * Each case binds the functions it needs (exporter to vfio-pci, edu to
 * edu_dma) and leaves them so; the program puts back the drivers it found
 * when it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/pci_regs.h>
#include <misc/edu_dma.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define PG			0x1000ULL
#define XLEN			EDU_DMA_MAX_XFER
#define IV_BAR_SIZE		(16ULL << 20)
#define TESTDEV_VENDOR		0x1b36
#define TESTDEV_DEVICE		0x0005
#define E1000E_VENDOR		0x8086
#define E1000E_DEVICE		0x10d3

/* Scratch slots in the upper half of ivshmem's BAR2, one per case */
#define SLOT_BASE		(8ULL << 20)
#define SLOT_SIZE		(64ULL << 10)
enum slot {
	SLOT_MAP, SLOT_SGT, SLOT_DATA, SLOT_ORDER, SLOT_DECODE,
	SLOT_DECODE_EXPORT, SLOT_RESET, SLOT_HOT_RESET, SLOT_LOW_POWER,
	SLOT_CLOSE, SLOT_UNBIND, SLOT_IMPORTER, SLOT_STRESS,
	/* SLOT_STRESS + thread */
};

static uint64_t slot_off(int slot)
{
	return SLOT_BASE + slot * SLOT_SIZE;
}

/* One ivshmem/edu pair, and what the importer gets for it on each plan */
struct pair_desc {
	const char *name;
	const char *iv_slot;	/* root slot of the ivshmem */
	const char *edu_slot;	/* root slot of the edu */
	int map_q35;		/* EDU_DMA_MAP_* from MAP, or its -errno */
	int map_epyc;
	/* alone behind a bridge: VFIO_DEVICE_RESET and hot reset work */
	bool bus_reset;
};

static const struct pair_desc pair_rootbus = {
	.name = "rootbus", .iv_slot = "03.0", .edu_slot = "04.0",
	.map_q35 = -EREMOTEIO, .map_epyc = EDU_DMA_MAP_THRU_HOST_BRIDGE,
	/* on the root bus: no slot or bus reset, and no FLR or PM reset */
	.bus_reset = false,
};

static const struct pair_desc pair_switch = {
	.name = "switch", .iv_slot = "05.0", .edu_slot = "05.0",
	.map_q35 = EDU_DMA_MAP_BUS_ADDR, .map_epyc = EDU_DMA_MAP_BUS_ADDR,
	.bus_reset = true,
};

static const struct pair_desc pair_rootports = {
	.name = "rootports", .iv_slot = "07.0", .edu_slot = "08.0",
	.map_q35 = -EREMOTEIO, .map_epyc = EDU_DMA_MAP_THRU_HOST_BRIDGE,
	.bus_reset = true,
};

static uint32_t pci_id(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0U;
	return bus << 8 | dev << 3 | fn;
}

static int read_fdinfo(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -errno;
	n = read(f, buf, len - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* References to a dma-buf's file, as its fdinfo counts them */
static long dmabuf_count(int fd)
{
	char info[512], *p;

	if (read_fdinfo(fd, info, sizeof(info)))
		return -1;
	p = strstr(info, "count:\t");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

#define DMABUF_ARG_LEN(nr)						\
	(sizeof(struct vfio_device_feature) +				\
	 sizeof(struct vfio_device_feature_dma_buf) +			\
	 (nr) * sizeof(struct vfio_region_dma_range))

/* VFIO_DEVICE_FEATURE_DMA_BUF: the new fd, or -errno */
static int dmabuf_export(int dev, uint32_t region, uint32_t open_flags,
			 const struct vfio_region_dma_range *rg, uint32_t nr)
{
	struct vfio_device_feature_dma_buf *db;
	struct vfio_device_feature *f;
	int ret;

	f = calloc(1, DMABUF_ARG_LEN(nr));
	if (!f)
		return -ENOMEM;
	f->argsz = DMABUF_ARG_LEN(nr);
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (void *)f->data;
	db->region_index = region;
	db->open_flags = open_flags;
	db->nr_ranges = nr;
	memcpy(db->dma_ranges, rg, nr * sizeof(*rg));
	ret = ioctl(dev, VFIO_DEVICE_FEATURE, f);
	if (ret < 0)
		ret = -errno;
	free(f);
	return ret;
}

static int feature_set(int dev, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(dev, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

static int set_decode(int dev, bool on)
{
	return vfio_set_mem_decode(dev, on);
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) ? -errno : 0;
}

/* /dev/edu_dma */
static int imp_open(void)
{
	int fd = open("/dev/edu_dma", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int imp_import(int imp, uint32_t edu, int buf, uint32_t flags,
		      uint64_t *size)
{
	struct edu_dma_import arg = {
		.edu_bdf = edu,
		.fd = buf,
		.flags = flags,
	};

	if (ioctl(imp, EDU_DMA_IMPORT, &arg))
		return -errno;
	if (size)
		*size = arg.size;
	return 0;
}

static int imp_map(int imp, struct edu_dma_range *rg, uint32_t *nr,
		   uint32_t *type)
{
	struct edu_dma_map arg = {
		.nr_ranges = *nr,
		.ranges = (uintptr_t)rg,
	};

	if (ioctl(imp, EDU_DMA_MAP, &arg))
		return -errno;
	*nr = arg.nr_ranges;
	*type = arg.map_type;
	return 0;
}

static int imp_map_any(int imp)
{
	struct edu_dma_range rg[4];
	uint32_t nr = 4, type;

	return imp_map(imp, rg, &nr, &type);
}

static int imp_unmap(int imp)
{
	return ioctl(imp, EDU_DMA_UNMAP) ? -errno : 0;
}

static int imp_xfer(int imp, uint64_t off, const void *data, uint32_t len,
		    uint32_t dir)
{
	struct edu_dma_xfer arg = {
		.offset = off,
		.data = (uintptr_t)data,
		.len = len,
		.dir = dir,
	};

	return ioctl(imp, EDU_DMA_XFER, &arg) ? -errno : 0;
}

static int imp_status(int imp, struct edu_dma_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(imp, EDU_DMA_STATUS, st) ? -errno : 0;
}

/* A PCI function a case uses */
struct vdev {
	char bdf[32];
	int fd;			/* VFIO cdev, bound to iommufd */
	uint32_t devid;
};

/*
 * The drivers the machine's functions had when the program started. Cases
 * bind what they need in setup and leave it bound (rebinding costs time
 * on every case); the parent puts everything back when it exits
 * (pci_save_driver() registers that). Test processes end with _exit(), so
 * only the parent does it.
 */
static void save_driver(int ret, const char *bdf)
{
	if (!ret)
		pci_save_driver(bdf);
}

static void __attribute__((constructor)) save_drivers(void)
{
	const struct pair_desc *pairs[] = {
		&pair_rootbus, &pair_switch, &pair_rootports,
	};
	char bdf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		save_driver(pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
					  pairs[i]->iv_slot, bdf, sizeof(bdf)),
			    bdf);
		save_driver(pci_find_root(EDU_VENDOR, EDU_DEVICE,
					  pairs[i]->edu_slot, bdf, sizeof(bdf)),
			    bdf);
	}
	save_driver(pci_find(E1000E_VENDOR, E1000E_DEVICE, bdf, sizeof(bdf)),
		    bdf);
	save_driver(pci_find(TESTDEV_VENDOR, TESTDEV_DEVICE, bdf, sizeof(bdf)),
		    bdf);
}

static int vdev_bind(struct vdev *d, const char *drv)
{
	return pci_bind_driver(d->bdf, drv);
}

static int vdev_open(struct vdev *d, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	d->fd = vfio_cdev_open(d->bdf);
	if (d->fd < 0)
		return d->fd;
	if (ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	d->devid = bind.out_devid;
	return 0;
}

/*
 * What a case works with: an exporter bound to vfio-pci, and (for the
 * importer cases) an edu bound to edu_dma. Every importer and dma-buf a
 * case opens is tracked and closed at teardown.
 */
struct rig {
	const char *name;	/* pair name: labels and host files */
	int iommufd;
	struct vdev exp;
	struct vdev edu;
	uint32_t region;
	uint64_t phys;		/* CPU physical address of the region */
	uint8_t *bar;		/* the region mmap'd through VFIO */
	size_t bar_size;
	uint32_t edu_id;	/* EDU_DMA_IMPORT.edu_bdf */
	int expect;		/* MAP: EDU_DMA_MAP_* or -errno */
	bool ident;		/* edu untranslated: DMA address == physical */
	bool xfer;		/* data may move (edu untranslated, scratch BAR) */
	bool scratch;		/* refused transfers may be attempted */
	bool bus_reset;
	int fds[24];
};

static void rig_init(struct rig *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->iommufd = -1;
	r->exp.fd = -1;
	r->edu.fd = -1;
	for (i = 0; i < ARRAY_SIZE(r->fds); i++)
		r->fds[i] = -1;
}

static int track(struct rig *r, int fd)
{
	unsigned int i;

	for (i = 0; fd >= 0 && i < ARRAY_SIZE(r->fds); i++) {
		if (r->fds[i] < 0) {
			r->fds[i] = fd;
			break;
		}
	}
	return fd;
}

static int rig_close(struct rig *r, int fd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(r->fds); i++)
		if (r->fds[i] == fd)
			r->fds[i] = -1;
	return close(fd);
}

static void rig_teardown(struct rig *r)
{
	int i;

	if (r->bar)
		munmap(r->bar, r->bar_size);
	r->bar = NULL;
	for (i = ARRAY_SIZE(r->fds) - 1; i >= 0; i--)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	if (r->exp.fd >= 0)
		close(r->exp.fd);
	if (r->iommufd >= 0)
		close(r->iommufd);
}

/*
 * The exporter: bound to @drv (vfio-pci when NULL), its cdev bound to a
 * fresh iommufd, decode on
 */
static void rig_exporter_drv(struct __test_metadata *_metadata, struct rig *r,
			     const char *bdf, const char *drv)
{
	drv = drv ?: "vfio-pci";
	snprintf(r->exp.bdf, sizeof(r->exp.bdf), "%s", bdf);
	ASSERT_EQ(0, vdev_bind(&r->exp, drv))
		TH_LOG("binding %s to %s", bdf, drv);
	r->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, r->iommufd);
	ASSERT_EQ(0, vdev_open(&r->exp, r->iommufd));
	ASSERT_EQ(0, set_decode(r->exp.fd, true));
}

static void rig_exporter(struct __test_metadata *_metadata, struct rig *r,
			 const char *bdf)
{
	rig_exporter_drv(_metadata, r, bdf, NULL);
}

/* The edu that imports, and what MAP must give for it on this plan */
static void rig_importer(struct __test_metadata *_metadata, struct rig *r,
			 const char *edu_slot, int map_q35, int map_epyc)
{
	char type[32];

	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE, edu_slot,
				   r->edu.bdf, sizeof(r->edu.bdf)))
		TH_LOG("no edu below root slot %s", edu_slot);
	ASSERT_EQ(0, vdev_bind(&r->edu, "edu_dma"))
		TH_LOG("binding %s to edu_dma", r->edu.bdf);
	r->edu_id = pci_id(r->edu.bdf);
	ASSERT_EQ(0, pci_iommu_type(r->edu.bdf, type, sizeof(type)));
	if (plan_epyc()) {
		/* iommu=pt: edu's DMA addresses are bus addresses */
		ASSERT_STREQ("identity", type);
		r->expect = map_epyc;
	} else {
		/* intel-iommu translates: a raw bus address would fault */
		ASSERT_EQ(0, strncmp(type, "DMA", 3))
			TH_LOG("%s: IOMMU group type %s", r->edu.bdf, type);
		r->expect = map_q35;
	}
	r->ident = !strcmp(type, "identity");
}

/* A pair: ivshmem BAR2 exported, mmap'd for the CPU's view of it */
static void rig_pair(struct __test_metadata *_metadata, struct rig *r,
		     const struct pair_desc *p)
{
	char bdf[32];

	r->name = p->name;
	r->bus_reset = p->bus_reset;
	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE, p->iv_slot,
				   bdf, sizeof(bdf)))
		TH_LOG("no ivshmem below root slot %s", p->iv_slot);
	rig_exporter(_metadata, r, bdf);
	r->region = IVSHMEM_BAR;
	ASSERT_EQ(0, pci_resource_start(bdf, r->region, &r->phys));
	r->bar = vfio_mmap_region(r->exp.fd, r->region, &r->bar_size);
	ASSERT_NE(NULL, r->bar);
	ASSERT_EQ(IV_BAR_SIZE, r->bar_size);
	rig_importer(_metadata, r, p->edu_slot, p->map_q35, p->map_epyc);
	r->scratch = true;
	r->xfer = r->ident;
}

static uint64_t ranges_size(const struct vfio_region_dma_range *rg,
			    uint32_t nr)
{
	uint64_t size = 0;

	while (nr--)
		size += rg[nr].length;
	return size;
}

/* fstat, lseek and fdinfo all tell the size; fdinfo names the exporter */
static void check_dmabuf(struct __test_metadata *_metadata, int fd,
			 uint64_t size)
{
	char info[512], want[64];
	struct stat st;

	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(size, (uint64_t)st.st_size);
	ASSERT_EQ((off_t)size, lseek(fd, 0, SEEK_END));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ(0, read_fdinfo(fd, info, sizeof(info)));
	ASSERT_NE(NULL, strstr(info, "exp_name:\tvfio_pci_core\n"))
		TH_LOG("fdinfo: %s", info);
	snprintf(want, sizeof(want), "size:\t%llu\n", (unsigned long long)size);
	ASSERT_NE(NULL, strstr(info, want))
		TH_LOG("fdinfo: %s", info);
}

static int rig_export(struct __test_metadata *_metadata, struct rig *r,
		      const struct vfio_region_dma_range *rg, uint32_t nr)
{
	int fd = dmabuf_export(r->exp.fd, r->region, O_RDWR | O_CLOEXEC,
			       rg, nr);

	ASSERT_LT(0, fd) TH_LOG("export: %s", strerror(-fd));
	track(r, fd);
	check_dmabuf(_metadata, fd, ranges_size(rg, nr));
	return fd;
}

static int rig_import(struct __test_metadata *_metadata, struct rig *r,
		      int buf, uint32_t flags)
{
	uint64_t size = 0;
	int imp, ret;

	imp = track(r, imp_open());
	ASSERT_LE(0, imp) TH_LOG("/dev/edu_dma: %s", strerror(-imp));
	ret = imp_import(imp, r->edu_id, buf, flags, &size);
	ASSERT_EQ(0, ret) TH_LOG("EDU_DMA_IMPORT: %s", strerror(-ret));
	ASSERT_EQ((uint64_t)lseek(buf, 0, SEEK_END), size);
	return imp;
}

/*
 * MAP, and check it gives what this pair gives on this plan. A range-list
 * import maps each range on its own; on x86 a bus address and an
 * untranslated DMA address are both the CPU physical address.
 */
static void map_expect(struct __test_metadata *_metadata, struct rig *r,
		       int imp, const struct vfio_region_dma_range *rg,
		       uint32_t nr, bool sgt)
{
	struct edu_dma_range out[16];
	uint32_t n = ARRAY_SIZE(out), type = ~0U, i;
	struct edu_dma_status st;
	uint64_t sum = 0;
	int ret;

	memset(out, 0, sizeof(out));
	ret = imp_map(imp, out, &n, &type);
	if (r->expect < 0) {
		ASSERT_EQ(r->expect, ret)
			TH_LOG("%s: MAP gave %s", r->name, strerror(-ret));
		ASSERT_EQ(0, imp_status(imp, &st));
		ASSERT_EQ(0, st.mapped);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("%s: MAP: %s", r->name, strerror(-ret));
	ASSERT_EQ(0, imp_status(imp, &st));
	ASSERT_EQ(1, st.mapped);
	if (sgt) {
		ASSERT_EQ(EDU_DMA_MAP_SGT, type);
		ASSERT_LE(1, n);
		ASSERT_GE(ARRAY_SIZE(out), n);
		for (i = 0; i < n; i++)
			sum += out[i].len;
		ASSERT_EQ(ranges_size(rg, nr), sum);
		return;
	}
	ASSERT_EQ((uint32_t)r->expect, type);
	ASSERT_EQ(nr, n);
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(rg[i].length, out[i].len);
		if (type == EDU_DMA_MAP_BUS_ADDR || r->ident)
			ASSERT_EQ(r->phys + rg[i].offset, out[i].addr)
				TH_LOG("range %u", i);
	}
}

/* A revoke reached the importer: its mapping (if any) was dropped. */
static void expect_dropped(struct __test_metadata *_metadata, int imp,
			   const struct edu_dma_status *before)
{
	struct edu_dma_status st;

	ASSERT_EQ(0, imp_status(imp, &st));
	ASSERT_EQ(0, st.mapped);
	ASSERT_LE(before->notified + 1, st.notified);
	ASSERT_EQ(before->revoked + before->mapped, st.revoked);
}

/* Nothing reached the importer. */
static void expect_same(struct __test_metadata *_metadata, int imp,
			const struct edu_dma_status *before)
{
	struct edu_dma_status st;

	ASSERT_EQ(0, imp_status(imp, &st));
	ASSERT_EQ(before->mapped, st.mapped);
	ASSERT_EQ(before->notified, st.notified);
	ASSERT_EQ(before->revoked, st.revoked);
}

/* While revoked the importer can neither map nor move @junk anywhere. */
static void expect_refused(struct __test_metadata *_metadata, struct rig *r,
			   int imp, const void *junk)
{
	struct edu_dma_status st;

	ASSERT_EQ(-ENODEV, imp_map_any(imp));
	if (r->scratch)
		ASSERT_EQ(-ENODEV, imp_xfer(imp, 0, junk, XLEN,
					    EDU_DMA_TO_BUF));
	ASSERT_EQ(0, imp_status(imp, &st));
	ASSERT_EQ(0, st.mapped);
}

static void host_check(struct rig *r, const char *what, uint64_t off,
		       const void *buf, size_t len)
{
	char label[64], file[64];

	snprintf(label, sizeof(label), "dmabuf-%s-%s", what, r->name);
	snprintf(file, sizeof(file), "ivshmem-%s", r->name);
	rig_check(label, file, off, buf, len);
}

/* ------------------------------------------------------------------ */
/* 1. Every request the UAPI table refuses, one variant per row.       */
/* ------------------------------------------------------------------ */

enum { DEV_IVSHMEM, DEV_EDU, DEV_TESTDEV };
enum { FAULT_NONE, FAULT_RANGES, FAULT_HEADER };

FIXTURE(export_err) {
	struct rig r;
};

FIXTURE_VARIANT(export_err) {
	int dev;		/* rootbus ivshmem, rootbus edu, pci-testdev */
	uint32_t op;		/* VFIO_DEVICE_FEATURE_* ops; 0 is GET */
	uint32_t argsz;		/* 0: exactly the nr entries */
	uint32_t region;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr;		/* above 3: generated one-page ranges */
	struct vfio_region_dma_range ranges[3];
	int fault;
	int err;		/* errno; 0 for success */
	bool fd;		/* success gives a dma-buf fd (not PROBE) */
	const char *drv;	/* the exporter's driver; NULL: vfio-pci */
};

#define IV_BAR2		.region = VFIO_PCI_BAR2_REGION_INDEX
#define RW_CLOEXEC	.open_flags = O_RDWR | O_CLOEXEC
#define ONE(o, l)	.nr = 1, .ranges = { { (o), (l) } }
#define TWO(o1, l1, o2, l2)						\
	.nr = 2, .ranges = { { (o1), (l1) }, { (o2), (l2) } }
#define THREE(o1, l1, o2, l2, o3, l3)					\
	.nr = 3, .ranges = { { (o1), (l1) }, { (o2), (l2) }, { (o3), (l3) } }
#define FEAT_HDR	sizeof(struct vfio_device_feature)
#define DMABUF_HDR	sizeof(struct vfio_device_feature_dma_buf)

FIXTURE_VARIANT_ADD(export_err, probe) {
	.op = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = 0, .fd = false,
};

/* A variant driver that presents its own BAR layout does not export */
FIXTURE_VARIANT_ADD(export_err, variant_driver) {
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = EOPNOTSUPP,
	.drv = "vfio-pci-test-variant",
};

FIXTURE_VARIANT_ADD(export_err, variant_driver_probe) {
	.op = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET,
	.err = EOPNOTSUPP, .drv = "vfio-pci-test-variant",
};

FIXTURE_VARIANT_ADD(export_err, set) {
	.op = VFIO_DEVICE_FEATURE_SET,
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, probe_set) {
	.op = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET,
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = EINVAL,
};

/* One byte short of the dma-buf header */
FIXTURE_VARIANT_ADD(export_err, argsz_header) {
	.argsz = FEAT_HDR + DMABUF_HDR - 1,
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = EINVAL,
};

/* The header, but not its one entry (stricter than mainline) */
FIXTURE_VARIANT_ADD(export_err, argsz_no_entries) {
	.argsz = FEAT_HDR + DMABUF_HDR,
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, argsz_one_of_two) {
	.argsz = FEAT_HDR + DMABUF_HDR + sizeof(struct vfio_region_dma_range),
	IV_BAR2, RW_CLOEXEC, TWO(0, PG, PG, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, flags) {
	.flags = 1, IV_BAR2, RW_CLOEXEC, ONE(0, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, nr_zero) {
	IV_BAR2, RW_CLOEXEC, .nr = 0, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, nr_over_cap) {
	IV_BAR2, RW_CLOEXEC, .nr = VFIO_DEVICE_DMA_BUF_MAX_RANGES + 1,
	.err = E2BIG,
};

FIXTURE_VARIANT_ADD(export_err, open_trunc) {
	IV_BAR2, .open_flags = O_RDWR | O_TRUNC, ONE(0, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, open_append) {
	IV_BAR2, .open_flags = O_RDWR | O_APPEND, ONE(0, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, open_accmode) {
	IV_BAR2, .open_flags = O_ACCMODE, ONE(0, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, region_rom) {
	.region = VFIO_PCI_ROM_REGION_INDEX, RW_CLOEXEC, ONE(0, PG),
	.err = ENODEV,
};

FIXTURE_VARIANT_ADD(export_err, region_config) {
	.region = VFIO_PCI_CONFIG_REGION_INDEX, RW_CLOEXEC, ONE(0, PG),
	.err = ENODEV,
};

FIXTURE_VARIANT_ADD(export_err, region_vga) {
	.region = VFIO_PCI_VGA_REGION_INDEX, RW_CLOEXEC, ONE(0, PG),
	.err = ENODEV,
};

/* The first device-specific region index */
FIXTURE_VARIANT_ADD(export_err, region_9) {
	.region = VFIO_PCI_NUM_REGIONS, RW_CLOEXEC, ONE(0, PG), .err = ENODEV,
};

FIXTURE_VARIANT_ADD(export_err, region_max) {
	.region = 0xffffffff, RW_CLOEXEC, ONE(0, PG), .err = ENODEV,
};

/* ivshmem-plain: BAR1 (MSI-X on ivshmem-doorbell) is not implemented */
FIXTURE_VARIANT_ADD(export_err, bar_empty) {
	.region = VFIO_PCI_BAR1_REGION_INDEX, RW_CLOEXEC, ONE(0, PG),
	.err = ENODEV,
};

/* The upper half of the 64-bit BAR2 */
FIXTURE_VARIANT_ADD(export_err, bar_upper_half) {
	.region = VFIO_PCI_BAR3_REGION_INDEX, RW_CLOEXEC, ONE(0, PG),
	.err = ENODEV,
};

/* edu bound to vfio-pci: only BAR0 exists */
FIXTURE_VARIANT_ADD(export_err, edu_bar1) {
	.dev = DEV_EDU, .region = VFIO_PCI_BAR1_REGION_INDEX, RW_CLOEXEC,
	ONE(0, PG), .err = ENODEV,
};

/* pci-testdev: BAR1 is I/O ports */
FIXTURE_VARIANT_ADD(export_err, io_bar) {
	.dev = DEV_TESTDEV, .region = VFIO_PCI_BAR1_REGION_INDEX, RW_CLOEXEC,
	ONE(0, PG), .err = EINVAL,
};

/* ...and its memory BAR0 (4 KiB) exports */
FIXTURE_VARIANT_ADD(export_err, testdev_bar0) {
	.dev = DEV_TESTDEV, .region = VFIO_PCI_BAR0_REGION_INDEX, RW_CLOEXEC,
	ONE(0, PG), .err = 0, .fd = true,
};

/* ivshmem's 256-byte register BAR: no page fits in it */
FIXTURE_VARIANT_ADD(export_err, bar_below_page) {
	.region = VFIO_PCI_BAR0_REGION_INDEX, RW_CLOEXEC, ONE(0, PG),
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, length_zero) {
	IV_BAR2, RW_CLOEXEC, ONE(0, 0), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, offset_unaligned) {
	IV_BAR2, RW_CLOEXEC, ONE(0x800, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, length_unaligned) {
	IV_BAR2, RW_CLOEXEC, ONE(0, 0x1800), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, wrap) {
	IV_BAR2, RW_CLOEXEC, ONE(0xfffffffffffff000ULL, 2 * PG),
	.err = EOVERFLOW,
};

/* offset + length is exactly 2^64 */
FIXTURE_VARIANT_ADD(export_err, wrap_to_zero) {
	IV_BAR2, RW_CLOEXEC, ONE(0xfffffffffffff000ULL, PG), .err = EOVERFLOW,
};

FIXTURE_VARIANT_ADD(export_err, wrap_second) {
	IV_BAR2, RW_CLOEXEC, TWO(0, PG, 0xfffffffffffff000ULL, 2 * PG),
	.err = EOVERFLOW,
};

FIXTURE_VARIANT_ADD(export_err, past_end) {
	IV_BAR2, RW_CLOEXEC, ONE(IV_BAR_SIZE - PG, 2 * PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, at_end) {
	IV_BAR2, RW_CLOEXEC, ONE(IV_BAR_SIZE, PG), .err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, overlap) {
	IV_BAR2, RW_CLOEXEC, TWO(0, 2 * PG, PG, PG), .err = EINVAL,
};

/* The first and the third range overlap; neither touches the second. */
FIXTURE_VARIANT_ADD(export_err, overlap_apart) {
	IV_BAR2, RW_CLOEXEC, THREE(0, 2 * PG, 0x10000, PG, PG, PG),
	.err = EINVAL,
};

/* The third range starts below the first and runs into it. */
FIXTURE_VARIANT_ADD(export_err, overlap_before) {
	IV_BAR2, RW_CLOEXEC, THREE(0x3000, PG, 0x8000, PG, 0x2000, 2 * PG),
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(export_err, duplicate) {
	IV_BAR2, RW_CLOEXEC, TWO(0x4000, PG, 0x4000, PG), .err = EINVAL,
};

/* The header is readable, the ranges after it are not. */
FIXTURE_VARIANT_ADD(export_err, fault_ranges) {
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .fault = FAULT_RANGES, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(export_err, fault_header) {
	IV_BAR2, RW_CLOEXEC, ONE(0, PG), .fault = FAULT_HEADER, .err = EFAULT,
};

/* Boundaries that are fine, next to the rows above */
FIXTURE_VARIANT_ADD(export_err, ok_touching) {
	IV_BAR2, RW_CLOEXEC, TWO(0, PG, PG, PG), .err = 0, .fd = true,
};

FIXTURE_VARIANT_ADD(export_err, ok_last_page) {
	IV_BAR2, RW_CLOEXEC, ONE(IV_BAR_SIZE - PG, PG), .err = 0, .fd = true,
};

FIXTURE_VARIANT_ADD(export_err, ok_whole_bar) {
	IV_BAR2, RW_CLOEXEC, ONE(0, IV_BAR_SIZE), .err = 0, .fd = true,
};

FIXTURE_SETUP(export_err)
{
	char bdf[32];

	rig_init(&self->r);
	switch (variant->dev) {
	case DEV_IVSHMEM:
		ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
					   pair_rootbus.iv_slot, bdf,
					   sizeof(bdf)));
		break;
	case DEV_EDU:
		ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE,
					   pair_rootbus.edu_slot, bdf,
					   sizeof(bdf)));
		break;
	default:
		ASSERT_EQ(0, pci_find(TESTDEV_VENDOR, TESTDEV_DEVICE, bdf,
				      sizeof(bdf)))
			TH_LOG("the machine has no pci-testdev (1b36:0005)");
		break;
	}
	rig_exporter_drv(_metadata, &self->r, bdf, variant->drv);
}

FIXTURE_TEARDOWN(export_err)
{
	rig_teardown(&self->r);
}

TEST_F(export_err, ioctl)
{
	struct vfio_device_feature_dma_buf *db;
	struct vfio_region_dma_range *rg;
	struct vfio_device_feature *f;
	uint32_t given, i, argsz;
	long page = getpagesize();
	uint8_t *mem, *arg;
	int want, ret, err;
	size_t len;

	given = variant->nr;
	len = DMABUF_ARG_LEN(given);
	argsz = variant->argsz ?: len;
	/*
	 * Room for the argument, and a page that becomes PROT_NONE for the
	 * EFAULT rows: the ranges, or the whole argument, are in it.
	 */
	mem = mmap(NULL, len + 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	arg = mem;
	if (variant->fault == FAULT_RANGES)
		arg = mem + page - FEAT_HDR - DMABUF_HDR;
	f = (void *)arg;
	f->argsz = argsz;
	f->flags = (variant->op ?: VFIO_DEVICE_FEATURE_GET) |
		   VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (void *)f->data;
	db->region_index = variant->region;
	db->open_flags = variant->open_flags;
	db->flags = variant->flags;
	db->nr_ranges = variant->nr;
	rg = db->dma_ranges;
	for (i = 0; i < given; i++) {
		if (given <= ARRAY_SIZE(variant->ranges)) {
			rg[i] = variant->ranges[i];
		} else {
			rg[i].offset = (i % (IV_BAR_SIZE / PG)) * PG;
			rg[i].length = PG;
		}
	}
	if (variant->fault != FAULT_NONE) {
		ASSERT_EQ(0, mprotect(mem + page, page, PROT_NONE));
		if (variant->fault == FAULT_HEADER)
			f = (void *)(mem + page);
	}

	want = next_fd();
	ret = ioctl(self->r.exp.fd, VFIO_DEVICE_FEATURE, f);
	err = ret < 0 ? errno : 0;
	if (variant->err) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(variant->err, err) TH_LOG("%s", strerror(err));
	} else if (!variant->fd) {
		ASSERT_EQ(0, ret) TH_LOG("%s", strerror(err));
	} else {
		/* A new dma-buf, in the lowest free slot */
		ASSERT_EQ(want, ret) TH_LOG("%s", strerror(err));
		check_dmabuf(_metadata, ret, ranges_size(variant->ranges,
							 variant->nr));
		ASSERT_EQ(!!(variant->open_flags & O_CLOEXEC),
			  !!(fcntl(ret, F_GETFD) & FD_CLOEXEC));
		ASSERT_EQ(0, close(ret));
	}
	/* Nothing was left behind in the descriptor table. */
	ASSERT_EQ(want, next_fd());
	munmap(mem, len + 2 * page);
}

/*
 * vfio-pci-core creates the P2P providers of a device's BARs once, when
 * it registers the device (never from the export ioctl, where two could
 * be installed): right after the bind, before any export, and on a
 * variant driver that never exports, every memory BAR has one. The test
 * variant drivers list them in the device's p2pdma_providers attribute.
 * After an unbind and a bind they are there again.
 */
static void expect_providers(struct __test_metadata *_metadata,
			     const char *bdf, const char *drv)
{
	char path[128], want[32] = "", got[32] = "";
	int bar, fd, n, len = 0;

	ASSERT_EQ(0, pci_bind_driver(bdf, drv)) TH_LOG("%s to %s", bdf, drv);
	for (bar = 0; bar < 6; bar++)
		if (pci_resource_is_mem(bdf, bar))
			len += snprintf(want + len, sizeof(want) - len, "%s%d",
					len ? " " : "", bar);
	ASSERT_LT(0, len) TH_LOG("%s has no memory BAR", bdf);

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pdma_providers",
		 bdf);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	n = read(fd, got, sizeof(got) - 1);
	close(fd);
	ASSERT_LT(0, n);
	ASSERT_EQ('\n', got[n - 1]);
	got[n - 1] = 0;
	EXPECT_STREQ(want, got) TH_LOG("%s bound to %s", bdf, drv);
}

TEST(providers_at_registration)
{
	static const char * const drvs[] = {
		"vfio-pci-test-variant", "vfio-pci-test-window",
		"vfio-pci-test-variant",
	};
	char iv[32], edu[32], edu_drv[64], path[128];
	unsigned int i;

	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
				   pair_rootbus.iv_slot, iv, sizeof(iv)));
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE,
				   pair_rootbus.edu_slot, edu, sizeof(edu)));
	if (pci_driver(edu, edu_drv, sizeof(edu_drv)))
		edu_drv[0] = 0;
	for (i = 0; i < ARRAY_SIZE(drvs); i++) {
		expect_providers(_metadata, iv, drvs[i]);
		expect_providers(_metadata, edu, drvs[i]);
	}
	/* The attribute goes with the test driver */
	ASSERT_EQ(0, pci_bind_vfio(iv));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pdma_providers",
		 iv);
	ASSERT_NE(0, access(path, F_OK));
	if (edu_drv[0])
		ASSERT_EQ(0, pci_bind_driver(edu, edu_drv));
}

/* ------------------------------------------------------------------ */
/* 2, 7. What a dma-buf fd is; many of them                            */
/* ------------------------------------------------------------------ */

FIXTURE(export) {
	struct rig r;
};

FIXTURE_SETUP(export)
{
	char bdf[32];

	rig_init(&self->r);
	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
				   pair_rootbus.iv_slot, bdf, sizeof(bdf)));
	rig_exporter(_metadata, &self->r, bdf);
	self->r.region = IVSHMEM_BAR;
}

/* Write "BDF BAR" to a knob of the test-only bar_holder; -errno */
static int holder_knob(const char *knob, const char *bdf, int bar)
{
	char path[64], buf[64];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/bar_holder/%s", knob);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%s %d", bdf, bar);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* Does /proc/iomem have [start, start + len) owned by @name? */
static bool iomem_owned(uint64_t start, uint64_t len, const char *name)
{
	unsigned long long s, e;
	char line[256], who[128];
	bool found = false;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %llx-%llx : %127[^\n]", &s, &e, who) != 3)
			continue;
		if (s == start && e == start + len - 1 && !strcmp(who, name))
			found = true;
	}
	fclose(f);
	return found;
}

FIXTURE_TEARDOWN(export)
{
	rig_teardown(&self->r);
	/* claims_bar may have stopped while holding it */
	holder_knob("release", self->r.exp.bdf, IVSHMEM_BAR);
}

TEST_F(export, single_range)
{
	const struct vfio_region_dma_range rg = { 0x10000, 4 * PG };
	int fd;

	fd = rig_export(_metadata, &self->r, &rg, 1);
	ASSERT_LT(0, fd);
	ASSERT_EQ(1, dmabuf_count(fd));
}

TEST_F(export, multi_range)
{
	const struct vfio_region_dma_range rg[] = {
		{ 0x20000, PG }, { 0, 0x10000 }, { 0x40000, 2 * PG },
	};

	rig_export(_metadata, &self->r, rg, ARRAY_SIZE(rg));
}

/* The cap: 4096 one-page ranges, in reverse, cover the whole BAR. */
TEST_F(export, max_ranges)
{
	const uint32_t nr = VFIO_DEVICE_DMA_BUF_MAX_RANGES;
	struct vfio_region_dma_range *rg;
	uint32_t i;

	ASSERT_EQ(IV_BAR_SIZE, nr * PG);
	rg = calloc(nr, sizeof(*rg));
	ASSERT_NE(NULL, rg);
	for (i = 0; i < nr; i++) {
		rg[i].offset = (nr - 1 - i) * PG;
		rg[i].length = PG;
	}
	rig_export(_metadata, &self->r, rg, nr);
	free(rg);
}

/*
 * Longer lists than the export reads onto its stack: ascending ones take
 * the linear overlap check, any other order the sorted one. 64 ranges two
 * pages apart, shuffled, export; the same list with one range moved onto
 * its neighbour does not, in either order, and leaves no fd behind.
 */
TEST_F(export, many_ranges_overlap)
{
	struct vfio_region_dma_range rg[64], tmp;
	uint32_t i, j, seed = 12345;
	int fd, want;

	for (i = 0; i < 64; i++) {
		rg[i].offset = 2 * i * PG;
		rg[i].length = PG;
	}
	/* The last range runs into the one before it: in order, overlapping */
	rg[63].offset = rg[62].offset;
	want = next_fd();
	fd = dmabuf_export(self->r.exp.fd, IVSHMEM_BAR, O_RDWR | O_CLOEXEC, rg, 64);
	ASSERT_EQ(-EINVAL, fd);
	ASSERT_EQ(want, next_fd());
	/* Reversed, the same two overlap */
	for (i = 0; i < 32; i++) {
		tmp = rg[i];
		rg[i] = rg[63 - i];
		rg[63 - i] = tmp;
	}
	fd = dmabuf_export(self->r.exp.fd, IVSHMEM_BAR, O_RDWR | O_CLOEXEC, rg, 64);
	ASSERT_EQ(-EINVAL, fd);
	ASSERT_EQ(want, next_fd());

	/* Apart again and shuffled: a valid list out of order */
	for (i = 0; i < 64; i++)
		rg[i].offset = 2 * i * PG;
	for (i = 63; i > 0; i--) {
		seed = seed * 1103515245 + 12345;
		j = (seed >> 16) % (i + 1);
		tmp = rg[i];
		rg[i] = rg[j];
		rg[j] = tmp;
	}
	rig_export(_metadata, &self->r, rg, 64);
}

/* Many buffers of one device, all valid at once */
TEST_F(export, many_buffers)
{
	struct vfio_region_dma_range rg;
	int fds[256], want, i;
	struct stat st;

	want = next_fd();
	for (i = 0; i < 256; i++) {
		rg.offset = i * PG;
		rg.length = PG;
		fds[i] = dmabuf_export(self->r.exp.fd, IVSHMEM_BAR,
				       O_RDWR | O_CLOEXEC, &rg, 1);
		ASSERT_LT(0, fds[i]) TH_LOG("export %d: %s", i,
					    strerror(-fds[i]));
	}
	for (i = 0; i < 256; i++) {
		ASSERT_EQ(0, fstat(fds[i], &st));
		ASSERT_EQ(PG, (uint64_t)st.st_size);
		ASSERT_EQ(1, dmabuf_count(fds[i]));
	}
	for (i = 0; i < 256; i++)
		ASSERT_EQ(0, close(fds[i]));
	ASSERT_EQ(want, next_fd());
}

/*
 * The export claims the BAR, as VFIO's mmap() and read/write do: a BAR
 * whose region another driver holds (here the test-only bar_holder, as a
 * firmware framebuffer's driver would) is refused with ENODEV, as
 * mainline does; once exported, /proc/iomem names vfio as its owner and
 * nobody else can take it, until the device is closed.
 */
TEST_F(export, claims_bar)
{
	const struct vfio_region_dma_range rg = { 0, PG };
	const char *bdf = self->r.exp.bdf;
	long len = pci_resource_size(bdf, IVSHMEM_BAR);
	uint64_t start;
	int fd;

	ASSERT_EQ(0, pci_resource_start(bdf, IVSHMEM_BAR, &start));
	ASSERT_EQ((long)IV_BAR_SIZE, len);
	ASSERT_FALSE(iomem_owned(start, len, "vfio"));

	ASSERT_EQ(0, holder_knob("hold", bdf, IVSHMEM_BAR));
	ASSERT_TRUE(iomem_owned(start, len, "bar_holder"));
	fd = dmabuf_export(self->r.exp.fd, IVSHMEM_BAR, O_RDWR | O_CLOEXEC,
			   &rg, 1);
	ASSERT_EQ(-ENODEV, fd);
	ASSERT_FALSE(iomem_owned(start, len, "vfio"));
	ASSERT_EQ(0, holder_knob("release", bdf, IVSHMEM_BAR));

	fd = rig_export(_metadata, &self->r, &rg, 1);
	ASSERT_TRUE(iomem_owned(start, len, "vfio"));
	ASSERT_EQ(-EBUSY, holder_knob("hold", bdf, IVSHMEM_BAR));

	/* Closed, the device lets the BAR go; the buffer is still a file */
	ASSERT_EQ(0, close(self->r.exp.fd));
	self->r.exp.fd = -1;
	ASSERT_FALSE(iomem_owned(start, len, "vfio"));
	ASSERT_EQ(0, holder_knob("hold", bdf, IVSHMEM_BAR));
	ASSERT_EQ(0, holder_knob("release", bdf, IVSHMEM_BAR));
	ASSERT_EQ(1, dmabuf_count(fd));
}

/* No CPU access */
TEST_F(export, mmap_fails)
{
	const struct vfio_region_dma_range rg = { 0, 2 * PG };
	void *p;
	int fd;

	fd = rig_export(_metadata, &self->r, &rg, 1);
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
}

/* Nothing to synchronise: DMA_BUF_IOCTL_SYNC succeeds (as mainline). */
TEST_F(export, sync)
{
	const struct vfio_region_dma_range rg = { 0, PG };
	int fd;

	fd = rig_export(_metadata, &self->r, &rg, 1);
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(0, dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

/*
 * sw_sync, the debugfs interface of drivers/dma-buf/sw_sync.c (no UAPI
 * header): fences on a timeline that the test advances itself, standing
 * for work a GPU-like importer queued on the buffer.
 */
struct sw_sync_create_fence_data {
	__u32 value;
	char name[32];
	__s32 fence;
};

#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR('W', 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC		_IOW('W', 1, __u32)

/* Add an unsignalled fence to @buf's writers; returns its timeline */
static int add_sw_fence(struct __test_metadata *_metadata, struct rig *r,
			int buf)
{
	struct sw_sync_create_fence_data c = { .value = 1, .name = "revoke" };
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	int tl, ret;

	tl = track(r, open("/sys/kernel/debug/sync/sw_sync",
			   O_RDWR | O_CLOEXEC));
	ASSERT_LE(0, tl) TH_LOG("sw_sync: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &c));
	imp.fd = c.fence;
	ret = ioctl(buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp);
	ASSERT_EQ(0, ret) TH_LOG("IMPORT_SYNC_FILE: %s", strerror(errno));
	close(c.fence);
	return tl;
}

struct revoker {
	int fd;		/* the VFIO device */
	bool close;	/* close it, else turn memory decode off */
	int ret;
	int done;
};

static void *revoker_thread(void *arg)
{
	struct revoker *rv = arg;

	if (rv->close)
		rv->ret = close(rv->fd) ? -errno : 0;
	else
		rv->ret = set_decode(rv->fd, false);
	__atomic_store_n(&rv->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A revoke waits for the buffer's fences, as mainline's does: a GPU that
 * tracks its work with fences may still reach the BAR through a mapping
 * it was told to drop until that work is done. While the fence is
 * unsignalled the revoke (decode off, or the device's close) does not
 * return; once the test signals it, the revoke finishes.
 */
static void fence_revoke(struct __test_metadata *_metadata, struct rig *r,
			 bool close_dev)
{
	const struct vfio_region_dma_range rg = { 0, PG };
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_WRITE };
	struct revoker rv = { .fd = r->exp.fd, .close = close_dev };
	struct pollfd pfd = { .events = POLLIN };
	pthread_t tid;
	__u32 one = 1;
	int buf, tl;

	buf = rig_export(_metadata, r, &rg, 1);
	tl = add_sw_fence(_metadata, r, buf);
	if (close_dev)
		r->exp.fd = -1;		/* the revoker closes it */
	ASSERT_EQ(0, pthread_create(&tid, NULL, revoker_thread, &rv));
	sleep(1);
	EXPECT_EQ(0, __atomic_load_n(&rv.done, __ATOMIC_ACQUIRE))
		TH_LOG("the revoke returned with the fence unsignalled");
	ASSERT_EQ(0, ioctl(tl, SW_SYNC_IOC_INC, &one));
	ASSERT_EQ(0, pthread_join(tid, NULL));
	ASSERT_EQ(0, rv.ret) TH_LOG("revoke: %s", strerror(-rv.ret));

	/* What the revoke waited for has signalled */
	ASSERT_EQ(0, ioctl(buf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp));
	pfd.fd = exp.fd;
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	close(exp.fd);
	if (!close_dev)
		ASSERT_EQ(0, set_decode(r->exp.fd, true));
}

TEST_F(export, revoke_waits_fence)
{
	fence_revoke(_metadata, &self->r, false);
}

TEST_F(export, close_waits_fence)
{
	fence_revoke(_metadata, &self->r, true);
}

FIXTURE(export_flags) {
	struct rig r;
};

FIXTURE_VARIANT(export_flags) {
	uint32_t open_flags;
};

FIXTURE_VARIANT_ADD(export_flags, rdonly) {
	.open_flags = O_RDONLY,
};

FIXTURE_VARIANT_ADD(export_flags, wronly_nonblock) {
	.open_flags = O_WRONLY | O_NONBLOCK,
};

FIXTURE_VARIANT_ADD(export_flags, rdwr_cloexec) {
	.open_flags = O_RDWR | O_CLOEXEC,
};

FIXTURE_SETUP(export_flags)
{
	char bdf[32];

	rig_init(&self->r);
	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE,
				   pair_rootbus.iv_slot, bdf, sizeof(bdf)));
	rig_exporter(_metadata, &self->r, bdf);
}

FIXTURE_TEARDOWN(export_flags)
{
	rig_teardown(&self->r);
}

/* The fd carries exactly the access mode, O_NONBLOCK and O_CLOEXEC asked for. */
TEST_F(export_flags, fd_flags)
{
	const struct vfio_region_dma_range rg = { 0, PG };
	uint32_t want = variant->open_flags;
	int fd, fl, fdfl;

	fd = track(&self->r, dmabuf_export(self->r.exp.fd, IVSHMEM_BAR, want,
					   &rg, 1));
	ASSERT_LT(0, fd) TH_LOG("%s", strerror(-fd));
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	ASSERT_LE(0, fl);
	ASSERT_LE(0, fdfl);
	ASSERT_EQ(want & O_ACCMODE, fl & O_ACCMODE);
	ASSERT_EQ(!!(want & O_NONBLOCK), !!(fl & O_NONBLOCK));
	ASSERT_EQ(!!(want & O_CLOEXEC), !!(fdfl & FD_CLOEXEC));
	check_dmabuf(_metadata, fd, PG);
}

/* ------------------------------------------------------------------ */
/* 3. Importer negotiation and the importer's own errors               */
/* ------------------------------------------------------------------ */

FIXTURE(import_mode) {
	struct rig r;
};

FIXTURE_VARIANT(import_mode) {
	uint32_t flags;
	int err;
};

FIXTURE_VARIANT_ADD(import_mode, range_list) {
	.flags = 0, .err = 0,
};

FIXTURE_VARIANT_ADD(import_mode, sgt) {
	.flags = EDU_DMA_IMPORT_SGT, .err = 0,
};

FIXTURE_VARIANT_ADD(import_mode, static) {
	.flags = EDU_DMA_IMPORT_STATIC, .err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(import_mode, not_revocable) {
	.flags = EDU_DMA_IMPORT_NOT_REVOCABLE, .err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(import_mode, no_p2p) {
	.flags = EDU_DMA_IMPORT_NO_P2P, .err = EOPNOTSUPP,
};

/* The switch pair: MAP works on both plans (by bus address). */
FIXTURE_SETUP(import_mode)
{
	rig_init(&self->r);
	rig_pair(_metadata, &self->r, &pair_switch);
}

FIXTURE_TEARDOWN(import_mode)
{
	rig_teardown(&self->r);
}

TEST_F(import_mode, import)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_IMPORTER),
						  2 * PG };
	struct edu_dma_status st;
	uint64_t size = 0;
	int buf, imp, ret;

	buf = rig_export(_metadata, r, &rg, 1);
	imp = track(r, imp_open());
	ASSERT_LE(0, imp);
	ret = imp_import(imp, r->edu_id, buf, variant->flags, &size);
	if (variant->err) {
		/* Refused at attach: no reference kept, nothing imported */
		ASSERT_EQ(-variant->err, ret) TH_LOG("%s", strerror(-ret));
		ASSERT_EQ(1, dmabuf_count(buf));
		ASSERT_EQ(-ENXIO, imp_status(imp, &st));
		/* ...so the same file can still import */
		ASSERT_EQ(0, imp_import(imp, r->edu_id, buf, 0, &size));
		ASSERT_EQ(2 * PG, size);
		map_expect(_metadata, r, imp, &rg, 1, false);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	ASSERT_EQ(2 * PG, size);
	ASSERT_LE(2, dmabuf_count(buf));
	ASSERT_EQ(0, imp_status(imp, &st));
	map_expect(_metadata, r, imp, &rg, 1,
		   variant->flags & EDU_DMA_IMPORT_SGT);
	ASSERT_EQ(0, rig_close(r, imp));
	ASSERT_EQ(1, dmabuf_count(buf));
}

FIXTURE(importer) {
	struct rig r;
	struct vdev other;
};

FIXTURE_SETUP(importer)
{
	rig_init(&self->r);
	memset(&self->other, 0, sizeof(self->other));
	rig_pair(_metadata, &self->r, &pair_switch);
}

FIXTURE_TEARDOWN(importer)
{
	rig_teardown(&self->r);
}

/* Nothing works before IMPORT. */
TEST_F(importer, no_import)
{
	struct edu_dma_status st;
	uint8_t data[64] = { 0 };
	int imp;

	imp = track(&self->r, imp_open());
	ASSERT_LE(0, imp);
	ASSERT_EQ(-ENXIO, imp_map_any(imp));
	ASSERT_EQ(-ENXIO, imp_xfer(imp, 0, data, sizeof(data),
				   EDU_DMA_TO_BUF));
	ASSERT_EQ(-ENXIO, imp_status(imp, &st));
	ASSERT_EQ(-ENXIO, imp_unmap(imp));
}

/* dma_buf_get(): EBADF for no file, EINVAL for a file that is no dma-buf */
TEST_F(importer, not_a_dmabuf)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_IMPORTER), PG };
	struct edu_dma_status st;
	int imp, null, memfd, buf;

	imp = track(r, imp_open());
	ASSERT_LE(0, imp);
	ASSERT_EQ(-EBADF, imp_import(imp, r->edu_id, -1, 0, NULL));
	ASSERT_EQ(-EBADF, imp_import(imp, r->edu_id, next_fd(), 0, NULL));
	null = track(r, open("/dev/null", O_RDWR));
	ASSERT_LE(0, null);
	ASSERT_EQ(-EINVAL, imp_import(imp, r->edu_id, null, 0, NULL));
	memfd = track(r, memfd_create("not-a-dmabuf", MFD_CLOEXEC));
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, PG));
	ASSERT_EQ(-EINVAL, imp_import(imp, r->edu_id, memfd, 0, NULL));
	ASSERT_EQ(-EINVAL, imp_import(imp, r->edu_id, r->exp.fd, 0, NULL));
	ASSERT_EQ(-ENXIO, imp_status(imp, &st));
	/* None of that used the file up. */
	buf = rig_export(_metadata, r, &rg, 1);
	ASSERT_EQ(0, imp_import(imp, r->edu_id, buf, 0, NULL));
}

/* One file, one import */
TEST_F(importer, twice)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_IMPORTER),
						  2 * PG };
	const struct vfio_region_dma_range rg2 = { slot_off(SLOT_IMPORTER),
						   PG };
	int buf, buf2, imp;

	buf = rig_export(_metadata, r, &rg, 1);
	buf2 = rig_export(_metadata, r, &rg2, 1);
	imp = rig_import(_metadata, r, buf, 0);
	ASSERT_EQ(-EBUSY, imp_import(imp, r->edu_id, buf, 0, NULL));
	ASSERT_EQ(-EBUSY, imp_import(imp, r->edu_id, buf2, 0, NULL));
	ASSERT_EQ(1, dmabuf_count(buf2));
	/* The first import is untouched. */
	map_expect(_metadata, r, imp, &rg, 1, false);
}

/* edu_bdf must name an edu bound to edu_dma. */
TEST_F(importer, wrong_device)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_IMPORTER), PG };
	int buf, imp;

	buf = rig_export(_metadata, r, &rg, 1);
	imp = track(r, imp_open());
	ASSERT_LE(0, imp);
	/* the ivshmem itself */
	ASSERT_EQ(-ENODEV, imp_import(imp, pci_id(r->exp.bdf), buf, 0, NULL));
	/* nothing there: bus 0xff, device 31 */
	ASSERT_EQ(-ENODEV, imp_import(imp, 0xfff8, buf, 0, NULL));
	/* an edu, but bound to vfio-pci */
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE,
				   pair_rootbus.edu_slot, self->other.bdf,
				   sizeof(self->other.bdf)));
	ASSERT_EQ(0, vdev_bind(&self->other, "vfio-pci"));
	ASSERT_EQ(-ENODEV, imp_import(imp, pci_id(self->other.bdf), buf, 0,
				      NULL));
	ASSERT_EQ(1, dmabuf_count(buf));
}

/* EDU_DMA_RELEASE lets go of the import: the file is as if just opened. */
TEST_F(importer, release)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_IMPORTER),
						  2 * PG };
	struct edu_dma_status st;
	int buf, imp;

	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
	ASSERT_EQ(0, ioctl(imp, EDU_DMA_RELEASE));
	ASSERT_EQ(1, dmabuf_count(buf));
	ASSERT_EQ(-ENXIO, imp_status(imp, &st));
	ASSERT_EQ(-ENXIO, imp_map_any(imp));
	ASSERT_EQ(0, imp_import(imp, r->edu_id, buf, EDU_DMA_IMPORT_SGT, NULL));
	map_expect(_metadata, r, imp, &rg, 1, true);
}

/* Transfers outside the buffer or beyond one edu transfer */
TEST_F(importer, xfer_args)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_IMPORTER),
						  2 * PG };
	static uint8_t data[2 * XLEN];
	const uint64_t size = 2 * PG;
	int buf, imp;

	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	ASSERT_EQ(-EINVAL, imp_xfer(imp, 0, data, 0, EDU_DMA_TO_BUF));
	ASSERT_EQ(-EINVAL, imp_xfer(imp, 0, data, XLEN + 1, EDU_DMA_TO_BUF));
	ASSERT_EQ(-EINVAL, imp_xfer(imp, size - 100, data, 200,
				    EDU_DMA_TO_BUF));
	ASSERT_EQ(-EINVAL, imp_xfer(imp, size, data, 1, EDU_DMA_FROM_BUF));
	ASSERT_EQ(-EINVAL, imp_xfer(imp, ~0ULL - 99, data, 200,
				    EDU_DMA_FROM_BUF));
}

/* ------------------------------------------------------------------ */
/* 4-6. Each pair: mapping, data, revocation, lifetime                 */
/* ------------------------------------------------------------------ */

FIXTURE(pair) {
	struct rig r;
};

FIXTURE_VARIANT(pair) {
	const struct pair_desc *p;
};

FIXTURE_VARIANT_ADD(pair, rootbus) {
	.p = &pair_rootbus,
};

FIXTURE_VARIANT_ADD(pair, switch) {
	.p = &pair_switch,
};

FIXTURE_VARIANT_ADD(pair, rootports) {
	.p = &pair_rootports,
};

FIXTURE_SETUP(pair)
{
	rig_init(&self->r);
	rig_pair(_metadata, &self->r, variant->p);
}

FIXTURE_TEARDOWN(pair)
{
	rig_teardown(&self->r);
}

/* The range-list import maps as the PCI core says; UNMAP and MAP again. */
TEST_F(pair, map)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_MAP), 4 * PG };
	struct edu_dma_status st;
	int buf, imp;

	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	ASSERT_LE(2, dmabuf_count(buf));
	map_expect(_metadata, r, imp, &rg, 1, false);
	if (r->expect >= 0) {
		ASSERT_EQ(0, imp_unmap(imp));
		ASSERT_EQ(0, imp_status(imp, &st));
		ASSERT_EQ(0, st.mapped);
		map_expect(_metadata, r, imp, &rg, 1, false);
	}
	ASSERT_EQ(0, rig_close(r, imp));
	ASSERT_EQ(1, dmabuf_count(buf));
}

/* The exporter's sg_table path maps too, and moves data. */
TEST_F(pair, map_sgt)
{
	struct rig *r = &self->r;
	const uint64_t s = slot_off(SLOT_SGT);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t src[XLEN], got[XLEN];
	int buf, imp;

	memset(r->bar + s, 0, 2 * PG);
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, EDU_DMA_IMPORT_SGT);
	map_expect(_metadata, r, imp, &rg, 1, true);
	if (!r->xfer)
		return;
	fill_pattern(src, XLEN, 0x5617);
	ASSERT_EQ(0, imp_xfer(imp, PG + 0x100, src, XLEN, EDU_DMA_TO_BUF));
	ASSERT_EQ(0, memcmp(r->bar + s + PG + 0x100, src, XLEN));
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, imp_xfer(imp, PG + 0x100, got, XLEN, EDU_DMA_FROM_BUF));
	ASSERT_EQ(0, memcmp(src, got, XLEN));
	host_check(r, "sgt", s + PG + 0x100, src, XLEN);
}

/*
 * Real DMA at several offsets of a three-range buffer, each inside one
 * range: the bytes land at the BAR offset the range order says, nothing
 * past them changes, and they read back.
 */
TEST_F(pair, transfer)
{
	struct rig *r = &self->r;
	const uint64_t s = slot_off(SLOT_DATA);
	const struct vfio_region_dma_range rg[] = {
		{ s + 0x4000, PG }, { s, 2 * PG }, { s + 0x8000, PG },
	};
	const struct {
		uint64_t off;		/* in the buffer */
		uint32_t len;
		uint64_t bar;		/* where that is in the BAR */
	} x[] = {
		{ 0, XLEN, s + 0x4000 },
		{ 3 * PG - XLEN, XLEN, s + 2 * PG - XLEN },
		{ 3 * PG + 0x400, 1000, s + 0x8400 },
	};
	uint8_t src[XLEN], got[XLEN];
	char what[16];
	unsigned int i;
	int buf, imp;

	memset(r->bar + s, 0, SLOT_SIZE);
	buf = rig_export(_metadata, r, rg, ARRAY_SIZE(rg));
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, rg, ARRAY_SIZE(rg), false);
	if (!r->xfer) {
		/* "not supported" fails before any DMA; "bus address" would fault */
		memset(src, 0, sizeof(src));
		if (r->expect < 0)
			ASSERT_EQ(r->expect, imp_xfer(imp, 0, src, XLEN,
						      EDU_DMA_TO_BUF));
		TH_LOG("%s: edu's DMA is translated: no data moved", r->name);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(x); i++) {
		fill_pattern(src, x[i].len, 0xda7a + i);
		ASSERT_EQ(0, imp_xfer(imp, x[i].off, src, x[i].len,
				      EDU_DMA_TO_BUF));
		ASSERT_EQ(0, memcmp(r->bar + x[i].bar, src, x[i].len))
			TH_LOG("transfer %u", i);
		ASSERT_EQ(0, r->bar[x[i].bar + x[i].len]);
		ASSERT_EQ(0, r->bar[x[i].bar - 1]);
		memset(got, 0, sizeof(got));
		ASSERT_EQ(0, imp_xfer(imp, x[i].off, got, x[i].len,
				      EDU_DMA_FROM_BUF));
		ASSERT_EQ(0, memcmp(src, got, x[i].len)) TH_LOG("transfer %u", i);
		snprintf(what, sizeof(what), "data%u", i);
		host_check(r, what, x[i].bar, src, x[i].len);
	}
}

/* Offset 0 of [page 1, page 0] is the BAR's page 1, and the other way. */
TEST_F(pair, order)
{
	struct rig *r = &self->r;
	const uint64_t s = slot_off(SLOT_ORDER);
	const struct vfio_region_dma_range rg[] = { { s + PG, PG }, { s, PG } };
	uint8_t src[XLEN], cpu[XLEN], got[XLEN];
	int buf, imp;

	memset(r->bar + s, 0, 2 * PG);
	buf = rig_export(_metadata, r, rg, 2);
	imp = rig_import(_metadata, r, buf, 0);
	/* where the map works, range 0's address is page 1's */
	map_expect(_metadata, r, imp, rg, 2, false);
	if (!r->xfer)
		return;
	fill_pattern(src, XLEN, 0x0de5);
	ASSERT_EQ(0, imp_xfer(imp, 0, src, XLEN, EDU_DMA_TO_BUF));
	ASSERT_EQ(0, memcmp(r->bar + s + PG, src, XLEN));
	ASSERT_EQ(0, r->bar[s]);
	fill_pattern(cpu, XLEN, 0xc9c9);
	memcpy(r->bar + s, cpu, XLEN);
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, imp_xfer(imp, PG, got, XLEN, EDU_DMA_FROM_BUF));
	ASSERT_EQ(0, memcmp(cpu, got, XLEN));
	host_check(r, "order", s + PG, src, XLEN);
}

/* 5. Revocation by each trigger, seen by the importer, then restored */

enum trigger { TRIG_DECODE, TRIG_RESET, TRIG_HOT_RESET, TRIG_LOW_POWER };

/*
 * VFIO_DEVICE_PCI_HOT_RESET, cdev flavour: the device is bound to an
 * iommufd, so GET_PCI_HOT_RESET_INFO reports devids and DEV_ID_OWNED, and
 * the reset takes a zero-length group fd array. Where neither a slot nor
 * a bus reset exists (the root bus), 6.12 returns ENODEV from both.
 * Returns whether the reset ran.
 */
static bool hot_reset(struct __test_metadata *_metadata, struct rig *r)
{
	struct vfio_pci_hot_reset reset = { .argsz = sizeof(reset) };
	struct vfio_pci_hot_reset_info *info;
	size_t len = sizeof(*info) + 4 * sizeof(info->devices[0]);
	int ret;

	info = calloc(1, len);
	ASSERT_NE(NULL, info);
	info->argsz = len;
	ret = ioctl(r->exp.fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
	if (!r->bus_reset) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(ENODEV, errno);
	} else {
		ASSERT_EQ(0, ret) TH_LOG("%s", strerror(errno));
		ASSERT_EQ(VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
			  VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, info->flags);
		ASSERT_EQ(1, info->count);
		ASSERT_EQ(r->exp.devid, info->devices[0].devid);
		ASSERT_EQ(pci_id(r->exp.bdf),
			  (uint32_t)(info->devices[0].bus << 8 |
				     info->devices[0].devfn));
	}
	free(info);

	ret = ioctl(r->exp.fd, VFIO_DEVICE_PCI_HOT_RESET, &reset);
	if (!r->bus_reset) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(ENODEV, errno);
		return false;
	}
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(errno));
	return true;
}

/*
 * A known pattern is in the BAR (written by the CPU), an importer holds a
 * mapping where the pair allows one, then the trigger: the importer must
 * lose the mapping, and while the trigger lasts neither MAP nor a transfer
 * of other bytes gets through. Once the device answers again MAP works,
 * the pattern reads back by DMA where data may move, and the host file
 * still holds it. Resets revoke and restore within their ioctl; where the
 * device has no reset, nothing may happen to the importer at all.
 */
static void revoke_case(struct __test_metadata *_metadata, struct rig *r,
			enum trigger trig, int slot, const char *what)
{
	const uint64_t s = slot_off(slot);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t a[XLEN], b[XLEN], got[XLEN];
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct edu_dma_status st0;
	bool dropped = true;
	int buf, imp, buf2, imp2, ret;

	fill_pattern(a, XLEN, 0xa000 + slot);
	fill_pattern(b, XLEN, 0xb000 + slot);
	memcpy(r->bar + s, a, XLEN);
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
	ASSERT_EQ(0, imp_status(imp, &st0));

	switch (trig) {
	case TRIG_DECODE:
		ASSERT_EQ(0, set_decode(r->exp.fd, false));
		expect_dropped(_metadata, imp, &st0);
		expect_refused(_metadata, r, imp, b);
		ASSERT_EQ(0, set_decode(r->exp.fd, true));
		break;
	case TRIG_LOW_POWER:
		ASSERT_EQ(0, feature_set(r->exp.fd,
					 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY));
		expect_dropped(_metadata, imp, &st0);
		expect_refused(_metadata, r, imp, b);
		/* A buffer exported in low power is born revoked. */
		buf2 = rig_export(_metadata, r, &rg, 1);
		imp2 = rig_import(_metadata, r, buf2, 0);
		expect_refused(_metadata, r, imp2, b);
		ASSERT_EQ(0, feature_set(r->exp.fd,
					 VFIO_DEVICE_FEATURE_LOW_POWER_EXIT));
		map_expect(_metadata, r, imp2, &rg, 1, false);
		break;
	case TRIG_RESET:
		ASSERT_EQ(0, ioctl(r->exp.fd, VFIO_DEVICE_GET_INFO, &info));
		ASSERT_EQ(r->bus_reset,
			  !!(info.flags & VFIO_DEVICE_FLAGS_RESET));
		ret = ioctl(r->exp.fd, VFIO_DEVICE_RESET);
		if (r->bus_reset) {
			ASSERT_EQ(0, ret) TH_LOG("%s", strerror(errno));
			expect_dropped(_metadata, imp, &st0);
		} else {
			/* No reset method: refused before anything is zapped */
			ASSERT_EQ(-1, ret);
			ASSERT_EQ(EINVAL, errno);
			expect_same(_metadata, imp, &st0);
			dropped = false;
		}
		break;
	case TRIG_HOT_RESET:
		dropped = hot_reset(_metadata, r);
		if (dropped)
			expect_dropped(_metadata, imp, &st0);
		else
			expect_same(_metadata, imp, &st0);
		break;
	}

	/* Usable again: maps as before (a kept mapping stays). */
	if (dropped)
		map_expect(_metadata, r, imp, &rg, 1, false);
	if (r->xfer) {
		memset(got, 0, sizeof(got));
		ASSERT_EQ(0, imp_xfer(imp, 0, got, XLEN, EDU_DMA_FROM_BUF));
		ASSERT_EQ(0, memcmp(a, got, XLEN));
	}
	ASSERT_EQ(0, memcmp(r->bar + s, a, XLEN));
	host_check(r, what, s, a, XLEN);
}

TEST_F(pair, revoke_decode)
{
	revoke_case(_metadata, &self->r, TRIG_DECODE, SLOT_DECODE, "decode");
}

/*
 * ivshmem-plain is a conventional PCI function without capabilities: it
 * cannot enter D3hot through PMCSR and has no FLR (PCIe or AF), so those
 * two triggers run on the e1000e (pmdev below). Alone behind a bridge it
 * can still be reset, by a secondary bus reset; on the root bus it has no
 * reset at all.
 */
TEST_F(pair, revoke_reset)
{
	int fd = self->r.exp.fd;

	ASSERT_EQ(-ENOENT, vfio_find_cap(fd, PCI_CAP_ID_PM));
	ASSERT_EQ(-ENOENT, vfio_find_cap(fd, PCI_CAP_ID_EXP));
	ASSERT_EQ(-ENOENT, vfio_find_cap(fd, PCI_CAP_ID_AF));
	revoke_case(_metadata, &self->r, TRIG_RESET, SLOT_RESET, "reset");
}

TEST_F(pair, revoke_hot_reset)
{
	revoke_case(_metadata, &self->r, TRIG_HOT_RESET, SLOT_HOT_RESET,
		    "hot-reset");
}

TEST_F(pair, revoke_low_power)
{
	revoke_case(_metadata, &self->r, TRIG_LOW_POWER, SLOT_LOW_POWER,
		    "low-power");
}

/* Exported with decode off: created revoked, usable once decode is on. */
TEST_F(pair, revoke_decode_at_export)
{
	struct rig *r = &self->r;
	const uint64_t s = slot_off(SLOT_DECODE_EXPORT);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t a[XLEN], b[XLEN], got[XLEN];
	struct edu_dma_status st;
	int buf, imp;

	fill_pattern(a, XLEN, 0xa0de);
	fill_pattern(b, XLEN, 0xb0de);
	memcpy(r->bar + s, a, XLEN);
	ASSERT_EQ(0, set_decode(r->exp.fd, false));
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	expect_refused(_metadata, r, imp, b);
	ASSERT_EQ(0, imp_status(imp, &st));
	ASSERT_EQ(0, st.revoked);
	ASSERT_EQ(0, set_decode(r->exp.fd, true));
	map_expect(_metadata, r, imp, &rg, 1, false);
	if (r->xfer) {
		memset(got, 0, sizeof(got));
		ASSERT_EQ(0, imp_xfer(imp, 0, got, XLEN, EDU_DMA_FROM_BUF));
		ASSERT_EQ(0, memcmp(a, got, XLEN));
	}
	ASSERT_EQ(0, memcmp(r->bar + s, a, XLEN));
	host_check(r, "decode-at-export", s, a, XLEN);
}

/* 6. Lifetime */

/*
 * The device fd closes while an importer holds a mapping: the buffer is
 * revoked for good (even once the device is open again), its fd still
 * closes, and the importer lets go of it last.
 */
TEST_F(pair, close_device)
{
	struct rig *r = &self->r;
	const uint64_t s = slot_off(SLOT_CLOSE);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t a[XLEN], b[XLEN];
	struct edu_dma_status st0;
	int buf, imp, buf2, imp2;

	fill_pattern(a, XLEN, 0xc105e);
	fill_pattern(b, XLEN, 0xbad);
	memcpy(r->bar + s, a, XLEN);
	/* The mmap holds the device file open: drop it first. */
	munmap(r->bar, r->bar_size);
	r->bar = NULL;
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
	ASSERT_EQ(0, imp_status(imp, &st0));

	ASSERT_EQ(0, close(r->exp.fd));
	r->exp.fd = -1;
	expect_dropped(_metadata, imp, &st0);
	expect_refused(_metadata, r, imp, b);

	ASSERT_EQ(0, vdev_open(&r->exp, r->iommufd));
	ASSERT_EQ(0, set_decode(r->exp.fd, true));
	expect_refused(_metadata, r, imp, b);
	buf2 = rig_export(_metadata, r, &rg, 1);
	imp2 = rig_import(_metadata, r, buf2, 0);
	map_expect(_metadata, r, imp2, &rg, 1, false);

	ASSERT_EQ(0, rig_close(r, buf));
	ASSERT_EQ(0, imp_status(imp, &st0));
	ASSERT_EQ(-ENODEV, imp_map_any(imp));
	ASSERT_EQ(0, rig_close(r, imp));

	r->bar = vfio_mmap_region(r->exp.fd, r->region, &r->bar_size);
	ASSERT_NE(NULL, r->bar);
	ASSERT_EQ(0, memcmp(r->bar + s, a, XLEN));
	host_check(r, "close", s, a, XLEN);
}

/*
 * A dma-buf outlives its device fd and vfio-pci's unbinding: it is still
 * a file (stat, fdinfo, sync), refuses the importer, and closes; then
 * vfio-pci binds again and exports work.
 */
TEST_F(pair, outlive_unbind)
{
	struct rig *r = &self->r;
	const uint64_t s = slot_off(SLOT_UNBIND);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t a[XLEN], b[XLEN];
	struct edu_dma_status st0;
	char drv[64];
	int buf, imp, buf2, imp2;

	fill_pattern(a, XLEN, 0x0b1d);
	fill_pattern(b, XLEN, 0xbad2);
	memcpy(r->bar + s, a, XLEN);
	munmap(r->bar, r->bar_size);
	r->bar = NULL;
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
	ASSERT_EQ(0, imp_status(imp, &st0));

	ASSERT_EQ(0, close(r->exp.fd));
	r->exp.fd = -1;
	ASSERT_EQ(0, pci_bind_driver(r->exp.bdf, NULL));
	ASSERT_NE(0, pci_driver(r->exp.bdf, drv, sizeof(drv)));

	expect_dropped(_metadata, imp, &st0);
	expect_refused(_metadata, r, imp, b);
	check_dmabuf(_metadata, buf, 2 * PG);
	ASSERT_EQ(0, dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_EQ(0, dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, PG, PROT_READ, MAP_SHARED, buf, 0));
	ASSERT_EQ(0, rig_close(r, imp));
	ASSERT_EQ(1, dmabuf_count(buf));
	ASSERT_EQ(0, rig_close(r, buf));

	ASSERT_EQ(0, pci_bind_driver(r->exp.bdf, "vfio-pci"));
	ASSERT_EQ(0, vdev_open(&r->exp, r->iommufd));
	ASSERT_EQ(0, set_decode(r->exp.fd, true));
	buf2 = rig_export(_metadata, r, &rg, 1);
	imp2 = rig_import(_metadata, r, buf2, 0);
	map_expect(_metadata, r, imp2, &rg, 1, false);
	r->bar = vfio_mmap_region(r->exp.fd, r->region, &r->bar_size);
	ASSERT_NE(NULL, r->bar);
	ASSERT_EQ(0, memcmp(r->bar + s, a, XLEN));
	host_check(r, "unbind", s, a, XLEN);
}

/* ------------------------------------------------------------------ */
/* 8. Concurrency: bounded by operations, asserting only on errnos     */
/* ------------------------------------------------------------------ */

#define STRESS_THREADS	4
#define STRESS_OPS	24
#define STRESS_BUFS	4

struct stress {
	struct rig *r;
	pthread_t tid;
	int idx;
	unsigned int seed;
	int bufs[STRESS_BUFS];
	int imps[STRESS_BUFS];
	const char *bad;	/* the first operation that gave a bad result */
	int err;
};

static bool stress_ok(struct stress *t, const char *op, int ret,
		      const int *ok, int n)
{
	while (n--)
		if (ret == ok[n])
			return true;
	t->bad = op;
	t->err = ret;
	return false;
}

static void *stress_thread(void *arg)
{
	struct stress *t = arg;
	struct rig *r = t->r;
	const uint64_t base = slot_off(SLOT_STRESS + t->idx);
	/* MAP and XFER: mapped, revoked by another thread's reset, or no P2P */
	const int map_ok[] = { r->expect < 0 ? r->expect : 0, -ENODEV };
	const int reset_ok[] = { r->bus_reset ? 0 : -EINVAL, -EAGAIN };
	const int zero[] = { 0 };
	struct vfio_region_dma_range rg;
	struct edu_dma_status st;
	uint8_t data[512];
	int i, op, k, ret;

	memset(data, 0x50 + t->idx, sizeof(data));
	for (i = 0; i < STRESS_OPS && !t->bad; i++) {
		op = rand_r(&t->seed) % 100;
		k = rand_r(&t->seed) % STRESS_BUFS;
		if (op < 20) {
			if (t->bufs[k] >= 0)
				continue;
			rg.offset = base + (rand_r(&t->seed) % 8) * PG;
			rg.length = (1 + rand_r(&t->seed) % 4) * PG;
			ret = dmabuf_export(r->exp.fd, r->region,
					    O_RDWR | O_CLOEXEC, &rg, 1);
			if (ret < 0)
				stress_ok(t, "export", ret, zero, 1);
			else
				t->bufs[k] = ret;
		} else if (op < 35) {
			if (t->bufs[k] < 0 || t->imps[k] >= 0)
				continue;
			ret = imp_open();
			if (!stress_ok(t, "open", ret < 0 ? ret : 0, zero, 1))
				continue;
			t->imps[k] = ret;
			ret = imp_import(t->imps[k], r->edu_id, t->bufs[k],
					 rand_r(&t->seed) % 2 ?
					 EDU_DMA_IMPORT_SGT : 0, NULL);
			stress_ok(t, "import", ret, zero, 1);
		} else if (op < 55) {
			if (t->imps[k] < 0)
				continue;
			/* Only this thread maps this importer. */
			ret = imp_status(t->imps[k], &st);
			if (!stress_ok(t, "status", ret, zero, 1) || st.mapped)
				continue;
			stress_ok(t, "map", imp_map_any(t->imps[k]), map_ok, 2);
		} else if (op < 65) {
			if (t->imps[k] < 0 || !r->xfer)
				continue;
			ret = imp_xfer(t->imps[k], 0, data, sizeof(data),
				       EDU_DMA_TO_BUF);
			stress_ok(t, "xfer", ret, map_ok, 2);
		} else if (op < 72) {
			ret = ioctl(r->exp.fd, VFIO_DEVICE_RESET) ? -errno : 0;
			stress_ok(t, "reset", ret, reset_ok, 2);
		} else if (op < 86) {
			if (t->imps[k] < 0)
				continue;
			stress_ok(t, "close importer",
				  close(t->imps[k]) ? -errno : 0, zero, 1);
			t->imps[k] = -1;
		} else {
			if (t->bufs[k] < 0)
				continue;
			/* An importer of it keeps it alive. */
			stress_ok(t, "close dma-buf",
				  close(t->bufs[k]) ? -errno : 0, zero, 1);
			t->bufs[k] = -1;
		}
	}
	return NULL;
}

/*
 * On the switch pair: the ivshmem can be reset, and the importer maps it
 * on both plans (and moves data on epyc).
 */
FIXTURE(stress) {
	struct rig r;
};

FIXTURE_SETUP(stress)
{
	rig_init(&self->r);
	rig_pair(_metadata, &self->r, &pair_switch);
}

FIXTURE_TEARDOWN(stress)
{
	rig_teardown(&self->r);
}

TEST_F_TIMEOUT(stress, threads, 120)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { slot_off(SLOT_STRESS),
						  PG };
	struct stress t[STRESS_THREADS];
	int i, k, started = 0, buf, imp, err = 0;
	const char *bad = "";

	memset(t, 0, sizeof(t));
	for (i = 0; i < STRESS_THREADS; i++) {
		t[i].r = r;
		t[i].idx = i;
		t[i].seed = 0x5eed + 77 * i;
		for (k = 0; k < STRESS_BUFS; k++) {
			t[i].bufs[k] = -1;
			t[i].imps[k] = -1;
		}
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		if (pthread_create(&t[i].tid, NULL, stress_thread, &t[i]))
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
	/* Close everything first: a failed assertion leaves nothing open. */
	for (i = 0; i < STRESS_THREADS; i++) {
		for (k = 0; k < STRESS_BUFS; k++) {
			if (t[i].imps[k] >= 0)
				close(t[i].imps[k]);
			if (t[i].bufs[k] >= 0)
				close(t[i].bufs[k]);
		}
	}
	ASSERT_EQ(STRESS_THREADS, started);
	for (i = 0; i < STRESS_THREADS && !t[i].bad; i++)
		;
	if (i < STRESS_THREADS) {
		bad = t[i].bad;
		err = t[i].err;
	}
	ASSERT_EQ(STRESS_THREADS, i)
		TH_LOG("thread %d: %s gave %s", i, bad, strerror(-err));
	/* The device still exports, and the importer maps as before. */
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
}

/* ------------------------------------------------------------------ */
/* 5 (continued). D3hot and FLR, on a function that has them           */
/* ------------------------------------------------------------------ */

/*
 * QEMU's default q35 NIC, in both plans: a PCIe root-complex integrated
 * endpoint with a PM capability, unbound in this kernel. It sits on the
 * root bus like the rootbus edu, so the importer gets what the rootbus
 * pair gets. Its BAR0 holds registers: it is mapped, never written.
 */
FIXTURE(pmdev) {
	struct rig r;
};

FIXTURE_SETUP(pmdev)
{
	char bdf[32];

	rig_init(&self->r);
	self->r.name = "e1000e";
	ASSERT_EQ(0, pci_find(E1000E_VENDOR, E1000E_DEVICE, bdf, sizeof(bdf)))
		TH_LOG("the machine has no e1000e (8086:10d3)");
	rig_exporter(_metadata, &self->r, bdf);
	self->r.region = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, pci_resource_start(bdf, self->r.region, &self->r.phys));
	rig_importer(_metadata, &self->r, pair_rootbus.edu_slot,
		     pair_rootbus.map_q35, pair_rootbus.map_epyc);
	self->r.scratch = false;
	self->r.xfer = false;
}

FIXTURE_TEARDOWN(pmdev)
{
	rig_teardown(&self->r);
}

TEST_F(pmdev, d3hot)
{
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { 0, PG };
	struct edu_dma_status st0;
	int pm, buf, imp, buf2, imp2;
	uint16_t pmcsr;

	pm = vfio_find_cap(r->exp.fd, PCI_CAP_ID_PM);
	ASSERT_LT(0, pm) TH_LOG("%s has no PM capability", r->exp.bdf);
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
	ASSERT_EQ(0, imp_status(imp, &st0));

	ASSERT_EQ(0, vfio_cfg_read16(r->exp.fd, pm + PCI_PM_CTRL, &pmcsr));
	pmcsr &= ~PCI_PM_CTRL_STATE_MASK;
	ASSERT_EQ(0, vfio_cfg_write16(r->exp.fd, pm + PCI_PM_CTRL, pmcsr | 3));
	expect_dropped(_metadata, imp, &st0);
	expect_refused(_metadata, r, imp, NULL);
	/* Exported in D3hot: born revoked */
	buf2 = rig_export(_metadata, r, &rg, 1);
	imp2 = rig_import(_metadata, r, buf2, 0);
	expect_refused(_metadata, r, imp2, NULL);

	ASSERT_EQ(0, vfio_cfg_write16(r->exp.fd, pm + PCI_PM_CTRL, pmcsr));
	map_expect(_metadata, r, imp, &rg, 1, false);
	map_expect(_metadata, r, imp2, &rg, 1, false);
}

/*
 * FLR through the PCIe DEVCTL bit: vfio-pci resets only when DEVCAP says
 * FLR, and revokes and restores within the config write. QEMU's e1000e may
 * not offer FLR; then the bit must be ignored (nothing revoked), and the
 * function is reset with VFIO_DEVICE_RESET (its PM reset) instead. Which
 * path ran is logged.
 */
TEST_F(pmdev, flr)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct rig *r = &self->r;
	const struct vfio_region_dma_range rg = { 0, PG };
	struct edu_dma_status st0;
	uint16_t devctl;
	uint32_t devcap;
	int exp, buf, imp;

	exp = vfio_find_cap(r->exp.fd, PCI_CAP_ID_EXP);
	ASSERT_LT(0, exp) TH_LOG("%s has no PCIe capability", r->exp.bdf);
	ASSERT_EQ(0, vfio_cfg_read32(r->exp.fd, exp + PCI_EXP_DEVCAP, &devcap));
	buf = rig_export(_metadata, r, &rg, 1);
	imp = rig_import(_metadata, r, buf, 0);
	map_expect(_metadata, r, imp, &rg, 1, false);
	ASSERT_EQ(0, imp_status(imp, &st0));

	ASSERT_EQ(0, vfio_cfg_read16(r->exp.fd, exp + PCI_EXP_DEVCTL, &devctl));
	ASSERT_EQ(0, vfio_cfg_write16(r->exp.fd, exp + PCI_EXP_DEVCTL,
				      devctl | PCI_EXP_DEVCTL_BCR_FLR));
	if (devcap & PCI_EXP_DEVCAP_FLR) {
		TH_LOG("%s: FLR through PCI_EXP_DEVCTL", r->exp.bdf);
		expect_dropped(_metadata, imp, &st0);
		map_expect(_metadata, r, imp, &rg, 1, false);
		return;
	}
	TH_LOG("%s: no FLR in DEVCAP; VFIO_DEVICE_RESET instead", r->exp.bdf);
	expect_same(_metadata, imp, &st0);
	ASSERT_EQ(0, ioctl(r->exp.fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(0, ioctl(r->exp.fd, VFIO_DEVICE_RESET))
		TH_LOG("%s", strerror(errno));
	expect_dropped(_metadata, imp, &st0);
	map_expect(_metadata, r, imp, &rg, 1, false);
}

TEST_HARNESS_MAIN
