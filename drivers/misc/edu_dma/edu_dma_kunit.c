// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of dma_map_phys() and PCI P2P DMA with real DMA: QEMU's edu
 * device (driven by edu_dma) reads and writes the BAR of an ivshmem-plain
 * device, the P2P provider. ivshmem's BAR2 is a file on the host, so each
 * write test also asks the test runner to check the bytes there after the
 * machine stopped (the RIG-CHECK lines).
 *
 * The machine has several such pairs in different PCI topologies; the test
 * plan names them on the kernel command line (edu_dma_kunit.pairs=, see
 * rig_pairs.h). The data cases run on every pair, the others on the first.
 *
 * Which data path a test takes is the machine's: through the IOMMU when
 * edu sits in a DMA domain, by PCI bus address when the PCI core says the
 * two devices reach each other below a common switch and edu's DMA is not
 * translated (iommu=pt). A case whose path the machine does not offer is
 * skipped, and the test plan states how many skips it expects.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sizes.h>
#include <linux/swiotlb.h>

#include "edu_dma.h"

#include "rig_pairs.h"

static char *pairs;
module_param(pairs, charp, 0444);
MODULE_PARM_DESC(pairs, "NAME:IVSHMEM_SLOT:EDU_SLOT,... (see rig_pairs.h)");

static struct rig_pair edu_pairs[RIG_MAX_PAIRS];
static int nr_pairs;
static char *pairs_buf;

/* What a case works with: one pair, set up by use_pair(). */
struct edu_p2p_ctx {
	const struct rig_pair *pair;
	struct edu_dma *edu;
	struct device *dev;		/* edu's */
	phys_addr_t bar;		/* ivshmem BAR2, CPU physical */
	void __iomem *bar_io;		/* its first BAR_MAPPED bytes */
	struct p2pdma_provider *provider;
	struct page *ram;		/* two pages for edu to use */
	dma_addr_t ram_dma;
};

#define BAR_MAPPED	SZ_1M
#define XFER		EDU_DMA_MAX_LEN

KUNIT_DEFINE_ACTION_WRAPPER(edu_put_action, edu_dma_put, struct edu_dma *);
KUNIT_DEFINE_ACTION_WRAPPER(pci_disable_action, pci_disable_device, struct pci_dev *);

static void iounmap_action(void *data)
{
	iounmap((void __iomem __force *)data);
}

static void devres_group_action(void *data)
{
	struct pci_dev *iv = data;

	devres_release_group(&iv->dev, iv);
}

static void ram_action(void *data)
{
	struct edu_p2p_ctx *ctx = data;

	dma_unmap_page(ctx->dev, ctx->ram_dma, 2 * PAGE_SIZE, DMA_BIDIRECTIONAL);
	__free_pages(ctx->ram, 1);
}

/*
 * Set up @pair for the running case: its edu, its ivshmem BAR enabled and
 * mapped for the CPU, the BAR's P2P provider (in a devres group released
 * when the case ends), and two pages of RAM mapped for edu.
 */
