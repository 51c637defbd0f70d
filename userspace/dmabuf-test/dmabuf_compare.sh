#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The side-by-side benchmark in the guest (make bench-mainline): the same
# dmabuf-test compare on mainline and on this project's kernel. The
# rootbus ivshmem (16 MiB) is exported, edu attached to the IOAS gives it
# a real IOMMU domain, and the 16 GiB ivshmem of the bench machine is
# mapped whole. TAP for the rig; the figures are "# compare:" lines.
set -u
iv=0000:00:03.0
edu=0000:00:04.0
large=0000:00:13.0
bind() {
	[ -e /sys/bus/pci/devices/$1/driver ] &&
		echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo $2 > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}
echo "1..1"
for d in $iv $edu $large; do
	bind $d vfio-pci
done
echo "# kernel: $(uname -r)"
/tests/dmabuf-test compare $iv 2 --engine $edu --large $large > /tmp/compare.out 2>&1
rc=$?
while IFS= read -r l; do echo "# $l"; done < /tmp/compare.out
grep -q "^compare: done" /tmp/compare.out || rc=1
[ $rc = 0 ] && echo "ok 1 dmabuf_compare" || echo "not ok 1 dmabuf_compare"
exit $rc
