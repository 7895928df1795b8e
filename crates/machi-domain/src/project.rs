//! The project file: a smart-city project and its multi-year financial plan.
//!
//! One model, two notations: TOML for people (`examples/*.toml`) and JSON for
//! programs (the API). The format is documented in `docs/project-file.md` and
//! by the JSON Schema in `docs/project-file.schema.json`, which a test keeps
//! equal to [`json_schema`].
//!
//! Reading a file has two steps. Deserialisation checks shapes and types
//! (every struct denies unknown fields, so a misspelt key is an error, not a
//! silently ignored line). [`Project::validate`] then checks meaning (ids
//! unique and resolvable, amounts inside the horizon, categories that fit
//! their kind, complete loan terms) and reports every problem it finds with
//! the path of the field. A project that passes is safe for the engine: no
//! amount, written or generated, exceeds [`Yen::MAX_INPUT`], and no sum or
//! present value the engine computes exceeds [`MAX_SUM`].

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::application::{AppField, ApplicationForm, Contact};
use crate::error::ProjectErrors;
pub use crate::validate::{MAX_NAME_CHARS, MAX_NARRATIVE_CHARS, MAX_OTHER_CHARS};
use crate::{FiscalYear, FundingId, LineItemId, LocalGovCode, MemberId, ProjectId, Rate, Yen};

/// The current version of the project-file format.
pub const SCHEMA_VERSION: u32 = 1;
/// The longest horizon accepted, in fiscal years.
pub const MAX_HORIZON_YEARS: i32 = 100;
/// The most line items plus funding sources accepted (keeps sums in `i64`).
pub const MAX_ENTRIES: usize = 1_000;

/// The largest magnitude of any sum of yen the engine computes from a valid
/// project: (2 × [`MAX_ENTRIES`] + 1) × [`Yen::MAX_INPUT`] ×
/// [`MAX_HORIZON_YEARS`] = 2,001 × ¥10兆 × 100 ≈ ¥2.0 × 10^18, below
/// `i64::MAX` ≈ 9.2 × 10^18 (checked when this crate is compiled).
///
/// The bound is machi's own, derived from its input bounds rather than from
/// any rule of public finance. In one fiscal year an entry moves at most two
/// cells' worth of yen: a line item or a non-debt funding source at most
/// [`Yen::MAX_INPUT`] (validation, `amount-range` and
/// `generated-amount-range`); a loan or bond its drawdown (≤ principal ≤
/// [`Yen::MAX_INPUT`]) in the drawdown year and afterwards interest plus
/// principal repaid ≤ 2 × principal, since the balance never exceeds the
/// principal and the rate is at most 100 %. The residual value adds one cell
/// in the last year. So every sum in the statement — a year's revenue,
/// sources or net cash flow, a line's total over the horizon, the cumulative
/// cash after 100 years, the sum of the annual shortfalls — stays within
/// this bound without a further check. Only discounting can grow a sum
/// beyond it (a negative discount rate raises later years' weight), so
/// validation refuses a negative discount rate at which the present value of
/// the project's flows could exceed it (`present-value-range`).
pub const MAX_SUM: i64 = {
    let sum = (2 * MAX_ENTRIES as i128 + 1) * Yen::MAX_INPUT as i128 * MAX_HORIZON_YEARS as i128;
    assert!(
        sum <= i64::MAX as i128,
        "sums of valid projects must fit in i64"
    );
    sum as i64
};

/// A text in Japanese and, optionally, English (shown in Japanese when the
/// English is missing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// 日本語.
    pub ja: String,
    /// English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// The text in `lang` (`"ja"` or `"en"`), falling back to Japanese.
    pub fn get(&self, english: bool) -> &str {
        match (&self.en, english) {
            (Some(en), true) if !en.trim().is_empty() => en,
            _ => &self.ja,
        }
    }
}

