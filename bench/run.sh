#!/usr/bin/env bash
# IRR on 30 flows: machi (divan) against numpy-financial and pyxirr, and one
# evaluation of a 30-year, 60-line project against a NumPy + numpy-financial
# script on the same file, each measured in the same run, printed as Markdown
# tables of ratios
# (machi throughput / peer throughput = peer ns per call / machi ns per call).
#
#   bash bench/run.sh
#
# Installs the Python peers with pip when they are missing. On this machine
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set for old OpenBLAS builds;
# they slow a current numpy down, so they are unset for the Python peers
# only (numpy_financial.irr calls numpy.roots, which runs on OpenBLAS).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import numpy_financial, pyxirr" 2>/dev/null; then
    python3 -m pip install --quiet numpy-financial pyxirr
fi
# Optional: lets the peer script report which OpenBLAS kernel numpy runs.
python3 -c "import threadpoolctl" 2>/dev/null || python3 -m pip install --quiet threadpoolctl || true

divan_output=$(cargo bench --quiet -p machi-finance --bench irr 2>/dev/null)
peers_output=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/irr_peers.py)
evaluate_output=$(cargo bench --quiet -p machi-finance --bench evaluate 2>/dev/null)
evaluate_peer=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/evaluate_peer.py bench/evaluate_30y_60lines.toml)

echo "$divan_output"
echo
echo "$peers_output"
echo
echo "$evaluate_output"
echo
echo "$evaluate_peer"
echo

DIVAN="$divan_output
$evaluate_output" PEERS="$peers_output" EVAL_PEER="$evaluate_peer" python3 - <<'PY'
import json
import os
import platform
import re
import subprocess

units = {"ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
machi = {}
for line in os.environ["DIVAN"].splitlines():
    # ├─ irr_conventional_30  160.3 ns │ 163.5 ns │ 161.6 ns │ 161.7 ns │ 100 │ 1600
    m = re.match(r"^[├╰]─ (\S+)\s+(.*)$", line)
    if not m:
        continue
    columns = [c.strip() for c in m.group(2).split("│")]
    value, unit = columns[2].split()  # fastest │ slowest │ median │ mean
    machi[m.group(1)] = float(value) * units[unit]

peers = json.loads(os.environ["PEERS"])
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
v = peers["versions"]
print(f"CPU: {cpu}; {rustc}; Python {v['python']}, numpy {v['numpy']}, "
      f"numpy-financial {v['numpy-financial']}, pyxirr {v['pyxirr']}")
print(f"BLAS seen by numpy (OPENBLAS_* unset): {peers['blas']}")
print()
print("| flows | machi `tvm::irr` | numpy-financial `irr` | ratio | pyxirr `irr` | ratio |")
print("|---|---:|---:|---:|---:|---:|")
for name, bench in (("conventional_30", "irr_conventional_30"),
                    ("multi_sign_30", "irr_multi_sign_30")):
    ours = machi[bench]
    npf = peers["results"][name]["numpy-financial"]["ns_per_call"]
    pyx = peers["results"][name]["pyxirr"]["ns_per_call"]
    print(f"| {name} | {ours:,.0f} ns | {npf:,.0f} ns | {npf / ours:,.0f}× | "
          f"{pyx:,.0f} ns | {pyx / ours:,.1f}× |")
print(f"\n(pyxirr.npv on the same 30 values, i.e. the cost of a call into pyxirr: "
      f"{peers['results']['pyxirr_npv_call_floor_ns']:,.0f} ns)")
if "irr_all_multi_sign_30" in machi:
    print(f"\n(machi `tvm::irr_all` on multi_sign_30: {machi['irr_all_multi_sign_30']:,.0f} ns)")
ev = json.loads(os.environ["EVAL_PEER"])
print()
print("| project | machi `engine::evaluate` | peer: NumPy + numpy-financial script | ratio |")
print("|---|---:|---:|---:|")
ours = machi["evaluate_30y_60_lines"]
print(f"| 30 years × 60 line items | {ours / 1e3:,.1f} µs | {ev['ns_per_call'] / 1e3:,.1f} µs | {ev['ns_per_call'] / ours:,.1f}× |")
print(f"\n(machi parse + evaluate of the TOML text: {machi['parse_and_evaluate_30y_60_lines'] / 1e3:,.1f} µs; "
      f"peer NPV {ev['npv']:,.0f} and IRR {ev['irr']:.4%} agree with machi's)")
PY
