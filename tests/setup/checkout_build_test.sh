#!/usr/bin/env bash
# scripts/barrier-shim run from a checkout builds what it needs, once. Copies
# this source tree (without its build directories) into a temporary
# directory and runs the copy's scripts/barrier-shim there, as mpirun or srun
# do from a checkout. One PASS/FAIL line per behaviour; exits 1 if any failed.
#   checkout_build_test.sh SOURCE_ROOT PRINT_BARRIER_PROVIDER
#
# The first launch configures and builds the copy's build/: the library and
# the demo program only, about 10 s of CPU. Then a core source file is
# touched and four launches start at once: one rebuilds the library (a
# compile and the link, a few seconds), the other three wait for it.
set -u
source_root=$(readlink -f -- "$1")
provider_program=$(readlink -f -- "$2")  # meson passes it relative to the build dir
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-checkout.XXXXXX") || exit 1
work=$(readlink -f -- "$work")
trap 'rm -rf "$work"' EXIT
checkout=$work/checkout
"$(dirname -- "$0")/copy_source_tree.sh" "$source_root" "$checkout" || exit 1
command=$checkout/scripts/barrier-shim
library=$checkout/build/preload/libbarrier-shim.so
for variable in $(compgen -v BARRIER_SHIM_); do unset "$variable"; done
unset LD_PRELOAD

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# launch NAME: runs print_barrier_provider through the copy's command, with
# its stdout in $work/NAME.out, stderr in $work/NAME.err, exit status in
# $work/NAME.status. At most 240 s: a build on a loaded 2-core machine.
launch() {
  local name=$1
  (cd "$work" && timeout -s KILL 240 nice "$command" "$provider_program" \
     >"$work/$name.out" 2>"$work/$name.err")
  echo $? >"$work/$name.status"
}
# ran_under_the_shim NAME: the launch exited 0 and its program's barrier
# came from the copy's library.
ran_under_the_shim() {
  [ "$(cat "$work/$1.status")" = 0 ] &&
    [ "$(sed -n 's/^provider: //p' "$work/$1.out" | xargs -r readlink -f --)" = "$library" ] &&
    grep -qx 'round: serial' "$work/$1.out"
}
show() {  # the launch's status and output, for a FAIL line
  printf 'launch %s: exit status %s\n' "$1" "$(cat "$work/$1.status")"
  sed 's/^/  stdout: /' "$work/$1.out"
  sed 's/^/  stderr: /' "$work/$1.err" | tail -n 6
}

# --- the first launch: builds the library and the demo, and says so -------
launch first
if ran_under_the_shim first; then
  pass "the first launch from a fresh checkout builds the library and runs the program under it"
else
  fail "the first launch from a fresh checkout builds the library and runs the program under it" \
    "$(show first)"
  exit 1
fi
if [ "$(cat "$work/first.err")" = "barrier-shim: building the library (first run) ..." ]; then
  pass "the first launch says, in one line, that it is building the library"
else
  fail "the first launch says, in one line, that it is building the library" "$(show first)"
fi
if [ -x "$checkout/build/tests/progs/legacy_demo" ] &&
   [ ! -e "$checkout/build/tests/progs/release_race" ] &&
   [ ! -e "$checkout/build/tests/unit/unit-tests" ] &&
   ! ninja -C "$checkout/build" -n 2>&1 | grep -q '^ninja: no work to do'; then
  pass "the first launch builds the library and the demo, not the tests or the benchmarks"
else
  fail "the first launch builds the library and the demo, not the tests or the benchmarks" \
    "legacy_demo: $([ -x "$checkout/build/tests/progs/legacy_demo" ] && echo built || echo missing)" \
    "release_race: $([ -e "$checkout/build/tests/progs/release_race" ] && echo built || echo not built)" \
    "unit-tests: $([ -e "$checkout/build/tests/unit/unit-tests" ] && echo built || echo not built)" \
    "ninja -n (everything): $(ninja -C "$checkout/build" -n 2>&1 | tail -n 1)"
fi

launch second
if ran_under_the_shim second && [ ! -s "$work/second.err" ]; then
  pass "a launch with nothing stale runs the program and prints nothing of its own"
else
  fail "a launch with nothing stale runs the program and prints nothing of its own" "$(show second)"
fi

# --- four launches at once on a stale build: one build, four runs ---------
touch "$checkout/src/barrier/barrier_wait.cc"
for n in 1 2 3 4; do launch "parallel$n" & done
wait
succeeded=0 details=()
for n in 1 2 3 4; do
  if ran_under_the_shim "parallel$n"; then succeeded=$((succeeded + 1)); fi
  details+=("$(show "parallel$n")")
done
if [ "$succeeded" -eq 4 ]; then
  pass "four launches at once on a stale build all run the program under the rebuilt library"
else
  fail "four launches at once on a stale build all run the program under the rebuilt library" \
    "$succeeded of 4 succeeded" "${details[@]}"
fi
rebuilt=$(cat "$work"/parallel*.err | grep -c '^barrier-shim: rebuilding the library')
if [ "$rebuilt" -eq 1 ]; then
  pass "of four launches at once on a stale build, one rebuilds and the others wait for it"
else
  fail "of four launches at once on a stale build, one rebuilds and the others wait for it" \
    "$rebuilt said they were rebuilding"
fi

# --- a checkout this user cannot write, with nothing stale ------------------
# (a shared checkout built by someone else, a read-only mount): the launch
# takes the lock through a file opened for reading, or goes without it when
# there is no lock file, and runs the program. Root: a read-only bind mount
# in a mount namespace of its own; anyone else: the write bits taken away.
# read_only_launch NAME: launch NAME with the checkout read-only.
read_only_launch() {
  if [ "$(id -u)" -eq 0 ]; then
    unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 3
      "$2/launch" "$3"' _ "$checkout" "$work" "$1"
  else
    chmod -R a-w "$checkout/build" && "$work/launch" "$1"
    chmod -R u+w "$checkout/build"
  fi
}
# The launch function as a script, for the mount namespace.
{ echo '#!/usr/bin/env bash'; declare -f launch; echo "work=$(printf %q "$work") command=$(printf %q "$command")"
  echo "provider_program=$(printf %q "$provider_program")"; echo 'launch "$1"'; } >"$work/launch"
chmod +x "$work/launch"
if [ "$(id -u)" -eq 0 ] && ! unshare -m true 2>/dev/null; then
  echo "SKIP: a read-only checkout: root, and unshare -m is not allowed here"
else
  for lock_file in kept removed; do
    [ "$lock_file" = kept ] || rm -f "$checkout/build/.setup.lock"
    name="a launch in a checkout it cannot write, nothing stale, lock file $lock_file: runs the program"
    read_only_launch "read-only-$lock_file"
    if ran_under_the_shim "read-only-$lock_file"; then pass "$name"
    else fail "$name" "$(show "read-only-$lock_file")"; fi
  done
fi

exit $((failures > 0))
