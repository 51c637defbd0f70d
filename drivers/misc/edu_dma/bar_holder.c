// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only debugfs knob that holds a PCI BAR's memory region the way a
 * driver that never binds to the device does (a firmware framebuffer's
 * driver, say): request_mem_region() of the whole BAR under the name
 * "bar_holder". A driver that then claims the BAR for itself is refused,
 * so the selftests can check that VFIO's dma-buf export claims the BAR
 * before exporting it, as its mmap() and read/write paths do.
 *
 *   /sys/kernel/debug/bar_holder/hold     write "DDDD:BB:DD.F BAR": hold the
 *                                         BAR (EBUSY if someone holds it,
 *                                         EEXIST if this knob does, EINVAL
 *                                         for an I/O port or empty BAR)
 *   /sys/kernel/debug/bar_holder/release  write the same: let it go
 *                                         (ENOENT if this knob holds none)
 */

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "test_knob.h"

struct bar_holder_region {
	struct list_head node;
	resource_size_t start;
	resource_size_t len;
};

static DEFINE_MUTEX(bar_holder_lock);
static LIST_HEAD(bar_holder_regions);	/* under bar_holder_lock */

/* Parse "DDDD:BB:DD.F BAR" into the BAR's start and length */
static int bar_holder_parse(const char __user *buf, size_t count,
			    resource_size_t *start, resource_size_t *len)
{
	struct pci_dev *pdev;
	int bar, ret = 0;

	pdev = test_knob_parse_bar(buf, count, &bar);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
	    !pci_resource_len(pdev, bar))
		ret = -EINVAL;
	*start = pci_resource_start(pdev, bar);
	*len = pci_resource_len(pdev, bar);
	pci_dev_put(pdev);
	return ret;
}

static struct bar_holder_region *bar_holder_find(resource_size_t start)
{
	struct bar_holder_region *r;

	list_for_each_entry(r, &bar_holder_regions, node)
		if (r->start == start)
			return r;
	return NULL;
}

static ssize_t bar_holder_hold_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct bar_holder_region *r;
	resource_size_t start, len;
	int ret;

	ret = bar_holder_parse(buf, count, &start, &len);
	if (ret)
		return ret;

	mutex_lock(&bar_holder_lock);
	if (bar_holder_find(start)) {
		ret = -EEXIST;
		goto out;
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	if (!request_mem_region(start, len, "bar_holder")) {
		kfree(r);
		ret = -EBUSY;
		goto out;
	}
	r->start = start;
	r->len = len;
	list_add(&r->node, &bar_holder_regions);
out:
	mutex_unlock(&bar_holder_lock);
	return ret ? ret : count;
}

static const struct file_operations bar_holder_hold_fops = {
	.owner = THIS_MODULE,
	.write = bar_holder_hold_write,
};

static ssize_t bar_holder_release_write(struct file *file,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	struct bar_holder_region *r;
	resource_size_t start, len;
	int ret;

	ret = bar_holder_parse(buf, count, &start, &len);
	if (ret)
		return ret;

	mutex_lock(&bar_holder_lock);
	r = bar_holder_find(start);
	if (r) {
		release_mem_region(r->start, r->len);
		list_del(&r->node);
		kfree(r);
	}
	mutex_unlock(&bar_holder_lock);
	return r ? count : -ENOENT;
}

static const struct file_operations bar_holder_release_fops = {
	.owner = THIS_MODULE,
	.write = bar_holder_release_write,
};

static int __init bar_holder_init(void)
{
	struct dentry *dir = debugfs_create_dir("bar_holder", NULL);

	debugfs_create_file("hold", 0200, dir, NULL, &bar_holder_hold_fops);
	debugfs_create_file("release", 0200, dir, NULL,
			    &bar_holder_release_fops);
	return 0;
}
late_initcall(bar_holder_init);