/// A whole project file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Format version; currently 1.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// What the project is and where.
    pub project: ProjectInfo,
    /// The fiscal years modelled.
    pub horizon: Horizon,
    /// Price basis, inflation and discount rates.
    pub finance: FinanceSettings,
    /// The consortium's plans and commitments that funding rules ask for.
    #[serde(default)]
    pub consortium: Consortium,
    /// The application's narrative, field by field as the MLIT form asks.
    #[serde(default, skip_serializing_if = "ApplicationForm::is_empty")]
    pub application: ApplicationForm,
    /// Consortium members (コンソーシアム構成員).
    pub members: Vec<Member>,
    /// Capex, opex, revenue and savings.
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    /// Where the money comes from.
    #[serde(default)]
    pub funding: Vec<FundingSource>,
}

fn schema_version() -> u32 {
    SCHEMA_VERSION
}

/// What the consortium has decided and published, as funding programs ask
/// for it. Every field is optional: a rule that needs a missing field answers
/// "needs information" rather than pass or fail.
///
/// Sources: MLIT スマートシティ実装化支援事業 R6 支援条件 ①–④ (seed 002);
/// 地域再生エリアマネジメント負担金制度 (地域再生法 art. 17-7, consent of at
/// least 2/3 of the businesses); 企業版ふるさと納税 (地域再生計画の認定).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consortium {
    /// The consortium's name (e.g. ○○市スマートシティ推進コンソーシアム).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// URL where the consortium publishes its smart-city execution plan
    /// (スマートシティ実行計画, MLIT 支援条件②).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_plan_url: Option<String>,
    /// The smart-city implementation plan (スマートシティ実装計画, MLIT
    /// 都市サービス実装タイプ 支援条件④), if one has been drawn up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation_plan: Option<PlanDocument>,
    /// The fiscal year the service is fully implemented (本格実装).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation_year: Option<FiscalYear>,
    /// The consortium's own spending on the execution plan's initiatives per
    /// fiscal year (実行計画に基づく取組のコンソーシアム負担額). When absent,
    /// rules that compare it with a subsidy use the project's own costs less
    /// its subsidies.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "amounts_by_year"
    )]
    pub own_burden: BTreeMap<FiscalYear, Yen>,
    /// Whether the municipality's 地域再生計画 covering the project is approved
    /// (needed for 企業版ふるさと納税).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_revitalisation_plan: Option<bool>,
    /// Share of the businesses in the area that consent to an
    /// area-management levy (e.g. "3/4").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levy_consent_share: Option<Rate>,
}

/// A plan document: its title and where it is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDocument {
    /// Title.
    pub title: Text,
    /// Where it is published, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Project metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInfo {
    /// Short identifier (slug).
    pub id: ProjectId,
    /// Project name.
    pub name: Text,
    /// The municipality the project serves.
    pub municipality: Municipality,
    /// The area (地区) within the municipality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Text>,
    /// A one-paragraph summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
    /// Smart-city category by purpose (Smart City Finance seed §2).
    pub category: SmartCityCategory,
    /// Greenfield (new development) or brownfield (existing area).
    pub site: Site,
    /// MLIT R6 priority themes the project addresses (seed 002, 別添1).
    #[serde(default)]
    pub mlit_themes: Vec<MlitTheme>,
    /// ASEAN Smart Cities Network focus areas (seed 003).
    #[serde(default)]
    pub asean_focus_areas: Vec<AseanFocusArea>,
}

/// A municipality and its 全国地方公共団体コード.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// Name, e.g. 久留米市 / Kurume City.
    pub name: Text,
    /// Six-digit local-government code with check digit.
    pub code: LocalGovCode,
}

/// Smart-city category by purpose of introduction.
///
/// Source: 「Smart City Finance — まちを快適にするお金の話」(seed 000), §2
/// Categorization of smart cities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SmartCityCategory {
    /// 課題解決型.
    ProblemSolving,
    /// 機能向上型.
    FunctionImprovement,
    /// 需要創出型.
    DemandCreation,
}

