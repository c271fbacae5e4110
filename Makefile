# casplus — the two commands a fresh machine needs are `make dev` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR ?= auto

FUZZ_DIR := tests/fuzz
# Seconds per fuzz target: brief in `make test`, longer in `make fuzz`.
FUZZ_SECONDS ?= 10
FUZZ_LONG_SECONDS ?= 300
WASM_FEATURES := --no-default-features --features wasm

.PHONY: help setup dev dev-reset build-worker test-e2e deploy-check size soak test test-docs screenshots lint test-rust test-wasm test-interop fuzz-smoke fuzz bench www setup-www test-browser bench-inspector npm test-npm bench-cas-load profile-worker bench-cpu bench-client bench-decode

help:
	@echo "make dev    install what is missing, build, serve the CAS on http://127.0.0.1:8787, a demo app on :8788"
	@echo "make dev-reset  forget the local KV / Durable Object state of make dev"
	@echo "make test   install what is missing and run every test"
	@echo "make fuzz   run every fuzz target for FUZZ_LONG_SECONDS (default $(FUZZ_LONG_SECONDS))"
	@echo "make bench  run the benchmarks (results: bench/RESULTS.md)"
	@echo "make www    build the inspector page (www/, web build of the core in www/pkg/)"
	@echo "make npm    build the npm package casplus into pkg/ (npm/README.md)"
	@echo "make bench-decode  casplus decode (tree, --summary, --json, TLS key log) vs tshark, same run"
	@echo "make bench-cas-load  casplus (wrangler dev) vs django-cas-server under load"
	@echo "make bench-client  casplus/client validation vs xml2js in Node (issue 17)"
	@echo "make profile-worker  where the Worker's CPU time goes: DevTools CPU profile under load"
	@echo "make bench-cpu  workerd CPU time per request per endpoint, casplus vs the runtime reference"
	@echo "make size   Worker bundle size and start-up cost (bench/RESULTS.md)"
	@echo "make soak   10 minutes of mixed CAS traffic (SOAK_SECONDS to shorten)"
	@echo "make deploy-check  wrangler deploy --dry-run (offline)"
	@echo "make test-docs  check README.md and docs/: links, config keys, examples, diagrams"
	@echo "make screenshots  redo the README's pictures in docs/img/ (Chromium)"

setup:
	tests/tools/setup.sh rust wasm-bindgen fuzz python perl

# The Worker: worker-build with the local wasm-bindgen, esbuild and wasm-opt (npm binaryen),
# never downloaded ones (see shared/TOOLCHAIN.md). WORKER_BUILD_FLAGS=--no-opt for speed.
WORKER_BUILD_FLAGS ?=
WORKER_KEEP_NAMES ?=
# opt-level of the Worker build: "z" (smallest; ≈ 16 KB gzip less than "s"); sha2 keeps 3.
WORKER_OPT_LEVEL ?= z
# The wasm features worker-build enables for wasm-opt (workerd supports them).
WASM_OPT_FEATURES := $(addprefix --enable-,mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling)
# The Workers `build-worker` builds (bench-cpu adds the Rust runtime reference).
WORKER_CRATES = worker worker/aaa

