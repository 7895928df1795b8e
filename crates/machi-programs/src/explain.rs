//! Structured explanations: a stable code and typed arguments, translated
//! by the caller (`machi-i18n`, keys `programs.reason.<code>` and
//! `programs.sizing.<code>`), and the resolved source of a rule.

use machi_domain::project::Text;
use machi_domain::{FiscalYear, Rate, Yen};
use serde::{Serialize, Serializer};

use crate::program::{Date, KindSelector, Program, SourceRef};

/// One argument of an explanation. Typed so that the caller can show it in
/// the reader's language (a fiscal year as 令和7年度 or FY2025, a member
/// kind translated); serialised as a language-neutral string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Plain text that needs no translation (ids, URLs, field paths).
    Str(String),
    /// An amount.
    Yen(Yen),
    /// A rate, shown as a percentage.
    Rate(Rate),
    /// A fiscal year.
    Year(FiscalYear),
    /// Several fiscal years.
    Years(Vec<FiscalYear>),
    /// A count.
    Count(u64),
    /// A text in Japanese and English.
    Text(Text),
    /// Several texts (a list).
    Texts(Vec<Text>),
    /// Member kinds (alternatives).
    Kinds(Vec<KindSelector>),
    /// Prefecture numbers.
    Prefectures(Vec<u8>),
}

impl Arg {
    /// The language-neutral form: `¥20,000,000`, `50%`, `FY2025`, ids.
    pub fn neutral(&self) -> String {
        let join = |v: Vec<String>| v.join(", ");
        match self {
            Arg::Str(s) => s.clone(),
            Arg::Yen(y) => y.to_string(),
            Arg::Rate(r) => r.percent(2),
            Arg::Year(y) => y.to_string(),
            Arg::Years(ys) => join(ys.iter().map(ToString::to_string).collect()),
            Arg::Count(n) => n.to_string(),
            Arg::Text(t) => t.ja.clone(),
            Arg::Texts(ts) => join(ts.iter().map(|t| t.ja.clone()).collect()),
            Arg::Kinds(ks) => ks
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            Arg::Prefectures(ps) => join(ps.iter().map(|p| format!("{p:02}")).collect()),
        }
    }
}

impl Serialize for Arg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.neutral())
    }
}

/// A reason or a sizing line: a stable code and named arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Stable kebab-case code, e.g. `located-in-fail`.
    pub code: &'static str,
    /// Named arguments of the message.
    pub args: Vec<(&'static str, Arg)>,
}

impl Explanation {
    /// A new explanation with `code` and no arguments.
    pub fn new(code: &'static str) -> Explanation {
        Explanation {
            code,
            args: Vec::new(),
        }
    }

    /// Adds a named argument.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: Arg) -> Explanation {
        self.args.push((name, value));
        self
    }

    /// The argument `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, a)| a)
    }
}

impl Serialize for Explanation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let args: std::collections::BTreeMap<&str, String> =
            self.args.iter().map(|(k, v)| (*k, v.neutral())).collect();
        let mut st = s.serialize_struct("Explanation", 2)?;
        st.serialize_field("code", self.code)?;
        st.serialize_field("args", &args)?;
        st.end()
    }
}

/// Every code of a rule's reason ([`crate::RuleOutcome::reason`]); the
/// message key is `programs.reason.<code>`.
pub const REASON_CODES: &[&str] = &[
    "consortium-includes-pass",
    "consortium-includes-fail",
    "execution-plan-published-pass",
    "execution-plan-published-needs",
    "implementation-plan-pass",
    "implementation-plan-needs",
    "implemented-by-pass",
    "implemented-by-fail",
    "implemented-by-needs",
    "located-in-pass",
    "located-in-fail",
    "min-project-cost-pass",
    "min-project-cost-fail",
    "themes-any-pass",
    "themes-any-fail",
    "recipient-kind-pass",
    "recipient-kind-fail",
    "consent-share-pass",
    "consent-share-fail",
    "consent-share-needs",
    "plan-approved-pass",
    "plan-approved-fail",
    "plan-approved-needs",
    "condition-confirm",
    "co-funding-pass",
    "co-funding-assumed",
    "co-funding-fail",
];

/// Every code of a sizing line ([`crate::YearSizing::explanation`]); the
/// message key is `programs.sizing.<code>`.
pub const SIZING_CODES: &[&str] = &[
    "binding-rate",
    "binding-fixed-amount",
    "binding-cap-per-year",
    "binding-cap-total",
    "binding-budget",
    "binding-co-funding",
    "binding-co-funding-assumed",
    "other-rate",
    "other-fixed-amount",
    "other-cap-per-year",
    "other-cap-total",
    "other-budget",
    "other-co-funding",
    "other-co-funding-assumed",
    "rounded",
    "tax-excluded",
    "blocked-not-eligible",
    "blocked-no-eligible-expenses",
    "blocked-after-deadline",
    "blocked-beyond-duration",
    "blocked-below-min-cost",
];

/// A source as a rule cites it: the document and the place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// Source id in the program file.
    pub doc: String,
    /// Title of the document.
    pub title: Text,
    /// Where it can be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Date of the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// A secondary source.
    pub secondary: bool,
    /// Not stated exactly by the document (machi's reading, general practice).
    pub unverified: bool,
    /// Page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// How the rule follows from the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

impl Program {
    /// Resolves a source reference (validation guarantees the document
    /// exists; an unknown one is shown by its id alone).
    pub fn cite(&self, r: &SourceRef) -> Citation {
        let doc = self.source(&r.doc);
        Citation {
            doc: r.doc.clone(),
            title: doc.map_or_else(
                || Text {
                    ja: r.doc.clone(),
                    en: None,
                },
                |d| d.title.clone(),
            ),
            url: doc.and_then(|d| d.url.clone()),
            date: doc.and_then(|d| d.date),
            secondary: doc.is_some_and(|d| d.secondary),
            unverified: r.unverified || doc.is_some_and(|d| d.secondary),
            page: r.page,
            section: r.section.clone(),
            note: r.note.clone(),
        }
    }
}
