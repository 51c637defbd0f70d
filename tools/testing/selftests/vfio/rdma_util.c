// SPDX-License-Identifier: GPL-2.0
/*
 * uverbs without rdma-core, for the edu_rdma test device; see rdma_util.h.
 *
 * Why not libibverbs: it lists and opens a uverbs device only when a
 * provider library (libmlx5, librxe, ...) claims it, by the driver id the
 * kernel reports over netlink (RDMA_NLDEV_ATTR_UVERBS_DRIVER_ID), by its
 * name or by its PCI id. Only the provider's alloc_context() sends
 * GET_CONTEXT, and the provider's verbs_context_ops are what alloc_pd,
 * reg_dmabuf_mr and dereg_mr call. edu_rdma has driver id
 * RDMA_DRIVER_UNKNOWN and no provider exists for it, so libibverbs skips
 * it ("no userspace device-specific driver found") and cannot open it.
 *
 * So this file sends what rdma-core 44 (Debian 12; built with
 * IOCTL_MODE=both, the default) sends for a provider without driver data
 * on a kernel that has every ioctl method, as 6.12 does. All ioctls are
 * RDMA_VERBS_IOCTL with a struct ib_uverbs_ioctl_hdr and its attributes.
 *
 * - open (open_cdev()): /dev/infiniband/uverbsN with O_RDWR | O_CLOEXEC,
 *   checked to be the char device that sysfs names.
 * - probe (verbs_init_context(), has_ioctl_write()): the ioctl method
 *   UVERBS_METHOD_INVOKE_WRITE of UVERBS_OBJECT_DEVICE with only
 *   WRITE_CMD = IB_USER_VERBS_CMD_QUERY_DEVICE. The kernel answers ENOSPC
 *   (no request); any answer but EPROTONOSUPPORT or ENOTTY means legacy
 *   write commands go through that ioctl method, not write(2).
 * - GET_CONTEXT (ibv_cmd_get_context()): the ioctl method
 *   UVERBS_METHOD_GET_CONTEXT with NUM_COMP_VECTORS (out, 4 bytes) and
 *   CORE_SUPPORT (out, 8 bytes). The write command
 *   IB_USER_VERBS_CMD_GET_CONTEXT is only its fallback for kernels
 *   without the method.
 * - async events (verbs_open_device()): the ioctl GET_CONTEXT returns no
 *   async event file, so UVERBS_METHOD_ASYNC_EVENT_ALLOC of
 *   UVERBS_OBJECT_ASYNC_EVENT follows, with FD_HANDLE (new fd, out).
 * - ALLOC_PD (ibv_cmd_alloc_pd()): a legacy command only, so
 *   IB_USER_VERBS_CMD_ALLOC_PD through UVERBS_METHOD_INVOKE_WRITE:
 *   WRITE_CMD (8 bytes inline), CORE_IN = struct ib_uverbs_alloc_pd
 *   (8 bytes, so inline; its response field still holds the response's
 *   address, which this path ignores) and CORE_OUT = struct
 *   ib_uverbs_alloc_pd_resp (a pointer). write(2) of struct
 *   ib_uverbs_cmd_hdr and the request only when the probe failed.
 * - REG_DMABUF_MR (ibv_cmd_reg_dmabuf_mr()): the ioctl method
 *   UVERBS_METHOD_REG_DMABUF_MR of UVERBS_OBJECT_MR, no write fallback,
 *   with in this order HANDLE (new idr, out), RESP_LKEY and RESP_RKEY
 *   (out, pointers to 4 bytes), PD_HANDLE (idr), OFFSET, LENGTH and IOVA
 *   (8 bytes inline each), FD and ACCESS_FLAGS (4 bytes inline each:
 *   ACCESS_FLAGS goes as a u32, not as the 8-byte flags value the kernel
 *   prefers for a flags attribute; it takes both).
 * - deregistration (ibv_cmd_dereg_mr()): the ioctl method
 *   UVERBS_METHOD_MR_DESTROY with DESTROY_MR_HANDLE (idr); the write
 *   command IB_USER_VERBS_CMD_DEREG_MR is only its fallback.
 * - PD deallocation (ibv_cmd_dealloc_pd()): UVERBS_METHOD_PD_DESTROY with
 *   DESTROY_PD_HANDLE (idr); IB_USER_VERBS_CMD_DEALLOC_PD is the fallback.
 * - ibv_query_device(): the legacy IB_USER_VERBS_CMD_QUERY_DEVICE, sent
 *   like ALLOC_PD.
 * - ibv_reg_mr() of user memory (ibv_cmd_reg_mr()): the legacy
 *   IB_USER_VERBS_CMD_REG_MR, sent like ALLOC_PD.
 * - ibv_close_device(): close the command file, then the async one.
 *
 * libibverbs marks every attribute UVERBS_ATTR_F_MANDATORY, so that a
 * kernel which does not know one fails with EPROTONOSUPPORT instead of
 * ignoring it; idr and fd attributes have len 0 and the handle in data;
 * the header's driver_id is the provider's, and the kernel fails the
 * ioctl (EINVAL) unless it is the device's. The write fallbacks of the
 * ioctl methods, for kernels that lack the methods, are left out. rdma-core
 * treats EIO from a destroy as success if RDMAV_ALLOW_DISASSOC_DESTROY is
 * set; here the caller gets the kernel's errno, EIO included.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>
#include <rdma/ib_user_verbs.h>
#include <rdma/rdma_user_ioctl.h>

#include "rdma_util.h"

/* Most attributes a command here has (REG_DMABUF_MR) */
#define UV_MAX_ATTRS	9
/* Longest core request of a legacy command sent by write(2) */
#define UV_WRITE_MAX	64

