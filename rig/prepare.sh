#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel source tree under build/linux:
#   1. unpack Debian's linux-source-6.12 (once per base version),
#   2. keep it as a git repository whose first commit (tag "base") is the
#      pristine Debian source,
#   3. apply patches/series with "git am" (one commit per patch),
#   4. link the project's new files (the overlay at the repository root)
#      into the tree, so an edit in build/linux edits the repository.
#
# Re-running it is cheap: when the base version and the series are
# unchanged nothing is touched, so the next kernel build is incremental.
# When the series changed, the tree is reset to "base" and the series is
# re-applied; only files the patches touch get new timestamps.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${KSRC:-$top/build/linux}
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
series=$top/patches/series

die() { echo "prepare: error: $*" >&2; exit 1; }

[ -r "$tarball" ] || die "$tarball is missing: install Debian's linux-source-6.12 (rig/deps.sh does)"

deb_version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)

# The stamp decides whether anything needs doing: base package version,
# the series and every patch in it.
stamp_input() {
	echo "base $deb_version $(stat -c %s "$tarball")"
	if [ -f "$series" ]; then
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series" | while read -r p; do
			echo "$p $(sha256sum < "$top/patches/$p" | cut -d' ' -f1)"
		done
	fi
}
want=$(stamp_input | sha256sum | cut -d' ' -f1)

git_t() { git -C "$tree" -c user.name=rig -c user.email=rig@localhost "$@"; }

unpack() {
	echo "prepare: unpacking $tarball (linux-source-6.12 $deb_version)"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -C "$tree.tmp" -xf "$tarball"
	mv "$tree.tmp"/linux-source-6.12 "$tree"
	rmdir "$tree.tmp"
	# Debian's top-level .gitignore ignores everything ("/*") because its
	# packaging repository does not hold the kernel; drop that block so
	# git in build/linux sees new and changed files.
	sed -i '/^# Debian packaging/,/^!\/debian\//d' "$tree/.gitignore"
	git_t init -q
	git_t add -A
	git_t commit -q -m "Debian linux-source-6.12 $deb_version"
	git_t tag base
	echo "$deb_version" > "$tree/.rig-base"
}

if [ "${1:-}" = --stamp-only ]; then
	# export-patches.sh just wrote patches/ from this tree's commits.
	echo "$want" > "$tree/.rig-stamp"
	exit 0
fi

if [ ! -d "$tree/.git" ] || [ "$(cat "$tree/.rig-base" 2>/dev/null)" != "$deb_version" ]; then
	unpack
fi

if [ "$(cat "$tree/.rig-stamp" 2>/dev/null)" != "$want" ]; then
	if [ -n "$(git_t status --porcelain --untracked-files=no)" ]; then
		git_t status --short --untracked-files=no >&2
		die "build/linux has uncommitted edits; commit them and run 'make export-patches', or discard them with 'git -C build/linux checkout .'"
	fi
	ahead=$(git_t rev-list --count base..HEAD)
	if [ "$ahead" != 0 ] && [ -d "$tree/.git/rebase-apply" ]; then
		git_t am --abort || true
	fi
	git_t checkout -q -B rig base 2>/dev/null || git_t reset -q --hard base
	if [ -f "$series" ]; then
		n=0
		while read -r p; do
			n=$((n + 1))
			echo "prepare: applying patches/$p"
			if ! git_t am -q --keep-cr "$top/patches/$p" >/dev/null 2>"$tree/.rig-am.log"; then
				git_t am --abort >/dev/null 2>&1 || true
				echo "prepare: error: patches/$p (number $n in patches/series) does not apply to linux-source-6.12 $deb_version" >&2
				cat "$tree/.rig-am.log" >&2
				echo "prepare: rejected hunks:" >&2
				(cd "$tree" && git apply --reject --verbose "$top/patches/$p" >&2 || true
				 find . -name '*.rej' -newer "$tree/.rig-am.log" -print -exec cat {} \; >&2
				 git checkout -q . && git clean -qfd -e '/.rig-*' >/dev/null)
				exit 1
			fi
		done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$series")
	fi
	echo "$want" > "$tree/.rig-stamp"
fi

# Overlay: symlink every new file of the project into the tree. A file
# that already exists in the base must be changed by a patch instead.
exclude=$tree/.git/info/exclude
grep -qx '/.rig-\*' "$exclude" 2>/dev/null || echo '/.rig-*' >> "$exclude"
(cd "$top" && git ls-files --cached --others --exclude-standard -- drivers include lib tools Documentation mm kernel) |
while read -r f; do
	# git refuses symlinked .gitignore files; the build does not need them.
	[ "$(basename "$f")" = .gitignore ] && continue
	dst=$tree/$f
	if [ -e "$dst" ] && [ ! -L "$dst" ]; then
		die "$f exists in the 6.12 base: change it with a patch in patches/, not in the overlay"
	fi
	if [ "$(readlink "$dst" 2>/dev/null)" != "$top/$f" ]; then
		mkdir -p "$(dirname "$dst")"
		ln -sfn "$top/$f" "$dst"
	fi
	grep -qxF "/$f" "$exclude" || echo "/$f" >> "$exclude"
done
# Drop links whose target left the overlay.
find "$tree" -xdev -type l -lname "$top/*" ! -exec test -e {} \; -print -delete 2>/dev/null | sed 's/^/prepare: removed stale link /' || true

echo "prepare: build/linux is linux-source-6.12 $deb_version + $(git_t rev-list --count base..HEAD) patches + overlay"
