//! The program file: one funding program, its rules and their sources.
//!
//! The format is documented in `docs/program-file.md` and by the JSON Schema
//! in `docs/program-file.schema.json`, which a test keeps equal to
//! [`json_schema`]. Reading a file has two steps, like the project file:
//! deserialisation checks shapes and types (unknown keys are errors), then
//! [`Program::validate`] checks meaning (every rule cites a declared source,
//! a rate lies in (0, 1], a category is a cost category, …) and reports every
//! problem with the path of the field. The caller ([`crate::catalogue`])
//! adds the file name and the line.
//!
//! Architecture invariant: nothing here names a particular program. A
//! program is its data; the vocabulary of [`Test`] and [`Sizing`] is generic.
//!
//! This file holds the file format: [`Program`], its types, sources, terms
//! of donations and levies, and the lookups the rest of the crate uses;
//! `vocabulary` the rule vocabulary ([`Test`], [`Sizing`], [`Method`], …);
//! `validate` the check of a loaded program's meaning.

mod validate;
mod vocabulary;

use std::fmt;

use machi_domain::project::Text;
use machi_domain::{FiscalYear, ProjectError, Rate, Yen};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use vocabulary::{
    CoFunding, EligibleExpenses, KindSelector, Method, Rounding, Rule, Sizing, SubsidyBasis, Test,
};

/// The current version of the program-file format.
pub const SCHEMA_VERSION: u32 = 1;

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

/// A whole program file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Format version; currently 1.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Short identifier (slug); equal to the file name without `.toml`.
    /// Project files link a subsidy to it with `funding.program`.
    pub id: String,
    /// Subsidy, donation incentive or levy scheme.
    pub kind: ProgramKind,
    /// The program's name.
    pub name: Text,
    /// Who runs it (ministry, bureau, prefecture).
    pub issuer: Text,
    /// The fiscal year of the call these terms were read from.
    pub fiscal_year: FiscalYear,
    /// What the program is for, in a few sentences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
    /// The program's total budget for the fiscal year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<AmountTerm>,
    /// When applications are accepted, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_window: Option<ApplicationWindow>,
    /// Priority themes; `themes-any` rules name them by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub themes: Vec<Theme>,
    /// Sizing terms shared by every type (a type's own terms replace them).
    #[serde(default, skip_serializing_if = "Sizing::is_empty")]
    pub sizing: Sizing,
    /// Rules every type must meet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// Alternative types (通常タイプ, 都市サービス実装タイプ, …); a project
    /// applies for one. A program without types is checked and sized as a
    /// whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<ProgramType>,
    /// Donation incentive: the donor's tax relief.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donation: Option<DonationTerms>,
    /// Levy scheme: who collects, who receives, the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levy: Option<LevyTerms>,
    /// The documents the rules cite.
    pub sources: Vec<Source>,
}

/// What kind of money a program brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProgramKind {
    /// A grant towards eligible expenses (補助金).
    Subsidy,
    /// A tax incentive for donations (e.g. 企業版ふるさと納税).
    DonationIncentive,
    /// A levy on beneficiaries (e.g. 地域再生エリアマネジメント負担金).
    LevyScheme,
}

impl ProgramKind {
    /// The kebab-case name used in files and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgramKind::Subsidy => "subsidy",
            ProgramKind::DonationIncentive => "donation-incentive",
            ProgramKind::LevyScheme => "levy-scheme",
        }
    }
}

/// A document that rules cite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Id that `source.doc` refers to.
    pub id: String,
    /// Title of the document or page.
    pub title: Text,
    /// Who published it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<Text>,
    /// Where it can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Date of the document (or of its last update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// Whether this is a secondary source (a summary by someone other than
    /// the issuer): its facts are unverified.
    #[serde(default)]
    pub secondary: bool,
    /// Anything a reader should know about the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// Where a rule or term comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// The id of a `[[sources]]` entry.
    pub doc: String,
    /// Page number in the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Section, table or heading, as the document names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The document does not state this exactly: it is machi's reading or a
    /// general practice. Shown as unverified; check the current call.
    #[serde(default)]
    pub unverified: bool,
    /// How the rule follows from the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// A calendar date, written `2024-04-05` (a TOML date or a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub chrono::NaiveDate);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Accepts `"2024-04-05"` and TOML's own date literal `2024-04-05`, which
    /// the TOML deserialiser hands over as a one-entry map.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date such as 2024-04-05")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                    .map(Date)
                    .map_err(|_| E::custom(format!("not a date: \"{v}\" (write 2024-04-05)")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Date, A::Error> {
                let Some((_, text)) = map.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom(
                        "not a date: \"\" (write 2024-04-05)",
                    ));
                };
                self.visit_str(&text)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A calendar date, YYYY-MM-DD.",
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        })
    }
}

/// An amount with its source (a cap, a budget, a minimum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountTerm {
    /// The amount.
    pub amount: Yen,
    /// Where it comes from.
    pub source: SourceRef,
}

/// A number of fiscal years with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearsTerm {
    /// Number of fiscal years.
    pub years: u32,
    /// Where it comes from.
    pub source: SourceRef,
}

