// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the dma-buf physical range interconnect, with a mock
 * exporter and mock importers.
 *
 * The exporter describes three out-of-order slices of a memory BAR of a
 * PCI device that has no driver (its P2P provider lives in a devres group
 * the test releases). Importers are every other PCI function, whatever
 * the PCI core says about their path to the provider, plus a device that
 * is not PCI at all, so each map type the machine has is exercised.
 * Without such a BAR on the machine, the cases that need one are skipped.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-buf-phys.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#define MOCK_NR_RANGES	3

struct mock_exporter {
	struct dma_buf *dmabuf;
	struct pci_dev *pdev;
	int bar;
	struct p2pdma_provider *provider;
	bool revoked;			/* under resv */
	struct phys_vec ranges[MOCK_NR_RANGES];
};

struct mock_importer {
	struct kunit *test;
	struct dma_buf_attachment *attach;
	struct dma_buf_dma_map *map;	/* under resv */
	unsigned int notified;
	unsigned int delay_ms;		/* drop the mapping this late */
	struct delayed_work late;
	bool dropped_late;
};

/* Slices of the BAR, out of order: 64K@64K, 64K@0, 1M@1M */
static const u64 mock_slices[MOCK_NR_RANGES][2] = {
	{ SZ_64K, SZ_64K }, { 0, SZ_64K }, { SZ_1M, SZ_1M },
};

static u64 mock_size(void)
{
	u64 size = 0;
	int i;

	for (i = 0; i < MOCK_NR_RANGES; i++)
		size += mock_slices[i][1];
	return size;
}

static int mock_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	if (!dma_buf_attach_revocable(attach))
		return -EOPNOTSUPP;
	if (!attach->peer2peer && !dma_buf_attach_is_phys(attach))
		return -EOPNOTSUPP;
	return 0;
}

static int mock_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void mock_unpin(struct dma_buf_attachment *attach)
{
}

static void mock_describe(struct mock_exporter *exp, struct dma_buf_phys *phys)
{
	phys->provider = exp->provider;
	phys->ranges = exp->ranges;
	phys->nr_ranges = MOCK_NR_RANGES;
}

static int mock_get_phys(struct dma_buf_attachment *attach,
			 struct dma_buf_phys *phys)
{
	struct mock_exporter *exp = attach->dmabuf->priv;

	if (exp->revoked)
		return -ENODEV;
	mock_describe(exp, phys);
	return 0;
}

static struct sg_table *mock_map(struct dma_buf_attachment *attach,
				 enum dma_data_direction dir)
{
	struct mock_exporter *exp = attach->dmabuf->priv;

	if (exp->revoked)
		return ERR_PTR(-ENODEV);
	return dma_buf_phys_vec_to_sgt(attach, exp->provider, exp->ranges,
				       MOCK_NR_RANGES, attach->dmabuf->size,
				       dir);
}

static void mock_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		       enum dma_data_direction dir)
{
	dma_buf_free_sgt(attach, sgt, dir);
}

static void mock_release(struct dma_buf *dmabuf)
{
	kfree(dmabuf->priv);
}

static const struct dma_buf_ops mock_phys_ops = {
	.attach = mock_attach,
	.pin = mock_pin,
	.unpin = mock_unpin,
	.map_dma_buf = mock_map,
	.unmap_dma_buf = mock_unmap,
	.get_phys = mock_get_phys,
	.release = mock_release,
};

/* The same exporter without the range list: the importer cannot have it */
static const struct dma_buf_ops mock_sgt_only_ops = {
	.attach = mock_attach,
	.pin = mock_pin,
	.unpin = mock_unpin,
	.map_dma_buf = mock_map,
	.unmap_dma_buf = mock_unmap,
	.release = mock_release,
};

static void mock_importer_notify(struct dma_buf_attachment *attach)
{
	struct mock_importer *imp = attach->importer_priv;

	imp->notified++;
	if (!imp->map)
		return;
	if (imp->delay_ms) {
		schedule_delayed_work(&imp->late, msecs_to_jiffies(imp->delay_ms));
		return;
	}
	dma_buf_phys_unmap(attach, imp->map);
	imp->map = NULL;
}

static void mock_importer_late(struct work_struct *work)
{
	struct mock_importer *imp = container_of(work, struct mock_importer,
						 late.work);
	struct dma_resv *resv = imp->attach->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	if (imp->map) {
		/* Before the unmap, whose release lets the exporter's wait end */
		imp->dropped_late = true;
		dma_buf_phys_unmap(imp->attach, imp->map);
		imp->map = NULL;
	}
	dma_resv_unlock(resv);
}

