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
use crate::explain::{Arg, Explanation};
use crate::program::{Program, ProgramKind, ProgramType};
use crate::rules::evaluate_rules;
pub use crate::rules::{RuleOutcome, Status};
use crate::sizing::{TypeSizing, size_with};

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
