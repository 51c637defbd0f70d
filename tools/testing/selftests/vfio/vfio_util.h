/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the VFIO selftests: find the test machine's PCI devices,
 * bind them to vfio-pci, open them through the VFIO cdev or a type1
 * container, map memory through iommufd, and drive QEMU's edu DMA engine
 * from user space through its BAR0.
 *
 * Functions return 0 or a negative errno; they never exit, so a test
 * can assert on the exact error.
 */
#ifndef SELFTESTS_VFIO_UTIL_H
#define SELFTESTS_VFIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110
#define IVSHMEM_BAR		VFIO_PCI_BAR2_REGION_INDEX
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR			VFIO_PCI_BAR0_REGION_INDEX

/* edu: identification register, and its DMA buffer in device space. */
#define EDU_REG_IDENT		0x00
#define EDU_IDENT_MAGIC		0xed
#define EDU_BUF_ADDR		0x40000
/* QEMU 7.2 aborts on a transfer that reaches the buffer's last byte. */
#define EDU_BUF_MAX		2048
/* edu's DMA mask is 28 bits: every IOVA it uses must stay below this. */
#define EDU_IOVA_LIMIT		(1ULL << 28)

struct vfio_pci {
	char bdf[32];
	int fd;			/* VFIO device fd */
	int iommufd;		/* cdev path only, else -1 */
	uint32_t devid;
	uint32_t ioas;
};

/* sysfs; pci_find() returns the lowest address of that vendor and device */
int pci_find(uint16_t vendor, uint16_t device, char *bdf, size_t len);
int pci_driver(const char *bdf, char *drv, size_t len);
int pci_bind_vfio(const char *bdf);
/*
 * Bind @bdf to driver @drv (unbinding it from its current one first), or
 * with @drv NULL or "" leave it without a driver; driver_override keeps
 * @drv so no other driver takes the device.
 */
int pci_bind_driver(const char *bdf, const char *drv);
/*
 * The device of that vendor and device whose root slot is @slot ("05.0"):
 * its own slot on the root bus, or that of the root port above it.
 */
int pci_find_root(uint16_t vendor, uint16_t device, const char *slot,
		  char *bdf, size_t len);
int pci_iommu_group(const char *bdf);
/* The default domain type of the device's IOMMU group ("DMA", "identity") */
int pci_iommu_type(const char *bdf, char *type, size_t len);
long pci_resource_size(const char *bdf, int bar);
/* CPU physical address of a BAR (0 when unimplemented) */
int pci_resource_start(const char *bdf, int bar, uint64_t *start);
/* Is the BAR an implemented memory BAR? */
bool pci_resource_is_mem(const char *bdf, int bar);

/* VFIO cdev + iommufd, the way QEMU and cloud-hypervisor use it */
int vfio_cdev_open(const char *bdf);
int vfio_pci_open_iommufd(struct vfio_pci *vp, uint16_t vendor,
			  uint16_t device);
void vfio_pci_close(struct vfio_pci *vp);
int iommufd_ioas_alloc(int iommufd, uint32_t *ioas);
int iommufd_map(int iommufd, uint32_t ioas, void *va, size_t len,
		uint64_t iova);
int iommufd_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len);
/*
 * IOMMU_IOAS_UNMAP, telling in @unmapped (when not NULL) how many bytes
 * went; @iova 0 with @len UINT64_MAX unmaps everything (0 bytes: success).
 */
int iommufd_unmap_len(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len,
		      uint64_t *unmapped);
/*
 * IOMMU_IOAS_MAP_FILE: @length bytes of file @fd from byte @start. With
 * IOMMU_IOAS_MAP_FIXED_IOVA in @flags they go at *@iova; without it the
 * kernel picks the IOVA and *@iova tells where.
 */
int iommufd_map_file(int iommufd, uint32_t ioas, uint32_t flags, int fd,
		     uint64_t start, uint64_t length, uint64_t *iova);
/* IOMMU_IOAS_COPY, readable and writeable, to a fixed IOVA */
int iommufd_copy(int iommufd, uint32_t dst_ioas, uint64_t dst_iova,
		 uint32_t src_ioas, uint64_t src_iova, uint64_t length);

/*
 * Drivers to put back at exit: pci_save_driver() records the driver @bdf
 * has now (none included) the first time it is called for @bdf, and
 * registers pci_restore_drivers() with atexit() on its first call. Call it
 * in the parent (a constructor), before any test rebinds the device: the
 * harness's test processes end with _exit(), so only the parent restores.
 */