static const struct dma_buf_attach_ops importer_phys = {
	.allow_peer2peer = true,
	.allow_phys = true,
	.revocable = true,
	.move_notify = mock_importer_notify,
};

static const struct dma_buf_attach_ops importer_sgt = {
	.allow_peer2peer = true,
	.revocable = true,
	.move_notify = mock_importer_notify,
};

static const struct dma_buf_attach_ops importer_not_revocable = {
	.allow_peer2peer = true,
	.allow_phys = true,
	.move_notify = mock_importer_notify,
};

static const struct dma_buf_attach_ops importer_no_p2p = {
	.revocable = true,
	.move_notify = mock_importer_notify,
};

struct phys_ctx {
	struct pci_dev *pdev;		/* provider's device */
	int bar;
	struct p2pdma_provider *provider;
	struct device *fake;		/* a device that is not PCI */
};

static void devres_group_action(void *data)
{
	struct pci_dev *pdev = data;

	devres_release_group(&pdev->dev, pdev);
}

/* A driverless PCI function with a 64-bit memory BAR of at least 4 MiB */
static int provider_bar(struct pci_dev *pdev)
{
	int i;

	if (pdev->driver || pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -1;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long f = pci_resource_flags(pdev, i);

		if ((f & IORESOURCE_MEM) && (f & IORESOURCE_MEM_64) &&
		    pci_resource_len(pdev, i) >= SZ_4M)
			return i;
	}
	return -1;
}

/* Does any other PCI function reach @pdev by P2P? */
static bool provider_has_client(struct pci_dev *pdev)
{
	struct pci_dev *client = NULL;
	struct device *dev;

	for_each_pci_dev(client) {
		if (client == pdev || client->hdr_type != PCI_HEADER_TYPE_NORMAL)
			continue;
		dev = &client->dev;
		if (pci_p2pdma_distance_many(pdev, &dev, 1, false) >= 0) {
			pci_dev_put(client);
			return true;
		}
	}
	return false;
}

/*
 * The provider: the first candidate some other function reaches by P2P,
 * so the cases that move mappings through a client have one; else the
 * first candidate.
 */
static struct pci_dev *find_provider(int *bar)
{
	struct pci_dev *pdev = NULL, *first = NULL;

	for_each_pci_dev(pdev) {
		if (provider_bar(pdev) < 0)
			continue;
		if (provider_has_client(pdev)) {
			pci_dev_put(first);
			first = pdev;	/* holds a reference */
			break;
		}
		if (!first)
			first = pci_dev_get(pdev);
	}
	if (first)
		*bar = provider_bar(first);
	return first;
}

static void pci_dev_put_action(void *data)
{
	pci_dev_put(data);
}

static int phys_init(struct kunit *test)
{
	struct phys_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	test->priv = ctx;
	ctx->fake = kunit_device_register(test, "dma-buf-phys-fake");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->fake);

	ctx->pdev = find_provider(&ctx->bar);
	if (!ctx->pdev)
		return 0;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_dev_put_action,
							ctx->pdev), 0);
	KUNIT_ASSERT_NOT_NULL(test, devres_open_group(&ctx->pdev->dev, ctx->pdev,
						      GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, devres_group_action,
							ctx->pdev), 0);
	KUNIT_ASSERT_EQ(test, pcim_p2pdma_init(ctx->pdev), 0);
	devres_close_group(&ctx->pdev->dev, ctx->pdev);
	ctx->provider = pcim_p2pdma_provider(ctx->pdev, ctx->bar);
	KUNIT_ASSERT_NOT_NULL(test, ctx->provider);
	return 0;
}

static struct phys_ctx *need_provider(struct kunit *test)
{
	struct phys_ctx *ctx = test->priv;

	if (!ctx->pdev)
		kunit_skip(test, "no driverless PCI device with a 64-bit BAR of 4 MiB");
	return ctx;
}

static void dma_buf_put_action(void *data)
{
	dma_buf_put(data);
}

static struct mock_exporter *mock_export(struct kunit *test,
					 const struct dma_buf_ops *ops)
{
	struct phys_ctx *ctx = need_provider(test);
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct mock_exporter *exp;
	int i;

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, exp);
	exp->pdev = ctx->pdev;
	exp->bar = ctx->bar;
	exp->provider = ctx->provider;
	for (i = 0; i < MOCK_NR_RANGES; i++) {
		exp->ranges[i].paddr = pci_resource_start(ctx->pdev, ctx->bar) +
				       mock_slices[i][0];
		exp->ranges[i].len = mock_slices[i][1];
	}
	info.ops = ops;
	info.size = mock_size();
	info.flags = O_RDWR;
	info.priv = exp;
	exp->dmabuf = dma_buf_export(&info);
	if (IS_ERR(exp->dmabuf)) {
		int err = PTR_ERR(exp->dmabuf);

		kfree(exp);
		KUNIT_FAIL_AND_ABORT(test, "dma_buf_export: %d", err);
	}
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dma_buf_put_action,
							exp->dmabuf), 0);
	return exp;
}

