#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build stock 6.12 (Debian's linux-source-6.12 without this project's
# patches and files) for the side-by-side benchmark: the paths this
# project does not touch, measured on the base itself. The tree is a git
# worktree of build/linux at its "base" tag (build/stock), configured
# like the bench kernels (tinyconfig + rig/config/base.config, no debug
# fragment) and built into build/obj-stock. Prints the bzImage path on
# its last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
tree=$b/stock
obj=$b/obj-stock

[ -d "$b/linux/.git" ] || { echo "stock: run make prepare first" >&2; exit 1; }
if [ ! -e "$tree/.git" ]; then
	rm -rf "$tree"
	git -C "$b/linux" worktree prune
	git -C "$b/linux" worktree add -q --detach "$tree" base >&2
fi
git -C "$tree" checkout -q --detach base

export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1
kmake() {
	make -C "$tree" O="$obj" LOCALVERSION= CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$(nproc)" "$@"
}
mkdir -p "$obj"
v=$(cat "$b/linux/.rig-base")
rev=$(echo "${v#*-}" | tr '~+' '--')
printf 'CONFIG_LOCALVERSION="-%s-stock"\n# CONFIG_LOCALVERSION_AUTO is not set\n' \
	"$rev" > "$obj/rig-localversion.fragment"
frags=("$top/rig/config/base.config" "$obj/rig-localversion.fragment")
want=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$obj/.rig-config" 2>/dev/null)" != "$want $v" ]; then
	kmake -s tinyconfig >&2
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"${frags[@]}" > "$obj/merge.log")
	kmake -s olddefconfig >&2
	bash "$top/rig/check-config.sh" "$obj/.config" "${frags[@]}" >&2
	echo "$want $v" > "$obj/.rig-config"
fi
echo "stock: building linux-source-6.12 $v without the project in $obj" >&2
kmake -s bzImage >&2
echo "stock: built $(cat "$obj/include/config/kernel.release")" >&2
echo "$obj/arch/x86/boot/bzImage"
