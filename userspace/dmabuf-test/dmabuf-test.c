// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-test: export PCI BAR slices as dma-bufs through VFIO, map them
 * into an iommufd IO address space, and move data through them with a
 * device's DMA engine.
 *
 *   dmabuf-test list
 *   dmabuf-test export BDF BAR RANGES [--rdonly] [--cloexec]
 *   dmabuf-test map BDF BAR RANGES [--iova IOVA]
 *   dmabuf-test copy BDF BAR RANGES --engine BDF [--len N] [--seed N]
 *
 * RANGES is a comma-separated list of OFFSET+LENGTH slices of the BAR, in
 * buffer order, with K, M and G suffixes: "0+2M,8M+1M". "all" is the whole
 * BAR. Every device named must be bound to vfio-pci.
 */

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/pci_regs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vfio_util.h"

#define MAX_RANGES	64
#define PAGE		4096ULL

static const char *prog = "dmabuf-test";

struct slices {
	uint32_t nr;
	struct vfio_region_dma_range r[MAX_RANGES];
	uint64_t size;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10; end++; break;
	case 'm': case 'M':
		v <<= 20; end++; break;
	case 'g': case 'G':
		v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void parse_ranges(const char *arg, uint64_t bar_size, struct slices *sl)
{
	char *dup = strdup(arg), *tok, *save = NULL;

	memset(sl, 0, sizeof(*sl));
	if (!strcmp(arg, "all")) {
		sl->nr = 1;
		sl->r[0].length = bar_size;
		sl->size = bar_size;
		free(dup);
		return;
	}
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *plus = strchr(tok, '+');

		if (sl->nr == MAX_RANGES)
			die("more than %d ranges", MAX_RANGES);
		if (!plus)
			die("range '%s': write OFFSET+LENGTH, e.g. 0+2M", tok);
		uint64_t off, len;

		*plus = 0;
		if (parse_size(tok, &off) || parse_size(plus + 1, &len))
			die("range '%s+%s': sizes are numbers with an optional K, M or G",
			    tok, plus + 1);
		sl->r[sl->nr].offset = off;
		sl->r[sl->nr].length = len;
		sl->size += sl->r[sl->nr].length;
		sl->nr++;
	}
	free(dup);
	if (!sl->nr)
		die("no ranges given");
}

/* One line: the errno and what most likely caused it. */
static void explain(const char *what, int err, const char *cause)
{
	die("%s: %s%s%s", what, strerror(err), cause ? ": " : "", cause ? cause : "");
}

static const char *export_cause(int err, const char *bdf, int bar)
{
	switch (err) {
	case ENOTTY:
		return "this kernel has no VFIO_DEVICE_FEATURE_DMA_BUF";
	case EOPNOTSUPP:
		return "the device's VFIO driver does not export its BARs (a variant driver?)";
	case ENODEV:
		return "the BAR is not implemented (size 0, or the upper half of a 64-bit BAR)";
	case E2BIG:
		return "too many ranges";
	case EOVERFLOW:
		return "offset + length wraps around";
	case EINVAL:
		return "ranges must be page aligned, non-empty, inside the BAR and not overlap; I/O BARs cannot be exported";
	default:
		return NULL;
	}
}

static int open_device(const char *bdf)
{
	char drv[64] = "";
	int fd;

	if (pci_driver(bdf, drv, sizeof(drv)) || strcmp(drv, "vfio-pci")) {
		if (access("/sys/bus/pci/devices", F_OK))
			die("no PCI sysfs: is /sys mounted?");
		die("%s is %s%s: bind it with\n  echo vfio-pci > /sys/bus/pci/devices/%s/driver_override\n  echo %s > /sys/bus/pci/drivers_probe",
		    bdf, drv[0] ? "bound to " : "not bound to any driver", drv, bdf, bdf);
	}
	fd = vfio_cdev_open(bdf);
	if (fd < 0)
		explain(bdf, -fd, "cannot open its VFIO device (is CONFIG_VFIO_DEVICE_CDEV on, and the device not open elsewhere?)");
	return fd;
}

static int bind_iommufd(int dev, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};

	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	*devid = bind.out_devid;
	return 0;
}

