// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-test rdma: register the exported buffer as an RDMA memory region
 * the way rdma-core's ibv_reg_dmabuf_mr() does (rdma_util.c speaks the
 * uverbs ABI), on the edu_rdma test device, and have the device write a
 * pattern into the MR and read it back.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "dmabuf-test.h"
#include "rdma_util.h"

/* Where the MR lives in the address space of its users */
#define RDMA_IOVA	(1ULL << 40)

static const char *reg_cause(int err)
{
	switch (err) {
	case EREMOTEIO:
		return "the PCI core says the RDMA device cannot reach the BAR peer to peer (no common switch, and a host bridge not known to forward P2P)";
	case EOPNOTSUPP:
		return "the exporter refused the importer: it does not drop its mappings when the buffer is revoked";
	case ENODEV:
		return "the buffer is revoked: memory decode is off, or the device is in reset, low power or closed";
	case EINVAL:
		return "offset and length must lie inside the buffer, and offset and IOVA share their offset in a page";
	case ENOTTY:
		return "this kernel's uverbs has no REG_DMABUF_MR";
	default:
		return NULL;
	}
}

int cmd_rdma(struct ctx *c, const char *importer, uint32_t len, uint32_t seed,
	     const char *rig_file)
{
	struct edu_rdma_mr_query q = {};
	struct rdma_ctx rc = RDMA_CTX_INIT;
	uint32_t handle, lkey, rkey, n, i;
	uint8_t *want, *back, *bar;
	char ibdev[32];
	size_t bar_size;
	uint64_t off;
	int ctl, ret, bad = 0;

	if (!importer)
		die("rdma needs --importer EDU_BDF: the edu device (bound to edu_dma) that carries the RDMA device");
	ret = edu_rdma_create_flags(&ctl, pci_bdf_id(importer), 0, ibdev,
				    sizeof(ibdev));
	if (ret)
		explain("creating the RDMA device on the edu", -ret,
			ret == -ENOENT ? "no /dev/edu_rdma: a kernel with CONFIG_EDU_RDMA (modprobe edu_rdma)" :
			ret == -ENODEV ? "that edu is not bound to edu_dma" : NULL);
	ret = rdma_open(&rc, ibdev);
	if (ret)
		explain(ibdev, -ret, "cannot open its uverbs device");
	printf("RDMA device %s on edu %s\n", ibdev, importer);

	ret = rdma_reg_dmabuf_mr(&rc, 0, c->sl.size, RDMA_IOVA, c->buf,
				 IB_UVERBS_ACCESS_LOCAL_WRITE |
				 IB_UVERBS_ACCESS_REMOTE_WRITE |
				 IB_UVERBS_ACCESS_REMOTE_READ,
				 &handle, &lkey, &rkey);
	if (ret)
		explain("REG_DMABUF_MR", -ret, reg_cause(-ret));
	q.lkey = lkey;
	ret = edu_rdma_mr_query(ctl, &q);
	if (ret)
		explain("EDU_RDMA_MR_QUERY", -ret, NULL);
	printf("MR lkey 0x%x rkey 0x%x: %" PRIu64 " bytes at IOVA 0x%" PRIx64 ", %u DMA blocks of %llu KiB\n",
	       lkey, rkey, (uint64_t)q.length, (uint64_t)q.iova, q.nr_blocks,
	       (1ULL << q.block_shift) >> 10);

	want = malloc(len);
	back = malloc(len);
	if (!want || !back)
		die("out of memory");
	bar = vfio_mmap_region(c->dev, c->bar, &bar_size);
	/* One transfer at the start of each slice */
	for (i = 0, off = 0; i < c->sl.nr; off += c->sl.r[i++].length) {
		uint64_t slice_off = c->sl.r[i].offset;

		n = len < c->sl.r[i].length ? len : c->sl.r[i].length;
		fill_pattern(want, n, seed + i);
		memset(back, 0, n);
		ret = edu_rdma_xfer(ctl, lkey, EDU_RDMA_WRITE, RDMA_IOVA + off,
				    want, n);
		if (ret)
			explain("RDMA write", -ret, reg_cause(-ret));
		ret = edu_rdma_xfer(ctl, lkey, EDU_RDMA_READ, RDMA_IOVA + off,
				    back, n);
		if (ret)
			explain("RDMA read", -ret, reg_cause(-ret));
		printf("slice %u: RDMA write of %u bytes at IOVA 0x%" PRIx64 " (BAR%d offset 0x%" PRIx64 "), read back: %s\n",
		       i, n, (uint64_t)(RDMA_IOVA + off), c->bar, slice_off,
		       memcmp(want, back, n) ? "MISMATCH" : "identical");
		bad += !!memcmp(want, back, n);
		if (bar && bar != MAP_FAILED) {
			bool ok = !memcmp(bar + slice_off, want, n);

			printf("  through the BAR: %s\n",
			       ok ? "the bytes are there" : "MISMATCH");
			bad += !ok;
		}
		if (rig_file) {
			char label[32];

			snprintf(label, sizeof(label), "dmabuf-test-rdma%u", i);
			rig_check(label, rig_file, slice_off, want, n);
		}
	}
	ret = rdma_dereg_mr(&rc, handle);
	if (ret)
		explain("deregistering the MR", -ret, NULL);
	rdma_close(&rc);
	close(ctl);
	free(want);
	free(back);
	printf("%s\n", bad ? "rdma: FAILED" : "rdma: OK");
	return bad ? 1 : 0;
}

