//! The rules pages and API share, one module per aggregate. Handlers call
//! these; these call the store, the permission matrix and the pure crates.
//! Lifecycle areas (calls, applications, reviews, matching, KPIs, risk) each
//! get a module here beside `projects`.

pub mod admin;
pub mod projects;
pub mod session;

use serde::Deserialize;

/// A whole number that JSON may write as `312` or `312.0`, or a form as
/// `"312"` (JSON Schema's
/// `integer` admits both, RFC 8259 §6 does not tell them apart): a field
/// the API documents as an integer accepts either.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    /// A JSON number, or the text of a form field.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Whole {
        Number(serde_json::Number),
        Text(String),
    }
    let not_whole =
        |n: &dyn std::fmt::Display| serde::de::Error::custom(format!("{n} is not a whole number"));
    let n = match Whole::deserialize(d)? {
        Whole::Number(n) => n,
        Whole::Text(t) => return t.trim().parse::<i64>().map_err(|_| not_whole(&t)),
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    // Exactly representable and within i64 (2^63 itself is not).
    const RANGE: std::ops::Range<f64> = -9.223_372_036_854_776e18..9.223_372_036_854_776e18;
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && RANGE.contains(&f) =>
        {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "checked whole and in range above"
            )]
            Ok(f as i64)
        }
        _ => Err(not_whole(&n)),
    }
}

/// Whole numbers, as [`whole_number`].
pub fn whole_numbers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Vec::<W>::deserialize(d)?.into_iter().map(|w| w.0).collect())
}
