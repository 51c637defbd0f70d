// SPDX-License-Identifier: GPL-2.0
/*
 * P2P the old way, on stock 6.12: a VFIO type1 container maps the BAR of
 * QEMU's ivshmem (mmap'd from VFIO, VM_PFNMAP) at an IOVA, and edu's DMA
 * engine reaches it through the IOMMU. ivshmem's BAR2 is a file on the
 * host, so the runner checks the bytes there after the machine stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define RAM_IOVA	0x100000ULL
#define BAR_IOVA	0x4000000ULL

FIXTURE(type1) {
	int container;
	int groups[2];
	int edu_fd;
	int iv_fd;
	char edu_bdf[32];
	char iv_bdf[32];
	struct edu edu;
	uint8_t *bar;
	size_t bar_size;
	uint8_t *ram;
	size_t ram_size;
};

static int group_open(struct __test_metadata *_metadata, int container,
		      const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(bdf));
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		TH_LOG("group of %s is not viable", bdf);
		close(fd);
		return -EPERM;
	}
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &container)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int type1_map(int container, void *va, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

FIXTURE_SETUP(type1)
{
	self->groups[0] = -1;
	self->groups[1] = -1;
	ASSERT_EQ(0, pci_find(EDU_VENDOR, EDU_DEVICE, self->edu_bdf,
			      sizeof(self->edu_bdf)));
	ASSERT_EQ(0, pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, self->iv_bdf,
			      sizeof(self->iv_bdf)));
	ASSERT_EQ(0, pci_bind_vfio(self->edu_bdf));
	ASSERT_EQ(0, pci_bind_vfio(self->iv_bdf));

	self->container = open("/dev/vfio/vfio", O_RDWR);
	ASSERT_LE(0, self->container);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));

	self->groups[0] = group_open(_metadata, self->container, self->edu_bdf);
	ASSERT_LE(0, self->groups[0]);
	if (pci_iommu_group(self->iv_bdf) != pci_iommu_group(self->edu_bdf)) {
		self->groups[1] = group_open(_metadata, self->container, self->iv_bdf);
		ASSERT_LE(0, self->groups[1]);
	}
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));

	self->edu_fd = ioctl(self->groups[0], VFIO_GROUP_GET_DEVICE_FD, self->edu_bdf);
	ASSERT_LE(0, self->edu_fd);
	self->iv_fd = ioctl(self->groups[1] >= 0 ? self->groups[1] : self->groups[0],
			    VFIO_GROUP_GET_DEVICE_FD, self->iv_bdf);
	ASSERT_LE(0, self->iv_fd);

	ASSERT_EQ(0, edu_init(&self->edu, self->edu_fd));
	ASSERT_EQ(0, vfio_enable_dma(self->iv_fd));
	self->bar = vfio_mmap_region(self->iv_fd, IVSHMEM_BAR, &self->bar_size);
	ASSERT_NE(NULL, self->bar);
	ASSERT_GT(EDU_IOVA_LIMIT, BAR_IOVA + self->bar_size);

	self->ram_size = 2 * getpagesize();
	self->ram = mmap(NULL, self->ram_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	memset(self->ram, 0, self->ram_size);

	ASSERT_EQ(0, type1_map(self->container, self->ram, RAM_IOVA, self->ram_size));
	/* The old way: type1 follows the PFNMAP of the BAR mmap. */
	ASSERT_EQ(0, type1_map(self->container, self->bar, BAR_IOVA, self->bar_size));
	demo_say("edu %s (IOMMU group %d) and ivshmem %s (IOMMU group %d) in one type1 container",
		 self->edu_bdf, pci_iommu_group(self->edu_bdf), self->iv_bdf,
		 pci_iommu_group(self->iv_bdf));
	demo_say("IOVA %#llx: %zu bytes of RAM; IOVA %#llx: ivshmem BAR2 (%zu MiB, VFIO mmap)",
		 RAM_IOVA, self->ram_size, BAR_IOVA, self->bar_size >> 20);
}

FIXTURE_TEARDOWN(type1)
{
	edu_fini(&self->edu);
	if (self->bar)
		munmap(self->bar, self->bar_size);
	if (self->ram && self->ram != MAP_FAILED)
		munmap(self->ram, self->ram_size);
	if (self->iv_fd >= 0)
		close(self->iv_fd);
	if (self->edu_fd >= 0)
		close(self->edu_fd);
	if (self->groups[1] >= 0)
		close(self->groups[1]);
	if (self->groups[0] >= 0)
		close(self->groups[0]);
	if (self->container >= 0)
		close(self->container);
}

/* RAM -> edu -> ivshmem BAR: the bytes arrive in the BAR and the host file. */
TEST_F(type1, edu_writes_bar)
{
	const uint64_t off = 0x3000;
	const uint32_t len = EDU_BUF_MAX;

	fill_pattern(self->ram, len, 0x5eed);
	memset(self->bar + off, 0, len + 64);
	ASSERT_EQ(0, edu_dma_from_bus(&self->edu, RAM_IOVA, 0, len));
	ASSERT_EQ(0, edu_dma_to_bus(&self->edu, 0, BAR_IOVA + off, len));
	ASSERT_EQ(0, memcmp(self->ram, self->bar + off, len));
	ASSERT_EQ(0, self->bar[off + len]);
	demo_say("edu DMA: %u bytes RAM (IOVA %#llx) -> edu buffer -> %s",
		 len, RAM_IOVA, "ivshmem BAR2");
	demo_say("         landed at BAR2+%#llx through IOVA %#llx",
		 (unsigned long long)off, BAR_IOVA + off);
	demo_say("guest check: the %u bytes read back through the BAR mmap match", len);
	rig_check("edu-wrote-bar", "ivshmem", off, self->ram, len);
}

/* ivshmem BAR -> edu -> RAM: edu reads what the CPU put into the BAR. */
TEST_F(type1, edu_reads_bar)
{
	const uint64_t off = 0x8000;
	const uint32_t len = EDU_BUF_MAX;
	uint8_t *dst = self->ram + getpagesize();

	fill_pattern(self->bar + off, len, 0xbeef);
	memset(dst, 0, getpagesize());
	ASSERT_EQ(0, edu_dma_from_bus(&self->edu, BAR_IOVA + off, 0, len));
	ASSERT_EQ(0, edu_dma_to_bus(&self->edu, 0, RAM_IOVA + getpagesize(), len));
	ASSERT_EQ(0, memcmp(self->bar + off, dst, len));
	demo_say("edu DMA: %u bytes ivshmem BAR2+%#llx (IOVA %#llx) -> edu buffer -> RAM",
		 len, (unsigned long long)off, BAR_IOVA + off);
	demo_say("guest check: RAM now holds what the CPU wrote into the BAR");
	rig_check("cpu-wrote-bar", "ivshmem", off, dst, len);
}

TEST_HARNESS_MAIN
