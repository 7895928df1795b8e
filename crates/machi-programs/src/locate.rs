//! Finding the line of a field in TOML text, for errors found after
//! deserialisation (validation knows the path, not the line).

use toml::de::{DeTable, DeValue};

/// The 1-based line and column of the value at `path` (`types[1].rules[0].source.doc`)
/// in `text`, or of the nearest enclosing value that exists. `None` when the
/// text does not parse or the path's first key is absent.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let root = DeTable::parse(text).ok()?;
    let mut span: Option<std::ops::Range<usize>> = None;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    for segment in path.split('.') {
        let (key, indices) = split_indices(segment);
        let next = table.and_then(|t| {
            t.iter()
                .find(|(k, _)| k.get_ref().as_ref() == key)
                .map(|(_, v)| v)
        });
        let Some(mut value) = next else { break };
        for i in indices {
            match value.get_ref() {
                DeValue::Array(items) => match items.get(i) {
                    Some(item) => value = item,
                    None => break,
                },
                _ => break,
            }
        }
        span = Some(value.span());
        table = match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    let at = span?.start;
    Some(line_col(text, at))
}

/// `rules[2][0]` → (`rules`, [2, 0]).
fn split_indices(segment: &str) -> (&str, Vec<usize>) {
    let (key, rest) = segment
        .split_once('[')
        .map_or((segment, ""), |(k, r)| (k, r));
    let indices = rest
        .split('[')
        .filter_map(|p| p.trim_end_matches(']').parse().ok())
        .collect();
    (key, indices)
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "id = \"x\"\n\n[[rules]]\nrule = \"a\"\nsource = { doc = \"s\" }\n\n[[rules]]\nrule = \"b\"\n\n[[types]]\nid = \"t\"\n[[types.rules]]\nrule = \"c\"\nsource = { doc = \"u\" }\n";

    #[test]
    fn finds_nested_values() {
        assert_eq!(locate(TEXT, "id").map(|l| l.0), Some(1));
        assert_eq!(locate(TEXT, "rules[0].source.doc").map(|l| l.0), Some(5));
        assert_eq!(locate(TEXT, "rules[1].rule").map(|l| l.0), Some(8));
        assert_eq!(
            locate(TEXT, "types[0].rules[0].source.doc").map(|l| l.0),
            Some(14)
        );
        // A missing leaf falls back to its parent: an array-of-tables
        // element starts at its header.
        assert_eq!(
            locate(TEXT, "types[0].rules[0].missing").map(|l| l.0),
            Some(12)
        );
        assert_eq!(locate(TEXT, "nothing"), None);
        assert_eq!(split_indices("rules[2][0]"), ("rules", vec![2, 0]));
    }
}
