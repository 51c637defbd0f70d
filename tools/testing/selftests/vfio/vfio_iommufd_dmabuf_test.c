// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU_IOAS_MAP_FILE of VFIO dma-bufs, used the way a VMM uses it: one
 * iommufd, one IOAS; QEMU's ivshmem-plain (the exporter) and edu (a DMA
 * engine) both bound to vfio-pci, opened through their VFIO cdevs and
 * bound to that iommufd; edu attached to the IOAS. Slices of ivshmem's
 * BAR2 are exported with VFIO_DEVICE_FEATURE_DMA_BUF and mapped into the
 * IOAS with IOMMU_IOAS_MAP_FILE, and edu, driven from user space through
 * its BAR0, copies bytes between guest RAM (IOMMU_IOAS_MAP) and those
 * IOVAs. The contract is the iommufd part of shared/UAPI.md.
 *
 * edu's DMA is translated by the iommufd domain in both plans (q35, and
 * epyc's iommu=pt: VFIO replaces the identity default domain with the
 * IOAS's paging domain), so every pair moves data whatever the PCI core
 * would say about P2P between the two devices. ivshmem's BAR2 is a file
 * on the host: besides reading the BAR back through its VFIO mmap, each
 * write asks the runner to check the host file once the machine stopped
 * (RIG-CHECK lines). Every case has its own 64 KiB slot from 12 MiB up in
 * the BAR, above the parts other programs write (KUnit: the first MiB,
 * vfio_type1_p2p_test: 0x3000 and 0x8000, vfio_dmabuf_test: 8 MiB up).
 *
 * A DMA to an IOVA the kernel must have unmapped faults in intel-iommu,
 * which logs it on the console; rig/vm.py fails a run with DMAR fault
 * lines nobody announced, so such a DMA is announced first
 * (RIG-EXPECT-FAULT). QEMU's edu does not report a failed transfer: the
 * engine completes either way, and what tells is the BAR, in the guest
 * and on the host.
 *
 * edu's DMA mask is 28 bits: every IOVA here stays below 256 MiB,
 * including those the kernel picks (it takes the lowest free one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/dma-heap.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define PG		0x1000ULL
#define IV_BAR_SIZE	(16ULL << 20)

/* edu moves at most XLEN bytes per case, in halves and quarters */
#define XLEN		1024U
#define HALF		(XLEN / 2)
#define QTR		(XLEN / 4)
/* edu's buffer: [0, XLEN) holds what a case loaded, reads land above */
#define EDU_READ_OFF	XLEN

#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED_RW	(IOMMU_IOAS_MAP_FIXED_IOVA | RW)

/* IOVAs, all below EDU_IOVA_LIMIT */
#define RAM_IOVA	0x100000ULL		/* two pages: source, sink */
#define FIX_IOVA	0x4000000ULL
#define COPY_IOVA	0x6000000ULL
#define COPY2_IOVA	0x7000000ULL
#define MANY_IOVA	0x8000000ULL
#define BUFS_IOVA	0x9000000ULL
#define STRESS_IOVA	0xa000000ULL		/* + 1 MiB per thread */
#define MEMFD_IOVA	0xc000000ULL		/* 2 MiB aligned */
#define RW_FIXED	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE | \
			 IOMMU_IOAS_MAP_FIXED_IOVA)
#define RD_FIXED	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA)

/* The BAR slots of the cases */
#define SLOT_BASE	(12ULL << 20)
#define SLOT_SIZE	(64ULL << 10)
enum slot {
	SL_ERR, SL_SINGLE, SL_MULTI, SL_PARTIAL, SL_COPY, SL_LATER,
	SL_REVOKE, SL_CLOSE, SL_CPR, SL_WINDOW, SL_SPLIT,
	SL_MANY,			/* 64 pages: four slots */
	SL_BUFS = SL_MANY + 4,		/* 32 pages: two slots */
	SL_STRESS = SL_BUFS + 2,	/* one slot per thread */
};

/*
 * intel-iommu logs a DMA fault in two console lines that rig/vm.py
 * counts: "DMAR: DRHD: handling fault status reg" and the fault record,
 * "DMAR: [DMA Write NO_PASID] Request device ...". Printing is rate
 * limited, so a run may show fewer; vm.py accepts up to the announced
 * number. Every faulting DMA here stays inside one page: one fault.
 */
#define FAULT_LINES	2

static uint64_t slot_off(int slot)
{
	return SLOT_BASE + slot * SLOT_SIZE;
}

/* One ivshmem/edu pair: the root bus slot each hangs from */
struct pair {
	const char *name;
	const char *iv_slot;
	const char *edu_slot;
};

static const struct pair pair_rootbus = { "rootbus", "03.0", "04.0" };
static const struct pair pair_switch = { "switch", "05.0", "05.0" };
static const struct pair pair_rootports = { "rootports", "07.0", "08.0" };

struct vdev {
	char bdf[32];
	int fd;			/* VFIO cdev, bound to the iommufd */
	uint32_t devid;
};

/* What every case works with */
struct mf {
	const struct pair *p;
	int iommufd;
	uint32_t ioas;
	struct vdev iv;		/* ivshmem: the exporter */
	struct vdev edu;	/* edu: the DMA engine, attached to ioas */
	struct edu engine;
	uint8_t *bar;		/* ivshmem BAR2, mmap'd through VFIO */
	size_t bar_size;
	uint8_t *ram;		/* RAM_IOVA: page 0 edu's source, page 1 its sink */
	size_t ram_size;
	bool ram_file;		/* ram is a memfd, mapped with MAP_FILE */
	const char *iv_drv;	/* ivshmem's driver, vfio-pci when NULL */
	int ram_fd;
};

/* The drivers the pairs had when the program started: put back at exit */
static void save_driver(uint16_t vendor, uint16_t device, const char *slot)
{
	char bdf[32];

	if (!pci_find_root(vendor, device, slot, bdf, sizeof(bdf)))
		pci_save_driver(bdf);
}

/* Test processes end with _exit(): only the harness's parent restores. */
static void __attribute__((constructor)) save_drivers(void)
{
	const struct pair *pairs[] = {
		&pair_rootbus, &pair_switch, &pair_rootports,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		save_driver(IVSHMEM_VENDOR, IVSHMEM_DEVICE, pairs[i]->iv_slot);
		save_driver(EDU_VENDOR, EDU_DEVICE, pairs[i]->edu_slot);
	}
}

/* References to a dma-buf's file, from its fdinfo ("count:") */
static long buf_refs(int fd)
{
	char path[64], info[512], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, info, sizeof(info) - 1);
	close(f);
	if (n < 0)
		return -1;
	info[n] = 0;
	p = strstr(info, "count:\t");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

static int dev_open(struct vdev *d, int iommufd)
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

static int edu_attach(struct mf *m)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = m->ioas,
	};

	return ioctl(m->edu.fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ?
	       -errno : 0;
}

static int edu_detach(struct mf *m)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};

	return ioctl(m->edu.fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) ?
	       -errno : 0;
}

static void mf_init(struct mf *m)
{
	memset(m, 0, sizeof(*m));
	m->iommufd = -1;
	m->iv.fd = -1;
	m->edu.fd = -1;
	m->ram_fd = -1;
}

static void mf_setup(struct __test_metadata *_metadata, struct mf *m,
		     const struct pair *p)
{
	void *ram;

	m->p = p;
	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE, p->iv_slot,
				   m->iv.bdf, sizeof(m->iv.bdf)))
		TH_LOG("no ivshmem below root slot %s", p->iv_slot);
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE, p->edu_slot,
				   m->edu.bdf, sizeof(m->edu.bdf)))
		TH_LOG("no edu below root slot %s", p->edu_slot);
	ASSERT_EQ(0, pci_bind_driver(m->iv.bdf, m->iv_drv ?: "vfio-pci"))
		TH_LOG("%s to %s", m->iv.bdf, m->iv_drv ?: "vfio-pci");
	ASSERT_EQ(0, pci_bind_vfio(m->edu.bdf)) TH_LOG("%s", m->edu.bdf);

	m->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, m->iommufd);
	ASSERT_EQ(0, iommufd_ioas_alloc(m->iommufd, &m->ioas));
	ASSERT_EQ(0, dev_open(&m->iv, m->iommufd));
	ASSERT_EQ(0, dev_open(&m->edu, m->iommufd));
	ASSERT_EQ(0, edu_attach(m));
	ASSERT_EQ(0, edu_init(&m->engine, m->edu.fd));
	ASSERT_EQ(EDU_IDENT_MAGIC, edu_ident(&m->engine) & 0xff);

	ASSERT_EQ(0, vfio_set_mem_decode(m->iv.fd, true));
	m->bar = vfio_mmap_region(m->iv.fd, IVSHMEM_BAR, &m->bar_size);
	ASSERT_NE(NULL, m->bar);
	ASSERT_EQ(IV_BAR_SIZE, m->bar_size);

	m->ram_size = 2 * PG;
	if (m->ram_file) {
		uint64_t iova = RAM_IOVA;

		/* Guest RAM the way a VMM that updates itself in place has it */
		m->ram_fd = memfd_create("ram", 0);
		ASSERT_LE(0, m->ram_fd);
		ASSERT_EQ(0, ftruncate(m->ram_fd, m->ram_size));
		ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, m->ram_fd, 0);
		ASSERT_NE(MAP_FAILED, ram);
		m->ram = ram;
		ASSERT_EQ(0, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED,
					      m->ram_fd, 0, m->ram_size, &iova));
		return;
	}
	ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ram);
	m->ram = ram;
	memset(m->ram, 0, m->ram_size);
	ASSERT_EQ(0, iommufd_map(m->iommufd, m->ioas, m->ram, m->ram_size,
				 RAM_IOVA));
}

