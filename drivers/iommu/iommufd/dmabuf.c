// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd areas backed by a dma-buf described as physical ranges.
 *
 * IOMMU_IOAS_MAP_FILE of such a dma-buf makes an iopt_pages of type
 * IOPT_ADDRESS_DMABUF. It attaches to the buffer negotiating the physical
 * range interconnect (drivers/dma-buf/dma-buf-phys.c), takes the range
 * list once under the reservation lock and keeps a copy of the part it
 * maps. Those pages never go through the pfn_reader: there is nothing to
 * pin, account or look up as a struct page. Areas are mapped into each
 * domain straight from the ranges, one iommu_map() per range, with
 * IOMMU_MMIO and without IOMMU_CACHE, so the IOMMU driver picks the
 * largest page sizes the alignment of IOVA and physical address allows.
 *
 * Every (area, domain) pair holding such a mapping is on the pages'
 * list, under pages->mutex. When the exporter revokes the buffer,
 * move_notify (called with the reservation lock held) unmaps every pair
 * and releases its use of the range list before it returns, without the io_pagetable
 * locks: the exporter's revoke finds no mapping left. The pages stay
 * revoked for good; the areas stay until user space unmaps them, and
 * mapping the buffer again works once the exporter has restored it.
 *
 * Lock order: dma-buf reservation lock, then pages->mutex (a lockdep class
 * of its own: these pages never take mmap_lock under it), then the IOMMU
 * driver's locks. The io_pagetable locks are taken before pages->mutex as
 * everywhere in iommufd, and never under a reservation lock.
 */

#include <linux/dma-buf.h>
#include <linux/dma-buf-phys.h>
#include <linux/dma-resv.h>
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "io_pagetable.h"

struct iopt_pages_dmabuf {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	bool revoked;		/* under resv and pages->mutex; never cleared */
	bool phys_held;		/* a dma_buf_get_phys() use is outstanding */
	struct list_head maps;	/* struct iopt_dmabuf_map, under pages->mutex */
	unsigned int nr_ranges;
	struct phys_vec *ranges;	/* index 0 is page 0 */
};

/* An area whose whole IOVA range is mapped in a domain */
struct iopt_dmabuf_map {
	struct list_head node;
	struct iopt_area *area;
	struct iommu_domain *domain;
};

static struct lock_class_key iopt_dmabuf_mutex_key;

static unsigned long iopt_dmabuf_iova(struct iopt_area *area)
{
	return iopt_area_iova(area) - area->page_offset;
}

static size_t iopt_dmabuf_len(struct iopt_area *area)
{
	return (iopt_area_last_index(area) - iopt_area_index(area) + 1) *
	       PAGE_SIZE;
}

static void iopt_dmabuf_unmap_one(struct iopt_dmabuf_map *m)
{
	size_t len = iopt_dmabuf_len(m->area);

	WARN_ON(iommu_unmap(m->domain, iopt_dmabuf_iova(m->area), len) != len);
	list_del(&m->node);
	kfree(m);
}

/* Map the area's pages into @domain from the ranges; pages->mutex held */
static int iopt_dmabuf_map(struct iopt_pages *pages, struct iopt_area *area,
			   struct iommu_domain *domain)
{
	struct iopt_pages_dmabuf *db = pages->dmabuf;
	u64 skip = (u64)iopt_area_index(area) << PAGE_SHIFT;
	unsigned long iova = iopt_dmabuf_iova(area);
	size_t left = iopt_dmabuf_len(area);
	struct iopt_dmabuf_map *m;
	unsigned long done = 0;
	unsigned int i;
	int rc;

	lockdep_assert_held(&pages->mutex);
	if (db->revoked)
		return -ENODEV;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;

	for (i = 0; i < db->nr_ranges && left; i++) {
		const struct phys_vec *r = &db->ranges[i];
		size_t len;

		if (skip >= r->len) {
			skip -= r->len;
			continue;
		}
		len = min_t(u64, r->len - skip, left);
		if (iommufd_should_fail()) {
			rc = -ENOMEM;
			goto err_unmap;
		}
		rc = iommu_map(domain, iova + done, r->paddr + skip, len,
			       area->iommu_prot, GFP_KERNEL_ACCOUNT);
		if (rc)
			goto err_unmap;
		done += len;
		left -= len;
		skip = 0;
	}
	if (WARN_ON(left)) {
		rc = -EINVAL;
		goto err_unmap;
	}

	m->area = area;
	m->domain = domain;
	list_add(&m->node, &db->maps);
	return 0;

err_unmap:
	if (done)
		WARN_ON(iommu_unmap(domain, iova, done) != done);
	kfree(m);
	return rc;
}

/**
 * iopt_dmabuf_unmap_domain() - unmap an area from one domain
 * @pages: the area's dma-buf pages
 * @area: the area
 * @domain: the domain
 *
 * Does nothing when the area is not mapped there (never filled, or
 * revoked since). Context: pages->mutex held.
 */
