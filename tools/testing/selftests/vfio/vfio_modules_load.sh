#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The modular plan's first program: load every module this project's
# code is in with modprobe, from the initramfs's /lib/modules, the way a
# distribution kernel loads them. depmod's modules.dep gives the order
# (vfio-pci pulls in vfio-pci-core, vfio and iommufd) and the kernel
# checks the symbol namespaces (DMA_BUF, IOMMUFD, IOMMUFD_VFIO); edu_rdma
# pulls in ib_uverbs and ib_core. Each module must load, appear in
# /sys/module, and leave the kernel untainted.
set -u
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); echo "not ok $n $*"; fail=1; }

echo "TAP version 13"
echo "1..9"
rel=$(uname -r)
if [ -s /lib/modules/$rel/modules.dep ]; then
	ok "modules.dep for $rel"
else
	nok "modules.dep for $rel: /lib/modules/$rel is not in the initramfs"
fi

# name to load, then the modules it must have brought in
load() {
	m=$1
	shift
	if ! out=$(modprobe "$m" 2>&1); then
		nok "modprobe $m: $out"
		return
	fi
	for dep in "$m" "$@"; do
		d=$(echo "$dep" | tr - _)
		if [ ! -d /sys/module/$d ]; then
			nok "modprobe $m: /sys/module/$d is missing"
			return
		fi
	done
	ok "modprobe $m${1:+ (with $*)}"
}

load vfio-pci vfio-pci-core vfio iommufd
load vfio_iommu_type1
load edu_dma
load edu_dma_import
load vfio_pci_test_variant
# the RDMA test device brings in the RDMA core and uverbs
load edu_rdma ib_uverbs ib_core

# edu_dma.dma_bits=40 on the kernel command line reaches the module, as
# it reaches a built-in driver
bits=$(cat /sys/module/edu_dma/parameters/dma_bits 2>/dev/null)
if [ "$bits" = 40 ]; then
	ok "edu_dma took dma_bits=40 from the kernel command line"
else
	nok "edu_dma dma_bits is '$bits', the kernel command line says 40"
fi

taint=$(cat /proc/sys/kernel/tainted)
if [ "$taint" = 0 ]; then
	ok "kernel not tainted"
else
	nok "kernel tainted: $taint"
fi
echo "# loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
exit $fail
