// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on the paths of this project's ioctls, injected one
 * at a time.
 *
 * The kernel's fault injection counts, per task, the places where an
 * allocation (failslab, fail_page_alloc) or one of this project's own
 * fault points (fail_dma_buf_phys in drivers/dma-buf/dma-buf-phys.c) may
 * fail. Writing N to /proc/self/task/<tid>/fail-nth makes the Nth such
 * place this task reaches fail; reading the file back gives 0 once it did,
 * or what is left of the count when the task never got that far. Each case
 * here takes one ioctl and, for N = 1, 2, ..., arms fail-nth with N, issues
 * that ioctl and nothing else, reads fail-nth back and disarms it:
 *
 *  - N not reached: the ioctl ran through every fault point of its path
 *    without a failure and must have succeeded. The sweep ends there, and
 *    N - 1 is the number of fault points the path has: printed, and it
 *    must not be 0 (that would mean the injection does not work, and the
 *    case tested nothing), except on the two teardowns that allocate
 *    nothing (the unmap of dma-buf areas, the revoke); each of those cases
 *    sweeps a call that does allocate as well.
 *  - N reached and the ioctl succeeded: that allocation had a fallback.
 *    The result is checked and undone.
 *  - N reached and the ioctl failed: the errno must be one an allocation
 *    failure justifies on that path (ENOMEM everywhere here), and nothing
 *    may be left behind: no new descriptor, no dma-buf, no dma-buf
 *    reference or attachment (/sys/kernel/debug/dma_buf/bufinfo), no IOVA
 *    in use (IOMMU_IOAS_UNMAP of the range gives ENOENT, and mapping it
 *    again at the same IOVA works), no import held by the importer, no
 *    pinned memfd page (sealing against writes needs every pin gone). Then
 *    the same ioctl runs again without injection and must work. The
 *    teardowns (IOMMU_IOAS_UNMAP, the revoke) must not fail at all.
 *
 * The ioctls: VFIO_DEVICE_FEATURE_DMA_BUF (1 and 64 ranges),
 * IOMMU_IOAS_MAP_FILE of a dma-buf (at a fixed IOVA and at one the kernel
 * picks), of a shmem memfd and of a hugetlb memfd, IOMMU_IOAS_COPY of a
 * dma-buf area, IOMMU_IOAS_UNMAP of a range holding dma-buf areas, the
 * revoke that turning memory decode off through the VFIO config region
 * triggers (it must unmap everything whatever fails: a later MAP_FILE of
 * the buffer gets ENODEV, and decode back on restores it), the edu_dma
 * test importer's EDU_DMA_IMPORT and EDU_DMA_MAP, with the range list and
 * with the exporter's sg_table, and an RDMA memory registration of the
 * buffer (uverbs' REG_DMABUF_MR on the edu_rdma test device: the uverbs
 * object, the umem's attachment, pin and mapping, the MR's table).
 *
 * The machine's switch pair is used (ivshmem exports slices of its BAR2,
 * edu imports): the PCI core allows P2P between the two on every plan, so
 * the importer's MAP gets as far as mapping. Nothing moves data: only the
 * paths that set mappings up and tear them down are exercised, with small
 * buffers, to keep the run short under TCG. Faults print nothing (the
 * verbose knob of every fault attribute in debugfs is set to 0): the rig
 * fails a run on a stack trace. The program puts back the drivers it
 * found when it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <misc/edu_dma.h>
#include <misc/edu_rdma.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../kselftest_harness.h"
#include "rdma_util.h"
#include "vfio_util.h"

#define PG		0x1000ULL
#define HPAGE		(2ULL << 20)
/* Where the switch pair hangs from (rig/topologies.py) */
#define PAIR_SLOT	"05.0"
/* A path with more fault points than this is a runaway sweep */
#define NTH_MAX		2000
#define CASE_TIMEOUT	300

#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED_RW	(IOMMU_IOAS_MAP_FIXED_IOVA | RW)

/*
 * Slices of ivshmem's BAR2, in the upper part nothing else uses (they are
 * never written anyway). The buffer the cases map: four single pages, out
 * of order and apart. The 64-range export: every other page from MANY_OFF.
 */
#define BUF_NR		4
#define BUF_LEN		(BUF_NR * PG)
static const uint64_t buf_pages[BUF_NR] = { 5, 1, 9, 3 };
#define BUF_OFF		(14ULL << 20)
#define MANY_NR		64
#define MANY_OFF	(15ULL << 20)

#define MEMFD_LEN	(16 * PG)

/* IOVAs, one range per use */
#define MAP_IOVA	0x1000000ULL
#define COPY_SRC_IOVA	0x2000000ULL
#define COPY_DST_IOVA	0x3000000ULL
#define MEMFD_IOVA	0x4000000ULL
#define HUGE_IOVA	0x5000000ULL	/* 2 MiB aligned */
#define UNMAP_IOVA	0x6000000ULL
#define REVOKE_IOVA	0x7000000ULL
#define REMAP_IOVA	0x8000000ULL

/* What edu is bound to in a case */
enum edu_mode { EDU_NONE, EDU_VFIO, EDU_IMPORTER };

/* What every case works with */
struct fx {
	int nth;		/* this task's fail-nth */
	int iommufd;
	uint32_t ioas;
	char iv_bdf[32];
	char edu_bdf[32];
	int iv;			/* ivshmem's VFIO cdev, bound to iommufd */
	int edu;		/* edu's VFIO cdev, attached to ioas (EDU_VFIO) */
	off_t cfg;		/* ivshmem's config space in its VFIO fd */
	int buf;		/* dma-buf of BUF_NR slices */
	unsigned long buf_ino;
	struct dmabuf_info base;	/* bufinfo of buf before the sweep */
	int imp;		/* /dev/edu_dma (EDU_IMPORTER) */
	uint32_t imp_flags;
	uint32_t edu_id;	/* EDU_DMA_IMPORT.edu_bdf */
	int memfd;