static struct edu_p2p_ctx *use_pair(struct kunit *test, const struct rig_pair *pair)
{
	struct edu_p2p_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	struct pci_dev *iv = pair->provider;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_NOT_NULL_MSG(test, iv, "%s: no ivshmem", pair->name);
	KUNIT_ASSERT_NOT_NULL_MSG(test, pair->client, "%s: no edu", pair->name);
	ctx->pair = pair;
	ctx->edu = edu_dma_get_pci(pair->client);
	KUNIT_ASSERT_NOT_NULL_MSG(test, ctx->edu, "%s: edu not bound to edu_dma",
				  pair->name);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_put_action, ctx->edu), 0);
	ctx->dev = edu_dma_dev(ctx->edu);

	KUNIT_ASSERT_EQ(test, pci_enable_device_mem(iv), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_disable_action, iv), 0);
	ctx->bar = pci_resource_start(iv, RIG_IVSHMEM_BAR);
	KUNIT_ASSERT_GE(test, pci_resource_len(iv, RIG_IVSHMEM_BAR), BAR_MAPPED);
	ctx->bar_io = ioremap(ctx->bar, BAR_MAPPED);
	if (!ctx->bar_io)
		KUNIT_FAIL_AND_ABORT(test, "%s: cannot map the BAR", pair->name);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, iounmap_action,
							(void __force *)ctx->bar_io), 0);

	/* No driver is bound to ivshmem at boot: stand in for one. */
	KUNIT_ASSERT_NULL(test, iv->dev.driver);
	KUNIT_ASSERT_NOT_NULL(test, devres_open_group(&iv->dev, iv, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, devres_group_action, iv), 0);
	KUNIT_ASSERT_EQ(test, pcim_p2pdma_init(iv), 0);
	devres_close_group(&iv->dev, iv);
	ctx->provider = pcim_p2pdma_provider(iv, RIG_IVSHMEM_BAR);
	KUNIT_ASSERT_NOT_NULL(test, ctx->provider);

	ctx->ram = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	KUNIT_ASSERT_NOT_NULL(test, ctx->ram);
	ctx->ram_dma = dma_map_page(ctx->dev, ctx->ram, 0, 2 * PAGE_SIZE,
				    DMA_BIDIRECTIONAL);
	if (dma_mapping_error(ctx->dev, ctx->ram_dma)) {
		__free_pages(ctx->ram, 1);
		KUNIT_FAIL_AND_ABORT(test, "cannot map RAM for edu");
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, ram_action, ctx), 0);
	return ctx;
}

static void edu_p2p_suite_exit(struct kunit_suite *suite)
{
	rig_pairs_put(edu_pairs, nr_pairs);
	nr_pairs = 0;
	kfree(pairs_buf);
	pairs_buf = NULL;
}

static int edu_p2p_suite_init(struct kunit_suite *suite)
{
	int n;

	if (!pairs || !*pairs)
		return 0;
	pairs_buf = kstrdup(pairs, GFP_KERNEL);
	if (!pairs_buf)
		return -ENOMEM;
	n = rig_pairs_parse(pairs_buf, edu_pairs, RIG_MAX_PAIRS);
	if (n < 0) {
		edu_p2p_suite_exit(suite);
		return n;
	}
	nr_pairs = n;
	return 0;
}

/* Each case works on its parameter's pair, or on the first one. */
static int edu_p2p_init(struct kunit *test)
{
	if (!nr_pairs)
		kunit_skip(test, "no P2P pairs given on the kernel command line");
	test->priv = use_pair(test, test->param_value ?: &edu_pairs[0]);
	return 0;
}

static const void *pair_gen(const void *prev, char *desc)
{
	const struct rig_pair *p = prev;

	p = p ? p + 1 : edu_pairs;
	if (p >= edu_pairs + nr_pairs)
		return NULL;
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
	return p;
}

static bool edu_translated(struct edu_p2p_ctx *ctx)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(ctx->dev);

	return domain && iommu_is_dma_domain(domain);
}

static u64 fnv1a64(const u8 *p, size_t len)
{
	u64 h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void fill(u8 *p, size_t len, u32 seed)
{
	u32 x = seed * 2654435761u + 1;

	while (len--) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		*p++ = x;
	}
}

/* Ask the runner to compare host file bytes once the machine stopped. */
static void rig_check(struct kunit *test, const char *label, u64 off,
		      const u8 *buf, size_t len)
{
	struct edu_p2p_ctx *ctx = test->priv;

	kunit_info(test, "RIG-CHECK %s-%s file=ivshmem-%s offset=%#llx length=%zu fnv1a64=%016llx\n",
		   label, ctx->pair->name, ctx->pair->name, off, len,
		   fnv1a64(buf, len));
}

/*
 * RAM -> edu -> the BAR at @off through @addr, then compare what the BAR
 * holds through the CPU mapping, and ask for the host-side check.
 */
