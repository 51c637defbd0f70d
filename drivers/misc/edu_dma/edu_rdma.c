// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_rdma: a test-only RDMA device on QEMU's edu DMA engine.
 *
 * Each open file of /dev/edu_rdma may create one ib_device whose DMA
 * device is an edu device. User space registers memory regions on it
 * through uverbs, the way rdma-core's ibv_reg_dmabuf_mr() does; the
 * device offers nothing but protection domains and memory regions (of
 * dma-bufs; of user memory too, for the benchmarks' comparison), so the
 * kernel's ULPs (it is no kverbs provider) and the CM and MAD layers (its
 * port has no IB, RoCE or iWARP capability) leave it alone.
 *
 * A dma-buf MR is registered like a pinned hardware MR: the umem comes
 * from ib_umem_dmabuf_get_pinned_revocable_and_lock(), the MR's
 * translation table (its DMA blocks, as an HCA's MTT) is built once at
 * registration, and the revoke callback invalidates it for good, as irdma
 * does with its STag. A device created with EDU_RDMA_CREATE_DYNAMIC
 * registers dynamic MRs instead (ib_umem_dmabuf_get(), as mlx5 does):
 * move_notify drops the table and the mapping, and the next transfer maps
 * again. EDU_RDMA_XFER then plays the HCA: edu's DMA engine moves bytes
 * between RAM and an address of the MR through that table, staged
 * through edu's buffer.
 *
 * A transfer holds the buffer's reservation lock while edu runs, and the
 * exporter holds it while calling the revoke callback, so once a revoke
 * returns no transfer is using the table and none will again.
 * Lock order: the device's mr_lock, the reservation lock, edu's locks.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>
#include <rdma/iter.h>
#include <uapi/misc/edu_rdma.h>

#include "edu_dma.h"

/* Block sizes of the MR translation table, as an HCA's MTT offers them */
#define EDU_RDMA_PGSZ_BITMAP	(SZ_4K | SZ_2M | SZ_1G)
/* lkey = index << 8 | key byte, as most HCAs split theirs */
#define EDU_RDMA_KEY_SHIFT	8
#define EDU_RDMA_MAX_MRS	BIT(20)

struct edu_rdma_dev {
	struct ib_device ibdev;
	struct pci_dev *pdev;
	struct edu_dma *edu;
	u32 flags;			/* EDU_RDMA_CREATE_* */
	struct mutex mr_lock;		/* lookups for transfers vs dereg */
	struct xarray mrs;		/* index -> struct edu_rdma_mr */
	u32 next_mr;			/* xa_alloc_cyclic() cursor */
	atomic_t key;			/* key byte of the next lkey */
	atomic_t revokes;
	atomic_t nr_mrs;
	void *bounce;			/* RAM staging for edu */
	dma_addr_t bounce_dma;
};

struct edu_rdma_ucontext {
	struct ib_ucontext ibuc;
};

struct edu_rdma_pd {
	struct ib_pd ibpd;
};

struct edu_rdma_mr {
	struct ib_mr ibmr;
	struct edu_rdma_dev *dev;
	struct ib_umem *umem;
	struct ib_umem_dmabuf *umem_dmabuf;	/* dma-buf MRs only */
	u64 iova;
	u64 length;
	bool writable;
	unsigned int block_shift;
	/* The translation table; a dma-buf's under its reservation lock */
	unsigned int nr_blocks;
	dma_addr_t *blocks;
	bool revoked;
};

static struct edu_rdma_dev *to_edev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct edu_rdma_dev, ibdev);
}

static struct edu_rdma_mr *to_emr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct edu_rdma_mr, ibmr);
}

static struct dma_resv *edu_rdma_mr_resv(struct edu_rdma_mr *mr)
{
	return mr->umem_dmabuf->attach->dmabuf->resv;
}

/* A dma-buf MR's table may be revoked: take the reservation lock */
static int edu_rdma_mr_lock(struct edu_rdma_mr *mr)
{
	return mr->umem_dmabuf ?
		dma_resv_lock_interruptible(edu_rdma_mr_resv(mr), NULL) : 0;
}