/// Location condition (seed 000 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Site {
    /// グリーンフィールド (new development).
    Greenfield,
    /// ブラウンフィールド (existing area).
    Brownfield,
}

/// MLIT スマートシティ実装化支援事業 R6 priority themes.
///
/// Source: 国土交通省都市局「スマートシティ実装化支援事業について」令和6年3月18日
/// (seed 002), R6年度実装化支援事業の重点テーマ.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum MlitTheme {
    /// 防災の高度化 (AI water-level prediction, wide-area river information, drones).
    DisasterPrevention,
    /// 安心・安全の提供 (watching services, smart meters).
    SafetyAndSecurity,
    /// データ活用による都市計画の高度化、立地適正化計画への反映と市民参加.
    DataDrivenPlanning,
    /// 都市空間・インフラ維持管理手法の高度化 (snow removal, digital twins).
    InfrastructureManagement,
}

/// ASEAN Smart Cities Network focus areas (seed 003).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AseanFocusArea {
    /// Civic and social services.
    CivicAndSocialServices,
    /// Quality environment.
    QualityEnvironment,
    /// Built infrastructure.
    BuiltInfrastructure,
    /// Industry and innovation.
    IndustryAndInnovation,
    /// Safety and security.
    SafetyAndSecurity,
    /// Health and well-being.
    HealthAndWellBeing,
}

/// The fiscal years modelled, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Horizon {
    /// First fiscal year (year 0 of discounting).
    pub first: FiscalYear,
    /// Last fiscal year.
    pub last: FiscalYear,
}

impl Horizon {
    /// Every fiscal year, in order.
    pub fn years(self) -> impl ExactSizeIterator<Item = FiscalYear> + Clone {
        let n = usize::try_from(self.last.years_since(self.first) + 1).unwrap_or(0);
        (0..n).map(move |i| self.first.plus(i32::try_from(i).unwrap_or(0)))
    }

    /// Number of fiscal years (0 if `last` precedes `first`).
    pub fn len(self) -> usize {
        usize::try_from(self.last.years_since(self.first) + 1).unwrap_or(0)
    }

    /// Whether the horizon holds no year.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Index of `fy` in the horizon, if inside it.
    pub fn index(self, fy: FiscalYear) -> Option<usize> {
        if fy < self.first || fy > self.last {
            None
        } else {
            usize::try_from(fy.years_since(self.first)).ok()
        }
    }

    /// Whether `fy` lies inside the horizon.
    pub fn contains(self, fy: FiscalYear) -> bool {
        self.index(fy).is_some()
    }
}

/// Whether amounts are in constant prices of a base year or in current prices.
///
/// Source: EU Reg. 480/2014 art. 19 and the EC *Guide to Cost-Benefit Analysis
/// of Investment Projects* (2014) §2.5: a real (constant-price) analysis uses a
/// real discount rate, a nominal one a nominal rate; the two must not be mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PriceBasis {
    /// Constant prices of `base_year`; discount with a real rate.
    #[default]
    Real,
    /// Current prices; discount with a nominal rate.
    Nominal,
}

/// Where in each period the first cash flow sits for NPV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NpvTiming {
    /// First fiscal year at t = 0, undiscounted (numpy-financial, textbooks).
    #[default]
    Start,
    /// First fiscal year discounted one period (Excel's `NPV`).
    End,
}

