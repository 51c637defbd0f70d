#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb [FLAVOUR=amd64|cloud-amd64]: Debian packages of this kernel
# (linux-image, linux-headers, linux-libc-dev) built with the kernel's
# own bindeb-pkg target from Debian's configuration for 6.12
# (linux-config-6.12) with rig/config/debian.config (the project's
# options, as modules where Debian builds comparable ones so) and
# rig/config/deb.config on top. The kernel release names the base
# version and the project: 6.12.118-1-deb12u1-p2pdmabuf-cloud-amd64,
# say. Fails, naming the option, when Kconfig dropped one the project
# needs. The packages land in build/deb/FLAVOUR/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${FLAVOUR:-amd64}
src=/usr/src/linux-config-6.12/config.amd64_none_$flavour.xz
ksrc=${KSRC:-$top/build/linux}
obj=$top/build/obj-deb-$flavour
out=$top/build/deb/$flavour

die() { echo "deb: error: $*" >&2; exit 1; }
bash "$top/rig/deps.sh" deb
[ -r "$src" ] || die "$src is missing: install linux-config-6.12 (rig/deps.sh does); FLAVOUR is amd64 or cloud-amd64"

v=$(dpkg-query -W -f='${Version}' linux-source-6.12)
rev=$(echo "${v#*-}" | tr '~+' '--')
mkdir -p "$obj" "$out"
frags=("$top/rig/config/debian.config" "$top/rig/config/deb.config")
printf 'CONFIG_LOCALVERSION="-%s-p2pdmabuf-%s"\n# CONFIG_LOCALVERSION_AUTO is not set\n' \
	"$rev" "$flavour" > "$obj/rig-localversion.fragment"

export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
# A cache of its own: a distribution build would evict the rig's objects
export CCACHE_DIR=${DEB_CCACHE_DIR:-$top/build/ccache-deb}
kmake() {
	make -C "$ksrc" O="$obj" LOCALVERSION= CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$(nproc)" "$@"
}

want=$(cat "$src" "${frags[@]}" "$obj/rig-localversion.fragment" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.rig-config" 2>/dev/null)" != "$want" ]; then
	xz -dc "$src" > "$obj/.config"
	(cd "$ksrc" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"${frags[@]}" "$obj/rig-localversion.fragment" > "$obj/merge.log")
	kmake -s olddefconfig
	bash "$top/rig/check-config.sh" "$obj/.config" "${frags[@]}" \
		"$obj/rig-localversion.fragment"
	echo "$want" > "$obj/.rig-config"
fi
[ "${DEB_CONFIG_ONLY:-0}" = 1 ] && { echo "deb: $obj/.config ready"; exit 0; }

release=$(kmake -s kernelrelease)
start=$(date +%s)
echo "deb: building $release ($flavour) in $obj"
rm -f "$obj"/../linux-*_"${release}"*.deb 2>/dev/null || true
# bindeb-pkg writes the packages next to the object directory
kmake bindeb-pkg KDEB_PKGVERSION="${v%%-*}-${rev}+p2pdmabuf" \
	KDEB_SOURCENAME=linux-p2pdmabuf
mv "$top"/build/linux-*"$release"*.deb "$top"/build/linux-libc-dev_*p2pdmabuf*.deb \
	"$out"/ 2>/dev/null || true
echo "deb: built in $(( $(date +%s) - start )) s:"
ls -l "$out"/*.deb
bash "$top/rig/deb-check.sh" "$out"
