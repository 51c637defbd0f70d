// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf physical range interconnect.
 *
 * An exporter whose memory is a PCI BAR describes a buffer as a list of
 * physical ranges plus the P2P provider that owns them
 * (&dma_buf_ops.get_phys), instead of building a scatterlist of struct
 * pages it does not have. An importer that declared
 * &dma_buf_attach_ops.allow_phys gets that description under the
 * reservation lock and maps it for its device with dma_buf_phys_map():
 * the PCI core says whether and how the importer reaches the provider,
 * and each range becomes a bus address or a dma_map_phys() mapping with
 * DMA_ATTR_MMIO. Importers that only know dma_buf_map_attachment() are
 * served by the exporter with dma_buf_phys_vec_to_sgt(), which builds a
 * DMA-address-only table from the same mapping.
 *
 * Every mapping made here is counted on its attachment and on the buffer,
 * so an exporter that revokes can wait until the importers it notified
 * have really dropped them (dma_buf_phys_wait_unmapped()).
 *
 * See Documentation/driver-api/dma-buf-phys.rst.
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/dma-buf-phys.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fault-inject.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <kunit/visibility.h>

VISIBLE_IF_KUNIT unsigned int dma_buf_phys_revoke_warn_ms = 5000;
EXPORT_SYMBOL_IF_KUNIT(dma_buf_phys_revoke_warn_ms);
module_param_named(revoke_warn_ms, dma_buf_phys_revoke_warn_ms, uint, 0644);
MODULE_PARM_DESC(revoke_warn_ms,
		 "Warn when importers still hold mappings this long after a revoke (ms)");

/* How often, at most, a revoke that is still waiting says so again */
#define DMA_BUF_PHYS_WARN_MAX_MS	60000U

/* Rounds of late-importer warnings, for the KUnit suite */
VISIBLE_IF_KUNIT atomic_t dma_buf_phys_late_warnings = ATOMIC_INIT(0);
EXPORT_SYMBOL_IF_KUNIT(dma_buf_phys_late_warnings);

static DECLARE_WAIT_QUEUE_HEAD(dma_buf_phys_wq);

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(fail_dma_buf_phys);

/*
 * A fault point before every allocation and every DMA mapping, reachable
 * through the task's fail-nth counter, so tests can fail each one in turn.
 */
static bool dma_buf_phys_should_fail(void)
{
	return should_fail_ex(&fail_dma_buf_phys, 1, FAULT_NOWARN);
}
#else
static bool dma_buf_phys_should_fail(void)
{
	return false;
}
#endif

/**
 * dma_buf_attach_is_phys - did this attachment negotiate the range list?
 * @attach: the attachment
 *
 * Return: true when the importer declared &dma_buf_attach_ops.allow_phys
 * and the exporter implements &dma_buf_ops.get_phys.
 */
bool dma_buf_attach_is_phys(struct dma_buf_attachment *attach)
{
	return attach->phys;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_attach_is_phys, DMA_BUF);

/**
 * dma_buf_offers_phys - does the exporter describe the buffer as ranges?
 * @dmabuf: the buffer
 *
 * For importers that must not attach otherwise: the dma-buf core maps a
 * buffer of a non-dynamic exporter at attach time.
 *
 * Return: true when the exporter implements &dma_buf_ops.get_phys and is
 * dynamic (has &dma_buf_ops.pin), as a revocable range list must be.
 */
bool dma_buf_offers_phys(struct dma_buf *dmabuf)
{
	return dmabuf->ops->get_phys && dma_buf_is_dynamic(dmabuf);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_offers_phys, DMA_BUF);

/**
 * dma_buf_attach_revocable - may the exporter revoke this attachment?
 * @attach: the attachment
 *
 * For an exporter's &dma_buf_ops.attach: memory that can be revoked must
 * only be attached by importers that drop their mappings when told to.
 *
 * Return: true for a dynamic importer that declared
 * &dma_buf_attach_ops.revocable.
 */