static int do_export(int dev, int bar, const struct slices *sl, uint32_t open_flags)
{
	size_t len = sizeof(struct vfio_device_feature) +
		     sizeof(struct vfio_device_feature_dma_buf) +
		     sl->nr * sizeof(struct vfio_region_dma_range);
	struct vfio_device_feature *f = calloc(1, len);
	struct vfio_device_feature_dma_buf *db = (void *)f->data;
	int fd;

	f->argsz = len;
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->open_flags = open_flags;
	db->nr_ranges = sl->nr;
	memcpy(db->dma_ranges, sl->r, sl->nr * sizeof(sl->r[0]));
	fd = ioctl(dev, VFIO_DEVICE_FEATURE, f);
	free(f);
	return fd < 0 ? -errno : fd;
}

static int export_or_die(const char *bdf, int dev, int bar, const struct slices *sl,
			 uint32_t open_flags)
{
	int fd = do_export(dev, bar, sl, open_flags);

	if (fd < 0) {
		char what[96];

		snprintf(what, sizeof(what), "exporting BAR%d of %s", bar, bdf);
		explain(what, -fd, export_cause(-fd, bdf, bar));
	}
	return fd;
}

static void describe(int fd, const char *bdf, int bar, const struct slices *sl)
{
	char path[64], line[256];
	uint64_t phys = 0;
	FILE *f;
	uint32_t i;

	pci_resource_start(bdf, bar, &phys);
	printf("dma-buf fd %d: %" PRIu64 " bytes from BAR%d of %s, %u range%s:\n",
	       fd, sl->size, bar, bdf, sl->nr, sl->nr == 1 ? "" : "s");
	for (i = 0; i < sl->nr; i++)
		printf("  [%u] BAR offset 0x%" PRIx64 " length 0x%" PRIx64
		       " (physical 0x%" PRIx64 ")\n", i, (uint64_t)sl->r[i].offset,
		       (uint64_t)sl->r[i].length, phys + (uint64_t)sl->r[i].offset);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "exp_name", 8) || !strncmp(line, "size", 4))
			printf("  %s", line);
	if (f)
		fclose(f);
}

static void usage(const char *cmd)
{
	if (!cmd || !strcmp(cmd, "list"))
		printf("%s list [BDF...]\n  PCI devices (all, or those named) with their BARs and drivers; memory BARs\n  of devices bound to vfio-pci can be exported.\n\n", prog);
	if (!cmd || !strcmp(cmd, "export"))
		printf("%s export BDF BAR RANGES [--rdonly] [--cloexec]\n  Export slices of a BAR as a dma-buf and describe it (size, ranges, exporter).\n  RANGES: OFFSET+LENGTH[,...] in buffer order, K/M/G suffixes, or \"all\".\n\n", prog);
	if (!cmd || !strcmp(cmd, "map"))
		printf("%s map BDF BAR RANGES [--iova IOVA]\n  Export, then map the buffer into a new iommufd IOAS with IOMMU_IOAS_MAP_FILE;\n  print the IOVA of every slice. Without --iova the kernel picks it.\n\n", prog);
	if (!cmd || !strcmp(cmd, "measure"))
		printf("%s measure BDF BAR [--engine BDF]\n  Print benchmark tables: export latency against the number of ranges,\n  IOMMU_IOAS_MAP_FILE against size next to IOMMU_IOAS_MAP of RAM, and revoke\n  latency against the number of iommufd areas, then VFIO type1 mapping the\n  mmap'd BAR at the same sizes. --engine attaches that device so the IOAS\n  (and the type1 container) has a real IOMMU domain.\n\n", prog);
	if (!cmd || !strcmp(cmd, "memory"))
		printf("%s memory BAR BDF...\n  Kernel memory one export costs, for the BAR of each device named (bound to\n  vfio-pci), next to what ZONE_DEVICE struct pages for that BAR would cost.\n\n", prog);
	if (!cmd || !strcmp(cmd, "copy"))
		printf("%s copy BDF BAR RANGES --engine EDU_BDF [--len N] [--seed N]\n  Map the buffer and a page of RAM for QEMU's edu device (bound to vfio-pci) and\n  have its DMA engine copy a pattern RAM -> buffer -> RAM (at most 2048 bytes\n  per slice); check what arrived, through the BAR and in RAM.\n  --rig-check FILE: also print RIG-CHECK lines for the test rig's host-side check\n  of the ivshmem backing file FILE.\n\n", prog);
}

static bool wanted(const char *bdf, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(bdf, argv[i]))
			return true;
	return !argc;
}

