#!/usr/bin/env bash
# barrier-shim --explain: one case per argument pair, each checking that the
# verdict for a program names what decides whether the shim takes effect.
#   explain_test.sh SCRIPT DYNAMIC_BARRIER_USER STATIC_BARRIER_USER OLD_VERSION_USER
set -u
script=$1 dynamic=$2 static=$3 old_version=$4
failures=0

expect() {  # expect NAME PROGRAM PATTERN...: every pattern appears in the output
  local name=$1 program=$2 output pattern
  shift 2
  output=$(bash "$script" --explain "$program" 2>&1)
  for pattern in "$@"; do
    if ! grep -qE -- "$pattern" <<<"$output"; then
      echo "FAIL: $name: no match for '$pattern' in:"
      sed 's/^/    /' <<<"$output"
      failures=$((failures + 1))
      return
    fi
  done
  echo "PASS: $name"
}

expect "dynamic program importing the default version takes the shim" "$dynamic" \
  '^linking: dynamic' 'pthread_barrier_wait@GLIBC_2\.34' 'WILL take effect'
expect "compat-version imports are listed with their version" "$old_version" \
  'pthread_barrier_wait@GLIBC_2\.2\.5' 'pthread_barrierattr_getpshared@GLIBC_2\.3\.3' 'WILL take effect'
expect "static program cannot be interposed" "$static" \
  '^linking: static' 'will NOT take effect'

setuid_copy=$(mktemp)
cp "$dynamic" "$setuid_copy" && chmod 4755 "$setuid_copy"
# Owned by the invoker, a set-user-ID program runs with the invoker's own
# uid: no secure mode, LD_PRELOAD is kept (tests/install/secure_mode_test.sh
# has the other cases, checked against the loader).
expect "setuid program of the invoker keeps LD_PRELOAD" "$setuid_copy" \
  '^secure mode: no: set-user-ID' 'WILL take effect'
rm -f "$setuid_copy"

bash "$script" --bogus >/dev/null 2>&1
status=$?
if [ "$status" -eq 2 ]; then echo "PASS: unknown option exits 2"; else
  echo "FAIL: unknown option exited $status, not 2"; failures=$((failures + 1)); fi

exit $((failures > 0))
