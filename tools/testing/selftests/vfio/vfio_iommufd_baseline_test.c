// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline of the VFIO cdev + iommufd path on the test machine, as a VMM
 * uses it: vfio-pci binds QEMU's ivshmem and edu, the cdev opens, binds
 * to iommufd and attaches to an IOAS; edu's DMA engine reaches guest RAM
 * mapped with IOMMU_IOAS_MAP; and the gap this project closes: a BAR
 * mmap'd from VFIO cannot be mapped into an IOAS (EFAULT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define RAM_IOVA	0x100000ULL
#define BAR_IOVA	0x4000000ULL

FIXTURE(vfio_dev) {
	struct vfio_pci vp;
};

FIXTURE_VARIANT(vfio_dev) {
	uint16_t vendor;
	uint16_t device;
	uint32_t bar;
	long min_bar_size;
};

FIXTURE_VARIANT_ADD(vfio_dev, edu) {
	.vendor = EDU_VENDOR,
	.device = EDU_DEVICE,
	.bar = EDU_BAR,
	.min_bar_size = 1 << 20,
};

FIXTURE_VARIANT_ADD(vfio_dev, ivshmem) {
	.vendor = IVSHMEM_VENDOR,
	.device = IVSHMEM_DEVICE,
	.bar = IVSHMEM_BAR,
	.min_bar_size = 1 << 20,
};

FIXTURE_SETUP(vfio_dev)
{
	ASSERT_EQ(0, vfio_pci_open_iommufd(&self->vp, variant->vendor,
					   variant->device));
}

FIXTURE_TEARDOWN(vfio_dev)
{
	vfio_pci_close(&self->vp);
}

TEST_F(vfio_dev, bound_to_vfio_pci)
{
	char drv[64];

	ASSERT_EQ(0, pci_driver(self->vp.bdf, drv, sizeof(drv)));
	ASSERT_STREQ("vfio-pci", drv);
	ASSERT_LE(0, pci_iommu_group(self->vp.bdf));
	ASSERT_NE(0, self->vp.devid);
}

TEST_F(vfio_dev, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->vp.fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_LE(VFIO_PCI_NUM_REGIONS, info.num_regions);
}

/* The region VFIO reports is the BAR sysfs reports, and it maps. */
TEST_F(vfio_dev, bar_region)
{
	struct vfio_region_info info;
	size_t size;
	void *p;

	ASSERT_EQ(0, vfio_region(self->vp.fd, variant->bar, &info));
	ASSERT_EQ(pci_resource_size(self->vp.bdf, variant->bar), (long)info.size);
	ASSERT_LE(variant->min_bar_size, (long)info.size);
	ASSERT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
	p = vfio_mmap_region(self->vp.fd, variant->bar, &size);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(info.size, size);
	munmap(p, size);
}

/* A device moves between IOAS's and detaches, as on VM migration. */
TEST_F(vfio_dev, attach_replace_detach)
{
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	uint32_t ioas2;

	ASSERT_EQ(0, iommufd_ioas_alloc(self->vp.iommufd, &ioas2));
	ASSERT_NE(self->vp.ioas, ioas2);
	attach.pt_id = ioas2;
	ASSERT_EQ(0, ioctl(self->vp.fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
	ASSERT_NE(ioas2, attach.pt_id);
	ASSERT_EQ(0, ioctl(self->vp.fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach));
	/* Detached, it can attach again. */
	attach.pt_id = self->vp.ioas;
	ASSERT_EQ(0, ioctl(self->vp.fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach));
}

FIXTURE(edu_dma) {
	struct vfio_pci vp;
	struct edu edu;
	uint8_t *ram;
	size_t ram_size;
};

FIXTURE_SETUP(edu_dma)
{
	ASSERT_EQ(0, vfio_pci_open_iommufd(&self->vp, EDU_VENDOR, EDU_DEVICE));
	ASSERT_EQ(0, edu_init(&self->edu, self->vp.fd));
	self->ram_size = 2 * getpagesize();
	self->ram = mmap(NULL, self->ram_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	memset(self->ram, 0, self->ram_size);
	ASSERT_EQ(0, iommufd_map(self->vp.iommufd, self->vp.ioas, self->ram,
				 self->ram_size, RAM_IOVA));
}

FIXTURE_TEARDOWN(edu_dma)
{
	edu_fini(&self->edu);
	vfio_pci_close(&self->vp);
	if (self->ram && self->ram != MAP_FAILED)
		munmap(self->ram, self->ram_size);
}

TEST_F(edu_dma, ident)
{
	ASSERT_EQ(EDU_IDENT_MAGIC, edu_ident(&self->edu) & 0xff);
}

/*
 * Copy a page of RAM through edu's buffer into a second page: every byte
 * arrives, and nothing is written past the end of the transfer.
 */
static void roundtrip(struct __test_metadata *_metadata, struct edu *edu,
		      uint8_t *ram, uint64_t iova, size_t page)
{
	uint8_t *src = ram, *dst = ram + page;
	const uint32_t len = EDU_BUF_MAX;
	size_t i;

	fill_pattern(src, len, 1);
	memset(dst, 0, page);
	ASSERT_EQ(0, edu_dma_from_bus(edu, iova, 0, len));
	ASSERT_EQ(0, edu_dma_to_bus(edu, 0, iova + page, len));
	ASSERT_EQ(0, memcmp(src, dst, len));
	for (i = len; i < page; i++)
		ASSERT_EQ(0, dst[i]);
}

TEST_F(edu_dma, ram_roundtrip)
{
	roundtrip(_metadata, &self->edu, self->ram, RAM_IOVA, getpagesize());
}

/* VMMs back guest RAM with hugetlb: edu reaches a hugepage mapping too. */
TEST_F(edu_dma, hugetlb_roundtrip)
{
	const size_t huge = 2 << 20;
	const uint64_t iova = 0x800000;
	uint8_t *p;
	int fd;

	fd = memfd_create("edu-huge", MFD_HUGETLB);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, huge));
	p = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, iommufd_map(self->vp.iommufd, self->vp.ioas, p, huge, iova));
	roundtrip(_metadata, &self->edu, p, iova, huge / 2);
	ASSERT_EQ(0, iommufd_unmap(self->vp.iommufd, self->vp.ioas, iova, huge));
	munmap(p, huge);
	close(fd);
}

/*
 * The gap: a VFIO BAR mmap is VM_IO | VM_PFNMAP, which pinning refuses,
 * so IOMMU_IOAS_MAP of it fails with EFAULT and leaves no area behind.
 */
TEST_F(edu_dma, ioas_map_bar_mmap_efault)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char bdf[32];
	size_t size;
	void *bar;
	int fd;

	ASSERT_EQ(0, pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdf, sizeof(bdf)));
	ASSERT_EQ(0, pci_bind_vfio(bdf));
	fd = vfio_cdev_open(bdf);
	ASSERT_LE(0, fd);
	bind.iommufd = self->vp.iommufd;
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind));
	bar = vfio_mmap_region(fd, IVSHMEM_BAR, &size);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(-EFAULT, iommufd_map(self->vp.iommufd, self->vp.ioas, bar,
				       size, BAR_IOVA));
	ASSERT_EQ(-ENOENT, iommufd_unmap(self->vp.iommufd, self->vp.ioas,
					 BAR_IOVA, size));
	munmap(bar, size);
	close(fd);
}

TEST_HARNESS_MAIN
