//! The rule vocabulary evaluated: each rule of a program (and of a type)
//! tested against a project, answering pass, fail or needs information with
//! the reason and the rule's source. Eligibility ([`crate::eligibility`]),
//! sizing ([`crate::sizing`]) and the optimiser's input
//! ([`crate::stack_input`]) all start from these outcomes.

use machi_domain::project::Text;
use machi_domain::{Project, Yen};
use serde::Serialize;

use crate::costs::Costs;
use crate::explain::{Arg, Citation, Explanation};
use crate::program::{Program, ProgramType, Test};

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
