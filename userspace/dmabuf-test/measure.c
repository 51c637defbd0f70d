// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-test measure and memory: the benchmarks. They print tables
 * (Markdown) of figures; nothing here passes or fails on a time.
 *
 *   measure  export latency against the number of ranges; MAP_FILE against
 *            size with the IOMMU leaf entries it used, next to IOAS_MAP of
 *            RAM; revoke latency against iommufd areas and against
 *            /dev/edu_dma importers; VFIO type1 of the mmap'd BAR
 *   memory   kernel memory per export against BAR size, next to what
 *            ZONE_DEVICE struct pages cost for the same BAR
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <misc/edu_dma.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "dmabuf-test.h"

double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define REPS 15

double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int map_file(int iommufd, uint32_t ioas, int fd, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas, .fd = fd, .length = len, .iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &mf) ? -errno : 0;
}

/* Export latency against the number of one-page ranges */
static void measure_export(struct ctx *c, uint64_t bar_size)
{
	static const uint32_t counts[] = { 1, 4, 16, 64, 256, 1024, 4096 };
	struct slices *sl = calloc(1, sizeof(*sl) + 0);
	size_t len = sizeof(struct vfio_device_feature) +
		     sizeof(struct vfio_device_feature_dma_buf) +
		     4096 * sizeof(struct vfio_region_dma_range);
	struct vfio_device_feature *f = calloc(1, len);
	struct vfio_device_feature_dma_buf *db = (void *)f->data;
	unsigned int k, r, i;

	printf("\nExport latency against the number of ranges (one page each; median of %d)\n\n", REPS);
	printf("| ranges | export (us) | per range (us) |\n| ---: | ---: | ---: |\n");
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		uint32_t n = counts[k];
		double t[REPS];

		if (n * PAGE > bar_size)
			break;
		f->argsz = sizeof(*f) + sizeof(*db) + n * sizeof(db->dma_ranges[0]);
		f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
		db->region_index = c->bar;
		db->open_flags = O_RDWR | O_CLOEXEC;
		db->nr_ranges = n;
		for (i = 0; i < n; i++) {
			db->dma_ranges[i].offset = i * PAGE;
			db->dma_ranges[i].length = PAGE;
		}
		for (r = 0; r < REPS; r++) {
			double t0 = now_us();
			int fd = ioctl(c->dev, VFIO_DEVICE_FEATURE, f);

			t[r] = now_us() - t0;
			if (fd < 0)
				explain("export", errno, export_cause(errno, c->bdf, c->bar));
			close(fd);
		}
		printf("| %u | %.1f | %.2f |\n", n, median(t, REPS), median(t, REPS) / n);
	}
	free(f);
	free(sl);
}

/* IOMMU leaf entries mapping [iova, iova + len), by page size */
struct leaves {
	bool known;
	unsigned long n4k, n2m, n1g;
};

/*
 * Count them in intel-iommu's dump of the domain attached to @dev
 * (CONFIG_INTEL_IOMMU_DEBUGFS): one line per leaf, its IOVA pfn and the
 * entries of the walk down to it, three for a 1 GiB leaf, four for 2 MiB,
 * five for 4 KiB.
 */
static struct leaves count_leaves(const char *dev, uint64_t iova, uint64_t len)
{
	struct leaves l = {};
	char path[128], line[256];
	FILE *f;

	if (!dev)
		return l;
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/iommu/intel/%s/domain_translation_struct", dev);
	f = fopen(path, "r");
	if (!f)
		return l;
	l.known = true;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '|');
		uint64_t addr;
		int n = 0;

		if (strncmp(line, "0x", 2) || !p)
			continue;
		addr = strtoull(line, NULL, 16) << 12;
		if (addr < iova || addr >= iova + len)
			continue;
		while ((p = strstr(p, "0x"))) {
			n++;
			p += 2;
		}
		if (n == 3)
			l.n1g++;
		else if (n == 4)
			l.n2m++;
		else
			l.n4k++;
	}
	fclose(f);
	return l;
}