static void edu_rdma_mr_unlock(struct edu_rdma_mr *mr)
{
	if (mr->umem_dmabuf)
		dma_resv_unlock(edu_rdma_mr_resv(mr));
}

static int edu_rdma_query_device(struct ib_device *ibdev,
				 struct ib_device_attr *attr,
				 struct ib_udata *udata)
{
	memset(attr, 0, sizeof(*attr));
	attr->vendor_id = to_edev(ibdev)->pdev->vendor;
	attr->vendor_part_id = to_edev(ibdev)->pdev->device;
	attr->max_mr_size = U64_MAX;
	attr->page_size_cap = EDU_RDMA_PGSZ_BITMAP;
	attr->max_mr = EDU_RDMA_MAX_MRS;
	attr->max_pd = EDU_RDMA_MAX_MRS;
	return 0;
}

static int edu_rdma_query_port(struct ib_device *ibdev, u32 port,
			       struct ib_port_attr *attr)
{
	attr->state = IB_PORT_ACTIVE;
	attr->phys_state = IB_PORT_PHYS_STATE_LINK_UP;
	attr->max_mtu = IB_MTU_4096;
	attr->active_mtu = IB_MTU_4096;
	attr->gid_tbl_len = 1;
	attr->pkey_tbl_len = 1;
	attr->max_msg_sz = EDU_RDMA_MAX_XFER;
	attr->active_width = IB_WIDTH_1X;
	attr->active_speed = IB_SPEED_SDR;
	return 0;
}

/*
 * No IB, RoCE or iWARP capability: the MAD, SA and CM clients skip the
 * port, and so does every ULP, this being no kverbs provider either.
 */
static int edu_rdma_get_port_immutable(struct ib_device *ibdev, u32 port,
				       struct ib_port_immutable *immutable)
{
	immutable->pkey_tbl_len = 1;
	immutable->gid_tbl_len = 1;
	immutable->core_cap_flags = 0;
	immutable->max_mad_size = 0;
	return 0;
}

static enum rdma_link_layer edu_rdma_get_link_layer(struct ib_device *ibdev,
						    u32 port)
{
	return IB_LINK_LAYER_UNSPECIFIED;
}

static int edu_rdma_query_gid(struct ib_device *ibdev, u32 port, int index,
			      union ib_gid *gid)
{
	if (index)
		return -EINVAL;
	memset(gid, 0, sizeof(*gid));
	return 0;
}

static int edu_rdma_query_pkey(struct ib_device *ibdev, u32 port, u16 index,
			       u16 *pkey)
{
	if (index)
		return -EINVAL;
	*pkey = 0xffff;
	return 0;
}

static int edu_rdma_alloc_ucontext(struct ib_ucontext *ibuc,
				   struct ib_udata *udata)
{
	return 0;
}

static void edu_rdma_dealloc_ucontext(struct ib_ucontext *ibuc)
{
}

/* Nothing is mmap'd: unregistering has nothing to take away from users. */
static void edu_rdma_disassociate_ucontext(struct ib_ucontext *ibuc)
{
}

static int edu_rdma_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	return 0;
}

static int edu_rdma_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	return 0;
}

static void edu_rdma_mr_drop_table(struct edu_rdma_mr *mr)
{
	kvfree(mr->blocks);
	mr->blocks = NULL;
	mr->nr_blocks = 0;
}

/*
 * The umem's revoke callback, with the buffer's reservation lock held: the
 * exporter revokes the buffer, or the MR is being deregistered. Like an
 * HCA invalidating the MR's key, drop the translation table for good;
 * the lkey stays taken until dereg, and transfers fail with ENODEV.
 */
static void edu_rdma_mr_revoke(void *priv)
{
	struct edu_rdma_mr *mr = priv;

	dma_resv_assert_held(edu_rdma_mr_resv(mr));
	mr->revoked = true;
	edu_rdma_mr_drop_table(mr);
	atomic_inc(&mr->dev->revokes);
}

/*
 * move_notify of a dynamic MR, with the reservation lock held: as mlx5
 * zaps its mkey's translation, drop the table, then the mapping. The
 * next transfer maps the buffer again, which fails while it is revoked.
 */
