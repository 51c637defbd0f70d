#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build mainline Linux 7.2 for the side-by-side benchmark (make
# bench-mainline): Debian's newer suite's linux-source-7.2 (a binary
# package holding the source tarball, fetched by rig/newer-suite.sh into
# build/mainline/debs), unpacked once per version into
# build/mainline/linux, configured like the project's bench kernel
# (tinyconfig + rig/config/base.config, no debug fragment) plus what
# mainline names differently (rig/config/mainline.config), and built
# into build/obj-mainline. Prints the bzImage path on its last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
debs=$b/mainline/debs
tree=$b/mainline/linux
obj=$b/obj-mainline
pkg=${MAINLINE_PACKAGE:-linux-source-7.2}

die() { echo "mainline: error: $*" >&2; exit 1; }

bash "$top/rig/newer-suite.sh" "$debs" "$pkg" >&2
ver=$(sed -n "s/^$pkg //p" "$debs/VERSIONS")
deb=$(ls "$debs/${pkg}_${ver#*:}_"*.deb | head -1)
[ -f "$deb" ] || die "no .deb for $pkg $ver in $debs"

if [ "$(cat "$tree/.rig-base" 2>/dev/null)" != "$pkg $ver" ]; then
	echo "mainline: unpacking $pkg $ver" >&2
	rm -rf "$tree" "$tree.tmp" "$b/mainline/src"
	mkdir -p "$tree.tmp" "$b/mainline/src"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -C "$b/mainline/src" -x --wildcards './usr/src/*.tar.xz'
	tar -C "$tree.tmp" -xf "$b/mainline/src"/usr/src/*.tar.xz
	mv "$tree.tmp"/"$pkg" "$tree"
	rmdir "$tree.tmp"
	rm -rf "$b/mainline/src"
	echo "$pkg $ver" > "$tree/.rig-base"
fi

export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
kmake() {
	make -C "$tree" O="$obj" LOCALVERSION= CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$(nproc)" "$@"
}
mkdir -p "$obj"
drop=$(sed -n 's/^# rig-drop: //p' "$top/rig/config/mainline.config" | tr '\n' '|')
grep -vE "^(${drop%|})=" "$top/rig/config/base.config" > "$obj/base.config"
frags=("$obj/base.config" "$top/rig/config/mainline.config")
rev=$(echo "${ver#*-}" | tr '~+' '--')
printf 'CONFIG_LOCALVERSION="-%s-mainline"\n# CONFIG_LOCALVERSION_AUTO is not set\n' \
	"$rev" > "$obj/rig-localversion.fragment"
want=$(cat "${frags[@]}" "$obj/rig-localversion.fragment" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.rig-config" 2>/dev/null)" != "$want $ver" ]; then
	kmake -s tinyconfig >&2
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"${frags[@]}" "$obj/rig-localversion.fragment" > "$obj/merge.log")
	kmake -s olddefconfig >&2
	bash "$top/rig/check-config.sh" "$obj/.config" "${frags[@]}" >&2
	echo "$want $ver" > "$obj/.rig-config"
fi
echo "mainline: building $pkg $ver in $obj" >&2
kmake -s bzImage >&2
echo "mainline: built $(cat "$obj/include/config/kernel.release")" >&2
echo "$obj/arch/x86/boot/bzImage"