static const char *leaves_str(struct leaves l)
{
	static char buf[96];
	int n = 0;

	if (!l.known)
		return "-";
	buf[0] = '\0';
	if (l.n1g)
		n += snprintf(buf + n, sizeof(buf) - n, "%lu x 1G ", l.n1g);
	if (l.n2m)
		n += snprintf(buf + n, sizeof(buf) - n, "%lu x 2M ", l.n2m);
	if (l.n4k)
		n += snprintf(buf + n, sizeof(buf) - n, "%lu x 4K ", l.n4k);
	if (n)
		buf[n - 1] = '\0';
	return n ? buf : "none";
}

/* The page sizes the IOMMU's second-level tables offer (VT-d SLLPS) */
static void print_iommu_page_sizes(void)
{
	char line[64];
	uint64_t cap;
	FILE *f = fopen("/sys/class/iommu/dmar0/intel-iommu/cap", "r");

	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	cap = strtoull(line, NULL, 16);
	printf("IOMMU (dmar0) leaf sizes: 4K%s%s\n", cap & (1ULL << 34) ? " 2M" : "",
	       cap & (1ULL << 35) ? " 1G" : "");
}

/* RAM is mapped next to the BAR up to this size (the guest has 2 GiB) */
#define RAM_MAX		((uint64_t)256 << 20)

/* One row: a single-range buffer of @size from BAR @bar of @dev */
static void map_row(struct ctx *c, const char *bdf, int dev, int bar, uint64_t size,
		    const char *engine)
{
	struct slices sl = { .nr = 1, .size = size };
	uint64_t iova = size > (1ULL << 30) ? size : 1ULL << 30;
	double tm[REPS], tu[REPS], rm[REPS], ru[REPS];
	int reps = size > RAM_MAX ? 5 : REPS;
	void *ram = NULL;
	struct leaves l;
	char ramcol[64] = "- | -";
	int fd, r, rc;

	sl.r[0].length = size;
	fd = export_or_die(bdf, dev, bar, &sl, O_RDWR);
	if (size <= RAM_MAX) {
		ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (ram == MAP_FAILED)
			ram = NULL;
	}
	for (r = 0; r < reps; r++) {
		double t0 = now_us();

		rc = map_file(c->iommufd, c->ioas, fd, size, iova);
		tm[r] = now_us() - t0;
		if (rc)
			explain("IOMMU_IOAS_MAP_FILE", -rc, NULL);
		t0 = now_us();
		iommufd_unmap(c->iommufd, c->ioas, iova, size);
		tu[r] = now_us() - t0;
		if (!ram)
			continue;
		t0 = now_us();
		rc = iommufd_map(c->iommufd, c->ioas, ram, size, iova);
		rm[r] = now_us() - t0;
		if (rc)
			explain("IOMMU_IOAS_MAP", -rc, NULL);
		t0 = now_us();
		iommufd_unmap(c->iommufd, c->ioas, iova, size);
		ru[r] = now_us() - t0;
	}
	/* Once more, to count the leaf entries the IOMMU got */
	if (map_file(c->iommufd, c->ioas, fd, size, iova))
		die("IOMMU_IOAS_MAP_FILE failed on the last round");
	l = count_leaves(engine, iova, size);
	iommufd_unmap(c->iommufd, c->ioas, iova, size);
	if (ram)
		snprintf(ramcol, sizeof(ramcol), "%.1f | %.1f", median(rm, reps),
			 median(ru, reps));
	printf("| %" PRIu64 " %s | %.1f | %.1f | %s | %s |\n",
	       size >= (1ULL << 30) ? size >> 30 : size >= (1ULL << 20) ? size >> 20 : size >> 10,
	       size >= (1ULL << 30) ? "GiB" : size >= (1ULL << 20) ? "MiB" : "KiB",
	       median(tm, reps), median(tu, reps), leaves_str(l), ramcol);
	if (ram)
		munmap(ram, size);
	close(fd);
}

