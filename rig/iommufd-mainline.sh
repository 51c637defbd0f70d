#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Mainline 7.2's own iommufd selftests (tools/testing/selftests/iommu/
# iommufd.c) as a peer suite of the modular plan (rig/topologies.py):
#
#   rig/iommufd-mainline.sh          build them into $SELFTEST_DIR
#   rig/iommufd-mainline.sh list     print the cases the plan runs
#
# The source is Debian's newer suite's linux-source-7.2, the package
# rig/mainline.sh builds mainline from (rig/newer-suite.sh downloads it
# into build/mainline/debs, shared with make bench-mainline). Nothing of
# it is committed: the files the test needs are unpacked once per
# package version into build/iommufd-mainline/src (or taken from
# rig/mainline.sh's full tree when it holds that version), 7.2's UAPI
# headers are prepared from them with 7.2's own headers_install.sh, and
# iommufd.c is built statically against those headers and 7.2's
# iommufd_test.h, as mainline's Makefile builds it:
#
#   $SELFTEST_DIR/iommufd_mainline_bin   mainline's program, every case
#   $SELFTEST_DIR/iommufd_mainline       the plan's program: runs the
#                                        cases below (-r FIXTURE.VARIANT.TEST)
#
# The cases are those of the features this kernel has with mainline's
# numbers (IOMMU_IOAS_MAP_FILE of memfds and range-list dma-bufs,
# IOMMU_IOAS_CHANGE_PROCESS); the others exercise what 6.12 lacks
# (vIOMMU, vEVENTs, PASID, the generic page table's mock). Each must be
# in the program's source (its FIXTURE_VARIANT_ADD and TEST_F), or the
# build fails naming it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
b=$top/build
debs=$b/mainline/debs
dir=$b/iommufd-mainline
out=${SELFTEST_DIR:-$b/selftests}
pkg=${MAINLINE_PACKAGE:-linux-source-7.2}

CASES=(
	# IOMMU_IOAS_CHANGE_PROCESS of memfd maps, under each accounting mode
	change_process.account_none.basic
	change_process.account_user.basic
	change_process.account_mm.basic
	# The mock dma-buf exporter (IOMMU_TEST_OP_DMABUF_GET/REVOKE) mapped
	# with IOMMU_IOAS_MAP_FILE, in an IOAS with no, one and two mock
	# domains. Not the mock_domain variant: its setup adds a PASID
	# capable mock device (MOCK_FLAGS_DEVICE_PASID), and 6.12's mock
	# IOMMU has no PASID support.
	iommufd_ioas.no_domain.dmabuf_simple
	iommufd_ioas.no_domain.dmabuf_revoke
	iommufd_ioas.two_mock_domain.dmabuf_simple
	iommufd_ioas.two_mock_domain.dmabuf_revoke
	iommufd_ioas.mock_domain_limit.dmabuf_simple
	iommufd_ioas.mock_domain_limit.dmabuf_revoke
	# The memfd (IOMMU_IOAS_MAP_FILE) variants of the mock-domain fixture,
	# every test of each
	iommufd_mock_domain.one_domain_file.basic
	iommufd_mock_domain.one_domain_file.ro_unshare
	iommufd_mock_domain.one_domain_file.all_aligns
	iommufd_mock_domain.one_domain_file.all_aligns_copy
	iommufd_mock_domain.one_domain_file.user_copy
	iommufd_mock_domain.one_domain_file.replace
	iommufd_mock_domain.one_domain_file.alloc_hwpt
	iommufd_mock_domain.one_domain_file_hugepage.basic
	iommufd_mock_domain.one_domain_file_hugepage.ro_unshare
	iommufd_mock_domain.one_domain_file_hugepage.all_aligns
	iommufd_mock_domain.one_domain_file_hugepage.all_aligns_copy
	iommufd_mock_domain.one_domain_file_hugepage.user_copy
	iommufd_mock_domain.one_domain_file_hugepage.replace
	iommufd_mock_domain.one_domain_file_hugepage.alloc_hwpt
)

die() { echo "iommufd-mainline: error: $*" >&2; exit 1; }

if [ "${1:-}" = list ]; then
	printf '%s\n' "${CASES[@]}"
	exit 0
fi

[ -f /usr/include/sys/capability.h ] ||
	die "mainline's iommufd test needs libcap (apt-get install libcap-dev)"