bool dma_buf_attach_revocable(struct dma_buf_attachment *attach)
{
	return attach->importer_ops && attach->revocable;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_attach_revocable, DMA_BUF);

static void dma_buf_phys_users_get(struct dma_buf_attachment *attach)
{
	atomic_inc(&attach->phys_users);
	atomic_inc(&attach->dmabuf->phys_users);
}

static void dma_buf_phys_users_put(struct dma_buf_attachment *attach)
{
	if (WARN_ON(atomic_dec_return(&attach->phys_users) < 0)) {
		atomic_inc(&attach->phys_users);
		return;
	}
	if (atomic_dec_and_test(&attach->dmabuf->phys_users))
		wake_up_all(&dma_buf_phys_wq);
}

/**
 * dma_buf_get_phys - get the physical range description of a buffer
 * @attach: an attachment that negotiated the range list
 * @phys: filled with the provider and the ranges
 *
 * For importers that map the ranges themselves (into an IOMMU domain, say).
 * The description stays valid, and the exporter's revoke keeps waiting,
 * until the importer calls dma_buf_put_phys(); the importer must do that
 * once it has torn down everything it built from @phys, at the latest
 * from its &dma_buf_attach_ops.move_notify.
 *
 * Context: the buffer's reservation lock must be held.
 * Return: 0; -EOPNOTSUPP when the attachment did not negotiate the range
 * list; -ENODEV while the buffer is revoked.
 */
int dma_buf_get_phys(struct dma_buf_attachment *attach,
		     struct dma_buf_phys *phys)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	int ret;

	dma_resv_assert_held(dmabuf->resv);
	if (!attach->phys)
		return -EOPNOTSUPP;

	ret = dmabuf->ops->get_phys(attach, phys);
	if (ret)
		return ret;
	if (WARN_ON_ONCE(!phys->provider || !phys->nr_ranges))
		return -EINVAL;

	dma_buf_phys_users_get(attach);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_get_phys, DMA_BUF);

/**
 * dma_buf_put_phys - release a description from dma_buf_get_phys()
 * @attach: the attachment it was obtained on
 *
 * Wakes an exporter waiting in dma_buf_phys_wait_unmapped() when this was
 * the buffer's last outstanding mapping.
 */