/*
 * An ioctl command: the header with its attributes behind it, as the
 * kernel reads them. The attribute after the last one is where
 * uv_attr() writes any excess attribute, which uv_exec() then refuses.
 */
union uv_cmd {
	struct ib_uverbs_ioctl_hdr hdr;
	unsigned char bytes[sizeof(struct ib_uverbs_ioctl_hdr) +
			    (UV_MAX_ATTRS + 1) * sizeof(struct ib_uverbs_attr)];
};

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

static void uv_init(union uv_cmd *cmd, uint16_t object_id, uint16_t method_id)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->hdr.object_id = object_id;
	cmd->hdr.method_id = method_id;
}

/* Append an attribute; as in libibverbs, each one is mandatory. */
static struct ib_uverbs_attr *uv_attr(union uv_cmd *cmd, uint16_t attr_id)
{
	struct ib_uverbs_attr *attr;
	unsigned int i = cmd->hdr.num_attrs;

	if (i > UV_MAX_ATTRS)
		i = UV_MAX_ATTRS;
	else
		cmd->hdr.num_attrs++;
	attr = &cmd->hdr.attrs[i];
	memset(attr, 0, sizeof(*attr));
	attr->attr_id = attr_id;
	attr->flags = UVERBS_ATTR_F_MANDATORY;
	return attr;
}

/* UVERBS_ATTR_TYPE_IDR (and FD): no length, the handle in data */
static struct ib_uverbs_attr *uv_idr(union uv_cmd *cmd, uint16_t attr_id,
				     uint32_t handle)
{
	struct ib_uverbs_attr *attr = uv_attr(cmd, attr_id);

	attr->data = handle;
	return attr;
}

/* An 8-byte PTR_IN or CONST_IN: inline */
static void uv_in_u64(union uv_cmd *cmd, uint16_t attr_id, uint64_t val)
{
	struct ib_uverbs_attr *attr = uv_attr(cmd, attr_id);

	attr->len = sizeof(val);
	attr->data = val;
}

/* A 4-byte PTR_IN: inline, in the first 4 bytes of data */
static void uv_in_u32(union uv_cmd *cmd, uint16_t attr_id, uint32_t val)
{
	struct ib_uverbs_attr *attr = uv_attr(cmd, attr_id);

	attr->len = sizeof(val);
	memcpy(&attr->data, &val, sizeof(val));
}

/* PTR_IN: up to 8 bytes inline, more through a pointer */
static void uv_in(union uv_cmd *cmd, uint16_t attr_id, const void *ptr,
		  size_t len)
{
	struct ib_uverbs_attr *attr = uv_attr(cmd, attr_id);

	attr->len = len;
	if (len <= sizeof(attr->data))
		memcpy(&attr->data, ptr, len);
	else
		attr->data = (uintptr_t)ptr;
}

/* PTR_OUT: always a pointer */
static void uv_out(union uv_cmd *cmd, uint16_t attr_id, void *ptr, size_t len)
{
	struct ib_uverbs_attr *attr = uv_attr(cmd, attr_id);

	attr->len = len;
	attr->data = (uintptr_t)ptr;
}