	/* The sweep, for messages: the call and the fault point */
	const char *what;
	unsigned int at;

	/* The arguments of the swept call, all built before arming */
	struct vfio_device_feature *feat;
	uint32_t map_flags;
	int map_fd;
	uint64_t map_iova;
	uint64_t map_len;
	uint64_t iova;		/* MAP_FILE's answer */
	uint64_t unmapped;	/* UNMAP's answer */
	uint16_t cmd;		/* PCI_COMMAND to write */
	struct edu_dma_import import;
	struct edu_dma_map map;
	struct edu_dma_range ranges[8];
	int rdma_ctl;		/* /dev/edu_rdma (EDU_IMPORTER) */
	char ibdev[32];
	struct rdma_ctx rdma;
	bool rdma_open;
	uint32_t mr_handle, lkey, rkey;
};

/* One ioctl swept with fail-nth */
struct nth_op {
	const char *name;
	/* The call under injection: no other syscall. >= 0 or -errno */
	long (*call)(struct fx *f);
	/* Before each call (not armed): bring the state to where it works */
	void (*prepare)(struct __test_metadata *_metadata, struct fx *f);
	/* After a success: check what it did and undo it */
	void (*done)(struct __test_metadata *_metadata, struct fx *f, long ret);
	/* After a failure: check that nothing was left behind */
	void (*clean)(struct __test_metadata *_metadata, struct fx *f);
	/* A teardown: it must not fail whatever is injected (else: ENOMEM) */
	bool cannot_fail;
	/*
	 * A teardown that allocates nothing on this kernel: it may reach no
	 * fault point (else at least one must be reached, or the injection
	 * does not work and the sweep tested nothing)
	 */
	bool may_reach_none;
};

/*
 * Let every allocation be failed (also those that may sleep, and highmem
 * pages) and keep the fault points quiet: verbose faults print stack
 * traces, which the rig counts as failures.
 */
