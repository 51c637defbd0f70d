// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit checks of what the PCI core says about peer-to-peer DMA between
 * real devices: pairs of a QEMU ivshmem-plain (the provider: its BAR2 is
 * memory) and a QEMU edu (the client: it has a DMA engine), placed in
 * different PCI topologies of one machine. The answer is checked both
 * through pci_p2pdma_distance() and through the P2P provider of the BAR
 * (pcim_p2pdma_init(), pci_p2pdma_map_type()).
 *
 * The suite runs at boot on the test machine. The test plan hands over
 * the topology on the kernel command line, so the suite checks the
 * kernel's answers against facts the plan states, not against a second
 * copy of the kernel's algorithm. One entry per pair:
 *
 *   p2pdma_topology_kunit.pairs=NAME:IVSHMEM:EDU:EXPECT:DISTANCE,...
 *
 * IVSHMEM and EDU are root slots (see rig_pairs.h). EXPECT is none, bus or
 * host-bridge; DISTANCE is what pci_p2pdma_distance() returns (-1 when
 * P2P is not supported). Without the parameter every case is skipped.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "rig_pairs.h"

#define IVSHMEM_BAR	RIG_IVSHMEM_BAR

static char *pairs;
module_param(pairs, charp, 0444);
MODULE_PARM_DESC(pairs, "NAME:IVSHMEM_SLOT:EDU_SLOT:none|bus|host-bridge:DISTANCE,...");

struct topology_pair {
	struct rig_pair dev;
	enum pci_p2pdma_map_type type;
	int distance;
};

static struct rig_pair rig_pairs[RIG_MAX_PAIRS];
static struct topology_pair topology_pairs[RIG_MAX_PAIRS];
static int nr_pairs;
static char *pairs_buf;

static int parse_expect(struct topology_pair *p)
{
	char *more = p->dev.more;
	char *type = strsep(&more, ":");

	if (!type || !more || kstrtoint(more, 0, &p->distance))
		return -EINVAL;
	if (!strcmp(type, "none"))
		p->type = PCI_P2PDMA_MAP_NOT_SUPPORTED;
	else if (!strcmp(type, "bus"))
		p->type = PCI_P2PDMA_MAP_BUS_ADDR;
	else if (!strcmp(type, "host-bridge"))
		p->type = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	else
		return -EINVAL;
	return 0;
}

static void p2pdma_topology_suite_exit(struct kunit_suite *suite)
{
	rig_pairs_put(rig_pairs, nr_pairs);
	nr_pairs = 0;
	kfree(pairs_buf);
	pairs_buf = NULL;
}

static int p2pdma_topology_suite_init(struct kunit_suite *suite)
{
	int i, n;

	if (!pairs || !*pairs)
		return 0;
	pairs_buf = kstrdup(pairs, GFP_KERNEL);
	if (!pairs_buf)
		return -ENOMEM;
	n = rig_pairs_parse(pairs_buf, rig_pairs, RIG_MAX_PAIRS);
	if (n < 0)
		goto bad;
	nr_pairs = n;
	for (i = 0; i < n; i++) {
		topology_pairs[i].dev = rig_pairs[i];
		if (parse_expect(&topology_pairs[i])) {
			pr_err("p2pdma_topology_kunit: bad expectation for %s\n",
			       rig_pairs[i].name);
			goto bad;
		}
	}
	return 0;
bad:
	p2pdma_topology_suite_exit(suite);
	return -EINVAL;
}

static int p2pdma_topology_init(struct kunit *test)
{
	if (!nr_pairs)
		kunit_skip(test, "no topology given on the kernel command line");
	return 0;
}

static const void *pair_gen(const void *prev, char *desc)
{
	const struct topology_pair *p = prev;

	p = p ? p + 1 : topology_pairs;
	if (p >= topology_pairs + nr_pairs)
		return NULL;
	strscpy(desc, p->dev.name, KUNIT_PARAM_DESC_SIZE);
	return p;
}

/* The pair of a parameterised case (else the first); with its devices. */
static const struct topology_pair *this_pair(struct kunit *test)
{
	const struct topology_pair *p = test->param_value;

	if (!p)
		p = &topology_pairs[0];
	KUNIT_ASSERT_NOT_NULL_MSG(test, p->dev.provider, "%s: no ivshmem", p->dev.name);
	KUNIT_ASSERT_NOT_NULL_MSG(test, p->dev.client, "%s: no edu", p->dev.name);
	return p;
}

/* The lowest bridge that is an ancestor of both devices, or NULL. */
static struct pci_dev *common_upstream(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *up_a, *up_b;

	for (up_a = pci_upstream_bridge(a); up_a; up_a = pci_upstream_bridge(up_a))
		for (up_b = pci_upstream_bridge(b); up_b;
		     up_b = pci_upstream_bridge(up_b))
			if (up_a == up_b)
				return up_a;
	return NULL;
}

