// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_IOAS_CHANGE_PROCESS: hand the pinned-page accounting of an iommufd
 * context to the calling process.
 *
 * A VMM that updates itself in place (QEMU's CPR) passes its iommufd to a
 * new process and lets the old one exit, while devices keep doing DMA to
 * guest memory. Every iopt_pages charges the pages it pins to the process
 * that mapped it (source_mm, source_task, source_user); the new process
 * takes those charges over with this command, so they are not left on an
 * mm that is gone and the new process's limits apply from then on.
 *
 * Only pages that need no mm can change hands: memfd maps of
 * IOMMU_IOAS_MAP_FILE, whose pages come from the file. A map of user
 * memory (IOMMU_IOAS_MAP) is pinned through the mapper's page tables, so
 * while one exists in any IOAS of the context the command fails with
 * -EINVAL. dma-buf maps pin and charge nothing, so they do not stand in
 * the way (mainline refuses them; the contract here lets them be, as a
 * VMM keeps the BARs of its assigned devices mapped across the update):
 * they change hands with nothing to move.
 *
 * Every IOAS's iova_rwsem is held for writing while the charges move,
 * which keeps every reader of an iopt_pages' source_* (the pfn_reader,
 * the accesses) out, so nothing else pins or unpins meanwhile and each
 * iopt_pages' npinned equals what it has charged (last_npinned).
 */

#include <linux/cred.h>
#include <linux/iommu.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "io_pagetable.h"

/* Release what iommufd_change_process_lock() took, in any state */
static void iommufd_change_process_unlock(struct iommufd_ctx *ictx,
					  struct xarray *locked)
{
	struct iommufd_ioas *ioas;
	unsigned long index;

	xa_for_each(locked, index, ioas) {
		up_write(&ioas->iopt.iova_rwsem);
		refcount_dec(&ioas->obj.users);
	}
	xa_destroy(locked);
	up_write(&ictx->ioas_creation_lock);
}

/*
 * Hold every IOAS of @ictx, and its iova_rwsem for writing, in ID order.
 * ioas_creation_lock keeps new IOASes out and lets one thread at a time
 * nest the iova_rwsems.
 */
static int iommufd_change_process_lock(struct iommufd_ctx *ictx,
				       struct xarray *locked)
{
	struct iommufd_object *obj;
	unsigned long index;
	int rc;

	xa_init(locked);
	down_write(&ictx->ioas_creation_lock);
	xa_lock(&ictx->objects);
	xa_for_each(&ictx->objects, index, obj) {
		struct iommufd_ioas *ioas;

		if (!obj || obj->type != IOMMUFD_OBJ_IOAS ||
		    !refcount_inc_not_zero(&obj->users))
			continue;
		xa_unlock(&ictx->objects);

		ioas = container_of(obj, struct iommufd_ioas, obj);
		down_write_nest_lock(&ioas->iopt.iova_rwsem,
				     &ictx->ioas_creation_lock);
		rc = xa_err(xa_store(locked, index, ioas, GFP_KERNEL));
		if (rc) {
			up_write(&ioas->iopt.iova_rwsem);
			refcount_dec(&obj->users);
			iommufd_change_process_unlock(ictx, locked);
			return rc;
		}
		xa_lock(&ictx->objects);
	}
	xa_unlock(&ictx->objects);
	return 0;
}

typedef int (*iopt_area_fn)(struct iopt_area *area, void *arg);