static int cmd_list(int argc, char **argv)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;

	if (!d)
		die("no /sys/bus/pci/devices: is sysfs mounted?");
	while ((e = readdir(d))) {
		char path[300], drv[64] = "-", line[128];
		unsigned int vendor = 0, device = 0;
		FILE *f;
		int bar;

		if (e->d_name[0] == '.' || !wanted(e->d_name, argc, argv))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%x", &vendor) != 1)
			vendor = 0;
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%x", &device) != 1)
			device = 0;
		if (f)
			fclose(f);
		pci_driver(e->d_name, drv, sizeof(drv));
		printf("%s %04x:%04x driver %s\n", e->d_name, vendor, device, drv);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", e->d_name);
		f = fopen(path, "r");
		for (bar = 0; f && bar < 6 && fgets(line, sizeof(line), f); bar++) {
			unsigned long long start, end, flags;

			if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3 || !end)
				continue;
			printf("  BAR%d %s%s at 0x%llx, %llu bytes%s\n", bar,
			       flags & 0x100 ? "I/O" : "memory",
			       flags & 0x100000 ? " 64-bit" : "", start,
			       end - start + 1,
			       flags & 0x100 ? " (cannot be exported)" : "");
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return 0;
}

struct ctx {
	const char *bdf;
	int bar;
	int dev;
	struct slices sl;
	int buf;
	int iommufd;
	uint32_t ioas;
	uint64_t iova;
};

/* A new iommufd with the exporting device bound to it */
static void open_iommufd(struct ctx *c)
{
	uint32_t devid;
	int rc;

	c->iommufd = open("/dev/iommu", O_RDWR);
	if (c->iommufd < 0)
		explain("/dev/iommu", errno, "this kernel has no iommufd (CONFIG_IOMMUFD)");
	rc = bind_iommufd(c->dev, c->iommufd, &devid);
	if (rc)
		explain("binding the device to iommufd", -rc, NULL);
}

static void setup(struct ctx *c, int argc, char **argv, uint32_t open_flags)
{
	long size;

	c->bdf = argv[0];
	c->bar = atoi(argv[1]);
	size = pci_resource_size(c->bdf, c->bar);
	if (size < 0)
		die("%s: no such PCI device", c->bdf);
	parse_ranges(argv[2], size, &c->sl);
	c->dev = open_device(c->bdf);
	open_iommufd(c);
	c->buf = export_or_die(c->bdf, c->dev, c->bar, &c->sl, open_flags);
}

static void map_buffer(struct ctx *c, bool fixed)
{
	struct iommu_ioas_map_file mf = {
		.size = sizeof(mf),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.fd = c->buf,
		.start = 0,
		.length = c->sl.size,
		.iova = c->iova,
	};
	uint64_t off = 0;
	uint32_t i;
	int rc;

	rc = iommufd_ioas_alloc(c->iommufd, &c->ioas);
	if (rc)
		explain("allocating an IOAS", -rc, NULL);
	mf.ioas_id = c->ioas;
	if (ioctl(c->iommufd, IOMMU_IOAS_MAP_FILE, &mf)) {
		int err = errno;

		explain("IOMMU_IOAS_MAP_FILE", err,
			err == ENODEV ? "the buffer is revoked: memory decode is off, or the device is in reset or low power" :
			err == ENOTTY ? "this kernel has no IOMMU_IOAS_MAP_FILE" :
			err == EOPNOTSUPP ? "the dma-buf is not a physical range list" :
			err == EEXIST ? "that IOVA is already mapped" : NULL);
	}
	c->iova = mf.iova;
	printf("mapped %" PRIu64 " bytes at IOVA 0x%" PRIx64 " in IOAS %u:\n",
	       c->sl.size, c->iova, c->ioas);
	for (i = 0; i < c->sl.nr; i++) {
		printf("  [%u] IOVA 0x%" PRIx64 " -> BAR%d offset 0x%" PRIx64 " (%" PRIu64 " bytes)\n",
		       i, c->iova + off, c->bar, (uint64_t)c->sl.r[i].offset,
		       (uint64_t)c->sl.r[i].length);
		off += c->sl.r[i].length;
	}
}

/* For the test rig: which host file backs the BAR (ivshmem), if any */
static const char *rig_file;

