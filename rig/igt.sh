#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# igt-gpu-tools for the drm plan (rig/topologies.py):
#
#   rig/igt.sh            fetch what is missing, build build/igt.cpio
#   rig/igt.sh fetch      only fetch and unpack
#   rig/igt.sh list TEST  print TEST's subtests, run on this host through
#                         the newer suite's loader
#
# Debian 12 has no igt tests. Debian's newer suite (unstable) has
# igt-gpu-tools 2.5 as binary packages (igt-gpu-tools-tests, and
# igt-gpu-tools for libigt) built against its newer glibc. This script
# downloads them and their shared-library closure with rig/newer-suite.sh
# (a private apt tree under build/apt: nothing is installed, the machine's
# apt sources are not touched), always the suite's current versions,
# unpacks them with dpkg-deb -x and packs what the plan runs into a cpio
# archive of its own, which the drm plan's initrd appends to the common
# initramfs (other plans do not carry it):
#
#   /igt/bin/TEST                  the igt tests the plan runs
#   /igt/lib/                      their library closure and the suite's
#                                  own ld-linux-x86-64.so.2, run as
#                                  ld-linux-x86-64.so.2 --library-path /igt/lib
#                                  (apart from Debian 12's /lib, so neither
#                                  loader ever picks the other's libc)
#   /igt/preload/TEST.so           loaded first into TEST (--preload): a
#                                  fix for a bug of igt 2.5 (kms_prime, below)
#   /igt/subtests                  the cases, from rig/topologies.py
#   /igt/VERSIONS                  every package used, with its version
#   /tests/drm_modules_load        the plan's programs (written below)
#   /tests/igt
#   /tests/dmabuf-heap             the kernel's dmabuf-heaps selftest (make
#                                  drm-selftests builds it, static)
#
# Downloads are kept in build/igt/debs (a fresh clone fetches them once: 48
# packages, 18 MB on 2026-12-07); a version the suite replaced is deleted
# there. build/igt/VERSIONS records what was packed, and the drm plan's log
# prints it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$top/build}
dir=$B/igt
debs=$dir/debs
root=$dir/root
out=${IGT_CPIO:-$B/igt.cpio}
heaps=${DRM_SELFTEST_DIR:-$B/drm-selftests}/dmabuf-heap
# The igt tests the plan runs
TESTS=(vgem_basic dmabuf_sync_file kms_prime dmabuf)
# The packages they come from; the closure adds their libraries
TOP_PKGS=(igt-gpu-tools-tests)

die() { echo "igt: error: $*" >&2; exit 1; }

# The Depends and Pre-Depends of a .deb that carry shared libraries: the
# first alternative of each, without versions or architecture. Tools,
# data and interpreters (python3, pci.ids, the intel-gpu-tools
# metapackage) are not needed to run the tests; igt-gpu-tools is (libigt).
lib_deps() {
	{ dpkg-deb -f "$1" Pre-Depends; dpkg-deb -f "$1" Depends; } |
		tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' |
		grep -E '^(lib.*|zlib1g|igt-gpu-tools)$' || true
}

deb_of() {
	local v
	v=$(awk -v p="$1" '$1 == p { print $2 }' "$debs/VERSIONS")
	[ -n "$v" ] || die "no version recorded for $1"
	# apt download writes an epoch's ':' as %3a
	ls "$debs/${1}_${v#*:}_"*.deb "$debs/${1}_${v/:/%3a}_"*.deb 2>/dev/null | head -1 || true
}