static int uv_exec(struct rdma_ctx *c, union uv_cmd *cmd)
{
	if (cmd->hdr.num_attrs > UV_MAX_ATTRS)
		return -E2BIG;
	cmd->hdr.length = sizeof(cmd->hdr) +
			  cmd->hdr.num_attrs * sizeof(cmd->hdr.attrs[0]);
	cmd->hdr.reserved1 = 0;
	cmd->hdr.reserved2 = 0;
	cmd->hdr.driver_id = c->driver_id;
	if (ioctl(c->fd, RDMA_VERBS_IOCTL, &cmd->hdr))
		return neg_errno();
	return 0;
}

/*
 * A legacy command without driver data, as _execute_cmd_write() sends
 * it: @req is its core request (starting with the response's address if
 * it has a response), @resp its core response.
 */
static int uv_write(struct rdma_ctx *c, uint32_t command, const void *req,
		    size_t req_len, void *resp, size_t resp_len)
{
	unsigned char buf[sizeof(struct ib_uverbs_cmd_hdr) + UV_WRITE_MAX];
	struct ib_uverbs_cmd_hdr hdr;
	size_t len = sizeof(hdr) + req_len;
	union uv_cmd cmd;
	ssize_t n;

	if (c->ioctl_write) {
		uv_init(&cmd, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INVOKE_WRITE);
		uv_in_u64(&cmd, UVERBS_ATTR_WRITE_CMD, command);
		if (req_len)
			uv_in(&cmd, UVERBS_ATTR_CORE_IN, req, req_len);
		if (resp_len)
			uv_out(&cmd, UVERBS_ATTR_CORE_OUT, resp, resp_len);
		return uv_exec(c, &cmd);
	}

	if (req_len > UV_WRITE_MAX || len % 4 || resp_len % 4)
		return -EINVAL;
	hdr.command = command;
	hdr.in_words = len / 4;
	hdr.out_words = resp_len / 4;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), req, req_len);
	n = write(c->fd, buf, len);
	if (n < 0)
		return neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}

/* has_ioctl_write(): does INVOKE_WRITE exist? */
static bool uv_probe_ioctl_write(struct rdma_ctx *c)
{
	union uv_cmd cmd;
	int ret;

	uv_init(&cmd, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_INVOKE_WRITE);
	uv_in_u64(&cmd, UVERBS_ATTR_WRITE_CMD, IB_USER_VERBS_CMD_QUERY_DEVICE);
	ret = uv_exec(c, &cmd);
	return ret != -EPROTONOSUPPORT && ret != -ENOTTY;
}

/* A sysfs value without its newline */
static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	n = read(fd, buf, len - 1);
	ret = n < 0 ? neg_errno() : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* The name ("uverbsN") of @ibdev's uverbs device */
static int find_uverbs(const char *ibdev, char *name, size_t len)
{
	char path[PATH_MAX], val[128];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *dir;

	dir = opendir(RDMA_UVERBS_SYSFS);
	if (!dir)
		return neg_errno();
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "uverbs", strlen("uverbs")))
			continue;
		snprintf(path, sizeof(path), RDMA_UVERBS_SYSFS "/%s/ibdev",
			 de->d_name);
		if (read_line(path, val, sizeof(val)) || strcmp(val, ibdev))
			continue;
		if ((size_t)snprintf(name, len, "%s", de->d_name) >= len)
			ret = -ENAMETOOLONG;
		else
			ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

