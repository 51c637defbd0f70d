// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_IOAS_MAP_FILE: map a file's memory into an IOAS without a user VA.
 *
 * A memfd (shmem or hugetlbfs) gets iopt_pages of type IOPT_ADDRESS_FILE:
 * everything works as for IOMMU_IOAS_MAP of its pages, except that the
 * pfn_reader pins folios of the file instead of pages of an mm, one pin
 * per page as for user pages. A dma-buf that describes itself as physical
 * ranges (a PCI BAR exported by VFIO, say) is mapped from those ranges as
 * MMIO: see dmabuf.c.
 *
 * Write permission: a writeable map of a memfd needs the fd open for
 * writing and no F_SEAL_WRITE or F_SEAL_FUTURE_WRITE seal, as a shared
 * writable mmap() would (EPERM otherwise), and like such an mmap() it
 * keeps F_SEAL_WRITE from being added (EBUSY) until it is unmapped. A
 * dma-buf's access mode is not looked at: no importer in the kernel
 * enforces it, and the exporter decides what its buffer allows.
 */

#include <linux/dma-buf.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "io_pagetable.h"

/**
 * iopt_file_pin_pages() - pin pages of a memfd for the pfn_reader
 * @pages: FILE pages
 * @start_index: first page, counted from @pages->file_start
 * @npages: pages wanted
 * @out: receives the pages
 * @folios: room for @npages folios, the caller's to reuse from call to call
 *
 * Every page returned holds one FOLL_PIN reference, as pin_user_pages()
 * gives, so the pfn_reader unpins them page by page.
 *
 * Return: the number of pages pinned (at least 1), or a negative errno.
 * Fewer than @npages may be pinned; the caller asks again for the rest.
 */
long iopt_file_pin_pages(struct iopt_pages *pages, unsigned long start_index,
			 unsigned long npages, struct page **out,
			 struct folio **folios)
{
	loff_t first = pages->file_start + ((loff_t)start_index << PAGE_SHIFT);
	loff_t last = first + ((loff_t)npages << PAGE_SHIFT) - 1;
	unsigned long filled = 0;
	pgoff_t offset;
	long nr, i;
	int rc = 0;

	nr = memfd_pin_folios(pages->file, first, last, folios, npages,
			      &offset);
	if (nr <= 0)
		return nr ? nr : -EFAULT;

	for (i = 0; i < nr && filled < npages; i++) {
		struct folio *folio = folios[i];
		unsigned long idx = i ? 0 : offset >> PAGE_SHIFT;
		unsigned long take = min(folio_nr_pages(folio) - idx,
					 npages - filled);
		unsigned long k;

		/*
		 * memfd_pin_folios() pinned the folio once; pages are unpinned
		 * one by one: one pin per page
		 */
		if (take > 1) {
			rc = folio_add_pins(folio, take - 1);
			if (rc)
				break;
		}
		for (k = 0; k < take; k++)
			out[filled + k] = folio_page(folio, idx + k);
		filled += take;
	}
	/* The folios not used, the one folio_add_pins() refused included */
	for (; i < nr; i++)
		unpin_folio(folios[i]);
	return filled ? filled : rc;
}

/*
 * The dma-buf behind @fd, or NULL when it is not one: then, and only then,
 * the caller takes @fd as a file. Each path looks the descriptor up once.
 */
static struct dma_buf *iommufd_get_dmabuf(int fd)
{
	struct dma_buf *dmabuf;

	if (!IS_ENABLED(CONFIG_DMA_SHARED_BUFFER))
		return NULL;
	dmabuf = dma_buf_get(fd);
	return IS_ERR(dmabuf) ? NULL : dmabuf;
}

static bool iommufd_file_is_memfd(struct file *file)
{
	return shmem_file(file) || is_file_hugepages(file);
}

/* The seals of a shmem or hugetlbfs file (memfd_fcntl() is not exported) */
static unsigned int iommufd_memfd_seals(struct file *file)
{
	if (shmem_file(file))
		return READ_ONCE(SHMEM_I(file_inode(file))->seals);
#ifdef CONFIG_HUGETLBFS
	if (is_file_hugepages(file))
		return READ_ONCE(HUGETLBFS_I(file_inode(file))->seals);
#endif
	return 0;
}