# The closure resolved last time is still the suite's current one when the
# suite's lists (which newer-suite.sh refreshes once a day) did not change
# since, every .deb of it is here, and the way it was resolved is the same
current() {
	local lists=$top/build/apt/${SUITE:-unstable}/lists p
	[ -f "$dir/VERSIONS" ] && [ -f "$dir/resolved" ] || return 1
	[ "$(cat "$dir/resolved")" = "$(resolver_id)" ] || return 1
	[ -n "$(find "$lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ] || return 1
	for p in "$lists"/*Packages*; do
		[ "$dir/VERSIONS" -nt "$p" ] || return 1
	done
	while read -r p _; do
		[ -n "$(deb_of "$p")" ] || return 1
	done < "$dir/VERSIONS"
}

# What decides the closure: the packages asked for, the resolution and
# the helper
resolver_id() {
	{ echo "${TOP_PKGS[*]}"; declare -f lib_deps deb_of fetch; cat "$top/rig/newer-suite.sh"; } |
		sha256sum | cut -d' ' -f1
}

# Resolve the closure level by level; newer-suite.sh downloads what is not
# in $debs yet and records the suite's current version of each package.
fetch() {
	local -A seen=()
	local queue=("${TOP_PKGS[@]}" libc6) next p d f
	mkdir -p "$debs"
	if current; then
		echo "igt: $(wc -l < "$dir/VERSIONS") packages in $debs, current with the" \
			"${SUITE:-unstable} lists of $(date -r "$(ls -t "$top/build/apt/${SUITE:-unstable}/lists"/*Packages* | head -1)" '+%F %R')"
		return
	fi
	for p in "${queue[@]}"; do seen[$p]=1; done
	while [ ${#queue[@]} -gt 0 ]; do
		bash "$top/rig/newer-suite.sh" "$debs" "${queue[@]}"
		next=()
		for p in "${queue[@]}"; do
			f=$(deb_of "$p")
			[ -n "$f" ] || die "$p was not downloaded"
			for d in $(lib_deps "$f"); do
				[ -n "${seen[$d]:-}" ] && continue
				seen[$d]=1
				next+=("$d")
			done
		done
		queue=("${next[@]}")
	done
	# What was packed: the closure at the suite's current versions
	for p in "${!seen[@]}"; do
		awk -v p="$p" '$1 == p' "$debs/VERSIONS"
	done | LC_ALL=C sort > "$dir/VERSIONS.tmp"
	mv "$dir/VERSIONS.tmp" "$dir/VERSIONS"
	# Drop versions the suite replaced, and packages that left the closure
	local keep=" "
	while read -r p _; do keep+="$(basename "$(deb_of "$p")") "; done < "$dir/VERSIONS"
	for f in "$debs"/*.deb; do
		case "$keep" in *" $(basename "$f") "*) ;; *) echo "igt: dropping $(basename "$f")"; rm -f "$f";; esac
	done
	resolver_id > "$dir/resolved"
	echo "igt: $(wc -l < "$dir/VERSIONS") packages, $(du -sh "$debs" | cut -f1) of .debs in $debs"
}

# Unpack every package of the closure into $root (again only when the
# set of .debs changed)
unpack() {
	local stamp f
	stamp=$(while read -r p _; do basename "$(deb_of "$p")"; done < "$dir/VERSIONS")
	if [ -f "$root/.stamp" ] && [ "$(cat "$root/.stamp")" = "$stamp" ]; then
		return
	fi
	rm -rf "$root"
	mkdir -p "$root"
	while read -r p _; do
		dpkg-deb -x "$(deb_of "$p")" "$root"
	done < "$dir/VERSIONS"
	echo "$stamp" > "$root/.stamp"
	echo "igt: unpacked into $root"
}

libdirs() {
	echo "$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu:$root/usr/lib:$root/lib"
}

loader() {
	local l
	for l in "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
		 "$root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
		 "$root/usr/lib64/ld-linux-x86-64.so.2"; do
		[ -e "$l" ] && { echo "$l"; return; }
	done
	die "the newer suite's libc6 has no ld-linux-x86-64.so.2 in $root"
}

# The shared libraries TEST needs, as "soname path" lines, all from the
# unpacked tree: the newer loader lists them (no ld.so.cache; a library
# found outside the tree, on this host, is an error).
closure() {
	local bin=$1 line name path
	"$(loader)" --inhibit-cache --library-path "$(libdirs)" --list "$bin" |
	while read -r line; do
		case "$line" in
		*"=> not found"*) die "$(basename "$bin") needs ${line%% *}, which no package of the closure has" ;;
		/*) ;;		# the loader itself (PT_INTERP): packed on its own
		*" => "*)
			name=${line%% *}
			path=${line#* => }
			path=${path% (*}
			case "$path" in
			"$root"/*) echo "$name $path" ;;
			*) die "$(basename "$bin"): $name resolved outside the newer suite's tree: $path" ;;
			esac ;;
		esac
	done
}

# Run a test through the loader of the packed tree (as the guest does)
run_packed() {
	local tree=$1
	shift
	"$tree/igt/lib/ld-linux-x86-64.so.2" --inhibit-cache --library-path "$tree/igt/lib" "$@"
}

# igt 2.5's kms_prime asks libigt's is_intel_dgfx() about the importer of
# every buffer (import_fb()), and is_intel_dgfx() fails the test on a device
# that is neither i915 nor xe: basic-crc-vgem cannot pass with vkms as the
# importer. The preload answers "not an Intel discrete GPU" for a non-Intel
# device and leaves everything else to igt. It stops the test outright on
# an Intel device, which the rig's machine does not have. No libc: it
# needs only libigt's is_intel_device().
build_preloads() {
	local pre=$1
	mkdir -p "$pre"
	cat > "$dir/kms_prime_non_intel.c" <<'EOF'
/* SPDX-License-Identifier: GPL-2.0 */
/* Loaded into igt 2.5's kms_prime by rig/igt.sh (see there) */
#include <stdbool.h>

bool is_intel_device(int fd);

bool is_intel_dgfx(int fd)
{
	if (is_intel_device(fd))
		__builtin_trap();
	return false;
}
EOF
	gcc -shared -fPIC -nostdlib -O2 -Wall -Werror -o "$pre/kms_prime.so" \
		"$dir/kms_prime_non_intel.c"
}

