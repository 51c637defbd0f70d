#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Turn the commits on top of "base" in build/linux into patches/ and
# rewrite patches/series. The edit loop:
#   cd build/linux; edit; git commit (or git commit --fixup + rebase)
#   cd ../..; make export-patches; make kernel
# Overlay files are symlinks into the repository and never part of a patch.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tree=${KSRC:-$top/build/linux}
git -C "$tree" diff --quiet HEAD -- . ':!*.rej' || {
	echo "export-patches: build/linux has uncommitted edits: commit them first" >&2
	exit 1
}
rm -f "$top"/patches/*.patch
git -C "$tree" format-patch -q --no-signature --zero-commit --no-numbered \
	-o "$top/patches" base..HEAD
(cd "$top/patches" && ls -1 *.patch > series) || : > "$top/patches/series"
echo "export-patches: $(wc -l < "$top/patches/series") patches in patches/series"
# The tree now matches the series; record that so prepare.sh keeps it.
(cd "$top" && bash rig/prepare.sh --stamp-only)