static void mf_teardown(struct mf *m)
{
	edu_fini(&m->engine);
	if (m->bar)
		munmap(m->bar, m->bar_size);
	if (m->edu.fd >= 0)
		close(m->edu.fd);
	if (m->iv.fd >= 0)
		close(m->iv.fd);
	if (m->iommufd >= 0)
		close(m->iommufd);
	if (m->ram)
		munmap(m->ram, m->ram_size);
	if (m->ram_fd >= 0)
		close(m->ram_fd);
}

static int mf_export(struct __test_metadata *_metadata, struct mf *m,
		     const struct vfio_region_dma_range *rg, uint32_t nr)
{
	int fd = vfio_dmabuf_export(m->iv.fd, IVSHMEM_BAR, O_RDWR | O_CLOEXEC,
				    rg, nr);

	ASSERT_LT(0, fd) TH_LOG("export: %s", strerror(-fd));
	return fd;
}

static void map_fixed(struct __test_metadata *_metadata, struct mf *m,
		      int buf, uint64_t start, uint64_t len, uint64_t iova)
{
	uint64_t got = iova;
	int ret;

	ret = iommufd_map_file(m->iommufd, m->ioas, FIXED_RW, buf, start, len,
			       &got);
	ASSERT_EQ(0, ret) TH_LOG("MAP_FILE at %#llx: %s",
				 (unsigned long long)iova, strerror(-ret));
	ASSERT_EQ(iova, got);
}

/* MAP_FILE where the kernel likes: the IOVA is reported and must suit edu */
static uint64_t map_any(struct __test_metadata *_metadata, struct mf *m,
			int buf, uint64_t start, uint64_t len, const char *what)
{
	uint64_t iova = 0;
	int ret;

	ret = iommufd_map_file(m->iommufd, m->ioas, RW, buf, start, len,
			       &iova);
	ASSERT_EQ(0, ret) TH_LOG("MAP_FILE: %s", strerror(-ret));
	TH_LOG("%s, %s: the kernel mapped %#llx bytes at IOVA %#llx",
	       m->p->name, what, (unsigned long long)len,
	       (unsigned long long)iova);
	ASSERT_EQ(0, iova % PG);
	ASSERT_GE(EDU_IOVA_LIMIT, iova + len);
	return iova;
}

/* IOAS_UNMAP of exactly one area (or several) of @len bytes */
static void unmap_exact(struct __test_metadata *_metadata, struct mf *m,
			uint64_t iova, uint64_t len)
{
	uint64_t unmapped = 0;
	int ret;

	ret = iommufd_unmap_len(m->iommufd, m->ioas, iova, len, &unmapped);
	ASSERT_EQ(0, ret) TH_LOG("UNMAP %#llx: %s", (unsigned long long)iova,
				 strerror(-ret));
	ASSERT_EQ(len, unmapped);
}

/* A pattern of @len bytes into edu's buffer at 0, by DMA from RAM */
static void edu_load(struct __test_metadata *_metadata, struct mf *m,
		     uint8_t *pat, uint32_t len, uint32_t seed)
{
	fill_pattern(pat, len, seed);
	memcpy(m->ram, pat, len);
	ASSERT_EQ(0, edu_dma_from_bus(&m->engine, RAM_IOVA, 0, len));
}

/*
 * edu's buffer at @off -> @iova. QEMU's edu completes a transfer whose
 * DMA faulted too: this cannot tell, the BAR does.
 */
static void edu_put(struct __test_metadata *_metadata, struct mf *m,
		    uint32_t off, uint64_t iova, uint32_t len)
{
	int ret = edu_dma_to_bus(&m->engine, off, iova, len);

	ASSERT_EQ(0, ret) TH_LOG("edu DMA to IOVA %#llx: %s",
				 (unsigned long long)iova, strerror(-ret));
}

/* @iova -> edu's buffer -> RAM page 1 -> @out: what the device reads */
static void edu_get(struct __test_metadata *_metadata, struct mf *m,
		    uint64_t iova, uint32_t len, uint8_t *out)
{
	ASSERT_GE(XLEN, len);
	memset(m->ram + PG, 0, len);
	ASSERT_EQ(0, edu_dma_from_bus(&m->engine, iova, EDU_READ_OFF, len));
	ASSERT_EQ(0, edu_dma_to_bus(&m->engine, EDU_READ_OFF, RAM_IOVA + PG,
				    len));
	memcpy(out, m->ram + PG, len);
}

/*
 * The BAR holds @want at @off: through the VFIO mmap now, and in the host
 * file once the machine stopped.
 */
static void bar_expect(struct __test_metadata *_metadata, struct mf *m,
		       const char *what, uint64_t off, const void *want,
		       size_t len)
{
	char label[64], file[32];

	ASSERT_EQ(0, memcmp(m->bar + off, want, len))
		TH_LOG("%s: BAR+%#llx", what, (unsigned long long)off);
	snprintf(label, sizeof(label), "mapfile-%s-%s", what, m->p->name);
	snprintf(file, sizeof(file), "ivshmem-%s", m->p->name);
	rig_check(label, file, off, want, len);
}

/* Bytes nothing may have written */
static void bar_zero(struct __test_metadata *_metadata, struct mf *m,
		     uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		ASSERT_EQ(0, m->bar[off + i])
			TH_LOG("BAR+%#llx was written",
			       (unsigned long long)(off + i));
}

/* The next DMA faults: tell rig/vm.py before it reaches the console */
static void expect_fault(struct mf *m, const char *why)
{
	printf("# RIG-EXPECT-FAULT %d %s (%s)\n", FAULT_LINES, why,
	       m->p->name);
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* 1. The refused requests, one variant per row                        */
/* ------------------------------------------------------------------ */

/* The file the request names */
enum fd_kind {
	FD_BUF,			/* the ivshmem dma-buf */
	FD_HEAP,		/* a system-heap dma-buf: pages, no ranges */
	FD_NEGATIVE,
	FD_CLOSED,
	/* not dma-bufs, and never memfds either */
	FD_DEVNULL,
	FD_PIPE,
	FD_PROCFS,
	FD_IOMMUFD,
	FD_VFIO,
	/*
	 * memfds (shmem and hugetlbfs files, tmpfs files too) map: their
	 * cases are memfd_shmem and memfd_hugetlb in mapfile_one.
	 */
};

enum ioas_kind { IOAS_OK, IOAS_MISSING, IOAS_ZERO, IOAS_DEVICE };
enum iova_kind { IOVA_FREE, IOVA_UNALIGNED, IOVA_IN_USE };
enum revoke_kind { REVOKE_NONE, REVOKE_DECODE, REVOKE_AT_EXPORT };

/* The rows' buffer: four pages of one range */
#define ERR_BUF		(4 * PG)

FIXTURE(mapfile_err) {
	struct mf m;
	int heap;
	int pipefd[2];
	int other;
};

FIXTURE_VARIANT(mapfile_err) {
	uint32_t flags;
	uint64_t start;
	uint64_t length;
	int fd;			/* enum fd_kind */
	int ioas;		/* enum ioas_kind */
	int iova;		/* enum iova_kind */
	int revoke;		/* enum revoke_kind */
	bool no_domain;		/* edu detached: the IOAS has no domain */
	int err;		/* errno, or 0 */
};

FIXTURE_VARIANT_ADD(mapfile_err, length_zero) {
	.flags = FIXED_RW, .start = 0, .length = 0, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, past_end) {
	.flags = FIXED_RW, .start = 0, .length = ERR_BUF + PG, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, past_end_from_start) {
	.flags = FIXED_RW, .start = 3 * PG, .length = 2 * PG, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, start_at_end) {
	.flags = FIXED_RW, .start = ERR_BUF, .length = PG, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, wrap) {
	.flags = FIXED_RW, .start = 0xfffffffffffff000ULL, .length = 2 * PG,
	.err = EOVERFLOW,
};

/* start + length is exactly 2^64 */
FIXTURE_VARIANT_ADD(mapfile_err, wrap_to_zero) {
	.flags = FIXED_RW, .start = 0xfffffffffffff000ULL, .length = PG,
	.err = EOVERFLOW,
};

FIXTURE_VARIANT_ADD(mapfile_err, start_unaligned) {
	.flags = FIXED_RW, .start = 0x800, .length = PG, .err = EINVAL,
};

/*
 * Refused without a domain too, where mainline accepts it and keeps the
 * offset in an area no domain could ever map (dma-buf-phys.rst)
 */
FIXTURE_VARIANT_ADD(mapfile_err, start_unaligned_no_domain) {
	.flags = FIXED_RW, .start = 0x800, .length = PG, .no_domain = true,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, length_unaligned) {
	.flags = FIXED_RW, .start = 0, .length = PG + 0x800, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, length_below_page) {
	.flags = FIXED_RW, .start = 0, .length = 0x800, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, not_range_list) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_HEAP,
	.err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(mapfile_err, revoked) {
	.flags = FIXED_RW, .start = 0, .length = PG, .revoke = REVOKE_DECODE,
	.err = ENODEV,
};

/* Exported with decode off: born revoked */
FIXTURE_VARIANT_ADD(mapfile_err, revoked_at_export) {
	.flags = FIXED_RW, .start = 0, .length = PG,
	.revoke = REVOKE_AT_EXPORT, .err = ENODEV,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_negative) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_NEGATIVE,
	.err = EBADF,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_closed) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_CLOSED,
	.err = EBADF,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_dev_null) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_DEVNULL,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_pipe) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_PIPE,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_procfs) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_PROCFS,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_iommufd) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_IOMMUFD,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, fd_vfio_device) {
	.flags = FIXED_RW, .start = 0, .length = PG, .fd = FD_VFIO,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, ioas_missing) {
	.flags = FIXED_RW, .start = 0, .length = PG, .ioas = IOAS_MISSING,
	.err = ENOENT,
};