static void detach_action(void *data)
{
	struct mock_importer *imp = data;
	struct dma_buf *dmabuf = imp->attach->dmabuf;

	cancel_delayed_work_sync(&imp->late);
	dma_resv_lock(dmabuf->resv, NULL);
	if (imp->map)
		dma_buf_phys_unmap(imp->attach, imp->map);
	imp->map = NULL;
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, imp->attach);
}

static struct mock_importer *mock_import(struct kunit *test,
					 struct mock_exporter *exp,
					 struct device *dev,
					 const struct dma_buf_attach_ops *ops)
{
	struct mock_importer *imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, imp);
	imp->test = test;
	INIT_DELAYED_WORK(&imp->late, mock_importer_late);
	imp->attach = dma_buf_dynamic_attach(exp->dmabuf, dev, ops, imp);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, imp->attach);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, detach_action, imp), 0);
	return imp;
}

static int map_locked(struct mock_importer *imp, enum dma_data_direction dir)
{
	struct dma_resv *resv = imp->attach->dmabuf->resv;
	struct dma_buf_dma_map *map;

	dma_resv_lock(resv, NULL);
	map = dma_buf_phys_map(imp->attach, dir);
	if (!IS_ERR(map))
		imp->map = map;
	dma_resv_unlock(resv);
	return PTR_ERR_OR_ZERO(map);
}

static void mock_revoke(struct mock_exporter *exp, bool revoked)
{
	dma_resv_lock(exp->dmabuf->resv, NULL);
	exp->revoked = revoked;
	if (revoked)
		dma_buf_move_notify(exp->dmabuf);
	dma_resv_unlock(exp->dmabuf->resv);
}

/* An importer that takes range lists gets them, in the exporter's order. */
static void negotiate_phys(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct phys_ctx *ctx = test->priv;
	struct mock_importer *imp;
	struct dma_buf_phys phys;
	int i;

	imp = mock_import(test, exp, ctx->fake, &importer_phys);
	KUNIT_EXPECT_TRUE(test, dma_buf_attach_is_phys(imp->attach));
	KUNIT_EXPECT_TRUE(test, dma_buf_attach_revocable(imp->attach));

	dma_resv_lock(exp->dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, dma_buf_get_phys(imp->attach, &phys), 0);
	KUNIT_EXPECT_PTR_EQ(test, phys.provider, ctx->provider);
	KUNIT_ASSERT_EQ(test, phys.nr_ranges, MOCK_NR_RANGES);
	for (i = 0; i < MOCK_NR_RANGES; i++) {
		KUNIT_EXPECT_EQ(test, phys.ranges[i].paddr,
				pci_resource_start(ctx->pdev, ctx->bar) +
				mock_slices[i][0]);
		KUNIT_EXPECT_EQ(test, phys.ranges[i].len, mock_slices[i][1]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 1);
	dma_buf_put_phys(imp->attach);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}

/*
 * Either side missing: an importer without allow_phys, or an exporter
 * without get_phys, gives an attachment without the range list.
 */
static void negotiate_one_side(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct mock_exporter *plain = mock_export(test, &mock_sgt_only_ops);
	struct phys_ctx *ctx = test->priv;
	struct mock_importer *imp;
	struct dma_buf_phys phys;

	imp = mock_import(test, exp, ctx->fake, &importer_sgt);
	KUNIT_EXPECT_FALSE(test, dma_buf_attach_is_phys(imp->attach));
	dma_resv_lock(exp->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_get_phys(imp->attach, &phys), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dma_buf_phys_map(imp->attach,
						       DMA_TO_DEVICE)),
			-EOPNOTSUPP);
	dma_resv_unlock(exp->dmabuf->resv);

	imp = mock_import(test, plain, ctx->fake, &importer_phys);
	KUNIT_EXPECT_FALSE(test, dma_buf_attach_is_phys(imp->attach));
	KUNIT_EXPECT_EQ(test, map_locked(imp, DMA_TO_DEVICE), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&plain->dmabuf->phys_users), 0);
}

