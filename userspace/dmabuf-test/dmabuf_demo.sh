#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The main job's story, run in the guest: two devices assigned to
# user space through VFIO and iommufd, the way a VMM assigns them; slices
# of one device's BAR exported as a dma-buf and mapped into the IO address
# space with IOMMU_IOAS_MAP_FILE; the other device's DMA engine writes into
# them and reads them back. Speaks TAP for the rig; "# demo:" lines are
# the story rig/vm.py prints.
set -u
say() { echo "# demo: $*"; }
iv=0000:00:03.0
edu=0000:00:04.0
ranges=0+4K,1M+4K

echo "1..1"
for d in $iv $edu; do
	[ -e /sys/bus/pci/devices/$d/driver ] &&
		echo $d > /sys/bus/pci/devices/$d/driver/unbind
	echo vfio-pci > /sys/bus/pci/devices/$d/driver_override
	echo $d > /sys/bus/pci/drivers_probe
done
say "devices (both bound to vfio-pci, opened through /dev/vfio/devices and /dev/iommu):"
/tests/dmabuf-test list $iv $edu | while IFS= read -r l; do say "  $l"; done
say "exporting two 4 KiB slices of ivshmem BAR2 ($ranges) and letting edu copy through them:"
/tests/dmabuf-test copy $iv 2 $ranges --engine $edu --len 2048 --seed 7 \
	--rig-check ivshmem > /tmp/demo.out 2>&1
rc=$?
grep RIG-CHECK /tmp/demo.out
grep -v RIG-CHECK /tmp/demo.out | while IFS= read -r l; do say "  $l"; done
if [ $rc = 0 ]; then
	echo "ok 1 dmabuf_demo"
else
	echo "not ok 1 dmabuf_demo"
fi
exit $rc
