#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Download binary packages from one of Debian's newer suites (unstable by
# default) without touching the machine's own apt configuration:
#
#   rig/newer-suite.sh DEST PACKAGE...
#
# apt runs on a private tree under build/apt/<suite>/ (its own sources
# list, lists, cache and an empty dpkg status), pointed at the archive URI
# the machine's own sources already use. Nothing is installed: the .debs
# land in DEST, where the caller unpacks them with dpkg-deb -x. What is in
# DEST already is not downloaded again (the cache of a second run), and
# DEST/VERSIONS records the version of each package fetched.
#
# SUITE=testing picks another suite. WITH_DEPS=1 also fetches the
# packages' whole Depends closure (what a binary from that suite needs to
# run through its own dynamic loader).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
suite=${SUITE:-unstable}
dest=$1
shift
[ $# -gt 0 ] || { echo "usage: $0 DEST PACKAGE..." >&2; exit 2; }

die() { echo "newer-suite: error: $*" >&2; exit 1; }

# The archive URI of the machine's own Debian sources (deb822 or one-line)
uri=$(sed -n 's/^URIs:[[:space:]]*\(http[^[:space:]]*debian\)\/*$/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$uri" ] || uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*debian\)\/*[[:space:]].*/\2/p' \
	/etc/apt/sources.list 2>/dev/null | head -1)
[ -n "$uri" ] || die "no Debian archive URI in the machine's apt sources"

root=$top/build/apt/$suite
mkdir -p "$root/etc/preferences.d" "$root/etc/sources.list.d" \
	"$root/lists/partial" "$root/cache/archives/partial" "$dest"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
	> "$root/etc/sources.list"
touch "$root/status"

apt_opts=(
		-o Dir::Etc::sourcelist="$root/etc/sources.list" \
		-o Dir::Etc::sourceparts="$root/etc/sources.list.d" \
		-o Dir::Etc::preferencesparts="$root/etc/preferences.d" \
		-o Dir::State::Lists="$root/lists" \
		-o Dir::State::status="$root/status" \
		-o Dir::Cache="$root/cache" \
		-o APT::Architecture=amd64 \
		-o APT::Get::AllowUnauthenticated=false \
		-o APT::Sandbox::User=root \
		-o Debug::NoLocking=1)
apt_p() { apt-get -q "${apt_opts[@]}" "$@"; }
apt_c() { apt-cache "${apt_opts[@]}" "$@"; }

# The lists are refreshed once a day at most
if [ -z "$(find "$root/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
	echo "newer-suite: updating the $suite lists from $uri"
	apt_p update >/dev/null || die "apt-get update of $suite failed"
fi

pkgs=("$@")
if [ "${WITH_DEPS:-0}" = 1 ]; then
	mapfile -t pkgs < <(apt_p -s install "$@" 2>/dev/null |
		sed -n 's/^Inst \([^ ]*\) .*/\1/p')
	[ ${#pkgs[@]} -gt 0 ] || die "could not resolve the closure of $*"
fi

cd "$dest"
# One apt-cache call for every package's current version, one apt-get
# download for those not here yet (apt writes an epoch's ':' as %3a)
declare -A ver=()
while read -r p v; do
	ver[$p]=$v
done < <(apt_c show --no-all-versions "${pkgs[@]}" 2>/dev/null |
	awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }')
missing=()
for p in "${pkgs[@]}"; do
	v=${ver[$p]:-}
	[ -n "$v" ] || die "$p is not in $suite"
	if ! ls "${p}_${v#*:}_"*.deb "${p}_${v/:/%3a}_"*.deb 2>/dev/null | grep -q .; then
		echo "newer-suite: downloading $p $v ($suite)"
		missing+=("$p=$v")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_p download "${missing[@]}" >/dev/null || die "download of ${missing[*]} failed"
fi
{
	[ -f VERSIONS ] && awk 'NR == FNR { skip[$1] = 1; next } !($1 in skip)' \
		<(printf '%s\n' "${pkgs[@]}") VERSIONS
	for p in "${pkgs[@]}"; do echo "$p ${ver[$p]}"; done
} | sort > VERSIONS.tmp
mv VERSIONS.tmp VERSIONS
