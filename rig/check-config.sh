#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-config.sh CONFIG FRAGMENT...
# Fail, naming each option, when Kconfig silently dropped or changed a
# value one of the fragments asked for (olddefconfig does that whenever a
# dependency is missing). A later fragment overrides an earlier one, as
# in merge_config.sh: the modular kernel's fragment turns built-in
# options of test.config into modules.
set -euo pipefail
config=$1; shift
declare -A want from
order=()
for frag in "$@"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}
			val=${line#*=}
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			val=n
			;;
		*) continue ;;
		esac
		[ -n "${want[$opt]+x}" ] || order+=("$opt")
		want[$opt]=$val
		from[$opt]=$(basename "$frag")
	done < "$frag"
done
bad=0
for opt in "${order[@]}"; do
	got=$(grep -E "^$opt=" "$config" | cut -d= -f2- || true)
	if [ "${want[$opt]}" = n ]; then
		if [ -n "$got" ]; then
			echo "check-config: $opt off asked by ${from[$opt]} but the config has $opt=$got" >&2
			bad=1
		fi
	elif [ "$got" != "${want[$opt]}" ]; then
		echo "check-config: $opt=${want[$opt]} asked by ${from[$opt]} but the config has ${got:-it unset}" >&2
		bad=1
	fi
done
if [ "$bad" != 0 ]; then
	echo "check-config: Kconfig dropped options (missing dependencies?); fix the fragments in rig/config/" >&2
	exit 1
fi
echo "check-config: all ${#order[@]} fragment options are set as asked"