bash "$top/rig/newer-suite.sh" "$debs" "$pkg" >&2
ver=$(sed -n "s/^$pkg //p" "$debs/VERSIONS")
deb=$(find "$debs" -maxdepth 1 -name "${pkg}_${ver#*:}_*.deb" | head -1)
[ -f "$deb" ] || die "no .deb for $pkg $ver in $debs"

# What the test needs from the source tree
FILES=(
	tools/testing/selftests/iommu/iommufd.c
	tools/testing/selftests/iommu/iommufd_utils.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	drivers/iommu/iommufd/iommufd_test.h
	scripts/headers_install.sh
	scripts/unifdef.c
	include/uapi
)

src=$dir/src
if [ "$(cat "$src/.rig-base" 2>/dev/null)" != "$pkg $ver" ]; then
	rm -rf "$src" "$src.tmp" "$dir/hdr" "$dir/obj"
	mkdir -p "$src.tmp"
	full=$b/mainline/linux
	if [ "$(cat "$full/.rig-base" 2>/dev/null)" = "$pkg $ver" ]; then
		echo "iommufd-mainline: taking the test from $full" >&2
		(cd "$full" && cp -a --parents "${FILES[@]}" "$src.tmp/")
	else
		echo "iommufd-mainline: unpacking the test from $pkg $ver" >&2
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xO --wildcards './usr/src/*.tar.xz' |
			tar -C "$src.tmp" -xJ --strip-components=1 \
				"${FILES[@]/#/$pkg/}"
	fi
	echo "$pkg $ver" > "$src.tmp/.rig-base"
	mv "$src.tmp" "$src"
fi

# 7.2's UAPI headers, prepared as its headers_install does
hdr=$dir/hdr
if [ ! -f "$hdr/.done" ]; then
	rm -rf "$hdr" "$dir/obj"
	mkdir -p "$hdr/include" "$dir/obj"
	gcc -O2 -o "$dir/obj/unifdef" "$src/scripts/unifdef.c"
	mkdir -p "$dir/obj/scripts"
	ln -sf ../unifdef "$dir/obj/scripts/unifdef"
	(cd "$src/include/uapi" && find . -name '*.h') | while read -r h; do
		mkdir -p "$hdr/include/$(dirname "$h")"
		(cd "$dir/obj" && sh "$src/scripts/headers_install.sh" \
			"$src/include/uapi/$h" "$hdr/include/$h")
	done
	touch "$hdr/.done"
fi

bin=$out/iommufd_mainline_bin
sel=$src/tools/testing/selftests
mkdir -p "$out"
if [ ! -x "$bin" ] || [ "$(cat "$dir/built" 2>/dev/null)" != "$pkg $ver" ]; then
	echo "iommufd-mainline: building $pkg $ver's iommufd selftest" >&2
	# mainline's tools/testing/selftests/iommu/Makefile and lib.mk
	gcc -Wall -O2 -Wno-unused-function -D_GNU_SOURCE= \
		-isystem "$hdr/include" -I"$sel" -I"$sel/iommu" -static \
		-o "$bin.tmp" "$sel/iommu/iommufd.c" -lcap
	mv "$bin.tmp" "$bin"
	echo "$pkg $ver" > "$dir/built"
fi

# Every case of the plan must be one of the program's: its fixture has
# the variant and the test
args=()
for c in "${CASES[@]}"; do
	IFS=. read -r f v t <<< "$c"
	if ! grep -qE "^FIXTURE_VARIANT_ADD\($f, $v\)" "$sel/iommu/iommufd.c" ||
	   ! grep -qE "^TEST_F\($f, $t\)" "$sel/iommu/iommufd.c"; then
		die "$pkg $ver's iommufd.c has no case $c"
	fi
	args+=(-r "$c")
done

cat > "$out/iommufd_mainline.tmp" <<EOF
#!/bin/sh
# Mainline $ver's iommufd selftests, the cases this kernel supports
# (rig/iommufd-mainline.sh)
echo "# $pkg $ver tools/testing/selftests/iommu/iommufd.c"
# Run alone (make test ONLY=iommufd_mainline), nothing loaded iommufd yet
[ -e /dev/iommu ] || modprobe iommufd || echo "# modprobe iommufd failed"
exec /tests/iommufd_mainline_bin ${args[*]}
EOF
chmod 0755 "$out/iommufd_mainline.tmp"
mv "$out/iommufd_mainline.tmp" "$out/iommufd_mainline"
echo "iommufd-mainline: ${#CASES[@]} cases of $pkg $ver in $out/iommufd_mainline" >&2
