#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmarks in the guest: dmabuf-test measure on the rootbus ivshmem, with
# edu attached so the IOAS has a real IOMMU domain, and dmabuf-test memory
# on every ivshmem (the bench machine adds BARs of 1 MiB to 16 GiB). TAP
# for the rig; the tables are "# bench:" lines rig/vm.py prints.
set -u
iv=0000:00:03.0
edu=0000:00:04.0
bind() {
	[ -e /sys/bus/pci/devices/$1/driver ] &&
		echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo vfio-pci > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}
echo "1..1"
ivs=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x1110 ] || continue
	bind ${d##*/}
	ivs="$ivs ${d##*/}"
done
bind $edu
/tests/dmabuf-test measure $iv 2 --engine $edu > /tmp/bench.out 2>&1
rc=$?
echo >> /tmp/bench.out
/tests/dmabuf-test memory 2 $ivs >> /tmp/bench.out 2>&1 || rc=1
while IFS= read -r l; do echo "# bench: $l"; done < /tmp/bench.out
[ $rc = 0 ] && echo "ok 1 dmabuf_bench" || echo "not ok 1 dmabuf_bench"
exit $rc
