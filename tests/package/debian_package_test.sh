#!/usr/bin/env bash
# The Debian package (debian/). Copies this source tree (without its build
# directories) into a temporary directory, builds the binary package there
# with `dpkg-buildpackage -us -uc -b`, checks it with lintian, unpacks it
# with `dpkg -x` and runs a program through the unpacked command. One
# PASS/FAIL line per behaviour; exits 1 if any failed, 77 (skipped) when
# dpkg-buildpackage, debhelper or lintian is not installed.
#   debian_package_test.sh SOURCE_ROOT PRINT_BARRIER_PROVIDER
set -u
source_root=$(readlink -f -- "$1")
provider_program=$(readlink -f -- "$2")  # meson passes it relative to the build dir
failures=0

missing=()
command -v dpkg-buildpackage >/dev/null || missing+=("dpkg-buildpackage (dpkg-dev)")
command -v dh >/dev/null || missing+=("dh (debhelper)")
command -v lintian >/dev/null || missing+=("lintian")
if [ ${#missing[@]} -gt 0 ]; then
  echo "SKIP: not installed: ${missing[*]} (scripts/test installs them)"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-deb.XXXXXX") || exit 1
work=$(readlink -f -- "$work")
trap 'rm -rf "$work"' EXIT
tree=$work/barrier-shim
"$(dirname -- "$0")/../setup/copy_source_tree.sh" "$source_root" "$tree" || exit 1
unset LD_PRELOAD
for variable in $(compgen -v BARRIER_SHIM_); do unset "$variable"; done

# pass NAME, fail NAME DETAIL... (counts failures).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/verdicts.sh"

# --- dpkg-buildpackage -----------------------------------------------------
if (cd "$tree" && nice dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
  pass "dpkg-buildpackage -us -uc -b builds the package"
else
  fail "dpkg-buildpackage -us -uc -b builds the package" "$(tail -n 25 "$work/build.log")"
  exit 1
fi
mapfile -t debs < <(find "$work" -maxdepth 1 -name 'barrier-shim_*.deb')
changes=$(find "$work" -maxdepth 1 -name 'barrier-shim_*.changes' | head -n 1)
if [ ${#debs[@]} -ne 1 ] || [ -z "$changes" ]; then
  fail "the build leaves one barrier-shim .deb and its .changes" "$(ls "$work")"
  exit 1
fi
deb=${debs[0]}

# --- what it installs --------------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
library_path=$(grep -E '^\./usr/lib/[^/]+/barrier-shim/libbarrier-shim\.so$' <<<"$contents")
if [ -n "$library_path" ] && grep -qx './usr/bin/barrier-shim' <<<"$contents" &&
   grep -qx './usr/share/man/man1/barrier-shim.1.gz' <<<"$contents"; then
  pass "the package installs the library (${library_path#./}), the command and the man page"
else
  fail "the package installs the library (/usr/lib/TRIPLET/barrier-shim/), the command and the man page" \
    "contents:" $contents
fi

# --- lintian: errors fail, warnings are shown -----------------------------
lintian "$changes" >"$work/lintian.log" 2>&1
errors=$(grep -c '^E:' "$work/lintian.log")
warnings=$(grep -c '^W:' "$work/lintian.log")
if [ "$errors" -eq 0 ] && ! grep -q '^internal error' "$work/lintian.log"; then
  pass "lintian reports no errors ($warnings warnings)"
else
  fail "lintian reports no errors" "$(cat "$work/lintian.log")"
fi
grep '^W:' "$work/lintian.log" | sed 's/^/    /'

# --- the unpacked command runs programs under the unpacked library --------
dpkg-deb -x "$deb" "$work/root"
library=$(readlink -f -- "$work/root/${library_path#./}")
output=$(cd "$work" && "$work/root/usr/bin/barrier-shim" "$provider_program" 2>&1)
status=$?
provider=$(sed -n 's/^provider: //p' <<<"$output")
[ -n "$provider" ] && provider=$(readlink -f -- "$provider")
if [ "$status" -eq 0 ] && [ -n "$library_path" ] && [ "$provider" = "$library" ] &&
   grep -qx 'round: serial' <<<"$output"; then
  pass "the unpacked command runs a program whose pthread_barrier_wait comes from the unpacked library"
else
  fail "the unpacked command runs a program whose pthread_barrier_wait comes from the unpacked library" \
    "exit status $status, expected provider ${library:-?}, output:" "$output"
fi

exit $((failures > 0))
