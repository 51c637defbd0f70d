// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only debugfs knobs for the memory benchmarks of the test machine.
 *
 * The benchmarks compare the kernel memory a dma-buf export of a BAR takes
 * with what the older way of doing P2P, pci_p2pdma_add_resource(), takes
 * for the same BAR: a struct page for every page of it. Both are measured
 * the same way, as pages gone from the page allocator (slab included),
 * with the per-CPU page lists drained and the per-CPU counters folded in:
 *
 *   /sys/kernel/debug/mem_cost/mark   write: remember the free memory now
 *   /sys/kernel/debug/mem_cost/used   read: bytes taken since the mark
 *                                     (ENODATA before the first mark)
 *   /sys/kernel/debug/mem_cost/p2pdma write "DDDD:BB:DD.F BAR": give the
 *                                     whole BAR ZONE_DEVICE pages with
 *                                     pci_p2pdma_add_resource(); the write
 *                                     fails with its errno, or EDOM for a
 *                                     BAR memory hotplug cannot cover (not
 *                                     whole 2 MiB subsections on x86-64),
 *                                     EEXIST if the BAR has pages already
 *
 * The ZONE_DEVICE pages are device-managed: the device must be bound to a
 * driver (ENXIO otherwise), and they stay until that driver is unbound.
 */

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mmzone.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include "test_knob.h"

static DEFINE_MUTEX(mem_cost_lock);
static long mem_cost_mark = -1;	/* free pages at the mark */

static long mem_cost_free_pages(void)
{
	struct zone *zone;
	long free = 0;

	drain_all_pages(NULL);
	for_each_populated_zone(zone)
		free += zone_page_state_snapshot(zone, NR_FREE_PAGES);
	return free;
}

static ssize_t mem_cost_mark_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	mutex_lock(&mem_cost_lock);
	mem_cost_mark = mem_cost_free_pages();
	mutex_unlock(&mem_cost_lock);
	return count;
}

static const struct file_operations mem_cost_mark_fops = {
	.owner = THIS_MODULE,
	.write = mem_cost_mark_write,
};

static ssize_t mem_cost_used_read(struct file *file, char __user *buf,
				  size_t count, loff_t *ppos)
{
	char out[32];
	long used;
	int len;

	mutex_lock(&mem_cost_lock);
	used = mem_cost_mark < 0 ? LONG_MIN : mem_cost_mark - mem_cost_free_pages();
	mutex_unlock(&mem_cost_lock);
	if (used == LONG_MIN)
		return -ENODATA;
	len = scnprintf(out, sizeof(out), "%lld\n", (long long)used * PAGE_SIZE);
	return simple_read_from_buffer(buf, count, ppos, out, len);
}

static const struct file_operations mem_cost_used_fops = {
	.owner = THIS_MODULE,
	.read = mem_cost_used_read,
};

static ssize_t mem_cost_p2pdma_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct dev_pagemap *pgmap;
	struct pci_dev *pdev;
	int bar, ret;

	pdev = test_knob_parse_bar(buf, count, &bar);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	/*
	 * Memory hotplug adds pages in subsections: for a BAR that is not
	 * made of whole ones, memremap_pages() WARNs and fails. Say so
	 * without the splat.
	 */
	if (!IS_ALIGNED(pci_resource_start(pdev, bar) | pci_resource_len(pdev, bar),
			PAGES_PER_SUBSECTION << PAGE_SHIFT)) {
		pci_dev_put(pdev);
		return -EDOM;
	}
	/* The pages are released when the driver unbinds: there must be one */
	device_lock(&pdev->dev);
	pgmap = get_dev_pagemap(PHYS_PFN(pci_resource_start(pdev, bar)), NULL);
	if (pgmap) {
		/* memremap_pages() would WARN about the conflict */
		put_dev_pagemap(pgmap);
		ret = -EEXIST;
	} else {
		ret = pdev->dev.driver ?
			pci_p2pdma_add_resource(pdev, bar, 0, 0) : -ENXIO;
	}
	device_unlock(&pdev->dev);
	pci_dev_put(pdev);
	return ret ? ret : count;
}

static const struct file_operations mem_cost_p2pdma_fops = {
	.owner = THIS_MODULE,
	.write = mem_cost_p2pdma_write,
};

static int __init mem_cost_init(void)
{
	struct dentry *dir = debugfs_create_dir("mem_cost", NULL);

	debugfs_create_file("mark", 0200, dir, NULL, &mem_cost_mark_fops);
	debugfs_create_file("used", 0400, dir, NULL, &mem_cost_used_fops);
	debugfs_create_file("p2pdma", 0200, dir, NULL, &mem_cost_p2pdma_fops);
	return 0;
}
late_initcall(mem_cost_init);
