#!/usr/bin/env bash
# The installed command. Configures this source tree afresh with a temporary
# prefix, runs `meson install`, and then runs programs through
# PREFIX/bin/barrier-shim from a directory outside the source tree. One
# PASS/FAIL line per behaviour; exits 1 if any failed.
#   installed_command_test.sh SOURCE_ROOT PRINT_BARRIER_PROVIDER
#
# Only the targets that are installed are built (`meson install --no-rebuild`
# after building exactly those), which keeps this to seconds instead of a
# full build of the tests.
set -u
source_root=$1
provider_program=$(readlink -f -- "$2")  # meson passes it relative to the build dir
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-install.XXXXXX") || exit 1
work=$(readlink -f -- "$work")  # canonical, to compare with resolved paths
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix build=$work/build elsewhere=$work/elsewhere
mkdir -p "$elsewhere" "$work/links"
# The options under test set these; start without any.
for variable in $(compgen -v BARRIER_SHIM_); do unset "$variable"; done
unset LD_PRELOAD

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# --- meson setup --prefix, build what is installed, meson install ----------
install_log=$work/install.log
installed_build_targets() {  # the installed files that the build produces
  meson introspect --installed "$build" | python3 -c '
import json, os, sys
build = sys.argv[1]
for built in json.load(sys.stdin):
    if built.startswith(build + os.sep):
        print(os.path.relpath(built, build))' "$build"
}
if ! { nice meson setup --prefix="$prefix" "$build" "$source_root" &&
       mapfile -t targets < <(installed_build_targets) && [ ${#targets[@]} -gt 0 ] &&
       nice ninja -C "$build" "${targets[@]}" &&
       meson install -C "$build" --no-rebuild; } >"$install_log" 2>&1; then
  fail "meson setup --prefix, build and meson install succeed" "$(tail -n 30 "$install_log")"
  exit 1
fi
pass "meson setup --prefix=$prefix, build and meson install succeed"

# --- where things are installed --------------------------------------------
mapfile -t libraries < <(find "$prefix" -path "$prefix/lib*" -name libbarrier-shim.so -type f)
if [ ${#libraries[@]} -eq 1 ]; then
  library=$(readlink -f -- "${libraries[0]}")
  pass "the library is installed once, in PREFIX/lib*: ${libraries[0]#"$prefix"/}"
else
  fail "the library is installed once, in PREFIX/lib*" "found: ${libraries[*]:-nothing}" \
    "$(cd "$prefix" && find . -type f)"
  exit 1
fi

command=$prefix/bin/barrier-shim
if [ -f "$command" ] && [ -x "$command" ]; then
  pass "the command is installed, executable, as PREFIX/bin/barrier-shim"
else
  fail "the command is installed, executable, as PREFIX/bin/barrier-shim" \
    "$(cd "$prefix" && find . -type f)"
  exit 1
fi

man_page=$prefix/share/man/man1/barrier-shim.1
if [ ! -f "$man_page" ]; then
  fail "the man page is installed as PREFIX/share/man/man1/barrier-shim.1" \
    "$(cd "$prefix" && find . -type f)"
elif command -v man >/dev/null && [ "$(man -M "$prefix/share/man" -w 1 barrier-shim 2>&1)" != "$man_page" ]; then
  fail "man finds barrier-shim(1) in PREFIX/share/man" \
    "man -w said: $(man -M "$prefix/share/man" -w 1 barrier-shim 2>&1)"
else
  pass "the man page is installed as PREFIX/share/man/man1/barrier-shim.1, where man finds it"
fi

# --- programs run through the installed command ----------------------------
# expect_provider NAME EXPECTED_LIBRARY_OR_libc COMMAND...: runs COMMAND in
# $elsewhere; its output is print_barrier_provider's.
expect_provider() {
  local name=$1 expected=$2 output status provider
  shift 2
  output=$(cd "$elsewhere" && "$@" 2>&1)
  status=$?
  provider=$(sed -n 's/^provider: //p' <<<"$output")
  [ -n "$provider" ] && provider=$(readlink -f -- "$provider")
  if [ "$expected" = libc ]; then
    case "$provider" in
      */libc.so.*) pass "$name" ;;
      *) fail "$name" "exit status $status, output:" "$output" ;;
    esac
  elif [ "$status" -eq 0 ] && [ "$provider" = "$expected" ] &&
       grep -qx 'round: serial' <<<"$output"; then
    pass "$name"
  else
    fail "$name" "expected provider $expected; exit status $status, output:" "$output"
  fi
}

expect_provider "control: without the command, pthread_barrier_wait comes from libc" \
  libc "$provider_program"
expect_provider "run by its path from outside the source tree, the command binds the program to the installed library" \
  "$library" "$command" "$provider_program"
expect_provider "found through PATH, the command binds the program to the installed library" \
  "$library" env PATH="$prefix/bin:$PATH" barrier-shim "$provider_program"
ln -s "$command" "$work/links/barrier-shim"
expect_provider "run through a symbolic link in another directory, the command finds the installed library" \
  "$library" "$work/links/barrier-shim" "$provider_program"

mv "$prefix" "$work/moved-prefix"
expect_provider "after the whole prefix is moved, the command finds the library at its new place" \
  "$work/moved-prefix/${library#"$prefix"/}" "$work/moved-prefix/bin/barrier-shim" "$provider_program"
mv "$work/moved-prefix" "$prefix"

mv "$library" "$library.away"
output=$(cd "$elsewhere" && "$command" touch "$work/program-ran" 2>&1)
status=$?
mv "$library.away" "$library"
if [ "$status" -eq 125 ] && grep -qF -- "${library##*/}" <<<"$output" && [ ! -e "$work/program-ran" ]; then
  pass "without its library, the command exits 125, names the missing file and runs nothing"
else
  fail "without its library, the command exits 125, names the missing file and runs nothing" \
    "exit status $status, program ran: $([ -e "$work/program-ran" ] && echo yes || echo no), output:" "$output"
fi

(cd "$elsewhere" && "$command" sh -c 'exit 3' >/dev/null 2>&1)
status=$?
if [ "$status" -eq 3 ]; then pass "the program's exit status passes through"
else fail "the program's exit status passes through" "exit 3 came back as $status"; fi

output=$(cd "$elsewhere" && LD_PRELOAD=libm.so.6 "$command" printenv LD_PRELOAD 2>&1)
if [ "$output" = "$library:libm.so.6" ]; then
  pass "an LD_PRELOAD already set is kept, after the library"
else
  fail "an LD_PRELOAD already set is kept, after the library" "LD_PRELOAD was: $output"
fi

output=$(cd "$elsewhere" && "$command" 2>&1)
status=$?
if [ "$status" -eq 2 ] && grep -q 'no PROGRAM' <<<"$output"; then
  pass "with no program, the installed command exits 2 and says why"
else
  fail "with no program, the installed command exits 2 and says why" "exit status $status, output:" "$output"
fi

project_version=$(meson introspect --projectinfo "$source_root/meson.build" 2>/dev/null |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
output=$(cd "$elsewhere" && "$command" --version 2>&1)
if [ -n "$project_version" ] && [ "$output" = "barrier-shim $project_version" ]; then
  pass "the installed command's --version prints meson.build's version ($project_version)"
else
  fail "the installed command's --version prints meson.build's version" \
    "meson.build: ${project_version:-(none)}; --version: $output"
fi

# --- the options set the library's variables for the program ---------------
# expect_variables NAME EXPECTED OPTION...: EXPECTED is the program's
# BARRIER_SHIM_* variables, sorted, one per line.
expect_variables() {
  local name=$1 expected=$2 output
  shift 2
  output=$(cd "$elsewhere" && "$command" "$@" -- printenv 2>/dev/null | grep '^BARRIER_SHIM_' | sort)
  if [ "$output" = "$expected" ]; then pass "$name"
  else fail "$name" "expected:" "${expected:-(none)}" "got:" "${output:-(none)}"; fi
}
expect_variables "no option sets no variable" ""
expect_variables "--stats sets BARRIER_SHIM_STATS=1" "BARRIER_SHIM_STATS=1" --stats
expect_variables "--stats=PATH sets BARRIER_SHIM_STATS to PATH made absolute" \
  "BARRIER_SHIM_STATS=$elsewhere/table.txt" --stats=table.txt
# The library reads %p and %% in the whole path, so a current directory with
# a % in its name must reach it as it is: the table lands in that directory.
percent_directory="$work/run%p at 100%"
mkdir "$percent_directory"
name="--stats=PATH run from a directory whose name has a %: the table is appended there"
output=$(cd "$percent_directory" && "$command" --stats=table.txt "$provider_program" 2>&1)
if grep -q 'round: serial' <<<"$output" && grep -q 'stats: barrier ' "$percent_directory/table.txt" 2>/dev/null &&
   ! grep -q BARRIER_SHIM_STATS <<<"$output"; then
  pass "$name"
else
  fail "$name" "files there: $(ls -A "$percent_directory")" "output:" "$output"
fi
expect_variables "--watchdog=SECONDS sets BARRIER_SHIM_WATCHDOG" "BARRIER_SHIM_WATCHDOG=7" --watchdog=7
expect_variables "--watchdog takes decimals" "BARRIER_SHIM_WATCHDOG=0.5" --watchdog=0.5
expect_variables "--robust sets BARRIER_SHIM_ROBUST=1" "BARRIER_SHIM_ROBUST=1" --robust
expect_variables "--robust-ms=MS sets BARRIER_SHIM_ROBUST_MS and implies --robust" \
  "$(printf '%s\n' BARRIER_SHIM_ROBUST=1 BARRIER_SHIM_ROBUST_MS=250)" --robust-ms=250
expect_variables "options combine" \
  "$(printf '%s\n' BARRIER_SHIM_ROBUST=1 BARRIER_SHIM_STATS=1 BARRIER_SHIM_WATCHDOG=30)" \
  --watchdog=30 --stats --robust

# The library takes every watchdog value the command lets through: at the
# edges of the command's range it writes no warning about the variable.
for seconds in 0.5 .5 5. 0.000000001 1000000000; do
  name="the library accepts --watchdog=$seconds"
  output=$(cd "$elsewhere" && "$command" --watchdog="$seconds" true 2>&1)
  status=$?
  if [ "$status" -eq 0 ] && ! grep -q BARRIER_SHIM_WATCHDOG <<<"$output"; then pass "$name"
  else fail "$name" "exit status $status, output:" "$output"; fi
done

exit $((failures > 0))