/* ---- make bench: the RDMA registration tables ---- */

#define RDMA_REPS	15
#define RDMA_MEM_MRS	128

/* The median time of @RDMA_REPS registrations of @fd and of their deregs */
static int time_reg(struct rdma_ctx *rc, int fd, void *ram, uint64_t len,
		    double *reg, double *dereg)
{
	double tr[RDMA_REPS], td[RDMA_REPS], t;
	uint32_t handle;
	int i, ret;

	for (i = 0; i < RDMA_REPS; i++) {
		t = now_us();
		if (ram)
			ret = rdma_reg_mr(rc, ram, len, RDMA_IOVA,
					  IB_UVERBS_ACCESS_LOCAL_WRITE,
					  &handle, NULL, NULL);
		else
			ret = rdma_reg_dmabuf_mr(rc, 0, len, RDMA_IOVA, fd,
						 IB_UVERBS_ACCESS_LOCAL_WRITE,
						 &handle, NULL, NULL);
		tr[i] = now_us() - t;
		if (ret)
			return ret;
		t = now_us();
		ret = rdma_dereg_mr(rc, handle);
		td[i] = now_us() - t;
		if (ret)
			return ret;
	}
	*reg = median(tr, RDMA_REPS);
	*dereg = median(td, RDMA_REPS);
	return 0;
}

/* The MR's table for a registration of @fd: blocks and their size */
static void table_of(struct rdma_ctx *rc, int ctl, int fd, uint64_t len,
		     char *out, size_t n)
{
	struct edu_rdma_mr_query q = {};
	uint32_t handle;

	snprintf(out, n, "-");
	if (rdma_reg_dmabuf_mr(rc, 0, len, RDMA_IOVA, fd,
			       IB_UVERBS_ACCESS_LOCAL_WRITE, &handle, &q.lkey,
			       NULL))
		return;
	if (!edu_rdma_mr_query(ctl, &q))
		snprintf(out, n, "%u x %lluK", q.nr_blocks,
			 (1ULL << q.block_shift) >> 10);
	rdma_dereg_mr(rc, handle);
}

