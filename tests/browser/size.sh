#!/usr/bin/env bash
# Prints the inspector's initial load: every file the page fetches before it can decode
# (the HTML, its CSS and JS modules, the worker, the web build of the core), raw and gzip -9.
set -euo pipefail
cd "$(dirname "$0")/../../www"
files=(index.html style.css favicon.svg app.js engine.js list.js detail.js flow.js share.js fields.js examples.js worker.js pkg/casplus.js pkg/casplus_bg.wasm)
raw=0; gz=0
for f in "${files[@]}"; do
  r=$(wc -c < "$f"); g=$(gzip -9c "$f" | wc -c)
  raw=$((raw + r)); gz=$((gz + g))
  [ "${VERBOSE:-}" ] && printf '  %-22s %8d %8d\n' "$f" "$r" "$g"
done
printf 'inspector initial load: %d files, %d bytes, %d bytes gzip (wasm %d bytes, %d gzip)\n' \
  "${#files[@]}" "$raw" "$gz" "$(wc -c < pkg/casplus_bg.wasm)" "$(gzip -9c pkg/casplus_bg.wasm | wc -c)"
