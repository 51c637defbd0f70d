// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit checks of what the PCI core says about peer-to-peer DMA between
 * two real devices: a QEMU ivshmem-plain (the provider: its BAR2 is
 * memory) and a QEMU edu (the client: it has a DMA engine).
 *
 * The suite runs at boot on the test machine. The topology the machine
 * was started with is handed over on the kernel command line, so the
 * suite checks the kernel's answer against facts the test plan states,
 * not against a second copy of the kernel's own algorithm:
 *
 *   p2pdma_topology_kunit.expect=none|bus|host-bridge
 *   p2pdma_topology_kunit.distance=N     (-1 when P2P is not supported)
 *
 * Without "expect" (an interactive boot, say) every case is skipped.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>

#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110
#define IVSHMEM_BAR	2
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

static char *expect;
module_param(expect, charp, 0444);
MODULE_PARM_DESC(expect, "P2P path between ivshmem and edu: none, bus or host-bridge");

static int distance = -1;
module_param(distance, int, 0444);
MODULE_PARM_DESC(distance, "expected pci_p2pdma_distance() from ivshmem to edu");

struct p2pdma_topology_ctx {
	struct pci_dev *provider;
	struct pci_dev *client;
};

static int p2pdma_topology_init(struct kunit *test)
{
	struct p2pdma_topology_ctx *ctx;

	if (!expect || !*expect)
		kunit_skip(test, "no topology given on the kernel command line");

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;

	ctx->provider = pci_get_device(IVSHMEM_VENDOR, IVSHMEM_DEVICE, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->provider, "no ivshmem device");
	ctx->client = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->client, "no edu device");
	return 0;
}

static void p2pdma_topology_exit(struct kunit *test)
{
	struct p2pdma_topology_ctx *ctx = test->priv;

	if (!ctx)
		return;
	pci_dev_put(ctx->client);
	pci_dev_put(ctx->provider);
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
	struct p2pdma_topology_ctx *ctx = test->priv;
	struct pci_dev *pdev = ctx->provider;

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
	struct p2pdma_topology_ctx *ctx = test->priv;
	struct pci_dev *pdev = ctx->provider;
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
	struct p2pdma_topology_ctx *ctx = test->priv;
	struct pci_dev *top = common_upstream(ctx->provider, ctx->client);
	bool redirect = path_redirects(ctx->provider, top) ||
			path_redirects(ctx->client, top);

	if (!strcmp(expect, "bus")) {
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
	struct p2pdma_topology_ctx *ctx = test->priv;
	int dist = pci_p2pdma_distance(ctx->provider, &ctx->client->dev, true);

	if (!strcmp(expect, "none"))
		KUNIT_EXPECT_EQ(test, dist, -1);
	else
		KUNIT_EXPECT_GE(test, dist, 0);
	KUNIT_EXPECT_EQ(test, dist, distance);
}

static void p2pdma_topology_child_release(struct device *dev)
{
	kfree(dev);
}

/* The client may be a child device of a PCI function. */
static void p2pdma_topology_child_client(struct kunit *test)
{
	struct p2pdma_topology_ctx *ctx = test->priv;
	int direct = pci_p2pdma_distance(ctx->provider, &ctx->client->dev, false);
	struct device *child;

	child = kzalloc(sizeof(*child), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, child);
	device_initialize(child);
	child->parent = &ctx->client->dev;
	child->release = p2pdma_topology_child_release;
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(ctx->provider, child, false), direct);
	put_device(child);
}

/* A device with no PCI function above it can never be a P2P client. */
static void p2pdma_topology_non_pci_client(struct kunit *test)
{
	struct p2pdma_topology_ctx *ctx = test->priv;
	struct device *dev = kunit_device_register(test, "p2pdma-kunit-plain");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, pci_p2pdma_distance(ctx->provider, dev, false), -1);
}

static struct kunit_case p2pdma_topology_cases[] = {
	KUNIT_CASE(p2pdma_topology_provider_bar),
	KUNIT_CASE(p2pdma_topology_bus_address),
	KUNIT_CASE(p2pdma_topology_path),
	KUNIT_CASE(p2pdma_topology_distance),
	KUNIT_CASE(p2pdma_topology_child_client),
	KUNIT_CASE(p2pdma_topology_non_pci_client),
	{}
};

static struct kunit_suite p2pdma_topology_suite = {
	.name = "pci_p2pdma_topology",
	.init = p2pdma_topology_init,
	.exit = p2pdma_topology_exit,
	.test_cases = p2pdma_topology_cases,
};

kunit_test_suite(p2pdma_topology_suite);

MODULE_DESCRIPTION("KUnit checks of PCI P2P DMA topology on the test machine");
MODULE_LICENSE("GPL");
