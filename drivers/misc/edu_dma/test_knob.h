/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the test-only debugfs knobs of the test machine (mem_cost.c,
 * bar_holder.c) share: they are written "DDDD:BB:DD.F BAR".
 */
#ifndef _EDU_DMA_TEST_KNOB_H
#define _EDU_DMA_TEST_KNOB_H

#include <linux/pci.h>
#include <linux/uaccess.h>

/*
 * Parse "DDDD:BB:DD.F BAR" from user space. Return: the PCI device, with a
 * reference the caller drops with pci_dev_put(), and *bar; or an ERR_PTR():
 * -EINVAL for a malformed line, -EFAULT, -ENODEV for no such device.
 */
static inline struct pci_dev *test_knob_parse_bar(const char __user *buf,
						  size_t count, int *bar)
{
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;
	char in[40];

	if (count >= sizeof(in))
		return ERR_PTR(-EINVAL);
	if (copy_from_user(in, buf, count))
		return ERR_PTR(-EFAULT);
	in[count] = '\0';
	if (sscanf(in, "%x:%x:%x.%x %d", &domain, &bus, &slot, &fn, bar) != 5 ||
	    bus > 0xff || slot > 0x1f || fn > 7 ||
	    *bar < 0 || *bar >= PCI_STD_NUM_BARS)
		return ERR_PTR(-EINVAL);

	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	return pdev ?: ERR_PTR(-ENODEV);
}

#endif