/* Static, non-revocable and non-P2P importers cannot attach. */
static void negotiate_refused(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct phys_ctx *ctx = test->priv;
	struct dma_buf_attachment *a;
	struct mock_importer imp = {};

	a = dma_buf_attach(exp->dmabuf, ctx->fake);
	KUNIT_EXPECT_EQ(test, PTR_ERR(a), -EOPNOTSUPP);
	a = dma_buf_dynamic_attach(exp->dmabuf, ctx->fake,
				   &importer_not_revocable, &imp);
	KUNIT_EXPECT_EQ(test, PTR_ERR(a), -EOPNOTSUPP);
	a = dma_buf_dynamic_attach(exp->dmabuf, ctx->fake, &importer_no_p2p,
				   &imp);
	KUNIT_EXPECT_EQ(test, PTR_ERR(a), -EOPNOTSUPP);
	KUNIT_EXPECT_TRUE(test, list_empty(&exp->dmabuf->attachments));
}

/* A device that is not on PCI cannot reach the provider. */
static void map_not_pci(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct phys_ctx *ctx = test->priv;
	struct mock_importer *imp;

	imp = mock_import(test, exp, ctx->fake, &importer_phys);
	KUNIT_EXPECT_EQ(test, map_locked(imp, DMA_BIDIRECTIONAL), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp->attach->phys_users), 0);
}

static bool translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && domain->type & __IOMMU_DOMAIN_PAGING;
}

/*
 * Untranslated, a mapping through the host bridge is the physical address
 * itself, which the device's DMA mask must cover.
 */
static bool mask_reaches(struct kunit *test, struct device *dev)
{
	struct phys_ctx *ctx = test->priv;
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);

	if (translated(dev))
		return true;
	return pci_resource_end(ctx->pdev, ctx->bar) <= limit;
}

/* Check one importer's mapping against what the PCI core says. */
static void check_client(struct kunit *test, struct mock_exporter *exp,
			 struct pci_dev *client, unsigned int *seen)
{
	struct phys_ctx *ctx = test->priv;
	int type = pci_p2pdma_map_type(ctx->provider, &client->dev);
	struct iommu_domain *domain;
	struct mock_importer *imp;
	int i, ret;

	imp = mock_import(test, exp, &client->dev, &importer_phys);
	ret = map_locked(imp, DMA_BIDIRECTIONAL);
	if (type != PCI_P2PDMA_MAP_BUS_ADDR &&
	    type != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -EREMOTEIO, "client %s",
				    pci_name(client));
		KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
		*seen |= BIT(PCI_P2PDMA_MAP_NOT_SUPPORTED);
		return;
	}
	if (type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE &&
	    !mask_reaches(test, &client->dev)) {
		/* MMIO is never bounced: out of reach is an error */
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "client %s",
				    pci_name(client));
		KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
		return;
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "client %s", pci_name(client));
	KUNIT_EXPECT_EQ(test, imp->map->map_type, type);
	KUNIT_ASSERT_EQ(test, imp->map->nr_ranges, MOCK_NR_RANGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 1);
	domain = translated(&client->dev) ?
		 iommu_get_domain_for_dev(&client->dev) : NULL;
	for (i = 0; i < MOCK_NR_RANGES; i++) {
		dma_addr_t addr = imp->map->ranges[i].addr;

		KUNIT_EXPECT_EQ(test, imp->map->ranges[i].len, mock_slices[i][1]);
		if (type == PCI_P2PDMA_MAP_BUS_ADDR) {
			KUNIT_EXPECT_EQ(test, addr,
					pci_bus_address(ctx->pdev, ctx->bar) +
					mock_slices[i][0]);
			continue;
		}
		if (domain) {
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, addr),
					exp->ranges[i].paddr);
			KUNIT_EXPECT_EQ(test,
					iommu_iova_to_phys(domain, addr +
							   mock_slices[i][1] - 1),
					exp->ranges[i].paddr + mock_slices[i][1] - 1);
		} else {
			KUNIT_EXPECT_EQ(test, addr, exp->ranges[i].paddr);
		}
	}
	*seen |= BIT(type);

	/* Unmapped: the IOVAs are gone from the domain */
	dma_resv_lock(exp->dmabuf->resv, NULL);
	if (type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE && domain) {
		dma_addr_t first = imp->map->ranges[0].addr;

		dma_buf_phys_unmap(imp->attach, imp->map);
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, first), 0);
	} else {
		dma_buf_phys_unmap(imp->attach, imp->map);
	}
	imp->map = NULL;
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}

