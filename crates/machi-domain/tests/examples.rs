//! The project-file format, tested through its published artefacts: the
//! example files in `examples/`, the JSON Schema in
//! `docs/project-file.schema.json`, and the errors a person gets for the
//! usual mistakes.
//!
//! The schema file is generated. When the model changes, regenerate it with
//!
//! ```sh
//! MACHI_UPDATE_SCHEMA=1 cargo test -p machi-domain --test examples
//! ```
//!
//! and commit the file together with the change (and update
//! `docs/project-file.md`). Without the variable the test only compares.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use machi_domain::Project;
use machi_domain::project::{FundingKind, Generator, json_schema};

const EXAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
const SCHEMA_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/project-file.schema.json"
);

/// Every `examples/*.toml`, sorted by name, with its text.
fn example_files() -> Vec<(PathBuf, String)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(EXAMPLES_DIR)
        .expect("the examples directory exists at the workspace root")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("an example file is readable UTF-8");
            (p, text)
        })
        .collect()
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn parse(path: &Path, text: &str) -> Project {
    Project::from_toml_str(text)
        .unwrap_or_else(|e| panic!("{} does not validate:\n{e}", name(path)))
}

#[test]
fn every_example_parses_and_validates() {
    let files = example_files();
    assert!(
        files.len() >= 3,
        "expected at least 3 examples in {EXAMPLES_DIR}, found {}",
        files.len()
    );
    for (path, text) in &files {
        let p = parse(path, text);
        // The examples exist to show multi-year plans and the funding cliff:
        // 10–20 fiscal years, at least one subsidy, names in both languages.
        let years = p.horizon.len();
        assert!(
            (10..=20).contains(&years),
            "{}: horizon of {years} fiscal years",
            name(path)
        );
        assert!(
            p.funding.iter().any(|f| f.kind == FundingKind::Subsidy),
            "{}: no subsidy",
            name(path)
        );
        assert!(p.project.summary.is_some(), "{}: no summary", name(path));
        let texts = [&p.project.name, &p.project.municipality.name]
            .into_iter()
            .chain(p.members.iter().map(|m| &m.name))
            .chain(p.line_items.iter().map(|l| &l.name))
            .chain(p.funding.iter().map(|f| &f.name));
        for t in texts {
            assert!(
                t.en.as_deref().is_some_and(|en| !en.trim().is_empty()),
                "{}: no English for {:?}",
                name(path),
                t.ja
            );
        }
    }
}

#[test]
fn the_examples_use_every_generator_type() {
    let mut used = BTreeSet::new();
    for (path, text) in example_files() {
        let p = parse(&path, &text);
        let generators = p
            .line_items
            .iter()
            .filter_map(|l| l.generator.as_ref())
            .chain(p.funding.iter().filter_map(|f| f.generator.as_ref()));
        for g in generators {
            used.insert(match g {
                Generator::Constant { .. } => "constant",
                Generator::Growth { .. } => "growth",
                Generator::Ramp { .. } => "ramp",
                Generator::OneOff { .. } => "one-off",
                Generator::Step { .. } => "step",
                Generator::Escalation { .. } => "escalation",
            });
        }
    }
    let all: BTreeSet<&str> = [
        "constant",
        "growth",
        "ramp",
        "one-off",
        "step",
        "escalation",
    ]
    .into();
    assert_eq!(
        used, all,
        "docs/project-file.md points to the examples for each generator"
    );
}

/// The promise of `project.rs`: one model, two notations. Whatever a TOML
/// file says, its JSON form says the same.
#[test]
fn every_example_round_trips_through_json() {
    for (path, text) in example_files() {
        let p = parse(&path, &text);
        let json = serde_json::to_string_pretty(&p).expect("a project serialises to JSON");
        let back = Project::from_json_str(&json)
            .unwrap_or_else(|e| panic!("{} as JSON does not read back:\n{e}\n{json}", name(&path)));
        assert_eq!(
            back,
            p,
            "{}: the JSON form differs from the TOML form",
            name(&path)
        );
    }
}