static void edu_rdma_mr_invalidate(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *umem_dmabuf = attach->importer_priv;
	struct edu_rdma_mr *mr = umem_dmabuf->private;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!umem_dmabuf->sgt)
		return;
	/* No MR yet: a registration that failed after mapping */
	if (mr) {
		edu_rdma_mr_drop_table(mr);
		atomic_inc(&mr->dev->revokes);
	}
	ib_umem_dmabuf_unmap_pages(umem_dmabuf);
}

static const struct dma_buf_attach_ops edu_rdma_dynamic_ops = {
	.allow_peer2peer = true,
	.revocable = true,
	.move_notify = edu_rdma_mr_invalidate,
};

/* Build the translation table from the umem's DMA blocks. */
static int edu_rdma_mr_fill(struct edu_rdma_mr *mr)
{
	struct ib_umem *umem = mr->umem;
	struct ib_block_iter biter;
	unsigned long pgsz;
	unsigned int i = 0;
	size_t n;

	pgsz = ib_umem_find_best_pgsz(umem, EDU_RDMA_PGSZ_BITMAP, mr->iova);
	if (!pgsz)
		return -EINVAL;
	n = ib_umem_num_dma_blocks(umem, pgsz);
	if (!n || n > UINT_MAX)
		return -EINVAL;
	mr->blocks = kvcalloc(n, sizeof(*mr->blocks), GFP_KERNEL);
	if (!mr->blocks)
		return -ENOMEM;
	rdma_umem_for_each_dma_block(umem, &biter, pgsz) {
		if (i == n)
			break;
		mr->blocks[i++] = rdma_block_iter_dma_address(&biter);
	}
	/* A table shorter than the MR would send edu to address 0 */
	if (WARN_ON_ONCE(i != n)) {
		edu_rdma_mr_drop_table(mr);
		return -EINVAL;
	}
	mr->nr_blocks = i;
	mr->block_shift = __ffs(pgsz);
	return 0;
}

static struct edu_rdma_mr *edu_rdma_mr_alloc(struct edu_rdma_dev *dev,
					     u64 iova, u64 length, int access)
{
	struct edu_rdma_mr *mr;
	u64 end;

	if (!length || check_add_overflow(iova, length - 1, &end))
		return ERR_PTR(-EINVAL);
	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->dev = dev;
	mr->iova = iova;
	mr->length = length;
	mr->writable = access & IB_ACCESS_LOCAL_WRITE;
	return mr;
}

/* Build the table and give the MR its keys: transfers may find it */
static int edu_rdma_mr_publish(struct edu_rdma_mr *mr)
{
	struct edu_rdma_dev *dev = mr->dev;
	u32 id;
	int ret;

	ret = edu_rdma_mr_fill(mr);
	if (ret)
		return ret;
	/* Reserve the index; transfers find the MR once it is complete */
	ret = xa_alloc_cyclic(&dev->mrs, &id, NULL,
			      XA_LIMIT(1, EDU_RDMA_MAX_MRS - 1), &dev->next_mr,
			      GFP_KERNEL);
	if (ret < 0) {
		edu_rdma_mr_drop_table(mr);
		return ret;
	}
	mr->ibmr.lkey = id << EDU_RDMA_KEY_SHIFT |
			(u8)atomic_inc_return(&dev->key);
	mr->ibmr.rkey = mr->ibmr.lkey;
	mr->ibmr.length = mr->length;
	mr->ibmr.iova = mr->iova;
	/* The reserved entry needs no allocation */
	xa_store(&dev->mrs, id, mr, GFP_KERNEL);
	atomic_inc(&dev->nr_mrs);
	return 0;
}

static struct ib_mr *edu_rdma_reg_user_mr_dmabuf(struct ib_pd *ibpd,
						 u64 offset, u64 length,
						 u64 iova, int fd, int access,
						 struct uverbs_attr_bundle *attrs)
{
	struct edu_rdma_dev *dev = to_edev(ibpd->device);
	struct ib_umem_dmabuf *umem_dmabuf;
	struct edu_rdma_mr *mr;
	int ret;

	mr = edu_rdma_mr_alloc(dev, iova, length, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);