int rdma_find_uverbs(const char *ibdev, char *path, size_t len)
{
	char name[NAME_MAX + 1];
	int ret;

	ret = find_uverbs(ibdev, name, sizeof(name));
	if (ret)
		return ret;
	if ((size_t)snprintf(path, len, RDMA_UVERBS_DEV_DIR "/%s", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * open_cdev(): open the node and check it is the char device of sysfs'
 * "dev" (ENODEV if not).
 */
static int uverbs_open(const char *ibdev, int *fdp)
{
	char name[NAME_MAX + 1], path[PATH_MAX], val[32];
	unsigned int major_nr, minor_nr;
	struct stat st;
	int fd, ret;

	ret = find_uverbs(ibdev, name, sizeof(name));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), RDMA_UVERBS_SYSFS "/%s/dev", name);
	ret = read_line(path, val, sizeof(val));
	if (ret)
		return ret;
	if (sscanf(val, "%u:%u", &major_nr, &minor_nr) != 2)
		return -ENODEV;

	snprintf(path, sizeof(path), RDMA_UVERBS_DEV_DIR "/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st)) {
		ret = neg_errno();
		close(fd);
		return ret;
	}
	if (!S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(major_nr, minor_nr)) {
		close(fd);
		return -ENODEV;
	}
	*fdp = fd;
	return 0;
}

int rdma_open(struct rdma_ctx *c, const char *ibdev)
{
	struct ib_uverbs_attr *attr;
	uint32_t num_comp = 0;
	uint64_t core = 0;
	union uv_cmd cmd;
	int ret;

	*c = (struct rdma_ctx)RDMA_CTX_INIT;
	c->driver_id = RDMA_DRIVER_UNKNOWN;

	ret = uverbs_open(ibdev, &c->fd);
	if (ret)
		return ret;

	c->ioctl_write = uv_probe_ioctl_write(c);

	uv_init(&cmd, UVERBS_OBJECT_DEVICE, UVERBS_METHOD_GET_CONTEXT);
	uv_out(&cmd, UVERBS_ATTR_GET_CONTEXT_NUM_COMP_VECTORS, &num_comp,
	       sizeof(num_comp));
	uv_out(&cmd, UVERBS_ATTR_GET_CONTEXT_CORE_SUPPORT, &core, sizeof(core));
	ret = uv_exec(c, &cmd);
	if (ret)
		goto err;
	c->num_comp_vectors = num_comp;
	c->core_support = core;

	uv_init(&cmd, UVERBS_OBJECT_ASYNC_EVENT, UVERBS_METHOD_ASYNC_EVENT_ALLOC);
	attr = uv_idr(&cmd, UVERBS_ATTR_ASYNC_EVENT_ALLOC_FD_HANDLE, 0);
	ret = uv_exec(c, &cmd);
	if (ret)
		goto err;
	c->async_fd = (int)attr->data_s64;

	ret = rdma_alloc_pd(c, &c->pd_handle);
	if (ret)
		goto err;
	c->pd_valid = true;
	return 0;

err:
	rdma_close_no_dealloc(c);
	return ret;
}

int rdma_alloc_pd(struct rdma_ctx *c, uint32_t *pd_handle)
{
	struct ib_uverbs_alloc_pd_resp resp = { 0 };
	struct ib_uverbs_alloc_pd req = { .response = (uintptr_t)&resp };
	int ret;

	ret = uv_write(c, IB_USER_VERBS_CMD_ALLOC_PD, &req, sizeof(req),
		       &resp, sizeof(resp));
	if (ret)
		return ret;
	*pd_handle = resp.pd_handle;
	return 0;
}

int rdma_dealloc_pd(struct rdma_ctx *c, uint32_t pd_handle)
{
	union uv_cmd cmd;
	int ret;

	uv_init(&cmd, UVERBS_OBJECT_PD, UVERBS_METHOD_PD_DESTROY);
	uv_idr(&cmd, UVERBS_ATTR_DESTROY_PD_HANDLE, pd_handle);
	ret = uv_exec(c, &cmd);
	if (!ret && c->pd_valid && pd_handle == c->pd_handle)
		c->pd_valid = false;
	return ret;
}

int rdma_reg_mr(struct rdma_ctx *c, void *addr, uint64_t length,
		uint64_t iova, uint32_t access, uint32_t *handle, uint32_t *lkey,
		uint32_t *rkey)
{
	struct ib_uverbs_reg_mr_resp resp = { 0 };
	struct ib_uverbs_reg_mr req = {
		.response = (uintptr_t)&resp,
		.start = (uintptr_t)addr,
		.length = length,
		.hca_va = iova,
		.pd_handle = c->pd_handle,
		.access_flags = access,
	};
	int ret;

	ret = uv_write(c, IB_USER_VERBS_CMD_REG_MR, &req, sizeof(req), &resp,
		       sizeof(resp));
	if (ret)
		return ret;
	if (handle)
		*handle = resp.mr_handle;
	if (lkey)
		*lkey = resp.lkey;
	if (rkey)
		*rkey = resp.rkey;
	return 0;
}

int rdma_reg_dmabuf_mr_pd(struct rdma_ctx *c, uint32_t pd_handle,
			  uint64_t offset, uint64_t length, uint64_t iova,
			  int fd, uint32_t access, uint32_t *handle,
			  uint32_t *lkey, uint32_t *rkey)
{
	struct ib_uverbs_attr *mr;
	uint32_t lk = 0, rk = 0;
	union uv_cmd cmd;
	int ret;

	uv_init(&cmd, UVERBS_OBJECT_MR, UVERBS_METHOD_REG_DMABUF_MR);
	mr = uv_idr(&cmd, UVERBS_ATTR_REG_DMABUF_MR_HANDLE, 0);
	uv_out(&cmd, UVERBS_ATTR_REG_DMABUF_MR_RESP_LKEY, &lk, sizeof(lk));
	uv_out(&cmd, UVERBS_ATTR_REG_DMABUF_MR_RESP_RKEY, &rk, sizeof(rk));
	uv_idr(&cmd, UVERBS_ATTR_REG_DMABUF_MR_PD_HANDLE, pd_handle);
	uv_in_u64(&cmd, UVERBS_ATTR_REG_DMABUF_MR_OFFSET, offset);
	uv_in_u64(&cmd, UVERBS_ATTR_REG_DMABUF_MR_LENGTH, length);
	uv_in_u64(&cmd, UVERBS_ATTR_REG_DMABUF_MR_IOVA, iova);
	uv_in_u32(&cmd, UVERBS_ATTR_REG_DMABUF_MR_FD, (uint32_t)fd);
	uv_in_u32(&cmd, UVERBS_ATTR_REG_DMABUF_MR_ACCESS_FLAGS, access);
	ret = uv_exec(c, &cmd);
	if (ret)
		return ret;
	if (handle)
		*handle = (uint32_t)mr->data;
	if (lkey)
		*lkey = lk;
	if (rkey)
		*rkey = rk;
	return 0;
}

int rdma_reg_dmabuf_mr(struct rdma_ctx *c, uint64_t offset, uint64_t length,
		       uint64_t iova, int fd, uint32_t access,
		       uint32_t *handle, uint32_t *lkey, uint32_t *rkey)
{
	return rdma_reg_dmabuf_mr_pd(c, c->pd_handle, offset, length, iova, fd,
				     access, handle, lkey, rkey);
}

int rdma_dereg_mr(struct rdma_ctx *c, uint32_t handle)
{
	union uv_cmd cmd;

	uv_init(&cmd, UVERBS_OBJECT_MR, UVERBS_METHOD_MR_DESTROY);
	uv_idr(&cmd, UVERBS_ATTR_DESTROY_MR_HANDLE, handle);
	return uv_exec(c, &cmd);
}

int rdma_query_device(struct rdma_ctx *c,
		      struct ib_uverbs_query_device_resp *resp)
{
	struct ib_uverbs_query_device req = { .response = (uintptr_t)resp };

	memset(resp, 0, sizeof(*resp));
	return uv_write(c, IB_USER_VERBS_CMD_QUERY_DEVICE, &req, sizeof(req),
			resp, sizeof(*resp));
}

void rdma_close_no_dealloc(struct rdma_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->async_fd >= 0)
		close(c->async_fd);
	c->fd = -1;
	c->async_fd = -1;
	c->pd_valid = false;
}

