// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-test compare: the figures of the side-by-side benchmark (make
 * bench-mainline). The same binary runs on mainline 7.2 and on this
 * project's kernel; each figure is one "compare: KEY VALUE UNIT" line,
 * and rig/vm.py puts the boots of both kernels side by side. A path the
 * running kernel lacks prints "-" as its value.
 *
 * A time is the lowest of BLOCKS medians of REPS calls each (a block
 * that the emulator slowed down does not count); memory is slab objects
 * in use (/proc/slabinfo) and pages gone from MemFree per export, after
 * every cache was shrunk, averaged over SLAB_EXPORTS exports.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/dma-heap.h>
#include <linux/pci_regs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "dmabuf-test.h"

#define BLOCKS		5
#define REPS		21
#define BIG_REPS	5
#define SLAB_EXPORTS	4096
#define MAX_CMP_RANGES	4096

/* Fold the median of one block into the lowest so far (*best < 0: none) */
static void keep_best(double *best, double *v, int n)
{
	double m = median(v, n);

	if (*best < 0 || m < *best)
		*best = m;
}

static void figure(const char *key, double v, const char *unit, const char *what)
{
	printf("compare: %s %.2f %s %s\n", key, v, unit, what);
	fflush(stdout);
}

static void missing(const char *key, const char *unit, const char *what, int err)
{
	printf("compare: %s - %s %s (%s)\n", key, unit, what, strerror(err));
	fflush(stdout);
}

/* A request for @n one-page ranges; descending order with @reverse */
struct vfio_device_feature *export_req(int bar, uint32_t n, uint64_t stride,
				       bool reverse)
{
	size_t len = sizeof(struct vfio_device_feature) +
		     sizeof(struct vfio_device_feature_dma_buf) +
		     n * sizeof(struct vfio_region_dma_range);
	struct vfio_device_feature *f = calloc(1, len);
	struct vfio_device_feature_dma_buf *db;
	uint32_t i;

	if (!f)
		die("out of memory");
	db = (void *)f->data;
	f->argsz = len;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = n;
	for (i = 0; i < n; i++) {
		db->dma_ranges[i].offset = (reverse ? n - 1 - i : i) * stride;
		db->dma_ranges[i].length = PAGE;
	}
	return f;
}

int export_fd(int dev, struct vfio_device_feature *f)
{
	int fd = ioctl(dev, VFIO_DEVICE_FEATURE, f);

	if (fd < 0)
		explain("export", errno, NULL);
	return fd;
}

/* The export ioctl alone, and the close of what it made */
static void export_rows(struct ctx *c, uint64_t bar_size)
{
	static const uint32_t counts[] = { 1, 8, 64, 512, 4096 };
	double te[REPS], tc[REPS], be, bc;
	char key[64], what[96];
	unsigned int k, r, b;

	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		uint32_t n = counts[k];
		struct vfio_device_feature *f;

		if (n * PAGE > bar_size)
			break;
		f = export_req(c->bar, n, PAGE, false);
		be = bc = -1;
		for (b = 0; b < BLOCKS; b++) {
			for (r = 0; r < REPS; r++) {
				double t0 = now_us();
				int fd = export_fd(c->dev, f);

				te[r] = now_us() - t0;
				t0 = now_us();
				close(fd);
				tc[r] = now_us() - t0;
			}
			keep_best(&be, te, REPS);
			keep_best(&bc, tc, REPS);
		}
		snprintf(key, sizeof(key), "export_%u", n);
		snprintf(what, sizeof(what), "export of %u range%s (ioctl only)", n,
			 n == 1 ? "" : "s");
		figure(key, be, "us", what);
		snprintf(key, sizeof(key), "close_%u", n);
		snprintf(what, sizeof(what), "close of a %u-range buffer", n);
		figure(key, bc, "us", what);
		free(f);
	}

	/* Out of order: the overlap check has to sort */
	if (512 * PAGE <= bar_size) {
		struct vfio_device_feature *f = export_req(c->bar, 512, PAGE, true);

		be = -1;
		for (b = 0; b < BLOCKS; b++) {
			for (r = 0; r < REPS; r++) {
				double t0 = now_us();
				int fd = export_fd(c->dev, f);

				te[r] = now_us() - t0;
				close(fd);
			}
			keep_best(&be, te, REPS);
		}
		figure("export_512_reversed", be, "us",
		       "export of 512 ranges in descending order");
		free(f);
	}
}

