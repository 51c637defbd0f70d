// SPDX-License-Identifier: GPL-2.0
/*
 * The ZONE_DEVICE p2pmem allocator keeps working on top of the P2P
 * provider: QEMU's nvme with a controller memory buffer (cmb_size_mb=16)
 * registers the CMB as p2pmem, publishes it, and the nvme driver
 * allocates its submission queues from it. User space can allocate from
 * it too, through the p2pmem "allocate" file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define NVME_VENDOR	0x1b36
#define NVME_DEVICE	0x0010
#define CMB_SIZE	(16UL << 20)

static long p2pmem_attr(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/%s", bdf, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return strtol(buf, NULL, 0);
}

FIXTURE(cmb) {
	char bdf[32];
};

FIXTURE_SETUP(cmb)
{
	char drv[64];

	ASSERT_EQ(0, pci_find(NVME_VENDOR, NVME_DEVICE, self->bdf, sizeof(self->bdf)));
	ASSERT_EQ(0, pci_driver(self->bdf, drv, sizeof(drv)));
	ASSERT_STREQ("nvme", drv);
}

FIXTURE_TEARDOWN(cmb)
{
}

TEST_F(cmb, registered_and_published)
{
	ASSERT_EQ(CMB_SIZE, p2pmem_attr(self->bdf, "size"));
	ASSERT_EQ(1, p2pmem_attr(self->bdf, "published"));
}

/* The nvme driver put its submission queues into the CMB. */
TEST_F(cmb, used_by_nvme)
{
	long avail = p2pmem_attr(self->bdf, "available");

	ASSERT_LE(0, avail);
	ASSERT_GT(CMB_SIZE, avail);
}

/* p2pmem pages mapped into user space hold data, and go back on unmap. */
TEST_F(cmb, allocate_mmap)
{
	const size_t len = 2 * getpagesize();
	long before = p2pmem_attr(self->bdf, "available");
	char path[PATH_MAX];
	uint8_t *p, want[256];
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 self->bdf);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(before - (long)len, p2pmem_attr(self->bdf, "available"));
	fill_pattern(want, sizeof(want), 42);
	memcpy(p + len - sizeof(want), want, sizeof(want));
	ASSERT_EQ(0, memcmp(p + len - sizeof(want), want, sizeof(want)));
	munmap(p, len);
	close(fd);
	ASSERT_EQ(before, p2pmem_attr(self->bdf, "available"));
}

TEST_HARNESS_MAIN
