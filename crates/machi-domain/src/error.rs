//! Errors in a project file, with stable codes for translation.
//!
//! Each error names the field (a path such as `line_items[3].amounts.FY2027`),
//! the line and column when the text is at hand, a stable kebab-case `code`
//! and named arguments. The message a person reads is made by the caller
//! from the code and arguments in their language (`machi-i18n`, keys
//! `project.error.<code>`), so this crate stays free of presentation.

use std::fmt;

/// One problem in a project file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectError {
    /// Stable code, e.g. `unknown-member`; the message key is `project.error.<code>`.
    pub code: &'static str,
    /// Path of the field, e.g. `line_items[2].party`; empty when unknown.
    pub path: String,
    /// 1-based line in the source text, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column in the source text, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Named arguments of the message.
    pub args: Vec<(String, String)>,
}

impl ProjectError {
    /// A new error with `code` at `path`.
    pub fn new(code: &'static str, path: impl Into<String>) -> ProjectError {
        ProjectError {
            code,
            path: path.into(),
            line: None,
            column: None,
            args: Vec::new(),
        }
    }

    /// Adds a named argument.
    #[must_use]
    pub fn arg(mut self, name: &str, value: impl fmt::Display) -> ProjectError {
        self.args.push((name.to_owned(), value.to_string()));
        self
    }

    /// The value of argument `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for ProjectError {
    /// A language-neutral rendering for logs: `path (line L): code {args}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            if self.path.is_empty() {
                "(file)"
            } else {
                &self.path
            }
        )?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        write!(f, ": {}", self.code)?;
        for (k, v) in &self.args {
            write!(f, " {k}={v}")?;
        }
        Ok(())
    }
}

/// Every problem found in a project file (at least one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct ProjectErrors(pub Vec<ProjectError>);

impl fmt::Display for ProjectErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProjectErrors {}

impl ProjectErrors {
    /// Converts a TOML syntax or type error, locating it in `text`.
    pub fn from_toml(e: &toml::de::Error, text: &str) -> ProjectErrors {
        let mut err = classify(e.message());
        if let Some(span) = e.span() {
            if err.code == "duplicate-key" && err.get("key").is_none_or(str::is_empty) {
                // toml names no key in its message; the span is the key.
                let key = text
                    .get(span.clone())
                    .unwrap_or_default()
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .trim_matches('"');
                err.args.retain(|(k, _)| k != "key");
                err = err.arg("key", key);
            }
            let (line, column) = line_col(text, span.start);
            err.line = Some(line);
            err.column = Some(column);
            if err.path.is_empty() {
                err.path = toml_table_path(text, line);
            } else if let Some(table) = Some(toml_table_path(text, line)).filter(|t| !t.is_empty())
            {
                err.path = format!("{table}.{}", err.path);
            }
        }
        ProjectErrors(vec![err])
    }

    /// Converts a JSON syntax or type error.
    pub fn from_json(e: &serde_json::Error, _text: &str) -> ProjectErrors {
        Self::from_json_at(e, "")
    }

    /// Converts a JSON syntax or type error found at `path` (the field
    /// being read, as `serde_path_to_error` names it: `line_items[0].name`).
    pub fn from_json_at(e: &serde_json::Error, path: &str) -> ProjectErrors {
        let mut err = classify(e.to_string().split(" at line ").next().unwrap_or_default());
        if e.is_syntax() || e.is_eof() {
            err = ProjectError::new("syntax", "").arg("detail", e);
        }
        let path = if path == "." { "" } else { path };
        if !path.is_empty() {
            err.path = match err.code {
                // The message names the key; the path is its table's.
                "missing-field" | "unknown-field" => {
                    let field = err.get("field").unwrap_or_default().to_owned();
                    let table = if err.code == "unknown-field" {
                        path.rsplit_once('.').map_or("", |(t, _)| t)
                    } else {
                        path
                    };
                    if table.is_empty() {
                        field
                    } else {
                        format!("{table}.{field}")
                    }
                }
                _ => path.to_owned(),
            };
        }
        err.line = Some(e.line());
        err.column = Some(e.column());
        ProjectErrors(vec![err])
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The table a TOML line belongs to, as a path: the last `[table]` or
/// `[[array]]` header above `line`, with the array index counted
/// (`line_items[2]`).
fn toml_table_path(text: &str, line: usize) -> String {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut current = String::new();
    for l in text.lines().take(line) {
        let t = l.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_owned();
            let n = counts.entry(name.clone()).or_insert(0);
            current = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let name = name.trim();
            // A sub-table of the current array element: [line_items.generator].
            current = match name.split_once('.') {
                Some((head, tail)) if counts.contains_key(head) => {
                    format!("{head}[{}].{tail}", counts[head].saturating_sub(1))
                }
                _ => name.to_owned(),
            };
        }
    }
    current
}

/// Maps serde's and machi's own error messages to a code and arguments.
fn classify(msg: &str) -> ProjectError {
    let quoted = |s: &str| -> Option<String> {
        let start = s.find('`')? + 1;
        let end = s[start..].find('`')? + start;
        Some(s[start..end].to_owned())
    };
    let first_line = msg.lines().next().unwrap_or(msg).trim();
    if let Some(rest) = first_line.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_default();
        return ProjectError::new("missing-field", field.clone()).arg("field", field);
    }
    if let Some(rest) = first_line.strip_prefix("unknown field ") {
        let field = quoted(rest).unwrap_or_default();
        let expected = rest
            .split_once("expected ")
            .map_or(String::new(), |(_, e)| e.replace('`', ""));
        return ProjectError::new("unknown-field", field.clone())
            .arg("field", field)
            .arg("expected", expected);
    }
    if let Some(rest) = first_line.strip_prefix("unknown variant ") {
        let value = quoted(rest).unwrap_or_default();
        let expected = rest
            .split_once("expected ")
            .map_or(String::new(), |(_, e)| e.replace('`', ""));
        return ProjectError::new("unknown-value", "")
            .arg("value", value)
            .arg("expected", expected);
    }
    if first_line.starts_with("duplicate key") || first_line.starts_with("duplicate field") {
        return ProjectError::new("duplicate-key", "")
            .arg("key", quoted(first_line).unwrap_or_default());
    }
    for (prefix, code) in [
        ("not a fiscal year: ", "invalid-fiscal-year"),
        ("not an amount of yen: ", "invalid-yen"),
        ("not a rate: ", "invalid-rate"),
        ("not a valid id: ", "invalid-id"),
        ("duplicate fiscal year: ", "duplicate-year"),
        ("a local-government code has", "invalid-local-gov-code"),
        ("wrong check digit in ", "local-gov-check-digit"),
        ("no prefecture ", "invalid-local-gov-code"),
    ] {
        if first_line.starts_with(prefix) {
            let value = first_line.split('"').nth(1).map_or_else(
                || first_line.trim_start_matches(prefix).to_owned(),
                str::to_owned,
            );
            let mut e = ProjectError::new(code, "").arg("value", value);
            if let Some(exp) = first_line.split("expected ").nth(1) {
                e = e.arg("expected", exp);
            }
            return e;
        }
    }
    if let Some(rest) = first_line.strip_prefix("invalid type: ") {
        return wrong_type(rest);
    }
    if first_line.starts_with("invalid value") {
        return ProjectError::new("invalid-type", "")
            .arg("found", "other")
            .arg("expected", "other")
            .arg("detail", first_line);
    }
    ProjectError::new("syntax", "").arg("detail", first_line)
}

