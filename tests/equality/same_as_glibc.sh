#!/usr/bin/env bash
# Runs behaviour_probe's CASE with glibc and with the shim preloaded, and
# requires the same observable behaviour: the same "key=value" lines and the
# same exit status. Where the shim differs on purpose, --differs KEY=VALUE
# names the line the shim's run must print instead (the glibc run's line for
# KEY is then shown, not compared). Other preloaded libraries can be stacked
# around the shim (and are preloaded in the glibc run too). --shim-prints
# TEXT: the shim's run must print a line containing TEXT (a warning of the
# shim's own), which is then left out of the comparison.
#
# Usage: same_as_glibc.sh SHIM [--before LIB] [--after LIB] [--differs KEY=VALUE]...
#                         [--shim-prints TEXT]... [--env VAR=VALUE]... -- PROBE CASE [ARG]
# Exit: 0 pass, 1 fail, 77 skip (a library to stack is not installed).
set -u

shim=$1
shift
before= after= differs=() envs=() shim_prints=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --before) before=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --differs) differs+=("$2"); shift 2 ;;
    --shim-prints) shim_prints+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 1 ;;
  esac
done
shift
for library in $before $after; do
  [ -e "$library" ] || { echo "SKIP: $library is not installed"; exit 77; }
done

join_preload() { local IFS=:; echo "$*"; }
glibc_preload=$(join_preload $before $after)
shim_preload=$(join_preload $before "$shim" $after)

glibc_out=$(mktemp) shim_out=$(mktemp)
trap 'rm -f "$glibc_out" "$shim_out" "$glibc_out.cmp" "$shim_out.cmp" "$shim_out.tmp"' EXIT
env "${envs[@]}" LD_PRELOAD="$glibc_preload" timeout 120 "$@" >"$glibc_out" 2>&1
glibc_status=$?
env "${envs[@]}" LD_PRELOAD="$shim_preload" timeout 120 "$@" >"$shim_out" 2>&1
shim_status=$?
echo "--- glibc (LD_PRELOAD=$glibc_preload): exit $glibc_status"; cat "$glibc_out"
echo "--- shim (LD_PRELOAD=$shim_preload): exit $shim_status"; cat "$shim_out"

failed=0
cp "$glibc_out" "$glibc_out.cmp"
cp "$shim_out" "$shim_out.cmp"
for expected in "${differs[@]}"; do
  key=${expected%%=*}
  if ! grep -qxF -- "$expected" "$shim_out"; then
    echo "FAIL: the shim's run does not print '$expected'"
    failed=1
  fi
  # Lines whose first field is KEY=...: compared by the check above only.
  sed -i "/^$key=/d" "$glibc_out.cmp" "$shim_out.cmp"
done
for text in "${shim_prints[@]}"; do
  if ! grep -qF -- "$text" "$shim_out"; then
    echo "FAIL: the shim's run does not print '$text'"
    failed=1
  fi
  grep -vF -- "$text" "$shim_out.cmp" >"$shim_out.tmp"; mv "$shim_out.tmp" "$shim_out.cmp"
done
if [ "$glibc_status" -ne "$shim_status" ]; then
  echo "FAIL: exit $glibc_status with glibc, $shim_status with the shim"
  failed=1
fi
if ! diff -u "$glibc_out.cmp" "$shim_out.cmp"; then
  echo "FAIL: the runs differ (above: - glibc, + shim)"
  failed=1
fi
[ "$failed" -eq 0 ] && echo PASS
exit "$failed"