/*
 * MAP_FILE of a single-range buffer against size, with the IOMMU leaf
 * entries it took, next to IOAS_MAP of as much RAM; then the whole BAR of
 * every large device, and where the kernel puts such a buffer when it
 * picks the IOVA itself.
 */
static void measure_map(struct ctx *c, uint64_t bar_size, const struct measure_opts *o)
{
	uint64_t size;
	int i;

	printf("\nIOMMU_IOAS_MAP_FILE of one BAR range against size, and IOMMU_IOAS_MAP of as much RAM\n");
	printf("(map + unmap, median of %d, 5 above %" PRIu64 " MiB; IOVA 1 GiB or the size, whichever is larger)\n\n",
	       REPS, RAM_MAX >> 20);
	print_iommu_page_sizes();
	printf("\n| size | MAP_FILE dma-buf (us) | unmap (us) | IOMMU leaf entries | IOAS_MAP RAM (us) | unmap (us) |\n");
	printf("| ---: | ---: | ---: | :--- | ---: | ---: |\n");
	for (size = PAGE; size <= bar_size; size *= 4)
		map_row(c, c->bdf, c->dev, c->bar, size, o->engine);
	for (i = 0; i < o->nr_large; i++) {
		long big = pci_resource_size(o->large[i], c->bar);
		struct slices sl = { .nr = 1, .size = big };
		struct iommu_ioas_map_file mf = {
			.size = sizeof(mf),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = c->ioas, .length = big,
		};
		uint32_t devid;
		int dev, rc;

		if (big <= 0)
			die("%s: no BAR%d", o->large[i], c->bar);
		dev = open_device(o->large[i]);
		rc = bind_iommufd(dev, c->iommufd, &devid);
		if (rc)
			explain("binding a large device to iommufd", -rc, NULL);
		map_row(c, o->large[i], dev, c->bar, big, o->engine);
		if (i != o->nr_large - 1) {
			close(dev);
			continue;
		}
		/* The largest once more, at an IOVA the kernel picks */
		sl.r[0].length = big;
		mf.fd = export_or_die(o->large[i], dev, c->bar, &sl, O_RDWR);
		if (ioctl(c->iommufd, IOMMU_IOAS_MAP_FILE, &mf))
			explain("IOMMU_IOAS_MAP_FILE", errno, NULL);
		printf("\nThe kernel placed the %ld GiB buffer at IOVA 0x%" PRIx64
		       " (IOMMU leaf entries: %s).\n", big >> 30, (uint64_t)mf.iova,
		       leaves_str(count_leaves(o->engine, mf.iova, big)));
		iommufd_unmap(c->iommufd, c->ioas, mf.iova, big);
		close(mf.fd);
		close(dev);
	}
}

/*
 * Map @n one-page areas of buffer @fd at IOVA 1 GiB, time memory decode
 * off (the revoke, *tr) and on again (the restore, *ts), then unmap;
 * @cmd is the command register with decode on.
 */
