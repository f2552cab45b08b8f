#!/usr/bin/env bash
# barrier-shim --help and the man page barrier-shim(1) each document every
# option the command accepts and every BARRIER_SHIM_* variable the library
# reads. One PASS/FAIL line per document and name; exits 1 if any failed,
# 77 (meson: skipped) without groff.
#   documentation_test.sh SCRIPT MAN_PAGE SOURCE_ROOT
#
# The names checked are the ones this test lists (the specification) plus the
# ones found in the sources: option words in the script's option loop, and
# BARRIER_SHIM_* strings in src/ and preload/. So an option or variable added
# later without documentation fails here.
set -u
script=$1 man_page=$2 source_root=$3
failures=0

command -v groff >/dev/null || { echo "SKIP: groff is not installed (Debian: groff-base)"; exit 77; }

specified_options=(-h --help --version --explain --force --watchdog --stats --profile --robust --robust-ms --)
specified_variables=(BARRIER_SHIM_SPIN_NS BARRIER_SHIM_SPIN_MIN_NS BARRIER_SHIM_SPIN_MAX_NS
  BARRIER_SHIM_YIELDS BARRIER_SHIM_WATCHDOG BARRIER_SHIM_STATS BARRIER_SHIM_PROFILE BARRIER_SHIM_ROBUST
  BARRIER_SHIM_ROBUST_MS BARRIER_SHIM_ARRIVAL_TREE LD_PRELOAD)

# The options in the case labels of the script's option loop (from
# `while [ $# -gt 0 ]` to its `done`): a label such as
# `--explain=*|--watchdog=*)` gives --explain and --watchdog.
mapfile -t parsed_options < <(
  sed -n '/^while \[ \$# -gt 0 \]; do$/,/^done$/p' "$script" |
    grep -oE '^[[:space:]]+[^[:space:]()]+\)' | tr -d ' )' | tr '|' '\n' |
    sed -E 's/^0(-)/\1/; s/=\*$//' | grep -E '^--?[a-z][a-z-]*$' | sort -u)
if [ ${#parsed_options[@]} -lt 6 ]; then
  echo "FAIL: found the script's option loop (only: ${parsed_options[*]:-nothing})"
  failures=$((failures + 1))
fi
mapfile -t read_variables < <(
  grep -rhoE 'BARRIER_SHIM_[A-Z0-9_]*[A-Z0-9]' "$source_root/src" "$source_root/preload" | sort -u)

help_text=$(bash "$script" --help 2>&1)
# Plain text: no overstriking, no colour, no hyphenation changes.
man_text=$(groff -man -Tascii -P-cbou "$man_page" 2>&1)

# documents DOCUMENT TEXT NAME: NAME appears in TEXT as a whole word.
documents() {
  local document=$1 text=$2 name=$3
  if grep -qE -- "(^|[^A-Za-z0-9_-])${name}([^A-Za-z0-9_-]|$)" <<<"$text"; then
    echo "PASS: $document documents $name"
  else
    echo "FAIL: $document documents $name"
    failures=$((failures + 1))
  fi
}

mapfile -t names < <(printf '%s\n' "${specified_options[@]}" "${parsed_options[@]}" \
  "${specified_variables[@]}" "${read_variables[@]}" | awk '!seen[$0]++')
for name in "${names[@]}"; do
  documents "--help" "$help_text" "$name"
  documents "barrier-shim(1)" "$man_text" "$name"
done

exit $((failures > 0))