FIXTURE_VARIANT_ADD(mapfile_err, ioas_zero) {
	.flags = FIXED_RW, .start = 0, .length = PG, .ioas = IOAS_ZERO,
	.err = ENOENT,
};

/* An object of another type: edu's device id */
FIXTURE_VARIANT_ADD(mapfile_err, ioas_is_device) {
	.flags = FIXED_RW, .start = 0, .length = PG, .ioas = IOAS_DEVICE,
	.err = ENOENT,
};

FIXTURE_VARIANT_ADD(mapfile_err, flags_none) {
	.flags = 0, .start = 0, .length = PG, .err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, flags_fixed_only) {
	.flags = IOMMU_IOAS_MAP_FIXED_IOVA, .start = 0, .length = PG,
	.err = EINVAL,
};

/* The bit after IOMMU_IOAS_MAP_READABLE */
FIXTURE_VARIANT_ADD(mapfile_err, flags_unknown) {
	.flags = FIXED_RW | 0x8U, .start = 0, .length = PG, .err = EOPNOTSUPP,
};

FIXTURE_VARIANT_ADD(mapfile_err, flags_top_bit) {
	.flags = FIXED_RW | 0x80000000U, .start = 0, .length = PG,
	.err = EOPNOTSUPP,
};

/* As IOMMU_IOAS_MAP: a fixed IOVA the domain cannot map, or one in use */
FIXTURE_VARIANT_ADD(mapfile_err, iova_unaligned) {
	.flags = FIXED_RW, .start = 0, .length = PG, .iova = IOVA_UNALIGNED,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(mapfile_err, iova_in_use) {
	.flags = FIXED_RW, .start = 0, .length = PG, .iova = IOVA_IN_USE,
	.err = EEXIST,
};

/* The boundaries next to the rows above are fine */
FIXTURE_VARIANT_ADD(mapfile_err, ok_whole) {
	.flags = FIXED_RW, .start = 0, .length = ERR_BUF, .err = 0,
};

FIXTURE_VARIANT_ADD(mapfile_err, ok_last_page) {
	.flags = FIXED_RW, .start = ERR_BUF - PG, .length = PG, .err = 0,
};

FIXTURE_VARIANT_ADD(mapfile_err, ok_read_only) {
	.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
	.start = PG, .length = 2 * PG, .err = 0,
};

FIXTURE_VARIANT_ADD(mapfile_err, ok_write_only) {
	.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
	.start = 0, .length = 2 * PG, .err = 0,
};

FIXTURE_VARIANT_ADD(mapfile_err, ok_any_iova) {
	.flags = RW, .start = 0, .length = ERR_BUF, .err = 0,
};

FIXTURE_SETUP(mapfile_err)
{
	self->heap = -1;
	self->pipefd[0] = -1;
	self->pipefd[1] = -1;
	self->other = -1;
	mf_init(&self->m);
	mf_setup(_metadata, &self->m, &pair_rootbus);
}

FIXTURE_TEARDOWN(mapfile_err)
{
	if (self->heap >= 0)
		close(self->heap);
	if (self->pipefd[0] >= 0)
		close(self->pipefd[0]);
	if (self->pipefd[1] >= 0)
		close(self->pipefd[1]);
	if (self->other >= 0)
		close(self->other);
	if (self->m.iv.fd >= 0)
		vfio_set_mem_decode(self->m.iv.fd, true);
	mf_teardown(&self->m);
}

/* A dma-buf of the system heap: struct pages, no physical range list */
static int heap_alloc(struct __test_metadata *_metadata, uint64_t len)
{
	struct dma_heap_allocation_data data = {
		.len = len,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int heap, ret;

	heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, heap) TH_LOG("/dev/dma_heap/system: %s", strerror(errno));
	ret = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) ? -errno : 0;
	close(heap);
	ASSERT_EQ(0, ret) TH_LOG("DMA_HEAP_IOCTL_ALLOC: %s", strerror(-ret));
	return data.fd;
}

/*
 * The request fails with the row's errno (or succeeds where the row says
 * so), and leaves nothing behind: unmapping everything finds only the RAM
 * the fixture mapped (plus the row's area when it succeeded), and the
 * dma-buf has no reference left but its fd.
 */
TEST_F(mapfile_err, map_file)
{
	const struct vfio_region_dma_range rg = { slot_off(SL_ERR), ERR_BUF };
	struct mf *m = &self->m;
	uint64_t iova = FIX_IOVA, unmapped = ~0ULL, left = m->ram_size;
	uint32_t ioas = m->ioas;
	int buf, fd = -1, ret;

	if (variant->no_domain)
		ASSERT_EQ(0, edu_detach(m));
	if (variant->revoke == REVOKE_AT_EXPORT)
		ASSERT_EQ(0, vfio_set_mem_decode(m->iv.fd, false));
	buf = mf_export(_metadata, m, &rg, 1);
	if (variant->revoke == REVOKE_DECODE)
		ASSERT_EQ(0, vfio_set_mem_decode(m->iv.fd, false));

	switch (variant->fd) {
	case FD_BUF:
		fd = buf;
		break;
	case FD_HEAP:
		self->heap = heap_alloc(_metadata, ERR_BUF);
		fd = self->heap;
		break;
	case FD_NEGATIVE:
		fd = -1;
		break;
	case FD_CLOSED:
		fd = next_fd();
		break;
	case FD_DEVNULL:
		self->other = open("/dev/null", O_RDWR | O_CLOEXEC);
		fd = self->other;
		break;
	case FD_PIPE:
		ASSERT_EQ(0, pipe2(self->pipefd, O_CLOEXEC));
		fd = self->pipefd[0];
		break;
	case FD_PROCFS:
		self->other = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
		fd = self->other;
		break;
	case FD_IOMMUFD:
		fd = m->iommufd;
		break;
	case FD_VFIO:
		fd = m->iv.fd;
		break;
	}
	ASSERT_TRUE(fd >= 0 || variant->fd == FD_NEGATIVE);

	switch (variant->ioas) {
	case IOAS_MISSING:
		ioas = 0x7fffff00;
		break;
	case IOAS_ZERO:
		ioas = 0;
		break;
	case IOAS_DEVICE:
		ioas = m->edu.devid;
		break;
	}
	if (variant->iova == IOVA_UNALIGNED)
		iova = FIX_IOVA + 0x800;
	else if (variant->iova == IOVA_IN_USE)
		iova = RAM_IOVA;

	ret = iommufd_map_file(m->iommufd, ioas, variant->flags, fd,
			       variant->start, variant->length, &iova);
	if (variant->err) {
		ASSERT_EQ(-variant->err, ret)
			TH_LOG("MAP_FILE gave %s", strerror(-ret));
	} else {
		ASSERT_EQ(0, ret) TH_LOG("MAP_FILE: %s", strerror(-ret));
		if (variant->flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
			ASSERT_EQ(FIX_IOVA, iova);
		} else {
			TH_LOG("the kernel mapped the buffer at IOVA %#llx",
			       (unsigned long long)iova);
			ASSERT_EQ(0, iova % PG);
			ASSERT_GE(EDU_IOVA_LIMIT, iova + variant->length);
		}
		/* The area holds the buffer. */
		ASSERT_LT(1, buf_refs(buf));
		left += variant->length;
	}

	ASSERT_EQ(0, iommufd_unmap_len(m->iommufd, m->ioas, 0, UINT64_MAX,
				       &unmapped));
	ASSERT_EQ(left, unmapped);
	ASSERT_EQ(1, buf_refs(buf));
	if (self->heap >= 0)
		ASSERT_EQ(1, buf_refs(self->heap));
	/* Nothing mapped now, so unmapping everything again finds nothing */
	ASSERT_EQ(0, iommufd_unmap_len(m->iommufd, m->ioas, 0, UINT64_MAX,
				       &unmapped));
	ASSERT_EQ(0, unmapped);
}

