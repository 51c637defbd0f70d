#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages the rig needs (run as root). Cheap when
# everything is already there.
set -euo pipefail
pkgs=(make gcc libc6-dev git python3 xz-utils bc flex bison libelf-dev
      libssl-dev dwarves cpio ccache kmod rsync perl sparse
      qemu-system-x86 busybox-static linux-source-6.12 linux-config-6.12
      libdrm-dev libcap-dev)
# "rig/deps.sh deb": also what make deb needs (the kernel's bindeb-pkg
# runs debhelper)
[ "${1:-}" = deb ] && pkgs+=(debhelper dpkg-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: run as root (apt-get install ${missing[*]})" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "deps: linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12), $(qemu-system-x86_64 --version | head -1)"
