/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-kernel interface of the edu test importer: one DMA transfer at a
 * time between the device's 4 KiB buffer and a DMA address.
 */
#ifndef _EDU_DMA_H
#define _EDU_DMA_H

#include <linux/types.h>

struct device;
struct edu_dma;
struct pci_dev;

/*
 * QEMU 7.2 aborts on a transfer that reaches the last byte of edu's
 * buffer, so one transfer moves at most half of it.
 */
#define EDU_DMA_MAX_LEN		2048

struct edu_dma *edu_dma_get(void);
struct edu_dma *edu_dma_get_pci(struct pci_dev *pdev);
void edu_dma_put(struct edu_dma *edu);
struct device *edu_dma_dev(struct edu_dma *edu);
int edu_dma_from_bus(struct edu_dma *edu, dma_addr_t addr, u32 off, u32 len);
int edu_dma_to_bus(struct edu_dma *edu, u32 off, dma_addr_t addr, u32 len);
void edu_dma_buf_lock(struct edu_dma *edu);
void edu_dma_buf_unlock(struct edu_dma *edu);

#endif
