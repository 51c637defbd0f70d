/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabuf-test: what the user commands (dmabuf-test.c) and the benchmarks
 * (measure.c) share.
 */
#ifndef DMABUF_TEST_H
#define DMABUF_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio_util.h"

#define MAX_RANGES	64
#define PAGE		4096ULL

/* A dma-buf's slices of one BAR, in buffer order */
struct slices {
	uint32_t nr;
	struct vfio_region_dma_range r[MAX_RANGES];
	uint64_t size;
};

/* One exporting device, bound to an iommufd, and what was made of it */
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

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* die() with strerror(@err) and, if known, the likely cause */
void explain(const char *what, int err, const char *cause) __attribute__((noreturn));
const char *export_cause(int err, const char *bdf, int bar);
/* The VFIO cdev of @bdf, or die() saying how to bind it to vfio-pci */
int open_device(const char *bdf);
int bind_iommufd(int dev, int iommufd, uint32_t *devid);
int export_or_die(const char *bdf, int dev, int bar, const struct slices *sl,
		  uint32_t open_flags);
/* Open @engine (vfio-pci), bind it to c->iommufd, attach it to c->ioas */
int attach_engine(struct ctx *c, const char *engine);

/* measure.c */
struct measure_opts {
	const char *engine;	/* vfio-pci device attached to the IOAS */
	const char *importer;	/* edu bound to edu_dma, for /dev/edu_dma */
	const char *large[8];	/* devices whose whole BAR is mapped too */
	int nr_large;
};
int cmd_measure(struct ctx *c, const struct measure_opts *o);
/* Shared by the benchmarks: CLOCK_MONOTONIC in us, the median of @n
 * values (sorts them), and a pause that lets deferred frees finish
 */
double now_us(void);
double median(double *v, int n);
void settle(void);
void time_revoke(struct ctx *c, int fd, unsigned int n, uint16_t cmd, double *tr,
		 double *ts);
int cmd_memory(int argc, char **argv, int bar);

/* rdma.c: @rig_file, if not NULL, gets RIG-CHECK lines */
int cmd_rdma(struct ctx *c, const char *importer, uint32_t len, uint32_t seed,
	     const char *rig_file);

/* drm.c: PRIME import into an edu_drm render node; RIG-CHECK as cmd_rdma() */
int cmd_drm(struct ctx *c, const char *importer, uint32_t len, uint32_t seed,
	    const char *rig_file);

/* rdma.c: the RDMA registration tables of measure (--importer) */
void measure_rdma(struct ctx *c, const char *importer,
		  const char *const *large, int nr_large);

/* compare.c */
int cmd_compare(struct ctx *c, const char *engine, const char *large);
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF of @n one-page ranges of BAR @bar, @stride
 * bytes apart (in reverse order when @reverse), and the export itself
 */
struct vfio_device_feature *export_req(int bar, uint32_t n, uint64_t stride,
				       bool reverse);
int export_fd(int dev, struct vfio_device_feature *f);
/* Memory as the benchmarks count it: MemFree, slab bytes in use (after
 * shrink_all() flushed every cache), and both at once after a shrink
 */
long long mem_free(void);
void shrink_all(void);
long long slab_bytes(void);
void snapshot(long long *slab, long long *mem);

#endif