/// serde's "integer `1`, expected a string" in words a person knows: what
/// was written and what belongs there, as word codes the catalogue
/// translates (`project.word.<code>`), and the value written.
fn wrong_type(rest: &str) -> ProjectError {
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let value = found
        .split('`')
        .nth(1)
        .or_else(|| found.split('"').nth(1))
        .unwrap_or_default();
    let found_word = match found.split([' ', '`', '"']).next().unwrap_or("") {
        "integer" | "floating" => "number",
        "string" | "character" => "text",
        "boolean" => "boolean",
        "map" => "table",
        "sequence" => "list",
        "unit" | "null" | "none" => "nothing",
        _ => "other",
    };
    let e = expected.to_ascii_lowercase();
    let expected_word = if e.contains("string")
        || e.contains("fiscal year")
        || e.contains("amount")
        || e.contains("rate")
    {
        "text"
    } else if e.contains("struct") || e.contains("map") {
        "table"
    } else if e.contains("sequence") || e.contains("array") || e.contains("list") {
        "list"
    } else if ["i64", "i32", "u64", "u32", "u16", "u8", "integer"]
        .iter()
        .any(|t| e.contains(t))
    {
        "whole-number"
    } else if e.contains("bool") {
        "boolean"
    } else if e.contains("f64") || e.contains("float") {
        "number"
    } else {
        "other"
    };
    ProjectError::new("invalid-type", "")
        .arg("found", found_word)
        .arg("expected", expected_word)
        .arg("value", value)
        .arg("detail", format!("invalid type: {rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_are_told_in_words() {
        let e = classify("invalid type: integer `1`, expected a string");
        assert_eq!(
            (e.get("found"), e.get("expected"), e.get("value")),
            (Some("number"), Some("text"), Some("1"))
        );
        let e = classify("invalid type: string \"x\", expected struct Text");
        assert_eq!(
            (e.get("found"), e.get("expected")),
            (Some("text"), Some("table"))
        );
        let e = classify("invalid type: floating point `1.5`, expected i64");
        assert_eq!(e.get("expected"), Some("whole-number"));
    }

    #[test]
    fn finds_the_table_of_a_line() {
        let text = "[project]\nid = 'x'\n[[line_items]]\nid='a'\n[[line_items]]\nid='b'\n[line_items.generator]\ntype='x'\n";
        assert_eq!(toml_table_path(text, 2), "project");
        assert_eq!(toml_table_path(text, 4), "line_items[0]");
        assert_eq!(toml_table_path(text, 6), "line_items[1]");
        assert_eq!(toml_table_path(text, 8), "line_items[1].generator");
    }

    #[test]
    fn classifies_serde_messages() {
        let e = classify("missing field `rate`");
        assert_eq!((e.code, e.get("field")), ("missing-field", Some("rate")));
        let e = classify("unknown field `ammounts`, expected one of `id`, `amounts`");
        assert_eq!(
            (e.code, e.get("field")),
            ("unknown-field", Some("ammounts"))
        );
        let e = classify("not a fiscal year: \"FY24\" (write FY2024, 2024, R6 or 令和6年度)");
        assert_eq!(
            (e.code, e.get("value")),
            ("invalid-fiscal-year", Some("FY24"))
        );
        let e = classify("wrong check digit in \"131017\": expected 131016");
        assert_eq!(
            (e.code, e.get("expected")),
            ("local-gov-check-digit", Some("131016"))
        );
    }
}