void time_revoke(struct ctx *c, int fd, unsigned int n, uint16_t cmd, double *tr,
		 double *ts)
{
	const uint64_t iova = 1ULL << 30;
	unsigned int i;
	double t0;

	for (i = 0; i < n; i++)
		if (map_file(c->iommufd, c->ioas, fd, PAGE, iova + i * PAGE))
			die("MAP_FILE of area %u failed", i);
	t0 = now_us();
	vfio_cfg_write16(c->dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	*tr = now_us() - t0;
	t0 = now_us();
	vfio_cfg_write16(c->dev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	*ts = now_us() - t0;
	iommufd_unmap(c->iommufd, c->ioas, iova, n * PAGE);
}

/* Revoke (memory decode off) with 1 to 64 iommufd areas of one buffer */
static void measure_revoke(struct ctx *c)
{
	static const unsigned int counts[] = { 1, 2, 4, 8, 16, 32, 64 };
	unsigned int k, r;
	uint16_t cmd;

	if (vfio_cfg_read16(c->dev, PCI_COMMAND, &cmd))
		die("cannot read the command register");
	printf("\nRevoke latency (PCI_COMMAND memory decode off) against iommufd areas\n");
	printf("(one one-page area per importer mapping; median of %d)\n\n", REPS);
	printf("| areas | revoke (us) | per area (us) | restore (us) |\n| ---: | ---: | ---: | ---: |\n");
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		unsigned int n = counts[k];
		double tr[REPS], ts[REPS];
		struct slices sl = { .nr = 1, .size = PAGE };
		int fd;

		sl.r[0].length = PAGE;
		for (r = 0; r < REPS; r++) {
			fd = export_or_die(c->bdf, c->dev, c->bar, &sl, O_RDWR);
			time_revoke(c, fd, n, cmd, &tr[r], &ts[r]);
			close(fd);
		}
		printf("| %u | %.1f | %.2f | %.1f |\n", n, median(tr, REPS),
		       median(tr, REPS) / n, median(ts, REPS));
	}
}

/* The edu_bdf of struct edu_dma_import: bus << 8 | devfn, domain 0 */
static uint32_t edu_bdf(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 || dom)
		die("%s: not a domain 0 PCI address", bdf);
	return bus << 8 | dev << 3 | fn;
}

#define MAX_IMPORTERS 64

/*
 * Revoke with 1 to 64 in-kernel importers: each a /dev/edu_dma file that
 * imported the buffer for edu (bound to edu_dma) and holds a mapping of
 * it. The revoke returns once every importer has unmapped; afterwards each
 * must report the revocation and hold no mapping.
 */
static void measure_revoke_importers(struct ctx *c, const char *importer)
{
	static const unsigned int counts[] = { 1, 2, 4, 8, 16, 32, 64 };
	int imp[MAX_IMPORTERS];
	char drv[64] = "";
	unsigned int k, i, r;
	uint16_t cmd;

	if (pci_driver(importer, drv, sizeof(drv)) || strcmp(drv, "edu_dma"))
		die("%s is not bound to edu_dma: the importers need it", importer);
	if (vfio_cfg_read16(c->dev, PCI_COMMAND, &cmd))
		die("cannot read the command register");
	printf("\nRevoke latency (PCI_COMMAND memory decode off) against /dev/edu_dma importers\n");
	printf("(each imported the one-page buffer for edu %s and mapped it; median of %d)\n\n",
	       importer, REPS);
	printf("| importers | revoke (us) | per importer (us) | restore (us) | map type |\n");
	printf("| ---: | ---: | ---: | ---: | :--- |\n");
	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		unsigned int n = counts[k];
		struct slices sl = { .nr = 1, .size = PAGE };
		double tr[REPS], ts[REPS];
		uint32_t map_type = 0;
		int fd;

		sl.r[0].length = PAGE;
		for (r = 0; r < REPS; r++) {
			double t0;

			fd = export_or_die(c->bdf, c->dev, c->bar, &sl, O_RDWR);
			for (i = 0; i < n; i++) {
				struct edu_dma_import in = { .edu_bdf = edu_bdf(importer), .fd = fd };
				struct edu_dma_map map = {};

				imp[i] = open("/dev/edu_dma", O_RDWR);
				if (imp[i] < 0)
					explain("/dev/edu_dma", errno, "CONFIG_EDU_DMA_IMPORT is off");
				if (ioctl(imp[i], EDU_DMA_IMPORT, &in))
					explain("EDU_DMA_IMPORT", errno, NULL);
				if (ioctl(imp[i], EDU_DMA_MAP, &map))
					explain("EDU_DMA_MAP", errno, errno == EREMOTEIO ?
						"the PCI core says P2P between the two is not supported" : NULL);
				map_type = map.map_type;
			}
			t0 = now_us();
			vfio_cfg_write16(c->dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
			tr[r] = now_us() - t0;
			for (i = 0; i < n; i++) {
				struct edu_dma_status st = {};

				if (ioctl(imp[i], EDU_DMA_STATUS, &st))
					explain("EDU_DMA_STATUS", errno, NULL);
				if (st.mapped || st.revoked != 1)
					die("importer %u of %u: mapped %u, revoked %u after the revoke",
					    i, n, st.mapped, st.revoked);
			}
			t0 = now_us();
			vfio_cfg_write16(c->dev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
			ts[r] = now_us() - t0;
			for (i = 0; i < n; i++)
				close(imp[i]);
			close(fd);
		}
		printf("| %u | %.1f | %.2f | %.1f | %s |\n", n, median(tr, REPS),
		       median(tr, REPS) / n, median(ts, REPS),
		       map_type == EDU_DMA_MAP_THRU_HOST_BRIDGE ? "IOMMU (host bridge)" :
		       map_type == EDU_DMA_MAP_BUS_ADDR ? "bus address" : "sg_table");
	}
}

static int type1_group(int container, const char *bdf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(bdf));
	fd = open(path, O_RDWR);
	if (fd < 0)
		explain(path, errno, "no VFIO group (CONFIG_VFIO_GROUP and CONFIG_VFIO_CONTAINER)");
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("the IOMMU group of %s is not viable: bind every device in it to vfio-pci", bdf);
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container))
		explain("VFIO_GROUP_SET_CONTAINER", errno, NULL);
	return fd;
}