/* Call @fn for every area of the locked IOASes until it returns an error */
static int iommufd_apply_to_locked_areas(struct xarray *locked,
					 iopt_area_fn fn, void *arg)
{
	struct iommufd_ioas *ioas;
	struct iopt_area *area;
	unsigned long index;
	int rc;

	xa_for_each(locked, index, ioas) {
		for (area = iopt_area_iter_first(&ioas->iopt, 0, ULONG_MAX);
		     area; area = iopt_area_iter_next(area, 0, ULONG_MAX)) {
			rc = fn(area, arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Does moving @pages to the calling process change whom it charges? */
static bool iopt_pages_charges_elsewhere(struct iopt_pages *pages)
{
	/*
	 * Every account mode counts the pages in the mm's pinned_vm (VmPin),
	 * even IOPT_PAGES_ACCOUNT_NONE (CAP_IPC_LOCK): they move with it
	 */
	if (pages->source_mm != current->mm)
		return true;
	/* IOPT_PAGES_ACCOUNT_USER charges the user's locked_vm too */
	return pages->account_mode == IOPT_PAGES_ACCOUNT_USER &&
	       pages->source_user != current_user();
}

/*
 * Charge @npinned[mode] pages to the calling process, all or nothing,
 * through an iopt_pages that stands for it.
 */
static int iommufd_charge_current(unsigned long *npinned)
{
	struct iopt_pages self = {
		.source_task = current->group_leader,
		.source_mm = current->mm,
		.source_user = current_user(),
	};
	unsigned int mode;
	int rc = 0;

	for (mode = 0; mode < IOPT_PAGES_ACCOUNT_MODE_NUM; mode++) {
		if (!npinned[mode])
			continue;
		self.account_mode = mode;
		rc = iopt_pages_update_pinned(&self, npinned[mode], true, NULL);
		if (rc)
			break;
	}
	if (!rc)
		return 0;

	while (mode--) {
		if (!npinned[mode])
			continue;
		self.account_mode = mode;
		iopt_pages_update_pinned(&self, npinned[mode], false, NULL);
	}
	return rc;
}

/* Can the area's pages change hands? */
static int iopt_area_check_movable(struct iopt_area *area, void *arg)
{
	if (!area->pages)
		return -EBUSY;
	if (area->pages->type == IOPT_ADDRESS_USER)
		return -EINVAL;
	return 0;
}

/*
 * Add what the area's pages charge elsewhere to @arg, an array indexed by
 * account mode, counting each iopt_pages once however many areas share
 * it: last_npinned is zeroed on the first visit, and put back from
 * npinned (equal to it under these locks) on every way out.
 */
static int iopt_area_count_moving(struct iopt_area *area, void *arg)
{
	struct iopt_pages *pages = area->pages;
	unsigned long *npinned = arg;

	if (iopt_pages_charges_elsewhere(pages)) {
		npinned[pages->account_mode] += pages->last_npinned;
		pages->last_npinned = 0;
	}
	return 0;
}

static int iopt_area_uncount(struct iopt_area *area, void *arg)
{
	area->pages->last_npinned = area->pages->npinned;
	return 0;
}

/* Make the calling process the source of @pages */
static void iopt_pages_take_over(struct iopt_pages *pages)
{
	struct task_struct *old_task = pages->source_task;
	struct user_struct *old_user = pages->source_user;
	struct mm_struct *old_mm = pages->source_mm;

	mmgrab(current->mm);
	pages->source_mm = current->mm;
	mmdrop(old_mm);

	get_task_struct(current->group_leader);
	pages->source_task = current->group_leader;
	put_task_struct(old_task);

	pages->source_user = get_uid(current_user());
	free_uid(old_user);
}

/* Uncharge the area's pages where they were charged, and take them over */
static int iopt_area_move(struct iopt_area *area, void *arg)
{
	struct iopt_pages *pages = area->pages;

	/* Moved already through another area of the same pages */
	if (!iopt_pages_charges_elsewhere(pages))
		return 0;
	/*
	 * Uncharging puts last_npinned back; it cannot fail (where the old
	 * mm is gone, so is what it was charged)
	 */
	iopt_pages_update_pinned(pages, pages->npinned, false, NULL);
	iopt_pages_take_over(pages);
	return 0;
}

/**
 * iommufd_ioas_change_process() - IOMMU_IOAS_CHANGE_PROCESS
 * @ucmd: the command; &struct iommu_ioas_change_process
 *
 * Return: 0; -EOPNOTSUPP for a nonzero __reserved; -EINVAL while a map of
 * user memory exists in any IOAS of the context; -EBUSY while an area is
 * being created or destroyed; -ENOMEM when the calling process cannot be
 * charged the pages (its RLIMIT_MEMLOCK). On failure nothing changed.
 */
int iommufd_ioas_change_process(struct iommufd_ucmd *ucmd)
{
	unsigned long npinned[IOPT_PAGES_ACCOUNT_MODE_NUM] = {};
	struct iommu_ioas_change_process *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct xarray locked;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	rc = iommufd_change_process_lock(ictx, &locked);
	if (rc)
		return rc;

	rc = iommufd_apply_to_locked_areas(&locked, iopt_area_check_movable,
					   NULL);
	if (rc)
		goto out_unlock;

	iommufd_apply_to_locked_areas(&locked, iopt_area_count_moving, npinned);
	rc = iommufd_charge_current(npinned);
	if (rc) {
		iommufd_apply_to_locked_areas(&locked, iopt_area_uncount, NULL);
		goto out_unlock;
	}
	iommufd_apply_to_locked_areas(&locked, iopt_area_move, NULL);

out_unlock:
	iommufd_change_process_unlock(ictx, &locked);
	return rc;
}