void iopt_dmabuf_unmap_domain(struct iopt_pages *pages, struct iopt_area *area,
			      struct iommu_domain *domain)
{
	struct iopt_dmabuf_map *m, *next;

	lockdep_assert_held(&pages->mutex);
	list_for_each_entry_safe(m, next, &pages->dmabuf->maps, node)
		if (m->area == area && m->domain == domain)
			iopt_dmabuf_unmap_one(m);
}

/**
 * iopt_dmabuf_unmap_area() - unmap an area from every domain
 * @pages: the area's dma-buf pages
 * @area: the area being destroyed
 *
 * Context: pages->mutex held.
 */
void iopt_dmabuf_unmap_area(struct iopt_pages *pages, struct iopt_area *area)
{
	struct iopt_dmabuf_map *m, *next;

	lockdep_assert_held(&pages->mutex);
	list_for_each_entry_safe(m, next, &pages->dmabuf->maps, node)
		if (m->area == area)
			iopt_dmabuf_unmap_one(m);
}

/**
 * iopt_dmabuf_fill_domain() - map an area into a domain attached later
 * @area: the area
 * @domain: the new domain
 *
 * A revoked buffer maps nothing: the area waits to be unmapped.
 * Context: pages->mutex held.
 * Return: 0 or a negative errno; on error nothing is left mapped.
 */
int iopt_dmabuf_fill_domain(struct iopt_area *area, struct iommu_domain *domain)
{
	struct iopt_pages *pages = area->pages;

	lockdep_assert_held(&pages->mutex);
	if (pages->dmabuf->revoked)
		return 0;
	return iopt_dmabuf_map(pages, area, domain);
}

/**
 * iopt_dmabuf_fill_domains() - map a new area into every domain
 * @area: the area, not yet visible
 * @pages: its dma-buf pages
 *
 * Context: the io_pagetable's domains_rwsem held.
 * Return: 0, -ENODEV if the buffer was revoked, or another negative
 * errno; on error no domain is changed.
 */
int iopt_dmabuf_fill_domains(struct iopt_area *area, struct iopt_pages *pages)
{
	struct iommu_domain *domain;
	unsigned long index;
	int rc = 0;

	lockdep_assert_held(&area->iopt->domains_rwsem);

	mutex_lock(&pages->mutex);
	if (pages->dmabuf->revoked) {
		rc = -ENODEV;
		goto out_unlock;
	}
	if (xa_empty(&area->iopt->domains))
		goto out_unlock;

	xa_for_each(&area->iopt->domains, index, domain) {
		rc = iopt_dmabuf_map(pages, area, domain);
		if (rc) {
			iopt_dmabuf_unmap_area(pages, area);
			goto out_unlock;
		}
	}
	area->storage_domain = xa_load(&area->iopt->domains, 0);
	interval_tree_insert(&area->pages_node, &pages->domains_itree);
out_unlock:
	mutex_unlock(&pages->mutex);
	return rc;
}

static void iopt_dmabuf_move_notify(struct dma_buf_attachment *attach)
{
	struct iopt_pages *pages = attach->importer_priv;
	struct iopt_pages_dmabuf *db = pages->dmabuf;
	struct iopt_dmabuf_map *m, *next;
	bool put;

	dma_resv_assert_held(attach->dmabuf->resv);

	mutex_lock(&pages->mutex);
	db->revoked = true;
	list_for_each_entry_safe(m, next, &db->maps, node)
		iopt_dmabuf_unmap_one(m);
	put = db->phys_held;
	db->phys_held = false;
	mutex_unlock(&pages->mutex);

	/* The IOTLB was flushed by iommu_unmap(): nothing reaches the BAR */
	if (put)
		dma_buf_put_phys(attach);
}

static const struct dma_buf_attach_ops iopt_dmabuf_attach_ops = {
	.allow_phys = true,
	.revocable = true,
	.move_notify = iopt_dmabuf_move_notify,
};

/*
 * Keep the part of the range list that backs [start, start + length),
 * trimmed so that its byte 0 is byte @start of the buffer.
 */
static int iopt_dmabuf_copy_ranges(struct iopt_pages_dmabuf *db,
				   const struct dma_buf_phys *phys,
				   unsigned long start, unsigned long length)
{
	u64 pos = 0, end = (u64)start + length;
	unsigned int i, n = 0;

	for (i = 0; i < phys->nr_ranges; i++) {
		const struct phys_vec *r = &phys->ranges[i];

		if (!r->len || !PAGE_ALIGNED(r->paddr) || !PAGE_ALIGNED(r->len))
			return -EINVAL;
		if (pos < end && pos + r->len > start)
			n++;
		pos += r->len;
	}
	if (pos < end || !n)
		return -EINVAL;

	db->ranges = kvcalloc(n, sizeof(*db->ranges), GFP_KERNEL_ACCOUNT);
	if (!db->ranges)
		return -ENOMEM;

	pos = 0;
	for (i = 0; i < phys->nr_ranges && db->nr_ranges < n; i++) {
		const struct phys_vec *r = &phys->ranges[i];
		u64 from = max_t(u64, pos, start);
		u64 to = min_t(u64, pos + r->len, end);

		if (from < to) {
			db->ranges[db->nr_ranges].paddr = r->paddr + (from - pos);
			db->ranges[db->nr_ranges].len = to - from;
			db->nr_ranges++;
		}
		pos += r->len;
	}
	return 0;
}

