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
 *   dmabuf-test rdma BDF BAR RANGES --importer EDU_BDF [--len N] [--seed N]
 *   dmabuf-test drm BDF BAR RANGES --importer EDU_BDF [--len N] [--seed N]
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
#include <sys/utsname.h>

#include <misc/edu_drm.h>
#include <misc/edu_rdma.h>

#include "dmabuf-test.h"

static const char *prog = "dmabuf-test";

void die(const char *fmt, ...)
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

/*
 * One line: the errno and what most likely caused it; for an ioctl the
 * kernel does not have (ENOTTY), only what is missing.
 */
void explain(const char *what, int err, const char *cause)
{
	if (err == ENOTTY && cause)
		die("%s", cause);
	die("%s: %s%s%s", what, strerror(err), cause ? ": " : "", cause ? cause : "");
}

static const char *release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "?";
	return u.release;
}

/*
 * What this kernel lacks of what dmabuf-test needs, in one line, or NULL:
 * iommufd (/dev/iommu, a misc device that exists once iommufd is loaded)
 * and VFIO's device cdev (/dev/vfio/devices). Stock Debian 6.12 builds
 * neither.
 */
static const char *missing_support(void)
{
	static char why[256];
	bool iommufd = !access("/dev/iommu", F_OK);
	bool cdev = !access("/dev/vfio/devices", F_OK) ||
		    !access("/sys/class/vfio-dev", F_OK);

	if (iommufd && cdev)
		return NULL;
	snprintf(why, sizeof(why),
		 "kernel %s has no %s%s%s (not this project's kernel, or its modules are not loaded: modprobe vfio-pci iommufd)",
		 release(), iommufd ? "" : "iommufd (/dev/iommu)",
		 iommufd || cdev ? "" : " and no ",
		 cdev ? "" : "VFIO device cdev (/dev/vfio/devices)");
	return why;
}

/* Stop with the one-line explanation when the kernel cannot do it at all */
static void need_support(void)
{
	const char *why = missing_support();

	if (why)
		die("%s", why);
}