/*
 * A dma-buf that neither VFIO nor this project makes: one page from the
 * system heap, allocated and closed. Its export and release go through
 * the same dma-buf core and file code as a VFIO export, so the row shows
 * what the base kernel's own paths cost on each kernel.
 */
static void heap_rows(void)
{
	struct dma_heap_allocation_data a = {
		.len = PAGE, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	double ta[REPS], tc[REPS], ba = -1, bc = -1;
	int heap = open("/dev/dma_heap/system", O_RDONLY | O_CLOEXEC);
	int r, b;

	if (heap < 0) {
		missing("heap_alloc_4k", "us", "system heap export of 4 KiB", errno);
		return;
	}
	for (b = 0; b < BLOCKS; b++) {
		for (r = 0; r < REPS; r++) {
			double t0;

			a.fd = 0;	/* an output: it must come in as 0 */
			t0 = now_us();
			if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a))
				die("DMA_HEAP_IOCTL_ALLOC: %s", strerror(errno));
			ta[r] = now_us() - t0;
			t0 = now_us();
			close(a.fd);
			tc[r] = now_us() - t0;
		}
		keep_best(&ba, ta, REPS);
		keep_best(&bc, tc, REPS);
	}
	figure("heap_alloc_4k", ba, "us", "system heap export of 4 KiB (no VFIO)");
	figure("heap_close_4k", bc, "us", "close of a 4 KiB system heap buffer (no VFIO)");
	close(heap);
}

/* Bytes the page allocator has free, from /proc/meminfo */
long long mem_free(void)
{
	char line[256];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/*
 * Flush every cache's per-CPU slabs and free its empty ones (the shrink
 * file of SLUB's sysfs), so that /proc/slabinfo counts exactly the
 * objects in use and MemFree sees the pages of freed slabs again.
 */
void shrink_all(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[512];
	int fd;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) < 0)
			perror(path);
		close(fd);
	}
	closedir(d);
}

/* Bytes of slab objects in use, from /proc/slabinfo */
long long slab_bytes(void)
{
	char line[512], name[64];
	long active, num, objsize;
	long long t = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		die("/proc/slabinfo: %s (CONFIG_SLUB_DEBUG is off?)", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num, &objsize) == 4)
			t += (long long)active * objsize;
	fclose(f);
	return t;
}

/* After a shrink of every cache: slab bytes in use and MemFree */
void snapshot(long long *slab, long long *mem)
{
	shrink_all();
	*slab = slab_bytes();
	*mem = mem_free();
}

/*
 * Slab per export of @n ranges, two pages apart (nothing can merge them),
 * and memory per export as the page allocator sees it (slab pages and
 * the range arrays too large for a slab cache).
 */
static void slab_rows(struct ctx *c, uint64_t bar_size)
{
	static const uint32_t counts[] = { 1, 3, 8, 64, 100, 512, 1000, 2047 };
	static int fds[SLAB_EXPORTS];
	char key[64], what[96];
	unsigned int k, i, round;

	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		uint32_t n = counts[k];
		struct vfio_device_feature *f;
		long long before, after, free_before, free_after;

		if (n * 2 * PAGE > bar_size)
			break;
		f = export_req(c->bar, n, 2 * PAGE, false);
		/* The first round grows the caches; the second is measured */
		for (round = 0; round < 2; round++) {
			settle();
			snapshot(&before, &free_before);
			for (i = 0; i < SLAB_EXPORTS; i++)
				fds[i] = export_fd(c->dev, f);
			snapshot(&after, &free_after);
			for (i = 0; i < SLAB_EXPORTS; i++)
				close(fds[i]);
		}
		snprintf(key, sizeof(key), "slab_%u", n);
		snprintf(what, sizeof(what), "slab per export, %u range%s", n,
			 n == 1 ? "" : "s");
		figure(key, (double)(after - before) / SLAB_EXPORTS, "B", what);
		snprintf(key, sizeof(key), "mem_%u", n);
		snprintf(what, sizeof(what), "memory per export (MemFree), %u range%s", n,
			 n == 1 ? "" : "s");
		figure(key, (double)(free_before - free_after) / SLAB_EXPORTS, "B", what);
		free(f);
	}
}

