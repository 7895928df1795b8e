//! Eligibility: every rule of a program (and of each type) checked against
//! a project, with the answer, the reason and the source.
//!
//! A rule answers **pass**, **fail** or **needs information** (the project
//! file lacks what the rule reads, e.g. `consortium.execution_plan_url`).
//! A type is eligible when no deciding rule fails and none needs
//! information; advisory rules are reported but decide nothing. A program
//! with several types is eligible when one of the checked types is.

use std::cmp::Ordering;

use machi_domain::project::Text;
use machi_domain::{Project, Yen};
use serde::Serialize;

use crate::costs::Costs;
use crate::explain::{Arg, Citation, Explanation};
use crate::program::{Program, ProgramKind, ProgramType, Test};
use crate::sizing::{TypeSizing, size_with};

/// The answer of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The project meets the rule.
    Pass,
    /// The project does not meet the rule.
    Fail,
    /// The project file does not say.
    NeedsInformation,
}

impl Status {
    /// The kebab-case name used in output and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NeedsInformation => "needs-information",
        }
    }
}

/// The verdict on a type or a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every deciding rule passes.
    Eligible,
    /// No deciding rule fails, but some need information.
    NeedsInformation,
    /// A deciding rule fails.
    NotEligible,
}

impl Verdict {
    /// The kebab-case name used in output and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Eligible => "eligible",
            Verdict::NeedsInformation => "needs-information",
            Verdict::NotEligible => "not-eligible",
        }
    }

    /// Rank for "best of": eligible > needs information > not eligible.
    fn rank(self) -> u8 {
        match self {
            Verdict::Eligible => 2,
            Verdict::NeedsInformation => 1,
            Verdict::NotEligible => 0,
        }
    }

    /// The better of two verdicts.
    pub fn best(self, other: Verdict) -> Verdict {
        if other.rank().cmp(&self.rank()) == Ordering::Greater {
            other
        } else {
            self
        }
    }
}

/// One rule checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleOutcome {
    /// The rule's vocabulary name (`located-in`) or `co-funding`.
    pub rule: &'static str,
    /// Where it sits in the program file (`types[1].rules[0]`).
    pub path: String,
    /// The answer.
    pub status: Status,
    /// Reported, but does not decide eligibility.
    pub advisory: bool,
    /// Why.
    pub reason: Explanation,
    /// Where the rule comes from.
    pub source: Citation,
    /// The program file's note on the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

impl RuleOutcome {
    /// Whether the rule decides eligibility (it is not advisory).
    pub fn decides(&self) -> bool {
        !self.advisory
    }
}

/// The check of one type (or of a program without types).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeReport {
    /// Type id; `None` for a program without types.
    pub type_id: Option<String>,
    /// Type name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Every rule, program rules first.
    pub outcomes: Vec<RuleOutcome>,
    /// The verdict.
    pub verdict: Verdict,
    /// The largest subsidy per year (subsidies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sizing: Option<TypeSizing>,
}

/// The check of a program against a project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// Program id.
    pub program: String,
    /// Program name.
    pub name: Text,
    /// Program kind.
    pub kind: ProgramKind,
    /// One report per type checked.
    pub types: Vec<TypeReport>,
    /// The best verdict among the types.
    pub verdict: Verdict,
}

/// Why a check cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// The program has no type with this id.
    #[error("program {program} has no type {type_id}; types: {known:?}")]
    UnknownType {
        /// Program id.
        program: String,
        /// The type asked for.
        type_id: String,
        /// The program's types.
        known: Vec<String>,
    },
}