/* ------------------------------------------------------------------ */
/* 2-7. Each pair: data through the IOMMU, copies, revocation, close   */
/* ------------------------------------------------------------------ */

FIXTURE(mapfile) {
	struct mf m;
};

FIXTURE_VARIANT(mapfile) {
	const struct pair *p;
};

FIXTURE_VARIANT_ADD(mapfile, rootbus) {
	.p = &pair_rootbus,
};

FIXTURE_VARIANT_ADD(mapfile, switch) {
	.p = &pair_switch,
};

FIXTURE_VARIANT_ADD(mapfile, rootports) {
	.p = &pair_rootports,
};

FIXTURE_SETUP(mapfile)
{
	mf_init(&self->m);
	mf_setup(_metadata, &self->m, variant->p);
}

FIXTURE_TEARDOWN(mapfile)
{
	mf_teardown(&self->m);
}

/*
 * One range, mapped twice: at a fixed IOVA and where the kernel likes.
 * edu writes through each, then reads back through the kernel's IOVA what
 * it wrote through the fixed one: both reach the same BAR bytes.
 */
TEST_F(mapfile, single_range)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_SINGLE);
	const struct vfio_region_dma_range rg = { s, 4 * PG };
	uint8_t pat[XLEN], got[XLEN];
	uint64_t any;
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, 4 * PG, FIX_IOVA);
	any = map_any(_metadata, m, buf, 0, 4 * PG, "single range");

	edu_load(_metadata, m, pat, XLEN, 0x5111);
	edu_put(_metadata, m, 0, FIX_IOVA + 0x100, HALF);
	edu_put(_metadata, m, HALF, any + 2 * PG + 0x300, HALF);
	bar_expect(_metadata, m, "single-fixed", s + 0x100, pat, HALF);
	bar_expect(_metadata, m, "single-any", s + 2 * PG + 0x300, pat + HALF,
		   HALF);
	bar_zero(_metadata, m, s + 0x100 + HALF, 16);
	bar_zero(_metadata, m, s + 2 * PG + 0x300 - 16, 16);

	edu_get(_metadata, m, any + 0x100, HALF, got);
	ASSERT_EQ(0, memcmp(pat, got, HALF));

	unmap_exact(_metadata, m, FIX_IOVA, 4 * PG);
	unmap_exact(_metadata, m, any, 4 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/*
 * Three ranges out of BAR order, mapped at a fixed IOVA and where the
 * kernel likes. A write that crosses from one range into the next lands
 * in the two BAR places the order says, through either IOVA, and reads
 * back.
 */
TEST_F(mapfile, multi_range)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_MULTI);
	/* buffer pages: 0 = BAR page 4, 1-2 = BAR pages 0-1, 3 = BAR page 8 */
	const struct vfio_region_dma_range rg[] = {
		{ s + 4 * PG, PG }, { s, 2 * PG }, { s + 8 * PG, PG },
	};
	uint8_t pat[XLEN], got[XLEN];
	uint64_t any;
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	buf = mf_export(_metadata, m, rg, ARRAY_SIZE(rg));
	map_fixed(_metadata, m, buf, 0, 4 * PG, FIX_IOVA);
	any = map_any(_metadata, m, buf, 0, 4 * PG, "three ranges");

	edu_load(_metadata, m, pat, XLEN, 0x3333);
	/* range 0's last quarter-K and range 1's first, through the fixed IOVA */
	edu_put(_metadata, m, 0, FIX_IOVA + PG - QTR, HALF);
	/* range 1's last and range 2's first, through the kernel's */
	edu_put(_metadata, m, HALF, any + 3 * PG - QTR, HALF);

	bar_expect(_metadata, m, "multi-r0-end", s + 5 * PG - QTR, pat, QTR);
	bar_expect(_metadata, m, "multi-r1-start", s, pat + QTR, QTR);
	bar_expect(_metadata, m, "multi-r1-end", s + 2 * PG - QTR,
		   pat + HALF, QTR);
	bar_expect(_metadata, m, "multi-r2-start", s + 8 * PG,
		   pat + HALF + QTR, QTR);
	/* nothing before or after the bytes written, in or next to the ranges */
	bar_zero(_metadata, m, s + 5 * PG - QTR - 16, 16);
	bar_zero(_metadata, m, s + 5 * PG, 16);
	bar_zero(_metadata, m, s + QTR, 16);
	bar_zero(_metadata, m, s + 2 * PG - QTR - 16, 16);
	bar_zero(_metadata, m, s + 2 * PG, 16);
	bar_zero(_metadata, m, s + 8 * PG + QTR, 16);

	edu_get(_metadata, m, any + PG - QTR, HALF, got);
	ASSERT_EQ(0, memcmp(pat, got, HALF));

	unmap_exact(_metadata, m, FIX_IOVA, 4 * PG);
	unmap_exact(_metadata, m, any, 4 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/*
 * start > 0 and length < size: exactly buffer bytes [2 pages, 4 pages)
 * are mapped, the second page of range 1 and the first of range 2.
 */
TEST_F(mapfile, partial)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_PARTIAL);
	/* buffer pages: 0 = BAR 8, 1-2 = BAR 0-1, 3-4 = BAR 4-5 */
	const struct vfio_region_dma_range rg[] = {
		{ s + 8 * PG, PG }, { s, 2 * PG }, { s + 4 * PG, 2 * PG },
	};
	uint8_t pat[XLEN];
	uint64_t iova;
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	buf = mf_export(_metadata, m, rg, ARRAY_SIZE(rg));
	map_fixed(_metadata, m, buf, 2 * PG, 2 * PG, FIX_IOVA);

	/* The area is two pages: its neighbours are free, it does not split */
	iova = FIX_IOVA + PG;
	ASSERT_EQ(-EEXIST, iommufd_map_file(m->iommufd, m->ioas, FIXED_RW, buf,
					    0, PG, &iova));
	ASSERT_EQ(-ENOENT, iommufd_unmap(m->iommufd, m->ioas, FIX_IOVA, PG));
	map_fixed(_metadata, m, buf, 0, PG, FIX_IOVA + 2 * PG);
	map_fixed(_metadata, m, buf, 4 * PG, PG, FIX_IOVA - PG);

	edu_load(_metadata, m, pat, XLEN, 0x9a97);
	edu_put(_metadata, m, 0, FIX_IOVA + 0x200, HALF);
	edu_put(_metadata, m, HALF, FIX_IOVA + PG + 0x600, HALF);
	bar_expect(_metadata, m, "partial-page0", s + PG + 0x200, pat, HALF);
	bar_expect(_metadata, m, "partial-page1", s + 4 * PG + 0x600,
		   pat + HALF, HALF);
	/* where the same IOVA offsets would be with start 0 */
	bar_zero(_metadata, m, s + 8 * PG + 0x200, HALF);
	bar_zero(_metadata, m, s + 0x600, HALF);

	unmap_exact(_metadata, m, FIX_IOVA - PG, 4 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/*
 * IOMMU_IOAS_COPY of the area, whole and in part, to other IOVAs: edu
 * reaches the BAR through the copies, and still does once the original
 * area is gone.
 */
TEST_F(mapfile, copy)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_COPY);
	const struct vfio_region_dma_range rg = { s, 4 * PG };
	uint8_t pat[XLEN];
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, 4 * PG, FIX_IOVA);
	ASSERT_EQ(0, iommufd_copy(m->iommufd, m->ioas, COPY_IOVA, m->ioas,
				  FIX_IOVA, 4 * PG));
	/* pages 1 and 2 of the area */
	ASSERT_EQ(0, iommufd_copy(m->iommufd, m->ioas, COPY2_IOVA, m->ioas,
				  FIX_IOVA + PG, 2 * PG));

	edu_load(_metadata, m, pat, XLEN, 0xc0b1);
	edu_put(_metadata, m, 0, COPY_IOVA + PG + 0x100, QTR);
	edu_put(_metadata, m, QTR, COPY2_IOVA + PG + 0x400, QTR);
	bar_expect(_metadata, m, "copy", s + PG + 0x100, pat, QTR);
	bar_expect(_metadata, m, "copy-part", s + 2 * PG + 0x400, pat + QTR,
		   QTR);

	unmap_exact(_metadata, m, FIX_IOVA, 4 * PG);
	edu_put(_metadata, m, HALF, COPY_IOVA + 3 * PG + 0x500, HALF);
	bar_expect(_metadata, m, "copy-after-unmap", s + 3 * PG + 0x500,
		   pat + HALF, HALF);

	unmap_exact(_metadata, m, COPY_IOVA, 4 * PG);
	unmap_exact(_metadata, m, COPY2_IOVA, 2 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/*
 * Mapped while no device is attached, the area is mapped into the domain
 * edu brings when it attaches.
 */
TEST_F(mapfile, attach_later)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_LATER);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t pat[XLEN];
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	ASSERT_EQ(0, edu_detach(m));
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, 2 * PG, FIX_IOVA);
	ASSERT_EQ(0, edu_attach(m));

	edu_load(_metadata, m, pat, XLEN, 0x1a7e);
	edu_put(_metadata, m, 0, FIX_IOVA + PG + 0x80, XLEN);
	bar_expect(_metadata, m, "attach-later", s + PG + 0x80, pat, XLEN);

	unmap_exact(_metadata, m, FIX_IOVA, 2 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/*
 * Memory decode off revokes the buffer: its IOVAs leave the domain, and
 * edu's DMA to them faults. While decode is off the BAR would drop the
 * write anyway, so the same DMA is tried again once decode is back: the
 * old area stays unmapped until user space unmaps it (the IOMMU, not the
 * device, stops the write). Mapping the buffer while revoked fails with
 * ENODEV; once restored it maps again and edu reaches the BAR.
 */
TEST_F(mapfile, revoke_decode)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_REVOKE);
	const struct vfio_region_dma_range rg = { s, 4 * PG };
	uint8_t pat[XLEN], old[HALF];
	uint64_t iova = COPY_IOVA;
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	fill_pattern(old, HALF, 0x01d);
	memcpy(m->bar + s + 2 * PG, old, HALF);
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, 4 * PG, FIX_IOVA);

	edu_load(_metadata, m, pat, XLEN, 0x4e40);
	edu_put(_metadata, m, 0, FIX_IOVA + 0x100, QTR);
	bar_expect(_metadata, m, "revoke-before", s + 0x100, pat, QTR);

	ASSERT_EQ(0, vfio_set_mem_decode(m->iv.fd, false));
	expect_fault(m, "edu writes a revoked dma-buf IOVA, decode off");
	edu_put(_metadata, m, HALF, FIX_IOVA + 2 * PG, HALF);
	ASSERT_EQ(-ENODEV, iommufd_map_file(m->iommufd, m->ioas, FIXED_RW,
					    buf, 0, 4 * PG, &iova));
	ASSERT_EQ(0, vfio_set_mem_decode(m->iv.fd, true));
	ASSERT_EQ(0, memcmp(m->bar + s + 2 * PG, old, HALF));

	expect_fault(m, "edu writes a revoked dma-buf IOVA, decode on");
	edu_put(_metadata, m, HALF, FIX_IOVA + 2 * PG, HALF);
	bar_expect(_metadata, m, "revoke-untouched", s + 2 * PG, old, HALF);

	/* The area is still there, until unmapped; then the buffer maps again */
	unmap_exact(_metadata, m, FIX_IOVA, 4 * PG);
	ASSERT_EQ(1, buf_refs(buf));
	map_fixed(_metadata, m, buf, 0, 4 * PG, FIX_IOVA);
	edu_put(_metadata, m, QTR, FIX_IOVA + 3 * PG + 0x100, QTR);
	bar_expect(_metadata, m, "revoke-after", s + 3 * PG + 0x100,
		   pat + QTR, QTR);
	unmap_exact(_metadata, m, FIX_IOVA, 4 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/*
 * The exporter's VFIO device fd closes while the buffer is mapped: the
 * buffer is revoked for good, edu's DMA faults, the area still unmaps and
 * the dma-buf fd still closes. The device opened again shows the BAR as
 * it was.
 */
TEST_F(mapfile, close_exporter)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_CLOSE);
	const struct vfio_region_dma_range rg = { s, 2 * PG };
	uint8_t pat[XLEN], old[HALF];
	uint64_t iova = COPY_IOVA;
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	fill_pattern(old, HALF, 0xc105e);
	memcpy(m->bar + s + PG, old, HALF);
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, 2 * PG, FIX_IOVA);
	edu_load(_metadata, m, pat, XLEN, 0xdead);
	edu_put(_metadata, m, 0, FIX_IOVA + 0x200, HALF);
	ASSERT_EQ(0, memcmp(m->bar + s + 0x200, pat, HALF));

	/* The BAR mmap holds the device file: it goes first. */
	munmap(m->bar, m->bar_size);
	m->bar = NULL;
	ASSERT_EQ(0, close(m->iv.fd));
	m->iv.fd = -1;

	ASSERT_EQ(-ENODEV, iommufd_map_file(m->iommufd, m->ioas, FIXED_RW,
					    buf, 0, 2 * PG, &iova));
	expect_fault(m, "edu writes a dma-buf IOVA after its VFIO device closed");
	edu_put(_metadata, m, HALF, FIX_IOVA + PG, HALF);
	unmap_exact(_metadata, m, FIX_IOVA, 2 * PG);
	ASSERT_EQ(1, buf_refs(buf));
	ASSERT_EQ(0, close(buf));

	ASSERT_EQ(0, dev_open(&m->iv, m->iommufd));
	ASSERT_EQ(0, vfio_set_mem_decode(m->iv.fd, true));
	m->bar = vfio_mmap_region(m->iv.fd, IVSHMEM_BAR, &m->bar_size);
	ASSERT_NE(NULL, m->bar);
	bar_expect(_metadata, m, "close-before", s + 0x200, pat, HALF);
	bar_expect(_metadata, m, "close-untouched", s + PG, old, HALF);
}