/// Finance conventions of the model. Each changes the numbers, so each is
/// explicit (REFERENCE.md, "Finance conventions").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinanceSettings {
    /// Real (constant prices) or nominal.
    #[serde(default)]
    pub price_basis: PriceBasis,
    /// The price year of a real model and the base of `escalation`
    /// generators; defaults to the first fiscal year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_year: Option<FiscalYear>,
    /// Annual inflation used by `escalation` generators (0 by default).
    #[serde(default)]
    pub inflation: Rate,
    /// Discount rate of the whole-project view.
    pub discount_rate: Rate,
    /// Discount rate of the municipality's view; defaults to `discount_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipal_discount_rate: Option<Rate>,
    /// MIRR finance rate; defaults to `discount_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finance_rate: Option<Rate>,
    /// MIRR reinvestment rate; defaults to `discount_rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinvest_rate: Option<Rate>,
    /// Discount rate of the EU funding-gap method; defaults to 4 % real, the
    /// benchmark of Commission Delegated Regulation (EU) 480/2014 art. 19(2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_gap_discount_rate: Option<Rate>,
    /// NPV timing convention.
    #[serde(default)]
    pub npv_timing: NpvTiming,
    /// Residual value of the assets at the end of the last fiscal year.
    #[serde(default)]
    pub residual_value: Yen,
    /// Whether the amounts include consumption tax (消費税). Programs that do
    /// not fund deductible consumption tax then size on amounts × 100/110.
    #[serde(default)]
    pub amounts_include_consumption_tax: bool,
}

impl FinanceSettings {
    /// The base year of prices: `base_year` or the horizon's first year.
    pub fn base_year_or(&self, first: FiscalYear) -> FiscalYear {
        self.base_year.unwrap_or(first)
    }
}

/// The kind of organisation a consortium member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MemberKind {
    /// 市区町村 (municipality).
    Municipality,
    /// 都道府県 (prefecture).
    Prefecture,
    /// 民間企業 (private company).
    Company,
    /// 大学・研究機関 (university or research institute).
    University,
    /// 一般社団法人・協議会等 (association, council).
    Association,
    /// 都市再生推進法人・エリアマネジメント団体 (urban regeneration / area management body).
    AreaManagement,
    /// 金融機関 (financial institution).
    FinancialInstitution,
    /// その他.
    Other,
}

impl MemberKind {
    /// Whether the member is a local government (地方公共団体).
    pub fn is_local_government(self) -> bool {
        matches!(self, MemberKind::Municipality | MemberKind::Prefecture)
    }
}

/// A member's role in the consortium, as marked in the MLIT application form
/// (seed 002, 事業実施体制: ◎ representative, ○ key member).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MemberRole {
    /// ◎ 代表者.
    Representative,
    /// ○ 主要な構成員.
    Key,
    /// 構成員.
    #[default]
    Member,
}

/// A consortium member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Id used by `party`, `payer` and `beneficiary`.
    pub id: MemberId,
    /// Organisation name.
    pub name: Text,
    /// Kind of organisation.
    pub kind: MemberKind,
    /// Role; exactly one member is the representative.
    #[serde(default)]
    pub role: MemberRole,
}

/// The four kinds of line item.
// Declared in statement order (revenue, savings, running cost, investment):
// `LineKind::ALL` is derived from the declaration.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    /// Operating revenue (事業収入).
    Revenue,
    /// Cost savings (コスト削減効果), treated as a benefit equal to cash.
    Savings,
    /// Running cost (運営費・維持管理費).
    Opex,
    /// Investment (整備費・初期費用).
    Capex,
}

impl LineKind {
    /// All kinds in statement order.
    pub const ALL: &[LineKind] = <LineKind as strum::VariantArray>::VARIANTS;

    /// The kebab-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Capex => "capex",
            LineKind::Opex => "opex",
            LineKind::Revenue => "revenue",
            LineKind::Savings => "savings",
        }
    }
}

