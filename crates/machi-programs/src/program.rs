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

use std::collections::BTreeSet;
use std::fmt;

use machi_domain::project::{LineCategory, LineKind, MemberKind, Text};
use machi_domain::{FiscalYear, ProjectError, Rate, Yen, validate_slug};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// How large a subsidy may be. Every term is optional in the file; after the
/// program's and the type's terms are merged, a subsidy type needs
/// `subsidy` and `eligible_expenses`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sizing {
    /// 定額補助 (fixed amount up to the cap) or a rate of eligible expenses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidy: Option<SubsidyBasis>,
    /// Largest subsidy per project per fiscal year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_per_year: Option<AmountTerm>,
    /// Largest subsidy per project over all fiscal years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_total: Option<AmountTerm>,
    /// Longest run of consecutive fiscal years funded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_consecutive_years: Option<YearsTerm>,
    /// Which expenses count, and whether consumption tax does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligible_expenses: Option<EligibleExpenses>,
    /// The consortium's own burden must exceed the subsidy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_funding: Option<CoFunding>,
    /// The subsidy is rounded down to a multiple of this amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounding: Option<Rounding>,
}

impl Sizing {
    /// Whether no term is given.
    pub fn is_empty(&self) -> bool {
        *self == Sizing::default()
    }

    /// `self`'s terms, each falling back to `base`'s.
    pub fn over(&self, base: &Sizing) -> Sizing {
        Sizing {
            subsidy: self.subsidy.clone().or_else(|| base.subsidy.clone()),
            cap_per_year: self
                .cap_per_year
                .clone()
                .or_else(|| base.cap_per_year.clone()),
            cap_total: self.cap_total.clone().or_else(|| base.cap_total.clone()),
            max_consecutive_years: self
                .max_consecutive_years
                .clone()
                .or_else(|| base.max_consecutive_years.clone()),
            eligible_expenses: self
                .eligible_expenses
                .clone()
                .or_else(|| base.eligible_expenses.clone()),
            co_funding: self.co_funding.clone().or_else(|| base.co_funding.clone()),
            rounding: self.rounding.clone().or_else(|| base.rounding.clone()),
        }
    }
}

/// How the subsidy relates to the eligible expenses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// 定額補助: the program pays the eligible expenses up to the cap
    /// (never more than the expenses themselves).
    FixedAmount,
    /// 定率補助: `rate ×` the eligible expenses, up to the cap.
    Rate,
}

/// The subsidy's basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubsidyBasis {
    /// Fixed amount or rate.
    pub method: Method,
    /// For `rate`: the share of eligible expenses, e.g. `"1/2"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Where it comes from.
    pub source: SourceRef,
}

impl SubsidyBasis {
    /// The share of eligible expenses paid: the rate, or 1 for a fixed amount.
    pub fn effective_rate(&self) -> Rate {
        match self.method {
            Method::FixedAmount => Rate::new(Decimal::ONE),
            Method::Rate => self.rate.unwrap_or(Rate::ZERO),
        }
    }
}

/// Which of the project's expenses a type funds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibleExpenses {
    /// Cost categories (capex or opex) the type funds; every capex and opex
    /// line when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<LineCategory>>,
    /// Whether consumption tax is eligible. When it is not and the project's
    /// amounts include it (`finance.amounts_include_consumption_tax`), the
    /// eligible amount is the amount × 100/110.
    #[serde(default)]
    pub consumption_tax: bool,
    /// Where it comes from.
    pub source: SourceRef,
}

impl EligibleExpenses {
    /// Whether a line of `kind` and `category` is eligible.
    pub fn covers(&self, kind: LineKind, category: LineCategory) -> bool {
        matches!(kind, LineKind::Capex | LineKind::Opex)
            && self
                .categories
                .as_ref()
                .is_none_or(|cats| cats.contains(&category))
    }
}

/// The co-funding condition: subsidy < the consortium's own burden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoFunding {
    /// Where it comes from.
    pub source: SourceRef,
}