/*
 * The third column: VFIO type1 mapping the BAR through its mmap, the only
 * way to give a device another device's BAR before dma-bufs.
 */
static void measure_type1(const char *bdf, int bar, const char *engine, uint64_t bar_size)
{
	int container, g1, g2 = -1, dev;
	uint64_t size, iova = 1ULL << 30;
	size_t mapped_size;
	uint8_t *va;
	unsigned int r;

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0) {
		printf("\n(type1: no /dev/vfio/vfio, column skipped)\n");
		return;
	}
	g1 = type1_group(container, bdf);
	if (engine && pci_iommu_group(engine) != pci_iommu_group(bdf))
		g2 = type1_group(container, engine);
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		explain("VFIO_SET_IOMMU", errno, NULL);
	dev = ioctl(g1, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		explain("VFIO_GROUP_GET_DEVICE_FD", errno, NULL);
	va = vfio_mmap_region(dev, bar, &mapped_size);
	if (!va || va == MAP_FAILED)
		die("cannot mmap BAR%d of %s through VFIO", bar, bdf);

	printf("\nVFIO type1 VFIO_IOMMU_MAP_DMA of the mmap'd BAR, same sizes (median of %d)\n\n", REPS);
	printf("| size | type1 map (us) | unmap (us) |\n| ---: | ---: | ---: |\n");
	for (size = PAGE; size <= bar_size; size *= 4) {
		double tm[REPS], tu[REPS];

		for (r = 0; r < REPS; r++) {
			struct vfio_iommu_type1_dma_map map = {
				.argsz = sizeof(map),
				.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
				.vaddr = (uintptr_t)va, .iova = iova, .size = size,
			};
			struct vfio_iommu_type1_dma_unmap unmap = {
				.argsz = sizeof(unmap), .iova = iova, .size = size,
			};
			double t0 = now_us();

			if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
				explain("VFIO_IOMMU_MAP_DMA", errno, NULL);
			tm[r] = now_us() - t0;
			t0 = now_us();
			if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
				explain("VFIO_IOMMU_UNMAP_DMA", errno, NULL);
			tu[r] = now_us() - t0;
		}
		printf("| %" PRIu64 " KiB | %.1f | %.1f |\n", size >> 10,
		       median(tm, REPS), median(tu, REPS));
	}
	munmap(va, mapped_size);
	close(dev);
	if (g2 >= 0)
		close(g2);
	close(g1);
	close(container);
}

#define MEM_EXPORTS 512

#define MAX_CACHES	512