int pci_save_driver(const char *bdf);
void pci_restore_drivers(void);
/* bus << 8 | devfn of "0000:05:00.0" (domain 0), ~0 when malformed */
uint32_t pci_bdf_id(const char *bdf);

/*
 * Open @bdf's VFIO cdev and bind it to @iommufd (VFIO_DEVICE_BIND_IOMMUFD):
 * the device fd, or -errno (nothing left open).
 */
int vfio_cdev_bind(const char *bdf, int iommufd, uint32_t *devid);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT / VFIO_DEVICE_DETACH_IOMMUFD_PT */
int vfio_device_attach_pt(int fd, uint32_t pt_id);
int vfio_device_detach_pt(int fd);

/* Open descriptors of this process (/proc/self/fd), or -errno */
int proc_fd_count(void);
/* The lowest free descriptor: what the next open() returns */
int next_fd(void);
/*
 * FOLL_PIN pins held in the system: acquired minus released (vmstat),
 * once stat_refresh has folded the per-CPU counts in; LONG_MIN on error
 */
long pins_held(void);
/* References to the dma-buf file behind @fd (its fdinfo "count:"), or -1 */
long dmabuf_fd_refs(int fd);

/* VFIO device regions */
int vfio_region(int fd, uint32_t index, struct vfio_region_info *info);
void *vfio_mmap_region(int fd, uint32_t index, size_t *size);
int vfio_cfg_read16(int fd, uint32_t off, uint16_t *val);
int vfio_cfg_write16(int fd, uint32_t off, uint16_t val);
int vfio_cfg_read32(int fd, uint32_t off, uint32_t *val);
/* Config offset of capability @id in VFIO's view of the device, or -ENOENT */
int vfio_find_cap(int fd, uint8_t id);
int vfio_enable_dma(int fd);
/* Set or clear PCI_COMMAND_MEMORY (VFIO revokes a BAR's dma-bufs while off) */
int vfio_set_mem_decode(int fd, bool on);
/* VFIO_DEVICE_FEATURE_DMA_BUF of @nr slices of @region: a dma-buf fd or -errno */
int vfio_dmabuf_export(int fd, uint32_t region, uint32_t open_flags,
		       const struct vfio_region_dma_range *ranges, uint32_t nr);

/* edu's DMA engine */
struct edu {
	volatile uint8_t *bar0;
	size_t bar0_size;
};

int edu_init(struct edu *edu, int vfio_fd);
void edu_fini(struct edu *edu);
uint32_t edu_ident(struct edu *edu);
/* Copy @len bytes from bus address @bus into edu's buffer at @off. */
int edu_dma_from_bus(struct edu *edu, uint64_t bus, uint32_t off, uint32_t len);
/* Copy @len bytes from edu's buffer at @off to bus address @bus. */
int edu_dma_to_bus(struct edu *edu, uint32_t off, uint64_t bus, uint32_t len);

/*
 * The epyc plan boots -cpu EPYC: an AMD Zen CPU (family 0x17), for which
 * 6.12 allows P2P through the host bridge, just as cpu_supports_p2pdma()
 * decides. The q35 plan's TCG "max" CPU says AuthenticAMD too, but with
 * family 0xf: the vendor alone does not tell the plans apart.
 */
bool plan_epyc(void);

/* Test data and host-side checks */
void fill_pattern(void *buf, size_t len, uint32_t seed);
uint64_t fnv1a64(const void *buf, size_t len);
/*
 * Ask the runner to check, after the machine stops, that @len bytes at
 * @offset of host file @file (see rig/topologies.py) equal @buf.
 */
void rig_check(const char *label, const char *file, uint64_t offset,
	       const void *buf, size_t len);
/* One line of the demo's story (rig/vm.py demo prints them). */
void demo_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define DMABUF_BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define DMABUF_INFO_DEVS	4

/**
 * struct dmabuf_info - what debugfs bufinfo says
 * @objects: dma-bufs in the system
 * @found: the buffer asked about exists
 * @refs: its file references
 * @attached: its attachments
 * @exp_name: its exporter
 * @devs: the devices of its first attachments
 */
struct dmabuf_info {
	int objects;
	bool found;
	long refs;
	int attached;
	char exp_name[64];
	char devs[DMABUF_INFO_DEVS][32];
};

/*
 * Read DMABUF_BUFINFO, and the buffer whose inode is @ino (0: none): 0, or
 * -errno (-ENOENT when debugfs is not mounted, -EINVAL when unparsable).
 */
int dmabuf_bufinfo(unsigned long ino, struct dmabuf_info *bi);
/* The inode number of the file behind @fd (a dma-buf's is its bufinfo ino), 0 on error */
unsigned long fd_inode(int fd);

#endif