const char *export_cause(int err, const char *bdf, int bar)
{
	static char why[160];

	switch (err) {
	case ENOTTY:
		snprintf(why, sizeof(why),
			 "kernel %s has no VFIO_DEVICE_FEATURE_DMA_BUF: it is not this project's kernel",
			 release());
		return why;
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

int open_device(const char *bdf)
{
	char drv[64] = "";
	int fd;

	need_support();
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

int bind_iommufd(int dev, int iommufd, uint32_t *devid)
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

int export_or_die(const char *bdf, int dev, int bar, const struct slices *sl,
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
		printf("%s measure BDF BAR [--engine BDF] [--importer BDF] [--large BDF]...\n"
		       "  Print benchmark tables: export latency against the number of ranges;\n"
		       "  IOMMU_IOAS_MAP_FILE against size, with the IOMMU leaf entries used, next to\n"
		       "  IOMMU_IOAS_MAP of RAM; revoke latency against the number of iommufd areas;\n"
		       "  then VFIO type1 mapping the mmap'd BAR at the same sizes.\n"
		       "  --engine: a device (vfio-pci) attached to the IOAS, so maps go into a real\n"
		       "    IOMMU domain whose leaf entries are counted (intel-iommu debugfs).\n"
		       "  --importer: an edu bound to edu_dma: revoke against /dev/edu_dma importers.\n"
		       "  --large: another vfio-pci device whose whole BAR is mapped too (16 GiB...).\n\n", prog);
	if (!cmd || !strcmp(cmd, "compare"))
		printf("%s compare BDF BAR [--engine BDF] [--large BDF]\n"
		       "  The figures of the side-by-side benchmark against mainline (make\n"
		       "  bench-mainline), one \"compare: KEY VALUE UNIT WHAT\" line each: export\n"
		       "  and close against ranges, slab per export, MAP_FILE of a memfd, of a\n"
		       "  64-range and of the --large device's whole BAR, revoke with 64 areas.\n"
		       "  A path the running kernel lacks prints \"-\" and the errno.\n\n", prog);
	if (!cmd || !strcmp(cmd, "memory"))
		printf("%s memory BAR BDF...\n  Kernel memory one export costs, for the BAR of each device named (bound to\n  vfio-pci), next to what ZONE_DEVICE struct pages for that BAR cost: measured\n  with pci_p2pdma_add_resource() on a test kernel with CONFIG_P2PDMA_MEM_COST\n  (the pages then stay until the device is unbound), computed otherwise.\n\n", prog);
	if (!cmd || !strcmp(cmd, "rdma"))
		printf("%s rdma BDF BAR RANGES --importer EDU_BDF [--len N] [--seed N]\n"
		       "  Register the buffer as an RDMA memory region on the edu_rdma test device\n"
		       "  carried by QEMU's edu device EDU_BDF (bound to edu_dma), through uverbs as\n"
		       "  ibv_reg_dmabuf_mr() does; have the device RDMA-write a pattern at the start\n"
		       "  of each slice and read it back (at most 16 KiB each); check the BAR.\n\n", prog);
	if (!cmd || !strcmp(cmd, "drm"))
		printf("%s drm BDF BAR RANGES --importer EDU_BDF [--len N] [--seed N]\n"
		       "  Create a DRM render node on the edu_drm test device carried by QEMU's edu\n"
		       "  device EDU_BDF (bound to edu_dma), import the buffer into it with PRIME as a\n"
		       "  GPU stack does (drmPrimeFDToHandle()), have its copy engine write a pattern at\n"
		       "  the start of each slice and read it back (at most 16 KiB each); check the BAR.\n\n", prog);
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
	if (missing_support())
		printf("%s\n", missing_support());
	else
		printf("kernel %s: iommufd and the VFIO device cdev are there\n", release());
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
			err == ENOTTY ? "this kernel has no IOMMU_IOAS_MAP_FILE: it is not this project's kernel" :
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

int attach_engine(struct ctx *c, const char *engine)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = c->ioas,
	};
	uint32_t devid;
	int eng, rc;

	eng = open_device(engine);
	rc = bind_iommufd(eng, c->iommufd, &devid);
	if (rc)
		explain("binding the engine to iommufd", -rc, NULL);
	if (ioctl(eng, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		explain("attaching the engine to the IOAS", errno, NULL);
	return eng;
}

/* For the test rig: which host file backs the BAR (ivshmem), if any */
static const char *rig_file;

static int cmd_copy(struct ctx *c, const char *engine, uint32_t len, uint32_t seed)
{
	uint8_t *ram, *want, *bar;
	size_t ram_len = 2 * PAGE, bar_size;
	uint32_t i;
	uint64_t ram_iova = 0x100000, off = 0;
	struct edu edu;
	int eng, rc, bad = 0;

	eng = attach_engine(c, engine);
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


int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "rdonly", no_argument, NULL, 'r' },
		{ "cloexec", no_argument, NULL, 'c' },
		{ "iova", required_argument, NULL, 'i' },
		{ "engine", required_argument, NULL, 'e' },
		{ "importer", required_argument, NULL, 'I' },
		{ "large", required_argument, NULL, 'L' },
		{ "len", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "rig-check", required_argument, NULL, 'R' },
		{}
	};
	uint32_t open_flags = O_RDWR, len = 2048, seed = 1, imp_len = 4096;
	const char *cmd, *engine = NULL;
	struct measure_opts mo = {};
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
		case 'I':
			mo.importer = optarg;
			break;
		case 'L':
			if (mo.nr_large == (int)(sizeof(mo.large) / sizeof(mo.large[0])))
				die("--large: at most %zu devices",
				    sizeof(mo.large) / sizeof(mo.large[0]));
			mo.large[mo.nr_large++] = optarg;
			break;
		case 'l': {
			/*
			 * rdma moves up to EDU_RDMA_MAX_XFER, drm up to
			 * EDU_DRM_MAX_XFER, copy EDU_BUF_MAX
			 */
			unsigned int max = !strcmp(cmd, "rdma") ? EDU_RDMA_MAX_XFER :
					   !strcmp(cmd, "drm") ? EDU_DRM_MAX_XFER :
					   EDU_BUF_MAX;

			if (parse_size(optarg, &v) || !v || v > max)
				die("--len %s: 1 to %u bytes", optarg, max);
			if (!strcmp(cmd, "rdma") || !strcmp(cmd, "drm"))
				imp_len = v;
			else
				len = v;
			break;
		}
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
	if (!strcmp(cmd, "measure") || !strcmp(cmd, "compare")) {
		bool compare = !strcmp(cmd, "compare");

		if (argc != 2 || (compare && mo.nr_large > 1)) {
			usage(cmd);
			return 2;
		}
		c.bdf = argv[0];
		c.bar = atoi(argv[1]);
		c.dev = open_device(c.bdf);
		open_iommufd(&c);
		if (compare)
			return cmd_compare(&c, engine, mo.nr_large ? mo.large[0] : NULL);
		mo.engine = engine;
		return cmd_measure(&c, &mo);
	}
	if (strcmp(cmd, "export") && strcmp(cmd, "map") && strcmp(cmd, "copy") &&
	    strcmp(cmd, "rdma") && strcmp(cmd, "drm")) {
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
	if (!strcmp(cmd, "rdma"))
		return cmd_rdma(&c, mo.importer, imp_len ? imp_len : len,
				seed, rig_file);
	if (!strcmp(cmd, "drm"))
		return cmd_drm(&c, mo.importer, imp_len, seed, rig_file);
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
