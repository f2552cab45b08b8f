# Shared setup for the scripts: install what is missing, build what is stale.
# Sourced, not run. Everything it prints goes to stderr, so that a program run
# under the shim keeps its standard output to itself.
#
# Two levels:
#   bshim_setup_to_run  what scripts/barrier-shim needs to run a program: the
#                       build and run packages, then the library and the demo
#                       program only
#   bshim_setup         what the test suite, the benchmarks and the lab need:
#                       every package, then everything (tests enabled)
# Both hold a lock on build/.setup.lock while they install and build, so that
# launches started together (mpirun, srun from a checkout) wait for one build
# instead of running ninja at the same time in the same directory.

BSHIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BSHIM_BUILD="$BSHIM_ROOT/build"
BSHIM_LIB="$BSHIM_BUILD/preload/libbarrier-shim.so"

# The Debian packages that building and running the shim need (meson.build
# with -Dtests=disabled or auto): the library, the command, the demo.
BSHIM_RUN_PACKAGES=(meson ninja-build g++ pkg-config libunwind-dev libcap2-bin)
# What the test suite and the benchmarks add: GoogleTest, the tools the tests
# run the shim under or beside, the man page checks, the plots, and the
# Debian package test (tests/package).
BSHIM_TEST_PACKAGES=(libgtest-dev libgmock-dev valgrind spin groff-base man-db
  libjemalloc2 libtcmalloc-minimal4 gnuplot-nox dpkg-dev debhelper lintian
  gcc-multilib musl-tools)  # 32-bit and musl programs: --explain and the run's refusals
BSHIM_PACKAGES=("${BSHIM_RUN_PACKAGES[@]}" "${BSHIM_TEST_PACKAGES[@]}")

# The ninja targets that running needs: the library, the demo program and the
# statistics renderer (--show-stats).
BSHIM_RUN_TARGETS=(preload/libbarrier-shim.so tests/progs/legacy_demo src/barrier-shim-stats)

bshim_log() { printf 'barrier-shim: %s\n' "$*" >&2; }

# Runs "$@" while holding the lock on build/.setup.lock, waiting for it if
# another process holds it. The lock is taken in a subshell and released when
# that ends; calls nested inside it do not take it again. In a checkout this
# user cannot write (someone else's, a read-only mount), the lock file is
# opened for reading, which flock takes as well; with no lock file there,
# "$@" runs without it: nobody can build in such a build/, and ninja says so
# if anything is stale.
bshim_locked() {
  if [ -n "${bshim_lock_held:-}" ]; then "$@"; return; fi
  mkdir -p "$BSHIM_BUILD" || return 1
  (
    bshim_lock_held=1
    if ! { exec {lock_fd}>>"$BSHIM_BUILD/.setup.lock"; } 2>/dev/null &&
       ! { exec {lock_fd}<"$BSHIM_BUILD/.setup.lock"; } 2>/dev/null; then
      "$@"
      exit
    fi
    # Said only when the wait is a build's (a launch that finds the build
    # up to date holds the lock for a fraction of a second): one line per
    # rank under mpirun otherwise.
    if ! flock -w 2 "$lock_fd"; then
      bshim_log "waiting for another launch to finish building $BSHIM_BUILD ..."
      flock "$lock_fd" || exit 1
    fi
    "$@"
  )
}

# Installs the packages among "$@" that are not installed yet; apt-get runs
# only then.
bshim_install_missing() {
  local missing=() package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  bshim_log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2 || {
      bshim_log "could not install: ${missing[*]}"
      return 1
    }
}

# Every package (build, run and test), and the extra ones named.
bshim_ensure_packages() {
  bshim_locked bshim_install_missing "${BSHIM_PACKAGES[@]}" "$@"
}

# Runs "$@" with its output in a log that is shown only when it fails.
bshim_quietly() {
  local log status
  log=$(mktemp) || return 1
  "$@" >"$log" 2>&1
  status=$?
  [ "$status" -eq 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

# The value of the tests option build/ was configured with (enabled, auto,
# disabled), or nothing when build/ predates the option.
bshim_configured_tests() {
  python3 - "$BSHIM_BUILD/meson-info/intro-buildoptions.json" 2>/dev/null <<'PY'
import json, sys
for option in json.load(open(sys.argv[1])):
    if option["name"] == "tests":
        print(option["value"])
PY
}

# Configures build/ when it is missing, with tests enabled, or turns them on
# in a build/ that scripts/barrier-shim configured; then rebuilds whatever is
# stale (ninja decides).
bshim_build_everything() {
  if [ ! -f "$BSHIM_BUILD/build.ninja" ]; then
    bshim_log "configuring $BSHIM_BUILD"
    bshim_quietly meson setup -Dtests=enabled "$BSHIM_BUILD" "$BSHIM_ROOT" || return 1
  elif [ "$(bshim_configured_tests)" != enabled ]; then
    bshim_log "reconfiguring $BSHIM_BUILD with the tests enabled"
    bshim_quietly meson setup --reconfigure -Dtests=enabled "$BSHIM_BUILD" "$BSHIM_ROOT" || return 1
  fi
  bshim_quietly ninja -C "$BSHIM_BUILD"
}

# Configures build/ when it is missing (tests auto: the unit tests are left
# out when GoogleTest is not installed) and rebuilds the library and the demo
# when they are stale, saying so in one line first.
bshim_build_to_run() {
  if [ ! -f "$BSHIM_BUILD/build.ninja" ]; then
    bshim_log "building the library (first run) ..."
    bshim_quietly meson setup -Dtests=auto "$BSHIM_BUILD" "$BSHIM_ROOT" || return 1
  elif ! ninja -C "$BSHIM_BUILD" -n "${BSHIM_RUN_TARGETS[@]}" 2>&1 | grep -q '^ninja: no work to do'; then
    bshim_log "rebuilding the library (its sources changed) ..."
  fi
  bshim_quietly ninja -C "$BSHIM_BUILD" "${BSHIM_RUN_TARGETS[@]}"
}

# Everything, for the test suite and the benchmarks.
bshim_ensure_build() {
  bshim_locked bshim_build_everything
}

bshim_setup_everything() {
  bshim_install_missing "${BSHIM_PACKAGES[@]}" "$@" && bshim_build_everything
}
bshim_setup() {
  bshim_locked bshim_setup_everything "$@"
}

# Only what running a program needs, for scripts/barrier-shim.
bshim_setup_running() {
  bshim_install_missing "${BSHIM_RUN_PACKAGES[@]}" && bshim_build_to_run
}
bshim_setup_to_run() {
  bshim_locked bshim_setup_running
}