/* ------------------------------------------------------------------ */
/* 8, 9. Many areas; concurrency (one pair: neither depends on it)     */
/* ------------------------------------------------------------------ */

FIXTURE(mapfile_one) {
	struct mf m;
};

FIXTURE_SETUP(mapfile_one)
{
	mf_init(&self->m);
	mf_setup(_metadata, &self->m, &pair_rootbus);
}

FIXTURE_TEARDOWN(mapfile_one)
{
	mf_teardown(&self->m);
}

#define NR_SLICES	64
#define NR_BUFS		32

/*
 * 64 one-page slices of one buffer, each its own area, at IOVAs in the
 * reverse order of the pages. A write crossing two of those IOVA pages
 * lands in two BAR pages that are not next to each other.
 */
TEST_F(mapfile_one, many_slices)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_MANY);
	const struct vfio_region_dma_range rg = { s, NR_SLICES * PG };
	uint8_t pat[XLEN];
	int buf, fds, i;

	fds = next_fd();
	memset(m->bar + s, 0, NR_SLICES * PG);
	buf = mf_export(_metadata, m, &rg, 1);
	for (i = 0; i < NR_SLICES; i++)
		map_fixed(_metadata, m, buf, i * PG, PG,
			  MANY_IOVA + (NR_SLICES - 1 - i) * PG);

	/* IOVA page 26 is slice 37, IOVA page 27 slice 36 */
	edu_load(_metadata, m, pat, XLEN, 0x64);
	edu_put(_metadata, m, 0, MANY_IOVA + 27 * PG - QTR, HALF);
	bar_expect(_metadata, m, "slice37", s + 38 * PG - QTR, pat, QTR);
	bar_expect(_metadata, m, "slice36", s + 36 * PG, pat + QTR, QTR);
	bar_zero(_metadata, m, s + 37 * PG, 16);

	unmap_exact(_metadata, m, MANY_IOVA, NR_SLICES * PG);
	ASSERT_EQ(1, buf_refs(buf));
	ASSERT_EQ(0, close(buf));
	ASSERT_EQ(fds, next_fd());
}

/*
 * A memfd (shmem, then hugetlbfs): mapped with IOMMU_IOAS_MAP_FILE and
 * pinned like IOMMU_IOAS_MAP of its pages, one FOLL_PIN per page, every
 * one counted in vmstat and released at unmap. edu writes into it at an
 * offset of the mapping, and the bytes are in the file; a write past the
 * mapped slice is not reachable, the end of the file is an error, and
 * neither a read-only fd nor a write-sealed memfd can give the device
 * write access (EPERM), though a read-only map of them works; while a
 * writeable area of it exists, pinned or not, the memfd cannot be
 * write-sealed (EBUSY).
 */
