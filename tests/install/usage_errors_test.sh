#!/usr/bin/env bash
# barrier-shim's usage errors: every bad invocation exits 2 with a message on
# standard error that names the option and, where there is one, the bad
# value, prints nothing on standard output, and runs nothing. One PASS/FAIL
# line per invocation; exits 1 if any failed.
#   usage_errors_test.sh SCRIPT
#
# SCRIPT runs from a copy whose lib/setup.sh always fails, so that an
# invocation the script wrongly accepts ends in exit status 125 (caught
# here) instead of building the source tree's build/ directory.
set -u
script=$1
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-usage.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts/lib"
cp "$script" "$work/scripts/barrier-shim"
cat >"$work/scripts/lib/setup.sh" <<'EOF'
# Test stand-in: the script got past its option checks.
bshim_log() { printf 'barrier-shim: %s\n' "$*" >&2; }
bshim_setup_to_run() { bshim_log "stand-in setup: the options were accepted"; return 1; }
EOF
marker=$work/program-ran

# expect_usage_error MESSAGE_FRAGMENT ARGUMENT...: the fragment must appear
# in the first line on stderr.
expect_usage_error() {
  local fragment=$1 status stdout stderr
  shift
  rm -f "$marker"
  stdout=$(bash "$work/scripts/barrier-shim" "$@" 2>"$work/stderr")
  status=$?
  stderr=$(cat "$work/stderr")
  local shown="$*"
  local name="barrier-shim ${shown//"touch $marker"/PROGRAM} exits 2: $fragment"
  if [ "$status" -eq 2 ] && [ -z "$stdout" ] && [ ! -e "$marker" ] &&
     head -n 1 <<<"$stderr" | grep -qF -- "barrier-shim: " &&
     head -n 1 <<<"$stderr" | grep -qF -- "$fragment" &&
     grep -qF -- "--help" <<<"$stderr"; then
    echo "PASS: $name"
  else
    echo "FAIL: $name"
    echo "    exit status $status; program ran: $([ -e "$marker" ] && echo yes || echo no)"
    echo "    stdout: ${stdout:-(empty)}"
    sed 's/^/    stderr: /' <<<"$stderr"
    failures=$((failures + 1))
  fi
}

run_program=(touch "$marker")
expect_usage_error "--watchdog needs a number of seconds above 0 and at most 1000000000 (like 30 or 0.5), not '0'" \
  --watchdog=0 "${run_program[@]}"
expect_usage_error "not 'abc'" --watchdog=abc "${run_program[@]}"
expect_usage_error "not '0.000'" --watchdog=0.000 "${run_program[@]}"
expect_usage_error "not '0.0000000001'" --watchdog=0.0000000001 "${run_program[@]}"
expect_usage_error "not '1000000001'" --watchdog=1000000001 "${run_program[@]}"
expect_usage_error "not '1e3'" --watchdog=1e3 "${run_program[@]}"
expect_usage_error "not '-3'" --watchdog=-3 "${run_program[@]}"
expect_usage_error "not ''" --watchdog= "${run_program[@]}"
expect_usage_error "--watchdog needs a value, after '=': --watchdog=SECONDS" --watchdog
expect_usage_error "--robust-ms needs a whole number of milliseconds from 1 to 3600000, not '-1'" \
  --robust-ms=-1 "${run_program[@]}"
expect_usage_error "not '0'" --robust-ms=0 "${run_program[@]}"
expect_usage_error "not '3600001'" --robust-ms=3600001 "${run_program[@]}"
expect_usage_error "not '2.5'" --robust-ms=2.5 "${run_program[@]}"
expect_usage_error "--robust-ms needs a value, after '=': --robust-ms=MS" --robust-ms
expect_usage_error "--stats= needs a path" --stats= "${run_program[@]}"
expect_usage_error "--robust takes no value" --robust=1 "${run_program[@]}"
expect_usage_error "unknown option: --bogus" --bogus "${run_program[@]}"
expect_usage_error "unknown option: -x" -x "${run_program[@]}"
expect_usage_error "unknown option: --bogus" --bogus=1 "${run_program[@]}"
expect_usage_error "--explain needs a program" --explain
# A bad option after good ones is still caught before anything runs.
expect_usage_error "not 'soon'" --stats --robust --watchdog=soon "${run_program[@]}"
# Every value follows its option after '=': a value given as the next
# argument is refused, and the message shows the form to use.
expect_usage_error "--watchdog takes its value after '=': --watchdog=30, not --watchdog 30" \
  --watchdog 30 "${run_program[@]}"
expect_usage_error "--robust-ms takes its value after '=': --robust-ms=250, not --robust-ms 250" \
  --robust-ms 250 "${run_program[@]}"
# Options without a value take none.
expect_usage_error "--explain takes no value: --explain=true" --explain=true
expect_usage_error "--force takes no value: --force=yes" --force=yes "${run_program[@]}"
expect_usage_error "--version takes no value: --version=1" --version=1
expect_usage_error "--help takes no value: --help=all" --help=all

exit $((failures > 0))
