#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/deb-check.sh DIR: check the packages make deb left in DIR. Each
# .deb must be readable by dpkg-deb; all of them must unpack together
# into a scratch root (dpkg-deb -x: nothing on the machine touched) with
# maintainer scripts that parse; the image must
# hold the kernel, System.map and the project's modules; and depmod on
# the scratch root must resolve every symbol of every module against the
# kernel's System.map (a missing EXPORT_SYMBOL would show here).
set -euo pipefail
dir=$1
die() { echo "deb-check: error: $*" >&2; exit 1; }

debs=("$dir"/*.deb)
[ -e "${debs[0]}" ] || die "no .deb in $dir"
image=$(ls "$dir"/linux-image-*.deb | grep -v -- -dbg | head -1)
[ -n "$image" ] || die "no linux-image package in $dir"
for d in "${debs[@]}"; do
	dpkg-deb --info "$d" > /dev/null || die "$d: dpkg-deb cannot read it"
	echo "deb-check: $(dpkg-deb -f "$d" Package) $(dpkg-deb -f "$d" Version) ($(du -h "$d" | cut -f1))"
done

root=$(mktemp -d "${TMPDIR:-/tmp}/deb-check.XXXXXX")
trap 'rm -rf "$root"' EXIT
# dpkg --root would run the maintainer scripts chrooted into the scratch
# root, which has no shell: unpack the files with dpkg-deb and check the
# scripts' syntax instead.
for d in "${debs[@]}"; do
	dpkg-deb -x "$d" "$root" || die "$d does not unpack into a scratch root"
	ctl=$root/.ctl/$(dpkg-deb -f "$d" Package)
	mkdir -p "$ctl"
	dpkg-deb -e "$d" "$ctl" || die "$d: no control archive"
	for s in preinst postinst prerm postrm; do
		[ ! -f "$ctl/$s" ] || sh -n "$ctl/$s" || die "$d: $s is not valid shell"
	done
done
echo "deb-check: ${#debs[@]} packages unpacked into a scratch root; maintainer scripts parse"

release=$(dpkg-deb -f "$image" Package | sed 's/^linux-image-//')
[ -f "$root/boot/vmlinuz-$release" ] || die "no /boot/vmlinuz-$release in the image"
[ -f "$root/boot/System.map-$release" ] || die "no /boot/System.map-$release"
mods=$root/lib/modules/$release
for m in vfio vfio-pci-core vfio-pci iommufd; do
	[ -n "$(find "$mods" -name "$m.ko*" | head -1)" ] || die "$m.ko is not in the image"
done
grep -q '^CONFIG_PCI_P2PDMA=y' "$root/boot/config-$release" || die "PCI_P2PDMA is off in the image's config"
depmod -b "$root" -e -F "$root/boot/System.map-$release" "$release" 2> "$root/depmod.err" ||
	die "depmod failed: $(tail -3 "$root/depmod.err")"
if grep -q "unknown symbol" "$root/depmod.err"; then
	grep "unknown symbol" "$root/depmod.err" | head >&2
	die "modules with unresolved symbols"
fi
echo "deb-check: $release: vmlinuz, System.map, $(find "$mods" -name '*.ko*' | wc -l) modules; depmod resolves every symbol; vfio-pci needs: $(grep '/vfio-pci.ko' "$mods/modules.dep" | cut -d: -f2- | xargs -n1 basename 2>/dev/null | tr '\n' ' ')"
