// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the VFIO selftests; see vfio_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vfio_util.h"

#define SYSFS_PCI "/sys/bus/pci/devices"

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static int write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return 0;
}

static unsigned long sysfs_hex(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", bdf, attr);
	if (read_file(path, buf, sizeof(buf)))
		return ~0UL;
	return strtoul(buf, NULL, 16);
}

int pci_find(uint16_t vendor, uint16_t device, char *bdf, size_t len)
{
	struct dirent *de;
	DIR *dir;
	int ret = -ENODEV;

	dir = opendir(SYSFS_PCI);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		/* The lowest address wins: the root bus pair on the rig. */
		if (sysfs_hex(de->d_name, "vendor") == vendor &&
		    sysfs_hex(de->d_name, "device") == device &&
		    (ret || strcmp(de->d_name, bdf) < 0)) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
		}
	}
	closedir(dir);
	return ret;
}

int pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	snprintf(drv, len, "%s", strrchr(target, '/') + 1);
	return 0;
}

int pci_bind_driver(const char *bdf, const char *drv)
{
	char path[PATH_MAX], cur[64];
	bool none = !drv || !*drv;
	int ret;

	if (!pci_driver(bdf, cur, sizeof(cur))) {
		if (!none && !strcmp(cur, drv))
			return 0;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind", bdf);
		ret = write_file(path, bdf);
		if (ret)
			return ret;
	}
	/* A lone newline clears the override. */
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	ret = write_file(path, none ? "\n" : drv);
	if (ret || none)
		return ret;
	ret = write_file("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	if (pci_driver(bdf, cur, sizeof(cur)) || strcmp(cur, drv))
		return -ENODEV;
	return 0;
}

int pci_bind_vfio(const char *bdf)
{
	return pci_bind_driver(bdf, "vfio-pci");
}

/* "0000:00:05.0" for a device below root port 00:05.0, or on the root bus there */
static int pci_root_dev(const char *bdf, char *root, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX], *p, *end;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	/* ../../../devices/pci0000:00/0000:00:05.0/0000:01:00.0/... */
	p = strstr(target, "/pci");
	if (!p)
		return -EINVAL;
	p = strchr(p + 1, '/');
	if (!p)
		return -EINVAL;
	p++;
	end = strchr(p, '/');
	if (end)
		*end = 0;
	snprintf(root, len, "%s", p);
	return 0;
}

int pci_find_root(uint16_t vendor, uint16_t device, const char *slot,
		  char *bdf, size_t len)
{
	char root[64];
	struct dirent *de;
	size_t rl, sl = strlen(slot);
	DIR *dir;
	int ret = -ENODEV;

	dir = opendir(SYSFS_PCI);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    sysfs_hex(de->d_name, "vendor") != vendor ||
		    sysfs_hex(de->d_name, "device") != device ||
		    pci_root_dev(de->d_name, root, sizeof(root)))
			continue;
		rl = strlen(root);
		if (rl > sl && root[rl - sl - 1] == ':' &&
		    !strcmp(root + rl - sl, slot)) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

int pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	return atoi(strrchr(target, '/') + 1);
}

int pci_iommu_type(const char *bdf, char *type, size_t len)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group/type", bdf);
	ret = read_file(path, type, len);
	if (ret)
		return ret;
	type[strcspn(type, "\n")] = 0;
	return 0;
}

/* Start and end of BAR @bar from the sysfs resource file */
static int pci_resource_line(const char *bdf, int bar,
			     unsigned long long *start, unsigned long long *end,
			     unsigned long long *flags)
{
	char path[PATH_MAX], buf[4096], *line;
	int i;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource", bdf);
	if (read_file(path, buf, sizeof(buf)))
		return -ENOENT;
	line = buf;
	for (i = 0; i < bar; i++) {
		line = strchr(line, '\n');
		if (!line)
			return -ENOENT;
		line++;
	}
	if (sscanf(line, "%llx %llx %llx", start, end, flags) != 3)
		return -EINVAL;
	return 0;
}