#[test]
fn the_schema_file_is_up_to_date() {
    let expected =
        serde_json::to_string_pretty(&json_schema()).expect("the schema serialises") + "\n";
    if std::env::var("MACHI_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(SCHEMA_FILE, &expected).expect("docs/project-file.schema.json is writable");
        return;
    }
    let actual =
        std::fs::read_to_string(SCHEMA_FILE).expect("docs/project-file.schema.json exists");
    assert!(
        actual == expected,
        "docs/project-file.schema.json is out of date: run `MACHI_UPDATE_SCHEMA=1 cargo test -p machi-domain --test examples`"
    );
}

/// A small valid project; each case below changes one thing in it.
const VALID: &str = r#"
[project]
id = "mini"
name = { ja = "小さな例", en = "A small example" }
category = "problem-solving"
site = "brownfield"

[project.municipality]
name = { ja = "千代田区", en = "Chiyoda City" }
code = "131016"

[horizon]
first = "FY2025"
last = "令和11年度"

[finance]
discount_rate = "4%"

[[members]]
id = "city"
name = { ja = "千代田区" }
kind = "municipality"
role = "representative"

[[members]]
id = "vendor"
name = { ja = "事業者" }
kind = "company"
role = "key"

[[line_items]]
id = "sensors"
kind = "capex"
category = "equipment"
name = { ja = "センサー" }
party = "city"
amounts = { FY2025 = "1,000万円" }

[[line_items]]
id = "fees"
kind = "revenue"
category = "user-fees"
name = { ja = "利用料" }
party = "vendor"
payer = "residents"
generator = { type = "constant", amount = 1_200_000, from = 2026 }

[[funding]]
id = "loan"
kind = "loan"
name = { ja = "借入" }
party = "vendor"
principal = 5_000_000
drawdown = 2025
rate = 0.015
tenor_years = 5
"#;

/// One mistake: replace `from` (which occurs exactly once) with `to`.
struct Case {
    mistake: &'static str,
    from: &'static str,
    to: &'static str,
    code: &'static str,
    path: &'static str,
    /// For parse errors: the error points at the line where `to` starts.
    parse_error: bool,
    /// An argument the message needs, and its value.
    arg: Option<(&'static str, &'static str)>,
}

const CASES: &[Case] = &[
    Case {
        mistake: "a NUL character in a name (PostgreSQL refuses it)",
        from: "name = { ja = \"センサー\" }",
        to: "name = { ja = \"セン\\u0000サー\" }",
        code: "control-character",
        path: "line_items[0].name.ja",
        parse_error: false,
        arg: Some(("char", "U+0000")),
    },
    Case {
        mistake: "a name longer than a name may be",
        from: "name = { ja = \"事業者\" }",
        to: "name = { ja = \"事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者事業者\" }",
        code: "text-too-long",
        path: "members[1].name.ja",
        parse_error: false,
        arg: Some(("max", "200")),
    },
    Case {
        mistake: "misspelt key",
        from: "amounts = { FY2025",
        to: "ammounts = { FY2025",
        code: "unknown-field",
        path: "line_items[0].ammounts",
        parse_error: true,
        arg: Some(("field", "ammounts")),
    },
    Case {
        mistake: "party that is not a member",
        from: "party = \"vendor\"\npayer",
        to: "party = \"consultant\"\npayer",
        code: "unknown-member",
        path: "line_items[1].party",
        parse_error: false,
        arg: Some(("id", "consultant")),
    },
    Case {
        mistake: "amount outside the horizon",
        from: "{ FY2025 = \"1,000万円\" }",
        to: "{ FY2025 = \"1,000万円\", FY2031 = 500_000 }",
        code: "outside-horizon",
        path: "line_items[0].amounts.FY2031",
        parse_error: false,
        arg: Some(("last", "FY2029")),
    },
    Case {
        // 千代田区 is 13101 + check digit 6 (6+15+4+0+2 = 27, 27 mod 11 = 5, 11 − 5 = 6).
        mistake: "wrong check digit in the local-government code",
        from: "code = \"131016\"",
        to: "code = \"131017\"",
        code: "local-gov-check-digit",
        path: "project.municipality",
        parse_error: true,
        arg: Some(("expected", "131016")),
    },
    Case {
        mistake: "negative amount",
        from: "amount = 1_200_000",
        to: "amount = -1_200_000",
        code: "negative-amount",
        path: "line_items[1].generator.amount",
        parse_error: false,
        arg: Some(("amount", "-¥1,200,000")),
    },
    Case {
        mistake: "loan without a rate",
        from: "rate = 0.015\n",
        to: "",
        code: "debt-field-missing",
        path: "funding[0].rate",
        parse_error: false,
        arg: Some(("kind", "loan")),
    },
    Case {
        mistake: "category that does not fit the kind",
        from: "category = \"user-fees\"",
        to: "category = \"equipment\"",
        code: "category-kind",
        path: "line_items[1].category",
        parse_error: false,
        arg: Some(("kind", "revenue")),
    },
    Case {
        mistake: "two representatives",
        from: "kind = \"company\"\nrole = \"key\"",
        to: "kind = \"company\"\nrole = \"representative\"",
        code: "representative-count",
        path: "members",
        parse_error: false,
        arg: Some(("count", "2")),
    },
    Case {
        mistake: "two-digit fiscal year",
        from: "first = \"FY2025\"",
        to: "first = \"FY24\"",
        code: "invalid-fiscal-year",
        path: "horizon",
        parse_error: true,
        arg: Some(("value", "FY24")),
    },
    Case {
        mistake: "the same fiscal year in two notations",
        from: "{ FY2025 = \"1,000万円\" }",
        to: "{ FY2025 = \"1,000万円\", \"令和7年度\" = 500_000 }",
        code: "duplicate-year",
        path: "line_items[0]",
        parse_error: true,
        arg: Some(("value", "FY2025")),
    },
    Case {
        mistake: "a discount rate written as a percentage number",
        from: "discount_rate = ",
        to: "discount_rate = 4 # ",
        code: "rate-range",
        path: "finance.discount_rate",
        parse_error: false,
        arg: Some(("value", "4")),
    },
];