static int write_at(int dir, const char *name, const char *val)
{
	ssize_t n;
	int fd;

	fd = openat(dir, name, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static int fault_injection_setup(void)
{
	char name[300];
	struct dirent *de;
	int ret, quiet = 0;
	DIR *dir;

	dir = opendir("/sys/kernel/debug");
	if (!dir)
		return -errno;
	ret = write_at(dirfd(dir), "failslab/ignore-gfp-wait", "N");
	if (!ret)
		ret = write_at(dirfd(dir), "fail_page_alloc/ignore-gfp-wait", "N");
	if (!ret)
		ret = write_at(dirfd(dir), "fail_page_alloc/ignore-gfp-highmem",
			       "N");
	while (!ret && (de = readdir(dir))) {
		if (strncmp(de->d_name, "fail", 4))
			continue;
		snprintf(name, sizeof(name), "%s/verbose", de->d_name);
		ret = write_at(dirfd(dir), name, "0");
		quiet++;
	}
	closedir(dir);
	/* failslab and fail_page_alloc at least */
	return ret ? ret : quiet >= 2 ? 0 : -ENOENT;
}

static int nth_open(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void nth_arm(struct __test_metadata *_metadata, struct fx *f,
		    unsigned int nth)
{
	char val[16];
	int len;

	len = snprintf(val, sizeof(val), "%u", nth);
	ASSERT_EQ(len, pwrite(f->nth, val, len, 0));
}

/* Disarm; true when the armed fault point was reached (and failed) */
static bool nth_disarm(struct __test_metadata *_metadata, struct fx *f)
{
	char val[16] = "";
	ssize_t n, w;

	n = pread(f->nth, val, sizeof(val) - 1, 0);
	w = pwrite(f->nth, "0", 1, 0);
	ASSERT_LT(0, n);
	ASSERT_EQ(1, w);
	return strtoul(val, NULL, 10) == 0;
}

/*
 * The dma-buf count of the system, and the references and attachments of
 * the buffer with inode @ino (0: none asked about, else -ENOENT if gone)
 */
static int dmabuf_info(unsigned long ino, struct dmabuf_info *bi)
{
	int ret = dmabuf_bufinfo(ino, bi);

	if (!ret && ino && !bi->found)
		ret = -ENOENT;
	return ret;
}

/* The buffer's references and attachments are @refs and @attached more than at the start */
static void buf_expect(struct __test_metadata *_metadata, struct fx *f,
		       long refs, int attached)
{
	struct dmabuf_info bi;

	ASSERT_EQ(0, dmabuf_info(f->buf_ino, &bi));
	ASSERT_EQ(f->base.objects, bi.objects)
		TH_LOG("%s, fault point %u: dma-bufs in the system", f->what, f->at);
	ASSERT_EQ(f->base.refs + refs, bi.refs)
		TH_LOG("%s, fault point %u: references to the buffer", f->what, f->at);
	ASSERT_EQ(f->base.attached + attached, bi.attached)
		TH_LOG("%s, fault point %u: attachments of the buffer", f->what, f->at);
}

static void sweep(struct __test_metadata *_metadata, struct fx *f,
		  const struct nth_op *op)
{
	unsigned int nth, failed = 0, survived = 0;
	bool reached;
	int fds;
	long ret;

	f->what = op->name;
	for (nth = 1;; nth++) {
		ASSERT_GT(NTH_MAX, nth) TH_LOG("%s: no end to the fault points", op->name);
		f->at = nth;
		if (op->prepare)
			op->prepare(_metadata, f);
		fds = proc_fd_count();

		nth_arm(_metadata, f, nth);
		ret = op->call(f);
		reached = nth_disarm(_metadata, f);

		if (!reached) {
			ASSERT_LE(0, ret)
				TH_LOG("%s: no fault injected at %u, yet: %s",
				       op->name, nth, strerror(-ret));
			op->done(_metadata, f, ret);
			break;
		}
		if (ret >= 0) {
			survived++;
			op->done(_metadata, f, ret);
			continue;
		}

		failed++;
		ASSERT_FALSE(op->cannot_fail)
			TH_LOG("%s: fault point %u made it fail: %s", op->name,
			       nth, strerror(-ret));
		ASSERT_EQ(-ENOMEM, ret)
			TH_LOG("%s: fault point %u: %s", op->name, nth,
			       strerror(-ret));
		ASSERT_EQ(fds, proc_fd_count())
			TH_LOG("%s: fault point %u left a descriptor", op->name, nth);
		op->clean(_metadata, f);

		/* And without injection it works */
		if (op->prepare)
			op->prepare(_metadata, f);
		ret = op->call(f);
		ASSERT_LE(0, ret)
			TH_LOG("%s: after fault point %u: %s", op->name, nth,
			       strerror(-ret));
		op->done(_metadata, f, ret);
	}

	ksft_print_msg("%s: %u fault points reached, %u failed the call (ENOMEM), %u fell back\n",
		       op->name, nth - 1, failed, survived);
	/* Checks after the sweep name no fault point */
	f->at = 0;
	if (!op->may_reach_none)
		ASSERT_LT(1, nth)
			TH_LOG("%s: fail-nth=1 reached no fault point: is fault injection working?",
			       op->name);
}

/* ---- the devices ---- */

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->nth = -1;
	f->iommufd = -1;
	f->iv = -1;
	f->edu = -1;
	f->buf = -1;
	f->imp = -1;
	f->memfd = -1;
	f->map_fd = -1;
	f->rdma_ctl = -1;
}

static void __attribute__((constructor)) save_drivers(void)
{
	char bdf[32];

	if (!pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE, PAIR_SLOT, bdf,
			   sizeof(bdf)))
		pci_save_driver(bdf);
	if (!pci_find_root(EDU_VENDOR, EDU_DEVICE, PAIR_SLOT, bdf, sizeof(bdf)))
		pci_save_driver(bdf);
}

/* VFIO_DEVICE_FEATURE_DMA_BUF's argument for @nr ranges from @rg */
static struct vfio_device_feature *
feature_dma_buf(const struct vfio_region_dma_range *rg, uint32_t nr)
{
	struct vfio_device_feature_dma_buf *db;
	struct vfio_device_feature *feat;
	size_t len = sizeof(*feat) + sizeof(*db) + nr * sizeof(*rg);

	feat = calloc(1, len);
	if (!feat)
		return NULL;
	feat->argsz = len;
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (void *)feat->data;
	db->region_index = IVSHMEM_BAR;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = nr;
	memcpy(db->dma_ranges, rg, nr * sizeof(*rg));
	return feat;
}

static void fx_setup(struct __test_metadata *_metadata, struct fx *f,
		     enum edu_mode mode)
{
	struct vfio_region_dma_range rg[BUF_NR];
	struct vfio_region_info info;
	struct stat st;
	unsigned int i;
	int ret;

	fx_init(f);
	ret = fault_injection_setup();
	ASSERT_EQ(0, ret) TH_LOG("fault injection knobs in debugfs: %s",
				 strerror(-ret));

	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE, PAIR_SLOT,
				   f->iv_bdf, sizeof(f->iv_bdf)));
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE, PAIR_SLOT,
				   f->edu_bdf, sizeof(f->edu_bdf)));
	ASSERT_EQ(0, pci_bind_vfio(f->iv_bdf)) TH_LOG("%s", f->iv_bdf);
	if (mode == EDU_VFIO)
		ASSERT_EQ(0, pci_bind_vfio(f->edu_bdf)) TH_LOG("%s", f->edu_bdf);
	if (mode == EDU_IMPORTER)
		ASSERT_EQ(0, pci_bind_driver(f->edu_bdf, "edu_dma"))
			TH_LOG("%s", f->edu_bdf);

	f->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, f->iommufd);
	ASSERT_EQ(0, iommufd_ioas_alloc(f->iommufd, &f->ioas));
	f->iv = vfio_cdev_bind(f->iv_bdf, f->iommufd, NULL);
	ASSERT_LE(0, f->iv) TH_LOG("%s: %s", f->iv_bdf, strerror(-f->iv));
	ASSERT_EQ(0, vfio_set_mem_decode(f->iv, true));
	ASSERT_EQ(0, vfio_region(f->iv, VFIO_PCI_CONFIG_REGION_INDEX, &info));
	f->cfg = info.offset;

	if (mode == EDU_VFIO) {
		/* A real IOMMU domain under the IOAS */
		f->edu = vfio_cdev_bind(f->edu_bdf, f->iommufd, NULL);
		ASSERT_LE(0, f->edu) TH_LOG("%s: %s", f->edu_bdf,
					    strerror(-f->edu));
		ASSERT_EQ(0, vfio_device_attach_pt(f->edu, f->ioas));
	}
	if (mode == EDU_IMPORTER) {
		f->imp = open("/dev/edu_dma", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, f->imp);
		f->edu_id = pci_bdf_id(f->edu_bdf);
	}

	for (i = 0; i < BUF_NR; i++) {
		rg[i].offset = BUF_OFF + buf_pages[i] * PG;
		rg[i].length = PG;
	}
	f->buf = vfio_dmabuf_export(f->iv, IVSHMEM_BAR, O_RDWR | O_CLOEXEC, rg,
				    BUF_NR);
	ASSERT_LT(0, f->buf) TH_LOG("export: %s", strerror(-f->buf));
	ASSERT_EQ(0, fstat(f->buf, &st));
	f->buf_ino = st.st_ino;

	f->nth = nth_open();
	ASSERT_LE(0, f->nth) TH_LOG("fail-nth: %s", strerror(-f->nth));
}

static void fx_teardown(struct fx *f)
{
	if (f->nth >= 0)
		close(f->nth);
	if (f->rdma_open)
		rdma_close(&f->rdma);
	if (f->rdma_ctl >= 0)
		close(f->rdma_ctl);
	if (f->imp >= 0)
		close(f->imp);
	if (f->memfd >= 0)
		close(f->memfd);
	if (f->buf >= 0)
		close(f->buf);
	if (f->edu >= 0)
		close(f->edu);
	if (f->iv >= 0)
		close(f->iv);
	if (f->iommufd >= 0)
		close(f->iommufd);
	free(f->feat);
	fx_init(f);
}