long pci_resource_size(const char *bdf, int bar)
{
	unsigned long long start, end, flags;
	int ret;

	ret = pci_resource_line(bdf, bar, &start, &end, &flags);
	if (ret)
		return ret;
	return start || end ? (long)(end - start + 1) : 0;
}

int pci_resource_start(const char *bdf, int bar, uint64_t *start)
{
	unsigned long long s, e, flags;
	int ret;

	ret = pci_resource_line(bdf, bar, &s, &e, &flags);
	if (ret)
		return ret;
	*start = s;
	return 0;
}

bool pci_resource_is_mem(const char *bdf, int bar)
{
	unsigned long long s, e, flags;

	if (pci_resource_line(bdf, bar, &s, &e, &flags))
		return false;
	/* IORESOURCE_MEM; the upper half of a 64-bit BAR is all zeroes */
	return (flags & 0x200) && (s || e);
}

int vfio_cdev_open(const char *bdf)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd = -ENODEV;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
		fd = open(path, O_RDWR);
		if (fd < 0)
			fd = -errno;
		break;
	}
	closedir(dir);
	return fd;
}

int iommufd_ioas_alloc(int iommufd, uint32_t *ioas)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	*ioas = alloc.out_ioas_id;
	return 0;
}

int iommufd_map(int iommufd, uint32_t ioas, void *va, size_t len,
		uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		return -errno;
	return 0;
}

int iommufd_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
		return -errno;
	return 0;
}

int iommufd_unmap_len(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len,
		      uint64_t *unmapped)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap))
		return -errno;
	if (unmapped)
		*unmapped = unmap.length;
	return 0;
}

int iommufd_map_file(int iommufd, uint32_t ioas, uint32_t flags, int fd,
		     uint64_t start, uint64_t length, uint64_t *iova)
{
	struct iommu_ioas_map_file map = {
		.size = sizeof(map),
		.flags = flags,
		.ioas_id = ioas,
		.fd = fd,
		.start = start,
		.length = length,
		.iova = *iova,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &map))
		return -errno;
	*iova = map.iova;
	return 0;
}

int iommufd_copy(int iommufd, uint32_t dst_ioas, uint64_t dst_iova,
		 uint32_t src_ioas, uint64_t src_iova, uint64_t length)
{
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = dst_ioas,
		.src_ioas_id = src_ioas,
		.length = length,
		.dst_iova = dst_iova,
		.src_iova = src_iova,
	};

	if (ioctl(iommufd, IOMMU_IOAS_COPY, &copy))
		return -errno;
	return 0;
}

