/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RDMA memory registration for the selftests, spoken directly in the
 * kernel's uverbs ABI (/dev/infiniband/uverbsN) the way rdma-core 44's
 * libibverbs sends it, plus wrappers for the control file of the test-only
 * edu_rdma device (/dev/edu_rdma). rdma_util.c says why rdma-core itself
 * cannot be used and what it sends for each step.
 *
 * Functions return 0 or the negative errno the kernel gave; they never
 * exit or print, so a test can assert on the exact error.
 */
#ifndef SELFTESTS_VFIO_RDMA_UTIL_H
#define SELFTESTS_VFIO_RDMA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/ib_user_verbs.h>
#include <misc/edu_rdma.h>

#define RDMA_UVERBS_SYSFS	"/sys/class/infiniband_verbs"
#define RDMA_UVERBS_DEV_DIR	"/dev/infiniband"
#define EDU_RDMA_CTL_PATH	"/dev/edu_rdma"

/**
 * struct rdma_ctx - an open uverbs file with its context and one PD
 * @fd: the uverbs command file, or -1
 * @async_fd: the context's async event file, or -1 (ibv_open_device()
 *            allocates one, so rdma_open() does too)
 * @pd_handle: the PD rdma_open() allocated, valid while @pd_valid
 * @pd_valid: rdma_close() deallocates @pd_handle first
 * @ioctl_write: legacy write commands (ALLOC_PD, QUERY_DEVICE) go through
 *               the ioctl UVERBS_METHOD_INVOKE_WRITE, else write(2);
 *               probed by rdma_open() as libibverbs probes it
 * @driver_id: ib_uverbs_ioctl_hdr.driver_id; the kernel fails an ioctl
 *             whose driver_id is not the device's (EINVAL). rdma-core
 *             takes it from its provider; edu_rdma's is
 *             RDMA_DRIVER_UNKNOWN, which rdma_open() uses
 * @num_comp_vectors: from GET_CONTEXT
 * @core_support: from GET_CONTEXT (IB_UVERBS_CORE_SUPPORT_*)
 *
 * Declare it with RDMA_CTX_INIT, or pass it to rdma_open() (which
 * initialises it even when it fails), before rdma_close().
 */
struct rdma_ctx {
	int fd;
	int async_fd;
	uint32_t pd_handle;
	bool pd_valid;
	bool ioctl_write;
	uint32_t driver_id;
	uint32_t num_comp_vectors;
	uint64_t core_support;
};

#define RDMA_CTX_INIT	{ .fd = -1, .async_fd = -1 }

/*
 * Put "/dev/infiniband/uverbsN" in @path for the uverbs device whose
 * RDMA_UVERBS_SYSFS/uverbsN/ibdev is @ibdev ("edu_rdma0"): -ENOENT if
 * none, -ENAMETOOLONG if @len is too small.
 */
int rdma_find_uverbs(const char *ibdev, char *path, size_t len);

/*
 * Open @ibdev's uverbs file as ibv_open_device() does (GET_CONTEXT, then
 * an async event file) and allocate a PD as ibv_alloc_pd() does. On
 * failure nothing stays open.
 */
int rdma_open(struct rdma_ctx *c, const char *ibdev);

/* Another PD, or deallocate one (PD_DESTROY; EBUSY while MRs use it) */
int rdma_alloc_pd(struct rdma_ctx *c, uint32_t *pd_handle);
int rdma_dealloc_pd(struct rdma_ctx *c, uint32_t pd_handle);

/*
 * ibv_reg_dmabuf_mr(): register [@offset, @offset + @length) of dma-buf
 * @fd at @iova with @access (IB_UVERBS_ACCESS_*, the values of
 * IBV_ACCESS_*), on @c's PD or on @pd_handle.
 * @handle, @lkey and @rkey may be NULL.
 */
int rdma_reg_dmabuf_mr(struct rdma_ctx *c, uint64_t offset, uint64_t length,
		       uint64_t iova, int fd, uint32_t access,
		       uint32_t *handle, uint32_t *lkey, uint32_t *rkey);
int rdma_reg_dmabuf_mr_pd(struct rdma_ctx *c, uint32_t pd_handle,
			  uint64_t offset, uint64_t length, uint64_t iova,
			  int fd, uint32_t access, uint32_t *handle,
			  uint32_t *lkey, uint32_t *rkey);

/*
 * ibv_reg_mr(): register @length bytes of user memory at @addr at @iova
 * on @c's PD (the benchmarks compare it with dma-buf registration).
 */
int rdma_reg_mr(struct rdma_ctx *c, void *addr, uint64_t length,
		uint64_t iova, uint32_t access, uint32_t *handle, uint32_t *lkey,
		uint32_t *rkey);

/* ibv_dereg_mr(): MR_DESTROY. EIO once the device was unregistered. */
int rdma_dereg_mr(struct rdma_ctx *c, uint32_t handle);

/* ibv_query_device(): the legacy QUERY_DEVICE command's response */
int rdma_query_device(struct rdma_ctx *c,
		      struct ib_uverbs_query_device_resp *resp);

/*
 * rdma_close(): deallocate the PD if @pd_valid (ignoring errors), then
 * close both files. rdma_close_no_dealloc(): only close them, so the
 * kernel destroys what is left (MRs, PD, context) at close, as at exit.
 * Both may be called again; the second call does nothing.
 */
void rdma_close(struct rdma_ctx *c);
void rdma_close_no_dealloc(struct rdma_ctx *c);

/*
 * Open EDU_RDMA_CTL_PATH and create an RDMA device on edu @edu_bdf
 * (bus << 8 | devfn) with EDU_RDMA_CREATE; its name ("edu_rdma<index>")
 * goes to @ibdev if not NULL. The device lives until *@ctl_fd is closed.
 */
int edu_rdma_create(int *ctl_fd, uint32_t edu_bdf, char *ibdev, size_t len);
int edu_rdma_create_flags(int *ctl_fd, uint32_t edu_bdf, uint32_t flags,
			  char *ibdev, size_t len);
/* EDU_RDMA_CREATE on an open control file; @index may be NULL */
int edu_rdma_ctl_create(int ctl, uint32_t edu_bdf, uint32_t flags,
			uint32_t *index);
/* EDU_RDMA_XFER: @dir EDU_RDMA_WRITE (@data into the MR) or _READ */
int edu_rdma_xfer(int ctl, uint32_t lkey, uint32_t dir, uint64_t addr,
		  void *data, uint64_t len);
/* EDU_RDMA_MR_QUERY: fill in @q->lkey first */
int edu_rdma_mr_query(int ctl, struct edu_rdma_mr_query *q);

#endif /* SELFTESTS_VFIO_RDMA_UTIL_H */
