#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-config.sh CONFIG FRAGMENT...
# Fail, naming each option, when Kconfig silently dropped or changed a
# value one of the fragments asked for (olddefconfig does that whenever a
# dependency is missing).
set -euo pipefail
config=$1; shift
bad=0
for frag in "$@"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}
			want=${line#*=}
			got=$(grep -E "^$opt=" "$config" | cut -d= -f2- || true)
			if [ "$got" != "$want" ]; then
				echo "check-config: $opt=$want asked by $(basename "$frag") but the config has ${got:-it unset}" >&2
				bad=1
			fi
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			if grep -qE "^$opt=" "$config"; then
				echo "check-config: $opt off asked by $(basename "$frag") but the config has $(grep -E "^$opt=" "$config")" >&2
				bad=1
			fi
			;;
		esac
	done < "$frag"
done
if [ "$bad" != 0 ]; then
	echo "check-config: Kconfig dropped options (missing dependencies?); fix the fragments in rig/config/" >&2
	exit 1
fi
echo "check-config: all $(cat "$@" | grep -cE '^(CONFIG_|# CONFIG_.* is not set)') fragment options are set as asked"
