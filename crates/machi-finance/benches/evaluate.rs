//! One evaluation of a 30-year, 60-line-item project
//! (`bench/evaluate_30y_60lines.toml`): the statement, every metric, the
//! cliff and break-even. The peer, `bench/evaluate_peer.py`, computes the same
//! statement and headline metrics from the same file with NumPy and
//! numpy-financial; `bench/run.sh` runs both and prints the ratio.

use machi_domain::Project;
use machi_finance::{Options, evaluate};

const PROJECT: &str = include_str!("../../../bench/evaluate_30y_60lines.toml");

fn main() {
    divan::main();
}

#[divan::bench]
fn evaluate_30y_60_lines(bencher: divan::Bencher) {
    let project = Project::from_toml_str(PROJECT).expect("the benchmark project is valid");
    let options = Options::default();
    bencher.bench(|| evaluate(divan::black_box(&project), &options).expect("evaluates"));
}

#[divan::bench]
fn parse_and_evaluate_30y_60_lines(bencher: divan::Bencher) {
    let options = Options::default();
    bencher.bench(|| {
        let project = Project::from_toml_str(divan::black_box(PROJECT)).expect("valid");
        evaluate(&project, &options).expect("evaluates")
    });
}