static void memfd_case(struct __test_metadata *_metadata, struct mf *m,
		       unsigned int mfd_flags, size_t size)
{
	uint64_t off = size / 2 + PG;	/* start of the mapped slice */
	uint64_t len = 4 * PG;
	uint64_t iova;
	char path[64];
	uint8_t pat[XLEN], *mem;
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	int mfd, ro, sealed, fds;
	uint32_t bare;
	long pins;

	fds = next_fd();
	mfd = memfd_create("mapfile", mfd_flags);
	ASSERT_LE(0, mfd) TH_LOG("memfd_create: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(mfd, size));
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, size);

	iova = MEMFD_IOVA;
	ASSERT_EQ(-EINVAL, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, mfd,
					    size - PG, 2 * PG, &iova));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	ASSERT_EQ(-EPERM, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, ro,
					   off, len, &iova));
	ASSERT_EQ(0, iommufd_map_file(m->iommufd, m->ioas, RD_FIXED, ro, off,
				      len, &iova));
	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	ASSERT_EQ(0, close(ro));

	sealed = memfd_create("sealed", mfd_flags | MFD_ALLOW_SEALING);
	ASSERT_LE(0, sealed);
	ASSERT_EQ(0, ftruncate(sealed, size));
	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	ASSERT_EQ(-EPERM, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED,
					   sealed, off, len, &iova));
	ASSERT_EQ(0, iommufd_map_file(m->iommufd, m->ioas, RD_FIXED, sealed,
				      off, len, &iova));
	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	ASSERT_EQ(0, close(sealed));

	/*
	 * A writeable area cannot be write-sealed, pinned by a domain or
	 * not (an IOAS without devices pins nothing); unmapped, it can
	 */
	ASSERT_EQ(0, iommufd_ioas_alloc(m->iommufd, &bare));
	sealed = memfd_create("pinned", mfd_flags | MFD_ALLOW_SEALING);
	ASSERT_LE(0, sealed);
	ASSERT_EQ(0, ftruncate(sealed, size));
	ASSERT_EQ(0, iommufd_map_file(m->iommufd, bare, RW_FIXED, sealed,
				      off, len, &iova));
	ASSERT_EQ(-1, fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, iommufd_unmap(m->iommufd, bare, MEMFD_IOVA, len));
	ASSERT_EQ(0, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, sealed,
				      off, len, &iova));
	ASSERT_EQ(-1, fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EBUSY, errno);
	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(0, close(sealed));
	destroy.id = bare;
	ASSERT_EQ(0, ioctl(m->iommufd, IOMMU_DESTROY, &destroy));

	pins = pins_held();
	ASSERT_NE(LONG_MIN, pins);
	ASSERT_EQ(0, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, mfd, off,
				      len, &iova));
	ASSERT_EQ(MEMFD_IOVA, iova);
	ASSERT_EQ(pins + (long)(len / PG), pins_held());
	edu_load(_metadata, m, pat, XLEN, 0x4d);
	edu_put(_metadata, m, 0, MEMFD_IOVA + PG + 100, XLEN);
	ASSERT_EQ(0, memcmp(mem + off + PG + 100, pat, XLEN));
	ASSERT_EQ(0, mem[off + PG + 99]);

	/* And the device reads what the CPU wrote into the file */
	fill_pattern(mem + off + 3 * PG, XLEN, 0x4e);
	edu_get(_metadata, m, MEMFD_IOVA + 3 * PG, XLEN, pat);
	ASSERT_EQ(0, memcmp(pat, mem + off + 3 * PG, XLEN));

	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	ASSERT_EQ(pins, pins_held());
	ASSERT_EQ(0, munmap(mem, size));
	ASSERT_EQ(0, close(mfd));
	ASSERT_EQ(fds, next_fd());
}

TEST_F(mapfile_one, memfd_shmem)
{
	memfd_case(_metadata, &self->m, 0, 4 << 20);
}

TEST_F(mapfile_one, memfd_hugetlb)
{
	/* 2 MiB hugetlb pages: the guest boots with hugepages=16 */
	memfd_case(_metadata, &self->m, MFD_HUGETLB, 4 << 20);
}

/* IOMMU_OPTION_HUGE_PAGES of @ioas: off, as VFIO_TYPE1_IOMMU has it */
static int ioas_huge_pages_off(int iommufd, uint32_t ioas)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = ioas,
		.val64 = 0,
	};

	return ioctl(iommufd, IOMMU_OPTION, &opt) ? -errno : 0;
}

/* @ioas becomes the one the type1 ioctls on the iommufd work on */
static int compat_ioas_set(int iommufd, uint32_t ioas)
{
	struct iommu_vfio_ioas vi = {
		.size = sizeof(vi),
		.ioas_id = ioas,
		.op = IOMMU_VFIO_IOAS_SET,
	};

	return ioctl(iommufd, IOMMU_VFIO_IOAS, &vi) ? -errno : 0;
}

/* VFIO_IOMMU_UNMAP_DMA on the iommufd; *@unmapped: the size it reports */
static int compat_unmap(int iommufd, uint64_t iova, uint64_t size,
			uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap un = {
		.argsz = sizeof(un),
		.iova = iova,
		.size = size,
	};
	int ret;

	ret = ioctl(iommufd, VFIO_IOMMU_UNMAP_DMA, &un) ? -errno : 0;
	*unmapped = un.size;
	return ret;
}

/*
 * iommufd's type1 compatibility pokes holes in areas: with huge pages off
 * in the IOAS, VFIO_IOMMU_UNMAP_DMA of part of an area splits it first
 * (iopt_cut_iova()). It does so in RAM (the control: a four-page area
 * loses its second page). A dma-buf area does not split: the unmap of its
 * second page or of its first fails with EOPNOTSUPP, as in mainline, and
 * the area is whole afterwards: edu writes through both pages and
 * IOMMU_IOAS_UNMAP of its full range takes all four pages.
 */
TEST_F(mapfile_one, split_refused)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_SPLIT);
	const struct vfio_region_dma_range rg = { s, 4 * PG };
	uint64_t unmapped = 0;
	uint8_t pat[XLEN];
	void *mem;
	int buf;

	memset(m->bar + s, 0, SLOT_SIZE);
	/* Huge pages go off only while no domain holds pages */
	ASSERT_EQ(0, edu_detach(m));
	ASSERT_EQ(0, ioas_huge_pages_off(m->iommufd, m->ioas));
	ASSERT_EQ(0, edu_attach(m));
	ASSERT_EQ(0, compat_ioas_set(m->iommufd, m->ioas));

	mem = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 4 * PG);
	ASSERT_EQ(0, iommufd_map(m->iommufd, m->ioas, mem, 4 * PG, COPY_IOVA));
	ASSERT_EQ(0, compat_unmap(m->iommufd, COPY_IOVA + PG, PG, &unmapped));
	ASSERT_EQ(PG, unmapped);
	/* Two areas now, each of which IOMMU_IOAS_UNMAP takes whole */
	unmap_exact(_metadata, m, COPY_IOVA, PG);
	unmap_exact(_metadata, m, COPY_IOVA + 2 * PG, 2 * PG);
	munmap(mem, 4 * PG);

	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, 4 * PG, FIX_IOVA);
	ASSERT_EQ(-EOPNOTSUPP, compat_unmap(m->iommufd, FIX_IOVA + PG, PG,
					    &unmapped));
	ASSERT_EQ(-EOPNOTSUPP, compat_unmap(m->iommufd, FIX_IOVA, PG,
					    &unmapped));

	edu_load(_metadata, m, pat, XLEN, 0x5b1);
	edu_put(_metadata, m, 0, FIX_IOVA + 0x100, HALF);
	edu_put(_metadata, m, HALF, FIX_IOVA + PG + 0x100, HALF);
	bar_expect(_metadata, m, "split-page0", s + 0x100, pat, HALF);
	bar_expect(_metadata, m, "split-page1", s + PG + 0x100, pat + HALF,
		   HALF);

	unmap_exact(_metadata, m, FIX_IOVA, 4 * PG);
	ASSERT_EQ(1, buf_refs(buf));
}

/* 32 one-page buffers at consecutive IOVAs, in reverse BAR order */
TEST_F(mapfile_one, many_buffers)
{
	struct mf *m = &self->m;
	const uint64_t s = slot_off(SL_BUFS);
	struct vfio_region_dma_range rg;
	int bufs[NR_BUFS], fds, i;
	uint8_t pat[XLEN];

	fds = next_fd();
	memset(m->bar + s, 0, NR_BUFS * PG);
	for (i = 0; i < NR_BUFS; i++) {
		rg.offset = s + i * PG;
		rg.length = PG;
		bufs[i] = mf_export(_metadata, m, &rg, 1);
		map_fixed(_metadata, m, bufs[i], 0, PG,
			  BUFS_IOVA + (NR_BUFS - 1 - i) * PG);
	}

	/* IOVA page 10 is buffer 21, IOVA page 11 buffer 20 */
	edu_load(_metadata, m, pat, XLEN, 0x32);
	edu_put(_metadata, m, 0, BUFS_IOVA + 11 * PG - QTR, HALF);
	bar_expect(_metadata, m, "buffer21", s + 22 * PG - QTR, pat, QTR);
	bar_expect(_metadata, m, "buffer20", s + 20 * PG, pat + QTR, QTR);
	bar_zero(_metadata, m, s + 21 * PG, 16);

	unmap_exact(_metadata, m, BUFS_IOVA, NR_BUFS * PG);
	for (i = 0; i < NR_BUFS; i++) {
		ASSERT_EQ(1, buf_refs(bufs[i]));
		ASSERT_EQ(0, close(bufs[i]));
	}
	ASSERT_EQ(fds, next_fd());
}

