#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmarks in the guest: dmabuf-test measure on the rootbus ivshmem, with
# edu attached so the IOAS has a real IOMMU domain. TAP for the rig; the
# tables are "# bench:" lines rig/vm.py prints.
set -u
iv=0000:00:03.0
edu=0000:00:04.0
echo "1..1"
for d in $iv $edu; do
	[ -e /sys/bus/pci/devices/$d/driver ] &&
		echo $d > /sys/bus/pci/devices/$d/driver/unbind
	echo vfio-pci > /sys/bus/pci/devices/$d/driver_override
	echo $d > /sys/bus/pci/drivers_probe
done
/tests/dmabuf-test measure $iv 2 --engine $edu > /tmp/bench.out 2>&1
rc=$?
while IFS= read -r l; do echo "# bench: $l"; done < /tmp/bench.out
[ $rc = 0 ] && echo "ok 1 dmabuf_bench" || echo "not ok 1 dmabuf_bench"
exit $rc