void rdma_close(struct rdma_ctx *c)
{
	if (c->pd_valid && c->fd >= 0)
		rdma_dealloc_pd(c, c->pd_handle);
	rdma_close_no_dealloc(c);
}

int edu_rdma_ctl_create(int ctl, uint32_t edu_bdf, uint32_t flags,
			uint32_t *index)
{
	struct edu_rdma_create arg = { .edu_bdf = edu_bdf, .flags = flags };

	if (ioctl(ctl, EDU_RDMA_CREATE, &arg))
		return neg_errno();
	if (index)
		*index = arg.index;
	return 0;
}

int edu_rdma_create_flags(int *ctl_fd, uint32_t edu_bdf, uint32_t flags,
			  char *ibdev, size_t len)
{
	uint32_t index;
	int fd, ret;

	fd = open(EDU_RDMA_CTL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	ret = edu_rdma_ctl_create(fd, edu_bdf, flags, &index);
	if (!ret && ibdev &&
	    (size_t)snprintf(ibdev, len, "edu_rdma%u", index) >= len)
		ret = -ENAMETOOLONG;
	if (ret) {
		close(fd);
		return ret;
	}
	*ctl_fd = fd;
	return 0;
}

int edu_rdma_create(int *ctl_fd, uint32_t edu_bdf, char *ibdev, size_t len)
{
	return edu_rdma_create_flags(ctl_fd, edu_bdf, 0, ibdev, len);
}

int edu_rdma_xfer(int ctl, uint32_t lkey, uint32_t dir, uint64_t addr,
		  void *data, uint64_t len)
{
	struct edu_rdma_xfer arg = {
		.lkey = lkey,
		.dir = dir,
		.addr = addr,
		.data = (uintptr_t)data,
		.len = len,
	};

	if (ioctl(ctl, EDU_RDMA_XFER, &arg))
		return neg_errno();
	return 0;
}

int edu_rdma_mr_query(int ctl, struct edu_rdma_mr_query *q)
{
	if (ioctl(ctl, EDU_RDMA_MR_QUERY, q))
		return neg_errno();
	return 0;
}
