// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded random fuzzer of the dma-buf UAPI, driven the way a VMM and
 * its device emulation use it, several threads at once:
 *
 *  - VFIO_DEVICE_FEATURE_DMA_BUF of random slices of ivshmem's BAR2, with
 *    random open flags, and now and then a request the contract refuses
 *    (checked for its exact errno);
 *  - IOMMU_IOAS_MAP_FILE of random parts of those buffers at random IOVAs
 *    (or where the kernel puts them), IOMMU_IOAS_COPY and IOMMU_IOAS_UNMAP
 *    of those areas, and DMA by edu (a VFIO device attached to the IOAS)
 *    through them;
 *  - the edu_dma test importer (/dev/edu_dma, on a second edu): import,
 *    map, transfer into the buffer, unmap, release;
 *  - memory decode off and on, VFIO_DEVICE_RESET, runtime low power entry
 *    and exit, and closing and reopening the exporter's VFIO device, each
 *    of which revokes every buffer (closing for good);
 *  - closing the dma-buf fds.
 *
 * Every byte a DMA writes into the BAR is pat(offset), a function of its
 * offset in the BAR, whichever buffer, area or importer it went through,
 * and only slices of [FUZZ_LO, FUZZ_HI) are ever exported. After the run,
 * with everything closed, unmapped and released: the descriptors, the
 * dma-bufs and their attachments (debugfs bufinfo), the IOAS's areas and
 * the pinned pages are back to what they were; every byte of the fuzzed
 * part of the BAR is 0 or pat(offset), and [1 MiB, FUZZ_LO) is untouched,
 * in the guest and (RIG-CHECK lines) in the host file; a final export,
 * map and DMA still works. A splat on the console fails the run (rig/vm.py).
 *
 * The run is reproducible in what each thread asks for, not in how the
 * threads interleave. The seed, the time budget and the thread count are
 * printed; the kernel command line can change them (rig.fuzz_seed=,
 * rig.fuzz_seconds=, rig.fuzz_threads=; "make test FUZZ_SECONDS=600"
 * passes the first two), as can FUZZ_SEED, FUZZ_SECONDS and FUZZ_THREADS
 * in the environment. A DMA never races a revoke (the revoking operations
 * take a lock the others share), so no IOMMU fault is expected; an area
 * or a mapping made before the last revoke is known to be dead and no
 * DMA goes through it.
 *
 * The machine: the switch pair's ivshmem exports (it resets through its
 * bridge), the switch pair's edu is the edu_dma importer (bus address:
 * data moves only where its DMA is untranslated, so this runs on the
 * epyc plan), the rootports pair's edu is the VFIO DMA engine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <misc/edu_dma.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define PG		0x1000ULL
#define BAR_SIZE	(16ULL << 20)
#define FUZZ_LO		(4ULL << 20)
#define FUZZ_HI		(8ULL << 20)
#define FUZZ_IOVA	0x4000000ULL	/* 64 MiB of IOVA for fixed maps */
#define FUZZ_IOVA_LEN	(64ULL << 20)
#define RAM_IOVA	0x100000ULL	/* edu's source page */
#define IOVA_LIMIT	(256ULL << 20)	/* edu's DMA mask: 28 bits */
#define XLEN		1024U
#define MAX_RANGES	4
#define NBUF		24
#define NAREA		48
#define MAX_THREADS	8
#define NLOG		8192	/* DMAs remembered, to explain a bad byte */

#define RW	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static const char *const sw_slot = "05.0", *const rp_edu_slot = "08.0";

struct fbuf {
	bool used;
	int fd;
	int users;		/* threads using fd: not closed meanwhile */
	bool dead;		/* the device was closed: revoked for good */
	uint32_t nr;
	struct vfio_region_dma_range rg[MAX_RANGES];
	uint64_t size;
};

struct farea {
	bool used;
	bool busy;		/* a thread is using it: not unmapped */
	uint64_t iova, start, len;
	unsigned int gen;	/* the revoke generation it was mapped in */
	/* The buffer's ranges: its fd may be closed and its slot reused */
	uint32_t nr;
	struct vfio_region_dma_range rg[MAX_RANGES];
};