static void write_bar(struct kunit *test, dma_addr_t addr, u64 off, u32 seed,
		      const char *label)
{
	struct edu_p2p_ctx *ctx = test->priv;
	u8 *src = page_address(ctx->ram);
	u8 *got = kunit_kzalloc(test, XFER + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, got);
	fill(src, XFER, seed);
	memset_io(ctx->bar_io + off, 0, XFER + 1);
	dma_sync_single_for_device(ctx->dev, ctx->ram_dma, XFER, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, edu_dma_from_bus(ctx->edu, ctx->ram_dma, 0, XFER), 0);
	KUNIT_ASSERT_EQ(test, edu_dma_to_bus(ctx->edu, 0, addr, XFER), 0);
	memcpy_fromio(got, ctx->bar_io + off, XFER + 1);
	KUNIT_EXPECT_MEMEQ(test, got, src, XFER);
	KUNIT_EXPECT_EQ_MSG(test, got[XFER], 0, "edu wrote past the transfer");
	rig_check(test, label, off, src, XFER);
}

/* The BAR at @off (filled by the CPU) -> edu -> RAM. */
static void read_bar(struct kunit *test, dma_addr_t addr, u64 off, u32 seed)
{
	struct edu_p2p_ctx *ctx = test->priv;
	u8 *want = kunit_kzalloc(test, XFER, GFP_KERNEL);
	u8 *dst = page_address(ctx->ram) + PAGE_SIZE;

	KUNIT_ASSERT_NOT_NULL(test, want);
	fill(want, XFER, seed);
	memcpy_toio(ctx->bar_io + off, want, XFER);
	memset(dst, 0, PAGE_SIZE);
	dma_sync_single_for_device(ctx->dev, ctx->ram_dma + PAGE_SIZE, PAGE_SIZE,
				   DMA_FROM_DEVICE);
	KUNIT_ASSERT_EQ(test, edu_dma_from_bus(ctx->edu, addr, 0, XFER), 0);
	KUNIT_ASSERT_EQ(test, edu_dma_to_bus(ctx->edu, 0, ctx->ram_dma + PAGE_SIZE,
					     XFER), 0);
	dma_sync_single_for_cpu(ctx->dev, ctx->ram_dma + PAGE_SIZE, PAGE_SIZE,
				DMA_FROM_DEVICE);
	KUNIT_EXPECT_MEMEQ(test, dst, want, XFER);
}

/* Without DMA_ATTR_MMIO, dma_map_phys() of RAM is dma_map_page(). */
static void edu_p2p_phys_ram(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	struct page *page = alloc_page(GFP_KERNEL);
	struct iommu_domain *domain;
	u8 *buf, *dst = page_address(ctx->ram) + PAGE_SIZE;
	dma_addr_t addr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	buf = page_address(page);
	fill(buf, PAGE_SIZE, 7);
	addr = dma_map_phys(ctx->dev, page_to_phys(page) + 256, XFER,
			    DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, addr));
	domain = iommu_get_domain_for_dev(ctx->dev);
	if (edu_translated(ctx))
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, addr),
				page_to_phys(page) + 256);
	else
		KUNIT_EXPECT_EQ(test, addr, phys_to_dma(ctx->dev, page_to_phys(page) + 256));

	memset(dst, 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, edu_dma_from_bus(ctx->edu, addr, 0, XFER), 0);
	KUNIT_EXPECT_EQ(test, edu_dma_to_bus(ctx->edu, 0, ctx->ram_dma + PAGE_SIZE,
					     XFER), 0);
	dma_sync_single_for_cpu(ctx->dev, ctx->ram_dma + PAGE_SIZE, PAGE_SIZE,
				DMA_FROM_DEVICE);
	KUNIT_EXPECT_MEMEQ(test, dst, buf + 256, XFER);
	dma_unmap_phys(ctx->dev, addr, XFER, DMA_TO_DEVICE, 0);
	__free_page(page);
}

/*
 * dma_map_phys(MMIO) through intel-iommu: every page of the IOVA range
 * translates to exactly the BAR range, and nothing does after unmap.
 */
