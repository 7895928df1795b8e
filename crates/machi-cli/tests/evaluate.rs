//! `machi evaluate` run as a user would: on the shipped examples, in both
//! languages and every format, and on broken files.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

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

#[test]
fn every_example_evaluates_to_json_with_every_metric() {
    let all = examples();
    assert!(all.len() >= 3, "at least three examples");
    for path in all {
        let o = machi(&[
            "evaluate",
            path.to_str().expect("utf-8 path"),
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("valid JSON");
        let m = &v["metrics"];
        for key in [
            "npv",
            "municipal_npv",
            "irr_roots",
            "irr",
            "mirr",
            "payback_years",
            "discounted_payback_years",
            "min_dscr",
            "llcr",
            "benefit_cost_ratio",
            "funding_gap_rate",
            "funding_gap_dic",
            "funding_gap_dnr",
            "min_self_sufficiency",
        ] {
            assert!(
                m.get(key).is_some(),
                "{}: metrics.{key} missing",
                path.display()
            );
        }
        let statement = v["statement"].as_array().expect("statement");
        assert!(
            statement.len() >= 10,
            "{}: 10+ fiscal years",
            path.display()
        );
        for row in statement {
            assert_eq!(
                row["sources"],
                row["uses"],
                "{}: sources = uses",
                path.display()
            );
            assert!(row["net_cash_flow"].is_i64(), "money is integer yen");
        }
        assert!(v["cliff"].get("last_subsidy_year").is_some());
        assert!(v["break_even"].is_array());
    }
}

#[test]
fn the_table_reads_in_japanese_and_english() {
    let path = examples().into_iter().next().expect("an example");
    let p = path.to_str().expect("utf-8");
    let ja = machi(&["evaluate", p]);
    assert!(ja.status.success(), "{}", stderr(&ja));
    let ja = stdout(&ja);
    for s in [
        "評価指標",
        "年度別収支",
        "令和",
        "正味現在価値",
        "資金の崖",
        "単位：千円",
    ] {
        assert!(ja.contains(s), "Japanese table lacks {s}:\n{ja}");
    }
    let en = machi(&["evaluate", p, "--lang", "en"]);
    let en = stdout(&en);
    for s in [
        "Metrics",
        "Statement by fiscal year",
        "FY20",
        "NPV (whole project)",
        "Funding cliff",
    ] {
        assert!(en.contains(s), "English table lacks {s}:\n{en}");
    }
    assert!(
        !en.contains("令和"),
        "English table shows Japanese fiscal years"
    );
    assert!(!ja.contains("⟦missing message⟧") && !en.contains("⟦missing message⟧"));
}

#[test]
fn csv_and_xlsx_are_written() {
    let path = examples().into_iter().next().expect("an example");
    let p = path.to_str().expect("utf-8");
    let csv = machi(&["evaluate", p, "--format", "csv", "--lang", "en"]);
    assert!(csv.status.success());
    let text = stdout(&csv);
    assert!(text.starts_with("\u{feff}Fiscal year,"), "{text}");
    assert!(text.lines().count() >= 11);

    let dir = std::env::temp_dir().join(format!("machi-xlsx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("model.xlsx");
    let o = machi(&[
        "evaluate",
        p,
        "--format",
        "xlsx",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&out).expect("written");
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip file");
    let o = machi(&["evaluate", p, "--format", "xlsx"]);
    assert_eq!(o.status.code(), Some(2), "XLSX to a terminal is refused");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_bad_file_names_the_field_and_line_in_the_chosen_language() {
    let dir = std::env::temp_dir().join(format!("machi-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good =
        std::fs::read_to_string(examples().into_iter().next().expect("an example")).expect("read");

    // A misspelt key: a parse error with a line number.
    let bad = dir.join("typo.toml");
    std::fs::write(&bad, good.replacen("discount_rate", "discount_rat", 1)).expect("write");
    let o = machi(&["evaluate", bad.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("discount_rat") && err.contains("行目") && err.contains("綴り"),
        "{err}"
    );
    let o = machi(&["evaluate", bad.to_str().expect("utf-8"), "--lang", "en"]);
    let err = stderr(&o);
    assert!(
        err.contains("(line ") && err.contains("check the spelling"),
        "{err}"
    );

    // A semantic error: a fiscal year outside the horizon, named by path.
    let bad = dir.join("horizon.toml");
    let shifted = good.replacen("[horizon]", "[horizon]\n# shortened by the test", 1);
    let text = shifted
        .lines()
        .map(|l| {
            if l.starts_with("last =") {
                "last = \"FY2000\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&bad, text).expect("write");
    let o = machi(&["evaluate", bad.to_str().expect("utf-8"), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("horizon.last") && err.contains("comes before its first year"),
        "{err}"
    );

    // A missing file.
    let o = machi(&["evaluate", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("読めません"));
    assert!(!stderr(&o).contains("panicked"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Errors in plain words (issue 15 item 11): the duplicated key is named,
/// a Shift_JIS file is told so in the user's language, a JSON error names
/// its field and the kinds in words, and a byte-order mark is no error.
#[test]
fn errors_name_the_key_the_field_and_the_encoding() {
    let dir = tempfile::tempdir().expect("dir");
    let kurume =
        std::fs::read_to_string(root().join("examples/kurume-flood-ai.toml")).expect("example");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p.to_string_lossy().into_owned()
    };
    let dup = write(
        "dup.toml",
        kurume
            .replacen("[project]\n", "[project]\nid = \"x\"\n", 1)
            .as_bytes(),
    );
    let o = machi(&["evaluate", &dup, "--lang", "ja"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("キー「id」が2回"), "{}", stderr(&o));

    // 久留米市 in Shift_JIS (CP932).
    let sjis = write(
        "sjis.toml",
        b"[project]\nid = \"x\"\nname = { ja = \"\x8b\x76\x97\xaf\x95\xc4\x8e\x73\" }\n",
    );
    let o = machi(&["evaluate", &sjis, "--lang", "ja"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("UTF-8 のテキストではありません"),
        "{}",
        stderr(&o)
    );
    assert!(
        !stderr(&o).contains("stream did not contain"),
        "{}",
        stderr(&o)
    );

    let bad = write(
        "bad.json",
        br#"{"schema_version":1,"project":{"id":"x","name":{"ja":1}}}"#,
    );
    let o = machi(&["evaluate", &bad, "--lang", "en"]);
    assert!(
        stderr(&o).contains("project.name.ja (line 1): Found a number (1) where text belongs."),
        "{}",
        stderr(&o)
    );

    let mut with_bom = "\u{feff}".as_bytes().to_vec();
    with_bom.extend_from_slice(kurume.as_bytes());
    let bom = write("bom.toml", &with_bom);
    assert_eq!(machi(&["evaluate", &bom]).status.code(), Some(0));
}