/// Rounding of the subsidy (down).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    /// The subsidy is a multiple of this (1,000 for 千円未満切捨て).
    pub unit: Yen,
    /// Where it comes from.
    pub source: SourceRef,
}

/// A rule: a test, whether it is only advice, and its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rule {
    /// What is tested (the `rule` key and its parameters).
    #[serde(flatten)]
    pub test: Test,
    /// An advisory rule is reported but does not decide eligibility.
    #[serde(default)]
    pub advisory: bool,
    /// Where the rule comes from.
    pub source: SourceRef,
    /// Explanation for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// The rule vocabulary. Each test reads the project and answers pass, fail
/// or needs-information (see [`crate::eligibility`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Test {
    /// The consortium has, for each group, at least one member of one of the
    /// group's kinds: `each_of = [["local-government"], ["private-sector"]]`.
    ConsortiumIncludes {
        /// Groups of member kinds.
        each_of: Vec<Vec<KindSelector>>,
    },
    /// The consortium has published its execution plan
    /// (`consortium.execution_plan_url`).
    ExecutionPlanPublished {},
    /// The consortium has an implementation plan
    /// (`consortium.implementation_plan`).
    ImplementationPlan {},
    /// The service is implemented by the end of fiscal year `year`
    /// (`consortium.implementation_year`); no subsidy after `year`.
    ImplementedBy {
        /// The last fiscal year allowed.
        year: FiscalYear,
    },
    /// The municipality lies in one of these prefectures (the first two
    /// digits of its local-government code: 13 = 東京都).
    LocatedIn {
        /// Prefecture numbers, 1–47.
        prefectures: Vec<u8>,
    },
    /// The eligible expenses of a fiscal year reach `amount` (事業費の下限);
    /// a year below it gets no subsidy.
    MinProjectCost {
        /// The minimum.
        amount: Yen,
    },
    /// The project addresses at least one of these program themes.
    ThemesAny {
        /// Theme ids declared in `[[themes]]`.
        themes: Vec<String>,
    },
    /// A member of one of these kinds can receive the money.
    RecipientKind {
        /// Member kinds.
        kinds: Vec<KindSelector>,
    },
    /// At least `min` of the businesses consent (`consortium.levy_consent_share`).
    ConsentShare {
        /// The minimum share, e.g. `"2/3"`.
        min: Rate,
    },
    /// The regional revitalisation plan (地域再生計画) is approved
    /// (`consortium.regional_revitalisation_plan`).
    PlanApproved {},
    /// A condition machi cannot check from the project file; always shown
    /// as "confirm". Use with `advisory = true`.
    Condition {
        /// The condition, for the reader.
        text: Text,
    },
}

impl Test {
    /// The vocabulary name, as written after `rule =`.
    pub fn name(&self) -> &'static str {
        match self {
            Test::ConsortiumIncludes { .. } => "consortium-includes",
            Test::ExecutionPlanPublished {} => "execution-plan-published",
            Test::ImplementationPlan {} => "implementation-plan",
            Test::ImplementedBy { .. } => "implemented-by",
            Test::LocatedIn { .. } => "located-in",
            Test::MinProjectCost { .. } => "min-project-cost",
            Test::ThemesAny { .. } => "themes-any",
            Test::RecipientKind { .. } => "recipient-kind",
            Test::ConsentShare { .. } => "consent-share",
            Test::PlanApproved {} => "plan-approved",
            Test::Condition { .. } => "condition",
        }
    }

    /// Every vocabulary name (for documentation tests).
    pub const NAMES: [&'static str; 11] = [
        "consortium-includes",
        "execution-plan-published",
        "implementation-plan",
        "implemented-by",
        "located-in",
        "min-project-cost",
        "themes-any",
        "recipient-kind",
        "consent-share",
        "plan-approved",
        "condition",
    ];
}