/* Every PCI function as an importer: each gets the PCI core's map type. */
static void map_per_type(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct phys_ctx *ctx = test->priv;
	struct pci_dev *client = NULL;
	unsigned int seen = 0;

	for_each_pci_dev(client) {
		if (client == ctx->pdev ||
		    client->hdr_type != PCI_HEADER_TYPE_NORMAL)
			continue;
		check_client(test, exp, client, &seen);
	}
	kunit_info(test, "map types seen: %s%s%s\n",
		   seen & BIT(PCI_P2PDMA_MAP_NOT_SUPPORTED) ? "not-supported " : "",
		   seen & BIT(PCI_P2PDMA_MAP_BUS_ADDR) ? "bus-address " : "",
		   seen & BIT(PCI_P2PDMA_MAP_THRU_HOST_BRIDGE) ? "host-bridge" : "");
	KUNIT_EXPECT_NE(test, seen, 0);
}

/* A client that reaches the provider, preferring the host bridge path. */
static struct pci_dev *reachable_client(struct kunit *test)
{
	struct phys_ctx *ctx = test->priv;
	struct pci_dev *client = NULL, *bus = NULL;

	for_each_pci_dev(client) {
		int type;

		if (client == ctx->pdev ||
		    client->hdr_type != PCI_HEADER_TYPE_NORMAL)
			continue;
		type = pci_p2pdma_map_type(ctx->provider, &client->dev);
		if (type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE &&
		    mask_reaches(test, &client->dev)) {
			pci_dev_put(bus);
			return client;	/* holds a reference */
		}
		if (type == PCI_P2PDMA_MAP_BUS_ADDR && !bus)
			bus = pci_dev_get(client);
	}
	if (!bus)
		kunit_skip(test, "no PCI function reaches the provider by P2P");
	return bus;
}

/*
 * The exporter's sg_table: only DMA addresses, no page anywhere, an empty
 * CPU list, segments no longer than the device allows and within its
 * segment boundary (4 GiB for PCI; the BAR's slices cross none).
 */
static void sgt_no_pages(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct pci_dev *client = reachable_client(test);
	unsigned int seg, nents = 0, cpu = 0;
	struct mock_importer *imp;
	unsigned long mask;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 total = 0;
	int i;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_dev_put_action,
							client), 0);
	seg = dma_get_max_seg_size(&client->dev) & PAGE_MASK;
	mask = dma_get_seg_boundary(&client->dev);
	for (i = 0; i < MOCK_NR_RANGES; i++)
		nents += DIV_ROUND_UP(mock_slices[i][1], seg);

	imp = mock_import(test, exp, &client->dev, &importer_sgt);
	dma_resv_lock(exp->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	KUNIT_EXPECT_EQ(test, sgt->orig_nents, 0);
	for_each_sgtable_sg(sgt, sg, i)
		cpu++;
	KUNIT_EXPECT_EQ(test, cpu, 0);
	KUNIT_EXPECT_EQ(test, sgt->nents, nents);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t first = sg_dma_address(sg);
		dma_addr_t last = first + sg_dma_len(sg) - 1;

		KUNIT_EXPECT_NULL(test, sg_page(sg));
		KUNIT_EXPECT_LE(test, sg_dma_len(sg), seg);
		KUNIT_EXPECT_EQ(test, first & ~mask, last & ~mask);
		total += sg_dma_len(sg);
	}
	KUNIT_EXPECT_EQ(test, total, mock_size());
	KUNIT_EXPECT_EQ(test, atomic_read(&imp->attach->phys_users), 1);

	dma_resv_lock(exp->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(imp->attach, sgt, DMA_BIDIRECTIONAL);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}

struct seg_boundary_saved {
	struct device *dev;
	unsigned long mask;
};

static void seg_boundary_restore(void *data)
{
	struct seg_boundary_saved *saved = data;

	dma_set_seg_boundary(saved->dev, saved->mask);
}

/*
 * A device whose segments must not cross 32 KiB boundaries: the table
 * splits every 64 KiB segment, none crosses one, and they still add up to
 * the ranges, in order. One whose boundary is inside a page gets -EINVAL.
 * (With pages over 32 KiB, the boundary is a page.)
 */
