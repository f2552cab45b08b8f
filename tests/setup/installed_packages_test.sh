#!/usr/bin/env bash
# Which Debian packages the scripts install: scripts/barrier-shim only what
# building and running needs, scripts/test that and the test tools. Runs
# copies of the scripts (nothing else of the tree, so nothing is built) with
# stand-ins for dpkg-query (nothing is installed), sudo (runs its command)
# and apt-get (records what it is asked to install, then fails, so that the
# script stops there). One PASS/FAIL line per behaviour; exits 1 if any
# failed.
#   installed_packages_test.sh SOURCE_ROOT
set -u
source_root=$(readlink -f -- "$1")
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-packages.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree/scripts/lib" "$work/bin"
cp "$source_root/scripts/barrier-shim" "$source_root/scripts/test" "$work/tree/scripts/"
cp "$source_root/scripts/lib/setup.sh" "$work/tree/scripts/lib/"
cat >"$work/bin/dpkg-query" <<'EOF_STUB'
#!/bin/sh
exit 1
EOF_STUB
cat >"$work/bin/sudo" <<'EOF_STUB'
#!/bin/sh
exec "$@"
EOF_STUB
cat >"$work/bin/apt-get" <<'EOF_STUB'
#!/bin/sh
# install: one requested package a line in $APT_RECORD, then fail.
for argument; do [ "$argument" = update ] && exit 0; done
for argument; do
  case "$argument" in -*|install) ;; *) echo "$argument" >>"$APT_RECORD" ;; esac
done
exit 100
EOF_STUB
chmod +x "$work/bin/"*

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# requested SCRIPT ARG...: the packages SCRIPT asks apt-get for, sorted.
requested() {
  local record=$work/record.$RANDOM
  : >"$record"
  (cd "$work" && APT_RECORD=$record PATH="$work/bin:$PATH" timeout 60 bash "$@" >/dev/null 2>&1)
  sort -u "$record"
}
# has_all LIST PACKAGE...: every PACKAGE is in LIST (one a line).
has_all() { local list=$1 p; shift; for p; do grep -qx -- "$p" <<<"$list" || return 1; done; }
has_none() { local list=$1 p; shift; for p; do ! grep -qx -- "$p" <<<"$list" || return 1; done; }

build_and_run=(meson ninja-build g++ pkg-config libunwind-dev libcap2-bin)
test_tools=(libgtest-dev libgmock-dev valgrind spin gnuplot-nox dpkg-dev debhelper lintian)

run_command=$(requested "$work/tree/scripts/barrier-shim" true)
if has_all "$run_command" "${build_and_run[@]}"; then
  pass "scripts/barrier-shim PROGRAM installs what building and running need: ${build_and_run[*]}"
else
  fail "scripts/barrier-shim PROGRAM installs what building and running need: ${build_and_run[*]}" \
    "asked apt-get for: $(echo $run_command)"
fi
if has_none "$run_command" "${test_tools[@]}"; then
  pass "scripts/barrier-shim PROGRAM installs none of the test tools (GoogleTest, valgrind, spin, gnuplot, ...)"
else
  fail "scripts/barrier-shim PROGRAM installs none of the test tools (GoogleTest, valgrind, spin, gnuplot, ...)" \
    "asked apt-get for: $(echo $run_command)"
fi

test_command=$(requested "$work/tree/scripts/test")
if has_all "$test_command" "${build_and_run[@]}" "${test_tools[@]}"; then
  pass "scripts/test installs what building and running need and the test tools"
else
  fail "scripts/test installs what building and running need and the test tools" \
    "asked apt-get for: $(echo $test_command)"
fi

exit $((failures > 0))