	/* Attaches (and pins, and maps) and locks the reservation */
	if (dev->flags & EDU_RDMA_CREATE_PINNED) {
		umem_dmabuf = ib_umem_dmabuf_get_pinned(&dev->ibdev, offset,
							length, fd, access);
		if (!IS_ERR(umem_dmabuf))
			dma_resv_lock(umem_dmabuf->attach->dmabuf->resv, NULL);
	} else if (dev->flags & EDU_RDMA_CREATE_DYNAMIC) {
		umem_dmabuf = ib_umem_dmabuf_get(&dev->ibdev, offset, length,
						 fd, access,
						 &edu_rdma_dynamic_ops);
		if (!IS_ERR(umem_dmabuf))
			dma_resv_lock(umem_dmabuf->attach->dmabuf->resv, NULL);
	} else {
		umem_dmabuf = ib_umem_dmabuf_get_pinned_revocable_and_lock(&dev->ibdev,
									   offset,
									   length,
									   fd,
									   access);
	}
	if (IS_ERR(umem_dmabuf)) {
		ret = PTR_ERR(umem_dmabuf);
		goto err_free;
	}
	mr->umem_dmabuf = umem_dmabuf;
	mr->umem = &umem_dmabuf->umem;

	/* A dynamic MR maps now too, as mlx5's does */
	ret = 0;
	if (dev->flags & EDU_RDMA_CREATE_DYNAMIC)
		ret = ib_umem_dmabuf_map_pages(umem_dmabuf);
	if (!ret)
		ret = edu_rdma_mr_publish(mr);
	if (ret) {
		dma_resv_unlock(umem_dmabuf->attach->dmabuf->resv);
		ib_umem_release(mr->umem);
		goto err_free;
	}
	if (dev->flags & EDU_RDMA_CREATE_DYNAMIC)
		umem_dmabuf->private = mr;
	else if (!(dev->flags & EDU_RDMA_CREATE_PINNED))
		ib_umem_dmabuf_set_revoke_locked(umem_dmabuf,
						 edu_rdma_mr_revoke, mr);
	dma_resv_unlock(umem_dmabuf->attach->dmabuf->resv);
	return &mr->ibmr;

err_free:
	kfree(mr);
	return ERR_PTR(ret);
}

/* An MR of user memory (pinned pages), as the benchmarks' comparison */
static struct ib_mr *edu_rdma_reg_user_mr(struct ib_pd *ibpd, u64 start,
					  u64 length, u64 iova, int access,
					  struct ib_udata *udata)
{
	struct edu_rdma_dev *dev = to_edev(ibpd->device);
	struct edu_rdma_mr *mr;
	int ret;

	mr = edu_rdma_mr_alloc(dev, iova, length, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->umem = ib_umem_get(&dev->ibdev, start, length, access);
	if (IS_ERR(mr->umem)) {
		ret = PTR_ERR(mr->umem);
		goto err_free;
	}
	ret = edu_rdma_mr_publish(mr);
	if (ret) {
		ib_umem_release(mr->umem);
		goto err_free;
	}
	return &mr->ibmr;

err_free:
	kfree(mr);
	return ERR_PTR(ret);
}

static int edu_rdma_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct edu_rdma_mr *mr = to_emr(ibmr);
	struct edu_rdma_dev *dev = mr->dev;

	/* No transfer uses the MR once it is out of the table */
	mutex_lock(&dev->mr_lock);
	xa_erase(&dev->mrs, ibmr->lkey >> EDU_RDMA_KEY_SHIFT);
	mutex_unlock(&dev->mr_lock);

	/* A dma-buf's runs the revoke callback unless the exporter did */
	ib_umem_release(mr->umem);
	kvfree(mr->blocks);
	atomic_dec(&dev->nr_mrs);
	kfree(mr);
	return 0;
}

