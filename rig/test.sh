#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command: on a fresh Debian 12 machine (as root) install what is
# missing, prepare the source, build the kernel and the guest, then run
# every plan (style checks, then every topology) and print
# "N passed, N failed". Extra arguments go to "rig/vm.py test"
# (e.g. --plan rootbus,switch).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
start=$(date +%s)
bash rig/deps.sh
log=build/build.log
echo "test: building (log: $log)"
if ! make -s kernel modular initramfs igt > "$log" 2>&1; then
	tail -n 60 "$log"
	echo "test: the build failed; see $log"
	echo "0 passed, 1 failed"
	exit 1
fi
grep -E '^(prepare|kernel|modular|check-config|mkinitramfs|igt):' "$log" || true
echo "test: build done in $(( $(date +%s) - start )) s"
python3 rig/vm.py test "$@"
