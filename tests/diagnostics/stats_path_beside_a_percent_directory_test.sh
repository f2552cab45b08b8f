#!/usr/bin/env bash
# Behaviour: BARRIER_SHIM_STATS=out.txt, a relative path, run from a
# directory whose name has a % ("run%p"): the report lands in that
# directory's out.txt. The library makes the path absolute with the current
# directory, whose % signs are not patterns (only the value's %p and %% are);
# before, run%p became run<pid> and the report was lost to stderr.
# Usage: stats_path_beside_a_percent_directory_test.sh SHIM PROGRAM
set -u
shim=$(readlink -f -- "$1") program=$(readlink -f -- "$2")  # meson passes them relative to build/
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
directory="$work/run%p"
mkdir -p "$directory"
(cd "$directory" && BARRIER_SHIM_STATS=out.txt LD_PRELOAD=$shim timeout 60 "$program" return \
   >/dev/null 2>"$work/stderr")
if grep -q 'rounds' "$directory/out.txt" 2>/dev/null; then
  echo "PASS: the report is in $directory/out.txt"
  exit 0
fi
echo "FAIL: no report in $directory/out.txt; files: $(cd "$work" && find . | tr '\n' ' ')"
sed 's/^/    /' "$work/stderr"
exit 1
