//! The program-file format, tested through its published artefacts: the
//! shipped files in `programs/`, the JSON Schema in
//! `docs/program-file.schema.json`, the documentation, and the errors a
//! person gets for the usual mistakes.
//!
//! The schema file is generated. When the format changes, regenerate it with
//!
//! ```sh
//! MACHI_UPDATE_SCHEMA=1 cargo test -p machi-programs --test program_file
//! ```
//!
//! and commit it together with the change (and update `docs/program-file.md`).

use std::collections::BTreeSet;

use machi_domain::Project;
use machi_domain::project::{DonationKind, FundingKind};
use machi_programs::catalogue::parse_file;
use machi_programs::program::{ProgramKind, Test};
use machi_programs::{BUNDLED, Catalogue, json_schema};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn the_schema_file_is_up_to_date() {
    let path = format!("{ROOT}/docs/program-file.schema.json");
    let expected =
        serde_json::to_string_pretty(&json_schema()).expect("the schema serialises") + "\n";
    if std::env::var("MACHI_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("docs/program-file.schema.json is writable");
        return;
    }
    let actual = std::fs::read_to_string(&path).expect("docs/program-file.schema.json exists");
    assert!(
        actual == expected,
        "docs/program-file.schema.json is out of date: run `MACHI_UPDATE_SCHEMA=1 cargo test -p machi-programs --test program_file`"
    );
}

#[test]
fn every_shipped_program_reads_and_is_embedded() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(format!("{ROOT}/programs"))
        .expect("programs/ exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    let embedded: BTreeSet<String> = BUNDLED.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(embedded, on_disk, "build.rs embeds every file of programs/");
    let c = Catalogue::bundled().unwrap_or_else(|e| panic!("{e}"));
    let kinds: BTreeSet<&str> = c.iter().map(|p| p.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["donation-incentive", "levy-scheme", "subsidy"].into(),
        "one of each kind at least"
    );
    for p in c.iter() {
        assert!(
            p.name.en.is_some() && p.issuer.en.is_some(),
            "{}: English names",
            p.id
        );
        for s in &p.sources {
            assert!(
                s.title.en.is_some(),
                "{}: source {} has no English title",
                p.id,
                s.id
            );
        }
    }
}

/// Every program a shipped example links to (`funding.program`, and the
/// corporate hometown-tax donation) is a shipped program.
#[test]
fn the_examples_name_shipped_programs() {
    let c = Catalogue::bundled().unwrap_or_else(|e| panic!("{e}"));
    let mut linked = BTreeSet::new();
    for entry in std::fs::read_dir(format!("{ROOT}/examples")).expect("examples/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let p = Project::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for f in &p.funding {
            if let Some(id) = &f.program {
                assert!(
                    c.get(id).is_some(),
                    "{}: program {id} is not in programs/",
                    path.display()
                );
                linked.insert(id.clone());
            }
            if f.kind == FundingKind::Donation
                && f.donation_kind == Some(DonationKind::CorporateHometownTax)
            {
                assert!(c.get("corporate-hometown-tax").is_some());
                linked.insert("corporate-hometown-tax".to_owned());
            }
        }
    }
    assert!(
        linked.len() >= 4,
        "the examples use most programs: {linked:?}"
    );
}

/// The documentation names every rule, every sizing term and every kind.
#[test]
fn the_documentation_covers_the_vocabulary() {
    let doc = read("docs/program-file.md");
    for name in Test::NAMES {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/program-file.md does not document rule `{name}`"
        );
    }
    for term in [
        "subsidy",
        "cap_per_year",
        "cap_total",
        "max_consecutive_years",
        "eligible_expenses",
        "co_funding",
        "rounding",
    ] {
        assert!(
            doc.contains(&format!("`{term}`")),
            "docs/program-file.md does not document sizing term `{term}`"
        );
    }
    for kind in [
        ProgramKind::Subsidy,
        ProgramKind::DonationIncentive,
        ProgramKind::LevyScheme,
    ] {
        assert!(
            doc.contains(&format!("`{}`", kind.as_str())),
            "docs/program-file.md does not document kind {kind:?}"
        );
    }
}

/// A small valid program; each case below changes one thing in it.
const VALID: &str = r#"schema_version = 1
id = "mini"
kind = "subsidy"
name = { ja = "小さな補助", en = "A small grant" }
issuer = { ja = "試験庁" }
fiscal_year = "R7"

[[themes]]
id = "safety-and-security"
name = { ja = "安心・安全" }
source = { doc = "call" }

[[rules]]
rule = "located-in"
prefectures = [13]
source = { doc = "call", section = "対象" }

[[rules]]
rule = "themes-any"
themes = ["safety-and-security"]
advisory = true
source = { doc = "call" }

[sizing.subsidy]
method = "rate"
rate = "1/2"
source = { doc = "call" }

[sizing.eligible_expenses]
categories = ["equipment", "software"]
source = { doc = "call" }

[[sources]]
id = "call"
title = { ja = "公募要領" }
date = 2025-04-01
"#;

struct Case {
    mistake: &'static str,
    from: &'static str,
    to: &'static str,
    code: &'static str,
    path: &'static str,
    /// The line the error points at.
    line: usize,
}