/// A kind of consortium member, or a group of kinds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum KindSelector {
    /// 地方公共団体: a municipality or a prefecture.
    LocalGovernment,
    /// 民間事業者等: a company, an association, an area-management body or a
    /// financial institution.
    PrivateSector,
    /// 市区町村.
    Municipality,
    /// 都道府県.
    Prefecture,
    /// 民間企業.
    Company,
    /// 大学・研究機関.
    University,
    /// 一般社団法人・協議会等.
    Association,
    /// 都市再生推進法人・エリアマネジメント団体.
    AreaManagement,
    /// 金融機関.
    FinancialInstitution,
    /// その他.
    Other,
}

impl KindSelector {
    /// Whether a member of `kind` is selected.
    pub fn matches(self, kind: MemberKind) -> bool {
        use KindSelector as S;
        use MemberKind as K;
        match self {
            S::LocalGovernment => kind.is_local_government(),
            S::PrivateSector => {
                matches!(
                    kind,
                    K::Company | K::Association | K::AreaManagement | K::FinancialInstitution
                )
            }
            S::Municipality => kind == K::Municipality,
            S::Prefecture => kind == K::Prefecture,
            S::Company => kind == K::Company,
            S::University => kind == K::University,
            S::Association => kind == K::Association,
            S::AreaManagement => kind == K::AreaManagement,
            S::FinancialInstitution => kind == K::FinancialInstitution,
            S::Other => kind == K::Other,
        }
    }

    /// The kebab-case name used in files and message keys.
    pub fn as_str(self) -> &'static str {
        use KindSelector as S;
        match self {
            S::LocalGovernment => "local-government",
            S::PrivateSector => "private-sector",
            S::Municipality => "municipality",
            S::Prefecture => "prefecture",
            S::Company => "company",
            S::University => "university",
            S::Association => "association",
            S::AreaManagement => "area-management",
            S::FinancialInstitution => "financial-institution",
            S::Other => "other",
        }
    }
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

    /// Checks the meaning of a deserialised program and returns every
    /// problem found, each with the path of its field.
    pub fn validate(&self) -> Result<(), Vec<ProjectError>> {
        let mut v = Validator {
            program: self,
            errs: Vec::new(),
            cited: BTreeSet::new(),
        };
        v.run();
        if v.errs.is_empty() {
            Ok(())
        } else {
            Err(v.errs)
        }
    }
}

struct Validator<'a> {
    program: &'a Program,
    errs: Vec<ProjectError>,
    cited: BTreeSet<&'a str>,
}

impl<'a> Validator<'a> {
    fn push(&mut self, e: ProjectError) {
        self.errs.push(e);
    }