/*
 * Three threads, a fixed number of operations each: export, MAP_FILE,
 * UNMAP, memory decode on or off, close of the dma-buf (its area, if
 * any, stays until unmapped). Each thread has its own BAR pages and IOVA
 * window. No DMA: only the results are checked. MAP_FILE may find the
 * buffer revoked by another thread's decode off (ENODEV); nothing else
 * may fail.
 */
#define ST_THREADS	3
#define ST_OPS		60
#define ST_SLOTS	4

struct st_slot {
	int buf;
	uint64_t len;		/* of buf */
	uint64_t mapped;	/* bytes mapped at the slot's IOVA, or 0 */
};

struct st {
	struct mf *m;
	pthread_t tid;
	int idx;
	unsigned int seed;
	struct st_slot sl[ST_SLOTS];
	unsigned int maps, revoked;
	const char *bad;	/* the first operation that failed */
	int err;
};

static uint64_t st_iova(struct st *t, int k)
{
	return STRESS_IOVA + t->idx * 0x100000ULL + k * 4 * PG;
}

/* One operation on one of the thread's slots: 0, or -errno and its name */
static int st_op(struct st *t, const char **op)
{
	struct mf *m = t->m;
	int k = rand_r(&t->seed) % ST_SLOTS;
	struct st_slot *sl = &t->sl[k];
	struct vfio_region_dma_range rg;
	uint64_t iova, n;
	int ret = 0;

	switch (rand_r(&t->seed) % 5) {
	case 0:
		*op = "export";
		if (sl->buf >= 0)
			break;
		rg.offset = slot_off(SL_STRESS + t->idx) + k * 4 * PG;
		rg.length = (1 + rand_r(&t->seed) % 3) * PG;
		ret = vfio_dmabuf_export(m->iv.fd, IVSHMEM_BAR,
					 O_RDWR | O_CLOEXEC, &rg, 1);
		if (ret < 0)
			break;
		sl->buf = ret;
		sl->len = rg.length;
		ret = 0;
		break;
	case 1:
		*op = "MAP_FILE";
		if (sl->buf < 0 || sl->mapped)
			break;
		iova = st_iova(t, k);
		ret = iommufd_map_file(m->iommufd, m->ioas, FIXED_RW, sl->buf,
				       0, sl->len, &iova);
		if (ret == -ENODEV) {
			t->revoked++;
			ret = 0;
		} else if (!ret) {
			t->maps++;
			sl->mapped = sl->len;
		}
		break;
	case 2:
		*op = "UNMAP";
		if (!sl->mapped)
			break;
		ret = iommufd_unmap_len(m->iommufd, m->ioas, st_iova(t, k),
					sl->mapped, &n);
		if (!ret && n != sl->mapped)
			ret = -EMSGSIZE;
		sl->mapped = 0;
		break;
	case 3:
		*op = "memory decode";
		ret = vfio_set_mem_decode(m->iv.fd, rand_r(&t->seed) % 2);
		break;
	default:
		*op = "close";
		if (sl->buf < 0)
			break;
		ret = close(sl->buf) ? -errno : 0;
		sl->buf = -1;
		break;
	}
	return ret;
}

static void *st_thread(void *arg)
{
	struct st *t = arg;
	const char *op = NULL;
	int i;

	for (i = 0; i < ST_OPS && !t->bad; i++) {
		t->err = st_op(t, &op);
		if (t->err)
			t->bad = op;
	}
	return NULL;
}

TEST_F_TIMEOUT(mapfile_one, stress, 120)
{
	struct mf *m = &self->m;
	const struct vfio_region_dma_range rg = { slot_off(SL_STRESS), PG };
	int i, k, started = 0, leftover = 0, buf, ret;
	struct st t[ST_THREADS];
	uint64_t n;

	memset(t, 0, sizeof(t));
	for (i = 0; i < ST_THREADS; i++) {
		t[i].m = m;
		t[i].idx = i;
		t[i].seed = 0x5eed + 101 * i;
		for (k = 0; k < ST_SLOTS; k++)
			t[i].sl[k].buf = -1;
	}
	for (i = 0; i < ST_THREADS; i++) {
		if (pthread_create(&t[i].tid, NULL, st_thread, &t[i]))
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);

	/* Clean everything up first, then judge */
	ret = vfio_set_mem_decode(m->iv.fd, true);
	for (i = 0; i < ST_THREADS; i++) {
		for (k = 0; k < ST_SLOTS; k++) {
			struct st_slot *sl = &t[i].sl[k];

			n = 0;
			if (sl->mapped &&
			    (iommufd_unmap_len(m->iommufd, m->ioas,
					       st_iova(&t[i], k), sl->mapped,
					       &n) || n != sl->mapped))
				leftover++;
			if (sl->buf >= 0 && close(sl->buf))
				leftover++;
		}
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, leftover);
	ASSERT_EQ(ST_THREADS, started);
	for (i = 0; i < ST_THREADS; i++) {
		TH_LOG("thread %d: %u maps, %u refused as revoked", i,
		       t[i].maps, t[i].revoked);
		ASSERT_EQ(NULL, t[i].bad)
			TH_LOG("thread %d: %s gave %s", i, t[i].bad,
			       strerror(-t[i].err));
	}

	/* Only the RAM is left, and the device still exports and maps. */
	unmap_exact(_metadata, m, RAM_IOVA, m->ram_size);
	ASSERT_EQ(0, iommufd_unmap_len(m->iommufd, m->ioas, 0, UINT64_MAX, &n));
	ASSERT_EQ(0, n);
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, PG, FIX_IOVA);
	unmap_exact(_metadata, m, FIX_IOVA, PG);
	ASSERT_EQ(1, buf_refs(buf));
	ASSERT_EQ(0, close(buf));
}

/* ------------------------------------------------------------------ */
/* 10. Live update (CPR): the mapper goes, another process takes over   */
/* ------------------------------------------------------------------ */

/*
 * edu's RAM is a memfd mapped with IOMMU_IOAS_MAP_FILE, so every map of
 * the context is a file map, as in a VMM that updates itself in place.
 */
FIXTURE(cpr) {
	struct mf m;
};

FIXTURE_SETUP(cpr)
{
	mf_init(&self->m);
	self->m.ram_file = true;
	mf_setup(_metadata, &self->m, &pair_rootbus);
}

FIXTURE_TEARDOWN(cpr)
{
	mf_teardown(&self->m);
}

/* This process's pinned pages: VmPin of /proc/self/status */
static long vm_pinned(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024 / (long)PG;
}

static int change_process(int iommufd, uint32_t reserved)
{
	struct iommu_ioas_change_process cmd = {
		.size = sizeof(cmd),
		.__reserved = reserved,
	};

	return ioctl(iommufd, IOMMU_IOAS_CHANGE_PROCESS, &cmd) ? -errno : 0;
}

/*
 * In a child process: IOMMU_IOAS_CHANGE_PROCESS, and the child's pinned
 * pages before and after it. Returns its -errno, or 0 with @pinned set.
 */