build-worker:
	tests/tools/setup.sh rust wasm-bindgen worker-build npm
	@# The CAS Worker (worker/) and its TACACS+ gateway (worker/aaa/, docs/tacacs.md "TACACS+ gateway").
	for crate in $(WORKER_CRATES); do \
	  (cd $$crate && CARGO_PROFILE_RELEASE_OPT_LEVEL=$(WORKER_OPT_LEVEL) WASM_BINDGEN_BIN=$(HOME)/.cargo/bin/wasm-bindgen \
	    ESBUILD_BIN=$(CURDIR)/node_modules/.bin/esbuild WASM_OPT_BIN=$(CURDIR)/node_modules/.bin/wasm-opt \
	    worker-build --release $(WORKER_BUILD_FLAGS)) || exit 1; \
	  if [ -z "$(WORKER_KEEP_NAMES)" ] && [[ "$(WORKER_BUILD_FLAGS)" != *--no-opt* ]]; then \
	    node_modules/.bin/wasm-opt $$crate/build/index_bg.wasm -o $$crate/build/index_bg.opt.wasm \
	      -Oz --gufa -Oz --low-memory-unused --strip-debug --strip-producers $(WASM_OPT_FEATURES) && \
	    mv $$crate/build/index_bg.opt.wasm $$crate/build/index_bg.wasm; fi; \
	done
	@# worker-build runs wasm-opt with --debuginfo (keeps the names section, ≈ 45 KB gzip):
	@# the second -Oz pass above drops it (WORKER_KEEP_NAMES=1 keeps names for stack traces).
	@# --low-memory-unused (≈ 1.7 KB gzip): rustc links the stack first, below 1 MiB, so no
	@# pointer arithmetic wraps into the low 1 KiB and wasm-opt may fold offsets into loads.
	@for crate in $(WORKER_CRATES); do \
	  printf '%s wasm: %s bytes, %s bytes gzip\n' "$$crate" "$$(wc -c < $$crate/build/index_bg.wasm)" "$$(gzip -9c $$crate/build/index_bg.wasm | wc -c)"; done

# Serve the CAS on http://127.0.0.1:8787 (CASPLUS_CONFIG=<file.toml|.json> for another config,
# see worker/casplus.example.toml), with the inspector at /. TACACS=1: logins checked by a
# local `casplus tacacs-server` with the demo users (tests/tacacs/casplus-dev.toml);
# TACACS_TLS=1 as well: that server over TLS 1.3 only (RFC 9887, docs/tacacs.md).
TACACS ?=
TACACS_TLS ?=
dev: www build-worker npm
	TACACS=$(TACACS) TACACS_TLS=$(TACACS_TLS) worker/scripts/dev.sh

# Forget the local KV / Durable Object state of `make dev` (the CAS and the demo application).
dev-reset:
	rm -rf .wrangler/state .wrangler/demo-state

# HTTP-level tests and real CAS clients against `wrangler dev` (tests/e2e/run.sh).
test-e2e: build-worker npm
	tests/tools/setup.sh e2e
	tests/e2e/run.sh

