#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's initramfs: busybox-static, rig/init, and every test
# program under $SELFTEST_DIR (statically linked) in /tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${INITRAMFS:-$top/build/initramfs.cpio}
tests=${SELFTEST_DIR:-$top/build/selftests}
root=$top/build/initramfs.d

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,tests,etc}
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
install -m 0755 "$top/rig/init" "$root/init"
n=0
for f in "$tests"/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	if ldd "$f" >/dev/null 2>&1; then
		echo "mkinitramfs: $f is not statically linked" >&2
		exit 1
	fi
	install -m 0755 "$f" "$root/tests/"
	n=$((n + 1))
done
# The modular plan's modules (make modular), for modprobe
modroot=${MODROOT:-$top/build/modroot}
if [ -d "$modroot/lib/modules" ]; then
	mkdir -p "$root/lib"
	cp -a "$modroot/lib/modules" "$root/lib/"
	rm -f "$root"/lib/modules/*/build "$root"/lib/modules/*/source
fi
# init's stdin/stdout before devtmpfs is mounted.
mknod -m 600 "$root/dev/console" c 5 1
# Same inputs, same bytes: the runner skips plans whose inputs did not
# change since they passed.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet --reproducible) > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out with $n test programs ($(du -h "$out" | cut -f1))"
