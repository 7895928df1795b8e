//! The rule vocabulary of a program file: the sizing terms ([`Sizing`] and
//! its parts) and the rules ([`Rule`], the tests of [`Test`], the member
//! kinds of [`KindSelector`]). Generic: no term names a particular program.

use machi_domain::project::{LineCategory, LineKind, MemberKind, Text};
use machi_domain::{FiscalYear, Rate, Yen};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AmountTerm, SourceRef, YearsTerm};

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