static int map_file(struct ctx *c, uint32_t ioas, int fd, uint64_t start, uint64_t len,
		    uint64_t iova)
{
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas, .fd = fd, .start = start, .length = len,
		.iova = iova,
	};

	return ioctl(c->iommufd, IOMMU_IOAS_MAP_FILE, &mf) ? -errno : 0;
}

/* MAP_FILE of @fd (or IOAS_MAP of @va when @fd < 0), then the unmap */
static void map_rows(struct ctx *c, uint32_t ioas, const char *key, const char *what,
		     int fd, void *va, uint64_t len, int reps)
{
	const uint64_t iova = 1ULL << 34;
	double tm[REPS], tu[REPS], bm = -1, bu = -1;
	char ukey[64], uwhat[128];
	int r, b, rc;

	for (b = 0; b < BLOCKS; b++) {
		for (r = 0; r < reps; r++) {
			double t0 = now_us();

			rc = fd >= 0 ? map_file(c, ioas, fd, 0, len, iova) :
				       iommufd_map(c->iommufd, ioas, va, len, iova);
			tm[r] = now_us() - t0;
			if (rc) {
				missing(key, "us", what, -rc);
				return;
			}
			t0 = now_us();
			iommufd_unmap(c->iommufd, ioas, iova, len);
			tu[r] = now_us() - t0;
		}
		keep_best(&bm, tm, reps);
		keep_best(&bu, tu, reps);
	}
	snprintf(ukey, sizeof(ukey), "%s_unmap", key);
	snprintf(uwhat, sizeof(uwhat), "unmap after %s", what);
	figure(key, bm, "us", what);
	figure(ukey, bu, "us", uwhat);
}

static void memfd_rows(struct ctx *c)
{
	int fd = memfd_create("compare", 0);
	uint32_t bare;
	void *ram;

	if (iommufd_ioas_alloc(c->iommufd, &bare))
		die("allocating a second IOAS: %s", strerror(errno));
	if (fd < 0 || ftruncate(fd, PAGE))
		die("memfd: %s", strerror(errno));
	map_rows(c, c->ioas, "mapfile_memfd_4k", "MAP_FILE of a 4 KiB memfd", fd, NULL,
		 PAGE, REPS);
	/* Without a device in the IOAS nothing is pinned: the ioctl's own cost */
	map_rows(c, bare, "mapfile_memfd_4k_bare", "MAP_FILE of a 4 KiB memfd, IOAS without devices",
		 fd, NULL, PAGE, REPS);
	close(fd);

	/* The same size of anonymous memory with IOAS_MAP, a 6.12 path */
	ram = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	map_rows(c, c->ioas, "ioas_map_anon_4k", "IOAS_MAP of 4 KiB anonymous memory", -1,
		 ram, PAGE, REPS);
	map_rows(c, bare, "ioas_map_anon_4k_bare",
		 "IOAS_MAP of 4 KiB anonymous memory, IOAS without devices", -1, ram, PAGE, REPS);
	munmap(ram, PAGE);
}