static void edu_p2p_mmio_translation(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	const size_t len = SZ_64K;
	phys_addr_t phys = ctx->bar + SZ_128K;
	struct iommu_domain *domain;
	dma_addr_t addr;
	size_t off;

	if (!edu_translated(ctx))
		kunit_skip(test, "edu's DMA is not translated by an IOMMU");
	domain = iommu_get_domain_for_dev(ctx->dev);
	addr = dma_map_phys(ctx->dev, phys, len, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, addr));
	for (off = 0; off < len; off += PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, addr + off),
				phys + off);
	dma_unmap_phys(ctx->dev, addr, len, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	for (off = 0; off < len; off += PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, addr + off), 0);
}

/* edu writes into the BAR through dma_map_phys(MMIO). */
static void edu_p2p_mmio_write(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	const u64 off = 0x10000;
	dma_addr_t addr;

	addr = dma_map_phys(ctx->dev, ctx->bar + off, SZ_4K, DMA_FROM_DEVICE,
			    DMA_ATTR_MMIO);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, addr));
	write_bar(test, addr, off, 0x1001, "kunit-mmio-write");
	dma_unmap_phys(ctx->dev, addr, SZ_4K, DMA_FROM_DEVICE, DMA_ATTR_MMIO);
}

/* edu reads from the BAR through dma_map_phys(MMIO). */
static void edu_p2p_mmio_read(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	const u64 off = 0x20000;
	dma_addr_t addr;

	addr = dma_map_phys(ctx->dev, ctx->bar + off, SZ_4K, DMA_TO_DEVICE,
			    DMA_ATTR_MMIO);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, addr));
	read_bar(test, addr, off, 0x2002);
	dma_unmap_phys(ctx->dev, addr, SZ_4K, DMA_TO_DEVICE, DMA_ATTR_MMIO);
}

/*
 * Where the PCI core says "bus address" and edu's DMA is untranslated,
 * edu reaches the BAR at pci_p2pdma_bus_addr_map(), with no mapping: on
 * the first pair for which that holds.
 */
static void edu_p2p_bus_addr(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	const u64 off = 0x30000;
	pci_bus_addr_t bus;
	int i;

	for (i = 0; i < nr_pairs; i++) {
		ctx = i ? use_pair(test, &edu_pairs[i]) : ctx;
		if (!edu_translated(ctx) &&
		    pci_p2pdma_map_type(ctx->provider, ctx->dev) == PCI_P2PDMA_MAP_BUS_ADDR)
			break;
	}
	if (i == nr_pairs)
		kunit_skip(test, "no pair reaches its provider by untranslated bus address");
	test->priv = ctx;
	bus = pci_p2pdma_bus_addr_map(ctx->provider, ctx->bar + off);
	KUNIT_EXPECT_EQ(test, bus,
			pci_bus_address(ctx->pair->provider, RIG_IVSHMEM_BAR) + off);
	write_bar(test, bus, off, 0x3003, "kunit-bus-write");
	read_bar(test, bus + SZ_4K, off + SZ_4K, 0x4004);
}

/* Zero size and wrapping ranges fail, with and without MMIO. */
static void edu_p2p_map_errors(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	const unsigned long attrs[] = { 0, DMA_ATTR_MMIO };
	phys_addr_t top = ~(phys_addr_t)0 - SZ_4K + 2;
	dma_addr_t addr;
	int i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		addr = dma_map_phys(ctx->dev, ctx->bar, 0, DMA_TO_DEVICE, attrs[i]);
		KUNIT_EXPECT_TRUE(test, dma_mapping_error(ctx->dev, addr));
		addr = dma_map_phys(ctx->dev, top, SZ_4K, DMA_TO_DEVICE, attrs[i]);
		KUNIT_EXPECT_TRUE(test, dma_mapping_error(ctx->dev, addr));
	}
	/* MMIO without DMA_ATTR_MMIO: there is no struct page to map. */
	addr = dma_map_phys(ctx->dev, ctx->bar, SZ_4K, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(ctx->dev, addr));
}

/*
 * An untrusted device gets bounce buffers for RAM that does not fill whole
 * IOMMU granules. MMIO cannot be bounced: the same request fails, and a
 * granule-aligned one still maps.
 */
