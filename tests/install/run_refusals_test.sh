#!/usr/bin/env bash
# The run command refuses, with the reason and exit status 125, a program the
# shim cannot take effect on (32-bit, musl, static), and runs it with
# --force; scripts run. A PROGRAM that cannot be run is reported in the
# command's own words: 'barrier-shim: PROGRAM: not found' (127), 'not
# executable', 'is a directory', 'is a shared library, not a program' (126),
# also for a name after '--' that begins with '-'. One PASS/FAIL/SKIP line
# per case; exits 1 if any failed.
#   run_refusals_test.sh SCRIPT LIBRARY PROBE PROBE_32|none PROBE_MUSL|none
#                        STATIC_PROGRAM SHARED_LIBRARY
set -u
script=$1 library=$(readlink -f -- "$2") probe=$(readlink -f -- "$3")
probe_32=$4 probe_musl=$5 static_program=$(readlink -f -- "$6") shared_library=$(readlink -f -- "$7")
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-refusals.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
command=$work/barrier-shim
sed "s|^INSTALLED_LIBRARY=.*|INSTALLED_LIBRARY='$library'|" "$script" >"$command" && chmod 755 "$command"
unset LD_PRELOAD

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# run_command ARGUMENT...: sets status, stdout and stderr.
run_command() {
  stdout=$(cd "$work" && "$command" "$@" 2>"$work/stderr")
  status=$?
  stderr=$(cat "$work/stderr")
}

# expect_refusal NAME PROGRAM REASON_PATTERN FORCED_STATUS [FORCED_PATTERN]:
# exit 125, nothing ran (the probe prints on stdout), stderr gives the
# reason and names --force; then --force runs it: exit FORCED_STATUS, its
# output matches FORCED_PATTERN.
expect_refusal() {
  local name=$1 program=$2 reason=$3 forced_status=$4 forced_pattern=${5:-}
  run_command "$program"
  if [ "$status" -eq 125 ] && [ -z "$stdout" ] &&
     grep -qE -- "^barrier-shim: $program: the shim cannot take effect: $reason" <<<"$stderr" &&
     grep -qF -- '--force' <<<"$stderr"; then
    pass "$name: refused with the reason, exit 125, nothing run"
  else
    fail "$name: refused with the reason, exit 125, nothing run" "exit status $status" \
      "stdout: ${stdout:-(empty)}" "stderr: $stderr"
  fi
  run_command --force "$program"
  if [ "$status" -eq "$forced_status" ] && grep -q 'running it anyway (--force)' <<<"$stderr" &&
     grep -qE -- "$forced_pattern" <<<"$stdout$stderr"; then
    pass "$name: --force runs it"
  else
    fail "$name: --force runs it" "exit status $status (expected $forced_status)" \
      "stdout: ${stdout:-(empty)}" "stderr: $stderr"
  fi
}

if [ "$probe_32" = none ]; then echo "SKIP: a 32-bit program: no 32-bit toolchain (Debian: gcc-multilib)"
else expect_refusal "a 32-bit program" "$(readlink -f -- "$probe_32")" 'a 32-bit program .*wrong ELF class' \
  0 '^provider: '; fi
if [ "$probe_musl" = none ]; then echo "SKIP: a musl program: no musl-gcc (Debian: musl-tools)"
else expect_refusal "a musl program" "$(readlink -f -- "$probe_musl")" 'linked against musl' \
  127 'symbol not found'; fi
expect_refusal "a static program" "$static_program" 'linked statically' 0

# A script runs, and its status comes back; the programs it starts get the shim.
printf '#!/bin/sh\n"$1"\nexit 5\n' >"$work/bin/a-script" && chmod 755 "$work/bin/a-script"
run_command "$work/bin/a-script" "$probe"
if [ "$status" -eq 5 ] && [ "$(sed -n 's/^provider: //p' <<<"$stdout" | xargs -r readlink -f --)" = "$library" ]; then
  pass "a script runs, its exit status comes back, and the program it starts has the shim"
else
  fail "a script runs, its exit status comes back, and the program it starts has the shim" \
    "exit status $status" "stdout: ${stdout:-(empty)}" "stderr: $stderr"
fi

# expect_cannot_run NAME STATUS MESSAGE ARGUMENT...: exit STATUS, stdout
# empty, stderr exactly MESSAGE.
expect_cannot_run() {
  local name=$1 expected=$2 message=$3
  shift 3
  run_command "$@"
  if [ "$status" -eq "$expected" ] && [ -z "$stdout" ] && [ "$stderr" = "$message" ]; then
    pass "$name"
  else
    fail "$name" "exit status $status (expected $expected)" "stdout: ${stdout:-(empty)}" \
      "stderr: $stderr" "expected stderr: $message"
  fi
}
expect_cannot_run "a missing program: 127, in the command's own words" 127 \
  "barrier-shim: $work/no-such-program: not found" "$work/no-such-program"
expect_cannot_run "a program missing from PATH: 127" 127 \
  "barrier-shim: no-such-program-anywhere: not found" no-such-program-anywhere
printf 'data\n' >"$work/plain-file"
expect_cannot_run "a file that is not executable: 126" 126 \
  "barrier-shim: $work/plain-file: not executable" "$work/plain-file"
expect_cannot_run "a directory: 126" 126 "barrier-shim: $work: is a directory" "$work"
expect_cannot_run "a shared library: 126" 126 \
  "barrier-shim: $shared_library: is a shared library, not a program" "$shared_library"
expect_cannot_run "after --, a name beginning with '-' is a program: --help not found, no help printed" 127 \
  "barrier-shim: --help: not found" -- --help
expect_cannot_run "a new file after --stats is taken for PROGRAM: the message says how to give it to --stats" 127 \
  "barrier-shim: table.txt: not found; a value of --stats goes after '=': --stats=table.txt" \
  --stats table.txt "$probe"
expect_cannot_run "an existing file after --profile: the message says how to give it to --profile" 126 \
  "barrier-shim: ./plain-file: not executable; a value of --profile goes after '=': --profile=./plain-file" \
  --profile ./plain-file "$probe"

cp "$probe" "$work/bin/-probe"
stdout=$(cd "$work" && PATH="$work/bin:$PATH" "$command" -- -probe 2>&1)
if [ "$(sed -n 's/^provider: //p' <<<"$stdout" | xargs -r readlink -f --)" = "$library" ]; then
  pass "after --, a program named '-probe' found in PATH runs under the shim"
else
  fail "after --, a program named '-probe' found in PATH runs under the shim" "output: $stdout"
fi

exit $((failures > 0))