struct fz {
	pthread_mutex_t lock;	/* everything below but the device */
	pthread_rwlock_t dev;	/* read: any use; write: revoke, reopen */
	pthread_mutex_t edu_lock;	/* edu's buffer is one */
	unsigned int gen;	/* bumped by every revoking operation */
	struct fbuf bufs[NBUF];
	struct farea areas[NAREA];
	char iv[32], edu[32], imp_edu[32];
	int iommufd, iv_fd, edu_fd;
	uint32_t ioas, imp_edu_id;
	struct edu engine;
	uint8_t *ram;
	time_t deadline;
	unsigned long iters;
	unsigned long seed;
	/* the DMAs made, newest last: where each one was meant to land */
	struct dma_log {
		uint64_t bar, iova;
		uint32_t len;
		char how;	/* 'i': edu through the IOAS, 'm': importer */
	} log[NLOG];
	unsigned long nlog;
	/* what happened, for the log */
	unsigned long n_export, n_refused, n_map, n_dead_map, n_copy, n_unmap,
		n_dma, n_imp_xfer, n_imp_dead, n_revoke, n_reopen, n_close;
};

static struct fz F = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.dev = PTHREAD_RWLOCK_INITIALIZER,
	.edu_lock = PTHREAD_MUTEX_INITIALIZER,
};

#define COUNT(f) __atomic_add_fetch(&F.f, 1, __ATOMIC_RELAXED)

/*
 * The byte a DMA leaves at @off of the BAR: never 0, and a well mixed
 * function of @off, so that bytes meant for another offset tell which
 */
static uint8_t pat(uint64_t off)
{
	uint64_t x = off + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (uint8_t)(x | 1);
}

static uint64_t rnd(unsigned int *s, uint64_t n)
{
	uint64_t r = ((uint64_t)rand_r(s) << 31) ^ rand_r(s);

	return n ? r % n : 0;
}

static long knob(const char *env, const char *word, long def)
{
	char line[2048], *p, key[64];
	const char *v = getenv(env);
	FILE *f;

	if (v)
		return strtol(v, NULL, 0);
	f = fopen("/proc/cmdline", "r");
	if (!f)
		return def;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	snprintf(key, sizeof(key), "%s=", word);
	p = strstr(line, key);
	return p ? strtol(p + strlen(key), NULL, 0) : def;
}

/* vfio_pci_core buffers and attachments in debugfs bufinfo */
static int dmabuf_counts(int *bufs, int *attachments)
{
	char line[512];
	bool ours = false;
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");

	if (!f)
		return -errno;
	*bufs = *attachments = 0;
	while (fgets(line, sizeof(line), f)) {
		/* size flags mode count exp_name ino name */
		if (strstr(line, "vfio_pci_core")) {
			ours = true;
			(*bufs)++;
		} else if (strstr(line, "Attached Devices:")) {
			continue;
		} else if (ours && line[0] == '\t') {
			(*attachments)++;
		} else if (strncmp(line, "Total", 5) && line[0] != '\t' &&
			   line[0] != '\n') {
			ours = false;
		}
	}
	fclose(f);
	return 0;
}

static int dev_open(const char *bdf, int iommufd)
{
	uint32_t devid;

	return vfio_cdev_bind(bdf, iommufd, &devid);
}

/* ---- operations; each returns 0, or -1 for a broken contract ---- */