/// Checks `project` against `program`: type `type_id`, or every type when
/// `None`. Each type's report holds every rule's outcome and, for a
/// subsidy, the sizing.
pub fn check(
    project: &Project,
    program: &Program,
    type_id: Option<&str>,
) -> Result<CheckReport, CheckError> {
    let types = program
        .select_types(type_id)
        .map_err(|known| CheckError::UnknownType {
            program: program.id.clone(),
            type_id: type_id.unwrap_or_default().to_owned(),
            known,
        })?;
    let costs = Costs::of(project);
    let mut reports = Vec::with_capacity(types.len());
    let mut verdict = Verdict::NotEligible;
    for ty in types {
        let mut outcomes = evaluate_rules(project, program, ty, &costs);
        let eligible_so_far = !outcomes
            .iter()
            .any(|o| o.decides() && o.status == Status::Fail);
        let sizing = size_with(project, program, ty, &costs, eligible_so_far);
        if let Some(s) = &sizing
            && let Some(o) = co_funding_outcome(program, ty, &costs, s)
        {
            outcomes.push(o);
        }
        let v = verdict_of(&outcomes);
        verdict = verdict.best(v);
        reports.push(TypeReport {
            type_id: ty.map(|t| t.id.clone()),
            name: ty.map(|t| t.name.clone()),
            outcomes,
            verdict: v,
            sizing,
        });
    }
    Ok(CheckReport {
        program: program.id.clone(),
        name: program.name.clone(),
        kind: program.kind,
        types: reports,
        verdict,
    })
}

fn verdict_of(outcomes: &[RuleOutcome]) -> Verdict {
    let deciding = || outcomes.iter().filter(|o| o.decides());
    if deciding().any(|o| o.status == Status::Fail) {
        Verdict::NotEligible
    } else if deciding().any(|o| o.status == Status::NeedsInformation) {
        Verdict::NeedsInformation
    } else {
        Verdict::Eligible
    }
}

/// The co-funding condition as a rule outcome: it passes when the stated
/// own burden is positive in a year with eligible expenses, or when no
/// burden is stated (then machi assumes cost − subsidy, see
/// [`crate::sizing`]); it fails when the stated burden is zero in every
/// such year.
fn co_funding_outcome(
    program: &Program,
    ty: Option<&ProgramType>,
    costs: &Costs,
    s: &TypeSizing,
) -> Option<RuleOutcome> {
    let sizing = program.sizing_for(ty);
    let term = sizing.co_funding.as_ref()?;
    let path = match (ty, ty.and_then(|t| t.sizing.co_funding.as_ref())) {
        (Some(t), Some(_)) => {
            let i = program.types.iter().position(|x| x.id == t.id).unwrap_or(0);
            format!("types[{i}].sizing.co_funding")
        }
        _ => "sizing.co_funding".to_owned(),
    };
    let years_with_expenses: Vec<usize> = s
        .years
        .iter()
        .enumerate()
        .filter(|(_, y)| y.eligible > Yen::ZERO)
        .map(|(i, _)| i)
        .collect();
    let (status, reason) = match &costs.own_burden {
        None => (Status::Pass, Explanation::new("co-funding-assumed")),
        Some(burden) => {
            let positive = years_with_expenses
                .iter()
                .filter(|&&i| burden.get(i).is_some_and(|b| *b > Yen::ZERO))
                .count();
            if positive > 0 || years_with_expenses.is_empty() {
                (
                    Status::Pass,
                    Explanation::new("co-funding-pass").arg("years", Arg::Count(positive as u64)),
                )
            } else {
                (Status::Fail, Explanation::new("co-funding-fail"))
            }
        }
    };
    Some(RuleOutcome {
        rule: "co-funding",
        path,
        status,
        advisory: false,
        reason,
        source: program.cite(&term.source),
        note: None,
    })
}

/// Checks every rule that applies to `ty` (program rules first).
pub(crate) fn evaluate_rules(
    project: &Project,
    program: &Program,
    ty: Option<&ProgramType>,
    costs: &Costs,
) -> Vec<RuleOutcome> {
    program
        .rules_for(ty)
        .into_iter()
        .map(|(rule, scope)| {
            let (status, reason) = test(project, program, ty, costs, &rule.test);
            RuleOutcome {
                rule: rule.test.name(),
                path: scope.path(),
                status,
                advisory: rule.advisory,
                reason,
                source: program.cite(&rule.source),
                note: rule.note.clone(),
            }
        })
        .collect()
}

