// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_dma: a test importer built on QEMU's edu device (PCI 1234:11e8).
 *
 * edu has a DMA engine programmed through BAR0: source, destination and
 * count registers, and a command register whose bit 0 starts a transfer
 * and reads back as 0 when it is done. One end of a transfer is edu's
 * 4 KiB buffer (device address 0x40000), the other any DMA address: RAM,
 * or another device's BAR when the test maps it for peer-to-peer DMA.
 * edu applies its DMA mask by silently clearing the upper address bits,
 * so this driver refuses any address above the mask instead.
 *
 * The in-kernel interface (edu_dma.h) is what tests use: take a device,
 * run transfers, put it back.
 */

#include <linux/dma-mapping.h>
#include <linux/iopoll.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/wait.h>

#include "edu_dma.h"

#define EDU_REG_IDENT		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_BUS		BIT(1)
#define EDU_IDENT_MAGIC		0xed
#define EDU_BUF_ADDR		0x40000
/* A transfer takes 100 ms of virtual time; be patient under emulation. */
#define EDU_DMA_TIMEOUT_US	(10 * USEC_PER_SEC)

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA address width of the edu device (QEMU's dma_mask property), 28 to 64");

struct edu_dma {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct mutex lock;		/* one transfer at a time */
	struct mutex buf_lock;		/* see edu_dma_buf_lock() */
	bool dead;			/* a transfer timed out; under lock */
	struct list_head node;		/* on edu_dma_list */
	unsigned int users;		/* under edu_dma_list_lock */
	wait_queue_head_t idle;		/* users reached 0 */
};

static LIST_HEAD(edu_dma_list);
static DEFINE_MUTEX(edu_dma_list_lock);

/**
 * edu_dma_get - take the first edu device bound to this driver
 *
 * Return: the device, held until edu_dma_put(), or NULL if there is none.
 */
struct edu_dma *edu_dma_get(void)
{
	struct edu_dma *edu;

	mutex_lock(&edu_dma_list_lock);
	edu = list_first_entry_or_null(&edu_dma_list, struct edu_dma, node);
	if (edu)
		edu->users++;
	mutex_unlock(&edu_dma_list_lock);
	return edu;
}
EXPORT_SYMBOL_GPL(edu_dma_get);

/**
 * edu_dma_get_pci - take the edu device of a PCI function
 * @pdev: the PCI function
 *
 * Return: the device, held until edu_dma_put(), or NULL if @pdev is not
 * bound to this driver.
 */
struct edu_dma *edu_dma_get_pci(struct pci_dev *pdev)
{
	struct edu_dma *edu, *found = NULL;

	mutex_lock(&edu_dma_list_lock);
	list_for_each_entry(edu, &edu_dma_list, node) {
		if (edu->pdev == pdev) {
			found = edu;
			found->users++;
			break;
		}
	}
	mutex_unlock(&edu_dma_list_lock);
	return found;
}
EXPORT_SYMBOL_GPL(edu_dma_get_pci);

/**
 * edu_dma_put - release a device taken with edu_dma_get() or edu_dma_get_pci()
 * @edu: the device
 */
void edu_dma_put(struct edu_dma *edu)
{
	mutex_lock(&edu_dma_list_lock);
	if (!--edu->users)
		wake_up(&edu->idle);
	mutex_unlock(&edu_dma_list_lock);
}
EXPORT_SYMBOL_GPL(edu_dma_put);

/**
 * edu_dma_dev - the struct device to map DMA addresses for
 * @edu: the device
 *
 * Return: the PCI function's struct device.
 */
struct device *edu_dma_dev(struct edu_dma *edu)
{
	return &edu->pdev->dev;
}
EXPORT_SYMBOL_GPL(edu_dma_dev);

static int edu_dma_run(struct edu_dma *edu, u64 src, u64 dst, u32 len,
		       u64 cmd)
{
	u64 val;
	int ret;

	mutex_lock(&edu->lock);
	if (edu->dead) {
		mutex_unlock(&edu->lock);
		return -EIO;
	}
	writeq(src, edu->mmio + EDU_REG_DMA_SRC);
	writeq(dst, edu->mmio + EDU_REG_DMA_DST);
	writeq(len, edu->mmio + EDU_REG_DMA_COUNT);
	writeq(cmd | EDU_DMA_RUN, edu->mmio + EDU_REG_DMA_CMD);
	ret = readq_poll_timeout(edu->mmio + EDU_REG_DMA_CMD, val,
				 !(val & EDU_DMA_RUN), 1000, EDU_DMA_TIMEOUT_US);
	if (ret) {
		/*
		 * The engine may still be running: stop it from reaching memory
		 * the caller is about to release, and take the device out of use.
		 */
		pci_clear_master(edu->pdev);
		edu->dead = true;
		pci_err(edu->pdev, "DMA of %u bytes did not finish; device disabled\n",
			len);
	}
	mutex_unlock(&edu->lock);
	return ret;
}

static int edu_dma_check(struct edu_dma *edu, dma_addr_t addr, u32 off,
			 u32 len)
{
	if (!len || len > EDU_DMA_MAX_LEN || off > EDU_DMA_MAX_LEN - len)
		return -EINVAL;
	if (addr > dma_get_mask(&edu->pdev->dev) - (len - 1))
		return -ERANGE;
	return 0;
}

/**
 * edu_dma_from_bus - copy from a DMA address into edu's buffer
 * @edu: the device
 * @addr: DMA address mapped for edu_dma_dev() (readable by the device)
 * @off: offset in edu's buffer
 * @len: bytes, 1 to %EDU_DMA_MAX_LEN; @off + @len at most %EDU_DMA_MAX_LEN
 *
 * Return: 0 when the transfer finished, -EINVAL for a bad length or
 * offset, -ERANGE when @addr is beyond the device's DMA mask, -ETIMEDOUT
 * when it did not finish (bus mastering is then turned off and every later
 * transfer fails with -EIO).
 */
int edu_dma_from_bus(struct edu_dma *edu, dma_addr_t addr, u32 off, u32 len)
{
	int ret = edu_dma_check(edu, addr, off, len);

	if (ret)
		return ret;
	return edu_dma_run(edu, addr, EDU_BUF_ADDR + off, len, 0);
}
EXPORT_SYMBOL_GPL(edu_dma_from_bus);

/**
 * edu_dma_to_bus - copy from edu's buffer to a DMA address
 * @edu: the device
 * @off: offset in edu's buffer
 * @addr: DMA address mapped for edu_dma_dev() (writable by the device)
 * @len: bytes, 1 to %EDU_DMA_MAX_LEN; @off + @len at most %EDU_DMA_MAX_LEN
 *
 * Return: as edu_dma_from_bus().
 */
int edu_dma_to_bus(struct edu_dma *edu, u32 off, dma_addr_t addr, u32 len)
{
	int ret = edu_dma_check(edu, addr, off, len);

	if (ret)
		return ret;
	return edu_dma_run(edu, EDU_BUF_ADDR + off, addr, len, EDU_DMA_TO_BUS);
}
EXPORT_SYMBOL_GPL(edu_dma_to_bus);

/**
 * edu_dma_buf_lock - take edu's buffer for a transfer staged through it
 * @edu: the device
 *
 * edu's 4 KiB buffer is one: a user that loads bytes into it with one
 * transfer and moves them on with another must hold it across both, or
 * another user's bytes may be what it moves on.
 */
void edu_dma_buf_lock(struct edu_dma *edu)
{
	mutex_lock(&edu->buf_lock);
}
EXPORT_SYMBOL_GPL(edu_dma_buf_lock);

/**
 * edu_dma_buf_unlock - give back what edu_dma_buf_lock() took
 * @edu: the device
 */
void edu_dma_buf_unlock(struct edu_dma *edu)
{
	mutex_unlock(&edu->buf_lock);
}
EXPORT_SYMBOL_GPL(edu_dma_buf_unlock);

static int edu_dma_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dma *edu;
	u32 ident;
	int ret;

	if (dma_bits < 28 || dma_bits > 64)
		return -EINVAL;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);
	mutex_init(&edu->buf_lock);
	init_waitqueue_head(&edu->idle);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_region(pdev, 0, KBUILD_MODNAME);
	if (IS_ERR(edu->mmio))
		return PTR_ERR(edu->mmio);

	ident = readl(edu->mmio + EDU_REG_IDENT);
	if ((ident & 0xff) != EDU_IDENT_MAGIC) {
		pci_err(pdev, "not an edu device (ident %#x)\n", ident);
		return -ENODEV;
	}

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return ret;
	pci_set_master(pdev);
	pci_set_drvdata(pdev, edu);

	mutex_lock(&edu_dma_list_lock);
	list_add_tail(&edu->node, &edu_dma_list);
	mutex_unlock(&edu_dma_list_lock);
	pci_info(pdev, "edu %u.%u, %u-bit DMA\n", ident >> 24,
		 (ident >> 16) & 0xff, dma_bits);
	return 0;
}

static bool edu_dma_idle(struct edu_dma *edu)
{
	bool idle;

	mutex_lock(&edu_dma_list_lock);
	idle = !edu->users;
	mutex_unlock(&edu_dma_list_lock);
	return idle;
}

static void edu_dma_remove(struct pci_dev *pdev)
{
	struct edu_dma *edu = pci_get_drvdata(pdev);

	mutex_lock(&edu_dma_list_lock);
	list_del(&edu->node);
	mutex_unlock(&edu_dma_list_lock);
	wait_event(edu->idle, edu_dma_idle(edu));
	pci_clear_master(pdev);
	mutex_destroy(&edu->lock);
}

static const struct pci_device_id edu_dma_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_dma_ids);

static struct pci_driver edu_dma_driver = {
	.name = "edu_dma",
	.id_table = edu_dma_ids,
	.probe = edu_dma_probe,
	.remove = edu_dma_remove,
};
module_pci_driver(edu_dma_driver);

MODULE_DESCRIPTION("Test importer driving QEMU's edu DMA engine");
MODULE_LICENSE("GPL");
