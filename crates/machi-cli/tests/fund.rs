//! `machi fund` run as a user would.

use std::process::{Command, Output};

fn machi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_machi"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(args)
        .output()
        .expect("runs")
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn the_optimised_plan_beats_greedy_and_feeds_the_evaluation() {
    for example in [
        "examples/hino-mimamori.toml",
        "examples/kurume-flood-ai.toml",
        "examples/kashiwanoha-area-services.toml",
        "examples/sano-urban-os.toml",
    ] {
        let v = json(&machi(&["fund", example, "--format", "json"]));
        let best = v["optimised"]["total"].as_i64().expect("total");
        let simple = v["greedy"]["total"].as_i64().expect("total");
        assert!(
            best >= simple,
            "{example}: optimised {best} < greedy {simple}"
        );
        assert!(v["optimised"]["bound"].as_i64().expect("bound") >= best);
        // Every award is a whole number of thousand yen (千円未満切捨て).
        for award in v["optimised"]["awards"].as_array().expect("awards") {
            assert_eq!(
                award["amount"].as_i64().expect("amount") % 1_000,
                0,
                "{example}: {award}"
            );
        }
        // The plan's subsidies are in the evaluated project and statement.
        let planned: i64 = v["project"]["funding"]
            .as_array()
            .expect("funding")
            .iter()
            .filter(|f| f["id"].as_str().is_some_and(|id| id.starts_with("plan-")))
            .flat_map(|f| {
                f["amounts"]
                    .as_object()
                    .expect("amounts")
                    .values()
                    .map(|a| a.as_i64().expect("yen"))
                    .collect::<Vec<_>>()
            })
            .sum();
        assert_eq!(planned, best, "{example}");
        let subsidies: i64 = v["evaluation"]["statement"]
            .as_array()
            .expect("statement")
            .iter()
            .map(|r| r["subsidies"].as_i64().expect("yen"))
            .sum();
        assert!(
            subsidies >= best,
            "{example}: statement subsidies {subsidies} < plan {best}"
        );
        assert!(v["evaluation"]["cliff"].get("levers").is_some());
    }
}

#[test]
fn hino_gets_more_from_the_optimiser_than_from_greedy() {
    // Tokyo's program pays at most three consecutive years; spent on the
    // FY2032–34 device renewal it is worth more than on the first years,
    // which MLIT and MIC already fund. Greedy takes it at once.
    let v = json(&machi(&[
        "fund",
        "examples/hino-mimamori.toml",
        "--format",
        "json",
    ]));
    let best = v["optimised"]["total"].as_i64().expect("total");
    let simple = v["greedy"]["total"].as_i64().expect("total");
    assert!(best > simple, "optimised {best} ≤ greedy {simple}");
}

#[test]
fn text_reads_in_both_languages() {
    let o = machi(&[
        "fund",
        "examples/hino-mimamori.toml",
        "--programs",
        "tokyo-smart-tokyo-local-issues",
        "--lang",
        "en",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).expect("utf-8");
    for s in [
        "Funding plan (optimised)",
        "Simple choice",
        "tokyo-smart-tokyo-local-issues",
        "Funding cliff",
        "FY20",
    ] {
        assert!(text.contains(s), "missing {s}:\n{text}");
    }
    let o = machi(&["fund", "examples/hino-mimamori.toml"]);
    let text = String::from_utf8(o.stdout).expect("utf-8");
    assert!(
        text.contains("補助金の組合せ（最適化）") && text.contains("令和"),
        "{text}"
    );
}

#[test]
fn bad_candidates_are_refused() {
    let o = machi(&[
        "fund",
        "examples/hino-mimamori.toml",
        "--programs",
        "no-such-program",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = machi(&[
        "fund",
        "examples/hino-mimamori.toml",
        "--programs",
        "corporate-hometown-tax",
        "--lang",
        "en",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a subsidy"));
}