/* Does any bridge from @dev up to (not including) @top redirect P2P? */
static bool path_redirects(struct pci_dev *dev, struct pci_dev *top)
{
	struct pci_dev *br;
	u16 ctrl;

	for (br = pci_upstream_bridge(dev); br && br != top;
	     br = pci_upstream_bridge(br)) {
		if (!br->acs_cap)
			continue;
		pci_read_config_word(br, br->acs_cap + PCI_ACS_CTRL, &ctrl);
		if (ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC))
			return true;
	}
	return false;
}

/* The provider's BAR is a memory BAR the PCI core has placed. */
static void p2pdma_topology_provider_bar(struct kunit *test)
{
	struct pci_dev *pdev = this_pair(test)->dev.provider;

	KUNIT_EXPECT_TRUE(test, pci_resource_flags(pdev, IVSHMEM_BAR) & IORESOURCE_MEM);
	KUNIT_EXPECT_GE(test, pci_resource_len(pdev, IVSHMEM_BAR), SZ_1M);
	KUNIT_EXPECT_TRUE(test, is_power_of_2(pci_resource_len(pdev, IVSHMEM_BAR)));
	KUNIT_EXPECT_NOT_NULL(test, pci_resource_n(pdev, IVSHMEM_BAR)->parent);
}

/*
 * The bus address of the BAR is what the resource-to-bus translation of
 * its host bridge window gives. On the q35 machine the host bridge does
 * not translate, so the bus address equals the CPU physical address.
 */
static void p2pdma_topology_bus_address(struct kunit *test)
{
	struct pci_dev *pdev = this_pair(test)->dev.provider;
	struct pci_bus_region region;

	pcibios_resource_to_bus(pdev->bus, &region, pci_resource_n(pdev, IVSHMEM_BAR));
	KUNIT_EXPECT_EQ(test, region.start, pci_bus_address(pdev, IVSHMEM_BAR));
	KUNIT_EXPECT_EQ(test, region.end - region.start + 1,
			pci_resource_len(pdev, IVSHMEM_BAR));
	KUNIT_EXPECT_EQ(test, region.start, pci_resource_start(pdev, IVSHMEM_BAR));
}

/* The topology the plan describes is the one the PCI core enumerated. */
static void p2pdma_topology_path(struct kunit *test)
{
	const struct topology_pair *p = this_pair(test);
	struct pci_dev *top = common_upstream(p->dev.provider, p->dev.client);
	bool redirect = path_redirects(p->dev.provider, top) ||
			path_redirects(p->dev.client, top);

	if (p->type == PCI_P2PDMA_MAP_BUS_ADDR) {
		KUNIT_ASSERT_NOT_NULL_MSG(test, top, "bus address P2P needs a common bridge");
		KUNIT_EXPECT_FALSE_MSG(test, redirect, "ACS redirects P2P below %s",
				       pci_name(top));
	} else if (top) {
		/* A common switch whose ACS sends P2P up to the host bridge. */
		KUNIT_EXPECT_TRUE_MSG(test, redirect, "no ACS redirect below %s",
				      pci_name(top));
	}
}

/* pci_p2pdma_distance() agrees with the topology, support included. */
static void p2pdma_topology_distance(struct kunit *test)
{
	const struct topology_pair *p = this_pair(test);
	int dist = pci_p2pdma_distance(p->dev.provider, &p->dev.client->dev, true);

	if (p->type == PCI_P2PDMA_MAP_NOT_SUPPORTED)
		KUNIT_EXPECT_EQ(test, dist, -1);
	else
		KUNIT_EXPECT_GE(test, dist, 0);
	KUNIT_EXPECT_EQ(test, dist, p->distance);
}

static void p2pdma_topology_child_release(struct device *dev)
{
	kfree(dev);
}

/* The client may be a child device of a PCI function. */
static void p2pdma_topology_child_client(struct kunit *test)
{
	const struct topology_pair *p = this_pair(test);
	int direct = pci_p2pdma_distance(p->dev.provider, &p->dev.client->dev, false);
	struct device *child;

	child = kzalloc(sizeof(*child), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, child);
	device_initialize(child);
	child->parent = &p->dev.client->dev;
	child->release = p2pdma_topology_child_release;
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(p->dev.provider, child, false), direct);
	put_device(child);
}

/* A device with no PCI function above it can never be a P2P client. */
static void p2pdma_topology_non_pci_client(struct kunit *test)
{
	const struct topology_pair *p = this_pair(test);
	struct device *dev = kunit_device_register(test, "p2pdma-kunit-plain");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(p->dev.provider, dev, false), -1);
}

static void release_group(void *data)
{
	struct pci_dev *pdev = data;

	devres_release_group(&pdev->dev, pdev);
}

