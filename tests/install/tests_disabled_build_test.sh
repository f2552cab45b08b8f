#!/usr/bin/env bash
# -Dtests=disabled, the build a package makes: configures this source tree
# afresh in a temporary directory with the tests disabled, builds everything
# that build builds, and installs it with `meson install --destdir`. One
# PASS/FAIL line per behaviour; exits 1 if any failed.
#   tests_disabled_build_test.sh SOURCE_ROOT
set -u
source_root=$1
failures=0

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-notests.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
build=$work/build destdir=$work/destdir

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

if nice meson setup -Dtests=disabled --prefix=/usr --libdir=lib "$build" "$source_root" >"$work/setup.log" 2>&1; then
  pass "meson setup -Dtests=disabled succeeds"
else
  fail "meson setup -Dtests=disabled succeeds" "$(tail -n 20 "$work/setup.log")"
  exit 1
fi

# Meson logs every dependency and program it looks for.
looked_up=$(grep -owiE 'gtest|gmock|valgrind|spin|gnuplot' "$build/meson-logs/meson-log.txt" | sort -u)
if [ -z "$looked_up" ]; then
  pass "with the tests disabled, meson looks for none of GoogleTest, gmock, valgrind, spin, gnuplot"
else
  fail "with the tests disabled, meson looks for none of GoogleTest, gmock, valgrind, spin, gnuplot" \
    "meson-log.txt names: $(echo $looked_up)"
fi

if nice ninja -C "$build" >"$work/build.log" 2>&1; then
  pass "the build with the tests disabled succeeds"
else
  fail "the build with the tests disabled succeeds" "$(tail -n 20 "$work/build.log")"
  exit 1
fi
built_tests=$(cd "$build" && find tests bench -type f -perm -u+x 2>/dev/null | head -n 5)
if [ -z "$built_tests" ]; then
  pass "the build with the tests disabled builds no test or benchmark program"
else
  fail "the build with the tests disabled builds no test or benchmark program" "built: $(echo $built_tests) ..."
fi

if meson install -C "$build" --no-rebuild --destdir "$destdir" >"$work/install.log" 2>&1; then
  installed=$(cd "$destdir" && find . -type f -o -type l | sort)
  expected=$(printf '%s\n' ./usr/bin/barrier-shim ./usr/bin/barrier-shim-stats \
    ./usr/lib/libbarrier-shim.so ./usr/share/man/man1/barrier-shim-stats.1 \
    ./usr/share/man/man1/barrier-shim.1)
  if [ "$installed" = "$expected" ]; then
    pass "meson install --destdir installs the library, the commands and their man pages, nothing else"
  else
    fail "meson install --destdir installs the library, the commands and their man pages, nothing else" \
      "installed:" $installed
  fi
else
  fail "meson install --destdir succeeds" "$(tail -n 20 "$work/install.log")"
fi

# The installed command finds the installed library (relative to itself).
output=$("$destdir/usr/bin/barrier-shim" printenv LD_PRELOAD 2>&1)
if [ "$output" = "$destdir/usr/lib/libbarrier-shim.so" ]; then
  pass "the command installed under DESTDIR preloads the library installed beside it"
else
  fail "the command installed under DESTDIR preloads the library installed beside it" "LD_PRELOAD was: $output"
fi

exit $((failures > 0))
