#!/usr/bin/env bash
# The whole test suite: every crate's unit, integration, property and CLI
# tests, the storage suite on SQLite and on PostgreSQL.
#
# This is the README's test command and what .ci/run calls. It installs what
# the tests need that a fresh Debian machine (root, Rust toolchain) lacks:
# when no PostgreSQL answers on 127.0.0.1:5432 it installs Debian's
# postgresql and starts a throwaway cluster on loopback for the run. Build
# output goes outside the clone so repeated runs reuse it.
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

ensure_postgres
echo "PostgreSQL for the tests: $MACHI_TEST_DATABASE_URL"

cargo test --workspace --locked --all-targets
# Doc tests are not part of --all-targets.
cargo test --workspace --locked --doc
