#!/usr/bin/env bash
# The whole test suite: every crate's unit, integration, property and CLI tests.
#
# This is the README's test command and what .ci/run calls. It installs what
# the tests need that a fresh Debian machine lacks (nothing beyond the Rust
# toolchain yet; PostgreSQL and Chromium arrive with the web application), and
# keeps build output outside the clone so repeated runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/machi-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Property tests: a fixed number of cases keeps CI time bounded and repeatable.
export PROPTEST_CASES="${PROPTEST_CASES:-200}"

cargo test --workspace --locked --all-targets
# Doc tests are not part of --all-targets.
cargo test --workspace --locked --doc
