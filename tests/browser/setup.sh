#!/usr/bin/env bash
# Idempotent installer for the inspector page build and its browser tests (see shared/TOOLCHAIN.md).
# Each step checks what is there (and its version) first; a second run takes a second.
# Usage: tests/browser/setup.sh STEP...   steps: build (wasm target, wasm-bindgen CLI, npm tools)
#                                                browser (Debian chromium + chromium-driver)
#                                                tshark (Debian tshark, for the benchmark)
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '\033[1;34m[setup-www]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup-www] %s\033[0m\n' "$*" >&2; exit 1; }

# The wasm-bindgen version pinned in Cargo.lock: the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# npm packages pinned in package.json must be installed at exactly that version.
npm_ok() {
  node -e '
    const want = require("./package.json").devDependencies;
    for (const [name, v] of Object.entries(want)) {
      let have;
      try { have = require(`./node_modules/${name}/package.json`).version; } catch { process.exit(1); }
      if (have !== v) process.exit(1);
    }' 2>/dev/null
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "installing $* needs root or sudo"
    sudo=sudo
  fi
  log "installing Debian packages: $*"
  # tshark asks whether non-root users may capture: answer no, without a prompt.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | $sudo debconf-set-selections
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step_build() {
  command -v cargo >/dev/null || die "cargo not found: a Rust toolchain (rustup) is required"
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  local want have
  want=$(wasm_bindgen_version)
  [ -n "$want" ] || die "wasm-bindgen not found in Cargo.lock"
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (have: ${have:-none}); takes a few minutes once"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
  command -v node >/dev/null || die "node not found (Node 20 is expected)"
  if ! npm_ok; then
    log "installing npm dev tools (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

step_browser() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

step_tshark() {
  command -v tshark >/dev/null || apt_install tshark
}

[ $# -gt 0 ] || die "usage: $0 build|browser|tshark..."
for step in "$@"; do
  case "$step" in
    build) step_build ;;
    browser) step_browser ;;
    tshark) step_tshark ;;
    *) die "unknown step $step" ;;
  esac
done