static void sgt_seg_boundary(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct pci_dev *client = reachable_client(test);
	/* 32 KiB, or a page where pages are larger */
	const unsigned long bnd = max_t(unsigned long, SZ_32K, PAGE_SIZE);
	const unsigned long mask = bnd - 1;
	struct seg_boundary_saved *saved;
	struct mock_importer *imp;
	struct scatterlist *sg;
	struct sg_table *sgt;
	dma_addr_t next = 0;
	unsigned int r = 0;
	u64 done = 0;
	int i;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_dev_put_action,
							client), 0);
	saved = kunit_kzalloc(test, sizeof(*saved), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, saved);
	saved->dev = &client->dev;
	KUNIT_ASSERT_NOT_NULL(test, client->dev.dma_parms);
	saved->mask = dma_get_seg_boundary(&client->dev);
	KUNIT_ASSERT_GT(test, saved->mask, mask);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, seg_boundary_restore,
							saved), 0);
	imp = mock_import(test, exp, &client->dev, &importer_sgt);

	/* A boundary inside a page leaves no segment to make */
	dma_set_seg_boundary(&client->dev, SZ_2K - 1);
	dma_resv_lock(exp->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);

	dma_set_seg_boundary(&client->dev, mask);
	dma_resv_lock(exp->dmabuf->resv, NULL);
	sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	/* one segment per boundary window, one more per unaligned range */
	KUNIT_EXPECT_GE(test, sgt->nents, mock_size() / bnd);
	KUNIT_EXPECT_LE(test, sgt->nents, mock_size() / bnd + MOCK_NR_RANGES);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t first = sg_dma_address(sg);
		dma_addr_t last = first + sg_dma_len(sg) - 1;

		KUNIT_EXPECT_GT(test, sg_dma_len(sg), 0);
		KUNIT_EXPECT_EQ_MSG(test, first & ~mask, last & ~mask,
				    "segment %d %pad+%#x crosses a boundary",
				    i, &first, sg_dma_len(sg));
		/* a range's segments follow each other, ranges in order */
		if (r == MOCK_NR_RANGES) {
			KUNIT_FAIL(test, "segment %d is past the last range", i);
			break;
		}
		if (done)
			KUNIT_EXPECT_EQ(test, first, next);
		next = last + 1;
		done += sg_dma_len(sg);
		KUNIT_EXPECT_LE(test, done, mock_slices[r][1]);
		if (done >= mock_slices[r][1]) {
			r++;
			done = 0;
		}
	}
	KUNIT_EXPECT_EQ(test, r, MOCK_NR_RANGES);

	dma_resv_lock(exp->dmabuf->resv, NULL);
	dma_buf_unmap_attachment(imp->attach, sgt, DMA_BIDIRECTIONAL);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}

/*
 * Revoke: the importer is told and drops its mapping before the wait
 * returns; every way of mapping fails with -ENODEV; restore brings them
 * back.
 */
static void revoke_wait_restore(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct pci_dev *client = reachable_client(test);
	struct mock_importer *imp, *sgt_imp;
	struct dma_buf_phys phys;
	struct sg_table *sgt;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_dev_put_action,
							client), 0);
	imp = mock_import(test, exp, &client->dev, &importer_phys);
	sgt_imp = mock_import(test, exp, &client->dev, &importer_sgt);
	KUNIT_ASSERT_EQ(test, map_locked(imp, DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 1);

	mock_revoke(exp, true);
	KUNIT_EXPECT_EQ(test, dma_buf_phys_wait_unmapped(exp->dmabuf), 0);
	KUNIT_EXPECT_EQ(test, imp->notified, 1);
	KUNIT_EXPECT_EQ(test, sgt_imp->notified, 1);
	KUNIT_EXPECT_NULL(test, imp->map);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);

	KUNIT_EXPECT_EQ(test, map_locked(imp, DMA_BIDIRECTIONAL), -ENODEV);
	dma_resv_lock(exp->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_get_phys(imp->attach, &phys), -ENODEV);
	sgt = dma_buf_map_attachment(sgt_imp->attach, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -ENODEV);
	dma_resv_unlock(exp->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);

	mock_revoke(exp, false);
	KUNIT_EXPECT_EQ(test, map_locked(imp, DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 1);
}

/*
 * An importer that drops its mapping late, from another thread: the
 * exporter's wait warns naming it, and still returns only after it did.
 */
