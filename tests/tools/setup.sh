#!/usr/bin/env bash
# Idempotent installer for everything `make test` / `make dev` need (see ../shared/TOOLCHAIN.md).
# Each step checks what is present (and its version) first, so a second run takes seconds.
# Usage: tests/tools/setup.sh STEP...   steps: rust wasm-bindgen fuzz python perl tshark worker-build npm e2e chromium
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

# The wasm-bindgen version pinned in Cargo.toml/Cargo.lock: the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

step_rust() {
  command -v cargo >/dev/null || die "cargo not found: a Rust toolchain (rustup) is required"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
}

step_wasm_bindgen() {
  local want have
  [ -f Cargo.lock ] || cargo generate-lockfile
  want=$(wasm_bindgen_version)
  [ -n "$want" ] || die "wasm-bindgen not found in Cargo.lock"
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ] || ! command -v wasm-bindgen-test-runner >/dev/null; then
    log "installing wasm-bindgen-cli $want (have: ${have:-none}); takes a few minutes once"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

step_fuzz() {
  cargo +nightly --version >/dev/null 2>&1 \
    || die "a nightly toolchain is required for cargo fuzz (rustup toolchain list shows none)"
  if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    cargo install cargo-fuzz
  fi
}

# Independent TACACS+ implementations used to produce and check known-answer vectors.
step_python() {
  local venv=.venv
  if [ ! -x "$venv/bin/python" ]; then
    log "creating python venv $venv"
    python3 -m venv "$venv"
  fi
  # Pinned: the committed vectors are re-derived byte for byte by `make test-interop`.
  local pins="scapy==2.8.0 tacacs-plus==2.6"
  if ! "$venv/bin/python" - "$pins" 2>/dev/null <<'PY'
import sys, importlib.metadata as m
import scapy.contrib.tacacs, tacacs_plus  # noqa: F401 (importable)
for pin in sys.argv[1].split():
    name, version = pin.split("==")
    assert m.version(name) == version, pin
PY
  then
    log "installing $pins into $venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  fi
}

# Debian's Authen::TacacsPlus (libauthen-tacacsplus-perl): a second, independent TACACS+
# client that tests/tacacs_server.rs runs against `casplus tacacs-server`.
step_perl() {
  perl -MAuthen::TacacsPlus -e1 2>/dev/null && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "installing libauthen-tacacsplus-perl needs root or sudo"
    sudo=sudo
  fi
  log "installing libauthen-tacacsplus-perl (Debian)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libauthen-tacacsplus-perl >/dev/null
  perl -MAuthen::TacacsPlus -e1 || die "Authen::TacacsPlus still missing after apt-get"
}

# tshark (and openssl) for the TLS capture cross-check (tests/vectors/tls/generate.py --check).
step_tshark() {
  command -v tshark >/dev/null && command -v openssl >/dev/null && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "installing tshark needs root or sudo"
    sudo=sudo
  fi
  log "installing tshark and openssl (Debian)"
  $sudo apt-get update -qq
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq tshark openssl >/dev/null
  command -v tshark >/dev/null || die "tshark still missing after apt-get"
}

# The Worker build tool, pinned to the workers-rs version in worker/Cargo.toml.
WORKER_BUILD_VERSION=0.8.7
step_worker_build() {
  local have
  have=$(worker-build --version 2>/dev/null | awk '{print $NF}' || true)
  if [ "$have" != "$WORKER_BUILD_VERSION" ]; then
    log "installing worker-build $WORKER_BUILD_VERSION (have: ${have:-none}); takes a few minutes once"
    cargo install worker-build --version "$WORKER_BUILD_VERSION" --force
  fi
}

# wasm-opt (binaryen 132), typescript, playwright-core, mermaid (the docs' diagrams, rendered in
# Chromium by tests/docs/), xml2js (what bench/client-validate.mjs compares casplus/client with),
# wrangler, and Bun and Deno (casplus/client runs under both in the e2e tests) from
# package-lock.json.
# Reinstalled when node_modules is missing or was installed from another lock file. Install
# scripts are not needed (the platform binaries come as packages).
step_npm() {
  command -v npm >/dev/null || die "npm not found: Node.js 20 is required"
  local stamp=node_modules/.casplus-lock.sha256 want
  want=$(cat package.json package-lock.json | sha256sum | awk '{print $1}')
  if [ ! -x node_modules/.bin/wrangler ] || [ ! -x node_modules/.bin/wasm-opt ] \
     || [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/playwright-core ] \
     || [ ! -f node_modules/mermaid/dist/mermaid.min.js ] || [ ! -f node_modules/xml2js/package.json ] \
     || [ ! -e node_modules/.bin/bun ] || [ ! -e node_modules/.bin/deno ] \
     || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing npm dev tools (wrangler, binaryen, typescript, playwright-core, mermaid, bun, deno)"
    npm install --no-audit --no-fund --ignore-scripts
    echo "$want" > "$stamp"
  fi
  # The bun package's binary is put in place by its install script (skipped above): it links
  # the platform package npm installed (@oven/bun-<os>-<arch>) over its placeholder.
  if ! node_modules/.bin/bun --version >/dev/null 2>&1; then
    log "linking the Bun binary (node_modules/bun/install.js)"
    (cd node_modules/bun && node install.js) || die "node_modules/bun/install.js failed"
  fi
  node_modules/.bin/bun --version >/dev/null 2>&1 || die "node_modules/.bin/bun does not run"
  node_modules/.bin/deno --version >/dev/null 2>&1 || die "node_modules/.bin/deno does not run"
}

# What the end-to-end tests run against the Worker: openssl (throwaway CA), PHP with
# phpCAS (Debian php-cas), mod_auth_cas (Debian libapache2-mod-auth-cas), Chromium
# (driven by playwright-core), python-cas,
# django-cas-ng and django-cas-server (an independent CAS server for casplus/client; PyPI, in .venv).
E2E_DEBS="openssl php-cli php-cas php-curl php-xml chromium apache2-bin libapache2-mod-auth-cas"
step_e2e() {
  local missing=() p
  for p in $E2E_DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  local venv=.venv
  if [ ! -x "$venv/bin/python" ]; then
    log "creating python venv $venv"
    python3 -m venv "$venv"
  fi
  # Pinned, like the interop tools: the real clients the Worker is proven against.
  local pins="python-cas==1.7.2 django-cas-ng==5.1.1 django-cas-server==3.1.0 Django==5.2.19"
  if ! "$venv/bin/python" - "$pins" 2>/dev/null <<'PY'
import sys, importlib.metadata as m
for pin in sys.argv[1].split():
    name, version = pin.split("==")
    assert m.version(name) == version, pin
PY
  then
    log "installing $pins into $venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
  fi
}

# Debian's Chromium, driven by playwright-core in the browser tests (never a downloaded browser).
step_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "installing chromium needs root or sudo"
    sudo=sudo
  fi
  log "installing chromium and chromium-driver (Debian)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium still missing after apt-get"
}

[ $# -gt 0 ] || set -- rust wasm-bindgen fuzz python perl
for s in "$@"; do
  case "$s" in
    rust) step_rust ;;
    wasm-bindgen) step_wasm_bindgen ;;
    fuzz) step_fuzz ;;
    python) step_python ;;
    perl) step_perl ;;
    tshark) step_tshark ;;
    worker-build) step_worker_build ;;
    npm) step_npm ;;
    e2e) step_e2e ;;
    chromium) step_chromium ;;
    *) die "unknown setup step: $s" ;;
  esac
done