static void edu_p2p_mmio_no_bounce(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	struct pci_dev *pdev = to_pci_dev(ctx->dev);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	if (!edu_translated(ctx)) {
		__free_page(page);
		kunit_skip(test, "edu's DMA is not translated by an IOMMU");
	}
	pdev->untrusted = 1;
	addr = dma_map_phys(ctx->dev, ctx->bar + 0x100, 0x100, DMA_TO_DEVICE,
			    DMA_ATTR_MMIO);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(ctx->dev, addr));

	addr = dma_map_phys(ctx->dev, ctx->bar, SZ_4K, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	KUNIT_EXPECT_FALSE(test, dma_mapping_error(ctx->dev, addr));
	if (!dma_mapping_error(ctx->dev, addr))
		dma_unmap_phys(ctx->dev, addr, SZ_4K, DMA_TO_DEVICE, DMA_ATTR_MMIO);

	/* RAM, for comparison, is bounced where swiotlb is set up. */
	if (is_swiotlb_active(ctx->dev)) {
		addr = dma_map_phys(ctx->dev, page_to_phys(page) + 0x100, 0x100,
				    DMA_TO_DEVICE, 0);
		KUNIT_EXPECT_FALSE(test, dma_mapping_error(ctx->dev, addr));
		if (!dma_mapping_error(ctx->dev, addr))
			dma_unmap_phys(ctx->dev, addr, 0x100, DMA_TO_DEVICE, 0);
	}
	pdev->untrusted = 0;
	__free_page(page);
}

/* dma-direct: MMIO beyond a device's DMA mask fails instead of bouncing. */
static void edu_p2p_mmio_direct_unreachable(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	struct device *dev = kunit_device_register(test, "edu-p2p-narrow");
	dma_addr_t addr;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->coherent_dma_mask = DMA_BIT_MASK(24);
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_GT(test, ctx->bar, (phys_addr_t)DMA_BIT_MASK(24));

	addr = dma_map_phys(dev, ctx->bar, SZ_4K, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(dev, addr));

	dev->coherent_dma_mask = DMA_BIT_MASK(64);
	addr = dma_map_phys(dev, ctx->bar, SZ_4K, DMA_TO_DEVICE, DMA_ATTR_MMIO);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, addr));
	KUNIT_EXPECT_EQ(test, addr, (dma_addr_t)ctx->bar);
	dma_unmap_phys(dev, addr, SZ_4K, DMA_TO_DEVICE, DMA_ATTR_MMIO);
}

/* dma_map_resource() keeps working as before. */
static void edu_p2p_map_resource(struct kunit *test)
{
	struct edu_p2p_ctx *ctx = test->priv;
	const u64 off = 0x40000;
	dma_addr_t addr;

	addr = dma_map_resource(ctx->dev, ctx->bar + off, SZ_4K,
				DMA_FROM_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(ctx->dev, addr));
	write_bar(test, addr, off, 0x5005, "kunit-map-resource");
	dma_unmap_resource(ctx->dev, addr, SZ_4K, DMA_FROM_DEVICE, 0);
}

static struct kunit_case edu_p2p_cases[] = {
	KUNIT_CASE(edu_p2p_phys_ram),
	KUNIT_CASE(edu_p2p_mmio_translation),
	KUNIT_CASE_PARAM(edu_p2p_mmio_write, pair_gen),
	KUNIT_CASE_PARAM(edu_p2p_mmio_read, pair_gen),
	KUNIT_CASE(edu_p2p_bus_addr),
	KUNIT_CASE(edu_p2p_map_errors),
	KUNIT_CASE(edu_p2p_mmio_no_bounce),
	KUNIT_CASE(edu_p2p_mmio_direct_unreachable),
	KUNIT_CASE(edu_p2p_map_resource),
	{}
};

static struct kunit_suite edu_p2p_suite = {
	.name = "edu_dma_p2p",
	.suite_init = edu_p2p_suite_init,
	.suite_exit = edu_p2p_suite_exit,
	.init = edu_p2p_init,
	.test_cases = edu_p2p_cases,
};

kunit_test_suite(edu_p2p_suite);

MODULE_DESCRIPTION("KUnit tests of dma_map_phys() and P2P DMA on QEMU's edu device");
MODULE_LICENSE("GPL");