int vfio_pci_open_iommufd(struct vfio_pci *vp, uint16_t vendor,
			  uint16_t device)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	int ret;

	memset(vp, 0, sizeof(*vp));
	vp->fd = -1;
	vp->iommufd = -1;
	ret = pci_find(vendor, device, vp->bdf, sizeof(vp->bdf));
	if (ret)
		return ret;
	ret = pci_bind_vfio(vp->bdf);
	if (ret)
		return ret;
	vp->fd = vfio_cdev_open(vp->bdf);
	if (vp->fd < 0)
		return vp->fd;
	vp->iommufd = open("/dev/iommu", O_RDWR);
	if (vp->iommufd < 0)
		return -errno;
	bind.iommufd = vp->iommufd;
	if (ioctl(vp->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return -errno;
	vp->devid = bind.out_devid;
	ret = iommufd_ioas_alloc(vp->iommufd, &vp->ioas);
	if (ret)
		return ret;
	attach.pt_id = vp->ioas;
	if (ioctl(vp->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return -errno;
	/* Attaching to an IOAS picks (or creates) a domain: a different id. */
	if (attach.pt_id == vp->ioas)
		return -EPROTO;
	return 0;
}

void vfio_pci_close(struct vfio_pci *vp)
{
	if (vp->fd >= 0)
		close(vp->fd);
	if (vp->iommufd >= 0)
		close(vp->iommufd);
	vp->fd = -1;
	vp->iommufd = -1;
}

/* The drivers pci_save_driver() found, for pci_restore_drivers() */
#define MAX_SAVED_DRIVERS	16
static struct {
	char bdf[32];
	char drv[64];
} saved_drivers[MAX_SAVED_DRIVERS];
static unsigned int nr_saved_drivers;

int pci_save_driver(const char *bdf)
{
	unsigned int i;

	for (i = 0; i < nr_saved_drivers; i++)
		if (!strcmp(saved_drivers[i].bdf, bdf))
			return 0;
	if (nr_saved_drivers == MAX_SAVED_DRIVERS)
		return -ENOSPC;
	if (!nr_saved_drivers && atexit(pci_restore_drivers))
		return -ENOMEM;
	snprintf(saved_drivers[i].bdf, sizeof(saved_drivers[i].bdf), "%s", bdf);
	if (pci_driver(bdf, saved_drivers[i].drv, sizeof(saved_drivers[i].drv)))
		saved_drivers[i].drv[0] = 0;
	nr_saved_drivers++;
	return 0;
}

void pci_restore_drivers(void)
{
	char drv[64];
	unsigned int i;

	for (i = 0; i < nr_saved_drivers; i++) {
		if (pci_driver(saved_drivers[i].bdf, drv, sizeof(drv)))
			drv[0] = 0;
		if (strcmp(drv, saved_drivers[i].drv))
			pci_bind_driver(saved_drivers[i].bdf, saved_drivers[i].drv);
	}
}

uint32_t pci_bdf_id(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4 || dom ||
	    bus > 0xff || dev > 0x1f || fn > 7)
		return ~0U;
	return bus << 8 | dev << 3 | fn;
}

int vfio_cdev_bind(const char *bdf, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	int fd, ret;

	fd = vfio_cdev_open(bdf);
	if (fd < 0)
		return fd;
	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (devid)
		*devid = bind.out_devid;
	return fd;
}

int vfio_device_attach_pt(int fd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};

	return ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ? -errno : 0;
}

int vfio_device_detach_pt(int fd)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = sizeof(detach),
	};

	return ioctl(fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach) ? -errno : 0;
}

int proc_fd_count(void)
{
	struct dirent *de;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	/* The directory's own descriptor is not the caller's */
	return n - 1;
}

long dmabuf_fd_refs(int fd)
{
	char path[64], info[512], *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_file(path, info, sizeof(info)))
		return -1;
	p = strstr(info, "count:\t");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

int vfio_region(int fd, uint32_t index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info))
		return -errno;
	return 0;
}

