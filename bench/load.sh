#!/usr/bin/env bash
# The web app under load: `machi serve --demo` (release build, SQLite file in
# a temporary directory, loopback only) measured with wrk at 100 concurrent
# connections for a bounded time per endpoint, logged in as the demo
# municipal officer (a real session cookie, so every request does the
# session, user and organisation look-ups):
#
#   - GET /dashboard                  the project dashboard page (HTML)
#   - GET /api/v1/projects/{id}       an API read (the Kurume project, JSON)
#   - GET /projects/{id}              the project page (evaluation, for scale)
#
# against the named peer measured on the same server in the same run, the
# cost floor of its HTTP stack: GET /static/app.css (an embedded file served
# outside the request middleware, with the same response-header layers).
# Two more rows split the middleware's own cost: GET /healthz without a
# cookie (middleware, no session) and with the session cookie (middleware +
# the session, user and organisation look-ups, no handler work). Prints p50,
# p99 and throughput of each and their ratios to the peer, as Markdown.
#
#   bash bench/load.sh                  # 3 rounds × 15 s per endpoint
#   MACHI_LOAD_SECONDS=30 MACHI_LOAD_ROUNDS=5 bash bench/load.sh
#
# The rounds go through all endpoints in turn (peer included), so a burst of
# other work on the machine hits the peer and the endpoints alike; the table
# gives each figure's median over the rounds, and the p99 range.
#
# Installs wrk from Debian when missing (root). wrk and the server share the
# machine's cores, as they do on every run of this script. The server is
# stopped and its database removed at the end, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/machi-target}"
SECONDS_EACH="${MACHI_LOAD_SECONDS:-15}"
ROUNDS="${MACHI_LOAD_ROUNDS:-3}"
CONNECTIONS="${MACHI_LOAD_CONNECTIONS:-100}"
THREADS="${MACHI_LOAD_THREADS:-2}"
EMAIL="officer@kurume.example"
PASSWORD="machi-demo-2025" # the demo password (crates/machi-web/src/demo.rs)

if ! command -v wrk >/dev/null; then
    if [ -z "${MACHI_APT_UPDATED:-}" ]; then apt-get update -qq; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

cargo build --release --locked -p machi-cli
BIN="$CARGO_TARGET_DIR/release/machi"

work=$(mktemp -d "${TMPDIR:-/tmp}/machi-load.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$BIN" serve --demo --bind "127.0.0.1:$port" --database "$work/load.db" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
    if curl -fs "$base/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log" >&2; exit 1; fi
    sleep 0.1
done
curl -fs "$base/healthz" >/dev/null

# Log in through the API (JSON log-in is CSRF-exempt); keep the session cookie.
curl -fs -c "$work/jar" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$base/api/v1/session" >/dev/null
session=$(awk '$6 == "machi_session" { print $7 }' "$work/jar")
[ -n "$session" ] || { echo "bench/load.sh: no session cookie after log-in" >&2; exit 1; }
cookie="Cookie: machi_session=$session"
id=$(curl -fs -H "$cookie" "$base/api/v1/projects" |
    python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin)["projects"] if p["slug"] == "kurume-flood-ai"))')

# name, whether to send the session cookie, path
endpoints=(
    "peer-static 1 /static/app.css"
    "healthz-anon 0 /healthz"
    "healthz-session 1 /healthz"
    "dashboard 1 /dashboard"
    "api-project 1 /api/v1/projects/$id"
    "project-page 1 /projects/$id"
)
# Every endpoint must answer 200 (with the cookie: not a redirect to /login).
for e in "${endpoints[@]}"; do
    read -r name with path <<<"$e"
    header=(); [ "$with" = 1 ] && header=(-H "$cookie")
    code=$(curl -s -o /dev/null -w '%{http_code}' "${header[@]}" "$base$path")
    [ "$code" = 200 ] || { echo "bench/load.sh: $name $path answered $code" >&2; exit 1; }
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machi serve --demo (release) on $base; wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_EACH}s --latency"
results="$work/results"
: >"$results"
for round in $(seq 1 "$ROUNDS"); do
    for e in "${endpoints[@]}"; do
        read -r name with path <<<"$e"
        header=(); [ "$with" = 1 ] && header=(-H "$cookie")
        # A short warm-up (connections, caches), not reported.
        wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${header[@]}" "$base$path" >/dev/null
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency "${header[@]}" "$base$path")
        echo "── round $round, $name: GET $path"
        echo "$out"
        printf '%s\t%s\n' "$name $path" "$(echo "$out" | base64 -w0)" >>"$results"
    done
done

# The server's own CPU time over the whole run, for context.
server_cpu=$(ps -o times= -p "$server_pid" | tr -d ' ')

RESULTS="$results" ROUNDS="$ROUNDS" LOAD_BEFORE="$load_before" SERVER_CPU="$server_cpu" SECONDS_EACH="$SECONDS_EACH" \
    CONNECTIONS="$CONNECTIONS" THREADS="$THREADS" python3 - <<'PY'
import base64
import os
import re
import subprocess
from statistics import median

units = {"us": 1e-3, "ms": 1.0, "s": 1e3}

def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * units[m.group(2)]

runs = {}  # (name, path) -> [(p50, p99, rps)]
for line in open(os.environ["RESULTS"]):
    label, blob = line.rstrip("\n").split("\t")
    out = base64.b64decode(blob).decode()
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    if bad or errors:
        raise SystemExit(f"{label}: {bad.group(0) if bad else ''} {errors.group(0) if errors else ''}")
    name, path = label.split(" ", 1)
    runs.setdefault((name, path), []).append((ms(pct["50"]), ms(pct["99"]), rps))

rows = []
for (name, path), rs in runs.items():
    p99s = [r[1] for r in rs]
    rows.append((name, path, median([r[0] for r in rs]), median(p99s), median([r[2] for r in rs]), min(p99s), max(p99s)))
peer = next(r for r in rows if r[0] == "peer-static")

cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
print()
print(f"{os.cpu_count()} cores, {cpu}; {wrk_v.split(' [')[0]}; "
      f"wrk -t{os.environ['THREADS']} -c{os.environ['CONNECTIONS']} -d{os.environ['SECONDS_EACH']}s × {os.environ['ROUNDS']} rounds (medians); "
      f"server CPU time over the run {os.environ['SERVER_CPU']}; load average before: {os.environ['LOAD_BEFORE']}")
print()
print("| endpoint | p50 | p99 (range) | throughput | p50 / peer | p99 / peer | throughput / peer |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, path, p50, p99, rps, lo, hi in rows:
    print(f"| `GET {path}` ({name}) | {p50:.2f} ms | {p99:.2f} ms ({lo:.1f}–{hi:.1f}) | {rps:,.0f} req/s "
          f"| {p50 / peer[2]:.1f}× | {p99 / peer[3]:.1f}× | {rps / peer[4]:.3f}× |")
print()
target = 50.0
for name, path, p50, p99, rps, lo, hi in rows:
    if name in ("dashboard", "api-project"):
        verdict = "met" if hi <= target else "MISSED"
        print(f"p99 target ≤ {target:.0f} ms, {name}: median {p99:.2f} ms, worst round {hi:.2f} ms — {verdict}")
PY