void dma_buf_put_phys(struct dma_buf_attachment *attach)
{
	dma_buf_phys_users_put(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_put_phys, DMA_BUF);

static void dma_buf_phys_unmap_ranges(struct dma_buf_dma_map *map,
				      unsigned int count)
{
	unsigned int i;

	if (map->map_type != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		return;
	for (i = 0; i < count; i++)
		dma_unmap_phys(map->dev, map->ranges[i].addr,
			       map->ranges[i].len, map->dir, DMA_ATTR_MMIO);
}

static struct dma_buf_dma_map *
dma_buf_phys_map_ranges(struct device *dev, const struct dma_buf_phys *phys,
			enum dma_data_direction dir)
{
	const struct phys_vec *r = phys->ranges;
	struct dma_buf_dma_map *map;
	unsigned int i;
	int type;

	type = pci_p2pdma_map_type(phys->provider, dev);
	if (type != PCI_P2PDMA_MAP_BUS_ADDR &&
	    type != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		return ERR_PTR(-EREMOTEIO);

	if (dma_buf_phys_should_fail())
		return ERR_PTR(-ENOMEM);
	map = kvzalloc(struct_size(map, ranges, phys->nr_ranges), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	map->dev = dev;
	map->map_type = type;
	map->dir = dir;
	map->nr_ranges = phys->nr_ranges;

	for (i = 0; i < phys->nr_ranges; i++) {
		map->ranges[i].len = r[i].len;
		if (type == PCI_P2PDMA_MAP_BUS_ADDR) {
			map->ranges[i].addr =
				pci_p2pdma_bus_addr_map(phys->provider,
							r[i].paddr);
			continue;
		}
		if (dma_buf_phys_should_fail())
			goto err_unmap;
		map->ranges[i].addr = dma_map_phys(dev, r[i].paddr, r[i].len,
						   dir, DMA_ATTR_MMIO);
		if (dma_mapping_error(dev, map->ranges[i].addr))
			goto err_unmap;
	}
	return map;

err_unmap:
	dma_buf_phys_unmap_ranges(map, i);
	kvfree(map);
	return ERR_PTR(-ENOMEM);
}

/**
 * dma_buf_phys_map - map a range-list buffer for the importing device
 * @attach: an attachment that negotiated the range list
 * @dir: direction of the DMA the importer will do
 *
 * Asks the PCI core how @attach->dev reaches the buffer's provider, then
 * gives each range a bus address (both behind one switch) or a
 * dma_map_phys() mapping with %DMA_ATTR_MMIO (through the host bridge).
 * The mapping counts as a use of the description until
 * dma_buf_phys_unmap(); a dynamic importer calls that from its
 * &dma_buf_attach_ops.move_notify.
 *
 * Context: the buffer's reservation lock must be held.
 * Return: the DMA ranges, one per physical range, or an ERR_PTR():
 * -EOPNOTSUPP without the negotiated range list, -ENODEV while revoked,
 * -EREMOTEIO when the device cannot reach the provider by P2P DMA,
 * -ENOMEM when memory or a DMA mapping could not be had.
 */
struct dma_buf_dma_map *dma_buf_phys_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct dma_buf_dma_map *map;
	struct dma_buf_phys phys;
	int ret;

	ret = dma_buf_get_phys(attach, &phys);
	if (ret)
		return ERR_PTR(ret);

	map = dma_buf_phys_map_ranges(attach->dev, &phys, dir);
	if (IS_ERR(map))
		dma_buf_put_phys(attach);
	return map;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phys_map, DMA_BUF);

/**
 * dma_buf_phys_unmap - release a mapping from dma_buf_phys_map()
 * @attach: the attachment it was made on
 * @map: the mapping
 */
void dma_buf_phys_unmap(struct dma_buf_attachment *attach,
			struct dma_buf_dma_map *map)
{
	dma_buf_phys_unmap_ranges(map, map->nr_ranges);
	kvfree(map);
	dma_buf_put_phys(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phys_unmap, DMA_BUF);

/* A DMA-address-only table and the mapping it was built from. */
struct dma_buf_phys_sgt {
	struct sg_table sgt;
	unsigned int nents;
	struct dma_buf_dma_map *map;
};

/* The segments a device accepts: at most @max bytes, none crossing @mask */
struct dma_buf_phys_segs {
	unsigned int max;
	unsigned long mask;
};

static bool dma_buf_phys_segs_init(struct device *dev,
				   struct dma_buf_phys_segs *segs)
{
	segs->max = min_t(unsigned int, dma_get_max_seg_size(dev), UINT_MAX) &
		    PAGE_MASK;
	segs->mask = dma_get_seg_boundary(dev);
	return segs->max && segs->mask >= PAGE_SIZE - 1;
}

/* The length of the segment that starts at @addr, @left bytes remaining */
static unsigned int dma_buf_phys_seg_len(const struct dma_buf_phys_segs *segs,
					 dma_addr_t addr, size_t left)
{
	size_t len = min_t(size_t, left, segs->max);
	u64 to_boundary = (u64)(segs->mask - (addr & segs->mask)) + 1;

	/* zero when the boundary is the end of the address space */
	if (to_boundary && to_boundary < len)
		len = to_boundary;
	return len;
}

/* Entries needed for @map; 0 when more than an sg_table can have */
static unsigned int dma_buf_phys_count_segs(const struct dma_buf_dma_map *map,
					    const struct dma_buf_phys_segs *segs)
{
	unsigned int i, nents = 0;

	for (i = 0; i < map->nr_ranges; i++) {
		dma_addr_t addr = map->ranges[i].addr;
		size_t left = map->ranges[i].len;

		while (left) {
			unsigned int len = dma_buf_phys_seg_len(segs, addr, left);

			if (nents == UINT_MAX)
				return 0;
			nents++;
			addr += len;
			left -= len;
		}
	}
	return nents;
}

/**
 * dma_buf_phys_vec_to_sgt - serve map_dma_buf() from physical ranges
 * @attach: the attachment being mapped (must allow peer2peer)
 * @provider: the P2P provider owning every range
 * @phys_vec: the ranges, in buffer order
 * @nr_ranges: entries in @phys_vec
 * @size: the buffer size, the sum of the ranges' lengths
 * @dir: direction from dma_buf_map_attachment()
 *
 * For an exporter's &dma_buf_ops.map_dma_buf (mainline's name and
 * arguments): maps the ranges as dma_buf_phys_map() does and returns the
 * DMA ranges as an sg_table with
 * no pages and an empty CPU list (orig_nents is 0): only the DMA list,
 * walked with for_each_sgtable_dma_sg(), is meaningful. Ranges are split
 * into segments the device accepts: none longer than its maximum segment
 * size (rounded down to a page), none crossing its segment boundary.
 *
 * Context: the buffer's reservation lock must be held.
 * Return: the table, released with dma_buf_free_sgt(), or an
 * ERR_PTR(): -EOPNOTSUPP for an importer without peer2peer; -EINVAL for no
 * or an empty range, lengths that do not add up to @size, a device whose
 * segments cannot hold a page, or more segments than a table can have;
 * otherwise as dma_buf_phys_map().
 */
struct sg_table *dma_buf_phys_vec_to_sgt(struct dma_buf_attachment *attach,
					 struct p2pdma_provider *provider,
					 struct phys_vec *phys_vec,
					 size_t nr_ranges, size_t size,
					 enum dma_data_direction dir)
{
	const struct dma_buf_phys desc = {
		.provider = provider,
		.ranges = phys_vec,
		.nr_ranges = nr_ranges,
	};
	const struct dma_buf_phys *phys = &desc;
	struct dma_buf_phys_segs segs;
	struct dma_buf_phys_sgt *ps;
	struct scatterlist *sg;
	unsigned int i, nents;
	size_t total = 0;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!attach->peer2peer)
		return ERR_PTR(-EOPNOTSUPP);
	if (!dma_buf_phys_segs_init(attach->dev, &segs) || !nr_ranges ||
	    nr_ranges > UINT_MAX)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < nr_ranges; i++) {
		if (!phys_vec[i].len ||
		    check_add_overflow(total, phys_vec[i].len, &total))
			return ERR_PTR(-EINVAL);
	}
	if (total != size)
		return ERR_PTR(-EINVAL);

	if (dma_buf_phys_should_fail())
		return ERR_PTR(-ENOMEM);
	ps = kzalloc(sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return ERR_PTR(-ENOMEM);

	ps->map = dma_buf_phys_map_ranges(attach->dev, phys, dir);
	if (IS_ERR(ps->map)) {
		ret = PTR_ERR(ps->map);
		goto err_free;
	}

	/* Where the segments split depends on the DMA addresses */
	ret = -EINVAL;
	nents = dma_buf_phys_count_segs(ps->map, &segs);
	if (!nents)
		goto err_unmap;
	ret = -ENOMEM;
	if (dma_buf_phys_should_fail())
		goto err_unmap;
	ret = sg_alloc_table(&ps->sgt, nents, GFP_KERNEL);
	if (ret)
		goto err_unmap;
	ps->nents = nents;

	sg = ps->sgt.sgl;
	for (i = 0; i < ps->map->nr_ranges; i++) {
		dma_addr_t addr = ps->map->ranges[i].addr;
		size_t left = ps->map->ranges[i].len;

		while (left) {
			unsigned int len = dma_buf_phys_seg_len(&segs, addr, left);

			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = len;
			if (ps->map->map_type == PCI_P2PDMA_MAP_BUS_ADDR)
				sg_dma_mark_bus_address(sg);
			addr += len;
			left -= len;
			sg = sg_next(sg);
		}
	}
	/* Nothing here has a struct page or a CPU address */
	ps->sgt.orig_nents = 0;

	dma_buf_phys_users_get(attach);
	return &ps->sgt;

err_unmap:
	dma_buf_phys_unmap_ranges(ps->map, ps->map->nr_ranges);
	kvfree(ps->map);
err_free:
	kfree(ps);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phys_vec_to_sgt, DMA_BUF);

/**
 * dma_buf_free_sgt - release a table from dma_buf_phys_vec_to_sgt()
 * @attach: the attachment it was made for
 * @sgt: the table
 * @dir: direction it was mapped with
 *
 * For an exporter's &dma_buf_ops.unmap_dma_buf.
 */
void dma_buf_free_sgt(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct dma_buf_phys_sgt *ps = container_of(sgt, struct dma_buf_phys_sgt,
						   sgt);

	WARN_ON_ONCE(ps->map->dir != dir);
	ps->sgt.orig_nents = ps->nents;
	sg_free_table(&ps->sgt);
	dma_buf_phys_unmap_ranges(ps->map, ps->map->nr_ranges);
	kvfree(ps->map);
	kfree(ps);
	dma_buf_phys_users_put(attach);
}
EXPORT_SYMBOL_NS_GPL(dma_buf_free_sgt, DMA_BUF);

/**
 * dma_buf_phys_detach - account for mappings an importer detaches with
 * @attach: the attachment being detached
 *
 * Called by dma_buf_detach() under the reservation lock. An importer must
 * release every mapping it made through this interconnect before it
 * detaches. One that did not leaves mappings nobody can release any more,
 * and the device may still reach the memory through them: they stay
 * counted on the buffer, so the exporter's next revoke waits for them for
 * good. Say so now, and remember who it was, so that the revoke's warning
 * can name it after the attachment is gone.
 */
void dma_buf_phys_detach(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	int users = atomic_read(&attach->phys_users);

	dma_resv_assert_held(dmabuf->resv);
	if (likely(!users))
		return;

	dev_err(attach->dev,
		"dma-buf %lu (%s): importer %s detached holding %d mapping(s); they can never be released, and revoking the buffer will wait for them\n",
		file_inode(dmabuf->file)->i_ino, dmabuf->exp_name,
		dev_driver_string(attach->dev), users);
	if (!dmabuf->phys_leaker)
		dmabuf->phys_leaker = kasprintf(GFP_KERNEL, "%s %s",
						dev_driver_string(attach->dev),
						dev_name(attach->dev));
}

/**
 * dma_buf_phys_release - free what the interconnect kept on a buffer
 * @dmabuf: the buffer, called by the dma-buf core as it is freed
 */
void dma_buf_phys_release(struct dma_buf *dmabuf)
{
	kfree(dmabuf->phys_leaker);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* Let the KUnit suite end a revoke that waits for mappings it leaked */
void dma_buf_phys_forget_leaked(struct dma_buf *dmabuf, int users)
{
	if (atomic_sub_and_test(users, &dmabuf->phys_users))
		wake_up_all(&dma_buf_phys_wq);
}
EXPORT_SYMBOL_IF_KUNIT(dma_buf_phys_forget_leaked);
#endif

/* Name every importer the revoke waits for; return how many there are */
static unsigned int dma_buf_phys_warn_late(struct dma_buf *dmabuf,
					   unsigned int waited_ms)
{
	unsigned long ino = file_inode(dmabuf->file)->i_ino;
	struct dma_buf_attachment *attach;
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	unsigned int late = 0;
	int live = 0, leaked;

	dma_resv_lock(dmabuf->resv, NULL);
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		int users = atomic_read(&attach->phys_users);

		if (!users)
			continue;
		late++;
		live += users;
		dev_warn(attach->dev,
			 "dma-buf %lu (%s): importer %s still holds %d mapping(s) %u ms after revocation; waiting\n",
			 ino, dmabuf->exp_name, dev_driver_string(attach->dev),
			 users, waited_ms);
	}
	/* Work the importers queued before the revoke, still running */
	dma_resv_for_each_fence(&cursor, dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP,
				fence) {
		if (dma_fence_is_signaled(fence))
			continue;
		late++;
		pr_warn("dma-buf %lu (%s): fence %s:%s seqno %llu not signalled %u ms after revocation; waiting\n",
			ino, dmabuf->exp_name, fence->ops->get_driver_name(fence),
			fence->ops->get_timeline_name(fence), fence->seqno,
			waited_ms);
	}
	/* What no attachment accounts for was leaked by a detached one */
	leaked = atomic_read(&dmabuf->phys_users) - live;
	if (leaked > 0 && dmabuf->phys_leaker) {
		late++;
		pr_warn("dma-buf %lu (%s): %d mapping(s) leaked by importer %s, which detached without releasing them, block its revocation %u ms after it began; waiting\n",
			ino, dmabuf->exp_name, leaked, dmabuf->phys_leaker,
			waited_ms);
	}
	dma_resv_unlock(dmabuf->resv);
	atomic_inc(&dma_buf_phys_late_warnings);
	return late;
}

/*
 * Within @timeout: every fence of the buffer signalled (the work importers
 * queued on it before the revoke is done), then every mapping released.
 */
static bool dma_buf_phys_idle(struct dma_buf *dmabuf, unsigned long timeout)
{
	long left;

	left = dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP,
				     false, timeout);
	if (left <= 0)
		return false;
	return wait_event_timeout(dma_buf_phys_wq,
				  !atomic_read(&dmabuf->phys_users), left);
}

/**
 * dma_buf_phys_wait_unmapped - wait until importers dropped their mappings
 * @dmabuf: a buffer the exporter just revoked
 *
 * The exporter's revoke is: under the reservation lock, make
 * &dma_buf_ops.get_phys and &dma_buf_ops.map_dma_buf fail with -ENODEV and
 * call dma_buf_move_notify(); drop the lock; call this. It returns once
 * every fence in the buffer's reservation object has signalled (work an
 * importer that tracks its use with fences queued before the revoke is
 * done, as a GPU's) and every mapping made through this interconnect is
 * released. Past
 * the revoke_warn_ms module parameter it warns, naming each importer that
 * is late (one that detached without releasing its mappings included) and
 * each fence not yet signalled,
 * and keeps waiting; it says so again while the wait lasts, at doubling
 * intervals of at most a minute. An importer that never unmaps is a bug
 * that must be visible, not a reason to let memory be reached after a
 * revoke: the wait is never cut short. It sleeps in slices, so the
 * hung-task detector sees a task that keeps waking up to report, and the
 * warnings say what it waits for.
 *
 * Context: process context; the reservation lock must not be held.
 * Return: the largest number of importers that were late at one time (0
 * normally).
 */
unsigned int dma_buf_phys_wait_unmapped(struct dma_buf *dmabuf)
{
	unsigned int interval_ms = max(dma_buf_phys_revoke_warn_ms, 1U);
	unsigned long start = jiffies;
	unsigned int late = 0;

	might_sleep();
	while (!dma_buf_phys_idle(dmabuf, msecs_to_jiffies(interval_ms))) {
		unsigned int waited = jiffies_to_msecs(jiffies - start);

		late = max(late, dma_buf_phys_warn_late(dmabuf, waited));
		interval_ms = min(interval_ms * 2, DMA_BUF_PHYS_WARN_MAX_MS);
	}
	return late;
}
EXPORT_SYMBOL_NS_GPL(dma_buf_phys_wait_unmapped, DMA_BUF);
