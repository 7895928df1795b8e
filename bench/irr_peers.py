#!/usr/bin/env python3
"""Time numpy_financial.irr and pyxirr.irr on the flows in bench/irr_flows.json.

Prints one JSON object: nanoseconds per call (median of 7 timeit repeats,
each repeat sized by timeit's autorange), the IRR each peer returned, and
the versions involved. bench/run.sh runs this next to machi's divan bench
(crates/machi-finance/benches/irr.rs) and turns both into ratios.

The peers are called as a Python user calls them: with a list of floats.
"""

import json
import pathlib
import platform
import statistics
import sys
import timeit

import numpy
import numpy_financial
import pyxirr

FLOWS = pathlib.Path(__file__).with_name("irr_flows.json")


def ns_per_call(fn):
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=7, number=number)
    return statistics.median(runs) / number * 1e9


def blas_info():
    # Which BLAS kernel numpy runs matters for numpy_financial.irr (it calls
    # numpy.roots, an eigenvalue solver). threadpoolctl is optional.
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return [
        {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for info in threadpool_info()
    ]


def main():
    flows = json.loads(FLOWS.read_text())
    peers = {
        "numpy-financial": numpy_financial.irr,
        "pyxirr": pyxirr.irr,
    }
    results = {}
    # Context, not a peer: pyxirr.npv on the same list is the cost of calling
    # into pyxirr at all (argument conversion, one pass over 30 values), so
    # pyxirr.irr minus this is roughly its solver's own time.
    call_floor = [float(v) for v in flows["conventional_30"]]
    results["pyxirr_npv_call_floor_ns"] = ns_per_call(lambda: pyxirr.npv(0.1, call_floor))
    for name in ("conventional_30", "multi_sign_30"):
        values = [float(v) for v in flows[name]]
        results[name] = {}
        for peer, irr in peers.items():
            results[name][peer] = {
                "ns_per_call": ns_per_call(lambda irr=irr: irr(values)),
                "irr": float(irr(values)),
            }
    print(
        json.dumps(
            {
                "results": results,
                "versions": {
                    "python": platform.python_version(),
                    "numpy": numpy.__version__,
                    "numpy-financial": getattr(numpy_financial, "__version__", "?"),
                    "pyxirr": getattr(pyxirr, "__version__", "?"),
                },
                "blas": blas_info(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
