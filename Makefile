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

.PHONY: help setup dev test lint test-rust test-wasm test-interop fuzz-smoke fuzz bench npm test-npm

help:
	@echo "make dev    install what is missing, build, serve on http://127.0.0.1:8787"
	@echo "make test   install what is missing and run every test"
	@echo "make fuzz   run every fuzz target for FUZZ_LONG_SECONDS (default $(FUZZ_LONG_SECONDS))"
	@echo "make bench  run the benchmarks (results: bench/RESULTS.md)"
	@echo "make npm    build the npm package casplus into pkg/ (npm/README.md)"

setup:
	tests/tools/setup.sh rust wasm-bindgen fuzz python perl

dev: setup
	cargo build --release --bin casplus
	@echo "casplus CLI built: target/release/casplus (the Worker is served here once it exists)"

test: setup lint test-rust test-wasm test-interop fuzz-smoke test-npm
	@echo "make test: all green"

lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown $(WASM_FEATURES) -- -D warnings

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

# The npm package `casplus` (npm/README.md): one wasm (profile npm, wasm-opt from npm binaryen
# 132) with wasm-bindgen glue for browsers/bundlers (web.js) and Node ESM/CommonJS, in pkg/.
npm:
	tests/tools/setup.sh rust wasm-bindgen npm
	npm/build.sh pkg

# The package as a stranger gets it: the glue's own tests (declarations checked against real
# results), then npm pack, an offline install into a scratch project, node --test suites for
# ESM, CommonJS and the web build in Chromium, and tsc against the shipped declarations.
test-npm: npm
	tests/tools/setup.sh chromium
	cargo test --lib --features wasm wasm::
	npm/test/run.sh pkg

bench:
	cargo bench --bench codec --bench cas -- --warm-up-time 1 --measurement-time 3