static int iommufd_map_memfd(struct iommufd_ucmd *ucmd,
			     struct iommufd_ioas *ioas, struct file *file,
			     unsigned long *iova, int prot, unsigned int flags)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	unsigned long start = ALIGN_DOWN(cmd->start, PAGE_SIZE);
	struct iopt_pages *pages;
	int rc;

	if (cmd->start + cmd->length > i_size_read(file_inode(file)))
		return -EINVAL;
	/*
	 * The device may write only what a shared writable mmap() of the fd
	 * could: the fd is open for writing, no F_SEAL_FUTURE_WRITE, and the
	 * mapping is counted as writable until the pages go, which refuses
	 * F_SEAL_WRITE now (EPERM) and later (EBUSY), pinned or not.
	 */
	if (prot & IOMMU_WRITE) {
		if (!(file->f_mode & FMODE_WRITE) ||
		    (iommufd_memfd_seals(file) & F_SEAL_FUTURE_WRITE))
			return -EPERM;
		rc = mapping_map_writable(file->f_mapping);
		if (rc)
			return rc;
	}

	pages = iopt_alloc_pages((void __user *)start,
				 cmd->length + (cmd->start - start),
				 prot & IOMMU_WRITE);
	if (IS_ERR(pages)) {
		if (prot & IOMMU_WRITE)
			mapping_unmap_writable(file->f_mapping);
		return PTR_ERR(pages);
	}
	if (ucmd->ictx->account_mode == IOPT_PAGES_ACCOUNT_MM &&
	    pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	pages->type = IOPT_ADDRESS_FILE;
	/* From here iopt_release_pages() undoes mapping_map_writable() */
	pages->file = get_file(file);
	pages->file_start = start;
	return iopt_map_file_pages(&ioas->iopt, iova, pages, cmd->start - start,
				   cmd->length, prot, flags);
}

static int iommufd_map_dmabuf(struct iommufd_ucmd *ucmd,
			      struct iommufd_ioas *ioas, struct dma_buf *dmabuf,
			      unsigned long *iova, int prot, unsigned int flags)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	struct iopt_pages *pages;

	pages = iopt_alloc_dmabuf_pages(iommufd_global_device(), dmabuf,
					cmd->start, cmd->length,
					prot & IOMMU_WRITE);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	return iopt_map_file_pages(&ioas->iopt, iova, pages, 0, cmd->length,
				   prot, flags);
}

/**
 * iommufd_ioas_map_file() - IOMMU_IOAS_MAP_FILE
 * @ucmd: the command; &struct iommu_ioas_map_file
 *
 * Return: 0 with the IOVA written back, or a negative errno: -EINVAL for a
 * zero length, a range past the end of the file, a dma-buf range not page
 * aligned, or a file that is neither a memfd nor a dma-buf; -EOVERFLOW
 * when start + length wraps; -EPERM for a writeable mapping of a memfd
 * opened read-only or sealed against writes; -EOPNOTSUPP for a dma-buf
 * that is not a physical range list; -ENODEV for a revoked one.
 */
int iommufd_ioas_map_file(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	unsigned long iova = cmd->iova;
	struct iommufd_ioas *ioas;
	struct dma_buf *dmabuf;
	unsigned int flags = 0;
	struct file *file;
	int prot = 0;
	u64 end;
	int rc;

	if (cmd->flags & ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |
			   IOMMU_IOAS_MAP_READABLE))
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	if (!cmd->length)
		return -EINVAL;
	/* start + length wraps, or (32-bit) does not fit an unsigned long */
	if (check_add_overflow(cmd->start, cmd->length, &end) || end > ULONG_MAX)
		return -EOVERFLOW;

	if (cmd->flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (cmd->flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	/* dma-buf areas drop IOMMU_CACHE and take IOMMU_MMIO on insertion */
	prot |= IOMMU_CACHE;
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = IOPT_ALLOC_IOVA;

	dmabuf = iommufd_get_dmabuf(cmd->fd);
	if (dmabuf) {
		file = NULL;
	} else {
		file = fget(cmd->fd);
		if (!file)
			return -EBADF;
		if (!iommufd_file_is_memfd(file)) {
			rc = -EINVAL;
			goto out_file;
		}
	}

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_file;
	}

	if (dmabuf)
		rc = iommufd_map_dmabuf(ucmd, ioas, dmabuf, &iova, prot, flags);
	else
		rc = iommufd_map_memfd(ucmd, ioas, file, &iova, prot, flags);
	if (rc)
		goto out_put;

	cmd->iova = iova;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	iommufd_put_object(ucmd->ictx, &ioas->obj);
out_file:
	if (IS_ENABLED(CONFIG_DMA_SHARED_BUFFER) && dmabuf)
		dma_buf_put(dmabuf);
	if (file)
		fput(file);
	return rc;
}

MODULE_IMPORT_NS(DMA_BUF);
