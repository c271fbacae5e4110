#!/usr/bin/env bash
# Builds the npm package `casplus` into pkg/ (see npm/README.md): one wasm module, shared by
# three wasm-bindgen glue files — web.js (browsers, bundlers, workers: `await init()` first),
# node.mjs (Node ESM) and node.cjs (Node CommonJS), which load it synchronously.
# Usage: npm/build.sh [OUT_DIR]   (run from anywhere; `make npm` calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-pkg}
profile=npm                      # Cargo.toml [profile.npm]: release with opt-level "z"
wasm_opt=node_modules/.bin/wasm-opt   # npm binaryen 132, never Debian's (see TOOLCHAIN.md)
target=wasm32-unknown-unknown

log() { printf '\033[1;34m[npm]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[npm] %s\033[0m\n' "$*" >&2; exit 1; }

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
[ "$have" = "$want" ] || die "wasm-bindgen CLI $want needed (have: ${have:-none}); run tests/tools/setup.sh wasm-bindgen"
[ -x "$wasm_opt" ] || die "$wasm_opt missing; run tests/tools/setup.sh npm"
"$wasm_opt" --version | grep -q 'version 132' || die "$wasm_opt is not binaryen 132"

log "cargo build ($target, profile $profile, features wasm)"
cargo build --profile "$profile" --lib --target "$target" --no-default-features --features wasm
wasm="target/$target/$profile/casplus.wasm"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in web nodejs experimental-nodejs-module; do
  wasm-bindgen --target "$t" --out-dir "$tmp/$t" --out-name casplus "$wasm"
done
# The three targets emit the same wasm (checked), so the package carries it once.
cmp -s "$tmp/web/casplus_bg.wasm" "$tmp/nodejs/casplus_bg.wasm" \
  && cmp -s "$tmp/web/casplus_bg.wasm" "$tmp/experimental-nodejs-module/casplus_bg.wasm" \
  || die "wasm-bindgen emitted different wasm per target; the package layout assumes one"

rm -rf "$out"
mkdir -p "$out"
log "wasm-opt -Oz"
"$wasm_opt" -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  "$tmp/web/casplus_bg.wasm" -o "$out/casplus_bg.wasm"

# Glue files keep their reference to `casplus_bg.wasm` (same directory); only their names and
# the Deno-style self-types comment change.
sed 's#@ts-self-types="./casplus.d.ts"#@ts-self-types="./web.d.ts"#' "$tmp/web/casplus.js" > "$out/web.js"
cp "$tmp/web/casplus.d.ts" "$out/web.d.ts"
sed 's#@ts-self-types="./casplus.d.ts"#@ts-self-types="./node.d.ts"#' \
  "$tmp/experimental-nodejs-module/casplus.js" > "$out/node.mjs"
cp "$tmp/nodejs/casplus.d.ts" "$out/node.d.ts"
sed 's#@ts-self-types="./casplus.d.ts"#@ts-self-types="./node.d.cts"#' "$tmp/nodejs/casplus.js" > "$out/node.cjs"
cp "$tmp/nodejs/casplus.d.ts" "$out/node.d.cts"

version=$(cargo metadata --no-deps --format-version 1 \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="casplus");process.stdout.write(p.version)})')
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync("npm/package.json", "utf8"));
  pkg.version = process.argv[1];
  fs.writeFileSync(process.argv[2] + "/package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$version" "$out"
cp npm/README.md npm/LICENSE npm/LICENSE-APACHE "$out/"

raw=$(stat -c %s "$out/casplus_bg.wasm")
gz=$(gzip -9 -c "$out/casplus_bg.wasm" | wc -c)
log "built $out/ (casplus $version): casplus_bg.wasm $raw bytes, $gz gzip -9"