static const struct ib_device_ops edu_rdma_dev_ops = {
	.owner = THIS_MODULE,
	.driver_id = RDMA_DRIVER_UNKNOWN,
	.uverbs_abi_ver = 1,

	.alloc_pd = edu_rdma_alloc_pd,
	.alloc_ucontext = edu_rdma_alloc_ucontext,
	.dealloc_pd = edu_rdma_dealloc_pd,
	.dealloc_ucontext = edu_rdma_dealloc_ucontext,
	.dereg_mr = edu_rdma_dereg_mr,
	.disassociate_ucontext = edu_rdma_disassociate_ucontext,
	.get_link_layer = edu_rdma_get_link_layer,
	.get_port_immutable = edu_rdma_get_port_immutable,
	.query_device = edu_rdma_query_device,
	.query_gid = edu_rdma_query_gid,
	.query_pkey = edu_rdma_query_pkey,
	.query_port = edu_rdma_query_port,
	.reg_user_mr = edu_rdma_reg_user_mr,
	.reg_user_mr_dmabuf = edu_rdma_reg_user_mr_dmabuf,

	INIT_RDMA_OBJ_SIZE(ib_pd, edu_rdma_pd, ibpd),
	INIT_RDMA_OBJ_SIZE(ib_ucontext, edu_rdma_ucontext, ibuc),
};

/* The DMA address of MR address @addr, and the bytes contiguous there */
static dma_addr_t edu_rdma_mr_addr(struct edu_rdma_mr *mr, u64 addr,
				   u64 *avail)
{
	u64 mask = BIT_ULL(mr->block_shift) - 1;
	u64 idx = (addr >> mr->block_shift) - (mr->iova >> mr->block_shift);

	/* The caller checked @addr against the MR: a bug otherwise */
	if (WARN_ON_ONCE(idx >= mr->nr_blocks))
		return DMA_MAPPING_ERROR;
	*avail = mask + 1 - (addr & mask);
	return mr->blocks[idx] + (addr & mask);
}

/* Move @len bytes between @buf and the MR; reservation lock held. */
static int edu_rdma_mr_move(struct edu_rdma_dev *dev, struct edu_rdma_mr *mr,
			    u32 dir, u64 addr, void *buf, u32 len)
{
	u32 done = 0;
	int ret = 0;

	edu_dma_buf_lock(dev->edu);
	while (done < len) {
		u32 chunk = min_t(u32, len - done, EDU_DMA_MAX_LEN);
		u32 staged = 0;

		if (dir == EDU_RDMA_WRITE) {
			memcpy(dev->bounce, buf + done, chunk);
			ret = edu_dma_from_bus(dev->edu, dev->bounce_dma, 0,
					       chunk);
			if (ret)
				break;
		}
		/* Through the table, one block at a time */
		while (staged < chunk) {
			u64 avail;
			dma_addr_t dma;
			u32 n;

			dma = edu_rdma_mr_addr(mr, addr + done + staged, &avail);
			if (dma == DMA_MAPPING_ERROR) {
				ret = -EIO;
				goto out;
			}
			n = min_t(u64, avail, chunk - staged);
			if (dir == EDU_RDMA_WRITE)
				ret = edu_dma_to_bus(dev->edu, staged, dma, n);
			else
				ret = edu_dma_from_bus(dev->edu, dma, staged, n);
			if (ret)
				goto out;
			staged += n;
		}
		if (dir == EDU_RDMA_READ) {
			ret = edu_dma_to_bus(dev->edu, 0, dev->bounce_dma, chunk);
			if (ret)
				break;
			memcpy(buf + done, dev->bounce, chunk);
		}
		done += chunk;
	}
out:
	edu_dma_buf_unlock(dev->edu);
	return ret;
}

/*
 * A dynamic MR invalidated by its exporter: map the buffer again and
 * rebuild the table (an HCA's page fault); -ENODEV while it is revoked.
 * Reservation lock held.
 */
static int edu_rdma_mr_remap(struct edu_rdma_mr *mr)
{
	int ret;

	ret = ib_umem_dmabuf_map_pages(mr->umem_dmabuf);
	if (ret)
		return ret;
	ret = edu_rdma_mr_fill(mr);
	if (ret)
		ib_umem_dmabuf_unmap_pages(mr->umem_dmabuf);
	return ret;
}