# `wrangler deploy --dry-run` (offline): the prebuilt Worker bundles with wrangler.toml's
# bindings, Durable Object migration and assets; prints the upload size. Placeholders
# (the KV namespace id) are reported, not fatal: docs/operations.md "Deploy to Cloudflare".
deploy-check: build-worker
	@out=$$(mktemp -d /tmp/casplus-deploy.XXXXXX); trap 'rm -rf "$$out"' EXIT; \
	export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false CI=true; \
	node_modules/.bin/wrangler deploy --dry-run --outdir "$$out/bundle" > "$$out/log" 2>&1 || { cat "$$out/log"; exit 1; }; \
	node_modules/.bin/wrangler deploy -c worker/aaa/wrangler.toml --dry-run --outdir "$$out/aaa" > "$$out/aaa.log" 2>&1 || { cat "$$out/aaa.log"; exit 1; }; \
	grep -E 'Total Upload|env\.' "$$out/log"; grep -E 'Total Upload' "$$out/aaa.log" | sed 's/^/TACACS+ gateway: /'; \
	for b in 'env.GUARD (TicketGuard)' 'env.TICKETS' 'env.ASSETS' 'env.AAA (casplus-aaa)'; do \
	  grep -qF "$$b" "$$out/log" || { echo "deploy-check: binding $$b missing"; cat "$$out/log"; exit 1; }; done; \
	ls "$$out"/bundle/*.wasm "$$out"/aaa/*.wasm >/dev/null && test -s "$$out/bundle/index.js" && test -s "$$out/aaa/index.js"; \
	if grep -q REPLACE_WITH wrangler.toml; then echo "deploy-check: OK (placeholders left in wrangler.toml: fill them before a real deploy)"; \
	else echo "deploy-check: OK"; fi

# Worker bundle size (raw, gzip) and start-up cost (bench/size.mjs; results: bench/RESULTS.md).
size: build-worker
	tests/browser/setup.sh browser
	node bench/size.mjs

# 10 minutes of mixed CAS traffic against wrangler dev: zero 5xx, zero double validations,
# throughput and p50/p99 per minute (bench/soak.sh; SOAK_SECONDS shortens it). Not in `test`.
soak: build-worker
	bench/soak.sh

test: setup lint test-rust test-wasm test-interop fuzz-smoke test-e2e deploy-check test-browser test-npm test-docs
	@echo "make test: all green"

# The documentation (README.md, docs/*.md) as tests (tests/docs/): every relative link and
# anchor resolves; docs/configuration.md lists exactly the keys the parsers read, with their
# defaults (tests/docs_config.rs); every ```console example prints what it shows (run against
# the built CLI); every ```mermaid diagram renders in Debian Chromium with its participants;
# the README stays a front door (length, quick starts first, every docs/ page listed); every
# docs/img/*.png still matches its page as rendered now (tests/docs/screenshots.test.mjs:
# same rendering as `make screenshots`, compared on a canvas; needs the Worker and the page,
# built here or already by the targets before it in `make test`).
test-docs: www build-worker
	tests/tools/setup.sh npm chromium
	cargo build --bin casplus
	cargo test --test docs_config
	node --test --test-concurrency=1 tests/docs/*.test.mjs

# The README's pictures (docs/img/*.png): the CAS login page under `wrangler dev` and the
# inspector with an example decoded, light and dark, in Debian Chromium (tests/docs/screenshots.mjs,
# rendering in tests/docs/shots.mjs). Commit the PNGs it writes: `make test-docs` fails on a
# picture that no longer matches its page ("docs/img/X.png is stale: run make screenshots").
screenshots: www build-worker
	tests/tools/setup.sh chromium
	node tests/docs/screenshots.mjs

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features wasm,inspector -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features inspector-tls -- -D warnings
	cargo clippy -p casplus-worker -p casplus-aaa -p casplus-runtime-ref-rust --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test --workspace --all-targets
	cargo test --doc

# The core compiled to wasm32 and exercised in Node by wasm-bindgen-test-runner.
test-wasm:
	cargo test --target wasm32-unknown-unknown $(WASM_FEATURES) --test wasm

# Known-answer vectors re-derived by independent implementations (scapy, tacacs-plus).
test-interop:
	.venv/bin/python tests/vectors/generate.py --check
	tests/tools/setup.sh tshark
	cargo build -q --bin casplus
	.venv/bin/python tests/vectors/tls/generate.py --check target/debug/casplus

# Each target starts from its committed seeds (tests/fuzz/seeds/TARGET, from the vectors) plus
# the local corpus (tests/fuzz/corpus/TARGET, gitignored); new inputs go to the corpus only.
fuzz-smoke:
	@for t in $$(cargo +nightly fuzz list --fuzz-dir $(FUZZ_DIR)); do \
	  echo "fuzz $$t for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  seeds=$(FUZZ_DIR)/seeds/$$t; test -d $$seeds || seeds=; \
	  cargo +nightly fuzz run --fuzz-dir $(FUZZ_DIR) $$t $(FUZZ_DIR)/corpus/$$t $$seeds -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1 2>&1 | grep -E '^(Done|stat::number_of_executed_units)|panicked|ERROR|SUMMARY|^error|^ *--> ' | tail -n 12; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

fuzz: setup
	$(MAKE) fuzz-smoke FUZZ_SECONDS=$(FUZZ_LONG_SECONDS)

# The npm package `casplus` (npm/README.md): one wasm (profile npm, wasm-opt from npm binaryen
# 132) with wasm-bindgen glue for browsers/bundlers (web.js) and Node ESM/CommonJS, in pkg/.
npm:
	tests/tools/setup.sh rust wasm-bindgen npm
	npm/build.sh pkg

# The package as a stranger gets it: the glue's own tests (declarations checked against real
# results), then npm pack, an offline install into a scratch project, node --test suites for
# ESM, CommonJS and the web build in Chromium, and tsc against the shipped declarations.
# casplus/client's validation vs xml2js-based parsing (bench/client-validate.mjs).
bench-client: npm
	node bench/client-validate.mjs pkg

test-npm: npm
	tests/tools/setup.sh chromium
	cargo test --lib --features wasm wasm::
	npm/test/run.sh pkg

bench:
	cargo bench --bench codec --bench cas -- --warm-up-time 1 --measurement-time 3

# casplus decode (the binary, as a user runs it) vs tshark on the same captures, runs alternated
# (bench/decode.rs; the TLS capture is made by bench/tls_capture.py into target/bench-capture/).
# The release build is measured (what `cargo build --release` gives a user), not the bench profile's.
bench-decode:
	cargo build --release --bin casplus
	CASPLUS=$(CURDIR)/target/release/casplus cargo bench --bench decode

# The inspector page: www/ is static; the web build of the core goes to www/pkg/ (gitignored):
# casplus* (feature `inspector`, fetched at load) and casplus_tls* (feature `inspector-tls`:
# TLS 1.3 record protection, fetched by the page's Worker only for a capture whose key log can
# decrypt a connection; see src/wasm/tls.rs).
WWW_WASM := target/wasm32-unknown-unknown/release/casplus.wasm
# The page is built for speed (opt-level 3: capture analysis ~25 % faster than "s" for ~4 KB
# more gzip, see bench/RESULTS.md "Inspector"); the Worker keeps the size-optimised profile.
WWW_CARGO_FLAGS := --config profile.release.opt-level=3
WWW_WASM_OPT := node_modules/.bin/wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int \
	  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue
setup-www:
	tests/browser/setup.sh build

www: setup-www
	rm -rf www/pkg
	cargo build --release --lib --target wasm32-unknown-unknown --no-default-features --features inspector $(WWW_CARGO_FLAGS)
	wasm-bindgen --target web --no-typescript --out-dir www/pkg --out-name casplus $(WWW_WASM)
	cargo build --release --lib --target wasm32-unknown-unknown --no-default-features --features inspector-tls $(WWW_CARGO_FLAGS)
	wasm-bindgen --target web --no-typescript --out-dir www/pkg --out-name casplus_tls $(WWW_WASM)
	$(WWW_WASM_OPT) www/pkg/casplus_bg.wasm -o www/pkg/casplus_bg.wasm
	$(WWW_WASM_OPT) www/pkg/casplus_tls_bg.wasm -o www/pkg/casplus_tls_bg.wasm
	@tests/browser/size.sh

# The page in headless Debian Chromium (playwright-core), served from 127.0.0.1 (tests/browser/run.sh).
test-browser: www
	tests/browser/setup.sh browser
	SKIP_BUILD=1 tests/browser/run.sh

# Decode -> full table for a 100 000-frame pcap in Chromium vs tshark on the same file.
bench-inspector: www
	tests/browser/setup.sh browser tshark
	node bench/inspector.mjs
# casplus under `wrangler dev` vs PyPI django-cas-server (gunicorn, 2 workers, SQLite), one
# run on loopback (bench/cas-load.sh; not part of `make test`; results: bench/RESULTS.md).
bench-cas-load:
	$(MAKE) build-worker WORKER_CRATES="worker worker/aaa bench/runtime-ref-rust"
	bench/cas-load.sh

# Where the CAS Worker's CPU time goes (issue 16): a DevTools CPU profile of workerd under
# load per scenario (bench/profile-worker.mjs), on a build that keeps wasm function names
# (run `make build-worker` afterwards for the size-optimised build). Not part of `make test`.
profile-worker:
	$(MAKE) build-worker WORKER_KEEP_NAMES=1
	node bench/profile-worker.mjs

# workerd's CPU time per request per endpoint (issue 16), casplus and the runtime reference
# in one run (bench/cpu-per-request.mjs; results: bench/RESULTS.md). Not part of `make test`.
bench-cpu:
	$(MAKE) build-worker WORKER_CRATES="worker worker/aaa bench/runtime-ref-rust"
	node bench/cpu-per-request.mjs