/// What a line item is, within its kind.
///
/// Revenue categories follow the new income sources of seed 000 §3(3) and the
/// Cabinet Office's funding types for smart-city services (REFERENCE.md);
/// savings categories follow seed 000 §3(2) and §5.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum LineCategory {
    /// capex: sensors, devices, hardware.
    Equipment,
    /// capex: software development, licences.
    Software,
    /// capex: civil works, construction.
    Construction,
    /// capex: design, surveys, studies.
    Design,
    /// capex: data platform (urban OS).
    DataPlatform,
    /// opex: maintenance and repair.
    Maintenance,
    /// opex: service operation, staff.
    Operations,
    /// opex: communication lines.
    Communications,
    /// opex: cloud and hosting.
    Cloud,
    /// opex: personnel.
    Personnel,
    /// revenue: user fees (利用料).
    UserFees,
    /// revenue: advertising (広告).
    Advertising,
    /// revenue: data services (データ利活用).
    DataServices,
    /// revenue: sponsorship (協賛).
    Sponsorship,
    /// revenue: area-management levy and similar (負担金).
    Levy,
    /// revenue: payment by the municipality for a service (委託料、成果連動).
    ServiceContract,
    /// savings: administrative cost reduction (行政コスト削減).
    AdministrativeCostReduction,
    /// savings: cross-industry savings (分野横断のコスト削減).
    CrossIndustrySavings,
    /// any kind: other.
    Other,
}

impl LineCategory {
    /// Whether this category may be used for a line of `kind`.
    pub fn fits(self, kind: LineKind) -> bool {
        use LineCategory as C;
        match self {
            C::Other => true,
            C::Equipment | C::Software | C::Construction | C::Design | C::DataPlatform => {
                kind == LineKind::Capex
            }
            C::Maintenance | C::Operations | C::Communications | C::Cloud | C::Personnel => {
                kind == LineKind::Opex
            }
            C::UserFees
            | C::Advertising
            | C::DataServices
            | C::Sponsorship
            | C::Levy
            | C::ServiceContract => kind == LineKind::Revenue,
            C::AdministrativeCostReduction | C::CrossIndustrySavings => kind == LineKind::Savings,
        }
    }

    /// The kebab-case name used in files and message keys.
    pub fn as_str(self) -> &'static str {
        use LineCategory as C;
        match self {
            C::Equipment => "equipment",
            C::Software => "software",
            C::Construction => "construction",
            C::Design => "design",
            C::DataPlatform => "data-platform",
            C::Maintenance => "maintenance",
            C::Operations => "operations",
            C::Communications => "communications",
            C::Cloud => "cloud",
            C::Personnel => "personnel",
            C::UserFees => "user-fees",
            C::Advertising => "advertising",
            C::DataServices => "data-services",
            C::Sponsorship => "sponsorship",
            C::Levy => "levy",
            C::ServiceContract => "service-contract",
            C::AdministrativeCostReduction => "administrative-cost-reduction",
            C::CrossIndustrySavings => "cross-industry-savings",
            C::Other => "other",
        }
    }
}

/// Groups that pay or benefit without being consortium members. A `payer` or
/// `beneficiary` is either a member id or one of these.
pub const STAKEHOLDER_GROUPS: &[&str] = &[
    "residents",
    "visitors",
    "businesses",
    "landowners",
    "users",
    "advertisers",
    "municipality",
    "prefecture",
    "national-government",
    "society",
];

/// A line of the financial plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// Id, unique among line items.
    pub id: LineItemId,
    /// Capex, opex, revenue or savings.
    pub kind: LineKind,
    /// What it is, within its kind.
    pub category: LineCategory,
    /// Name.
    pub name: Text,
    /// The member in whose accounts the line sits (who spends the cost or
    /// receives the revenue or saving); defaults to the representative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<MemberId>,
    /// Who pays: a member id or a stakeholder group (e.g. `residents` for a
    /// user fee). Defaults to `party`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<String>,
    /// Who benefits: a member id or a stakeholder group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<String>,
    /// Amounts by fiscal year; these override the generator's for the same year.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "amounts_by_year"
    )]
    pub amounts: BTreeMap<FiscalYear, Yen>,
    /// A rule that fills fiscal years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
    /// Where the numbers come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A rule that fills amounts over a range of fiscal years. `from` and `to`
