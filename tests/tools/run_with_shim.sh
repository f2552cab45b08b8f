#!/usr/bin/env bash
# Runs a sanitizer-built PROGRAM with the shim preloaded and passes its exit
# status on; a sanitizer that reports makes it non-zero (the options are set
# by the test's environment, see tests/tools/meson.build). Fails as well when
# the dynamic loader could not preload the shim, or when the program says its
# pthread_barrier_wait bound to anything else ("pthread_barrier_wait: PATH",
# printed by barrier_handover): a run without the shim proves nothing.
#
# SHIM is the library to preload; $BSHIM_PLAIN_SHIM, when set, replaces it
# (scripts/test points a sanitizer build's tests at the plainly built shim).
#
# The ASan runtime checks that it comes first in the list of loaded objects,
# so that its interceptors (malloc, free, mmap, ...) win over everything else;
# a preloaded shim comes before it and the check aborts the program. The shim
# defines none of the functions ASan intercepts except mmap, whose wrapper
# forwards to the next definition (ASan's) through dlsym(RTLD_NEXT), so the
# order is harmless: verify_asan_link_order=0 turns the check off.
#
# Usage: run_with_shim.sh SHIM PROGRAM [ARGS...]
set -u

shim=${BSHIM_PLAIN_SHIM:-$1}
shift
if [ ! -f "$shim" ]; then
  echo "FAIL: no shim at $shim (build it, or set BSHIM_PLAIN_SHIM)" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
  LD_PRELOAD="$shim" "$@" >"$log" 2>&1
status=$?
cat "$log"
if grep -q "cannot be preloaded" "$log"; then
  echo "FAIL: the loader did not preload $shim"
  exit 1
fi
binding=$(sed -n 's/^pthread_barrier_wait: //p' "$log" | tail -n 1)
if [ -n "$binding" ] && [ "$binding" != "$shim" ] &&
   [ "$(readlink -f "$binding")" != "$(readlink -f "$shim")" ]; then
  echo "FAIL: pthread_barrier_wait bound to $binding, not to $shim"
  exit 1
fi
exit "$status"
