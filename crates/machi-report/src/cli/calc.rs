//! `machi calc` as text and JSON: the value of a spreadsheet-compatible
//! function, or the translated reason there is none, and for `irr --all`
//! every root.

use std::fmt::Write as _;

use machi_finance::tvm::TvmError;
use machi_i18n::Lang;
use serde::Serialize;

/// A computed result of `machi calc`, ready to show.
#[derive(Debug, Clone, Copy)]
pub struct Calculation<'a> {
    /// The function's name: `npv`, `irr`, …
    pub function: &'a str,
    /// Whether the result is a rate, shown with a percentage too.
    pub is_rate: bool,
    /// The value, or why there is none.
    pub value: &'a Result<f64, TvmError>,
    /// Every root, for `irr --all`.
    pub roots: Option<&'a [f64]>,
    /// The guess the root finder started from (named beside the root it
    /// chose).
    pub guess: f64,
}

/// The result as text: `label: value`, and the roots one per line.
pub fn text(c: &Calculation<'_>, lang: Lang) -> String {
    let label = lang.t(&format!("calc.label.{}", c.function));
    let mut out = String::new();
    match c.value {
        Ok(value) => {
            let _ = writeln!(out, "{label}: {}", show(c, *value));
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "{label}: {}",
                lang.tf(
                    "calc.text.no-value",
                    &[("message", &error_message(e, lang))]
                )
            );
        }
    }
    if let Some(roots) = c.roots {
        let _ = writeln!(
            out,
            "{}",
            lang.tf("calc.text.roots", &[("count", &roots.len())])
        );
        let chosen = c.value.as_ref().ok();
        for root in roots {
            let _ = write!(out, "  {}", show(c, *root));
            if chosen == Some(root) {
                let _ = write!(
                    out,
                    "  {}",
                    lang.tf("calc.text.chosen", &[("guess", &plain(c.guess))])
                );
            }
            out.push('\n');
        }
    }
    out
}

/// The result as one line of JSON: the function, the value (null when
/// there is none), the roots, and the error's code and message.
pub fn json(c: &Calculation<'_>, lang: Lang) -> String {
    let output = JsonOutput {
        function: c.function,
        value: c.value.as_ref().ok().copied(),
        roots: c.roots,
        error: c.value.as_ref().err().map(|e| JsonError {
            code: e.code(),
            message: error_message(e, lang),
        }),
    };
    // Serialising plain numbers, strings and options cannot fail; the
    // fallback keeps the promise of never panicking all the same.
    let mut text = serde_json::to_string(&output).unwrap_or_else(|e| {
        format!(
            r#"{{"function":"{}","value":null,"error":{{"code":"internal","message":"{e}"}}}}"#,
            c.function
        )
    });
    text.push('\n');
    text
}

/// A result for a person: the number, and for rates the percentage.
fn show(c: &Calculation<'_>, value: f64) -> String {
    if c.is_rate {
        format!("{} ({})", plain(value), percent(value))
    } else {
        plain(value)
    }
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    function: &'a str,
    value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roots: Option<&'a [f64]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError>,
}

#[derive(Serialize)]
struct JsonError {
    code: &'static str,
    message: String,
}

/// The translated message of a library error, its arguments filled in.
pub fn error_message(error: &TvmError, lang: Lang) -> String {
    let args: Vec<(&str, String)> = error
        .args()
        .into_iter()
        .map(|(name, value)| match name {
            // Argument names become the flags a person typed, and rules
            // their translated wording.
            "argument" => (name, format!("--{}", value.replace('_', "-"))),
            "rule" => (name, lang.t(&format!("calc.rule.{value}")).to_owned()),
            _ => (name, value),
        })
        .collect();
    let dyn_args: Vec<(&str, &dyn std::fmt::Display)> = args
        .iter()
        .map(|(name, value)| (*name, value as &dyn std::fmt::Display))
        .collect();
    lang.tf(&format!("calc.error.{}", error.code()), &dyn_args)
}

/// Up to ten decimals, without trailing zeros (`3065.2226681795`, `-250`).
pub fn plain(value: f64) -> String {
    let text = format!("{value:.10}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A rate as a percentage with four decimals (`5.2433%`).
pub fn percent(value: f64) -> String {
    let text = format!("{:.4}%", value * 100.0);
    if text == "-0.0000%" {
        "0.0000%".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_percent_formatting() {
        assert_eq!(plain(-250.0), "-250");
        assert_eq!(plain(3065.2226681795255), "3065.2226681795");
        assert_eq!(plain(-0.0), "0");
        assert_eq!(percent(0.0524328889), "5.2433%");
    }
}
