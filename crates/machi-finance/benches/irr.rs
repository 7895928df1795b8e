//! IRR throughput on 30 yearly flows (`cargo bench -p machi-finance --bench irr`).
//!
//! The flows live in `bench/irr_flows.json` at the repository root, which
//! `bench/irr_peers.py` reads too, so machi and its peers (numpy-financial,
//! pyxirr) time exactly the same inputs; `bench/run.sh` runs both and prints
//! the ratios recorded in `docs/PERFORMANCE.md`.

use std::sync::LazyLock;

use divan::black_box;
use machi_finance::tvm;

fn main() {
    divan::main();
}

struct Flows {
    conventional: Vec<f64>,
    multi_sign: Vec<f64>,
}

static FLOWS: LazyLock<Flows> = LazyLock::new(|| {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../../../bench/irr_flows.json"))
            .expect("bench/irr_flows.json is valid JSON");
    let series = |name: &str| -> Vec<f64> {
        json[name]
            .as_array()
            .expect("each series is an array")
            .iter()
            .map(|v| v.as_f64().expect("each flow is a number"))
            .collect()
    };
    Flows {
        conventional: series("conventional_30"),
        multi_sign: series("multi_sign_30"),
    }
});

/// One investment, 29 uneven inflows: the fast path (one root).
#[divan::bench]
fn irr_conventional_30(bencher: divan::Bencher<'_, '_>) {
    let values = FLOWS.conventional.as_slice();
    bencher.bench(|| tvm::irr(black_box(values), black_box(None)));
}

/// Four sign changes, two roots: the all-roots search, then the root
/// nearest the guess.
#[divan::bench]
fn irr_multi_sign_30(bencher: divan::Bencher<'_, '_>) {
    let values = FLOWS.multi_sign.as_slice();
    bencher.bench(|| tvm::irr(black_box(values), black_box(None)));
}

/// Every root of the multi-sign flows.
#[divan::bench]
fn irr_all_multi_sign_30(bencher: divan::Bencher<'_, '_>) {
    let values = FLOWS.multi_sign.as_slice();
    bencher.bench(|| tvm::irr_all(black_box(values)));
}
