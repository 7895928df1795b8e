//! `machi calc` end to end: the real binary, its output and exit codes.

use std::process::{Command, Output};

use serde_json::Value;

fn machi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_machi"))
        .arg("calc")
        .args(args)
        .output()
        .expect("the machi binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Run with `--format json`, expect exit 0 and one JSON object.
fn json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = machi(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).expect("stdout is one JSON object")
}

fn value(json: &Value) -> f64 {
    json["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("no value in {json}"))
}

#[test]
fn json_values_match_the_reference_examples() {
    // (args, expected, tolerance, source)
    let cases: &[(&[&str], f64, f64, &str)] = &[
        (
            &[
                "npv",
                "--rate",
                "0.08",
                "--values=-40000,5000,8000,12000,30000",
            ],
            3065.2227,
            5e-5,
            "REFERENCE t=0",
        ),
        (
            &[
                "npv",
                "--rate",
                "8%",
                "--values",
                "-40000,5000,8000,12000,30000",
                "--timing",
                "end",
            ],
            2838.1691,
            5e-5,
            "REFERENCE Excel",
        ),
        (
            &["irr", "--values=-70000,12000,15000,18000,21000,26000"],
            0.087,
            5e-4,
            "Excel IRR",
        ),
        (
            &[
                "mirr",
                "--values=-120000,39000,30000,21000,37000,46000",
                "--finance-rate",
                "0.1",
                "--reinvest-rate",
                "0.12",
            ],
            0.126094130365905,
            1e-12,
            "numpy-financial",
        ),
        (
            &[
                "xnpv",
                "--rate",
                "0.09",
                "--values=-10000,2750,4250,3250,2750",
                "--dates=2008-01-01,2008-03-01,2008-10-30,2009-02-15,2009-04-01",
            ],
            2086.6476,
            5e-5,
            "Excel XNPV",
        ),
        (
            &[
                "xirr",
                "--values=-10000,2750,4250,3250,2750",
                "--dates=2008-01-01,2008-03-01,2008-10-30,2009-02-15,2009-04-01",
            ],
            0.373362535,
            5e-9,
            "Excel XIRR",
        ),
        (
            &[
                "pmt",
                "--rate",
                "0.0066666666666667",
                "--nper",
                "10",
                "--pv",
                "10000",
                "--when",
                "begin",
            ],
            -1030.16,
            0.005,
            "Excel PMT",
        ),
        (
            &[
                "ipmt",
                "--rate",
                "0.1479",
                "--per",
                "297",
                "--nper",
                "300",
                "--pv=-270.51",
            ],
            16.9656277018672,
            1e-9,
            "numpy-financial #35",
        ),
        (
            &[
                "ppmt",
                "--rate",
                "0.0083333333333333",
                "--per",
                "1",
                "--nper",
                "60",
                "--pv",
                "55000",
                "--when",
                "begin",
            ],
            -1158.929712,
            5e-6,
            "numpy-financial PPMT",
        ),
        (
            &[
                "nper", "--rate", "0.01", "--pmt", "-100", "--pv", "-1000", "--fv", "10000",
                "--when", "begin",
            ],
            59.6738657,
            5e-8,
            "Excel NPER",
        ),
        (
            &["rate", "--nper", "48", "--pmt", "-200", "--pv", "8000"],
            0.0077014725,
            5e-11,
            "Excel RATE",
        ),
        (
            &[
                "fv", "--rate", "0.005", "--nper", "10", "--pmt", "-200", "--pv", "-500", "--when",
                "begin",
            ],
            2581.40,
            0.005,
            "Excel FV",
        ),
        (
            &["pv", "--rate", "0.07", "--nper", "20", "--pmt", "12000"],
            -127128.17,
            0.005,
            "numpy-financial PV",
        ),
    ];
    for (args, expected, tolerance, source) in cases {
        let out = json(args);
        assert_eq!(out["function"], args[0], "{source}");
        let got = value(&out);
        assert!(
            (got - expected).abs() <= *tolerance,
            "{source}: {got} vs {expected}"
        );
        assert!(
            out.get("error").is_none() && out.get("roots").is_none(),
            "{source}: {out}"
        );
    }
}

#[test]
fn irr_all_lists_every_root_in_json_and_text() {
    let out = json(&["irr", "--values=-100,100,0,-7", "--all"]);
    let roots: Vec<f64> = out["roots"]
        .as_array()
        .expect("roots is an array")
        .iter()
        .map(|r| r.as_f64().expect("each root is a number"))
        .collect();
    assert_eq!(roots.len(), 2, "{out}");
    assert!((roots[0] + 0.6788943736).abs() < 1e-9 && (roots[1] + 0.0832996662).abs() < 1e-9);
    // The default guess 0.1 is nearer −0.0833; a guess of −0.5 picks −0.679.
    assert_eq!(value(&out), roots[1]);
    let out = json(&["irr", "--values=-100,100,0,-7", "--all", "--guess=-0.5"]);
    assert_eq!(value(&out), out["roots"][0].as_f64().expect("first root"));

    let output = machi(&["irr", "--values=-100,100,0,-7", "--all", "--lang", "en"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert_eq!(
        text,
        "Internal rate of return (IRR): -0.0832996662 (-8.3300%)\n\
         Rates above -100% at which the net present value is zero: 2\n  \
         -0.6788943736 (-67.8894%)\n  \
         -0.0832996662 (-8.3300%)  ← chosen (nearest to the guess 0.1)\n"
    );
}

#[test]
fn text_output_is_japanese_by_default() {
    let output = machi(&[
        "npv",
        "--rate",
        "0.08",
        "--values=-40000,5000,8000,12000,30000",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "正味現在価値 (NPV): 3065.2226681795\n");
}

#[test]
fn an_undefined_result_is_null_with_a_code_and_exit_zero() {
    let out = json(&["irr", "--values=1,2,3"]);
    assert_eq!(out["value"], Value::Null);
    assert_eq!(out["error"]["code"], "same-sign-flows");
    assert_eq!(
        out["error"]["message"],
        "キャッシュフローには正の値と負の値が少なくとも 1 つずつ必要です。"
    );
    let out = json(&["irr", "--values=-1,1,-1", "--all", "--lang", "en"]);
    assert_eq!(out["value"], Value::Null);
    assert_eq!(out["roots"], serde_json::json!([]));
    assert_eq!(out["error"]["code"], "no-root");
    let out = json(&[
        "ipmt", "--rate", "0.1", "--per", "4", "--nper", "3", "--pv", "8000", "--lang", "en",
    ]);
    assert_eq!(out["error"]["code"], "period-out-of-range");
    assert_eq!(out["error"]["message"], "Period 4 is outside 1 to 3.");
    let out = json(&["npv", "--rate=-1", "--values=1,2", "--lang", "en"]);
    assert_eq!(out["error"]["code"], "invalid-input");
    assert_eq!(
        out["error"]["message"],
        "Invalid value for --rate: it must be greater than -1 (-100%)."
    );

    let output = machi(&["irr", "--values=1,2,3", "--lang", "en"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "Internal rate of return (IRR): no value — The cash flows need at least one positive and one negative value.\n"
    );
}

#[test]
fn unreadable_input_exits_two_with_a_message_in_the_chosen_language() {
    // (args, expected first line of stderr)
    let cases: &[(&[&str], &str)] = &[
        (
            &["pmt", "--rate", "abc", "--nper", "3", "--pv", "1"],
            "--rate の値「abc」を数値として読めません。",
        ),
        (
            &[
                "pmt", "--rate", "abc", "--nper", "3", "--pv", "1", "--lang", "en",
            ],
            "Cannot read the value \"abc\" of --rate as a number.",
        ),
        (
            &["pmt", "--rate", "0.1", "--pv", "1", "--lang", "en"],
            "pmt needs --nper.",
        ),
        (
            &[
                "npv",
                "--rate",
                "0.1",
                "--values=1,2",
                "--when",
                "end",
                "--lang",
                "en",
            ],
            "--when is not used by npv.",
        ),
        (
            &[
                "xirr",
                "--values=-1,2",
                "--dates=2024-04-01,2024-13-01",
                "--lang",
                "en",
            ],
            "Cannot read the value \"2024-13-01\" of --dates as a date (YYYY-MM-DD, e.g. 2024-04-01).",
        ),
        (
            &[
                "npv",
                "--rate",
                "0.1",
                "--values=1,2",
                "--timing",
                "middle",
                "--lang",
                "en",
            ],
            "The value \"middle\" of --timing is not allowed. Allowed values: start, end",
        ),
        (
            &[
                "npv",
                "--rate",
                "0.1",
                "--values=1,2",
                "--format",
                "xml",
                "--lang",
                "en",
            ],
            "The value \"xml\" of --format is not allowed. Allowed values: text, json",
        ),
        (
            &["median", "--values=1,2"],
            "関数「median」はありません。使える関数: npv, irr, mirr, xnpv, xirr, pmt, ipmt, ppmt, nper, rate, fv, pv",
        ),
        (
            &["irr", "--values=1,2", "--lang", "fr"],
            "unknown language \"fr\": use ja or en / 言語は ja か en を指定してください",
        ),
    ];
    for (args, message) in cases {
        let output = machi(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}: nothing on stdout");
        let err = stderr(&output);
        assert_eq!(err.lines().next(), Some(*message), "{args:?}: {err}");
    }
}