static void dmabuf_map_rows(struct ctx *c, const char *large)
{
	struct vfio_device_feature *f;
	uint32_t devid;
	long big;
	int dev, fd;

	/* 64 ranges of the small BAR: a path mainline does not have */
	f = export_req(c->bar, 64, 2 * PAGE, false);
	fd = export_fd(c->dev, f);
	map_rows(c, c->ioas, "mapfile_dmabuf_64ranges", "MAP_FILE of a 64-range dma-buf", fd, NULL,
		 64 * PAGE, REPS);
	close(fd);
	free(f);

	if (!large)
		return;
	big = pci_resource_size(large, c->bar);
	if (big <= 0)
		die("%s: no BAR%d", large, c->bar);
	dev = open_device(large);
	if (bind_iommufd(dev, c->iommufd, &devid))
		die("%s: cannot bind it to iommufd", large);
	if (vfio_set_mem_decode(dev, true))
		die("%s: cannot turn memory decode on", large);
	f = export_req(c->bar, 1, 0, false);
	((struct vfio_device_feature_dma_buf *)f->data)->dma_ranges[0].length = big;
	fd = export_fd(dev, f);
	map_rows(c, c->ioas, big >= (16L << 30) ? "mapfile_dmabuf_16g" : "mapfile_dmabuf_large",
		 "MAP_FILE of the whole large BAR", fd, NULL, big, BIG_REPS);
	close(fd);
	free(f);
	close(dev);
}

/* Memory decode off with @n one-page areas of one buffer mapped */
static void revoke_rows(struct ctx *c)
{
	struct vfio_device_feature *f = export_req(c->bar, 1, 0, false);
	double tr[REPS], ts[REPS], br = -1, bs = -1;
	unsigned int r, b;
	uint16_t cmd;

	((struct vfio_device_feature_dma_buf *)f->data)->dma_ranges[0].length = PAGE;
	if (vfio_cfg_read16(c->dev, PCI_COMMAND, &cmd))
		die("cannot read the command register");
	for (b = 0; b < BLOCKS; b++) {
		for (r = 0; r < REPS; r++) {
			int fd = export_fd(c->dev, f);

			time_revoke(c, fd, 64, cmd, &tr[r], &ts[r]);
			close(fd);
		}
		keep_best(&br, tr, REPS);
		keep_best(&bs, ts, REPS);
	}
	figure("revoke_64", br, "us", "revoke with 64 mapped areas");
	figure("restore_64", bs, "us", "restore with 64 mapped areas");
	free(f);
}

/* Whether VFIO_DEVICE_FEATURE_DMA_BUF exists here (PROBE) */
static bool can_export(struct ctx *c)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};

	if (!ioctl(c->dev, VFIO_DEVICE_FEATURE, &f))
		return true;
	printf("compare: # no VFIO_DEVICE_FEATURE_DMA_BUF here (%s): base-kernel rows only\n",
	       strerror(errno));
	return false;
}

int cmd_compare(struct ctx *c, const char *engine, const char *large)
{
	long bar_size = pci_resource_size(c->bdf, c->bar);
	int rc;

	if (bar_size <= 0)
		die("%s: no BAR%d", c->bdf, c->bar);
	rc = iommufd_ioas_alloc(c->iommufd, &c->ioas);
	if (rc)
		explain("allocating an IOAS", -rc, NULL);
	if (engine)
		attach_engine(c, engine);
	if (vfio_set_mem_decode(c->dev, true))
		die("%s: cannot turn memory decode on", c->bdf);
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){ SLAB_EXPORTS + 64, SLAB_EXPORTS + 64 }))
		die("RLIMIT_NOFILE: %s", strerror(errno));
	/*
	 * A kernel without the export (stock 6.12) still gives the rows of
	 * the base kernel's own paths: the system heap and IOAS_MAP
	 */
	if (!can_export(c)) {
		heap_rows();
		memfd_rows(c);
		printf("compare: done\n");
		return 0;
	}
	export_rows(c, bar_size);
	heap_rows();
	slab_rows(c, bar_size);
	memfd_rows(c);
	dmabuf_map_rows(c, large);
	revoke_rows(c);
	printf("compare: done\n");
	return 0;
}