fn field(path: &str) -> Arg {
    Arg::Str(path.to_owned())
}

fn test(
    project: &Project,
    program: &Program,
    ty: Option<&ProgramType>,
    costs: &Costs,
    t: &Test,
) -> (Status, Explanation) {
    let c = &project.consortium;
    match t {
        Test::ConsortiumIncludes { each_of } => {
            let mut found: Vec<Text> = Vec::new();
            for group in each_of {
                match project
                    .members
                    .iter()
                    .find(|m| group.iter().any(|k| k.matches(m.kind)))
                {
                    Some(m) => found.push(m.name.clone()),
                    None => {
                        return (
                            Status::Fail,
                            Explanation::new("consortium-includes-fail")
                                .arg("missing", Arg::Kinds(group.clone())),
                        );
                    }
                }
            }
            (
                Status::Pass,
                Explanation::new("consortium-includes-pass").arg("members", Arg::Texts(found)),
            )
        }
        Test::ExecutionPlanPublished {} => match &c.execution_plan_url {
            Some(url) => (
                Status::Pass,
                Explanation::new("execution-plan-published-pass").arg("url", Arg::Str(url.clone())),
            ),
            None => (
                Status::NeedsInformation,
                Explanation::new("execution-plan-published-needs")
                    .arg("field", field("consortium.execution_plan_url")),
            ),
        },
        Test::ImplementationPlan {} => match &c.implementation_plan {
            Some(plan) => (
                Status::Pass,
                Explanation::new("implementation-plan-pass")
                    .arg("title", Arg::Text(plan.title.clone())),
            ),
            None => (
                Status::NeedsInformation,
                Explanation::new("implementation-plan-needs")
                    .arg("field", field("consortium.implementation_plan")),
            ),
        },
        Test::ImplementedBy { year } => match c.implementation_year {
            Some(y) if y <= *year => (
                Status::Pass,
                Explanation::new("implemented-by-pass")
                    .arg("year", Arg::Year(y))
                    .arg("deadline", Arg::Year(*year)),
            ),
            Some(y) => (
                Status::Fail,
                Explanation::new("implemented-by-fail")
                    .arg("year", Arg::Year(y))
                    .arg("deadline", Arg::Year(*year)),
            ),
            None => (
                Status::NeedsInformation,
                Explanation::new("implemented-by-needs")
                    .arg("deadline", Arg::Year(*year))
                    .arg("field", field("consortium.implementation_year")),
            ),
        },
        Test::LocatedIn { prefectures } => {
            let m = &project.project.municipality;
            let pref = m.code.prefecture();
            let e = |code| {
                Explanation::new(code)
                    .arg("municipality", Arg::Text(m.name.clone()))
                    .arg("prefecture", Arg::Prefectures(vec![pref]))
                    .arg("allowed", Arg::Prefectures(prefectures.clone()))
            };
            if prefectures.contains(&pref) {
                (Status::Pass, e("located-in-pass"))
            } else {
                (Status::Fail, e("located-in-fail"))
            }
        }
        Test::MinProjectCost { amount } => {
            let Some(e) = program.sizing_for(ty).eligible_expenses else {
                // A program without eligible expenses compares the whole cost.
                return min_cost(&costs.years, &costs.total, *amount);
            };
            let net: Vec<Yen> = costs.eligible(&e).into_iter().map(|(_, n)| n).collect();
            min_cost(&costs.years, &net, *amount)
        }
        Test::ThemesAny { themes } => {
            let project_themes = project_themes(project);
            let wanted: Vec<&crate::program::Theme> = program
                .themes
                .iter()
                .filter(|t| themes.contains(&t.id))
                .collect();
            let matched: Vec<Text> = wanted
                .iter()
                .filter(|t| project_themes.contains(&t.id))
                .map(|t| t.name.clone())
                .collect();
            if matched.is_empty() {
                (
                    Status::Fail,
                    Explanation::new("themes-any-fail").arg(
                        "themes",
                        Arg::Texts(wanted.iter().map(|t| t.name.clone()).collect()),
                    ),
                )
            } else {
                (
                    Status::Pass,
                    Explanation::new("themes-any-pass").arg("themes", Arg::Texts(matched)),
                )
            }
        }
        Test::RecipientKind { kinds } => {
            // The representative first: it receives the money unless the
            // project names another member.
            let rep = project
                .representative()
                .filter(|m| kinds.iter().any(|k| k.matches(m.kind)));
            match rep.or_else(|| {
                project
                    .members
                    .iter()
                    .find(|m| kinds.iter().any(|k| k.matches(m.kind)))
            }) {
                Some(m) => (
                    Status::Pass,
                    Explanation::new("recipient-kind-pass")
                        .arg("member", Arg::Text(m.name.clone())),
                ),
                None => (
                    Status::Fail,
                    Explanation::new("recipient-kind-fail").arg("kinds", Arg::Kinds(kinds.clone())),
                ),
            }
        }
        Test::ConsentShare { min } => match c.levy_consent_share {
            Some(s) if s.get() >= min.get() => (
                Status::Pass,
                Explanation::new("consent-share-pass")
                    .arg("share", Arg::Rate(s))
                    .arg("min", Arg::Rate(*min)),
            ),
            Some(s) => (
                Status::Fail,
                Explanation::new("consent-share-fail")
                    .arg("share", Arg::Rate(s))
                    .arg("min", Arg::Rate(*min)),
            ),
            None => (
                Status::NeedsInformation,
                Explanation::new("consent-share-needs")
                    .arg("min", Arg::Rate(*min))
                    .arg("field", field("consortium.levy_consent_share")),
            ),
        },
        Test::PlanApproved {} => match c.regional_revitalisation_plan {
            Some(true) => (Status::Pass, Explanation::new("plan-approved-pass")),
            Some(false) => (Status::Fail, Explanation::new("plan-approved-fail")),
            None => (
                Status::NeedsInformation,
                Explanation::new("plan-approved-needs")
                    .arg("field", field("consortium.regional_revitalisation_plan")),
            ),
        },
        Test::Condition { text } => (
            Status::NeedsInformation,
            Explanation::new("condition-confirm").arg("text", Arg::Text(text.clone())),
        ),
    }
}

