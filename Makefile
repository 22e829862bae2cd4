# eks-token: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
MUSL := x86_64-unknown-linux-musl
STATIC_BIN := target/$(MUSL)/release/eks-token
# ring (rustls' crypto) compiles C; for musl the system gcc works once musl-tools is there.
export CC_x86_64_unknown_linux_musl ?= $(shell command -v musl-gcc 2>/dev/null || echo gcc)

.PHONY: build release static demo test lint bench ci-venv clean

build:
	cargo build

release:
	cargo build --release

# The static binary, as shipped in FROM scratch images.
static:
	@rustup target list --installed 2>/dev/null | grep -qx $(MUSL) || rustup target add $(MUSL)
	cargo build --release --locked --target $(MUSL)
	@ls -l $(STATIC_BIN) | awk '{printf "static binary: %s (%.2f MiB)\n", $$9, $$5/1048576}'

# Mint a token with the AWS documentation's example keys, then verify it. No account needed.
demo: release
	@bash tests/scripts/demo.sh target/release/eks-token

# Everything: unit, conformance and end-to-end tests, then the static binary in an empty root.
test: static
	EKS_TOKEN_STATIC_BIN=$(CURDIR)/$(STATIC_BIN) cargo test --locked

lint:
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings

# moto's STS server (tests/moto.rs) and awscli (tests/awscli_parity.rs) in target/ci-venv;
# without them those tests skip, loudly.
ci-venv:
	@bash tests/scripts/ci-venv.sh --awscli

# Side by side with `aws eks get-token` (awscli from PyPI in a throwaway venv).
bench: static
	@bash tests/scripts/bench.sh $(STATIC_BIN)

clean:
	cargo clean