    fn run(&mut self) {
        let p = self.program;
        if p.schema_version != SCHEMA_VERSION {
            self.push(
                ProjectError::new("unsupported-version", "schema_version")
                    .arg("version", p.schema_version),
            );
        }
        self.slug(&p.id, "id");
        self.text(&p.name, "name");
        self.text(&p.issuer, "issuer");
        if let Some(s) = &p.summary {
            self.text(s, "summary");
        }
        let mut ids = BTreeSet::new();
        for (i, s) in p.sources.iter().enumerate() {
            let at = format!("sources[{i}]");
            self.slug(&s.id, &format!("{at}.id"));
            if !ids.insert(s.id.as_str()) {
                self.push(ProjectError::new("duplicate-id", format!("{at}.id")).arg("id", &s.id));
            }
            self.text(&s.title, &format!("{at}.title"));
            if let Some(u) = &s.url {
                self.url(u, &format!("{at}.url"));
            }
        }
        if p.sources.is_empty() {
            self.push(ProjectError::new("no-sources", "sources"));
        }
        if let Some(b) = &p.budget {
            self.amount(b.amount, "budget.amount");
            self.cite(&b.source, "budget.source");
        }
        if let Some(w) = &p.application_window {
            self.cite(&w.source, "application_window.source");
            if let (Some(o), Some(c)) = (w.opens, w.closes)
                && c < o
            {
                self.push(
                    ProjectError::new("range-order", "application_window.closes")
                        .arg("from", o)
                        .arg("to", c),
                );
            }
        }
        let mut theme_ids = BTreeSet::new();
        for (i, t) in p.themes.iter().enumerate() {
            let at = format!("themes[{i}]");
            self.slug(&t.id, &format!("{at}.id"));
            if !theme_ids.insert(t.id.as_str()) {
                self.push(ProjectError::new("duplicate-id", format!("{at}.id")).arg("id", &t.id));
            }
            self.text(&t.name, &format!("{at}.name"));
            self.cite(&t.source, &format!("{at}.source"));
        }
        self.sizing(&p.sizing, "sizing");
        for (i, r) in p.rules.iter().enumerate() {
            self.rule(r, &format!("rules[{i}]"), &theme_ids);
        }
        let mut type_ids = BTreeSet::new();
        for (i, t) in p.types.iter().enumerate() {
            let at = format!("types[{i}]");
            self.slug(&t.id, &format!("{at}.id"));
            if !type_ids.insert(t.id.as_str()) {
                self.push(ProjectError::new("duplicate-id", format!("{at}.id")).arg("id", &t.id));
            }
            self.text(&t.name, &format!("{at}.name"));
            self.sizing(&t.sizing, &format!("{at}.sizing"));
            for (j, r) in t.rules.iter().enumerate() {
                self.rule(r, &format!("{at}.rules[{j}]"), &theme_ids);
            }
            if p.kind == ProgramKind::Subsidy {
                self.required_terms(&t.sizing.over(&p.sizing), &format!("{at}.sizing"));
            }
        }
        match p.kind {
            ProgramKind::Subsidy => {
                if p.types.is_empty() {
                    self.required_terms(&p.sizing, "sizing");
                }
            }
            ProgramKind::DonationIncentive | ProgramKind::LevyScheme => {
                let sizing_used =
                    !p.sizing.is_empty() || p.types.iter().any(|t| !t.sizing.is_empty());
                if sizing_used {
                    self.push(
                        ProjectError::new("field-not-for-kind", "sizing")
                            .arg("kind", p.kind.as_str()),
                    );
                }
            }
        }
        self.donation();
        self.levy();
        for (i, s) in p.sources.iter().enumerate() {
            if !self.cited.contains(s.id.as_str()) {
                self.push(
                    ProjectError::new("unused-source", format!("sources[{i}].id")).arg("id", &s.id),
                );
            }
        }
    }

    /// A subsidy's merged terms need a basis and eligible expenses, and a
    /// fixed amount needs a cap.
    fn required_terms(&mut self, merged: &Sizing, at: &str) {
        for (term, present) in [
            ("subsidy", merged.subsidy.is_some()),
            ("eligible_expenses", merged.eligible_expenses.is_some()),
        ] {
            if !present {
                self.push(
                    ProjectError::new("sizing-term-missing", format!("{at}.{term}"))
                        .arg("term", term),
                );
            }
        }
        if merged
            .subsidy
            .as_ref()
            .is_some_and(|s| s.method == Method::FixedAmount)
            && merged.cap_per_year.is_none()
            && merged.cap_total.is_none()
        {
            self.push(ProjectError::new(
                "fixed-amount-without-cap",
                format!("{at}.cap_per_year"),
            ));
        }
    }