/* Say how the contract was broken; -1 */
static int __attribute__((format(printf, 1, 2))) broken(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

/* A buffer slot to use, with users taken; -1 when there is none */
static int buf_get(unsigned int *s, bool dead_ok)
{
	int i, n = 0, pick = -1;

	pthread_mutex_lock(&F.lock);
	for (i = 0; i < NBUF; i++)
		if (F.bufs[i].used && (dead_ok || !F.bufs[i].dead) &&
		    rnd(s, ++n) == 0)
			pick = i;
	if (pick >= 0)
		F.bufs[pick].users++;
	pthread_mutex_unlock(&F.lock);
	return pick;
}

static void buf_put(int i)
{
	pthread_mutex_lock(&F.lock);
	F.bufs[i].users--;
	pthread_mutex_unlock(&F.lock);
}

static int op_export(unsigned int *s)
{
	static const uint32_t modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	struct vfio_region_dma_range rg[MAX_RANGES];
	uint32_t nr = 1 + rnd(s, MAX_RANGES), i, flags;
	int bad = rnd(s, 8) == 0 ? 1 + rnd(s, 4) : 0, want = 0, fd, slot;
	uint64_t size = 0;

	/* Ranges in [FUZZ_LO, FUZZ_HI), apart from each other */
	for (i = 0; i < nr; i++) {
		uint64_t span = ((FUZZ_HI - FUZZ_LO) / nr) & ~(PG - 1);

		rg[i].length = (1 + rnd(s, 4)) * PG;
		rg[i].offset = FUZZ_LO + i * span +
			       rnd(s, (span - rg[i].length) / PG) * PG;
		size += rg[i].length;
	}
	/* Shuffle: the buffer is the ranges in the order given */
	for (i = nr - 1; i > 0; i--) {
		uint32_t j = rnd(s, i + 1);
		struct vfio_region_dma_range t = rg[i];

		rg[i] = rg[j];
		rg[j] = t;
	}
	switch (bad) {
	case 1:
		rg[0].length = 0;
		want = -EINVAL;
		break;
	case 2:
		rg[0].offset += 8;
		want = -EINVAL;
		break;
	case 3:
		rg[0].offset = BAR_SIZE - PG;
		rg[0].length = 2 * PG;
		want = -EINVAL;
		break;
	case 4:
		if (nr < 2) {
			rg[0].length = 0;
		} else {
			rg[1] = rg[0];
			rg[1].length = PG;
		}
		want = -EINVAL;
		break;
	}
	flags = modes[rnd(s, 3)] | (rnd(s, 2) ? O_CLOEXEC : 0);

	pthread_rwlock_rdlock(&F.dev);
	fd = vfio_dmabuf_export(F.iv_fd, 2, flags, rg, nr);
	pthread_rwlock_unlock(&F.dev);
	if (want) {
		if (fd >= 0)
			close(fd);
		if (fd != want)
			return broken("export of a bad request (%d) gave %d, not %d",
			       bad, fd, want);
		COUNT(n_refused);
		return 0;
	}
	if (fd < 0)
		return broken("export of %u ranges: %s", nr, strerror(-fd));
	COUNT(n_export);

	pthread_mutex_lock(&F.lock);
	for (slot = 0; slot < NBUF && F.bufs[slot].used; slot++)
		;
	if (slot < NBUF) {
		struct fbuf *b = &F.bufs[slot];

		memset(b, 0, sizeof(*b));
		b->used = true;
		b->fd = fd;
		b->nr = nr;
		memcpy(b->rg, rg, sizeof(rg));
		b->size = size;
		fd = -1;
	}
	pthread_mutex_unlock(&F.lock);
	if (fd >= 0)
		close(fd);	/* the table is full: a close right away */
	return 0;
}

static int op_close(unsigned int *s)
{
	int i, n = 0, pick = -1, fd = -1;

	pthread_mutex_lock(&F.lock);
	for (i = 0; i < NBUF; i++)
		if (F.bufs[i].used && !F.bufs[i].users && rnd(s, ++n) == 0)
			pick = i;
	if (pick >= 0) {
		fd = F.bufs[pick].fd;
		F.bufs[pick].used = false;
	}
	pthread_mutex_unlock(&F.lock);
	if (fd >= 0) {
		if (close(fd))
			return broken("close of a dma-buf: %s", strerror(errno));
		COUNT(n_close);
	}
	return 0;
}

/* Record an area of @src's ranges; under F.lock */
static int area_add(uint32_t nr, const struct vfio_region_dma_range *rg,
		    uint64_t iova, uint64_t start, uint64_t len,
		    unsigned int gen)
{
	int i;

	for (i = 0; i < NAREA; i++) {
		struct farea *a = &F.areas[i];

		if (!a->used) {
			*a = (struct farea){ .used = true, .iova = iova,
					     .start = start, .len = len,
					     .gen = gen, .nr = nr };
			memcpy(a->rg, rg, nr * sizeof(*rg));
			return i;
		}
	}
	return -1;
}

static int op_map(unsigned int *s)
{
	int b = buf_get(s, true), ret, want = 0;
	uint64_t start, len, iova = 0;
	uint32_t flags = RW;
	unsigned int gen;
	bool dead;

	if (b < 0)
		return 0;
	len = (1 + rnd(s, F.bufs[b].size / PG)) * PG;
	start = rnd(s, (F.bufs[b].size - len) / PG + 1) * PG;
	if (rnd(s, 2)) {
		flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		iova = FUZZ_IOVA + rnd(s, (FUZZ_IOVA_LEN - len) / PG + 1) * PG;
	}

	pthread_rwlock_rdlock(&F.dev);
	pthread_mutex_lock(&F.lock);
	dead = F.bufs[b].dead;
	gen = F.gen;
	pthread_mutex_unlock(&F.lock);
	/* A slice that is not one, of a live buffer: EINVAL */
	if (!dead && rnd(s, 10) == 0) {
		start += rnd(s, 2) ? 4 : F.bufs[b].size;
		want = -EINVAL;
	}
	ret = iommufd_map_file(F.iommufd, F.ioas, flags, F.bufs[b].fd, start,
			       len, &iova);
	if (!ret) {
		pthread_mutex_lock(&F.lock);
		if (area_add(F.bufs[b].nr, F.bufs[b].rg, iova, start, len,
			     gen) < 0) {
			pthread_mutex_unlock(&F.lock);
			iommufd_unmap(F.iommufd, F.ioas, iova, len);
		} else {
			pthread_mutex_unlock(&F.lock);
		}
	}
	pthread_rwlock_unlock(&F.dev);
	buf_put(b);

	if (want) {
		if (ret != want)
			return broken("MAP_FILE of a bad slice gave %d", ret);
		return 0;
	}
	if (dead) {
		if (ret != -ENODEV)
			return broken("MAP_FILE of a buffer revoked for good gave %d",
			       ret);
		COUNT(n_dead_map);
		return 0;
	}
	if (ret && !(ret == -EEXIST && (flags & IOMMU_IOAS_MAP_FIXED_IOVA)))
		return broken("MAP_FILE of %#llx+%#llx at %#llx: %s",
		       (unsigned long long)start, (unsigned long long)len,
		       (unsigned long long)iova, strerror(-ret));
	if (!ret)
		COUNT(n_map);
	return 0;
}

/* An area to use, marked busy; -1 when there is none */
static int area_get(unsigned int *s, bool live)
{
	int i, n = 0, pick = -1;

	pthread_mutex_lock(&F.lock);
	for (i = 0; i < NAREA; i++) {
		struct farea *a = &F.areas[i];

		if (a->used && !a->busy && (!live || a->gen == F.gen) &&
		    rnd(s, ++n) == 0)
			pick = i;
	}
	if (pick >= 0)
		F.areas[pick].busy = true;
	pthread_mutex_unlock(&F.lock);
	return pick;
}

static int op_unmap(unsigned int *s)
{
	int i = area_get(s, false), ret;
	struct farea a;

	if (i < 0)
		return 0;
	a = F.areas[i];
	ret = iommufd_unmap(F.iommufd, F.ioas, a.iova, a.len);
	pthread_mutex_lock(&F.lock);
	F.areas[i].used = false;
	F.areas[i].busy = false;
	pthread_mutex_unlock(&F.lock);
	if (ret)
		return broken("unmap of the area at %#llx: %s",
		       (unsigned long long)a.iova, strerror(-ret));
	COUNT(n_unmap);
	return 0;
}

static int op_copy(unsigned int *s)
{
	int i = area_get(s, false), ret;
	struct farea a;
	uint64_t dst;
	bool live;

	if (i < 0)
		return 0;
	a = F.areas[i];
	dst = FUZZ_IOVA + rnd(s, (FUZZ_IOVA_LEN - a.len) / PG + 1) * PG;
	pthread_rwlock_rdlock(&F.dev);
	ret = iommufd_copy(F.iommufd, F.ioas, dst, F.ioas, a.iova, a.len);
	pthread_mutex_lock(&F.lock);
	live = a.gen == F.gen;
	if (!ret && area_add(a.nr, a.rg, dst, a.start, a.len, a.gen) < 0) {
		pthread_mutex_unlock(&F.lock);
		iommufd_unmap(F.iommufd, F.ioas, dst, a.len);
		pthread_mutex_lock(&F.lock);
	}
	F.areas[i].busy = false;
	pthread_mutex_unlock(&F.lock);
	pthread_rwlock_unlock(&F.dev);
	/* A copy of an area revoked since may be refused as revoked */
	if (ret && ret != -EEXIST && (ret != -ENODEV || live))
		return broken("copy of the area at %#llx to %#llx: %s",
		       (unsigned long long)a.iova, (unsigned long long)dst,
		       strerror(-ret));
	if (!ret)
		COUNT(n_copy);
	return 0;
}

/*
 * Where offset @off of a buffer of ranges @rg is in the BAR; *room is how
 * many bytes from there stay in the same range
 */
static uint64_t bar_off(uint32_t nr, const struct vfio_region_dma_range *rg,
			uint64_t off, uint64_t *room)
{
	uint32_t i;

	for (i = 0; i < nr; i++) {
		if (off < rg[i].length) {
			*room = rg[i].length - off;
			return rg[i].offset + off;
		}
		off -= rg[i].length;
	}
	*room = 0;
	return 0;
}

static void dma_logged(char how, uint64_t bar, uint64_t iova, uint32_t len)
{
	pthread_mutex_lock(&F.lock);
	F.log[F.nlog++ % NLOG] = (struct dma_log){ bar, iova, len, how };
	pthread_mutex_unlock(&F.lock);
}

/* Which DMAs were meant to land at or near BAR offset @off */
static void explain(uint64_t off)
{
	unsigned long i, first = F.nlog > NLOG ? F.nlog - NLOG : 0;

	for (i = first; i < F.nlog; i++) {
		struct dma_log *l = &F.log[i % NLOG];

		if (off + 2 * XLEN >= l->bar && off < l->bar + l->len + 2 * XLEN)
			fprintf(stderr, "# fuzz: DMA %lu (%c): BAR+%#llx len %u, IOVA %#llx\n",
				i, l->how, (unsigned long long)l->bar, l->len,
				(unsigned long long)l->iova);
	}
}

static void fill_pat(uint8_t *dst, uint64_t bar_off, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		dst[i] = pat(bar_off + i);
}

/* edu writes pat() through a live area */
static int op_dma(unsigned int *s)
{
	int i, ret = 0;
	uint64_t off, room, bar;
	struct farea a;
	uint32_t len;

	pthread_rwlock_rdlock(&F.dev);
	i = area_get(s, true);
	if (i < 0)
		goto out;
	a = F.areas[i];
	if (a.iova + a.len > IOVA_LIMIT)
		goto done;
	off = rnd(s, a.len);
	bar = bar_off(a.nr, a.rg, a.start + off, &room);
	len = 1 + rnd(s, XLEN);
	if (len > room)
		len = room;
	if (len > a.len - off)
		len = a.len - off;
	pthread_mutex_lock(&F.edu_lock);
	fill_pat(F.ram, bar, len);
	ret = edu_dma_from_bus(&F.engine, RAM_IOVA, 0, len);
	if (!ret)
		ret = edu_dma_to_bus(&F.engine, 0, a.iova + off, len);
	pthread_mutex_unlock(&F.edu_lock);
	if (!ret) {
		dma_logged('i', bar, a.iova + off, len);
		COUNT(n_dma);
	}
done:
	pthread_mutex_lock(&F.lock);
	F.areas[i].busy = false;
	pthread_mutex_unlock(&F.lock);
out:
	pthread_rwlock_unlock(&F.dev);
	if (ret)
		return broken("edu DMA: %s", strerror(-ret));
	return 0;
}

/* A thread's own /dev/edu_dma importer */
struct imp {
	int fd;
	int buf;		/* imported buffer slot, or -1 */
};

static int op_import(unsigned int *s, struct imp *im)
{
	struct edu_dma_import imp = { .edu_bdf = F.imp_edu_id };
	struct edu_dma_range rg[MAX_RANGES * 8];
	struct edu_dma_map map = {
		.nr_ranges = MAX_RANGES * 8,
		.ranges = (uintptr_t)rg,
	};
	struct edu_dma_xfer x = { .dir = EDU_DMA_TO_BUF };
	uint8_t data[XLEN];
	uint64_t off, room, bar;
	int ret = 0;
	bool dead;

	if (im->buf < 0) {
		im->buf = buf_get(s, true);
		if (im->buf < 0)
			return 0;
		imp.fd = F.bufs[im->buf].fd;
		if (ioctl(im->fd, EDU_DMA_IMPORT, &imp)) {
			ret = -errno;
			buf_put(im->buf);
			im->buf = -1;
			return broken("EDU_DMA_IMPORT: %s", strerror(-ret));
		}
		return 0;
	}

	switch (rnd(s, 4)) {
	case 0:		/* release: the buffer may be closed again */
		ioctl(im->fd, EDU_DMA_RELEASE);
		buf_put(im->buf);
		im->buf = -1;
		return 0;
	case 1:		/* map */
		pthread_rwlock_rdlock(&F.dev);
		pthread_mutex_lock(&F.lock);
		dead = F.bufs[im->buf].dead;
		pthread_mutex_unlock(&F.lock);
		ioctl(im->fd, EDU_DMA_UNMAP);
		ret = ioctl(im->fd, EDU_DMA_MAP, &map) ? -errno : 0;
		pthread_rwlock_unlock(&F.dev);
		if (dead ? ret != -ENODEV :
		    (ret || map.map_type != EDU_DMA_MAP_BUS_ADDR))
			return broken("EDU_DMA_MAP of a %s buffer: %d, type %u",
			       dead ? "dead" : "live", ret, map.map_type);
		return 0;
	case 2:		/* unmap */
		ioctl(im->fd, EDU_DMA_UNMAP);
		return 0;
	}

	/* transfer pat() into the buffer */
	off = rnd(s, F.bufs[im->buf].size);
	bar = bar_off(F.bufs[im->buf].nr, F.bufs[im->buf].rg, off, &room);
	x.offset = off;
	x.len = 1 + rnd(s, XLEN);
	if (x.len > room)
		x.len = room;
	fill_pat(data, bar, x.len);
	x.data = (uintptr_t)data;
	/*
	 * The importer maps again when it has no mapping (never made, or
	 * dropped by a revoke): only a buffer revoked for good refuses
	 */
	pthread_rwlock_rdlock(&F.dev);
	pthread_mutex_lock(&F.lock);
	dead = F.bufs[im->buf].dead;
	pthread_mutex_unlock(&F.lock);
	ret = ioctl(im->fd, EDU_DMA_XFER, &x) ? -errno : 0;
	pthread_rwlock_unlock(&F.dev);
	if (dead) {
		if (ret != -ENODEV)
			return broken("EDU_DMA_XFER into a buffer revoked for good: %d",
			       ret);
		COUNT(n_imp_dead);
		return 0;
	}
	if (ret)
		return broken("EDU_DMA_XFER: %s", strerror(-ret));
	dma_logged('m', bar, off, x.len);
	COUNT(n_imp_xfer);
	return 0;
}

static int set_feature(int fd, uint32_t feature)
{
	struct vfio_device_feature f = {
		.argsz = sizeof(f),
		.flags = VFIO_DEVICE_FEATURE_SET | feature,
	};

	return ioctl(fd, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

/* Something that revokes every buffer of the exporter */
static int op_revoke(unsigned int *s)
{
	int which = rnd(s, 16), ret = 0, fd, i;

	pthread_rwlock_wrlock(&F.dev);
	switch (which) {
	case 0 ... 5:
		ret = vfio_set_mem_decode(F.iv_fd, false);
		if (!ret)
			ret = vfio_set_mem_decode(F.iv_fd, true);
		break;
	case 6 ... 9:
		ret = ioctl(F.iv_fd, VFIO_DEVICE_RESET) ? -errno : 0;
		break;
	case 10 ... 13:
		ret = set_feature(F.iv_fd, VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY);
		if (!ret)
			ret = set_feature(F.iv_fd,
					  VFIO_DEVICE_FEATURE_LOW_POWER_EXIT);
		break;
	default:	/* 2 in 16: close the device, revoking for good */
		close(F.iv_fd);
		fd = dev_open(F.iv, F.iommufd);
		if (fd < 0) {
			ret = fd;
			F.iv_fd = -1;
			break;
		}
		F.iv_fd = fd;
		ret = vfio_set_mem_decode(fd, true);
		pthread_mutex_lock(&F.lock);
		for (i = 0; i < NBUF; i++)
			F.bufs[i].dead = true;
		pthread_mutex_unlock(&F.lock);
		COUNT(n_reopen);
		break;
	}
	pthread_mutex_lock(&F.lock);
	F.gen++;
	pthread_mutex_unlock(&F.lock);
	pthread_rwlock_unlock(&F.dev);
	if (ret)
		return broken("revoking operation %d: %s", which, strerror(-ret));
	COUNT(n_revoke);
	return 0;
}

static bool time_left(void)
{
	return time(NULL) < F.deadline &&
	       __atomic_load_n(&F.iters, __ATOMIC_RELAXED) > 0;
}

static void *fuzz_thread(void *arg)
{
	unsigned int s = (unsigned int)(uintptr_t)arg;
	struct imp im = { .buf = -1 };
	long bad = 0;

	im.fd = open("/dev/edu_dma", O_RDWR | O_CLOEXEC);
	if (im.fd < 0)
		return (void *)1L;
	while (!bad && time_left()) {
		unsigned int op = rnd(&s, 100);

		__atomic_sub_fetch(&F.iters, 1, __ATOMIC_RELAXED);
		if (op < 16)
			bad = op_export(&s);
		else if (op < 28)
			bad = op_close(&s);
		else if (op < 44)
			bad = op_map(&s);
		else if (op < 54)
			bad = op_unmap(&s);
		else if (op < 60)
			bad = op_copy(&s);
		else if (op < 78)
			bad = op_dma(&s);
		else if (op < 96)
			bad = op_import(&s, &im);
		else
			bad = op_revoke(&s);
	}
	if (im.buf >= 0) {
		ioctl(im.fd, EDU_DMA_RELEASE);
		buf_put(im.buf);
	}
	close(im.fd);
	return (void *)bad;
}

FIXTURE(fuzz) {
	int fds, bufs, attachments;
	long pins;
};

FIXTURE_SETUP(fuzz)
{
	char drv[64];

	ASSERT_EQ(0, pci_find_root(IVSHMEM_VENDOR, IVSHMEM_DEVICE, sw_slot,
				   F.iv, sizeof(F.iv)));
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE, sw_slot,
				   F.imp_edu, sizeof(F.imp_edu)));
	ASSERT_EQ(0, pci_find_root(EDU_VENDOR, EDU_DEVICE, rp_edu_slot,
				   F.edu, sizeof(F.edu)));
	ASSERT_EQ(0, pci_save_driver(F.iv));
	ASSERT_EQ(0, pci_save_driver(F.imp_edu));
	ASSERT_EQ(0, pci_save_driver(F.edu));
	ASSERT_EQ(0, pci_bind_vfio(F.iv));
	ASSERT_EQ(0, pci_bind_vfio(F.edu));
	ASSERT_EQ(0, pci_bind_driver(F.imp_edu, "edu_dma"));
	ASSERT_EQ(0, pci_driver(F.imp_edu, drv, sizeof(drv)));
	F.imp_edu_id = pci_bdf_id(F.imp_edu);

	self->fds = next_fd();
	ASSERT_EQ(0, dmabuf_counts(&self->bufs, &self->attachments));
	self->pins = pins_held();
	ASSERT_NE(LONG_MIN, self->pins);

	F.iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, F.iommufd);
	ASSERT_EQ(0, iommufd_ioas_alloc(F.iommufd, &F.ioas));
	F.iv_fd = dev_open(F.iv, F.iommufd);
	ASSERT_LE(0, F.iv_fd);
	ASSERT_EQ(0, vfio_set_mem_decode(F.iv_fd, true));
	F.edu_fd = dev_open(F.edu, F.iommufd);
	ASSERT_LE(0, F.edu_fd);
	ASSERT_EQ(0, vfio_device_attach_pt(F.edu_fd, F.ioas));
	ASSERT_EQ(0, edu_init(&F.engine, F.edu_fd));
	F.ram = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, F.ram);
	memset(F.ram, 0, PG);
	ASSERT_EQ(0, iommufd_map(F.iommufd, F.ioas, F.ram, PG, RAM_IOVA));
}