void *vfio_mmap_region(int fd, uint32_t index, size_t *size)
{
	struct vfio_region_info info;
	void *p;

	if (vfio_region(fd, index, &info) ||
	    !(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || !info.size)
		return NULL;
	p = mmap(NULL, info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 info.offset);
	if (p == MAP_FAILED)
		return NULL;
	*size = info.size;
	return p;
}

static int vfio_cfg_rw(int fd, uint32_t off, void *val, size_t len, bool write)
{
	struct vfio_region_info info;
	ssize_t n;
	int ret;

	ret = vfio_region(fd, VFIO_PCI_CONFIG_REGION_INDEX, &info);
	if (ret)
		return ret;
	if (write)
		n = pwrite(fd, val, len, info.offset + off);
	else
		n = pread(fd, val, len, info.offset + off);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int vfio_cfg_read16(int fd, uint32_t off, uint16_t *val)
{
	return vfio_cfg_rw(fd, off, val, sizeof(*val), false);
}

int vfio_cfg_write16(int fd, uint32_t off, uint16_t val)
{
	return vfio_cfg_rw(fd, off, &val, sizeof(val), true);
}

int vfio_cfg_read32(int fd, uint32_t off, uint32_t *val)
{
	return vfio_cfg_rw(fd, off, val, sizeof(*val), false);
}

int vfio_find_cap(int fd, uint8_t id)
{
	uint16_t status, hdr;
	int pos, ttl = 48, ret;

	ret = vfio_cfg_read16(fd, PCI_STATUS, &status);
	if (ret)
		return ret;
	if (!(status & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	ret = vfio_cfg_read16(fd, PCI_CAPABILITY_LIST, &hdr);
	if (ret)
		return ret;
	pos = hdr & 0xfc;
	while (pos >= PCI_STD_HEADER_SIZEOF && ttl--) {
		ret = vfio_cfg_read16(fd, pos, &hdr);
		if (ret)
			return ret;
		if ((hdr & 0xff) == id)
			return pos;
		pos = (hdr >> 8) & 0xfc;
	}
	return -ENOENT;
}

int vfio_enable_dma(int fd)
{
	uint16_t cmd;
	int ret;

	ret = vfio_cfg_read16(fd, PCI_COMMAND, &cmd);
	if (ret)
		return ret;
	return vfio_cfg_write16(fd, PCI_COMMAND,
				cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

int vfio_set_mem_decode(int fd, bool on)
{
	uint16_t cmd;
	int ret;

	ret = vfio_cfg_read16(fd, PCI_COMMAND, &cmd);
	if (ret)
		return ret;
	if (on)
		cmd |= PCI_COMMAND_MEMORY;
	else
		cmd &= ~PCI_COMMAND_MEMORY;
	return vfio_cfg_write16(fd, PCI_COMMAND, cmd);
}

int vfio_dmabuf_export(int fd, uint32_t region, uint32_t open_flags,
		       const struct vfio_region_dma_range *ranges, uint32_t nr)
{
	struct vfio_device_feature_dma_buf *db;
	struct vfio_device_feature *feat;
	size_t len = sizeof(*feat) + sizeof(*db) + nr * sizeof(*ranges);
	int ret;

	feat = calloc(1, len);
	if (!feat)
		return -ENOMEM;
	feat->argsz = len;
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db = (struct vfio_device_feature_dma_buf *)feat->data;
	db->region_index = region;
	db->open_flags = open_flags;
	db->nr_ranges = nr;
	memcpy(db->dma_ranges, ranges, nr * sizeof(*ranges));
	ret = ioctl(fd, VFIO_DEVICE_FEATURE, feat);
	if (ret < 0)
		ret = -errno;
	free(feat);
	return ret;
}

/* edu registers (QEMU hw/misc/edu.c) */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_BUS		0x2

int edu_init(struct edu *edu, int vfio_fd)
{
	int ret;

	ret = vfio_enable_dma(vfio_fd);
	if (ret)
		return ret;
	edu->bar0 = vfio_mmap_region(vfio_fd, EDU_BAR, &edu->bar0_size);
	if (!edu->bar0)
		return -ENOMEM;
	return 0;
}

void edu_fini(struct edu *edu)
{
	if (edu->bar0)
		munmap((void *)edu->bar0, edu->bar0_size);
	edu->bar0 = NULL;
}

static void edu_w64(struct edu *edu, uint32_t reg, uint64_t val)
{
	*(volatile uint64_t *)(edu->bar0 + reg) = val;
}

static uint64_t edu_r64(struct edu *edu, uint32_t reg)
{
	return *(volatile uint64_t *)(edu->bar0 + reg);
}

uint32_t edu_ident(struct edu *edu)
{
	return *(volatile uint32_t *)(edu->bar0 + EDU_REG_IDENT);
}

static int edu_dma(struct edu *edu, uint64_t src, uint64_t dst, uint32_t len,
		   uint64_t cmd)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int i;

	if (!len || len > EDU_BUF_MAX)
		return -EINVAL;
	if (edu_r64(edu, EDU_REG_DMA_CMD) & EDU_DMA_RUN)
		return -EBUSY;
	edu_w64(edu, EDU_REG_DMA_SRC, src);
	edu_w64(edu, EDU_REG_DMA_DST, dst);
	edu_w64(edu, EDU_REG_DMA_COUNT, len);
	edu_w64(edu, EDU_REG_DMA_CMD, cmd | EDU_DMA_RUN);
	/* edu runs a transfer from a 100 ms timer; allow 10 s under TCG. */
	for (i = 0; i < 5000; i++) {
		if (!(edu_r64(edu, EDU_REG_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int edu_dma_from_bus(struct edu *edu, uint64_t bus, uint32_t off, uint32_t len)
{
	if (off + len > EDU_BUF_MAX || bus + len > EDU_IOVA_LIMIT)
		return -EINVAL;
	return edu_dma(edu, bus, EDU_BUF_ADDR + off, len, 0);
}

int edu_dma_to_bus(struct edu *edu, uint32_t off, uint64_t bus, uint32_t len)
{
	if (off + len > EDU_BUF_MAX || bus + len > EDU_IOVA_LIMIT)
		return -EINVAL;
	return edu_dma(edu, EDU_BUF_ADDR + off, bus, len, EDU_DMA_TO_BUS);
}

void fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
}

uint64_t fnv1a64(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void rig_check(const char *label, const char *file, uint64_t offset,
	       const void *buf, size_t len)
{
	printf("RIG-CHECK %s file=%s offset=%#llx length=%zu fnv1a64=%016llx\n",
	       label, file, (unsigned long long)offset, len,
	       (unsigned long long)fnv1a64(buf, len));
	fflush(stdout);
}

void demo_say(const char *fmt, ...)
{
	va_list ap;

	printf("# demo: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
	return fd;
}

long pins_held(void)
{
	long acquired = -1, released = -1, v;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	char name[64];
	FILE *f;

	if (fd < 0)
		return LONG_MIN;
	v = write(fd, "1", 1);
	close(fd);
	if (v != 1)
		return LONG_MIN;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return LONG_MIN;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? LONG_MIN : acquired - released;
}

bool plan_epyc(void)
{
	static int epyc = -1;
	int family = -1, amd = -1;
	char line[256], *p;
	FILE *f;

	if (epyc >= 0)
		return epyc;
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f) && (amd < 0 || family < 0)) {
		p = strchr(line, ':');
		if (!p)
			continue;
		if (!strncmp(line, "vendor_id", 9))
			amd = !!strstr(p, "AuthenticAMD");
		else if (!strncmp(line, "cpu family", 10))
			family = atoi(p + 1);
	}
	if (f)
		fclose(f);
	epyc = amd > 0 && family >= 0x17;
	return epyc;
}

unsigned long fd_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/*
 * bufinfo (drivers/dma-buf/dma-buf.c, dma_buf_debug_show()): per buffer a
 * line "size flags mode count exp_name ino name", its fences, then
 * "\tAttached Devices:", a "\t<device>" line per attachment and
 * "Total N devices attached"; at the end "Total N objects, M bytes".
 */
int dmabuf_bufinfo(unsigned long ino, struct dmabuf_info *bi)
{
	static char text[1 << 17];
	char *line, *next, name[64];
	unsigned long size, i;
	unsigned int fl, mode;
	bool mine = false, devs = false;
	size_t len = 0;
	ssize_t n;
	long count;
	int fd, nd = 0;

	memset(bi, 0, sizeof(*bi));
	bi->objects = -1;
	fd = open(DMABUF_BUFINFO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -EIO;
	text[len] = 0;

	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%lu\t%x\t%x\t%ld\t%63s\t%lu", &size, &fl,
			   &mode, &count, name, &i) == 6) {
			mine = ino && i == ino;
			devs = false;
			if (mine) {
				bi->found = true;
				bi->refs = count;
				snprintf(bi->exp_name, sizeof(bi->exp_name),
					 "%s", name);
			}
		} else if (!strcmp(line, "\tAttached Devices:")) {
			devs = mine;
		} else if (!strncmp(line, "Total ", 6) &&
			   strstr(line, "devices attached")) {
			if (mine && sscanf(line, "Total %d", &bi->attached) != 1)
				return -EINVAL;
			mine = false;
			devs = false;
		} else if (!strncmp(line, "Total ", 6) &&
			   strstr(line, "objects,")) {
			if (sscanf(line, "Total %d", &bi->objects) != 1)
				return -EINVAL;
		} else if (devs && line[0] == '\t' && nd < DMABUF_INFO_DEVS) {
			snprintf(bi->devs[nd++], sizeof(bi->devs[0]), "%s",
				 line + 1);
		}
	}
	return bi->objects >= 0 ? 0 : -EINVAL;
}