subtests_of_plan() {
	python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import topologies
print("\n".join(topologies.IGT_SUBTESTS))' "$top/rig"
}

write_guest_programs() {
	local tests=$1
	# Load the DRM modules the plan needs, the way vfio_modules_load loads
	# VFIO's; each must appear in /sys/module, and the DRM drivers must
	# have registered a device (its debugfs "name" starts with the driver's
	# name). The versions of igt and its libraries go into the log.
	cat > "$tests/drm_modules_load" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The drm plan's module loader (rig/igt.sh writes it into build/igt.cpio)
set -u
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); echo "not ok $n $*"; fail=1; }

echo "TAP version 13"
echo "1..5"
while read -r p v; do echo "# igt: $p $v"; done < /igt/VERSIONS

# The debugfs directory of a DRM device of driver $1: the first word of
# its name file is the driver's name
drm_dev_of() {
	for f in /sys/kernel/debug/dri/*/name; do
		[ -r "$f" ] || continue
		read -r drv rest < "$f"
		[ "$drv" = "$1" ] && { echo "${f%/name} ($drv $rest)"; return 0; }
	done
	return 1
}

# module to load, and the driver name of the device it must register
load() {
	m=$1
	if ! out=$(modprobe "$m" 2>&1); then
		nok "modprobe $m: $out"
		return
	fi
	if [ ! -d "/sys/module/$m" ]; then
		nok "modprobe $m: /sys/module/$m is missing"
		return
	fi
	if [ -n "${2:-}" ]; then
		if ! dev=$(drm_dev_of "$2"); then
			nok "modprobe $m: no DRM device of driver $2 in /sys/kernel/debug/dri"
			return
		fi
		ok "modprobe $m: DRM device $dev"
		return
	fi
	ok "modprobe $m"
}

load drm
load vgem vgem
load vkms vkms
load edu_drm
taint=$(cat /proc/sys/kernel/tainted)
if [ "$taint" = 0 ]; then
	ok "kernel not tainted"
else
	nok "kernel tainted: $taint"
fi
echo "# loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "# DRM nodes: $(ls /dev/dri 2>/dev/null | tr '\n' ' ')"
exit $fail
EOF
	# Each igt subtest in /igt/subtests (TEST@SUBTEST or
	# TEST@SUBTEST@DYNAMIC) runs as its own process and is one TAP case:
	# exit 0 passed, 77 skipped (the reason igt gave goes with it),
	# anything else failed (98 is igt's failure; a timeout is too).
	cat > "$tests/igt" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The drm plan's igt subtests (rig/igt.sh writes it into build/igt.cpio)
set -u
LD=/igt/lib/ld-linux-x86-64.so.2
# Tests that open "any" DRM device (vgem_basic@dmabuf-export's importer,
# kms_prime's display) take vkms, never vgem itself or edu_drm
export IGT_FORCE_DRIVER=vkms
TIMEOUT=${IGT_TIMEOUT:-300}

now() { cut -d' ' -f1 /proc/uptime; }

total=$(grep -c . /igt/subtests)
echo "TAP version 13"
echo "1..$total"
echo "# igt: $(grep '^igt-gpu-tools-tests ' /igt/VERSIONS), through the newer suite's loader"
n=0
fail=0
start=$(now)
while read -r c; do
	[ -n "$c" ] || continue
	n=$((n + 1))
	t=${c%%@*}
	rest=${c#*@}
	sub=${rest%%@*}
	set -- --run-subtest "$sub"
	[ "$rest" = "$sub" ] || set -- "$@" --dynamic-subtest "${rest#*@}"
	pre=
	[ -f "/igt/preload/$t.so" ] && pre="--preload /igt/preload/$t.so"
	t0=$(now)
	# shellcheck disable=SC2086
	timeout "$TIMEOUT" "$LD" $pre --library-path /igt/lib "/igt/bin/$t" "$@" \
		> /tmp/igt.out 2>&1 < /dev/null
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	sed 's/^/# /' /tmp/igt.out
	echo "# $c: exit $rc in $secs s"
	case $rc in
	0) echo "ok $n $c" ;;
	77)
		why=$(sed -n 's/^Test requirement: //p' /tmp/igt.out | tail -1)
		[ -n "$why" ] || why=$(grep -v '^$' /tmp/igt.out | tail -1)
		echo "ok $n $c # SKIP $(echo "$why" | tr -d '#')" ;;
	*)
		echo "not ok $n $c # exit $rc"
		fail=1 ;;
	esac
done < /igt/subtests
echo "# igt: $n subtests in $(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
# vgem_basic@unload unloads vgem and the next vgem test loads it through
# igt's libkmod; the programs after this one find it loaded either way
modprobe vgem
exit $fail
EOF
	chmod 0755 "$tests/drm_modules_load" "$tests/igt"
}

build_cpio() {
	local tree=$dir/cpio.d t name path have
	[ -x "$heaps" ] || die "$heaps is missing: run make drm-selftests"
	rm -rf "$tree"
	mkdir -p "$tree/igt/bin" "$tree/igt/lib" "$tree/tests"
	cp -L "$(loader)" "$tree/igt/lib/ld-linux-x86-64.so.2"
	for t in "${TESTS[@]}"; do
		[ -x "$root/usr/libexec/igt-gpu-tools/$t" ] ||
			die "igt-gpu-tools-tests has no $t (the newer suite dropped or moved it)"
		cp "$root/usr/libexec/igt-gpu-tools/$t" "$tree/igt/bin/"
		closure "$root/usr/libexec/igt-gpu-tools/$t" > "$dir/closure.$t"
		while read -r name path; do
			[ -e "$tree/igt/lib/$name" ] || cp -L "$path" "$tree/igt/lib/$name"
		done < "$dir/closure.$t"
	done
	build_preloads "$tree/igt/preload"
	# Every subtest the plan names must exist in this version of igt; the
	# packed tree, run the way the guest runs it, lists them
	subtests_of_plan > "$tree/igt/subtests"
	for t in "${TESTS[@]}"; do
		pre=()
		[ -f "$tree/igt/preload/$t.so" ] && pre=(--preload "$tree/igt/preload/$t.so")
		run_packed "$tree" "${pre[@]}" "$tree/igt/bin/$t" --list-subtests > "$dir/subtests.$t" ||
			die "$t --list-subtests failed through the packed loader"
	done
	while read -r c; do
		t=${c%%@*}
		name=${c#*@}
		name=${name%%@*}
		[ -f "$dir/subtests.$t" ] || die "the plan names $c, but $t is not packed"
		grep -qx -- "$name" "$dir/subtests.$t" ||
			die "the plan names $c, but $t $(grep '^igt-gpu-tools-tests ' "$dir/VERSIONS" | cut -d' ' -f2) has no subtest $name"
	done < "$tree/igt/subtests"
	# Nothing in the packed tree resolves outside it
	for t in "${TESTS[@]}"; do
		run_packed "$tree" --list "$tree/igt/bin/$t" | while read -r line; do
			case "$line" in
			*"not found"*) die "packed $t: $line" ;;
			*" => "*)
				path=${line#* => }
				case "$path" in "$tree/igt/lib/"*) ;; *) die "packed $t: $line" ;; esac ;;
			esac
		done
	done
	cp "$dir/VERSIONS" "$tree/igt/VERSIONS"
	install -m 0755 "$heaps" "$tree/tests/dmabuf-heap"
	write_guest_programs "$tree/tests"
	# Same inputs, same bytes (the runner skips plans whose inputs did not
	# change); only new paths, so the common archive's directories and
	# files stay as they are
	find "$tree" -exec touch -h -d @0 {} +
	(cd "$tree" && find igt tests -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet --reproducible) > "$out.tmp"
	mv "$out.tmp" "$out"
	have=$(ls "$tree/igt/lib" | wc -l)
	echo "igt: $out: ${#TESTS[@]} igt tests ($(wc -l < "$tree/igt/subtests") subtests in the plan)," \
		"$have libraries with the loader ($(du -sh "$tree/igt/lib" | cut -f1)), dmabuf-heap;" \
		"$(du -h "$out" | cut -f1)"
	echo "igt: $(grep -E '^(igt-gpu-tools-tests|libc6) ' "$dir/VERSIONS" | tr '\n' ' ')(Debian unstable)"
}

case "${1:-build}" in
build)
	start=$(date +%s)
	fetch
	unpack
	build_cpio
	echo "igt: done in $(( $(date +%s) - start )) s"
	;;
fetch)
	fetch
	unpack
	;;
list)
	[ $# -eq 2 ] || die "usage: $0 list TEST"
	[ -d "$root" ] || die "run rig/igt.sh first"
	"$(loader)" --inhibit-cache --library-path "$(libdirs)" \
		"$root/usr/libexec/igt-gpu-tools/$2" --list-subtests
	;;
*)
	die "usage: $0 [build | fetch | list TEST]"
	;;
esac