    fn donation(&mut self) {
        let p = self.program;
        match (&p.donation, p.kind) {
            (None, ProgramKind::DonationIncentive) => {
                self.push(ProjectError::new("missing-field", "donation").arg("field", "donation"));
            }
            (Some(_), k) if k != ProgramKind::DonationIncentive => {
                self.push(
                    ProjectError::new("field-not-for-kind", "donation").arg("kind", k.as_str()),
                );
            }
            (Some(d), _) => {
                self.amount(d.min_donation.amount, "donation.min_donation.amount");
                self.cite(&d.min_donation.source, "donation.min_donation.source");
                if d.relief.is_empty() {
                    self.push(
                        ProjectError::new("missing-field", "donation.relief")
                            .arg("field", "relief"),
                    );
                }
                let mut total = Decimal::ZERO;
                let mut ids = BTreeSet::new();
                for (i, r) in d.relief.iter().enumerate() {
                    let at = format!("donation.relief[{i}]");
                    self.slug(&r.id, &format!("{at}.id"));
                    if !ids.insert(r.id.as_str()) {
                        self.push(
                            ProjectError::new("duplicate-id", format!("{at}.id")).arg("id", &r.id),
                        );
                    }
                    self.text(&r.name, &format!("{at}.name"));
                    self.share(r.rate, &format!("{at}.rate"), false);
                    self.cite(&r.source, &format!("{at}.source"));
                    total += r.rate.get();
                }
                if total > Decimal::ONE {
                    self.push(
                        ProjectError::new("share-range", "donation.relief")
                            .arg("value", total.normalize()),
                    );
                }
            }
            (None, _) => {}
        }
    }

    fn levy(&mut self) {
        let p = self.program;
        match (&p.levy, p.kind) {
            (None, ProgramKind::LevyScheme) => {
                self.push(ProjectError::new("missing-field", "levy").arg("field", "levy"));
            }
            (Some(_), k) if k != ProgramKind::LevyScheme => {
                self.push(ProjectError::new("field-not-for-kind", "levy").arg("kind", k.as_str()));
            }
            (Some(l), _) => {
                self.text(&l.limit, "levy.limit");
                self.cite(&l.source, "levy.source");
                if !machi_domain::project::STAKEHOLDER_GROUPS.contains(&l.payers.as_str()) {
                    self.push(
                        ProjectError::new("unknown-stakeholder", "levy.payers")
                            .arg("id", &l.payers)
                            .arg(
                                "groups",
                                machi_domain::project::STAKEHOLDER_GROUPS.join(", "),
                            ),
                    );
                }
            }
            (None, _) => {}
        }
    }

    fn sizing(&mut self, s: &Sizing, at: &str) {
        if let Some(b) = &s.subsidy {
            self.cite(&b.source, &format!("{at}.subsidy.source"));
            match (b.method, b.rate) {
                (Method::Rate, None) => {
                    self.push(
                        ProjectError::new("missing-field", format!("{at}.subsidy.rate"))
                            .arg("field", "rate"),
                    );
                }
                (Method::Rate, Some(r)) => self.share(r, &format!("{at}.subsidy.rate"), true),
                (Method::FixedAmount, Some(_)) => {
                    self.push(
                        ProjectError::new("field-not-for-kind", format!("{at}.subsidy.rate"))
                            .arg("kind", "fixed-amount"),
                    );
                }
                (Method::FixedAmount, None) => {}
            }
        }
        for (name, term) in [
            ("cap_per_year", &s.cap_per_year),
            ("cap_total", &s.cap_total),
        ] {
            if let Some(t) = term {
                self.amount(t.amount, &format!("{at}.{name}.amount"));
                self.cite(&t.source, &format!("{at}.{name}.source"));
            }
        }
        if let Some(y) = &s.max_consecutive_years {
            if y.years == 0 || y.years > 100 {
                self.push(
                    ProjectError::new("years-range", format!("{at}.max_consecutive_years.years"))
                        .arg("value", y.years),
                );
            }
            self.cite(&y.source, &format!("{at}.max_consecutive_years.source"));
        }
        if let Some(e) = &s.eligible_expenses {
            self.cite(&e.source, &format!("{at}.eligible_expenses.source"));
            for (i, c) in e.categories.iter().flatten().enumerate() {
                if !(c.fits(LineKind::Capex) || c.fits(LineKind::Opex)) {
                    self.push(
                        ProjectError::new(
                            "not-a-cost-category",
                            format!("{at}.eligible_expenses.categories[{i}]"),
                        )
                        .arg("category", c.as_str()),
                    );
                }
            }
            if e.categories.as_ref().is_some_and(Vec::is_empty) {
                self.push(ProjectError::new(
                    "empty-list",
                    format!("{at}.eligible_expenses.categories"),
                ));
            }
        }
        if let Some(c) = &s.co_funding {
            self.cite(&c.source, &format!("{at}.co_funding.source"));
        }
        if let Some(r) = &s.rounding {
            self.amount(r.unit, &format!("{at}.rounding.unit"));
            self.cite(&r.source, &format!("{at}.rounding.source"));
        }
    }

