#!/usr/bin/env bash
# Runs PROGRAM under a Valgrind thread checker twice, without the shim and with
# it preloaded, and fails if the run with the shim reports more errors than the
# one without (Valgrind's "ERROR SUMMARY: N errors"). With --no-baseline the
# run without the shim is skipped and the run with it must report none: for
# cases where the tool's model of glibc's barrier reports errors of its own
# (see tests/tools/meson.build).
#
# Each run must also pass (exit 0), and PROGRAM must print which object its
# pthread_barrier_wait binds to ("pthread_barrier_wait: PATH", as
# barrier_handover does): the shim in the run with it, libc in the run
# without, or the comparison would prove nothing.
#
# Usage: valgrind_adds_no_errors.sh helgrind|drd SHIM [--no-baseline] -- PROGRAM [ARGS...]
# Exit: 0 pass, 1 fail, 77 skip (valgrind is not installed).
set -u

tool=$1 shim=$2
shift 2
baseline=1
if [ "${1:-}" = "--no-baseline" ]; then baseline=0; shift; fi
[ "${1:-}" = "--" ] && shift
if [ $# -eq 0 ]; then
  echo "usage: $0 helgrind|drd SHIM [--no-baseline] -- PROGRAM [ARGS...]" >&2
  exit 1
fi
program=("$@")
if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIP: valgrind is not installed"
  exit 77
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs the program under the tool with LD_PRELOAD=$1 (empty: none) and prints
# the tool's error count; fails unless the program passed and its
# pthread_barrier_wait bound to an object whose path contains $2.
error_count() {
  local preload=$1 expected_binding=$2 status errors binding
  LD_PRELOAD=$preload valgrind --tool="$tool" "${program[@]}" >"$log" 2>&1
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

if [ "$baseline" -eq 1 ]; then
  without=$(error_count "" libc.so) || exit 1
else
  without=0
fi
with=$(error_count "$shim" "$(basename "$shim")") || exit 1
if [ "$baseline" -eq 1 ]; then
  echo "$tool: $without errors without the shim, $with with it"
else
  echo "$tool: $with errors with the shim (no baseline: must be 0)"
fi
if [ "$with" -gt "$without" ]; then
  echo "--- the $tool run with the shim:"
  cat "$log"
  if [ "$baseline" -eq 1 ]; then
    echo "FAIL: $tool reports $with errors with the shim, $without without it"
  else
    echo "FAIL: $tool reports $with errors with the shim"
  fi
  exit 1
fi
echo "PASS"