static int cmd_copy(struct ctx *c, const char *engine, uint32_t len, uint32_t seed)
{
	uint8_t *ram, *want, *bar;
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	size_t ram_len = 2 * PAGE, bar_size;
	uint32_t devid, i;
	uint64_t ram_iova = 0x100000, off = 0;
	struct edu edu;
	int eng, rc, bad = 0;

	eng = open_device(engine);
	rc = bind_iommufd(eng, c->iommufd, &devid);
	if (rc)
		explain("binding the engine to iommufd", -rc, NULL);
	at.pt_id = c->ioas;
	if (ioctl(eng, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		explain("attaching the engine to the IOAS", errno, NULL);
	rc = edu_init(&edu, eng);
	if (rc)
		explain(engine, -rc, "not an edu device (QEMU -device edu)?");

	ram = mmap(NULL, ram_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	want = malloc(len);
	if (ram == MAP_FAILED || !want)
		die("out of memory");
	rc = iommufd_map(c->iommufd, c->ioas, ram, ram_len, ram_iova);
	if (rc)
		explain("mapping RAM for the engine", -rc, NULL);
	bar = vfio_mmap_region(c->dev, c->bar, &bar_size);

	for (i = 0; i < c->sl.nr; i++) {
		uint64_t iova = c->iova + off;
		uint32_t n = len < c->sl.r[i].length ? len : c->sl.r[i].length;

		fill_pattern(want, n, seed + i);
		memcpy(ram, want, n);
		memset(ram + PAGE, 0, n);
		if (edu_dma_from_bus(&edu, ram_iova, 0, n) ||
		    edu_dma_to_bus(&edu, 0, iova, n))
			die("edu DMA into the buffer at IOVA 0x%" PRIx64 " failed", iova);
		if (edu_dma_from_bus(&edu, iova, 0, n) ||
		    edu_dma_to_bus(&edu, 0, ram_iova + PAGE, n))
			die("edu DMA out of the buffer at IOVA 0x%" PRIx64 " failed", iova);
		printf("slice %u: edu wrote %u bytes to IOVA 0x%" PRIx64 " (BAR%d offset 0x%" PRIx64 ") and read them back\n",
		       i, n, iova, c->bar, (uint64_t)c->sl.r[i].offset);
		if (bar && bar != MAP_FAILED) {
			bool ok = !memcmp(bar + c->sl.r[i].offset, want, n);

			printf("  through the BAR: %s\n", ok ? "the bytes are there" : "MISMATCH");
			bad += !ok;
		}
		if (rig_file) {
			char label[32];

			snprintf(label, sizeof(label), "dmabuf-test-slice%u", i);
			rig_check(label, rig_file, c->sl.r[i].offset, want, n);
		}
		if (memcmp(ram + PAGE, want, n)) {
			printf("  read back into RAM: MISMATCH\n");
			bad++;
		} else {
			printf("  read back into RAM: identical\n");
		}
		off += c->sl.r[i].length;
	}
	edu_fini(&edu);
	close(eng);
	printf("%s\n", bad ? "copy: FAILED" : "copy: OK");
	return bad ? 1 : 0;
}

static double now_us(void)
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

static double median(double *v, int n)
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

/* MAP_FILE of a single-range buffer against size, next to IOAS_MAP of RAM */
static void measure_map(struct ctx *c, uint64_t bar_size)
{
	uint64_t size, iova = 1ULL << 30;
	unsigned int r;

	printf("\nIOMMU_IOAS_MAP_FILE of one BAR range against size, and IOMMU_IOAS_MAP of as much RAM\n");
	printf("(map + unmap, median of %d; IOVA 1 GiB, physical address as the BAR)\n\n", REPS);
	printf("| size | MAP_FILE dma-buf (us) | unmap (us) | IOAS_MAP RAM (us) | unmap (us) |\n");
	printf("| ---: | ---: | ---: | ---: | ---: |\n");
	for (size = PAGE; size <= bar_size; size *= 4) {
		struct slices sl = { .nr = 1, .size = size };
		double tm[REPS], tu[REPS], rm[REPS], ru[REPS];
		void *ram;
		int fd;

		sl.r[0].length = size;
		fd = export_or_die(c->bdf, c->dev, c->bar, &sl, O_RDWR);
		ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (ram == MAP_FAILED)
			die("out of memory for %" PRIu64 " bytes of RAM", size);
		for (r = 0; r < REPS; r++) {
			double t0 = now_us();
			int rc = map_file(c->iommufd, c->ioas, fd, size, iova);

			tm[r] = now_us() - t0;
			if (rc)
				explain("IOMMU_IOAS_MAP_FILE", -rc, NULL);
			t0 = now_us();
			iommufd_unmap(c->iommufd, c->ioas, iova, size);
			tu[r] = now_us() - t0;
			t0 = now_us();
			rc = iommufd_map(c->iommufd, c->ioas, ram, size, iova);
			rm[r] = now_us() - t0;
			if (rc)
				explain("IOMMU_IOAS_MAP", -rc, NULL);
			t0 = now_us();
			iommufd_unmap(c->iommufd, c->ioas, iova, size);
			ru[r] = now_us() - t0;
		}
		printf("| %" PRIu64 " KiB | %.1f | %.1f | %.1f | %.1f |\n", size >> 10,
		       median(tm, REPS), median(tu, REPS), median(rm, REPS), median(ru, REPS));
		munmap(ram, size);
		close(fd);
	}
}

/* Revoke (memory decode off) with 1 to 64 iommufd areas of one buffer */
static void measure_revoke(struct ctx *c)
{
	static const unsigned int counts[] = { 1, 2, 4, 8, 16, 32, 64 };
	uint64_t iova = 1ULL << 30;
	unsigned int k, i, r;
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
			double t0;

			fd = export_or_die(c->bdf, c->dev, c->bar, &sl, O_RDWR);
			for (i = 0; i < n; i++)
				if (map_file(c->iommufd, c->ioas, fd, PAGE, iova + i * PAGE))
					die("MAP_FILE of area %u failed", i);
			t0 = now_us();
			vfio_cfg_write16(c->dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
			tr[r] = now_us() - t0;
			t0 = now_us();
			vfio_cfg_write16(c->dev, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
			ts[r] = now_us() - t0;
			iommufd_unmap(c->iommufd, c->ioas, iova, n * PAGE);
			close(fd);
		}
		printf("| %u | %.1f | %.2f | %.1f |\n", n, median(tr, REPS),
		       median(tr, REPS) / n, median(ts, REPS));
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

static long meminfo_kib(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

#define MEM_EXPORTS 512

/* Slab memory, settled: dentries and inodes dropped, RCU frees done */
static long slab_kib(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		ssize_t n = write(fd, "3", 1);

		(void)n;
		close(fd);
	}
	usleep(200000);
	return meminfo_kib("Slab:");
}

/*
 * Kernel memory one export costs: slab memory (the dma-buf, its file,
 * dentry and inode, the exporter's state) before and after many exports,
 * averaged; vmalloc is not used for fewer than 4096 ranges.
 */
static double export_cost(const char *bdf, int dev, int bar, uint32_t nr, uint64_t bar_size)
{
	static int fds[MEM_EXPORTS];
	struct slices sl = { .nr = nr };
	long before, after;
	uint32_t i;

	for (i = 0; i < nr; i++) {
		sl.r[i].offset = i * (bar_size / nr);
		sl.r[i].length = bar_size / nr;
	}
	before = slab_kib();
	for (i = 0; i < MEM_EXPORTS; i++)
		fds[i] = export_or_die(bdf, dev, bar, &sl, O_RDWR);
	after = slab_kib();
	for (i = 0; i < MEM_EXPORTS; i++)
		close(fds[i]);
	return (after - before) * 1024.0 / MEM_EXPORTS;
}

/*
 * Kernel memory per export against BAR size, for every device named: one
 * range and 64 ranges, next to what ZONE_DEVICE struct pages for the
 * same BAR cost (64 bytes per 4 KiB page).
 */
static int cmd_memory(int argc, char **argv, int bar)
{
	int i;

	printf("Kernel memory per export (slab memory before and after %d exports)\n\n", MEM_EXPORTS);
	printf("| BAR size | 1 range (bytes) | 64 ranges (bytes) | ZONE_DEVICE pages (bytes, computed) | ratio |\n");
	printf("| ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < argc; i++) {
		long size = pci_resource_size(argv[i], bar);
		double one, many, zd;
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
		if (!i)	/* warm the slab caches once */
			export_cost(argv[i], dev, bar, 64, size);
		one = export_cost(argv[i], dev, bar, 1, size);
		many = export_cost(argv[i], dev, bar, 64, size);
		zd = (double)size / 4096 * 64;
		printf("| %ld MiB | %.0f | %.0f | %.0f | %.0fx |\n", size >> 20, one, many,
		       zd, one > 0 ? zd / one : 0);
		close(dev);
		close(iommufd);
	}
	return 0;
}

static int cmd_measure(struct ctx *c, const char *engine)
{
	long bar_size = pci_resource_size(c->bdf, c->bar);
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	uint32_t devid;
	int eng = -1, rc;

	rc = iommufd_ioas_alloc(c->iommufd, &c->ioas);
	if (rc)
		explain("allocating an IOAS", -rc, NULL);
	if (engine) {
		/* A device attached gives the IOAS a real IOMMU domain */
		eng = open_device(engine);
		rc = bind_iommufd(eng, c->iommufd, &devid);
		if (rc)
			explain("binding the engine to iommufd", -rc, NULL);
		at.pt_id = c->ioas;
		if (ioctl(eng, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
			explain("attaching the engine to the IOAS", errno, NULL);
	}
	printf("measure: BAR%d of %s, %ld bytes; IOAS %s\n", c->bar, c->bdf, bar_size,
	       engine ? "with a device attached (real IOMMU domain)" : "without a device");
	measure_export(c, bar_size);
	measure_map(c, bar_size);
	measure_revoke(c);

	/* The type1 column needs the devices back from iommufd */
	if (engine)
		close(eng);
	close(c->dev);
	close(c->iommufd);
	measure_type1(c->bdf, c->bar, engine, bar_size);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "rdonly", no_argument, NULL, 'r' },
		{ "cloexec", no_argument, NULL, 'c' },
		{ "iova", required_argument, NULL, 'i' },
		{ "engine", required_argument, NULL, 'e' },
		{ "len", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "rig-check", required_argument, NULL, 'R' },
		{}
	};
	uint32_t open_flags = O_RDWR, len = 2048, seed = 1;
	const char *cmd, *engine = NULL;
	struct ctx c = { .iova = 0 };
	bool fixed = false;
	uint64_t v;
	int o;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(NULL);
		return argc < 2;
	}
	cmd = argv[1];
	argv++;
	argc--;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			usage(cmd);
			return 0;
		case 'r':
			open_flags = O_RDONLY;
			break;
		case 'c':
			open_flags |= O_CLOEXEC;
			break;
		case 'i':
			if (parse_size(optarg, &c.iova))
				die("--iova %s: not a number", optarg);
			fixed = true;
			break;
		case 'e':
			engine = optarg;
			break;
		case 'l':
			if (parse_size(optarg, &v) || !v || v > EDU_BUF_MAX)
				die("--len %s: 1 to %d bytes", optarg, EDU_BUF_MAX);
			len = v;
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'R':
			rig_file = optarg;
			break;
		default:
			usage(cmd);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "list"))
		return cmd_list(argc, argv);
	if (!strcmp(cmd, "memory")) {
		if (argc < 2) {
			usage(cmd);
			return 2;
		}
		return cmd_memory(argc - 1, argv + 1, atoi(argv[0]));
	}
	if (!strcmp(cmd, "measure")) {
		if (argc != 2) {
			usage(cmd);
			return 2;
		}
		c.bdf = argv[0];
		c.bar = atoi(argv[1]);
		c.dev = open_device(c.bdf);
		open_iommufd(&c);
		return cmd_measure(&c, engine);
	}
	if (strcmp(cmd, "export") && strcmp(cmd, "map") && strcmp(cmd, "copy")) {
		fprintf(stderr, "%s: unknown command '%s'\n\n", prog, cmd);
		usage(NULL);
		return 2;
	}
	if (argc != 3) {
		usage(cmd);
		return 2;
	}
	setup(&c, argc, argv, open_flags);
	if (!strcmp(cmd, "export")) {
		describe(c.buf, c.bdf, c.bar, &c.sl);
		return 0;
	}
	describe(c.buf, c.bdf, c.bar, &c.sl);
	if (!strcmp(cmd, "copy") && !fixed) {
		c.iova = 0x1000000;	/* edu reaches 28 bits by default */
		fixed = true;
	}
	map_buffer(&c, fixed);
	if (!strcmp(cmd, "map"))
		return 0;
	if (!engine)
		die("copy needs --engine BDF: the edu device whose DMA engine moves the data");
	return cmd_copy(&c, engine, len, seed);
}