/* Bytes of slab objects in use per cache, from /proc/slabinfo (SLUB_DEBUG) */
struct slab_snap {
	int n;
	char name[MAX_CACHES][64];
	long long bytes[MAX_CACHES];
};

static void slab_snap(struct slab_snap *s)
{
	char line[512], name[64];
	long active, num, objsize;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		die("/proc/slabinfo: %s (CONFIG_SLUB_DEBUG is off?)", strerror(errno));
	s->n = 0;
	while (fgets(line, sizeof(line), f) && s->n < MAX_CACHES) {
		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num, &objsize) != 4)
			continue;
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
		s->bytes[s->n++] = (long long)active * objsize;
	}
	fclose(f);
}

static long long slab_total(const struct slab_snap *s)
{
	long long t = 0;
	int i;

	for (i = 0; i < s->n; i++)
		t += s->bytes[i];
	return t;
}

/* Per export, the caches that grew by 8 bytes or more (same cache order) */
static void slab_breakdown(const struct slab_snap *a, const struct slab_snap *b, int exports)
{
	const char *sep = " ";
	int i;

	for (i = 0; i < a->n && i < b->n; i++) {
		long long d = (b->bytes[i] - a->bytes[i]) / exports;

		if (d >= 8 && !strcmp(a->name[i], b->name[i])) {
			printf("%s%s %lld", sep, a->name[i], d);
			sep = ", ";
		}
	}
}

/* Let the RCU-deferred frees of closed files and dma-bufs finish */
void settle(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "2", 1) < 0)
			perror("drop_caches");
		close(fd);
	}
	usleep(300000);
}

/*
 * Kernel memory one export costs: slab objects in use (the dma-buf, its
 * file, dentry and inode, the exporter's state and range list) before and
 * after many exports, averaged. Fewer than 4096 ranges allocate from slab
 * only.
 */