/// The application period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationWindow {
    /// First day applications are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens: Option<Date>,
    /// Last day applications are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes: Option<Date>,
    /// Where it comes from.
    pub source: SourceRef,
}

/// A priority theme of the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Id, matched against the project's `mlit_themes` and
    /// `asean_focus_areas` (e.g. `disaster-prevention`).
    pub id: String,
    /// Name.
    pub name: Text,
    /// Example services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<Text>,
    /// Where it comes from.
    pub source: SourceRef,
}

/// One type of a program (e.g. 通常タイプ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramType {
    /// Id, unique in the program (`normal`, `urban-service`); used as
    /// `--program ID:TYPE`.
    pub id: String,
    /// Name.
    pub name: Text,
    /// What the type funds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
    /// Sizing terms of this type; each replaces the program's term of the
    /// same name.
    #[serde(default, skip_serializing_if = "Sizing::is_empty")]
    pub sizing: Sizing,
    /// Rules of this type, on top of the program's rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

/// A donation incentive's terms: the smallest donation and the donor's tax
/// relief as shares of the donation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationTerms {
    /// The smallest donation that qualifies.
    pub min_donation: AmountTerm,
    /// The parts of the relief; their rates add up to the largest relief.
    pub relief: Vec<ReliefPart>,
}

/// One part of a donor's tax relief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReliefPart {
    /// Id, unique in the program.
    pub id: String,
    /// Name (e.g. 損金算入, 税額控除).
    pub name: Text,
    /// Share of the donation.
    pub rate: Rate,
    /// Whether `rate` is an upper bound (the actual relief depends on the
    /// donor's taxes).
    #[serde(default)]
    pub upper_bound: bool,
    /// Where it comes from.
    pub source: SourceRef,
}

/// A levy scheme's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LevyTerms {
    /// Who collects the levy.
    pub collector: KindSelector,
    /// Who receives it.
    pub recipient: KindSelector,
    /// Who pays it (a stakeholder group such as `businesses`).
    pub payers: String,
    /// The limit of the levy, in words.
    pub limit: Text,
    /// Longest plan period, in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_plan_years: Option<u32>,
    /// Where it comes from.
    pub source: SourceRef,
}

/// Where a rule sits: at the program level or in a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `[[rules]]`, index.
    Program(usize),
    /// `[[types]]` index, `[[types.rules]]` index.
    Type(usize, usize),
}

impl Scope {
    /// The path of the rule in the file, e.g. `types[1].rules[0]`.
    pub fn path(self) -> String {
        match self {
            Scope::Program(i) => format!("rules[{i}]"),
            Scope::Type(t, i) => format!("types[{t}].rules[{i}]"),
        }
    }
}

impl Program {
    /// The type with id `id`.
    pub fn type_by_id(&self, id: &str) -> Option<&ProgramType> {
        self.types.iter().find(|t| t.id == id)
    }

    /// The types a check or sizing covers for `id`: that type, every type
    /// when `id` is `None`, or the program itself (`None`) when it has no
    /// types. `Err` names the known types when `id` is not one of them.
    pub fn select_types(&self, id: Option<&str>) -> Result<Vec<Option<&ProgramType>>, Vec<String>> {
        match id {
            Some(id) => match self.type_by_id(id) {
                Some(t) => Ok(vec![Some(t)]),
                None => Err(self.types.iter().map(|t| t.id.clone()).collect()),
            },
            None if self.types.is_empty() => Ok(vec![None]),
            None => Ok(self.types.iter().map(Some).collect()),
        }
    }

    /// The source with id `id`.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The rules that apply to type `ty` (or to the program when it has no
    /// types): the program's rules, then the type's, with their place.
    pub fn rules_for<'a>(&'a self, ty: Option<&'a ProgramType>) -> Vec<(&'a Rule, Scope)> {
        let mut out: Vec<(&Rule, Scope)> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r, Scope::Program(i)))
            .collect();
        if let Some(t) = ty {
            let ti = self
                .types
                .iter()
                .position(|x| std::ptr::eq(x, t))
                .unwrap_or(0);
            out.extend(
                t.rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r, Scope::Type(ti, i))),
            );
        }
        out
    }

    /// The sizing terms of type `ty`: its own over the program's.
    pub fn sizing_for(&self, ty: Option<&ProgramType>) -> Sizing {
        match ty {
            Some(t) => t.sizing.over(&self.sizing),
            None => self.sizing.clone(),
        }
    }

    /// Reads a program from TOML text and checks it. Errors carry paths
    /// and, where the text tells, lines; [`crate::catalogue`] adds the file.
    pub fn from_toml_str(text: &str) -> Result<Program, Vec<ProjectError>> {
        let program: Program =
            toml::from_str(text).map_err(|e| machi_domain::ProjectErrors::from_toml(&e, text).0)?;
        program.validate()?;
        Ok(program)
    }
}

/// The JSON Schema of the program file (draft 2020-12).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Program);
    let mut v = serde_json::to_value(&schema).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("$id".into(), "urn:machi:schema:program-file:1".into());
        o.insert("title".into(), "machi program file".into());
    }
    v
}
