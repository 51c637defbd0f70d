#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The user tool's RDMA command, run in the guest of the epyc plan (edu's
# DMA untranslated, P2P through the host bridge allowed): two slices of
# the rootbus ivshmem's BAR2 exported, registered as one RDMA memory
# region on the edu_rdma device of the rootbus edu, written and read back
# by it; RIG-CHECK lines let the runner find the bytes in the host file.
# TAP for the rig.
set -u
iv=0000:00:03.0
edu=0000:00:04.0
bind() {
	[ -e /sys/bus/pci/devices/$1/driver ] &&
		echo $1 > /sys/bus/pci/devices/$1/driver/unbind
	echo $2 > /sys/bus/pci/devices/$1/driver_override
	echo $1 > /sys/bus/pci/drivers_probe
}
echo "1..1"
bind $iv vfio-pci
bind $edu edu_dma
/tests/dmabuf-test rdma $iv 2 11M+64K,11536K+64K --importer $edu --len 6K \
	--seed 11 --rig-check ivshmem-rootbus > /tmp/rdma.out 2>&1
rc=$?
grep RIG-CHECK /tmp/rdma.out
grep -v RIG-CHECK /tmp/rdma.out | while IFS= read -r l; do echo "# $l"; done
grep -q "^rdma: OK" /tmp/rdma.out || rc=1
[ $rc = 0 ] && echo "ok 1 dmabuf_rdma" || echo "not ok 1 dmabuf_rdma"
exit $rc
