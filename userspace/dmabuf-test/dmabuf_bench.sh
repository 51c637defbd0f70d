#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmarks in the guest: dmabuf-test measure on the rootbus ivshmem, with
# edu attached so the IOAS has a real IOMMU domain, the bench machine's
# second edu (bound to edu_dma) as /dev/edu_dma importer, and the 256 MiB,
# 4 GiB and 16 GiB BARs mapped whole; then dmabuf-test memory on every
# ivshmem (BARs of 1 MiB to 16 GiB). TAP for the rig; the tables are
# "# bench:" lines rig/vm.py prints.
set -u
iv=0000:00:03.0
edu=0000:00:04.0
importer=0000:00:14.0
bind() {
	[ -e /sys/bus/pci/devices/$1/driver ] &&
		echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo $2 > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}
echo "1..1"

# Installed as /tests/dmabuf_compare too: the side-by-side benchmark
# (make bench-mainline), the same dmabuf-test compare on every kernel,
# with the 16 GiB ivshmem mapped whole; the figures are "# compare:" lines
if [ "${0##*/}" = dmabuf_compare ]; then
	large=0000:00:13.0
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
fi

ivs=
large=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor):$(cat $d/device)" = 0x1af4:0x1110 ] || continue
	bind ${d##*/} vfio-pci
	ivs="$ivs ${d##*/}"
	# the bench BARs of 256 MiB and more (resource2 size from sysfs)
	case ${d##*/} in
	0000:00:11.0|0000:00:12.0|0000:00:13.0) large="$large --large ${d##*/}" ;;
	esac
done
bind $edu vfio-pci
bind $importer edu_dma
/tests/dmabuf-test measure $iv 2 --engine $edu --importer $importer $large \
	> /tmp/bench.out 2>&1
rc=$?
echo >> /tmp/bench.out
/tests/dmabuf-test memory 2 $ivs >> /tmp/bench.out 2>&1 || rc=1
while IFS= read -r l; do echo "# bench: $l"; done < /tmp/bench.out
[ $rc = 0 ] && echo "ok 1 dmabuf_bench" || echo "not ok 1 dmabuf_bench"
exit $rc
