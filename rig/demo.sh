#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: on a fresh Debian 12 machine (as root) install what is
# missing, build the kernel and the guest, boot the emulated machine and
# show P2P DMA into an ivshmem BAR, verified on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
bash rig/deps.sh
log=build/build.log
echo "demo: building the patched 6.12 kernel and the guest (log: $log)"
if ! make -s kernel initramfs > "$log" 2>&1; then
	tail -n 60 "$log"
	echo "demo: FAILED: the build failed; see $log"
	exit 1
fi
grep -E '^(prepare|kernel):' "$log" || true
python3 rig/vm.py demo
