//! What the `machi` command line shows: the text and JSON of `check`,
//! `fund`, `programs` and `calc`, in Japanese or English. The command line
//! parses its arguments, reads files, calls these and prints; everything
//! here is pure.

pub mod calc;
pub mod check;
pub mod fund;
pub mod programs;

use machi_domain::project::Text;
use machi_i18n::Lang;

/// Pretty JSON with a final newline.
pub fn json(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// `（x）` in Japanese, ` (x)` in English.
pub fn paren(x: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("（{x}）"),
        Lang::En => format!(" ({x})"),
    }
}

/// A text in the language.
pub fn t(text: &Text, lang: Lang) -> String {
    text.get(lang == Lang::En).to_owned()
}