FIXTURE_TEARDOWN(fuzz)
{
	pci_restore_drivers();
}

/* Every byte of [lo, hi) of the BAR is 0, or pat() where @fuzzed */
static uint64_t bar_bad(const uint8_t *bar, uint64_t lo, uint64_t hi,
			bool fuzzed, uint64_t *written)
{
	uint64_t off;

	for (off = lo; off < hi; off++) {
		if (!bar[off])
			continue;
		if (!fuzzed || bar[off] != pat(off))
			return off;
		(*written)++;
	}
	return 0;
}

TEST_F_TIMEOUT(fuzz, run, 3600)
{
	long seconds = knob("FUZZ_SECONDS", "rig.fuzz_seconds", 60);
	long nthreads = knob("FUZZ_THREADS", "rig.fuzz_threads", 4);
	pthread_t threads[MAX_THREADS];
	uint64_t written = 0, bad, iova;
	int i, bufs, attachments, fd;
	struct vfio_region_dma_range rg = { FUZZ_HI - PG, PG };
	size_t bar_size;
	uint8_t *bar;
	void *ret;
	long fail = 0;

	F.seed = knob("FUZZ_SEED", "rig.fuzz_seed", 20261204);
	F.iters = knob("FUZZ_ITERS", "rig.fuzz_iters", 1000000);
	if (nthreads < 1 || nthreads > MAX_THREADS)
		nthreads = 4;
	F.deadline = time(NULL) + seconds;
	TH_LOG("seed %lu, %ld s, %ld threads, at most %lu operations",
	       F.seed, seconds, nthreads, F.iters);
	TH_LOG("(rig.fuzz_seed=, rig.fuzz_seconds=, rig.fuzz_threads= change them)");

	for (i = 0; i < nthreads; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, fuzz_thread,
					    (void *)(uintptr_t)(F.seed * 31 + i)));
	for (i = 0; i < nthreads; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], &ret));
		fail |= (long)ret;
	}
	TH_LOG("%lu exports, %lu refused as the contract says, %lu closes",
	       F.n_export, F.n_refused, F.n_close);
	TH_LOG("%lu maps, %lu refused (revoked for good), %lu copies, %lu unmaps",
	       F.n_map, F.n_dead_map, F.n_copy, F.n_unmap);
	TH_LOG("%lu edu DMAs through the IOAS, %lu importer transfers",
	       F.n_dma, F.n_imp_xfer);
	TH_LOG("%lu transfers refused (revoked for good), %lu revokes, %lu reopens",
	       F.n_imp_dead, F.n_revoke, F.n_reopen);
	ASSERT_EQ(0, fail) TH_LOG("a thread saw the contract broken (above)");
	ASSERT_LT(0, F.n_export);
	ASSERT_LT(0, F.n_dma);
	ASSERT_LT(0, F.n_revoke);

	/* Everything undone: back to where it started */
	for (i = 0; i < NAREA; i++)
		if (F.areas[i].used)
			ASSERT_EQ(0, iommufd_unmap(F.iommufd, F.ioas,
						   F.areas[i].iova,
						   F.areas[i].len));
	ASSERT_EQ(-ENOENT, iommufd_unmap(F.iommufd, F.ioas, FUZZ_IOVA,
					 FUZZ_IOVA_LEN));
	for (i = 0; i < NBUF; i++)
		if (F.bufs[i].used)
			ASSERT_EQ(0, close(F.bufs[i].fd));

	/* The devices still work: export, map, DMA */
	fd = vfio_dmabuf_export(F.iv_fd, 2, O_RDWR, &rg, 1);
	ASSERT_LT(0, fd);
	iova = FUZZ_IOVA;
	ASSERT_EQ(0, iommufd_map_file(F.iommufd, F.ioas,
				      RW | IOMMU_IOAS_MAP_FIXED_IOVA, fd, 0, PG,
				      &iova));
	fill_pat(F.ram, rg.offset, XLEN);
	ASSERT_EQ(0, edu_dma_from_bus(&F.engine, RAM_IOVA, 0, XLEN));
	ASSERT_EQ(0, edu_dma_to_bus(&F.engine, 0, FUZZ_IOVA, XLEN));
	ASSERT_EQ(0, iommufd_unmap(F.iommufd, F.ioas, FUZZ_IOVA, PG));
	ASSERT_EQ(0, close(fd));

	bar = vfio_mmap_region(F.iv_fd, 2, &bar_size);
	ASSERT_NE(NULL, bar);
	ASSERT_EQ(BAR_SIZE, bar_size);
	ASSERT_EQ(0, memcmp(bar + rg.offset, F.ram, XLEN));
	bad = bar_bad(bar, 1ULL << 20, FUZZ_LO, false, &written);
	ASSERT_EQ(0, bad) TH_LOG("BAR+%#llx outside the fuzzed slices is %#x",
				 (unsigned long long)bad, bar[bad]);
	bad = bar_bad(bar, FUZZ_LO, FUZZ_HI, true, &written);
	if (bad) {
		int64_t d;
		int k;

		explain(bad);
		/* Bytes meant for another offset: which one? */
		for (d = -(int64_t)BAR_SIZE; d < (int64_t)BAR_SIZE; d++) {
			for (k = 0; k < 16 && bar[bad + k] == pat(bad + d + k); k++)
				;
			if (k == 16) {
				TH_LOG("BAR+%#llx holds what was meant for BAR+%#llx",
				       (unsigned long long)bad,
				       (unsigned long long)(bad + d));
				break;
			}
		}
	}
	ASSERT_EQ(0, bad) TH_LOG("BAR+%#llx is %#x, not 0 or %#x",
				 (unsigned long long)bad, bar[bad], pat(bad));
	TH_LOG("%llu bytes of the fuzzed part of the BAR were written",
	       (unsigned long long)written);
	/* The host file holds what the guest sees */
	rig_check("fuzz-untouched", "ivshmem-switch", 1ULL << 20,
		  bar + (1ULL << 20), FUZZ_LO - (1ULL << 20));
	rig_check("fuzz-written", "ivshmem-switch", FUZZ_LO, bar + FUZZ_LO,
		  FUZZ_HI - FUZZ_LO);
	munmap(bar, bar_size);

	ASSERT_EQ(0, iommufd_unmap(F.iommufd, F.ioas, RAM_IOVA, PG));
	munmap(F.ram, PG);
	edu_fini(&F.engine);
	close(F.edu_fd);
	close(F.iv_fd);
	close(F.iommufd);
	ASSERT_EQ(self->fds, next_fd());
	ASSERT_EQ(0, dmabuf_counts(&bufs, &attachments));
	ASSERT_EQ(self->bufs, bufs);
	ASSERT_EQ(self->attachments, attachments);
	ASSERT_EQ(self->pins, pins_held());
}

TEST_HARNESS_MAIN
