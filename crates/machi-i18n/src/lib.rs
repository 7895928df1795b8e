//! machi's message catalogue.
//!
//! Every text a person reads comes from one file set per locale under
//! `locales/<lang>/*.toml`, embedded in the binary at compile time (no IO at
//! run time). A file `locales/ja/calc.toml` with a key `error.no-root` gives
//! the message key `calc.error.no-root`. Messages may hold `{name}`
//! placeholders filled by [`Lang::tf`].
//!
//! Libraries return errors with stable codes and arguments; the caller
//! translates them here. The tidy test in this crate checks that both locales
//! hold exactly the same keys and the same placeholders.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// A supported language. Japanese is the default everywhere.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語 (default).
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// Both languages, Japanese first.
    pub const ALL: &[Lang] = <Lang as strum::VariantArray>::VARIANTS;

    /// The ISO 639-1 code: `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The message for `key`. A key missing from the catalogue is a
    /// programming error caught by the tidy test; at run time it shows the
    /// key itself rather than panicking.
    pub fn t(self, key: &str) -> &'static str {
        catalog(self).get(key).map_or_else(
            || {
                // Leak-free fallback: the key is not 'static, so hand out a
                // marker string. Tests make sure this never happens.
                "⟦missing message⟧"
            },
            String::as_str,
        )
    }

    /// The message for `key` with its `{name}` placeholders replaced.
    pub fn tf(self, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), &value.to_string());
        }
        text
    }

    /// Whether the catalogue has `key` (used by tests of other crates).
    pub fn has(self, key: &str) -> bool {
        catalog(self).contains_key(key)
    }

    /// Every key of this locale, sorted.
    pub fn keys(self) -> impl Iterator<Item = &'static str> {
        catalog(self).keys().map(String::as_str)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Error for an unknown language code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown language {:?}: use ja or en / 言語は ja か en を指定してください",
            self.0
        )
    }
}

impl std::error::Error for UnknownLang {}

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "ja-jp" | "japanese" | "日本語" => Ok(Lang::Ja),
            "en" | "en-us" | "en-gb" | "english" | "英語" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// The locale files, embedded. Add a file to both lists when adding a domain.
const JA: &[(&str, &str)] = &[
    ("common", include_str!("../locales/ja/common.toml")),
    ("calc", include_str!("../locales/ja/calc.toml")),
    ("cli", include_str!("../locales/ja/cli.toml")),
    ("programs", include_str!("../locales/ja/programs.toml")),
    ("project", include_str!("../locales/ja/project.toml")),
    ("report", include_str!("../locales/ja/report.toml")),
    ("web", include_str!("../locales/ja/web.toml")),
];
const EN: &[(&str, &str)] = &[
    ("common", include_str!("../locales/en/common.toml")),
    ("calc", include_str!("../locales/en/calc.toml")),
    ("cli", include_str!("../locales/en/cli.toml")),
    ("programs", include_str!("../locales/en/programs.toml")),
    ("project", include_str!("../locales/en/project.toml")),
    ("report", include_str!("../locales/en/report.toml")),
    ("web", include_str!("../locales/en/web.toml")),
];

fn catalog(lang: Lang) -> &'static BTreeMap<String, String> {
    static JA_CAT: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    static EN_CAT: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    match lang {
        Lang::Ja => JA_CAT.get_or_init(|| build(JA)),
        Lang::En => EN_CAT.get_or_init(|| build(EN)),
    }
}

fn build(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (domain, text) in files {
        // The files are part of the source tree and checked by the tidy test,
        // so a parse failure can only be a build defect; show it loudly in the
        // catalogue rather than aborting the program.
        match text.parse::<toml::Table>() {
            Ok(table) => flatten(domain, &toml::Value::Table(table), &mut out),
            Err(e) => {
                out.insert(format!("{domain}.__parse_error"), e.to_string());
            }
        }
    }
    out
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(table) => {
            for (k, v) in table {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        v.sort();
        v
    }

    /// Tidy check: both locales have the same keys, no parse errors, no empty
    /// messages, and the same placeholders in each message.
    #[test]
    fn locales_agree() {
        let ja: Vec<_> = Lang::Ja.keys().collect();
        let en: Vec<_> = Lang::En.keys().collect();
        let only_ja: Vec<_> = ja.iter().filter(|k| !Lang::En.has(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !Lang::Ja.has(k)).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
        for key in ja {
            assert!(
                !key.ends_with("__parse_error"),
                "{key}: {}",
                Lang::Ja.t(key)
            );
            for &lang in Lang::ALL {
                assert!(!lang.t(key).trim().is_empty(), "{lang}: {key} is empty");
            }
            assert_eq!(
                placeholders(Lang::Ja.t(key)),
                placeholders(Lang::En.t(key)),
                "placeholders differ in {key}"
            );
        }
    }

    #[test]
    fn substitutes_placeholders() {
        assert_eq!(
            Lang::En.tf("common.test.greeting", &[("name", &"machi")]),
            "Hello, machi"
        );
        assert_eq!(
            Lang::Ja.tf("common.test.greeting", &[("name", &"machi")]),
            "こんにちは、machiさん"
        );
        assert_eq!(Lang::Ja.t("no.such.key"), "⟦missing message⟧");
    }

    #[test]
    fn parses_language_codes() {
        assert_eq!("EN".parse::<Lang>(), Ok(Lang::En));
        assert_eq!("ja".parse::<Lang>(), Ok(Lang::Ja));
        assert!("fr".parse::<Lang>().is_err());
    }
}
