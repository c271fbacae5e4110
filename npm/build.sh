#!/usr/bin/env bash
# Builds the npm package `casplus` into pkg/ (see npm/README.md): three entry points, `casplus`
# (TACACS+ decoder), `casplus/encode` (TACACS+ packet encoder, obfuscation) and `casplus/cas`
# (the CAS response parser), each one wasm module shared by three
# wasm-bindgen glue files — web.js (browsers, bundlers, workers: `await init()` first),
# node.mjs (Node ESM) and node.cjs (Node CommonJS), which load it synchronously.
# Usage: npm/build.sh [OUT_DIR]   (run from anywhere; `make npm` calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-pkg}
profile=npm                      # Cargo.toml [profile.npm]: release with opt-level "s"
                                 # (casplus/client: [profile.npm-client], opt-level "z")
wasm_opt=node_modules/.bin/wasm-opt   # npm binaryen 132, never Debian's (see TOOLCHAIN.md)
target=wasm32-unknown-unknown

log() { printf '\033[1;34m[npm]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[npm] %s\033[0m\n' "$*" >&2; exit 1; }

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
[ "$have" = "$want" ] || die "wasm-bindgen CLI $want needed (have: ${have:-none}); run tests/tools/setup.sh wasm-bindgen"
[ -x "$wasm_opt" ] || die "$wasm_opt missing; run tests/tools/setup.sh npm"
"$wasm_opt" --version | grep -q 'version 132' || die "$wasm_opt is not binaryen 132"

# One module per entry point, each its own wasm with only its exports' code:
#   casplus         (feature wasm-tacacs: decode)               → OUT/casplus_bg.wasm, glue in OUT/
#   casplus/encode  (feature wasm-encode: encodePacket, obfuscate) → OUT/encode/encode_bg.wasm, glue
#   casplus/cas     (feature wasm-cas: parseCasResponse)        → OUT/cas/cas_bg.wasm, glue
#   casplus/client  (feature wasm-client: the CAS client core)  → OUT/client/core/client_bg.wasm, glue;
#                   the wrapper (createCasClient, npm/client/) in OUT/client/
# (and `version` in each).
# build_module FEATURE OUT_NAME DIR [PROFILE]
build_module() {
  local feature=$1 name=$2 dir=$3 profile=${4:-$profile}
  log "cargo build ($target, profile $profile, features $feature)"
  cargo build --profile "$profile" --lib --target "$target" --no-default-features --features "$feature"
  local wasm="target/$target/$profile/casplus.wasm"
  local tmp="$tmproot/$name"
  for t in web nodejs experimental-nodejs-module; do
    wasm-bindgen --target "$t" --out-dir "$tmp/$t" --out-name "$name" "$wasm"
  done
  # The three targets emit the same wasm (checked), so the package carries it once.
  cmp -s "$tmp/web/${name}_bg.wasm" "$tmp/nodejs/${name}_bg.wasm" \
    && cmp -s "$tmp/web/${name}_bg.wasm" "$tmp/experimental-nodejs-module/${name}_bg.wasm" \
    || die "wasm-bindgen emitted different wasm per target; the package layout assumes one"
  mkdir -p "$dir"
  # As for the Worker (bench/RESULTS.md "Worker"): --gufa between two -Oz (whole-program
  # type/value flow finds more dead code); --low-memory-unused (rustc links the stack first,
  # below 1 MiB, so no pointer arithmetic wraps into the low 1 KiB and offsets fold into loads).
  log "wasm-opt -Oz --gufa -Oz --low-memory-unused ($dir/${name}_bg.wasm)"
  "$wasm_opt" -Oz --gufa -Oz --low-memory-unused --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$tmp/web/${name}_bg.wasm" -o "$dir/${name}_bg.wasm"
  # Glue files keep their reference to `NAME_bg.wasm` (same directory); only their names and
  # the Deno-style self-types comment change.
  sed "s#@ts-self-types=\"./$name.d.ts\"#@ts-self-types=\"./web.d.ts\"#" "$tmp/web/$name.js" > "$dir/web.js"
  cp "$tmp/web/$name.d.ts" "$dir/web.d.ts"
  sed "s#@ts-self-types=\"./$name.d.ts\"#@ts-self-types=\"./node.d.ts\"#" \
    "$tmp/experimental-nodejs-module/$name.js" > "$dir/node.mjs"
  cp "$tmp/nodejs/$name.d.ts" "$dir/node.d.ts"
  sed "s#@ts-self-types=\"./$name.d.ts\"#@ts-self-types=\"./node.d.cts\"#" "$tmp/nodejs/$name.js" > "$dir/node.cjs"
  cp "$tmp/nodejs/$name.d.ts" "$dir/node.d.cts"
}

tmproot=$(mktemp -d)
trap 'rm -rf "$tmproot"' EXIT
rm -rf "$out"
mkdir -p "$out"
build_module wasm-tacacs casplus "$out"
build_module wasm-encode encode "$out/encode"
build_module wasm-cas cas "$out/cas"
# casplus/client: the core's glue in client/core/, the hand-written wrapper beside it.
build_module wasm-client client "$out/client/core" npm-client
cp npm/client/index.js npm/client/index.d.ts npm/client/node.mjs npm/client/web.js "$out/client/"

version=$(cargo metadata --no-deps --format-version 1 \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).packages.find(p=>p.name==="casplus");process.stdout.write(p.version)})')
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync("npm/package.json", "utf8"));
  pkg.version = process.argv[1];
  fs.writeFileSync(process.argv[2] + "/package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$version" "$out"
cp npm/README.md npm/LICENSE npm/LICENSE-APACHE "$out/"

for w in "$out/casplus_bg.wasm" "$out/encode/encode_bg.wasm" "$out/cas/cas_bg.wasm" "$out/client/core/client_bg.wasm"; do
  log "built $w (casplus $version): $(stat -c %s "$w") bytes, $(gzip -9 -c "$w" | wc -c) gzip -9"
done