static double export_cost(const char *bdf, int dev, int bar, uint32_t nr, uint64_t bar_size,
			  bool breakdown)
{
	static struct slab_snap before, after;
	static int fds[MEM_EXPORTS];
	struct slices sl = { .nr = nr };
	uint32_t i;

	for (i = 0; i < nr; i++) {
		sl.r[i].offset = i * (bar_size / nr);
		sl.r[i].length = bar_size / nr;
	}
	settle();
	slab_snap(&before);
	for (i = 0; i < MEM_EXPORTS; i++)
		fds[i] = export_or_die(bdf, dev, bar, &sl, O_RDWR);
	slab_snap(&after);
	for (i = 0; i < MEM_EXPORTS; i++)
		close(fds[i]);
	if (breakdown) {
		printf("%u range%s, by slab cache (bytes per export):", nr, nr == 1 ? "" : "s");
		slab_breakdown(&before, &after, MEM_EXPORTS);
		printf("\n");
	}
	return (double)(slab_total(&after) - slab_total(&before)) / MEM_EXPORTS;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

#define MEM_COST "/sys/kernel/debug/mem_cost/"

/*
 * What pci_p2pdma_add_resource() takes for the whole BAR (ZONE_DEVICE
 * struct pages and their bookkeeping), measured by the test kernel's
 * mem_cost knobs as pages gone from the page allocator; -errno if the
 * call failed, 0 (and *measured false) without the knobs.
 */
static long long zone_device_cost(const char *bdf, int bar, bool *measured)
{
	char arg[64], out[32] = "";
	long long used;
	int fd, rc;
	ssize_t n;

	*measured = false;
	if (access(MEM_COST "p2pdma", W_OK))
		return 0;
	*measured = true;
	settle();
	write_str(MEM_COST "mark", "1");
	snprintf(arg, sizeof(arg), "%s %d", bdf, bar);
	rc = write_str(MEM_COST "p2pdma", arg);
	if (rc)
		return rc;
	fd = open(MEM_COST "used", O_RDONLY);
	n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		die(MEM_COST "used: cannot read it");
	used = strtoll(out, NULL, 10);
	return used;
}

static void print_size(long size)
{
	if (size >= (1L << 30))
		printf("| %ld GiB ", size >> 30);
	else
		printf("| %ld MiB ", size >> 20);
}

/*
 * Kernel memory per export against BAR size, for every device named: one
 * range and 64 ranges, next to what ZONE_DEVICE struct pages for the
 * same BAR cost. Run the exports first: the struct pages stay until the
 * device is unbound.
 */
int cmd_memory(int argc, char **argv, int bar)
{
	int i;

	printf("Kernel memory per export: slab objects in use (/proc/slabinfo) before and after\n");
	printf("%d exports, averaged. ZONE_DEVICE: what pci_p2pdma_add_resource() of the whole BAR took\n", MEM_EXPORTS);
	printf("from the page allocator in the same boot (mem_cost knobs), or 64 bytes per page computed.\n\n");
	printf("| BAR size | 1 range (bytes) | 64 ranges (bytes) | ZONE_DEVICE (bytes) | ZONE_DEVICE / 1 range |\n");
	printf("| ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < argc; i++) {
		long size = pci_resource_size(argv[i], bar);
		double one, many;
		long long zd;
		bool measured;
		int dev, iommufd;
		uint32_t devid;

		if (size <= 0)
			continue;
		dev = open_device(argv[i]);
		iommufd = open("/dev/iommu", O_RDWR);
		if (iommufd < 0 || bind_iommufd(dev, iommufd, &devid))
			die("%s: cannot bind it to iommufd", argv[i]);
		if (vfio_set_mem_decode(dev, true))
			die("%s: cannot turn memory decode on", argv[i]);
		if (!i)	/* the first exports of a boot grow the caches: once more */
			export_cost(argv[i], dev, bar, 64, size, false);
		one = export_cost(argv[i], dev, bar, 1, size, false);
		many = export_cost(argv[i], dev, bar, 64, size, false);
		zd = zone_device_cost(argv[i], bar, &measured);
		print_size(size);
		printf("| %.0f | %.0f ", one, many);
		if (zd == -EDOM)
			printf("| refused: not whole 2 MiB hotplug subsections | - |\n");
		else if (zd < 0)
			printf("| refused: %s | - |\n", strerror(-zd));
		else if (!measured)
			printf("| %.0f (computed) | %.0fx |\n", (double)size / 4096 * 64,
			       (double)size / 4096 * 64 / one);
		else
			printf("| %lld | %.0fx |\n", zd, one > 0 ? zd / one : 0);
		if (i == argc - 1) {
			/* Where the memory of the last device's exports goes */
			printf("\n");
			export_cost(argv[i], dev, bar, 1, size, true);
			export_cost(argv[i], dev, bar, 64, size, true);
		}
		close(dev);
		close(iommufd);
	}
	return 0;
}

int cmd_measure(struct ctx *c, const struct measure_opts *o)
{
	long bar_size = pci_resource_size(c->bdf, c->bar);
	int eng = -1, rc;

	rc = iommufd_ioas_alloc(c->iommufd, &c->ioas);
	if (rc)
		explain("allocating an IOAS", -rc, NULL);
	/* A device attached gives the IOAS a real IOMMU domain */
	if (o->engine)
		eng = attach_engine(c, o->engine);
	printf("measure: BAR%d of %s, %ld bytes; IOAS %s\n", c->bar, c->bdf, bar_size,
	       o->engine ? "with a device attached (real IOMMU domain)" : "without a device");
	measure_export(c, bar_size);
	measure_map(c, bar_size, o);
	measure_revoke(c);
	if (o->importer) {
		measure_revoke_importers(c, o->importer);
		measure_rdma(c, o->importer, o->large, o->nr_large);
	}

	/* The type1 column needs the devices back from iommufd */
	if (o->engine)
		close(eng);
	close(c->dev);
	close(c->iommufd);
	measure_type1(c->bdf, c->bar, o->engine, bar_size);
	return 0;
}