/* Memory decode of ivshmem on or off: the buffer restored or revoked */
static void set_decode(struct __test_metadata *_metadata, struct fx *f, bool on)
{
	ASSERT_EQ(0, vfio_set_mem_decode(f->iv, on));
}

static void unmap_exact(struct __test_metadata *_metadata, struct fx *f,
			uint64_t iova, uint64_t len)
{
	uint64_t unmapped = 0;
	int ret;

	ret = iommufd_unmap_len(f->iommufd, f->ioas, iova, len, &unmapped);
	ASSERT_EQ(0, ret) TH_LOG("%s, fault point %u: UNMAP %#llx: %s", f->what,
				 f->at, (unsigned long long)iova, strerror(-ret));
	ASSERT_EQ(len, unmapped);
}

static void map_fixed(struct __test_metadata *_metadata, struct fx *f, int fd,
		      uint64_t len, uint64_t iova)
{
	uint64_t got = iova;
	int ret;

	ret = iommufd_map_file(f->iommufd, f->ioas, FIXED_RW, fd, 0, len, &got);
	ASSERT_EQ(0, ret) TH_LOG("MAP_FILE at %#llx: %s",
				 (unsigned long long)iova, strerror(-ret));
}

/* Nothing is mapped at [@iova, @iova + @len) */
static void iova_free(struct __test_metadata *_metadata, struct fx *f,
		      uint64_t iova, uint64_t len)
{
	ASSERT_EQ(-ENOENT, iommufd_unmap(f->iommufd, f->ioas, iova, len))
		TH_LOG("%s, fault point %u: IOVA %#llx is in use", f->what, f->at,
		       (unsigned long long)iova);
}

/*
 * The buffer revokes and restores promptly: no importer kept a use of its
 * range list (a leaked one would keep the revoke waiting), and while it is
 * revoked MAP_FILE refuses it.
 */
static void revoke_settles(struct __test_metadata *_metadata, struct fx *f)
{
	uint64_t iova = REMAP_IOVA;

	set_decode(_metadata, f, false);
	ASSERT_EQ(-ENODEV, iommufd_map_file(f->iommufd, f->ioas, FIXED_RW,
					    f->buf, 0, BUF_LEN, &iova));
	set_decode(_metadata, f, true);
	map_fixed(_metadata, f, f->buf, BUF_LEN, REMAP_IOVA);
	unmap_exact(_metadata, f, REMAP_IOVA, BUF_LEN);
}

/* ---- VFIO_DEVICE_FEATURE_DMA_BUF ---- */

static long call_export(struct fx *f)
{
	long ret = ioctl(f->iv, VFIO_DEVICE_FEATURE, f->feat);

	return ret < 0 ? -errno : ret;
}

static void done_export(struct __test_metadata *_metadata, struct fx *f,
			long ret)
{
	struct dmabuf_info bi;
	struct stat st;

	ASSERT_LT(0, ret);
	ASSERT_EQ(0, fstat(ret, &st));
	ASSERT_EQ(0, dmabuf_info(st.st_ino, &bi)) TH_LOG("fd %ld is no dma-buf", ret);
	ASSERT_EQ(f->base.objects + 1, bi.objects);
	ASSERT_EQ(1, bi.refs);
	ASSERT_EQ(0, close(ret));
	buf_expect(_metadata, f, 0, 0);
}

static void clean_export(struct __test_metadata *_metadata, struct fx *f)
{
	/* No dma-buf left over (with its hold on the VFIO device) */
	buf_expect(_metadata, f, 0, 0);
}

static const struct nth_op op_export = {
	.name = "VFIO_DEVICE_FEATURE_DMA_BUF",
	.call = call_export,
	.done = done_export,
	.clean = clean_export,
};

FIXTURE(export) {
	struct fx f;
};

FIXTURE_VARIANT(export) {
	uint32_t nr;
};

FIXTURE_VARIANT_ADD(export, one_range) {
	.nr = 1,
};

FIXTURE_VARIANT_ADD(export, ranges_64) {
	.nr = MANY_NR,
};

FIXTURE_SETUP(export)
{
	struct vfio_region_dma_range rg[MANY_NR];
	unsigned int i;

	fx_setup(_metadata, &self->f, EDU_NONE);
	for (i = 0; i < variant->nr; i++) {
		rg[i].offset = MANY_OFF + 2 * i * PG;
		rg[i].length = PG;
	}
	self->f.feat = feature_dma_buf(rg, variant->nr);
	ASSERT_NE(NULL, self->f.feat);
}

FIXTURE_TEARDOWN(export)
{
	fx_teardown(&self->f);
}

TEST_F_TIMEOUT(export, fail_nth, CASE_TIMEOUT)
{
	struct fx *f = &self->f;

	ASSERT_EQ(0, dmabuf_info(f->buf_ino, &f->base));
	sweep(_metadata, f, &op_export);
	/* Every buffer the sweep made is gone; the device still exports */
	buf_expect(_metadata, f, 0, 0);
}

/* ---- IOMMU_IOAS_MAP_FILE ---- */

static long call_map(struct fx *f)
{
	f->iova = f->map_iova;
	return iommufd_map_file(f->iommufd, f->ioas, f->map_flags, f->map_fd, 0,
				f->map_len, &f->iova);
}