#[test]
fn the_small_project_is_valid() {
    let p = Project::from_toml_str(VALID)
        .unwrap_or_else(|e| panic!("the base of the error cases must be valid:\n{e}"));
    assert_eq!(p.project.municipality.code.as_str(), "131016");
}

/// Tab and line feed are text; a narrative may be long, up to its limit.
#[test]
fn tabs_newlines_and_long_narratives_are_text() {
    let text = VALID.replacen(
        "name = { ja = \"センサー\" }",
        "name = { ja = \"セン\\tサー\\n二行目\" }",
        1,
    );
    Project::from_toml_str(&text).expect("tab and newline are accepted");
    let narrative = "あ".repeat(4_000);
    let text = format!("{VALID}\n[application]\nvision = {{ ja = \"{narrative}\" }}\n");
    Project::from_toml_str(&text).expect("a 4,000-character narrative is accepted");
    let text = format!("{VALID}\n[application]\nvision = {{ ja = \"{narrative}あ\" }}\n");
    let e = Project::from_toml_str(&text).expect_err("4,001 characters are not");
    assert_eq!(
        (e.0[0].code, e.0[0].path.as_str()),
        ("text-too-long", "application.vision.ja")
    );
}

#[test]
fn each_mistake_gives_one_error_with_code_and_path() {
    for case in CASES {
        assert_eq!(
            VALID.matches(case.from).count(),
            1,
            "{}: `from` must occur exactly once",
            case.mistake
        );
        let text = VALID.replacen(case.from, case.to, 1);
        let errors = match Project::from_toml_str(&text) {
            Ok(_) => panic!("{}: accepted", case.mistake),
            Err(e) => e.0,
        };
        assert_eq!(errors.len(), 1, "{}: {errors:?}", case.mistake);
        let e = &errors[0];
        assert_eq!(
            (e.code, e.path.as_str()),
            (case.code, case.path),
            "{}: {e:?}",
            case.mistake
        );
        if case.parse_error {
            let start = text.find(case.to).expect("the replacement is in the text");
            let line = text[..start].matches('\n').count() + 1;
            assert_eq!(e.line, Some(line), "{}: {e:?}", case.mistake);
            assert!(e.column.is_some(), "{}: no column", case.mistake);
        }
        if let Some((arg, value)) = case.arg {
            assert_eq!(e.get(arg), Some(value), "{}: {e:?}", case.mistake);
        }
    }
}