/// default to the horizon's first and last years. Every amount is computed
/// as an exact decimal and rounded to whole yen half away from zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Generator {
    /// The same amount every year.
    Constant {
        /// Amount per year.
        amount: Yen,
        /// First year (default: horizon start).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<FiscalYear>,
        /// Last year (default: horizon end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<FiscalYear>,
    },
    /// `amount × (1 + rate)^k` in the k-th year from `from`.
    Growth {
        /// Amount in the first year.
        amount: Yen,
        /// Annual growth rate.
        rate: Rate,
        /// First year (default: horizon start).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<FiscalYear>,
        /// Last year (default: horizon end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<FiscalYear>,
    },
    /// Linear ramp-up from `start` to `target` over `years` years, then
    /// `target`: year k (0-based) gets `start + (target − start) × min(k+1, years) / years`.
    Ramp {
        /// Amount once ramped up.
        target: Yen,
        /// Years to reach the target (≥ 1).
        years: u32,
        /// Amount before the first year (default 0).
        #[serde(default)]
        start: Yen,
        /// First year (default: horizon start).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<FiscalYear>,
        /// Last year (default: horizon end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<FiscalYear>,
    },
    /// A single amount in one year.
    OneOff {
        /// Amount.
        amount: Yen,
        /// The year.
        year: FiscalYear,
    },
    /// Amounts that change at given years and hold until the next step.
    Step {
        /// The steps, in any order.
        steps: Vec<Step>,
        /// Last year (default: horizon end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<FiscalYear>,
    },
    /// `amount` in base-year prices escalated with the model's inflation:
    /// `amount × (1 + inflation)^(year − base_year)`.
    Escalation {
        /// Amount in base-year prices.
        amount: Yen,
        /// First year (default: horizon start).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<FiscalYear>,
        /// Last year (default: horizon end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<FiscalYear>,
    },
}

/// One step of a [`Generator::Step`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The year the amount starts.
    pub from: FiscalYear,
    /// The amount from that year on.
    pub amount: Yen,
}

/// Kinds of funding source.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FundingKind {
    /// A member's own funds (自己資金, 自治体一般財源).
    OwnFunds,
    /// A loan (借入).
    Loan,
    /// A bond (債券; for a municipality 地方債).
    Bond,
    /// Equity (出資).
    Equity,
    /// Crowdfunding (purchase or donation type; not repaid).
    Crowdfunding,
    /// A donation, e.g. 企業版ふるさと納税.
    Donation,
    /// A subsidy (補助金・交付金).
    Subsidy,
}

impl FundingKind {
    /// Whether the source is repaid with interest.
    pub fn is_debt(self) -> bool {
        matches!(self, FundingKind::Loan | FundingKind::Bond)
    }

    /// The kebab-case name used in files and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            FundingKind::OwnFunds => "own-funds",
            FundingKind::Loan => "loan",
            FundingKind::Bond => "bond",
            FundingKind::Equity => "equity",
            FundingKind::Crowdfunding => "crowdfunding",
            FundingKind::Donation => "donation",
            FundingKind::Subsidy => "subsidy",
        }
    }
}

/// How a loan or bond is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Repayment {
    /// Equal total payments (元利均等).
    #[default]
    Annuity,
    /// Equal principal payments (元金均等).
    StraightLine,
    /// All principal at maturity (満期一括), interest yearly.
    Bullet,
}

/// Kinds of donation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DonationKind {
    /// 企業版ふるさと納税 (地方創生応援税制).
    CorporateHometownTax,
    /// Any other donation.
    #[default]
    Other,
}

