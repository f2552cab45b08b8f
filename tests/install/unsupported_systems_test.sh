#!/usr/bin/env bash
# The shim runs on x86-64 with glibc 2.34 or later. On any other system (as
# `uname -m` and `getconf GNU_LIBC_VERSION` describe it: stand-ins in PATH
# here) the run exits 125 saying why and runs nothing, and --explain says the
# shim will not take effect (exit 3). One PASS/FAIL line per case; exits 1 if
# any failed.
#   unsupported_systems_test.sh SCRIPT LIBRARY PROBE
set -u
script=$1 library=$(readlink -f -- "$2") probe=$(readlink -f -- "$3")
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-systems.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
command=$work/barrier-shim
sed "s|^INSTALLED_LIBRARY=.*|INSTALLED_LIBRARY='$library'|" "$script" >"$command" && chmod 755 "$command"
mkdir "$work/system"
unset LD_PRELOAD
search_path=$PATH  # the rest of PATH, after the stand-ins

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# system MACHINE LIBC: stand-ins that describe the system; LIBC is what
# getconf GNU_LIBC_VERSION prints, or 'fails' for a getconf that knows no
# such variable (musl's).
system() {
  printf '#!/bin/sh\necho %s\n' "$1" >"$work/system/uname"
  if [ "$2" = fails ]; then
    printf '#!/bin/sh\necho "getconf: Unrecognized variable" >&2\nexit 1\n' >"$work/system/getconf"
  else
    printf '#!/bin/sh\necho "%s"\n' "$2" >"$work/system/getconf"
  fi
  chmod 755 "$work/system/uname" "$work/system/getconf"
}

# expect_refused NAME REASON: the run exits 125 with REASON and runs
# nothing; --explain exits 3 with REASON in its verdict.
expect_refused() {
  local name=$1 reason=$2 output status
  rm -f "$work/ran"
  output=$(PATH="$work/system:$search_path" "$command" touch "$work/ran" 2>&1)
  status=$?
  if [ "$status" -eq 125 ] && [ ! -e "$work/ran" ] &&
     [ "$output" = "barrier-shim: this system is not supported: $reason" ]; then
    pass "$name: the run exits 125, says why, runs nothing"
  else
    fail "$name: the run exits 125, says why, runs nothing" \
      "exit status $status; ran: $([ -e "$work/ran" ] && echo yes || echo no); output:" "$output"
  fi
  output=$(PATH="$work/system:$search_path" "$command" --explain "$probe" 2>&1)
  status=$?
  if [ "$status" -eq 3 ] &&
     grep -qxF "verdict: the shim will NOT take effect: this system is not supported: $reason" <<<"$output"; then
    pass "$name: --explain says the shim will not take effect (exit 3)"
  else
    fail "$name: --explain says the shim will not take effect (exit 3)" "exit status $status; output:" "$output"
  fi
}

# expect_accepted NAME: the probe runs under the shim.
expect_accepted() {
  local name=$1 output provider
  output=$(PATH="$work/system:$PATH" "$command" "$probe" 2>&1)
  provider=$(sed -n 's/^provider: //p' <<<"$output")
  if [ -n "$provider" ] && [ "$(readlink -f -- "$provider")" = "$library" ]; then pass "$name"
  else fail "$name" "output:" "$output"; fi
}

system aarch64 "glibc 2.36"
expect_refused "an aarch64 machine" "the shim runs on x86-64 only, and this machine is aarch64"
system x86_64 "glibc 2.33"
expect_refused "glibc 2.33" "the shim needs glibc 2.34 or later, and this is glibc 2.33"
system x86_64 "glibc 1.99"
expect_refused "glibc 1.99" "the shim needs glibc 2.34 or later, and this is glibc 1.99"
system x86_64 fails
expect_refused "a C library other than glibc" \
  "the shim needs glibc 2.34 or later, and getconf GNU_LIBC_VERSION names no glibc (nothing)"

# A system without readelf or getcap: every program would look like a
# script to the checks (review 6: a 32-bit program ran unprotected).
# without TOOL: a PATH of links to every program in PATH's directories but TOOL.
without() {
  rm -rf "$work/without" && mkdir "$work/without"
  local directory file
  IFS=: read -r -a directories <<<"$PATH"
  for directory in "${directories[@]}"; do
    for file in "$directory"/*; do
      [ -x "$file" ] && [ ! -e "$work/without/${file##*/}" ] && ln -s "$file" "$work/without/${file##*/}"
    done
  done
  rm -f "$work/without/$1"
  search_path=$work/without
}
system x86_64 "glibc 2.36"
without readelf
expect_refused "a system without readelf" \
  "readelf is missing (install binutils), and the checks of a program need it"
without getcap
expect_refused "a system without getcap" \
  "getcap is missing (install libcap2-bin), and the checks of a program need it"
search_path=$PATH

system x86_64 "glibc 2.34"
expect_accepted "glibc 2.34 on x86-64 is accepted"
system x86_64 "glibc 3.0"
expect_accepted "glibc 3.0 on x86-64 is accepted"

exit $((failures > 0))
