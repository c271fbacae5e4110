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

.PHONY: help setup dev dev-reset build-worker test-e2e test lint test-rust test-wasm test-interop fuzz-smoke fuzz bench bench-cas-load

help:
	@echo "make dev    install what is missing, build, serve on http://127.0.0.1:8787"
	@echo "make dev-reset  forget the local KV / Durable Object state of make dev"
	@echo "make test   install what is missing and run every test"
	@echo "make fuzz   run every fuzz target for FUZZ_LONG_SECONDS (default $(FUZZ_LONG_SECONDS))"
	@echo "make bench  run the benchmarks (results: bench/RESULTS.md)"
	@echo "make bench-cas-load  casplus (wrangler dev) vs django-cas-server under load"

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
build-worker:
	tests/tools/setup.sh rust wasm-bindgen worker-build npm
	cd worker && CARGO_PROFILE_RELEASE_OPT_LEVEL=$(WORKER_OPT_LEVEL) WASM_BINDGEN_BIN=$(HOME)/.cargo/bin/wasm-bindgen \
	  ESBUILD_BIN=$(CURDIR)/node_modules/.bin/esbuild WASM_OPT_BIN=$(CURDIR)/node_modules/.bin/wasm-opt \
	  worker-build --release $(WORKER_BUILD_FLAGS)
	@# worker-build runs wasm-opt with --debuginfo (keeps the names section, ≈ 45 KB gzip):
	@# a second -Oz pass drops it (WORKER_KEEP_NAMES=1 keeps names for stack traces).
	if [ -z "$(WORKER_KEEP_NAMES)" ] && [[ "$(WORKER_BUILD_FLAGS)" != *--no-opt* ]]; then \
	  node_modules/.bin/wasm-opt worker/build/index_bg.wasm -o worker/build/index_bg.opt.wasm \
	    -Oz --strip-debug --strip-producers $(WASM_OPT_FEATURES) && \
	  mv worker/build/index_bg.opt.wasm worker/build/index_bg.wasm; fi
	@printf 'worker wasm: %s bytes, %s bytes gzip\n' "$$(wc -c < worker/build/index_bg.wasm)" "$$(gzip -9c worker/build/index_bg.wasm | wc -c)"

# Serve the CAS on http://127.0.0.1:8787 (CASPLUS_CONFIG=<file.toml|.json> for another config,
# see worker/casplus.example.toml).
dev: build-worker
	worker/scripts/dev.sh

# Forget the local KV / Durable Object state of `make dev`.
dev-reset:
	rm -rf .wrangler/state

# HTTP-level tests and real CAS clients against `wrangler dev` (tests/e2e/run.sh).
test-e2e: build-worker
	tests/tools/setup.sh e2e
	tests/e2e/run.sh

test: setup lint test-rust test-wasm test-interop fuzz-smoke test-e2e
	@echo "make test: all green"

lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown $(WASM_FEATURES) -- -D warnings
	cargo clippy -p casplus-worker --target wasm32-unknown-unknown -- -D warnings

test-rust:
	cargo test --all-targets
	cargo test --doc

# The core compiled to wasm32 and exercised in Node by wasm-bindgen-test-runner.
test-wasm:
	cargo test --target wasm32-unknown-unknown $(WASM_FEATURES) --test wasm

# Known-answer vectors re-derived by independent implementations (scapy, tacacs-plus).
test-interop:
	.venv/bin/python tests/vectors/generate.py --check

# Each target starts from its committed seeds (tests/fuzz/seeds/TARGET, from the vectors) plus
# the local corpus (tests/fuzz/corpus/TARGET, gitignored); new inputs go to the corpus only.
fuzz-smoke:
	@for t in $$(cargo +nightly fuzz list --fuzz-dir $(FUZZ_DIR)); do \
	  echo "fuzz $$t for $(FUZZ_SECONDS)s"; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  seeds=$(FUZZ_DIR)/seeds/$$t; test -d $$seeds || seeds=; \
	  cargo +nightly fuzz run --fuzz-dir $(FUZZ_DIR) $$t $(FUZZ_DIR)/corpus/$$t $$seeds -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1 2>&1 | grep -E '^(Done|stat::number_of_executed_units)|panicked|ERROR|SUMMARY' | tail -n 4; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

fuzz: setup
	$(MAKE) fuzz-smoke FUZZ_SECONDS=$(FUZZ_LONG_SECONDS)

bench:
	cargo bench --bench codec --bench cas -- --warm-up-time 1 --measurement-time 3

# casplus under `wrangler dev` vs PyPI django-cas-server (gunicorn, 2 workers, SQLite), one
# run on loopback (bench/cas-load.sh; not part of `make test`; results: bench/RESULTS.md).
bench-cas-load: build-worker
	bench/cas-load.sh