/*
 * No driver is bound to the ivshmem devices while the suites run at boot:
 * the test stands in for one, and makes the provider in a devres group
 * that is released when the case ends, however it ends, before any driver
 * can bind.
 */
static struct p2pdma_provider *topology_provider(struct kunit *test,
						 struct pci_dev *pdev)
{
	KUNIT_ASSERT_NULL(test, pdev->dev.driver);
	KUNIT_ASSERT_NOT_NULL(test, devres_open_group(&pdev->dev, pdev, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, release_group, pdev), 0);
	KUNIT_ASSERT_EQ(test, pcim_p2pdma_init(pdev), 0);
	devres_close_group(&pdev->dev, pdev);
	return pcim_p2pdma_provider(pdev, IVSHMEM_BAR);
}

/*
 * Every implemented memory BAR gets a provider, without struct pages and
 * without p2pmem; anything else gets none. pcim_p2pdma_init() again is a
 * no-op, and the providers go with the devres that made them.
 */
static void p2pdma_topology_provider_bars(struct kunit *test)
{
	struct pci_dev *pdev = this_pair(test)->dev.provider;
	phys_addr_t start = pci_resource_start(pdev, IVSHMEM_BAR);
	struct p2pdma_provider *mem;
	int bar;

	mem = topology_provider(test, pdev);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	KUNIT_EXPECT_PTR_EQ(test, mem->owner, &pdev->dev);
	KUNIT_EXPECT_EQ(test, mem->bus_offset,
			pci_bus_address(pdev, IVSHMEM_BAR) - start);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_bus_addr_map(mem, start + SZ_64K),
			pci_bus_address(pdev, IVSHMEM_BAR) + SZ_64K);

	KUNIT_EXPECT_EQ(test, pcim_p2pdma_init(pdev), 0);
	KUNIT_EXPECT_PTR_EQ(test, pcim_p2pdma_provider(pdev, IVSHMEM_BAR), mem);

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		bool mem_bar = (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
			       pci_resource_len(pdev, bar);

		KUNIT_EXPECT_EQ_MSG(test, !!pcim_p2pdma_provider(pdev, bar), mem_bar,
				    "BAR %d", bar);
	}
	/* The upper half of the 64-bit BAR2 is not a BAR of its own. */
	KUNIT_EXPECT_NULL(test, pcim_p2pdma_provider(pdev, IVSHMEM_BAR + 1));
	KUNIT_EXPECT_NULL(test, pcim_p2pdma_provider(pdev, -1));
	KUNIT_EXPECT_NULL(test, pcim_p2pdma_provider(pdev, PCI_STD_NUM_BARS));

	KUNIT_EXPECT_FALSE(test, pfn_valid(PHYS_PFN(start)));
	KUNIT_EXPECT_FALSE(test, pci_has_p2pmem(pdev));
	kunit_release_action(test, release_group, pdev);
	KUNIT_EXPECT_NULL(test, pcim_p2pdma_provider(pdev, IVSHMEM_BAR));
}

/* pci_p2pdma_map_type() gives the topology's answer, and caches it. */
static void p2pdma_topology_map_type(struct kunit *test)
{
	const struct topology_pair *p = this_pair(test);
	struct p2pdma_provider *mem;
	struct device *plain;

	mem = topology_provider(test, p->dev.provider);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_map_type(mem, &p->dev.client->dev), p->type);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_map_type(mem, &p->dev.client->dev), p->type);

	plain = kunit_device_register(test, "p2pdma-kunit-map-type");
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(plain));
	if (!IS_ERR_OR_NULL(plain))
		KUNIT_EXPECT_EQ(test, pci_p2pdma_map_type(mem, plain),
				PCI_P2PDMA_MAP_NOT_SUPPORTED);
}

static struct kunit_case p2pdma_topology_cases[] = {
	KUNIT_CASE(p2pdma_topology_provider_bar),
	KUNIT_CASE(p2pdma_topology_bus_address),
	KUNIT_CASE(p2pdma_topology_child_client),
	KUNIT_CASE(p2pdma_topology_non_pci_client),
	KUNIT_CASE(p2pdma_topology_provider_bars),
	KUNIT_CASE_PARAM(p2pdma_topology_path, pair_gen),
	KUNIT_CASE_PARAM(p2pdma_topology_distance, pair_gen),
	KUNIT_CASE_PARAM(p2pdma_topology_map_type, pair_gen),
	{}
};

static struct kunit_suite p2pdma_topology_suite = {
	.name = "pci_p2pdma_topology",
	.suite_init = p2pdma_topology_suite_init,
	.suite_exit = p2pdma_topology_suite_exit,
	.init = p2pdma_topology_init,
	.test_cases = p2pdma_topology_cases,
};

kunit_test_suite(p2pdma_topology_suite);

MODULE_DESCRIPTION("KUnit checks of PCI P2P DMA topology on the test machine");
MODULE_LICENSE("GPL");