const CASES: &[Case] = &[
    Case {
        mistake: "misspelt key in a rule",
        from: "prefectures = [13]",
        to: "prefecturs = [13]",
        code: "unknown-field",
        path: "rules[0].prefecturs",
        line: 13,
    },
    Case {
        mistake: "unknown rule",
        from: "rule = \"located-in\"",
        to: "rule = \"located-on\"",
        code: "unknown-value",
        path: "rules[0]",
        line: 13,
    },
    Case {
        mistake: "a source that is not declared",
        from: "source = { doc = \"call\", section = \"対象\" }",
        to: "source = { doc = \"cal\", section = \"対象\" }",
        code: "unknown-source",
        path: "rules[0].source.doc",
        line: 16,
    },
    Case {
        mistake: "a rate above 100 %",
        from: "rate = \"1/2\"",
        to: "rate = \"3/2\"",
        code: "share-range",
        path: "sizing.subsidy.rate",
        line: 26,
    },
    Case {
        mistake: "a fixed amount without a cap",
        from: "method = \"rate\"\nrate = \"1/2\"",
        to: "method = \"fixed-amount\"",
        code: "fixed-amount-without-cap",
        path: "sizing.cap_per_year",
        line: 24,
    },
    Case {
        mistake: "a revenue category as an expense",
        from: "categories = [\"equipment\", \"software\"]",
        to: "categories = [\"equipment\", \"user-fees\"]",
        code: "not-a-cost-category",
        path: "sizing.eligible_expenses.categories[1]",
        line: 30,
    },
    Case {
        mistake: "an id that is not the file name",
        from: "id = \"mini\"",
        to: "id = \"mini-grant\"",
        code: "id-file-mismatch",
        path: "id",
        line: 2,
    },
    Case {
        mistake: "a theme that is not declared",
        from: "themes = [\"safety-and-security\"]",
        to: "themes = [\"safety\"]",
        code: "unknown-theme",
        path: "rules[1].themes[0]",
        line: 20,
    },
    Case {
        mistake: "a prefecture number out of range",
        from: "prefectures = [13]",
        to: "prefectures = [48]",
        code: "prefecture-range",
        path: "rules[0].prefectures[0]",
        line: 15,
    },
    Case {
        mistake: "an impossible date",
        from: "date = 2025-04-01",
        to: "date = \"2025-02-30\"",
        code: "invalid-date",
        path: "sources[0]",
        line: 36,
    },
    Case {
        mistake: "a source nobody cites",
        from: "date = 2025-04-01\n",
        to: "date = 2025-04-01\n\n[[sources]]\nid = \"old\"\ntitle = { ja = \"旧要領\" }\n",
        code: "unused-source",
        path: "sources[1].id",
        line: 39,
    },
    Case {
        mistake: "a subsidy without eligible expenses",
        from: "[sizing.eligible_expenses]\ncategories = [\"equipment\", \"software\"]\nsource = { doc = \"call\" }\n",
        to: "",
        code: "sizing-term-missing",
        path: "sizing.eligible_expenses",
        line: 24,
    },
];

#[test]
fn the_small_program_is_valid() {
    let p = parse_file("mini.toml", VALID)
        .unwrap_or_else(|e| panic!("the base of the cases must be valid: {e:?}"));
    assert_eq!(
        p.sources[0].date.map(|d| d.to_string()).as_deref(),
        Some("2025-04-01")
    );
}

#[test]
fn each_mistake_gives_one_error_with_code_path_and_line() {
    for case in CASES {
        assert_eq!(
            VALID.matches(case.from).count(),
            1,
            "{}: `from` must occur once",
            case.mistake
        );
        let text = VALID.replacen(case.from, case.to, 1);
        let errors = match parse_file("mini.toml", &text) {
            Ok(_) => panic!("{}: accepted", case.mistake),
            Err(e) => {
                assert_eq!(e.file, "mini.toml");
                e.errors
            }
        };
        assert_eq!(errors.len(), 1, "{}: {errors:?}", case.mistake);
        let e = &errors[0];
        assert_eq!(
            (e.code, e.path.as_str()),
            (case.code, case.path),
            "{}: {e:?}",
            case.mistake
        );
        assert_eq!(e.line, Some(case.line), "{}: {e:?}", case.mistake);
    }
}

#[test]
fn two_files_with_one_id_are_refused() {
    let mut c = Catalogue::default();
    let err = c
        .add_files([("a/mini.toml", VALID), ("b/mini.toml", VALID)])
        .expect_err("a duplicate");
    assert_eq!(err.0[0].file, "b/mini.toml");
    assert_eq!(err.0[0].errors[0].code, "duplicate-program");
    assert!(c.is_empty(), "nothing is added when a file fails");
    // A file replaces a shipped program with the same id.
    let mut c = Catalogue::bundled().unwrap_or_else(|e| panic!("{e}"));
    let n = c.len();
    let tokyo = BUNDLED
        .iter()
        .find(|(n, _)| n.starts_with("tokyo"))
        .expect("Tokyo is shipped")
        .1;
    let changed = tokyo.replacen("amount = \"2,000万円\"", "amount = \"1,000万円\"", 1);
    c.add_files([(
        "override/tokyo-smart-tokyo-local-issues.toml",
        changed.as_str(),
    )])
    .expect("reads");
    assert_eq!(c.len(), n);
    let cap = c
        .get("tokyo-smart-tokyo-local-issues")
        .and_then(|p| p.sizing.cap_per_year.as_ref())
        .map(|t| t.amount);
    assert_eq!(cap, Some(machi_domain::Yen(10_000_000)));
}
