"""Peer for crates/machi-finance/benches/evaluate.rs: what an analyst would
script today. Reads the same project file (explicit amounts only), builds the
statement by fiscal year with NumPy and computes NPV, IRR and MIRR with
numpy-financial, plus payback, self-sufficiency and the benefit-cost ratio.
Prints one JSON line: {"peer": ..., "ns_per_call": ...}.
"""
import json
import sys
import timeit
import tomllib

import numpy as np
import numpy_financial as npf

path = sys.argv[1] if len(sys.argv) > 1 else "bench/evaluate_30y_60lines.toml"
with open(path, "rb") as f:
    project = tomllib.load(f)


def year_index(key, first):
    return int(str(key).removeprefix("FY")) - first


def evaluate(p):
    first = int(str(p["horizon"]["first"]).removeprefix("FY"))
    last = int(str(p["horizon"]["last"]).removeprefix("FY"))
    n = last - first + 1
    rate = float(str(p["finance"]["discount_rate"]).rstrip("%")) / 100
    rows = {k: np.zeros(n) for k in ("capex", "opex", "revenue", "savings", "subsidy", "other")}
    for li in p["line_items"]:
        for k, v in li["amounts"].items():
            rows[li["kind"]][year_index(k, first)] += v
    for f in p["funding"]:
        for k, v in f["amounts"].items():
            rows["subsidy" if f["kind"] == "subsidy" else "other"][year_index(k, first)] += v
    inflow = rows["revenue"] + rows["savings"] + rows["subsidy"] + rows["other"]
    outflow = rows["opex"] + rows["capex"]
    net = inflow - outflow
    cumulative = np.cumsum(net)
    flows = rows["revenue"] + rows["savings"] - rows["opex"] - rows["capex"]
    disc = (1 + rate) ** -np.arange(n)
    cum_flows = np.cumsum(flows)
    negative = np.nonzero(cum_flows < 0)[0]
    payback = None
    if len(negative) and cum_flows[-1] >= 0 and negative[-1] + 1 < n:
        i = negative[-1]
        payback = i + -cum_flows[i] / flows[i + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        self_sufficiency = (rows["revenue"] + rows["savings"]) / rows["opex"]
    return {
        "net": net,
        "cumulative": cumulative,
        "npv": npf.npv(rate, flows),
        "irr": npf.irr(flows),
        "mirr": npf.mirr(flows, rate, rate),
        "payback": payback,
        "self_sufficiency": self_sufficiency,
        "bcr": ((rows["revenue"] + rows["savings"]) * disc).sum() / ((rows["opex"] + rows["capex"]) * disc).sum(),
    }


result = evaluate(project)
number = 200
best = min(timeit.repeat(lambda: evaluate(project), number=number, repeat=5)) / number
print(json.dumps({"peer": "numpy+numpy-financial script", "ns_per_call": best * 1e9, "npv": float(result["npv"]), "irr": float(result["irr"])}))
