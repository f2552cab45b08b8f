#!/usr/bin/env bash
# Secure mode, in which the loader ignores LD_PRELOAD, follows the kernel's
# rule: the program would run with an effective uid or gid other than the
# invoker's real one (a set-user-ID file of another owner, a set-group-ID
# file of another group), or has file capabilities and the invoker's real
# uid is not 0; set-id bits and capabilities count for nothing on a nosuid
# mount, and under no_new_privs set-id bits count for nothing and
# capabilities only by the file's effective bit. For each case, --explain's verdict
# (exit 0 or 3), the run (the shim, or a refusal with exit 125) and the
# loader (run with --force, the probe says which object its
# pthread_barrier_wait came from) must agree. One PASS/FAIL/SKIP line per
# check; exits 1 if any failed.
#   secure_mode_test.sh SCRIPT LIBRARY PROBE
#
# The cases with another owner, group or user need root (SKIP otherwise).
set -u
script=$1 library=$2 probe=$3
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-secure.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # the cases run as another user read the command and the library here
mkdir "$work/lib"
cp "$library" "$work/lib/" && library=$work/lib/${library##*/}
command=$work/barrier-shim
sed "s|^INSTALLED_LIBRARY=.*|INSTALLED_LIBRARY='$library'|" "$script" >"$command" && chmod 755 "$command"
unset LD_PRELOAD

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# A copy of the probe in the work directory: copy_probe NAME.
copy_probe() { cp "$probe" "$work/$1" && chmod 755 "$work/$1" && echo "$work/$1"; }

# provider_of OUTPUT: the object the probe named, links resolved.
provider_of() {
  local provider
  provider=$(sed -n 's/^provider: //p' <<<"$1")
  [ -z "$provider" ] || readlink -f -- "$provider"
}

# expect_mode NAME normal|secure PROGRAM [WRAPPER...]: runs --explain, the
# plain run and the forced run of PROGRAM, each under WRAPPER (setpriv ...).
expect_mode() {
  local name=$1 mode=$2 program=$3 output status provider
  shift 3
  output=$("$@" "$command" --explain "$program" 2>&1)
  status=$?
  if [ "$mode" = normal ]; then
    if [ "$status" -eq 0 ] && grep -q '^verdict: the shim WILL take effect' <<<"$output"; then
      pass "$name: --explain says the shim takes effect (exit 0)"
    else fail "$name: --explain says the shim takes effect (exit 0)" "exit status $status; output:" "$output"; fi
    output=$("$@" "$command" "$program" 2>&1)
    provider=$(provider_of "$output")
    if [ "$provider" = "$library" ]; then
      pass "$name: the run binds it to the shim"
    else fail "$name: the run binds it to the shim" "output:" "$output"; fi
  else
    if [ "$status" -eq 3 ] && grep -q '^verdict: the shim will NOT take effect: .*secure mode' <<<"$output"; then
      pass "$name: --explain says secure mode, the shim cannot take effect (exit 3)"
    else fail "$name: --explain says secure mode, the shim cannot take effect (exit 3)" \
      "exit status $status; output:" "$output"; fi
    output=$("$@" "$command" "$program" 2>&1)
    status=$?
    if [ "$status" -eq 125 ] && ! grep -q '^provider:' <<<"$output" && grep -q 'secure mode' <<<"$output"; then
      pass "$name: the run refuses it, saying why (exit 125)"
    else fail "$name: the run refuses it, saying why (exit 125)" "exit status $status; output:" "$output"; fi
    output=$("$@" "$command" --force "$program" 2>&1)
    provider=$(provider_of "$output")
    if [ -n "$provider" ] && [ "$provider" != "$library" ]; then
      pass "$name: run with --force, the loader indeed ignores the shim"
    else fail "$name: run with --force, the loader indeed ignores the shim" "output:" "$output"; fi
  fi
}

# --- any invoker ------------------------------------------------------------
program=$(copy_probe setuid-own) && chmod u+s "$program"
expect_mode "set-user-ID, owned by the invoker" normal "$program"
program=$(copy_probe setgid-own) && chmod g+s "$program"
expect_mode "set-group-ID, of the invoker's real group" normal "$program"

# --- root: another owner, group or user ---------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: set-id files of another owner or group, capabilities, no_new_privs, nosuid: need root"
  exit $((failures > 0))
fi
other_uid=65534 other_gid=65534  # nobody, nogroup

program=$(copy_probe setuid-other) && chown "$other_uid" "$program" && chmod u+s "$program"
expect_mode "set-user-ID, owned by another user" secure "$program"
program=$(copy_probe setgid-other) && chgrp "$other_gid" "$program" && chmod g+s "$program"
expect_mode "set-group-ID, of another group" secure "$program"

expect_mode "set-user-ID of another user, invoked under no_new_privs" normal "$work/setuid-other" \
  setpriv --no-new-privs

if program=$(copy_probe capabilities) && setcap cap_net_raw+ep "$program" 2>/dev/null; then
  expect_mode "file capabilities, invoked by real uid 0" normal "$program"
  expect_mode "file capabilities, invoked by another user" secure "$program" \
    setpriv --reuid="$other_uid" --regid="$other_gid" --clear-groups
  # no_new_privs takes the capabilities away, but the kernel still makes
  # secure mode from the file's effective bit (cap_net_raw+ep); a file with
  # permitted capabilities only (+p) then runs in normal mode.
  expect_mode "file capabilities with the effective bit, another user under no_new_privs" secure "$program" \
    setpriv --reuid="$other_uid" --regid="$other_gid" --clear-groups --no-new-privs
  if program=$(copy_probe capabilities-permitted) && setcap cap_net_raw+p "$program" 2>/dev/null; then
    expect_mode "permitted file capabilities only, another user under no_new_privs" normal "$program" \
      setpriv --reuid="$other_uid" --regid="$other_gid" --clear-groups --no-new-privs
  fi
else
  echo "SKIP: file capabilities: setcap failed on $work"
fi

# A nosuid mount, in a mount namespace of its own.
if unshare -m true 2>/dev/null; then
  nosuid_results=$(unshare -m bash -c '
    mkdir "$1/nosuid" && mount -t tmpfs -o nosuid,mode=755 barrier-shim-test "$1/nosuid" || exit 3
    cp "$1/setuid-other" "$1/nosuid/setuid-other" && chown '"$other_uid"' "$1/nosuid/setuid-other" &&
      chmod 4755 "$1/nosuid/setuid-other" || exit 3
    "$1/barrier-shim" --explain "$1/nosuid/setuid-other"; echo "explain exit status: $?"
    "$1/barrier-shim" "$1/nosuid/setuid-other" 2>&1' _ "$work" 2>&1)
  if [ $? -eq 3 ]; then
    echo "SKIP: a nosuid mount: could not mount one"
  elif grep -qx 'explain exit status: 0' <<<"$nosuid_results" &&
       grep -q '^secure mode: no: .*nosuid' <<<"$nosuid_results" &&
       [ "$(provider_of "$nosuid_results")" = "$library" ]; then
    pass "set-user-ID of another user on a nosuid mount: --explain says normal mode, the run binds the shim"
  else
    fail "set-user-ID of another user on a nosuid mount: --explain says normal mode, the run binds the shim" \
      "$nosuid_results"
  fi
else
  echo "SKIP: a nosuid mount: unshare -m is not allowed here"
fi

exit $((failures > 0))
