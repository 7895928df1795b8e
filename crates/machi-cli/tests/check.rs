//! `machi check` run as a user would: the shipped examples against the
//! shipped programs, in both languages and both formats, exit statuses,
//! broken input and `--programs-dir`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
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

fn code(o: &Output) -> i32 {
    o.status.code().expect("an exit status")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", stdout(o)))
}

/// A scratch directory for this test (removed first if left over).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("machi-check-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writable");
    path.display().to_string()
}

const MLIT: &str = "mlit-smart-city-implementation";
const TOKYO: &str = "tokyo-smart-tokyo-local-issues";

#[test]
fn kurume_is_eligible_for_the_mlit_normal_type() {
    let o = machi(&[
        "check",
        &example("kurume-flood-ai.toml"),
        "--program",
        MLIT,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["verdict"], "eligible");
    let types = v["types"].as_array().expect("types");
    assert_eq!(types.len(), 2, "without :TYPE both types are checked");
    assert_eq!(types[0]["type_id"], "normal");
    assert_eq!(types[0]["verdict"], "eligible");
    // FY2025: ¥63.3M of costs, capped at ¥20M; FY2026 the same.
    let years = &types[0]["sizing"]["years"];
    assert_eq!(years[0]["amount"], 20_000_000);
    assert_eq!(years[0]["binding"], "cap-per-year");
    assert_eq!(years[0]["explanation"][0]["code"], "binding-cap-per-year");
    assert_eq!(types[0]["sizing"]["total"], 40_000_000);
    // The urban-service type fails: implemented in FY2027, after FY2026.
    assert_eq!(types[1]["verdict"], "not-eligible");
    let late = types[1]["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["rule"] == "implemented-by")
        .expect("implemented-by");
    assert_eq!(late["status"], "fail");
    assert_eq!(
        late["reason"]["message"],
        "令和9年度に実装で、期限 令和8年度 を過ぎます"
    );
    assert_eq!(late["source"]["section"], "補助要件等 支援条件③");
}

#[test]
fn the_urban_service_type_alone_is_not_eligible() {
    let o = machi(&[
        "check",
        &example("kurume-flood-ai.toml"),
        "--program",
        &format!("{MLIT}:urban-service"),
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Verdict: not eligible"), "{out}");
    assert!(
        out.contains("implemented in FY2027, after the deadline FY2026"),
        "{out}"
    );
    assert!(
        out.contains("nothing: the project is not eligible"),
        "{out}"
    );
}

#[test]
fn kurume_is_not_in_tokyo() {
    let o = machi(&[
        "check",
        &example("kurume-flood-ai.toml"),
        "--program",
        TOKYO,
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Kurume City is in Fukuoka, not in Tokyo"),
        "{}",
        stdout(&o)
    );
    let o = machi(&[
        "check",
        &example("kurume-flood-ai.toml"),
        "--program",
        TOKYO,
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("久留米市は福岡県にあり、東京都ではありません"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_missing_execution_plan_url_needs_information() {
    let dir = scratch("no-url");
    let text = std::fs::read_to_string(example("kurume-flood-ai.toml")).expect("example");
    let line = text
        .lines()
        .find(|l| l.starts_with("execution_plan_url"))
        .expect("the example has the URL");
    let path = write(&dir, "kurume.toml", &text.replacen(line, "", 1));
    let o = machi(&[
        "check",
        &path,
        "--program",
        &format!("{MLIT}:normal"),
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Verdict: information missing"), "{out}");
    assert!(
        out.contains("consortium.execution_plan_url is not given"),
        "{out}"
    );
    // Sizing still shows what the rules allow once the URL is given.
    assert!(
        out.contains("¥20,000,000: capped by the per-year limit ¥20,000,000"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hino_gets_half_its_eligible_expenses_for_three_years() {
    let o = machi(&[
        "check",
        &example("hino-mimamori.toml"),
        "--program",
        TOKYO,
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    // FY2025: 50 % × ¥39,880,000 = ¥19,940,000 (< ¥20M); the plan asks ¥17,940,000.
    assert!(out.contains("¥19,940,000: 50% of the eligible expenses ¥39,880,000; the per-year limit is ¥20,000,000"), "{out}");
    assert!(
        out.contains("FY2028–FY2036  nothing: beyond 3 consecutive fiscal year(s) from FY2025"),
        "{out}"
    );
    assert!(
        out.contains("Total ¥44,900,000 (planned ¥38,900,000)"),
        "{out}"
    );
}

#[test]
fn the_cap_is_explained_with_the_rate_it_overrides() {
    let dir = scratch("cap");
    let text = r#"
[project]
id = "cap"
name = { ja = "上限の例", en = "Cap example" }
municipality = { name = { ja = "千代田区", en = "Chiyoda City" }, code = "131016" }
category = "problem-solving"
site = "brownfield"
[horizon]
first = 2025
last = 2028
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
[[line_items]]
id = "sensors"
kind = "capex"
category = "equipment"
name = { ja = "センサー" }
party = "city"
amounts = { FY2025 = 50_000_000, FY2026 = 30_000_000, FY2027 = 10_000_000, FY2028 = 10_000_000 }
"#;
    let path = write(&dir, "cap.toml", text);
    let o = machi(&["check", &path, "--program", TOKYO, "--lang", "en"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("¥20,000,000: capped by the per-year limit ¥20,000,000; the 50% rate would give ¥25,000,000"),
        "{out}"
    );
    assert!(
        out.contains("¥15,000,000: 50% of the eligible expenses ¥30,000,000"),
        "{out}"
    );
    assert!(
        out.contains("FY2028")
            && out.contains("nothing: beyond 3 consecutive fiscal year(s) from FY2025"),
        "{out}"
    );
    let ja = stdout(&machi(&["check", &path, "--program", TOKYO]));
    assert!(
        ja.contains("¥20,000,000: 年度上限 ¥20,000,000 で頭打ち；補助率50%なら ¥25,000,000"),
        "{ja}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_example_against_every_program_gives_a_verdict_in_both_languages() {
    let programs = [
        "area-management-levy",
        "corporate-hometown-tax",
        "mic-smart-city-data-linkage",
        MLIT,
        TOKYO,
    ];
    for entry in std::fs::read_dir(root().join("examples")).expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let path = path.display().to_string();
        for program in programs {
            for lang in ["ja", "en"] {
                let o = machi(&["check", &path, "--program", program, "--lang", lang]);
                assert!(
                    [0, 1, 3].contains(&code(&o)),
                    "{path} {program}: {}",
                    stderr(&o)
                );
                assert!(
                    !stdout(&o).contains("⟦missing message⟧"),
                    "{path} {program} {lang}:\n{}",
                    stdout(&o)
                );
                let o = machi(&[
                    "check",
                    &path,
                    "--program",
                    program,
                    "--lang",
                    lang,
                    "--format",
                    "json",
                ]);
                let v = json(&o);
                let expected = match v["verdict"].as_str() {
                    Some("eligible") => 0,
                    Some("not-eligible") => 1,
                    Some("needs-information") => 3,
                    other => panic!("{other:?}"),
                };
                assert_eq!(code(&o), expected, "{path} {program}");
                for t in v["types"].as_array().expect("types") {
                    for outcome in t["outcomes"].as_array().expect("outcomes") {
                        let m = outcome["reason"]["message"].as_str().expect("a message");
                        assert!(
                            !m.is_empty() && !m.contains("⟦"),
                            "{path} {program}: {outcome}"
                        );
                        assert!(
                            outcome["source"]["title"]["ja"].is_string(),
                            "every rule has its source"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_expected_verdicts_of_the_examples() {
    // (example, program, exit status): what the examples' [consortium]
    // sections were written to show.
    let cases = [
        (
            "kashiwanoha-area-services.toml",
            "mlit-smart-city-implementation:urban-service",
            0,
        ),
        (
            "kashiwanoha-area-services.toml",
            "corporate-hometown-tax",
            0,
        ),
        ("kashiwanoha-area-services.toml", "area-management-levy", 0),
        ("kashiwanoha-area-services.toml", TOKYO, 1),
        ("sano-urban-os.toml", "mic-smart-city-data-linkage", 0),
        ("sano-urban-os.toml", MLIT, 3),
        ("hino-mimamori.toml", "area-management-levy", 1),
    ];
    for (file, program, expected) in cases {
        let o = machi(&["check", &example(file), "--program", program]);
        assert_eq!(
            code(&o),
            expected,
            "{file} {program}:\n{}{}",
            stdout(&o),
            stderr(&o)
        );
    }
}

#[test]
fn bad_input_exits_with_2_and_a_translated_message() {
    let kurume = example("kurume-flood-ai.toml");
    let o = machi(&[
        "check",
        &kurume,
        "--program",
        "no-such-program",
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("There is no program \"no-such-program\""),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(MLIT), "the known programs are listed");
    let o = machi(&[
        "check",
        &kurume,
        "--program",
        &format!("{MLIT}:special"),
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("has no type \"special\". Types: normal, urban-service"),
        "{}",
        stderr(&o)
    );
    let o = machi(&["check", &kurume, "--program", &format!("{MLIT}:")]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("ID または ID:TYPE"), "{}", stderr(&o));
    let o = machi(&["check", "no-such-file.toml", "--program", MLIT]);
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).is_empty());
}

#[test]
fn programs_dir_overrides_and_reports_broken_files() {
    let dir = scratch("programs-dir");
    let shipped = std::fs::read_to_string(root().join("programs").join(format!("{TOKYO}.toml")))
        .expect("shipped");
    write(
        &dir,
        &format!("{TOKYO}.toml"),
        &shipped.replacen("amount = \"2,000万円\"", "amount = \"1,000万円\"", 1),
    );
    let dir_s = dir.display().to_string();
    let o = machi(&[
        "check",
        &example("hino-mimamori.toml"),
        "--program",
        TOKYO,
        "--programs-dir",
        &dir_s,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(
        v["types"][0]["sizing"]["years"][0]["amount"], 10_000_000,
        "the override's cap applies"
    );
    assert_eq!(
        v["types"][0]["sizing"]["years"][0]["binding"],
        "cap-per-year"
    );

    // A broken file: the message names the file, the field and the line.
    let broken = shipped.replacen(
        "prefectures = [13]",
        "prefectures = [13]\nprefecturs = [14]",
        1,
    );
    write(
        &dir,
        "broken.toml",
        &broken.replacen(&format!("id = \"{TOKYO}\""), "id = \"broken\"", 1),
    );
    let o = machi(&[
        "check",
        &example("hino-mimamori.toml"),
        "--program",
        TOKYO,
        "--programs-dir",
        &dir_s,
        "--lang",
        "en",
    ]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("broken.toml has 1 problem(s)"), "{err}");
    assert!(err.contains("rules[0].prefecturs (line 18)"), "{err}");
    assert!(err.contains("There is no field \"prefecturs\""), "{err}");
    let o = machi(&[
        "check",
        &example("hino-mimamori.toml"),
        "--program",
        TOKYO,
        "--programs-dir",
        "/no/such/dir",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("/no/such/dir"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(dir);
}