static int edu_rdma_xfer(struct edu_rdma_dev *dev,
			 struct edu_rdma_xfer __user *uarg)
{
	struct edu_rdma_xfer arg;
	struct edu_rdma_mr *mr;
	void *buf;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.dir != EDU_RDMA_WRITE && arg.dir != EDU_RDMA_READ) ||
	    !arg.len || arg.len > EDU_RDMA_MAX_XFER)
		return -EINVAL;

	/* User memory is copied outside the reservation lock */
	buf = kvmalloc(arg.len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (arg.dir == EDU_RDMA_WRITE &&
	    copy_from_user(buf, u64_to_user_ptr(arg.data), arg.len)) {
		ret = -EFAULT;
		goto out_free;
	}

	mutex_lock(&dev->mr_lock);
	mr = xa_load(&dev->mrs, arg.lkey >> EDU_RDMA_KEY_SHIFT);
	if (!mr || mr->ibmr.lkey != arg.lkey) {
		ret = -ENOENT;
		goto out_unlock;
	}
	if (arg.addr < mr->iova || arg.addr - mr->iova > mr->length ||
	    arg.len > mr->length - (arg.addr - mr->iova)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (arg.dir == EDU_RDMA_WRITE && !mr->writable) {
		ret = -EACCES;
		goto out_unlock;
	}

	ret = edu_rdma_mr_lock(mr);
	if (ret)
		goto out_unlock;
	if (mr->revoked)
		ret = -ENODEV;
	else if (!mr->blocks)
		ret = edu_rdma_mr_remap(mr);
	if (!ret)
		ret = edu_rdma_mr_move(dev, mr, arg.dir, arg.addr, buf,
				       arg.len);
	edu_rdma_mr_unlock(mr);
out_unlock:
	mutex_unlock(&dev->mr_lock);
	if (!ret && arg.dir == EDU_RDMA_READ &&
	    copy_to_user(u64_to_user_ptr(arg.data), buf, arg.len))
		ret = -EFAULT;
out_free:
	kvfree(buf);
	return ret;
}

static int edu_rdma_mr_query(struct edu_rdma_dev *dev,
			     struct edu_rdma_mr_query __user *uarg)
{
	struct edu_rdma_mr_query q;
	struct edu_rdma_mr *mr;
	int ret = 0;

	if (copy_from_user(&q, uarg, sizeof(q)))
		return -EFAULT;

	mutex_lock(&dev->mr_lock);
	mr = xa_load(&dev->mrs, q.lkey >> EDU_RDMA_KEY_SHIFT);
	if (!mr || mr->ibmr.lkey != q.lkey) {
		ret = -ENOENT;
		goto out;
	}
	ret = edu_rdma_mr_lock(mr);
	if (ret)
		goto out;
	q.revoked = mr->revoked;
	q.nr_blocks = mr->nr_blocks;
	q.block_shift = mr->block_shift;
	edu_rdma_mr_unlock(mr);
	q.iova = mr->iova;
	q.length = mr->length;
out:
	mutex_unlock(&dev->mr_lock);
	q.revokes = atomic_read(&dev->revokes);
	q.nr_mrs = atomic_read(&dev->nr_mrs);
	if (copy_to_user(uarg, &q, sizeof(q)))
		return -EFAULT;
	return ret;
}

static void edu_rdma_destroy(struct edu_rdma_dev *dev)
{
	if (dev->bounce)
		dma_free_coherent(&dev->pdev->dev, EDU_DMA_MAX_LEN,
				  dev->bounce, dev->bounce_dma);
	WARN_ON(!xa_empty(&dev->mrs));
	xa_destroy(&dev->mrs);
	mutex_destroy(&dev->mr_lock);
	edu_dma_put(dev->edu);
	pci_dev_put(dev->pdev);
	ib_dealloc_device(&dev->ibdev);
}

static int edu_rdma_create_locked(struct file *file,
				  struct edu_rdma_create __user *uarg)
{
	struct edu_rdma_create arg;
	struct edu_rdma_dev *dev;
	struct pci_dev *pdev;
	struct edu_dma *edu;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.edu_bdf > 0xffff || arg.pad ||
	    arg.flags & ~(EDU_RDMA_CREATE_PINNED | EDU_RDMA_CREATE_DYNAMIC) ||
	    hweight32(arg.flags) > 1)
		return -EINVAL;

	pdev = pci_get_domain_bus_and_slot(0, arg.edu_bdf >> 8,
					   arg.edu_bdf & 0xff);
	if (!pdev)
		return -ENODEV;
	edu = edu_dma_get_pci(pdev);
	if (!edu) {
		pci_dev_put(pdev);
		return -ENODEV;
	}

	dev = ib_alloc_device(edu_rdma_dev, ibdev);
	if (!dev) {
		edu_dma_put(edu);
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	dev->pdev = pdev;
	dev->edu = edu;
	dev->flags = arg.flags;
	mutex_init(&dev->mr_lock);
	xa_init_flags(&dev->mrs, XA_FLAGS_ALLOC1);
	dev->bounce = dma_alloc_coherent(&pdev->dev, EDU_DMA_MAX_LEN,
					 &dev->bounce_dma, GFP_KERNEL);
	if (!dev->bounce) {
		ret = -ENOMEM;
		goto err;
	}

	dev->ibdev.node_type = RDMA_NODE_UNSPECIFIED;
	dev->ibdev.phys_port_cnt = 1;
	dev->ibdev.num_comp_vectors = 1;
	dev->ibdev.dev.parent = &pdev->dev;
	ib_set_device_ops(&dev->ibdev, &edu_rdma_dev_ops);
	ret = ib_register_device(&dev->ibdev, "edu_rdma%d", &pdev->dev);
	if (ret)
		goto err;

	if (sscanf(dev_name(&dev->ibdev.dev), "edu_rdma%u", &arg.index) != 1 ||
	    copy_to_user(uarg, &arg, sizeof(arg))) {
		ib_unregister_device(&dev->ibdev);
		ret = -EFAULT;
		goto err;
	}
	/* Other ioctls of the file read it without the lock */
	smp_store_release(&file->private_data, dev);
	return 0;

err:
	edu_rdma_destroy(dev);
	return ret;
}

/* Serialises EDU_RDMA_CREATE: one device per file */
static DEFINE_MUTEX(edu_rdma_create_lock);

static int edu_rdma_create(struct file *file,
			   struct edu_rdma_create __user *uarg)
{
	int ret;

	mutex_lock(&edu_rdma_create_lock);
	if (file->private_data)
		ret = -EBUSY;
	else
		ret = edu_rdma_create_locked(file, uarg);
	mutex_unlock(&edu_rdma_create_lock);
	return ret;
}

static long edu_rdma_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	/* Pairs with the release in edu_rdma_create_locked() */
	struct edu_rdma_dev *dev = smp_load_acquire(&file->private_data);
	void __user *uarg = (void __user *)arg;

	if (cmd == EDU_RDMA_CREATE)
		return edu_rdma_create(file, uarg);
	if (!dev)
		return -ENODEV;
	switch (cmd) {
	case EDU_RDMA_XFER:
		return edu_rdma_xfer(dev, uarg);
	case EDU_RDMA_MR_QUERY:
		return edu_rdma_mr_query(dev, uarg);
	}
	return -ENOTTY;
}

/*
 * Unregistering destroys what uverbs users still hold (their MRs are
 * deregistered: disassociate_ucontext is set), so closing never waits
 * for them.
 */
static int edu_rdma_release(struct inode *inode, struct file *file)
{
	struct edu_rdma_dev *dev = file->private_data;

	if (dev) {
		ib_unregister_device(&dev->ibdev);
		edu_rdma_destroy(dev);
	}
	return 0;
}

/* misc_open() left the miscdevice there: a file starts with no device */
static int edu_rdma_open(struct inode *inode, struct file *file)
{
	file->private_data = NULL;
	return 0;
}

static const struct file_operations edu_rdma_fops = {
	.owner = THIS_MODULE,
	.open = edu_rdma_open,
	.unlocked_ioctl = edu_rdma_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = edu_rdma_release,
};

static struct miscdevice edu_rdma_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "edu_rdma",
	.fops = &edu_rdma_fops,
	.mode = 0600,
};
module_misc_device(edu_rdma_misc);

MODULE_DESCRIPTION("Test-only RDMA device on QEMU's edu DMA engine");
MODULE_LICENSE("GPL");
