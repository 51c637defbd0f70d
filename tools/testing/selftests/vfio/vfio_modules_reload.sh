#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The modular plan's last program, after the export, MAP_FILE and revoke
# selftests closed every dma-buf: unload vfio-pci, vfio-pci-core, vfio and
# iommufd (and the test drivers that use them), load them again, export
# and map a BAR slice and move data through it with edu, and unload once
# more. A module that cannot go (a reference leaked), or that WARNs or
# leaks on the way (the console and kmemleak are judged too), fails it.
set -u
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); echo "not ok $n $*"; fail=1; }
iv=0000:00:03.0
edu=0000:00:04.0
mods="edu_rdma ib_uverbs ib_core vfio_pci_test_variant edu_dma_import edu_dma vfio_iommu_type1 vfio_pci vfio_pci_core vfio iommufd"

bind() {
	[ -e /sys/bus/pci/devices/$1/driver ] &&
		echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo $2 > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}

unload() {
	for m in $mods; do
		[ -d /sys/module/$m ] || continue
		if ! out=$(rmmod "$m" 2>&1); then
			nok "$1: rmmod $m: $out (refcount $(cat /sys/module/$m/refcnt 2>/dev/null))"
			return
		fi
	done
	for m in $mods; do
		if [ -d /sys/module/$m ]; then
			nok "$1: $m is still loaded"
			return
		fi
	done
	ok "$1: every module unloaded"
}

echo "TAP version 13"
echo "1..7"
unload "after the selftests"

if out=$(modprobe vfio-pci 2>&1) && [ -d /sys/module/iommufd ]; then
	ok "vfio-pci and iommufd load again"
else
	nok "modprobe vfio-pci again: $out"
fi
bind $iv vfio-pci
bind $edu vfio-pci
if [ -e /sys/bus/pci/devices/$iv/vfio-dev ]; then
	ok "ivshmem bound to the reloaded vfio-pci"
else
	nok "ivshmem not bound to the reloaded vfio-pci"
fi
if /tests/dmabuf-test map $iv 2 0+64K,1M+64K > /tmp/map.out 2>&1; then
	ok "export and MAP_FILE of two slices"
else
	nok "export and MAP_FILE: $(tail -1 /tmp/map.out)"
fi
sed 's/^/# /' /tmp/map.out
if /tests/dmabuf-test copy $iv 2 0+4K,2M+4K --engine $edu --seed 7 > /tmp/copy.out 2>&1 &&
	grep -q "^copy: OK" /tmp/copy.out; then
	ok "edu moved data through the reloaded modules"
else
	nok "copy: $(tail -1 /tmp/copy.out)"
fi
sed 's/^/# /' /tmp/copy.out
for d in $iv $edu; do
	echo $d > /sys/bus/pci/devices/$d/driver/unbind
	echo > /sys/bus/pci/devices/$d/driver_override
done
unload "after the reload"
if modprobe iommufd && modprobe -r iommufd; then
	ok "iommufd alone loads and unloads"
else
	nok "iommufd alone"
fi
exit $fail
