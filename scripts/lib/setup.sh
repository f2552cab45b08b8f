# Shared setup for the scripts: install what is missing, build what is stale.
# Sourced, not run. Everything it prints goes to stderr, so that a program run
# under the shim keeps its standard output to itself.

BSHIM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BSHIM_BUILD="$BSHIM_ROOT/build"
BSHIM_LIB="$BSHIM_BUILD/preload/libbarrier-shim.so"

# The Debian packages the build and the test suite need.
BSHIM_PACKAGES=(meson ninja-build g++ pkg-config libgtest-dev libgmock-dev libunwind-dev
  valgrind spin groff-base man-db libjemalloc2 libtcmalloc-minimal4 gnuplot-nox)
BSHIM_PACKAGES+=(gcc-multilib musl-tools)  # tests/install: 32-bit and musl programs for --explain and the run's refusals

bshim_log() { printf 'barrier-shim: %s\n' "$*" >&2; }

# Installs the packages that are not installed yet; apt-get runs only then.
bshim_ensure_packages() {
  local missing=() package
  for package in "${BSHIM_PACKAGES[@]}" "$@"; do
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

# Configures build/ when it is missing and rebuilds whatever is stale (ninja
# decides). The log is shown only when something fails.
bshim_ensure_build() {
  local log
  log=$(mktemp)
  if [ ! -f "$BSHIM_BUILD/build.ninja" ]; then
    bshim_log "configuring $BSHIM_BUILD"
    if ! meson setup "$BSHIM_BUILD" "$BSHIM_ROOT" >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log"; return 1
    fi
  fi
  if ! ninja -C "$BSHIM_BUILD" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; return 1
  fi
  rm -f "$log"
}

bshim_setup() {
  bshim_ensure_packages "$@" && bshim_ensure_build
}