    fn rule(&mut self, r: &'a Rule, at: &str, themes: &BTreeSet<&str>) {
        self.cite(&r.source, &format!("{at}.source"));
        match &r.test {
            Test::ConsortiumIncludes { each_of } => {
                if each_of.is_empty() || each_of.iter().any(Vec::is_empty) {
                    self.push(ProjectError::new("empty-list", format!("{at}.each_of")));
                }
            }
            Test::LocatedIn { prefectures } => {
                if prefectures.is_empty() {
                    self.push(ProjectError::new("empty-list", format!("{at}.prefectures")));
                }
                for (i, n) in prefectures.iter().enumerate() {
                    if !(1..=47).contains(n) {
                        self.push(
                            ProjectError::new("prefecture-range", format!("{at}.prefectures[{i}]"))
                                .arg("value", n),
                        );
                    }
                }
            }
            Test::MinProjectCost { amount } => self.amount(*amount, &format!("{at}.amount")),
            Test::ThemesAny { themes: ids } => {
                if ids.is_empty() {
                    self.push(ProjectError::new("empty-list", format!("{at}.themes")));
                }
                for (i, t) in ids.iter().enumerate() {
                    if !themes.contains(t.as_str()) {
                        self.push(
                            ProjectError::new("unknown-theme", format!("{at}.themes[{i}]"))
                                .arg("id", t),
                        );
                    }
                }
            }
            Test::RecipientKind { kinds } => {
                if kinds.is_empty() {
                    self.push(ProjectError::new("empty-list", format!("{at}.kinds")));
                }
            }
            Test::ConsentShare { min } => self.share(*min, &format!("{at}.min"), true),
            Test::Condition { text } => self.text(text, &format!("{at}.text")),
            Test::ExecutionPlanPublished {}
            | Test::ImplementationPlan {}
            | Test::ImplementedBy { .. }
            | Test::PlanApproved {} => {}
        }
        if let Some(n) = &r.note {
            self.text(n, &format!("{at}.note"));
        }
    }

    fn cite(&mut self, s: &SourceRef, at: &str) {
        match self.program.sources.iter().find(|x| x.id == s.doc) {
            Some(src) => {
                self.cited.insert(src.id.as_str());
            }
            None => self
                .push(ProjectError::new("unknown-source", format!("{at}.doc")).arg("id", &s.doc)),
        }
    }

    fn slug(&mut self, s: &str, at: &str) {
        if validate_slug(s).is_err() {
            self.push(ProjectError::new("invalid-id", at).arg("value", s));
        }
    }

    fn text(&mut self, t: &Text, at: &str) {
        if t.ja.trim().is_empty() {
            self.push(ProjectError::new("empty-text", format!("{at}.ja")));
        }
    }

    fn url(&mut self, u: &str, at: &str) {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            self.push(ProjectError::new("invalid-url", at).arg("value", u));
        }
    }

    fn amount(&mut self, y: Yen, at: &str) {
        if y <= Yen::ZERO || !y.is_valid_input() {
            self.push(ProjectError::new("amount-range", at).arg("max", Yen(Yen::MAX_INPUT)));
        }
    }

    /// A share in (0, 1] (or [0, 1] when zero is allowed).
    fn share(&mut self, r: Rate, at: &str, positive: bool) {
        let d = r.get();
        let low_ok = if positive {
            d > Decimal::ZERO
        } else {
            d >= Decimal::ZERO
        };
        if !low_ok || d > Decimal::ONE {
            self.push(ProjectError::new("share-range", at).arg("value", r));
        }
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
