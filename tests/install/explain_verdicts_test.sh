#!/usr/bin/env bash
# barrier-shim --explain: for each kind of program, its verdict and exit
# status (0 the shim takes effect, 3 it cannot, 4 a script, 1 an error), and,
# for ELF programs, that the verdict is what the loader then does: the
# program is run with --force and says which object its pthread_barrier_wait
# came from. One PASS/FAIL/SKIP line per case; exits 1 if any failed.
#   explain_verdicts_test.sh SCRIPT LIBRARY PROBE PROBE_32|none PROBE_MUSL|none
#                            STATIC_PROGRAM ONE_BARRIER_LIBRARY_PROGRAM BARRIER_LIBRARY
#
# PROBE is print_barrier_provider; PROBE_32 and PROBE_MUSL the same program
# built 32-bit and against musl ('none' without the toolchain: SKIP).
# SCRIPT runs as the installed command would: a copy with its library line
# pointing at LIBRARY, so nothing is built.
set -u
script=$1 library=$(readlink -f -- "$2") probe=$(readlink -f -- "$3")
probe_32=$4 probe_musl=$5 static_program=$(readlink -f -- "$6")
one_library_program=$(readlink -f -- "$7") barrier_library=$(readlink -f -- "$8")
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-explain.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
command=$work/barrier-shim
sed "s|^INSTALLED_LIBRARY=.*|INSTALLED_LIBRARY='$library'|" "$script" >"$command" && chmod 755 "$command"
unset LD_PRELOAD

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# expect_explain NAME STATUS PROGRAM PATTERN...: --explain PROGRAM exits
# STATUS and its output (stdout and stderr) matches every PATTERN.
expect_explain() {
  local name=$1 expected=$2 program=$3 output status pattern
  shift 3
  output=$(cd "$work" && "$command" --explain "$program" 2>&1)
  status=$?
  if [ "$status" -ne "$expected" ]; then
    fail "$name" "exit status $status, not $expected; output:" "$output"
    return
  fi
  for pattern in "$@"; do
    if ! grep -qE -- "$pattern" <<<"$output"; then
      fail "$name" "no match for '$pattern' in:" "$output"
      return
    fi
  done
  pass "$name"
}

# expect_loader NAME shim|not-shim PROGRAM [PATTERN]: run with --force,
# PROGRAM's pthread_barrier_wait comes (or does not come) from the shim; the
# output also matches PATTERN (the loader's own words) when given.
expect_loader() {
  local name=$1 expected=$2 program=$3 pattern=${4:-} output provider
  output=$(cd "$work" && "$command" --force "$program" 2>&1)
  provider=$(sed -n 's/^provider: //p' <<<"$output")
  [ -z "$provider" ] || provider=$(readlink -f -- "$provider")
  if [ "$expected" = shim ] && [ "$provider" != "$library" ]; then
    fail "$name" "expected the shim to provide pthread_barrier_wait; output:" "$output"
  elif [ "$expected" = not-shim ] && [ "$provider" = "$library" ]; then
    fail "$name" "expected the shim NOT to provide pthread_barrier_wait; output:" "$output"
  elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" <<<"$output"; then
    fail "$name" "no match for '$pattern' in:" "$output"
  else
    pass "$name"
  fi
}

# --- programs the shim takes effect on (exit 0) -----------------------------
expect_explain "a dynamic glibc program importing the barrier: exit 0, the verdict names it" 0 "$probe" \
  '^format: ELF64' "^linking: dynamic, loader .*/ld-linux-x86-64\.so\.2" \
  "^verdict: the shim WILL take effect: pthread_barrier_\* is imported by $probe\$"
expect_loader "... and the loader binds it to the shim" shim "$probe"

expect_explain "a program that imports the barrier through one of its three libraries: the verdict names that library only" \
  0 "$one_library_program" \
  "^verdict: the shim WILL take effect: pthread_barrier_\* is imported by $barrier_library\$"
expect_loader "... and the loader binds that library to the shim" shim "$one_library_program"

# --- programs it cannot take effect on (exit 3) -----------------------------
if [ "$probe_32" = none ]; then
  echo "SKIP: a 32-bit program: no 32-bit toolchain (Debian: gcc-multilib)"
else
  probe_32=$(readlink -f -- "$probe_32")
  expect_explain "a 32-bit program: exit 3, its ELF class is not the shim's" 3 "$probe_32" \
    '^format: ELF32' '^verdict: the shim will NOT take effect: a 32-bit program .*wrong ELF class'
  expect_loader "... and the loader indeed skips the shim (wrong ELF class)" not-shim "$probe_32" \
    'wrong ELF class'
fi

if [ "$probe_musl" = none ]; then
  echo "SKIP: a musl program: no musl-gcc (Debian: musl-tools)"
else
  probe_musl=$(readlink -f -- "$probe_musl")
  expect_explain "a dynamic musl program: exit 3, its loader is not glibc's" 3 "$probe_musl" \
    '^linking: dynamic, loader .*ld-musl' '^verdict: the shim will NOT take effect: linked against musl'
  expect_loader "... and musl's loader indeed fails on the shim" not-shim "$probe_musl" \
    'symbol not found'
fi

expect_explain "a static program: exit 3" 3 "$static_program" \
  '^linking: static' '^verdict: the shim will NOT take effect: linked statically'

# --- scripts (exit 4) -------------------------------------------------------
printf '#!/bin/sh\nexec true\n' >"$work/a-script" && chmod 755 "$work/a-script"
expect_explain "a script: exit 4, explain the programs it runs" 4 "$work/a-script" \
  '^verdict: a script \(#!/bin/sh\); the shim applies to the programs it runs'
printf 'true\n' >"$work/no-interpreter-line" && chmod 755 "$work/no-interpreter-line"
expect_explain "an executable that is not ELF and has no #! line: exit 4, the shell runs it as a script" 4 \
  "$work/no-interpreter-line" '^verdict: not an ELF program \(the shell runs it as a script\)'

# --- what is not a program (exit 1, nothing on stdout) ----------------------
# expect_error NAME PROGRAM MESSAGE: exit 1, stdout empty, stderr exactly
# "barrier-shim: PROGRAM: MESSAGE".
expect_error() {
  local name=$1 program=$2 message=$3 stdout stderr status
  stdout=$(cd "$work" && "$command" --explain "$program" 2>"$work/stderr")
  status=$?
  stderr=$(cat "$work/stderr")
  if [ "$status" -eq 1 ] && [ -z "$stdout" ] && [ "$stderr" = "barrier-shim: $program: $message" ]; then
    pass "$name"
  else
    fail "$name" "exit status $status; stdout: ${stdout:-(empty)}" "stderr: $stderr" \
      "expected stderr: barrier-shim: $program: $message"
  fi
}
expect_error "a missing program: exit 1, 'not found'" "$work/no-such-program" "not found"
printf 'data\n' >"$work/plain-file"
expect_error "an existing file that is not executable: exit 1, 'not executable'" "$work/plain-file" "not executable"
expect_error "a shared library: exit 1, 'is a shared library, not a program'" "$barrier_library" \
  "is a shared library, not a program"
expect_error "a directory: exit 1, 'is a directory'" "$work" "is a directory"
expect_error "a name without '/' is looked up in PATH only" plain-file \
  "not found in PATH (the current directory is not searched: ./plain-file)"

exit $((failures > 0))