static void revoke_late_importer(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct pci_dev *client = reachable_client(test);
	unsigned int saved = dma_buf_phys_revoke_warn_ms;
	struct mock_importer *imp, *prompt;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_dev_put_action,
							client), 0);
	imp = mock_import(test, exp, &client->dev, &importer_phys);
	prompt = mock_import(test, exp, &client->dev, &importer_phys);
	KUNIT_ASSERT_EQ(test, map_locked(imp, DMA_BIDIRECTIONAL), 0);
	KUNIT_ASSERT_EQ(test, map_locked(prompt, DMA_BIDIRECTIONAL), 0);
	imp->delay_ms = 300;

	dma_buf_phys_revoke_warn_ms = 20;
	mock_revoke(exp, true);
	KUNIT_EXPECT_EQ(test, dma_buf_phys_wait_unmapped(exp->dmabuf), 1);
	dma_buf_phys_revoke_warn_ms = saved;

	KUNIT_EXPECT_TRUE(test, imp->dropped_late);
	KUNIT_EXPECT_NULL(test, prompt->map);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}

struct revoke_thread {
	struct mock_exporter *exp;
	struct completion done;
	unsigned int late;
};

static int revoke_thread_fn(void *data)
{
	struct revoke_thread *rt = data;

	mock_revoke(rt->exp, true);
	rt->late = dma_buf_phys_wait_unmapped(rt->exp->dmabuf);
	complete(&rt->done);
	return 0;
}

/*
 * An importer that detaches while it still holds a mapping: nobody can
 * release that mapping any more, so the exporter's revoke waits for it for
 * good, and keeps saying so, naming the importer, while it waits.
 */
static void revoke_leaked_mapping(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	unsigned int saved = dma_buf_phys_revoke_warn_ms;
	struct revoke_thread rt = { .exp = exp };
	struct phys_ctx *ctx = test->priv;
	struct dma_buf_attachment *attach;
	struct task_struct *task;
	struct dma_buf_phys phys;
	int warnings, i, ret;

	attach = dma_buf_dynamic_attach(exp->dmabuf, ctx->fake, &importer_phys,
					NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, attach);
	dma_resv_lock(exp->dmabuf->resv, NULL);
	ret = dma_buf_get_phys(attach, &phys);
	dma_resv_unlock(exp->dmabuf->resv);
	if (ret)
		dma_buf_detach(exp->dmabuf, attach);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* The importer's bug: detached with the description still in use */
	dma_buf_detach(exp->dmabuf, attach);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 1);
	KUNIT_EXPECT_NOT_NULL(test, exp->dmabuf->phys_leaker);
	if (exp->dmabuf->phys_leaker)
		KUNIT_EXPECT_NOT_NULL(test, strstr(exp->dmabuf->phys_leaker,
						   dev_name(ctx->fake)));

	dma_buf_phys_revoke_warn_ms = 10;
	init_completion(&rt.done);
	warnings = atomic_read(&dma_buf_phys_late_warnings);
	task = kthread_run(revoke_thread_fn, &rt, "dma-buf-phys-revoke");
	if (IS_ERR(task)) {
		dma_buf_phys_revoke_warn_ms = saved;
		dma_buf_phys_forget_leaked(exp->dmabuf, 1);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %ld", PTR_ERR(task));
	}

	/* Warned about 10, 30 and 70 ms into the wait, and still waiting */
	for (i = 0; i < 500; i++) {
		if (atomic_read(&dma_buf_phys_late_warnings) - warnings >= 3)
			break;
		msleep(20);
	}
	KUNIT_EXPECT_GE(test, atomic_read(&dma_buf_phys_late_warnings) - warnings, 3);
	KUNIT_EXPECT_FALSE(test, completion_done(&rt.done));
	KUNIT_EXPECT_TRUE(test, exp->revoked);

	/* Only the test can end it: it knows the mapping is not used */
	dma_buf_phys_forget_leaked(exp->dmabuf, 1);
	wait_for_completion(&rt.done);
	dma_buf_phys_revoke_warn_ms = saved;
	KUNIT_EXPECT_EQ(test, rt.late, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}

#ifdef CONFIG_FAULT_INJECTION
enum nth_outcome {
	NTH_FAILED,	/* the map failed, fully unwound */
	NTH_ABSORBED,	/* the fault hit a point whose caller recovers */
	NTH_PAST_END,	/* the map ran out of fault points: it worked */
};

