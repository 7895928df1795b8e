//! `machi programs list` and `machi programs show` run as a user would, and
//! the message catalogue checked against every code the programs crate can
//! produce.

use std::process::{Command, Output};

use machi_domain::project::LineCategory;
use machi_i18n::Lang;
use machi_programs::explain::{REASON_CODES, SIZING_CODES};
use machi_programs::program::{KindSelector, Test};
use machi_programs::{Catalogue, Status, Verdict};

fn machi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_machi"))
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

fn ids() -> Vec<String> {
    Catalogue::bundled()
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|p| p.id.clone())
        .collect()
}

#[test]
fn list_names_every_shipped_program_in_both_languages() {
    let ids = ids();
    assert_eq!(ids.len(), 5);
    for lang in ["ja", "en"] {
        let o = machi(&["programs", "list", "--lang", lang]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        for id in &ids {
            assert!(out.contains(id.as_str()), "{lang}: {id} missing:\n{out}");
        }
        assert!(
            out.contains("mlit-smart-city-implementation:urban-service"),
            "types are listed"
        );
    }
    let en = stdout(&machi(&["programs", "list", "--lang", "en"]));
    assert!(
        en.contains("Smart Tokyo Promotion Project for Solving Local Issues"),
        "{en}"
    );
    let ja = stdout(&machi(&["programs", "list"]));
    assert!(
        ja.contains("地域課題解決型スマート東京普及促進事業"),
        "{ja}"
    );
    let o = machi(&["programs", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let items = v.as_array().expect("an array");
    assert_eq!(items.len(), 5);
    assert!(
        items
            .iter()
            .all(|p| p["name"]["en"].is_string() && p["issuer"]["ja"].is_string())
    );
}

#[test]
fn show_describes_terms_rules_and_sources() {
    for id in ids() {
        for lang in ["ja", "en"] {
            let o = machi(&["programs", "show", &id, "--lang", lang]);
            assert!(o.status.success(), "{id}: {}", stderr(&o));
            let out = stdout(&o);
            assert!(!out.contains("⟦missing message⟧"), "{id} {lang}:\n{out}");
            let program = Catalogue::bundled()
                .expect("reads")
                .get(&id)
                .cloned()
                .expect("shipped");
            for s in &program.sources {
                if let Some(url) = &s.url {
                    assert!(
                        out.contains(url.as_str()),
                        "{id} {lang}: source {} not shown",
                        s.id
                    );
                }
            }
        }
    }
    let out = stdout(&machi(&[
        "programs",
        "show",
        "mlit-smart-city-implementation",
        "--lang",
        "en",
    ]));
    for expected in [
        "Cap per fiscal year: ¥20,000,000 [1, 補助要件等 補助率（通常タイプ）]",
        "Cap per fiscal year: ¥50,000,000",
        "The service is implemented by FY2026; no subsidy after it [1, 補助要件等 支援条件③]",
        "Rounded down to ¥1,000 [3, Finance conventions, unverified]",
        "The consortium includes a member of each group: local government; private sector",
        "Budget: ¥250,000,000",
        "Application window: 2024-04-05 – 2024-05-10",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let tokyo = stdout(&machi(&[
        "programs",
        "show",
        "tokyo-smart-tokyo-local-issues",
    ]));
    for expected in [
        "補助対象経費の50%",
        "年度あたり上限：¥20,000,000",
        "連続3年度まで",
        "自治体の所在地：東京都",
    ] {
        assert!(
            tokyo.contains(expected),
            "missing {expected:?} in:\n{tokyo}"
        );
    }
    let mic = stdout(&machi(&[
        "programs",
        "show",
        "mic-smart-city-data-linkage",
        "--lang",
        "en",
    ]));
    assert!(mic.contains("Eligible expenses of at least ¥3,000,000 in a fiscal year [3, 補助金の概要 事業費下限額, unverified]"), "{mic}");
    assert!(mic.contains("[secondary source]"), "{mic}");
}

#[test]
fn show_as_json_is_the_program_data() {
    let o = machi(&[
        "programs",
        "show",
        "mlit-smart-city-implementation",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let p = &v["program"];
    assert_eq!(p["id"], "mlit-smart-city-implementation");
    assert_eq!(
        p["types"][0]["sizing"]["cap_per_year"]["amount"],
        20_000_000
    );
    assert_eq!(p["types"][1]["rules"][0]["rule"], "implemented-by");
    assert_eq!(p["types"][1]["rules"][0]["year"], "FY2026");
    assert!(v["donation_relief"].is_null());
}

#[test]
fn show_computes_a_donors_relief() {
    let o = machi(&[
        "programs",
        "show",
        "corporate-hometown-tax",
        "--donation",
        "1000万円",
        "--lang",
        "en",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "A donation of ¥10,000,000: relief ¥9,000,000, net cost to the donor ¥1,000,000"
        ),
        "{out}"
    );
    assert!(out.contains("at most ¥4,000,000 (40%)"), "{out}");
    let o = machi(&[
        "programs",
        "show",
        "corporate-hometown-tax",
        "--donation",
        "50000",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["donation_relief"]["qualifies"], false);
    assert_eq!(v["donation_relief"]["net_cost"], 50_000);
    let o = machi(&[
        "programs",
        "show",
        "corporate-hometown-tax",
        "--donation",
        "50000",
    ]);
    assert!(
        stdout(&o).contains("最低額 ¥100,000 に満たない"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn show_refuses_what_it_cannot_do() {
    let o = machi(&["programs", "show", "no-such-program", "--lang", "en"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("There is no program \"no-such-program\""),
        "{}",
        stderr(&o)
    );
    let o = machi(&[
        "programs",
        "show",
        "tokyo-smart-tokyo-local-issues",
        "--donation",
        "100万円",
        "--lang",
        "en",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a donation incentive"),
        "{}",
        stderr(&o)
    );
    let o = machi(&[
        "programs",
        "show",
        "corporate-hometown-tax",
        "--donation",
        "many",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("「many」は金額ではありません"),
        "{}",
        stderr(&o)
    );
}

/// Every code the programs crate produces has a message in both languages.
#[test]
fn the_catalogue_has_every_message() {
    let mut keys: Vec<String> = Vec::new();
    keys.extend(REASON_CODES.iter().map(|c| format!("programs.reason.{c}")));
    keys.extend(SIZING_CODES.iter().map(|c| format!("programs.sizing.{c}")));
    for name in Test::NAMES {
        keys.push(format!("programs.rule.{name}"));
        keys.push(format!("programs.describe.{name}"));
    }
    keys.push("programs.rule.co-funding".into());
    for s in [Status::Pass, Status::Fail, Status::NeedsInformation] {
        keys.push(format!("programs.status.{}", s.as_str()));
    }
    for v in [
        Verdict::Eligible,
        Verdict::NeedsInformation,
        Verdict::NotEligible,
    ] {
        keys.push(format!("programs.verdict.{}", v.as_str()));
    }
    for k in [
        KindSelector::LocalGovernment,
        KindSelector::PrivateSector,
        KindSelector::Municipality,
        KindSelector::Prefecture,
        KindSelector::Company,
        KindSelector::University,
        KindSelector::Association,
        KindSelector::AreaManagement,
        KindSelector::FinancialInstitution,
        KindSelector::Other,
    ] {
        keys.push(format!("programs.member-kind.{}", k.as_str()));
    }
    let categories = [
        LineCategory::Equipment,
        LineCategory::Software,
        LineCategory::Construction,
        LineCategory::Design,
        LineCategory::DataPlatform,
        LineCategory::Maintenance,
        LineCategory::Operations,
        LineCategory::Communications,
        LineCategory::Cloud,
        LineCategory::Personnel,
        LineCategory::Other,
    ];
    keys.extend(
        categories
            .iter()
            .map(|c| format!("programs.category.{}", c.as_str())),
    );
    keys.extend((1..=47).map(|p| format!("programs.prefecture.{p:02}")));
    keys.extend(
        machi_domain::project::STAKEHOLDER_GROUPS
            .iter()
            .map(|g| format!("programs.stakeholder.{g}")),
    );
    for &lang in Lang::ALL {
        for key in &keys {
            assert!(lang.has(key), "{lang}: {key} has no message");
        }
    }
}
