#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The user tool's DRM command, run in the guest: two slices of the rootbus
# ivshmem's BAR2 (11.625 MiB and 11.875 MiB, in reverse order) exported as
# one dma-buf, imported with PRIME into an edu_drm render node on the
# rootbus edu, written and read back by edu. On the epyc plan (edu's DMA
# untranslated, P2P through the host bridge allowed) the bytes land in the
# BAR and RIG-CHECK lines let the runner find them in the host file;
# elsewhere (q35: the host bridge is not on the P2P allow-list) the import
# works and the first transfer must be refused with EREMOTEIO.
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
# The epyc plan's CPU: AMD family 0x17 or later (vfio_util.c, plan_epyc())
epyc=0
vendor=$(sed -n '/^vendor_id/{s/.*: *//p;q}' /proc/cpuinfo)
family=$(sed -n '/^cpu family/{s/.*: *//p;q}' /proc/cpuinfo)
[ "$vendor" = AuthenticAMD ] && [ "${family:-0}" -ge 23 ] && epyc=1
echo "1..1"
bind $iv vfio-pci
bind $edu edu_dma
/tests/dmabuf-test drm $iv 2 12160K+64K,11904K+64K --importer $edu --len 4K \
	--seed 21 --rig-check ivshmem-rootbus > /tmp/drm.out 2>&1
rc=$?
if [ $epyc = 1 ]; then
	grep RIG-CHECK /tmp/drm.out
	grep -v RIG-CHECK /tmp/drm.out | while IFS= read -r l; do echo "# $l"; done
	grep -q "^drm: OK" /tmp/drm.out || rc=1
else
	sed 's/^/# /' /tmp/drm.out
	# Imported, then refused at the first transfer, nothing written
	if [ $rc = 1 ] && grep -q "^GEM handle" /tmp/drm.out &&
	   grep -q "into the object: Remote I/O error" /tmp/drm.out &&
	   ! grep -q RIG-CHECK /tmp/drm.out; then
		rc=0
	else
		rc=1
	fi
fi
[ $rc = 0 ] && echo "ok 1 dmabuf_drm" || echo "not ok 1 dmabuf_drm"
exit $rc