fn min_cost(
    years: &[machi_domain::FiscalYear],
    amounts: &[Yen],
    min: Yen,
) -> (Status, Explanation) {
    let meeting: Vec<_> = years
        .iter()
        .zip(amounts)
        .filter(|(_, a)| **a >= min)
        .map(|(y, _)| *y)
        .collect();
    let largest = amounts.iter().copied().max().unwrap_or(Yen::ZERO);
    if meeting.is_empty() {
        (
            Status::Fail,
            Explanation::new("min-project-cost-fail")
                .arg("min", Arg::Yen(min))
                .arg("largest", Arg::Yen(largest)),
        )
    } else {
        (
            Status::Pass,
            Explanation::new("min-project-cost-pass")
                .arg("min", Arg::Yen(min))
                .arg("years", Arg::Years(meeting)),
        )
    }
}

/// The project's themes as ids: its MLIT themes and ASEAN focus areas in
/// their file spelling (`disaster-prevention`).
fn project_themes(project: &Project) -> Vec<String> {
    let as_id = |v: serde_json::Value| v.as_str().map(str::to_owned);
    let p = &project.project;
    p.mlit_themes
        .iter()
        .filter_map(|t| serde_json::to_value(t).ok().and_then(as_id))
        .chain(
            p.asean_focus_areas
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok().and_then(as_id)),
        )
        .collect()
}
