#!/usr/bin/env bash
# The whole test suite: every crate's unit, integration, property and CLI
# tests, the storage suite on SQLite and on PostgreSQL, then the browser
# tests in e2e/ (the real `machi serve --demo` driven in Debian's chromium).
#
# This is the README's test command and what .ci/run calls. It installs what
# the tests need that a fresh Debian machine (root, Rust toolchain) lacks:
# when no PostgreSQL answers on 127.0.0.1:5432 it installs Debian's
# postgresql and starts a throwaway cluster on loopback for the run; it
# installs Debian's chromium, fonts-noto-cjk (Japanese text in screenshots)
# and nodejs/npm when missing, and e2e/'s locked npm packages. Every step is
# skipped when already done, so a second run only runs the tests. Build
# output goes outside the clone so repeated runs reuse it.
#
# MACHI_SKIP_E2E=1 skips the browser tests (e.g. while iterating on Rust).
# The API property test (scripts/api-fuzz.sh) installs schemathesis from
# PyPI into $HOME/.cache the first time (and Debian's python3-venv).
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/machi-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Property tests: a fixed number of cases keeps CI time bounded and repeatable.
export PROPTEST_CASES="${PROPTEST_CASES:-200}"

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "scripts/test.sh: need root to install $*" >&2
        return 1
    fi
    if [ -z "${MACHI_APT_UPDATED:-}" ]; then
        apt-get update -qq
        export MACHI_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# PostgreSQL for the storage and web suites: the one already running on
# 127.0.0.1:5432 if any (trust auth, as on the development machines),
# otherwise a cluster of our own on port 54329, removed when the run ends.
ensure_postgres() {
    if [ -n "${MACHI_TEST_DATABASE_URL:-}" ]; then
        return
    fi
    if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432 \
        && psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        export MACHI_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
        return
    fi
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        apt_install postgresql
    fi
    local bin dir
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    dir=$(mktemp -d /tmp/machi-pg.XXXXXX)
    chown postgres: "$dir"
    # initdb refuses to run as root: run the cluster as the postgres user.
    su postgres -s /bin/sh -c "$bin/initdb -D $dir/data -A trust -U postgres >/dev/null"
    su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir/data -l $dir/log -w -o '-c listen_addresses=127.0.0.1 -p 54329 -k $dir' start >/dev/null"
    trap "su postgres -s /bin/sh -c '$bin/pg_ctl -D $dir/data -m fast stop' >/dev/null 2>&1; rm -rf '$dir'" EXIT
    export MACHI_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:54329/postgres"
}

# The browser tests' tools: Debian's chromium (a browser downloaded by a
# test tool cannot run here), Japanese fonts, and Node.js with npm.
ensure_browser_tools() {
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed' \
        || missing+=(fonts-noto-cjk)
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "scripts/test.sh: installing ${missing[*]} from Debian"
        apt_install "${missing[@]}"
    fi
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 20 ]; then
        echo "scripts/test.sh: the browser tests need Node.js 20 or later (playwright-core); found $(node --version)" >&2
        return 1
    fi
}

# e2e/'s npm packages exactly as locked; skipped when node_modules already
# matches package-lock.json.
ensure_e2e_packages() {
    if cmp -s e2e/package-lock.json e2e/node_modules/.machi-installed-lock 2>/dev/null; then
        return
    fi
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
    cp e2e/package-lock.json e2e/node_modules/.machi-installed-lock
}

ensure_postgres
echo "PostgreSQL for the tests: $MACHI_TEST_DATABASE_URL"
if [ -z "${MACHI_SKIP_E2E:-}" ]; then
    ensure_browser_tools
    ensure_e2e_packages
fi

cargo test --workspace --locked --all-targets
# Doc tests are not part of --all-targets.
cargo test --workspace --locked --doc

# The property-based API test (schemathesis from PyPI, every check, logged
# in, a bounded budget) against the real server.
cargo build -p machi-cli --locked
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt_install python3-venv
fi
./scripts/api-fuzz.sh "$CARGO_TARGET_DIR/debug/machi"

if [ -n "${MACHI_SKIP_E2E:-}" ]; then
    echo "Browser tests skipped (MACHI_SKIP_E2E is set)."
    exit 0
fi

# Browser tests: each test file starts its own `machi serve --demo` on a free
# loopback port over a temporary SQLite file, and stops it at the end.
export MACHI_BIN="$CARGO_TARGET_DIR/debug/machi"
# Screenshots (and the servers' logs) stay for a person to look at; those of
# runs older than a day are removed.
find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'machi-e2e-shots.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
MACHI_E2E_SHOTS=$(mktemp -d "${TMPDIR:-/tmp}/machi-e2e-shots.XXXXXX")
export MACHI_E2E_SHOTS
echo "Browser tests (e2e/, node --test); screenshots in $MACHI_E2E_SHOTS"
status=0
(cd e2e && node --test --test-concurrency=1 --test-timeout=300000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$MACHI_E2E_SHOTS/results.tap" \
    tests/*.test.mjs) || status=$?
# The spec reporter lists todo tests (known defects, see e2e/README.md) after
# its summary; repeat the runner's own closing counts so they come last.
echo "Browser tests (node --test) summary:"
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$MACHI_E2E_SHOTS/results.tap" || true
exit "$status"