static int change_process_child(struct __test_metadata *_metadata,
				int iommufd, long pinned[2])
{
	long r[3] = { -1, -1, -1 };
	int pfd[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		r[0] = vm_pinned();
		r[2] = change_process(iommufd, 0);
		r[1] = vm_pinned();
		_exit(write(pfd[1], r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ((ssize_t)sizeof(r), read(pfd[0], r, sizeof(r)));
	close(pfd[0]);
	close(pfd[1]);
	pinned[0] = r[0];
	pinned[1] = r[1];
	return r[2];
}

/* A zeroed memfd of @len bytes, mapped shared at *mem */
static int cpr_memfd(struct __test_metadata *_metadata, uint64_t len,
		     uint8_t **mem)
{
	int mfd = memfd_create("cpr", 0);

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	*mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, *mem);
	memset(*mem, 0, len);
	return mfd;
}

/*
 * The process that mapped a memfd exits before any device is attached.
 * The pages belong to the file: attaching edu afterwards fills its domain
 * from the memfd, one pin per page, and edu's DMA lands in the file.
 * (6.12's pfn reader took the mapper's mm for them: EFAULT.)
 */
TEST_F(cpr, mapper_exits)
{
	struct mf *m = &self->m;
	uint64_t len = 4 * PG, iova = MEMFD_IOVA;
	uint8_t pat[XLEN], *mem;
	int mfd, status;
	long pins;
	pid_t pid;

	mfd = cpr_memfd(_metadata, len, &mem);

	ASSERT_EQ(0, edu_detach(m));
	pins = pins_held();
	ASSERT_NE(LONG_MIN, pins);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, mfd, 0,
				       len, &iova) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* Nothing is pinned without a domain */
	ASSERT_EQ(pins, pins_held());

	ASSERT_EQ(0, edu_attach(m));
	ASSERT_EQ(pins + (long)((len + m->ram_size) / PG), pins_held());
	edu_load(_metadata, m, pat, XLEN, 0x5a);
	edu_put(_metadata, m, 0, MEMFD_IOVA + PG + 8, XLEN);
	ASSERT_EQ(0, memcmp(mem + PG + 8, pat, XLEN));
	ASSERT_EQ(0, mem[PG + 7]);

	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	ASSERT_EQ(pins + (long)(m->ram_size / PG), pins_held());
	ASSERT_EQ(0, munmap(mem, len));
	ASSERT_EQ(0, close(mfd));
}

/*
 * IOMMU_IOAS_CHANGE_PROCESS moves what the context's maps pinned to the
 * caller: a second process takes it over (its VmPin grows by the pinned
 * pages, this one's shrinks by as many), and this one takes it back from
 * that process after it exited. A dma-buf map pins nothing and does not
 * stand in the way; a map of user memory does (EINVAL), and then nothing
 * moves. The devices keep working throughout, and no pin is added or lost.
 */
TEST_F(cpr, change_process)
{
	struct mf *m = &self->m;
	const struct vfio_region_dma_range rg = { slot_off(SL_CPR), PG };
	uint64_t len = 4 * PG, iova = MEMFD_IOVA;
	long mine, npages, pins, child[2];
	uint8_t pat[XLEN], *mem, *anon;
	int mfd, buf;

	mfd = cpr_memfd(_metadata, len, &mem);
	ASSERT_EQ(0, iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, mfd, 0,
				      len, &iova));
	buf = mf_export(_metadata, m, &rg, 1);
	map_fixed(_metadata, m, buf, 0, PG, FIX_IOVA);

	/* edu's RAM and the memfd, pinned by edu's domain, charged here */
	npages = (len + m->ram_size) / PG;
	mine = vm_pinned();
	ASSERT_LE(npages, mine);
	pins = pins_held();
	ASSERT_NE(LONG_MIN, pins);

	ASSERT_EQ(0, change_process_child(_metadata, m->iommufd, child));
	ASSERT_EQ(child[0] + npages, child[1]);
	ASSERT_EQ(mine - npages, vm_pinned());
	ASSERT_EQ(0, change_process(m->iommufd, 0));
	ASSERT_EQ(mine, vm_pinned());
	/* Again: nothing to move */
	ASSERT_EQ(0, change_process(m->iommufd, 0));
	ASSERT_EQ(mine, vm_pinned());
	ASSERT_EQ(-EOPNOTSUPP, change_process(m->iommufd, 1));
	ASSERT_EQ(pins, pins_held());

	/* User memory cannot change hands: nothing moves */
	anon = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	memset(anon, 0, PG);
	ASSERT_EQ(0, iommufd_map(m->iommufd, m->ioas, anon, PG, COPY_IOVA));
	ASSERT_EQ(mine + 1, vm_pinned());
	ASSERT_EQ(-EINVAL, change_process_child(_metadata, m->iommufd, child));
	ASSERT_EQ(child[0], child[1]);
	ASSERT_EQ(mine + 1, vm_pinned());
	ASSERT_EQ(-EINVAL, change_process(m->iommufd, 0));
	ASSERT_EQ(mine + 1, vm_pinned());
	unmap_exact(_metadata, m, COPY_IOVA, PG);
	ASSERT_EQ(0, munmap(anon, PG));
	ASSERT_EQ(mine, vm_pinned());
	ASSERT_EQ(0, change_process_child(_metadata, m->iommufd, child));
	ASSERT_EQ(child[0] + npages, child[1]);
	ASSERT_EQ(0, change_process(m->iommufd, 0));
	ASSERT_EQ(mine, vm_pinned());

	/* The memfd and the BAR are still mapped, edu's RAM too */
	edu_load(_metadata, m, pat, XLEN, 0x5b);
	edu_put(_metadata, m, 0, MEMFD_IOVA + 2 * PG, XLEN);
	ASSERT_EQ(0, memcmp(mem + 2 * PG, pat, XLEN));
	edu_get(_metadata, m, FIX_IOVA, XLEN, pat);
	ASSERT_EQ(0, memcmp(pat, m->bar + slot_off(SL_CPR), XLEN));
	ASSERT_EQ(pins, pins_held());

	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	unmap_exact(_metadata, m, FIX_IOVA, PG);
	ASSERT_EQ(mine - (long)(len / PG), vm_pinned());
	ASSERT_EQ(0, munmap(mem, len));
	ASSERT_EQ(0, close(mfd));
}

/* Drop CAP_IPC_LOCK from the calling process: iommufd then charges it */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/*
 * Pages charged to the user's locked_vm (a mapper without CAP_IPC_LOCK)
 * move only within the new process's RLIMIT_MEMLOCK: over it the command
 * fails with ENOMEM and nothing moves; within it the charges move.
 */
TEST_F(cpr, change_process_limit)
{
	struct mf *m = &self->m;
	const struct rlimit none = { 0, 0 };
	uint64_t len = 4 * PG, iova = MEMFD_IOVA;
	long mine, pinned[2];
	int mfd, status, ret;
	pid_t pid;

	mfd = memfd_create("cpr", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_ipc_lock())
			_exit(2);
		_exit(iommufd_map_file(m->iommufd, m->ioas, RW_FIXED, mfd, 0,
				       len, &iova) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("mapper exit status %d", WEXITSTATUS(status));

	/* A process that may lock nothing cannot take them: nothing moves */
	mine = vm_pinned();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setrlimit(RLIMIT_MEMLOCK, &none) || drop_ipc_lock())
			_exit(2);
		_exit(change_process(m->iommufd, 0) == -ENOMEM &&
		      vm_pinned() == 0 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child exit status %d", WEXITSTATUS(status));
	ASSERT_EQ(mine, vm_pinned());

	/* Within the limit they move: to a child, then back here */
	ret = change_process_child(_metadata, m->iommufd, pinned);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(pinned[0] + (long)(len / PG) + mine, pinned[1]);
	ASSERT_EQ(0, vm_pinned());
	ASSERT_EQ(0, change_process(m->iommufd, 0));
	ASSERT_EQ(mine + (long)(len / PG), vm_pinned());

	unmap_exact(_metadata, m, MEMFD_IOVA, len);
	ASSERT_EQ(mine, vm_pinned());
	ASSERT_EQ(0, close(mfd));
}

/* ------------------------------------------------------------------ */
/* 11. A variant driver that exports a region of its own layout         */
/* ------------------------------------------------------------------ */

/*
 * ivshmem bound to vfio-pci-test-window, whose BAR2 export is a window
 * onto the upper half of the physical BAR (drivers/misc/edu_dma/
 * vfio_pci_test_variant.c); its VFIO mmap is the physical BAR.
 */
FIXTURE(variant) {
	struct mf m;
};

FIXTURE_SETUP(variant)
{
	mf_init(&self->m);
	self->m.iv_drv = "vfio-pci-test-window";
	mf_setup(_metadata, &self->m, &pair_rootbus);
}

FIXTURE_TEARDOWN(variant)
{
	mf_teardown(&self->m);
	/* Leave ivshmem to vfio-pci for the cases that follow */
	pci_bind_vfio(self->m.iv.bdf);
}

/*
 * The export goes through the variant's get_dmabuf_phys: a slice at
 * offset X of the window is the BAR's byte IV_BAR_SIZE / 2 + X, and edu's
 * DMA through it lands there (in the physical BAR through the mmap, and
 * in the host file), nowhere else; a slice past the window's end (inside
 * the physical BAR) is refused with EINVAL.
 */
TEST_F(variant, window)
{
	struct mf *m = &self->m;
	const uint64_t half = IV_BAR_SIZE / 2;
	const uint64_t s = slot_off(SL_WINDOW);
	const struct vfio_region_dma_range in = { s - half, PG };
	const struct vfio_region_dma_range past[] = {
		{ half, PG }, { half - PG, 2 * PG },
	};
	uint8_t pat[XLEN];
	unsigned int i;
	int buf;

	buf = mf_export(_metadata, m, &in, 1);
	map_fixed(_metadata, m, buf, 0, PG, FIX_IOVA);
	bar_zero(_metadata, m, s, PG);
	bar_zero(_metadata, m, s - half, PG);
	edu_load(_metadata, m, pat, XLEN, 0x77);
	edu_put(_metadata, m, 0, FIX_IOVA + 16, XLEN);
	bar_expect(_metadata, m, "window", s + 16, pat, XLEN);
	ASSERT_EQ(0, m->bar[s + 15]);
	/* The physical layout's byte at the same offset is untouched */
	bar_zero(_metadata, m, s - half, PG);

	for (i = 0; i < ARRAY_SIZE(past); i++)
		ASSERT_EQ(-EINVAL, vfio_dmabuf_export(m->iv.fd, IVSHMEM_BAR,
						      O_RDWR, &past[i], 1))
			TH_LOG("slice %u", i);
	unmap_exact(_metadata, m, FIX_IOVA, PG);
}

TEST_HARNESS_MAIN