static void done_map(struct __test_metadata *_metadata, struct fx *f, long ret)
{
	ASSERT_EQ(0, ret);
	if (f->map_flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		ASSERT_EQ(f->map_iova, f->iova);
	ASSERT_EQ(0, f->iova % PG);
	if (f->map_fd == f->buf)
		buf_expect(_metadata, f, 1, 1);
	unmap_exact(_metadata, f, f->iova, f->map_len);
	if (f->map_fd == f->buf)
		buf_expect(_metadata, f, 0, 0);
}

static void clean_map(struct __test_metadata *_metadata, struct fx *f)
{
	uint64_t unmapped = 1;

	if (f->map_flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
		iova_free(_metadata, f, f->map_iova, f->map_len);
	} else {
		/* Nothing else is mapped: unmapping everything finds nothing */
		ASSERT_EQ(0, iommufd_unmap_len(f->iommufd, f->ioas, 0,
					       UINT64_MAX, &unmapped));
		ASSERT_EQ(0, unmapped);
	}
	if (f->map_fd == f->buf)
		buf_expect(_metadata, f, 0, 0);
}

static const struct nth_op op_map = {
	.name = "IOMMU_IOAS_MAP_FILE",
	.call = call_map,
	.done = done_map,
	.clean = clean_map,
};

/* ivshmem exports, edu is attached to the IOAS: a real IOMMU domain */
FIXTURE(ioas) {
	struct fx f;
};

FIXTURE_SETUP(ioas)
{
	fx_setup(_metadata, &self->f, EDU_VFIO);
	ASSERT_EQ(0, dmabuf_info(self->f.buf_ino, &self->f.base));
}

FIXTURE_TEARDOWN(ioas)
{
	fx_teardown(&self->f);
}

TEST_F_TIMEOUT(ioas, map_dmabuf, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_map;

	op.name = "IOMMU_IOAS_MAP_FILE dma-buf, fixed IOVA";
	f->map_fd = f->buf;
	f->map_flags = FIXED_RW;
	f->map_iova = MAP_IOVA;
	f->map_len = BUF_LEN;
	sweep(_metadata, f, &op);
	revoke_settles(_metadata, f);
	buf_expect(_metadata, f, 0, 0);
}

TEST_F_TIMEOUT(ioas, map_dmabuf_any_iova, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_map;

	op.name = "IOMMU_IOAS_MAP_FILE dma-buf, IOVA picked by the kernel";
	f->map_fd = f->buf;
	f->map_flags = RW;
	f->map_len = BUF_LEN;
	sweep(_metadata, f, &op);
	revoke_settles(_metadata, f);
	buf_expect(_metadata, f, 0, 0);
}

/*
 * Every pin of the memfd's pages is gone: a write seal waits for pins and
 * gives EBUSY if some stay. Ends the memfd's use for writeable maps.
 */
static void memfd_unpinned(struct __test_metadata *_metadata, struct fx *f)
{
	ASSERT_EQ(0, fcntl(f->memfd, F_ADD_SEALS, F_SEAL_WRITE))
		TH_LOG("memfd pages still pinned: %s", strerror(errno));
}

TEST_F_TIMEOUT(ioas, map_memfd, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_map;
	char page[PG];
	uint64_t off;

	f->memfd = memfd_create("fail_nth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, f->memfd);
	ASSERT_EQ(0, ftruncate(f->memfd, MEMFD_LEN));
	/* In the page cache before the sweep */
	memset(page, 0x5a, sizeof(page));
	for (off = 0; off < MEMFD_LEN; off += PG)
		ASSERT_EQ(PG, pwrite(f->memfd, page, PG, off));

	op.name = "IOMMU_IOAS_MAP_FILE shmem memfd";
	f->map_fd = f->memfd;
	f->map_flags = FIXED_RW;
	f->map_iova = MEMFD_IOVA;
	f->map_len = MEMFD_LEN;
	sweep(_metadata, f, &op);
	memfd_unpinned(_metadata, f);
}

static long hugepages_free(void)
{
	char line[128];
	long n = -1;
	FILE *fp;

	fp = fopen("/proc/meminfo", "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(fp);
	return n;
}

TEST_F_TIMEOUT(ioas, map_hugetlb, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_map;
	long free_before;
	void *p;

	free_before = hugepages_free();
	ASSERT_LT(0, free_before) TH_LOG("no free hugepage (hugepages=16 on the command line?)");
	f->memfd = memfd_create("fail_nth_huge",
				MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	ASSERT_LE(0, f->memfd);
	ASSERT_EQ(0, ftruncate(f->memfd, HPAGE));
	/* Fault the hugepage in, then drop the mapping (a seal needs that) */
	p = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xa5, PG);
	ASSERT_EQ(0, munmap(p, HPAGE));
	ASSERT_EQ(free_before - 1, hugepages_free());

	op.name = "IOMMU_IOAS_MAP_FILE hugetlb memfd";
	f->map_fd = f->memfd;
	f->map_flags = FIXED_RW;
	f->map_iova = HUGE_IOVA;
	f->map_len = HPAGE;
	sweep(_metadata, f, &op);
	memfd_unpinned(_metadata, f);
	/* And the hugepage goes back to the pool with the file */
	ASSERT_EQ(0, close(f->memfd));
	f->memfd = -1;
	ASSERT_EQ(free_before, hugepages_free());
}

/* ---- IOMMU_IOAS_COPY ---- */

static long call_copy(struct fx *f)
{
	return iommufd_copy(f->iommufd, f->ioas, COPY_DST_IOVA, f->ioas,
			    COPY_SRC_IOVA, BUF_LEN);
}

static void done_copy(struct __test_metadata *_metadata, struct fx *f, long ret)
{
	ASSERT_EQ(0, ret);
	/* The copy shares the source's pages: no new reference or attachment */
	buf_expect(_metadata, f, 1, 1);
	unmap_exact(_metadata, f, COPY_DST_IOVA, BUF_LEN);
	buf_expect(_metadata, f, 1, 1);
}

static void clean_copy(struct __test_metadata *_metadata, struct fx *f)
{
	iova_free(_metadata, f, COPY_DST_IOVA, BUF_LEN);
	buf_expect(_metadata, f, 1, 1);
}

static const struct nth_op op_copy = {
	.name = "IOMMU_IOAS_COPY of a dma-buf area",
	.call = call_copy,
	.done = done_copy,
	.clean = clean_copy,
};

TEST_F_TIMEOUT(ioas, copy_dmabuf, CASE_TIMEOUT)
{
	struct fx *f = &self->f;

	map_fixed(_metadata, f, f->buf, BUF_LEN, COPY_SRC_IOVA);
	sweep(_metadata, f, &op_copy);
	/* The source area is whole */
	unmap_exact(_metadata, f, COPY_SRC_IOVA, BUF_LEN);
	buf_expect(_metadata, f, 0, 0);
	revoke_settles(_metadata, f);
}

/* ---- IOMMU_IOAS_UNMAP ---- */

/*
 * An unmap must not fail, whatever is injected. Two ranges are unmapped.
 * The first holds two areas of the dma-buf only: their teardown allocates
 * nothing on this kernel. The second starts with a memfd area of 64
 * pages, whose unpinning allocates a batch (with a fallback on the stack),
 * so the injected failures land before the dma-buf areas after it go.
 */
#define UNMAP_MEMFD_LEN	(64 * PG)
#define UNMAP_AREAS	3

struct unmap_range {
	const char *name;
	unsigned int nr;
	struct {
		uint64_t iova;
		uint64_t len;
		bool dmabuf;
	} areas[UNMAP_AREAS];
	uint64_t iova;
	uint64_t len;
};

static const struct unmap_range unmap_dmabuf_only = {
	.name = "IOMMU_IOAS_UNMAP of dma-buf areas",
	.nr = 2,
	.areas = {
		{ UNMAP_IOVA, BUF_LEN, true },
		{ UNMAP_IOVA + BUF_LEN, BUF_LEN, true },
	},
	.iova = UNMAP_IOVA,
	.len = 2 * BUF_LEN,
};

static const struct unmap_range unmap_mixed = {
	.name = "IOMMU_IOAS_UNMAP of memfd and dma-buf areas",
	.nr = 3,
	.areas = {
		{ UNMAP_IOVA, UNMAP_MEMFD_LEN, false },
		{ UNMAP_IOVA + UNMAP_MEMFD_LEN, BUF_LEN, true },
		{ UNMAP_IOVA + UNMAP_MEMFD_LEN + BUF_LEN, BUF_LEN, true },
	},
	.iova = UNMAP_IOVA,
	.len = UNMAP_MEMFD_LEN + 2 * BUF_LEN,
};

/* The range being swept */
static const struct unmap_range *unmap_range;

static unsigned int unmap_dmabuf_areas(const struct unmap_range *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->nr; i++)
		n += r->areas[i].dmabuf;
	return n;
}

static void prepare_unmap(struct __test_metadata *_metadata, struct fx *f)
{
	const struct unmap_range *r = unmap_range;
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		map_fixed(_metadata, f, r->areas[i].dmabuf ? f->buf : f->memfd,
			  r->areas[i].len, r->areas[i].iova);
	buf_expect(_metadata, f, unmap_dmabuf_areas(r), unmap_dmabuf_areas(r));
}

static long call_unmap(struct fx *f)
{
	f->unmapped = 0;
	return iommufd_unmap_len(f->iommufd, f->ioas, unmap_range->iova,
				 unmap_range->len, &f->unmapped);
}

static void done_unmap(struct __test_metadata *_metadata, struct fx *f,
		       long ret)
{
	ASSERT_EQ(0, ret);
	ASSERT_EQ(unmap_range->len, f->unmapped);
	iova_free(_metadata, f, unmap_range->iova, unmap_range->len);
	buf_expect(_metadata, f, 0, 0);
}

/* Each area is whole or gone, never half there; and then all go */
static void clean_unmap(struct __test_metadata *_metadata, struct fx *f)
{
	const struct unmap_range *r = unmap_range;
	uint64_t unmapped;
	unsigned int i;
	int ret;

	for (i = 0; i < r->nr; i++) {
		unmapped = 0;
		ret = iommufd_unmap_len(f->iommufd, f->ioas, r->areas[i].iova,
					r->areas[i].len, &unmapped);
		if (ret != -ENOENT) {
			ASSERT_EQ(0, ret);
			ASSERT_EQ(r->areas[i].len, unmapped);
		}
	}
	buf_expect(_metadata, f, 0, 0);
}

TEST_F_TIMEOUT(ioas, unmap_dmabuf, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = {
		.call = call_unmap,
		.prepare = prepare_unmap,
		.done = done_unmap,
		.clean = clean_unmap,
		.cannot_fail = true,
	};
	char page[PG];
	uint64_t off;

	f->memfd = memfd_create("fail_nth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, f->memfd);
	ASSERT_EQ(0, ftruncate(f->memfd, UNMAP_MEMFD_LEN));
	memset(page, 0x3c, sizeof(page));
	for (off = 0; off < UNMAP_MEMFD_LEN; off += PG)
		ASSERT_EQ(PG, pwrite(f->memfd, page, PG, off));

	unmap_range = &unmap_dmabuf_only;
	op.name = unmap_range->name;
	op.may_reach_none = true;
	sweep(_metadata, f, &op);

	unmap_range = &unmap_mixed;
	op.name = unmap_range->name;
	op.may_reach_none = false;
	sweep(_metadata, f, &op);

	memfd_unpinned(_metadata, f);
	revoke_settles(_metadata, f);
}

/* ---- the revoke: memory decode off ---- */

static void prepare_revoke(struct __test_metadata *_metadata, struct fx *f)
{
	uint16_t cmd;

	map_fixed(_metadata, f, f->buf, BUF_LEN, REVOKE_IOVA);
	buf_expect(_metadata, f, 1, 1);
	ASSERT_EQ(0, vfio_cfg_read16(f->iv, PCI_COMMAND, &cmd));
	ASSERT_TRUE(cmd & PCI_COMMAND_MEMORY);
	f->cmd = cmd & ~PCI_COMMAND_MEMORY;
}

static long call_revoke(struct fx *f)
{
	ssize_t n = pwrite(f->iv, &f->cmd, sizeof(f->cmd), f->cfg + PCI_COMMAND);

	return n < 0 ? -errno : n;
}

static void done_revoke(struct __test_metadata *_metadata, struct fx *f,
			long ret)
{
	uint64_t iova = REMAP_IOVA;
	uint16_t cmd;

	ASSERT_EQ(sizeof(f->cmd), ret);
	ASSERT_EQ(0, vfio_cfg_read16(f->iv, PCI_COMMAND, &cmd));
	ASSERT_FALSE(cmd & PCI_COMMAND_MEMORY);
	/* Revoked: no new mapping */
	ASSERT_EQ(-ENODEV, iommufd_map_file(f->iommufd, f->ioas, FIXED_RW,
					    f->buf, 0, BUF_LEN, &iova));
	iova_free(_metadata, f, REMAP_IOVA, BUF_LEN);
	/* The area stays until user space unmaps it (it then lets go) */
	unmap_exact(_metadata, f, REVOKE_IOVA, BUF_LEN);
	buf_expect(_metadata, f, 0, 0);
	/*
	 * Restored: the same IOVA maps again. Had the revoke left a page
	 * table entry behind, intel-iommu would warn here that it is set.
	 */
	set_decode(_metadata, f, true);
	map_fixed(_metadata, f, f->buf, BUF_LEN, REVOKE_IOVA);
	unmap_exact(_metadata, f, REVOKE_IOVA, BUF_LEN);
	buf_expect(_metadata, f, 0, 0);
}

static void clean_revoke(struct __test_metadata *_metadata, struct fx *f)
{
}

/*
 * A revoke cannot fail: whatever fails on its path (the config write,
 * VFIO's revoke, iommufd's move_notify unmapping the domain), the buffer
 * ends up revoked and unmapped everywhere. On this kernel the path reaches
 * no fault point at all: the outcome is checked with fail-nth armed.
 */
static const struct nth_op op_revoke = {
	.name = "memory decode off (revoke)",
	.call = call_revoke,
	.prepare = prepare_revoke,
	.done = done_revoke,
	.clean = clean_revoke,
	.cannot_fail = true,
	.may_reach_none = true,
};

TEST_F_TIMEOUT(ioas, revoke, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_map;

	sweep(_metadata, f, &op_revoke);

	/* The restored buffer maps under injection like a fresh one */
	op.name = "IOMMU_IOAS_MAP_FILE dma-buf after a revoke";
	f->map_fd = f->buf;
	f->map_flags = FIXED_RW;
	f->map_iova = REVOKE_IOVA;
	f->map_len = BUF_LEN;
	sweep(_metadata, f, &op);
	buf_expect(_metadata, f, 0, 0);
}

/* ---- the edu_dma importer ---- */

static long call_import(struct fx *f)
{
	memset(&f->import, 0, sizeof(f->import));
	f->import.edu_bdf = f->edu_id;
	f->import.fd = f->buf;
	f->import.flags = f->imp_flags;
	return ioctl(f->imp, EDU_DMA_IMPORT, &f->import) ? -errno : 0;
}

static int imp_status(struct fx *f, struct edu_dma_status *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(f->imp, EDU_DMA_STATUS, st) ? -errno : 0;
}

static void done_import(struct __test_metadata *_metadata, struct fx *f,
			long ret)
{
	struct edu_dma_status st;

	ASSERT_EQ(0, ret);
	ASSERT_EQ(BUF_LEN, f->import.size);
	ASSERT_EQ(0, imp_status(f, &st));
	ASSERT_EQ(0, st.mapped);
	buf_expect(_metadata, f, 1, 1);
	ASSERT_EQ(0, ioctl(f->imp, EDU_DMA_RELEASE));
	ASSERT_EQ(-ENXIO, imp_status(f, &st));
	buf_expect(_metadata, f, 0, 0);
}

/* The importer holds nothing: no buffer, no reference, no attachment */
static void clean_import(struct __test_metadata *_metadata, struct fx *f)
{
	struct edu_dma_status st;

	ASSERT_EQ(-ENXIO, imp_status(f, &st));
	buf_expect(_metadata, f, 0, 0);
}

static const struct nth_op op_import = {
	.name = "EDU_DMA_IMPORT",
	.call = call_import,
	.done = done_import,
	.clean = clean_import,
};

static long call_imp_map(struct fx *f)
{
	memset(&f->map, 0, sizeof(f->map));
	f->map.nr_ranges = ARRAY_SIZE(f->ranges);
	f->map.ranges = (uintptr_t)f->ranges;
	return ioctl(f->imp, EDU_DMA_MAP, &f->map) ? -errno : 0;
}

static void done_imp_map(struct __test_metadata *_metadata, struct fx *f,
			 long ret)
{
	struct edu_dma_status st;

	ASSERT_EQ(0, ret);
	/* The switch pair: bus addresses, one range per slice */
	ASSERT_EQ(f->imp_flags & EDU_DMA_IMPORT_SGT ? EDU_DMA_MAP_SGT :
		  EDU_DMA_MAP_BUS_ADDR, f->map.map_type);
	ASSERT_EQ(BUF_NR, f->map.nr_ranges);
	ASSERT_EQ(0, imp_status(f, &st));
	ASSERT_EQ(1, st.mapped);
	ASSERT_EQ(0, st.revoked);
	ASSERT_EQ(0, ioctl(f->imp, EDU_DMA_UNMAP));
	ASSERT_EQ(0, imp_status(f, &st));
	ASSERT_EQ(0, st.mapped);
}

static void clean_imp_map(struct __test_metadata *_metadata, struct fx *f)
{
	struct edu_dma_status st;

	ASSERT_EQ(0, imp_status(f, &st));
	ASSERT_EQ(0, st.mapped);
	ASSERT_EQ(0, st.revoked);
	ASSERT_EQ(0, st.notified);
	buf_expect(_metadata, f, 1, 1);
}

static const struct nth_op op_imp_map = {
	.name = "EDU_DMA_MAP",
	.call = call_imp_map,
	.done = done_imp_map,
	.clean = clean_imp_map,
};

/* ivshmem exports, edu is bound to edu_dma */
FIXTURE(importer) {
	struct fx f;
};

FIXTURE_VARIANT(importer) {
	const char *mode;
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(importer, range_list) {
	.mode = "range list",
	.flags = 0,
};

FIXTURE_VARIANT_ADD(importer, sgt) {
	.mode = "sg_table",
	.flags = EDU_DMA_IMPORT_SGT,
};

FIXTURE_SETUP(importer)
{
	fx_setup(_metadata, &self->f, EDU_IMPORTER);
	self->f.imp_flags = variant->flags;
	ASSERT_EQ(0, dmabuf_info(self->f.buf_ino, &self->f.base));
}

FIXTURE_TEARDOWN(importer)
{
	fx_teardown(&self->f);
}

TEST_F_TIMEOUT(importer, import, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_import;
	char name[64];

	snprintf(name, sizeof(name), "%s, %s", op.name, variant->mode);
	op.name = name;
	sweep(_metadata, f, &op);
	buf_expect(_metadata, f, 0, 0);
}

TEST_F_TIMEOUT(importer, map, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct nth_op op = op_imp_map;
	struct edu_dma_status st;
	char name[64];

	ASSERT_EQ(0, call_import(f));
	snprintf(name, sizeof(name), "%s, %s", op.name, variant->mode);
	op.name = name;
	sweep(_metadata, f, &op);

	/*
	 * No use of the buffer leaked: mapped once more, a revoke makes the
	 * importer drop it and returns (a leaked use would keep it waiting).
	 */
	ASSERT_EQ(0, call_imp_map(f));
	set_decode(_metadata, f, false);
	ASSERT_EQ(0, imp_status(f, &st));
	ASSERT_EQ(0, st.mapped);
	ASSERT_EQ(1, st.revoked);
	ASSERT_EQ(-ENODEV, call_imp_map(f));
	set_decode(_metadata, f, true);
	ASSERT_EQ(0, call_imp_map(f));
	ASSERT_EQ(0, ioctl(f->imp, EDU_DMA_RELEASE));
	buf_expect(_metadata, f, 0, 0);
}

/* ---- RDMA memory registration ---- */

/* MRs registered on the edu_rdma device */
static uint32_t rdma_mrs(struct fx *f)
{
	struct edu_rdma_mr_query q = { .lkey = 0 };

	edu_rdma_mr_query(f->rdma_ctl, &q);
	return q.nr_mrs;
}

static long call_reg_mr(struct fx *f)
{
	return rdma_reg_dmabuf_mr(&f->rdma, PG, 2 * PG, 1ULL << 40 | PG,
				  f->buf, IB_UVERBS_ACCESS_LOCAL_WRITE,
				  &f->mr_handle, &f->lkey, &f->rkey);
}

static void done_reg_mr(struct __test_metadata *_metadata, struct fx *f,
			long ret)
{
	struct edu_rdma_mr_query q = { .lkey = f->lkey };

	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, edu_rdma_mr_query(f->rdma_ctl, &q));
	ASSERT_EQ(0, q.revoked);
	ASSERT_EQ(2, q.nr_blocks);
	ASSERT_EQ(1, q.nr_mrs);
	buf_expect(_metadata, f, 1, 1);
	ASSERT_EQ(0, rdma_dereg_mr(&f->rdma, f->mr_handle));
	ASSERT_EQ(0, rdma_mrs(f));
	buf_expect(_metadata, f, 0, 0);
}

/* No MR, no reference or attachment of the buffer */
static void clean_reg_mr(struct __test_metadata *_metadata, struct fx *f)
{
	ASSERT_EQ(0, rdma_mrs(f));
	buf_expect(_metadata, f, 0, 0);
}

static const struct nth_op op_reg_mr = {
	.name = "REG_DMABUF_MR on edu_rdma",
	.call = call_reg_mr,
	.done = done_reg_mr,
	.clean = clean_reg_mr,
};

/* ivshmem exports, edu carries the edu_rdma device */
FIXTURE(umem) {
	struct fx f;
};

FIXTURE_SETUP(umem)
{
	struct fx *f = &self->f;
	int ret;

	fx_setup(_metadata, f, EDU_IMPORTER);
	ret = edu_rdma_create_flags(&f->rdma_ctl, pci_bdf_id(f->edu_bdf), 0,
				    f->ibdev, sizeof(f->ibdev));
	ASSERT_EQ(0, ret) TH_LOG("EDU_RDMA_CREATE: %s", strerror(-ret));
	ret = rdma_open(&f->rdma, f->ibdev);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", f->ibdev, strerror(-ret));
	f->rdma_open = true;
	ASSERT_EQ(0, dmabuf_info(f->buf_ino, &f->base));
}

FIXTURE_TEARDOWN(umem)
{
	fx_teardown(&self->f);
}

TEST_F_TIMEOUT(umem, reg_dmabuf_mr, CASE_TIMEOUT)
{
	struct fx *f = &self->f;
	struct edu_rdma_mr_query q;
	uint32_t revokes;

	sweep(_metadata, f, &op_reg_mr);

	/*
	 * No use of the buffer leaked: registered once more, a revoke runs
	 * the MR's revoke callback and returns.
	 */
	ASSERT_EQ(0, call_reg_mr(f));
	memset(&q, 0, sizeof(q));
	q.lkey = f->lkey;
	ASSERT_EQ(0, edu_rdma_mr_query(f->rdma_ctl, &q));
	revokes = q.revokes;
	set_decode(_metadata, f, false);
	ASSERT_EQ(0, edu_rdma_mr_query(f->rdma_ctl, &q));
	ASSERT_EQ(1, q.revoked);
	ASSERT_EQ(revokes + 1, q.revokes);
	set_decode(_metadata, f, true);
	ASSERT_EQ(0, rdma_dereg_mr(&f->rdma, f->mr_handle));
	buf_expect(_metadata, f, 0, 0);
}

TEST_HARNESS_MAIN