/**
 * iopt_alloc_dmabuf_pages() - pages for a range-list dma-buf
 * @dev: the device the attachment is made for
 * @dmabuf: the buffer (the pages take their own reference)
 * @start: byte offset in the buffer, page aligned
 * @length: bytes, page aligned, not 0
 * @writable: whether the mapping may be writable
 *
 * Return: the pages, or an ERR_PTR(): -EINVAL for a range outside the
 * buffer or not page aligned, -EOPNOTSUPP for a buffer that is not a
 * range list, -ENODEV for a revoked one.
 */
struct iopt_pages *iopt_alloc_dmabuf_pages(struct device *dev,
					   struct dma_buf *dmabuf,
					   unsigned long start,
					   unsigned long length, bool writable)
{
	struct dma_buf_attachment *attach;
	struct iopt_pages_dmabuf *db;
	struct iopt_pages *pages;
	struct dma_buf_phys phys;
	phys_addr_t first;
	int rc;

	if (!length || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(length) ||
	    start > dmabuf->size || length > dmabuf->size - start)
		return ERR_PTR(-EINVAL);
	/* Before attaching: the core maps other exporters at attach time */
	if (!dma_buf_offers_phys(dmabuf))
		return ERR_PTR(-EOPNOTSUPP);

	db = kzalloc(sizeof(*db), GFP_KERNEL_ACCOUNT);
	if (!db)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&db->maps);
	get_dma_buf(dmabuf);
	db->dmabuf = dmabuf;

	/*
	 * uptr only feeds the IOVA alignment hint; it is set to the physical
	 * address of the first byte once the ranges are known.
	 */
	pages = iopt_alloc_pages(NULL, length, writable);
	if (IS_ERR(pages)) {
		dma_buf_put(dmabuf);
		kfree(db);
		return pages;
	}
	lockdep_set_class(&pages->mutex, &iopt_dmabuf_mutex_key);
	pages->type = IOPT_ADDRESS_DMABUF;
	pages->dmabuf = db;
	pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;

	/* From here iopt_put_pages() undoes everything */
	attach = dma_buf_dynamic_attach(dmabuf, dev, &iopt_dmabuf_attach_ops,
					pages);
	if (IS_ERR(attach)) {
		rc = PTR_ERR(attach);
		goto err_put;
	}
	db->attach = attach;
	if (!dma_buf_attach_is_phys(attach)) {
		rc = -EOPNOTSUPP;
		goto err_put;
	}

	dma_resv_lock(dmabuf->resv, NULL);
	rc = db->revoked ? -ENODEV : dma_buf_get_phys(attach, &phys);
	if (!rc) {
		db->phys_held = true;
		rc = iopt_dmabuf_copy_ranges(db, &phys, start, length);
	}
	dma_resv_unlock(dmabuf->resv);
	if (rc)
		goto err_put;

	first = db->ranges[0].paddr;
	pages->uptr = (void __user *)(uintptr_t)first;
	return pages;

err_put:
	iopt_put_pages(pages);
	return ERR_PTR(rc);
}

/**
 * iopt_dmabuf_iova_hint() - the physical address of a byte of dma-buf pages
 * @pages: DMABUF pages
 * @start_byte: offset in @pages
 *
 * Only feeds the alignment an IOVA is picked with. The range list is set
 * when the pages are made and never changes: no lock is needed.
 *
 * Return: the physical address of byte @start_byte, 0 past the end.
 */
unsigned long iopt_dmabuf_iova_hint(struct iopt_pages *pages,
				    unsigned long start_byte)
{
	struct iopt_pages_dmabuf *db = pages->dmabuf;
	unsigned int i;

	for (i = 0; i < db->nr_ranges; i++) {
		if (start_byte < db->ranges[i].len)
			return db->ranges[i].paddr + start_byte;
		start_byte -= db->ranges[i].len;
	}
	return 0;
}

/**
 * iopt_release_dmabuf() - release the dma-buf state of pages
 * @pages: pages whose last reference is gone
 */
void iopt_release_dmabuf(struct iopt_pages *pages)
{
	struct iopt_pages_dmabuf *db = pages->dmabuf;

	if (db->attach) {
		WARN_ON(!list_empty(&db->maps));
		/* Serialises against a move_notify already running */
		dma_resv_lock(db->dmabuf->resv, NULL);
		db->revoked = true;
		if (db->phys_held) {
			db->phys_held = false;
			dma_buf_put_phys(db->attach);
		}
		dma_resv_unlock(db->dmabuf->resv);
		/* No move_notify can start once detached */
		dma_buf_detach(db->dmabuf, db->attach);
	}
	dma_buf_put(db->dmabuf);
	kvfree(db->ranges);
	kfree(db);
}
