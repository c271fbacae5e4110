#!/usr/bin/env bash
# Prints the inspector's initial load: every file the page fetches before it can decode
# (the HTML, its CSS and JS modules, the worker, the web build of the core), raw and gzip -9,
# and apart from it the TLS module the Worker fetches only for a capture that needs it
# (src/wasm/tls.rs). tests/browser/inspector.test.mjs checks this list against the requests the
# page makes. Budget: initial load ≤ 200 KB gzip (issue 18).
set -euo pipefail
cd "$(dirname "$0")/../../www"
files=(index.html style.css favicon.svg app.js engine.js list.js detail.js flow.js share.js fields.js examples.js worker.js pkg/casplus.js pkg/casplus_bg.wasm)
lazy=(pkg/casplus_tls.js pkg/casplus_tls_bg.wasm)
sum() {
  raw=0; gz=0
  for f in "$@"; do
    r=$(wc -c < "$f"); g=$(gzip -9c "$f" | wc -c)
    raw=$((raw + r)); gz=$((gz + g))
    [ "${VERBOSE:-}" ] && printf '  %-24s %8d %8d\n' "$f" "$r" "$g" >&2
  done
  return 0
}
sum "${files[@]}"
printf 'inspector initial load: %d files, %d bytes, %d bytes gzip (wasm %d bytes, %d gzip)\n' \
  "${#files[@]}" "$raw" "$gz" "$(wc -c < pkg/casplus_bg.wasm)" "$(gzip -9c pkg/casplus_bg.wasm | wc -c)"
initial=$gz
sum "${lazy[@]}"
printf 'inspector TLS module (loaded on demand): %d files, %d bytes, %d bytes gzip\n' "${#lazy[@]}" "$raw" "$gz"
if [ "$initial" -gt 200000 ]; then
  echo "inspector initial load over its budget of 200 KB gzip (200 000 bytes)" >&2
  exit 1
fi