/// A source of money.
///
/// Loans and bonds are described by their terms (`principal`, `drawdown`,
/// `rate`, `tenor_years`, `grace_years`, `repayment`); every other kind by
/// amounts per fiscal year, given explicitly or by a generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingSource {
    /// Id, unique among funding sources.
    pub id: FundingId,
    /// Kind of source.
    pub kind: FundingKind,
    /// Name.
    pub name: Text,
    /// The member who receives the money (for own funds: who contributes it);
    /// defaults to the representative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<MemberId>,
    /// Amounts by fiscal year (not for loans and bonds).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "amounts_by_year"
    )]
    pub amounts: BTreeMap<FiscalYear, Yen>,
    /// A rule that fills fiscal years (not for loans and bonds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<Generator>,
    /// Loan/bond: amount borrowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Yen>,
    /// Loan/bond: fiscal year the money arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawdown: Option<FiscalYear>,
    /// Loan/bond: annual interest rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
    /// Loan/bond: years from drawdown to final repayment, grace included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenor_years: Option<u32>,
    /// Loan/bond: years of interest-only payments before repayment starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_years: Option<u32>,
    /// Loan/bond: repayment profile (annuity by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repayment: Option<Repayment>,
    /// Donation: which kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donation_kind: Option<DonationKind>,
    /// Donation: the donor (member id or a name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub donor: Option<String>,
    /// Subsidy: the funding program's id (see `programs/`), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// Where the numbers come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Reads an `amounts` table, refusing the same fiscal year written twice in
/// different notations (`2025` and `"令和7年度"`): a plain map would keep one
/// of them silently.
fn amounts_by_year<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<FiscalYear, Yen>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = BTreeMap<FiscalYear, Yen>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table of fiscal year = amount")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((fy, yen)) = map.next_entry::<FiscalYear, Yen>()? {
                if out.insert(fy, yen).is_some() {
                    return Err(serde::de::Error::custom(format!(
                        "duplicate fiscal year: \"{fy}\""
                    )));
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// The terms of a loan or bond, complete (after validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebtTerms {
    /// Amount borrowed.
    pub principal: Yen,
    /// Year the money arrives.
    pub drawdown: FiscalYear,
    /// Annual interest rate.
    pub rate: Rate,
    /// Years from drawdown to final repayment.
    pub tenor_years: u32,
    /// Interest-only years.
    pub grace_years: u32,
    /// Repayment profile.
    pub repayment: Repayment,
}

impl FundingSource {
    /// The debt terms of a loan or bond whose terms are complete; `None`
    /// for other kinds (validation guarantees completeness for debt).
    pub fn debt_terms(&self) -> Option<DebtTerms> {
        if !self.kind.is_debt() {
            return None;
        }
        Some(DebtTerms {
            principal: self.principal?,
            drawdown: self.drawdown?,
            rate: self.rate?,
            tenor_years: self.tenor_years?,
            grace_years: self.grace_years.unwrap_or(0),
            repayment: self.repayment.unwrap_or_default(),
        })
    }
}

impl Project {
    /// Reads and validates a project from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Project, ProjectErrors> {
        // A byte-order mark (Windows editors write one) is not content.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let project: Project =
            toml::from_str(text).map_err(|e| ProjectErrors::from_toml(&e, text))?;
        project.validate()?;
        Ok(project)
    }

    /// Reads and validates a project from JSON text.
    pub fn from_json_str(text: &str) -> Result<Project, ProjectErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut de = serde_json::Deserializer::from_str(text);
        let project: Project = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| ProjectErrors::from_json_at(e.inner(), &e.path().to_string()))?;
        de.end().map_err(|e| ProjectErrors::from_json(&e, text))?;
        project.validate()?;
        Ok(project)
    }

    /// The member marked as representative (◎), if any.
    pub fn representative(&self) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.role == MemberRole::Representative)
    }

    /// The member a line or funding source belongs to: its `party` or the
    /// representative.
    pub fn party_of<'a>(&'a self, party: Option<&'a MemberId>) -> Option<&'a Member> {
        match party {
            Some(id) => self.members.iter().find(|m| &m.id == id),
            None => self.representative(),
        }
    }
}

/// The JSON Schema of the project file (draft 2020-12).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Project);
    let mut v = serde_json::to_value(&schema).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("$id".into(), "urn:machi:schema:project-file:1".into());
        o.insert("title".into(), "machi project file".into());
    }
    v
}