/* Anonymous RAM of @len, faulted in, or NULL when it does not fit */
static void *ram_of(uint64_t len)
{
	void *p;

	if (len > (256ULL << 20))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void size_row(struct rdma_ctx *rc, int ctl, const char *bdf, int dev,
		     int bar, uint64_t len)
{
	struct slices sl = { .nr = 1, .r = { { 0, len } }, .size = len };
	double reg = 0, dereg = 0, rreg = 0, rdereg = 0;
	char table[32], ram_col[48] = "-";
	int fd, ret;
	void *ram;

	fd = export_or_die(bdf, dev, bar, &sl, O_RDWR | O_CLOEXEC);
	ret = time_reg(rc, fd, NULL, len, &reg, &dereg);
	table_of(rc, ctl, fd, len, table, sizeof(table));
	close(fd);
	ram = ram_of(len);
	if (ram && !time_reg(rc, -1, ram, len, &rreg, &rdereg))
		snprintf(ram_col, sizeof(ram_col), "%10.1f %10.1f", rreg,
			 rdereg);
	if (ram)
		munmap(ram, len);
	if (ret)
		printf("  %8" PRIu64 "K  registration failed: %s\n", len >> 10,
		       strerror(-ret));
	else
		printf("  %8" PRIu64 "K %10.1f %10.1f  %-14s %s\n", len >> 10,
		       reg, dereg, table, ram_col);
}

static void ranges_row(struct rdma_ctx *rc, int dev, int bar, uint32_t n)
{
	struct vfio_device_feature *f = export_req(bar, n, 2 * PAGE, false);
	double reg, dereg;
	int fd, ret;

	fd = export_fd(dev, f);
	free(f);
	if (fd < 0)
		explain("exporting the ranges", -fd, NULL);
	ret = time_reg(rc, fd, NULL, n * PAGE, &reg, &dereg);
	close(fd);
	if (ret)
		printf("  %6u  registration failed: %s\n", n, strerror(-ret));
	else
		printf("  %6u %10.1f %10.1f\n", n, reg, dereg);
}

/*
 * Kernel memory per registered MR of @len bytes (a dma-buf of @nr ranges,
 * or anonymous RAM when @ram): slab and MemFree before and after
 * RDMA_MEM_MRS registrations, the second of two rounds.
 */
static void mem_row(struct rdma_ctx *rc, int dev, int bar, uint32_t nr,
		    bool ram_mr, uint64_t len)
{
	static uint32_t handles[RDMA_MEM_MRS];
	static struct slices sl;
	long long s0, s1, m0, m1;
	void *ram = NULL;
	int fd = -1, i, round, ret = 0;

	if (ram_mr) {
		ram = ram_of(len);
		if (!ram)
			return;
	} else {
		sl.nr = nr;
		sl.size = len;
		for (i = 0; i < (int)nr; i++) {
			sl.r[i].offset = 2 * i * (len / nr);
			sl.r[i].length = len / nr;
		}
		fd = export_or_die("memory", dev, bar, &sl, O_RDWR | O_CLOEXEC);
	}
	for (round = 0; round < 2 && !ret; round++) {
		settle();
		snapshot(&s0, &m0);
		for (i = 0; i < RDMA_MEM_MRS && !ret; i++)
			ret = ram_mr ?
			      rdma_reg_mr(rc, ram, len, RDMA_IOVA,
					  IB_UVERBS_ACCESS_LOCAL_WRITE,
					  &handles[i], NULL, NULL) :
			      rdma_reg_dmabuf_mr(rc, 0, len, RDMA_IOVA, fd,
						 IB_UVERBS_ACCESS_LOCAL_WRITE,
						 &handles[i], NULL, NULL);
		snapshot(&s1, &m1);
		while (i--)
			rdma_dereg_mr(rc, handles[i]);
	}
	if (ret)
		printf("  %-28s registration failed: %s\n",
		       ram_mr ? "anonymous RAM" : "dma-buf", strerror(-ret));
	else
		printf("  %-9s %6" PRIu64 "K %4u range%s %10.0f %10.0f\n",
		       ram_mr ? "RAM" : "dma-buf", len >> 10, ram_mr ? 1 : nr,
		       (ram_mr ? 1 : nr) == 1 ? " " : "s",
		       (double)(s1 - s0) / RDMA_MEM_MRS,
		       (double)(m0 - m1) / RDMA_MEM_MRS);
	if (fd >= 0)
		close(fd);
	if (ram)
		munmap(ram, len);
}

void measure_rdma(struct ctx *c, const char *importer,
		  const char *const *large, int nr_large)
{
	static const uint64_t sizes[] = { 4096, 64 << 10, 1 << 20, 16 << 20 };
	static const uint32_t counts[] = { 1, 8, 64, 512, 2048 };
	long bar_size = pci_resource_size(c->bdf, c->bar);
	struct rdma_ctx rc = RDMA_CTX_INIT;
	char ibdev[32];
	unsigned int i;
	int ctl, ret;

	ret = edu_rdma_create_flags(&ctl, pci_bdf_id(importer), 0, ibdev,
				    sizeof(ibdev));
	if (ret) {
		printf("\nRDMA registration: no edu_rdma device (%s)\n",
		       strerror(-ret));
		return;
	}
	ret = rdma_open(&rc, ibdev);
	if (ret)
		explain(ibdev, -ret, NULL);

	printf("\nRDMA memory registration on %s (edu %s), median of %d; us\n",
	       ibdev, importer, RDMA_REPS);
	printf("  %9s %10s %10s  %-14s %10s %10s\n", "size", "reg", "dereg",
	       "MR table", "RAM reg", "RAM dereg");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if ((long)sizes[i] <= bar_size)
			size_row(&rc, ctl, c->bdf, c->dev, c->bar, sizes[i]);
	for (i = 0; i < (unsigned int)nr_large; i++) {
		long size = pci_resource_size(large[i], c->bar);
		int dev = open_device(large[i]);
		uint32_t devid;

		/* A VFIO cdev exports once it is bound to an iommufd */
		ret = bind_iommufd(dev, c->iommufd, &devid);
		if (ret)
			explain("binding a large device to iommufd", -ret, NULL);
		size_row(&rc, ctl, large[i], dev, c->bar, size);
		close(dev);
	}

	printf("\nRDMA registration against ranges (4 KiB each, 8 KiB apart); us\n");
	printf("  %6s %10s %10s\n", "ranges", "reg", "dereg");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if ((long)(counts[i] * 2 * PAGE) <= bar_size)
			ranges_row(&rc, c->dev, c->bar, counts[i]);

	printf("\nKernel memory per registered MR (%d MRs; bytes)\n",
	       RDMA_MEM_MRS);
	printf("  %-9s %7s %10s %10s %10s\n", "memory", "size", "", "slab",
	       "MemFree");
	mem_row(&rc, c->dev, c->bar, 1, false, 64 << 10);
	mem_row(&rc, c->dev, c->bar, 64, false, 64 * PAGE);
	mem_row(&rc, c->dev, c->bar, 1, false, 4 << 20);
	mem_row(&rc, c->dev, c->bar, 1, true, 64 << 10);
	mem_row(&rc, c->dev, c->bar, 1, true, 4 << 20);
	rdma_close(&rc);
	close(ctl);
}
