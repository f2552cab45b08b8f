#!/usr/bin/env bash
# Runs PROGRAM under a Valgrind thread checker (Helgrind or DRD) with the
# shim preloaded and, unless --shim-only, without it, and compares the
# tools' reports:
#   --same          the run with the shim reports exactly as many errors as
#                   the run with glibc ("ERROR SUMMARY: N errors")
#   --no-more       the run with the shim reports no more errors than the run
#                   with glibc
#   --none          the run with the shim reports no error
#   --report TEXT   the run with the shim reports an error whose line
#                   contains TEXT
#   --message TEXT  the run with the shim prints TEXT (the shim's own note,
#                   not counted as an error)
# Each run must exit 0, and PROGRAM must print which object its
# pthread_barrier_wait binds to ("pthread_barrier_wait: PATH"): the shim in
# the run with it, libc in the run without, or the comparison proves nothing.
#
# Usage: tools_report_as_glibc.sh helgrind|drd SHIM [--shim-only]
#          (--same | --no-more | --none | --report TEXT | --message TEXT)
#          -- PROGRAM [ARGS...]
# Exit: 0 pass, 1 fail, 77 skip (valgrind is not installed).
set -u

tool=$1 shim=$2
shift 2
shim_only=0 expectation= text=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --shim-only) shim_only=1; shift ;;
    --same|--no-more|--none) expectation=${1#--}; shift ;;
    --report|--message) expectation=${1#--}; text=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 1 ;;
  esac
done
[ "${1:-}" = "--" ] && shift
if [ $# -eq 0 ] || [ -z "$expectation" ]; then
  echo "usage: $0 helgrind|drd SHIM [--shim-only] (--same|--no-more|--none|--report T|--message T) -- PROGRAM [ARGS...]" >&2
  exit 1
fi
program=("$@")
if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIP: valgrind is not installed"
  exit 77
fi

shim_log=$(mktemp) glibc_log=$(mktemp)
trap 'rm -f "$shim_log" "$glibc_log"' EXIT

# Runs the program under the tool with LD_PRELOAD=$1 (empty: none) into log
# $2; prints the error count. Fails unless the program exited 0 and its
# pthread_barrier_wait bound to an object whose path contains $3.
run_tool() {
  local preload=$1 log=$2 expected_binding=$3 status errors binding
  LD_PRELOAD=$preload timeout 120 valgrind --tool="$tool" "${program[@]}" >"$log" 2>&1
  status=$?
  errors=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
  binding=$(sed -n 's/^pthread_barrier_wait: //p' "$log" | tail -n 1)
  if [ "$status" -ne 0 ] || [ -z "$errors" ]; then
    cat "$log" >&2
    echo "FAIL: the $tool run with LD_PRELOAD='$preload' exited $status" >&2
    return 1
  fi
  case "$binding" in
    *"$expected_binding"*) ;;
    *)
      cat "$log" >&2
      echo "FAIL: pthread_barrier_wait bound to '$binding', expected $expected_binding" >&2
      return 1 ;;
  esac
  echo "$errors"
}

with_shim=$(run_tool "$shim" "$shim_log" "$(basename "$shim")") || exit 1
if [ "$shim_only" -eq 0 ]; then
  with_glibc=$(run_tool "" "$glibc_log" "libc.so") || exit 1
  echo "$tool: ${program[*]}: glibc $with_glibc errors, shim $with_shim errors"
else
  echo "$tool: ${program[*]}: shim $with_shim errors"
fi

case $expectation in
  same)
    if [ "$with_shim" -ne "$with_glibc" ]; then
      echo "--- with the shim ---" >&2; grep -E '^==[0-9]+== [A-Z]' "$shim_log" | head -40 >&2
      echo "FAIL: $tool reports $with_shim errors with the shim, $with_glibc with glibc" >&2
      exit 1
    fi ;;
  no-more)
    if [ "$with_shim" -gt "$with_glibc" ]; then
      echo "--- with the shim ---" >&2; grep -E '^==[0-9]+== [A-Z]' "$shim_log" | head -40 >&2
      echo "FAIL: $tool reports $with_shim errors with the shim, only $with_glibc with glibc" >&2
      exit 1
    fi ;;
  none)
    if [ "$with_shim" -ne 0 ]; then
      grep -E '^==[0-9]+== [A-Z]' "$shim_log" | head -40 >&2
      echo "FAIL: $tool reports $with_shim errors with the shim, expected none" >&2
      exit 1
    fi ;;
  report)
    if ! grep -E '^==[0-9]+== ' "$shim_log" | grep -qF -- "$text"; then
      cat "$shim_log" >&2
      echo "FAIL: $tool did not report '$text' with the shim" >&2
      exit 1
    fi ;;
  message)
    if ! grep -qF -- "$text" "$shim_log"; then
      cat "$shim_log" >&2
      echo "FAIL: no '$text' in the run with the shim" >&2
      exit 1
    fi ;;
esac
echo PASS