/* Map and unmap once with fail-nth @n */
static enum nth_outcome map_fail_nth(struct kunit *test,
				     struct mock_importer *imp, bool sgt_path,
				     unsigned int n)
{
	struct dma_resv *resv = imp->attach->dmabuf->resv;
	struct sg_table *sgt = NULL;
	unsigned int left;
	int ret;

	dma_resv_lock(resv, NULL);
	current->fail_nth = n;
	if (sgt_path) {
		sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
		ret = PTR_ERR_OR_ZERO(sgt);
	} else {
		imp->map = dma_buf_phys_map(imp->attach, DMA_BIDIRECTIONAL);
		ret = PTR_ERR_OR_ZERO(imp->map);
	}
	left = current->fail_nth;
	current->fail_nth = 0;
	if (!ret && sgt_path)
		dma_buf_unmap_attachment(imp->attach, sgt, DMA_BIDIRECTIONAL);
	else if (!ret)
		dma_buf_phys_unmap(imp->attach, imp->map);
	imp->map = NULL;
	dma_resv_unlock(resv);

	KUNIT_EXPECT_EQ(test, atomic_read(&imp->attach->phys_users), 0);
	if (ret) {
		/* A fault anywhere in the path is -ENOMEM, fully unwound */
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "fail-nth %u", n);
		KUNIT_EXPECT_EQ_MSG(test, left, 0, "fail-nth %u", n);
		return NTH_FAILED;
	}
	return left ? NTH_PAST_END : NTH_ABSORBED;
}

/*
 * Fail the 1st, 2nd, ... fault point of a map until the map gets past the
 * last one; return how many of them made it fail. Some fault points come
 * and go: the page allocator's high-order try for a new slab (failed, it
 * falls back to a smaller order), a GFP_NOWAIT pool refill. When one of
 * those takes the fault, the same n is tried again: a point that shows up
 * in one run and not the next may shift which point fails at n, but
 * cannot lower the count below the number of points that fail the map.
 */
static unsigned int map_sweep(struct kunit *test, struct mock_importer *imp,
			      bool sgt_path)
{
	const char *what = sgt_path ? "sg_table map" : "range map";
	unsigned int n, tries, failed = 0, absorbed = 0;
	enum nth_outcome out;

	for (n = 1; n < 64; n++) {
		for (tries = 0; tries < 8; tries++) {
			out = map_fail_nth(test, imp, sgt_path, n);
			if (out != NTH_ABSORBED)
				break;
			absorbed++;
		}
		if (out == NTH_PAST_END)
			break;
		if (out == NTH_FAILED)
			failed++;
	}
	if (n == 64)
		KUNIT_FAIL(test, "%s: no end to the fault points", what);
	kunit_info(test, "%s: %u fault points failed it, %u faults absorbed elsewhere",
		   what, failed, absorbed);
	return failed;
}

/*
 * Fail each allocation and DMA mapping of a map in turn (the task's
 * fail-nth counter drives the fail_dma_buf_phys fault point, and any
 * other the path reaches): every failure is -ENOMEM and leaves nothing
 * mapped or counted.
 */
static void fail_nth_map(struct kunit *test)
{
	struct mock_exporter *exp = mock_export(test, &mock_phys_ops);
	struct pci_dev *client = reachable_client(test);
	struct mock_importer *imp, *sgt_imp;
	unsigned int own = 0;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pci_dev_put_action,
							client), 0);
	imp = mock_import(test, exp, &client->dev, &importer_phys);
	sgt_imp = mock_import(test, exp, &client->dev, &importer_sgt);

	/*
	 * At least the project's own points fail it: before the mapping's
	 * allocation and, through the host bridge, before each range's
	 * dma_map_phys(); for a table also before the table and its entries.
	 */
	if (pci_p2pdma_map_type(exp->provider, &client->dev) ==
	    PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		own = MOCK_NR_RANGES;
	KUNIT_EXPECT_GE(test, map_sweep(test, imp, false), 1 + own);
	KUNIT_EXPECT_GE(test, map_sweep(test, sgt_imp, true), 3 + own);
	KUNIT_EXPECT_EQ(test, atomic_read(&exp->dmabuf->phys_users), 0);
}
#else
static void fail_nth_map(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}
#endif

static struct kunit_case dma_buf_phys_cases[] = {
	KUNIT_CASE(negotiate_phys),
	KUNIT_CASE(negotiate_one_side),
	KUNIT_CASE(negotiate_refused),
	KUNIT_CASE(map_not_pci),
	KUNIT_CASE(map_per_type),
	KUNIT_CASE(sgt_no_pages),
	KUNIT_CASE(sgt_seg_boundary),
	KUNIT_CASE(revoke_wait_restore),
	KUNIT_CASE(revoke_late_importer),
	KUNIT_CASE(revoke_leaked_mapping),
	KUNIT_CASE(fail_nth_map),
	{}
};

static struct kunit_suite dma_buf_phys_suite = {
	.name = "dma_buf_phys_p2p",
	.init = phys_init,
	.test_cases = dma_buf_phys_cases,
};

kunit_test_suite(dma_buf_phys_suite);

MODULE_DESCRIPTION("KUnit tests for the dma-buf physical range interconnect");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
