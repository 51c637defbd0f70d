/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test machine's P2P pairs, as its test plan names them on the kernel
 * command line: "NAME:PROVIDER:CLIENT[:MORE]", where PROVIDER and CLIENT
 * are root slots ("03.0"): the slot of a device on the root bus, or of the
 * root port above it. The provider is an ivshmem-plain (1af4:1110), the
 * client an edu (1234:11e8). Shared by the KUnit suites of this directory.
 */
#ifndef _EDU_DMA_RIG_PAIRS_H
#define _EDU_DMA_RIG_PAIRS_H

#include <linux/pci.h>
#include <linux/string.h>

#define RIG_IVSHMEM_VENDOR	0x1af4
#define RIG_IVSHMEM_DEVICE	0x1110
#define RIG_IVSHMEM_BAR		2
#define RIG_EDU_VENDOR		0x1234
#define RIG_EDU_DEVICE		0x11e8
#define RIG_MAX_PAIRS		8

struct rig_pair {
	char name[24];
	struct pci_dev *provider;
	struct pci_dev *client;
	char *more;		/* the fields after CLIENT, or NULL */
};

static inline int rig_root_slot(struct pci_dev *pdev)
{
	struct pci_dev *rp;

	if (pci_is_root_bus(pdev->bus))
		return pdev->devfn;
	rp = pcie_find_root_port(pdev);
	return rp ? rp->devfn : -1;
}

static inline struct pci_dev *rig_find(unsigned int vendor, unsigned int device,
				       const char *slot)
{
	struct pci_dev *pdev = NULL;
	unsigned int dev, fn;

	if (!slot || sscanf(slot, "%x.%x", &dev, &fn) != 2 || dev > 31 || fn > 7)
		return NULL;
	while ((pdev = pci_get_device(vendor, device, pdev)))
		if (rig_root_slot(pdev) == PCI_DEVFN(dev, fn))
			return pdev;
	return NULL;
}

static inline void rig_pairs_put(struct rig_pair *pairs, int n)
{
	while (n--) {
		pci_dev_put(pairs[n].provider);
		pci_dev_put(pairs[n].client);
	}
}

/*
 * Parse @spec (modified; it must outlive @pairs' "more" fields) into
 * @pairs. Returns the number of pairs, or -EINVAL naming the bad one.
 * A pair whose devices are missing is kept, with NULL devices, for the
 * tests to report.
 */
static inline int rig_pairs_parse(char *spec, struct rig_pair *pairs, int max)
{
	char *one, *name, *provider, *client;
	int n = 0;

	while ((one = strsep(&spec, ",")) && *one) {
		name = strsep(&one, ":");
		provider = strsep(&one, ":");
		client = strsep(&one, ":");
		if (n == max || !client) {
			pr_err("rig pairs: bad pair '%s'\n", name);
			rig_pairs_put(pairs, n);
			return -EINVAL;
		}
		strscpy(pairs[n].name, name, sizeof(pairs[n].name));
		pairs[n].provider = rig_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE,
					     provider);
		pairs[n].client = rig_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, client);
		pairs[n].more = one;
		n++;
	}
	return n;
}

#endif
