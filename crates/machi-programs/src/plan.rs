//! Applying a funding plan to a project, so that the evaluation (statement,
//! metrics, funding cliff, break-even and levers) reflects the subsidies the
//! plan chose rather than the ones the project file guessed.
//!
//! The chosen subsidies replace every subsidy funding source of the project
//! that names one of the candidate programs (`funding.program`). Subsidies
//! of other programs, and other kinds of funding, are kept as they are.
//! Each award becomes income of the member whose expenses it funds: the part
//! attributed to expenses held by a local government goes to the first
//! local-government member, the rest to the representative, pro rata to the
//! expenses assigned (so the municipality's view counts only its share).

use std::collections::{BTreeMap, BTreeSet};

use machi_domain::project::{FundingKind, FundingSource, Text};
use machi_domain::{FiscalYear, FundingId, MemberId, Project, Yen};

use crate::Program;
use crate::stack::{StackPlan, StackProblem};

/// The project with the plan's subsidies in place of the candidates' ones.
///
/// `candidates` must be the list `problem` was built from (same order), so
/// that award indices resolve to programs and types.
pub fn apply_plan(
    project: &Project,
    candidates: &[(&Program, Option<&str>)],
    problem: &StackProblem,
    plan: &StackPlan,
) -> Project {
    let mut out = project.clone();
    let replaced: BTreeSet<&str> = candidates.iter().map(|(p, _)| p.id.as_str()).collect();
    out.funding.retain(|f| {
        !(f.kind == FundingKind::Subsidy
            && f.program.as_deref().is_some_and(|p| replaced.contains(p)))
    });
    let municipal_member: Option<MemberId> = project
        .members
        .iter()
        .find(|m| m.kind.is_local_government())
        .map(|m| m.id.clone());

    // (program, type, municipal?) → amounts by fiscal year.
    let mut by_source: BTreeMap<(usize, usize, bool), BTreeMap<FiscalYear, Yen>> = BTreeMap::new();
    for award in &plan.awards {
        let Some(&year) = problem.years.get(award.year) else {
            continue;
        };
        let assigned: i128 = award
            .expenses
            .iter()
            .map(|(_, e)| i128::from(e.get()))
            .sum();
        let municipal: i128 = award
            .expenses
            .iter()
            .filter(|(pool, _)| problem.pools.get(*pool).is_some_and(|p| p.municipal))
            .map(|(_, e)| i128::from(e.get()))
            .sum();
        // The municipality's share, rounded down; the rest to the representative.
        let to_municipality = if assigned > 0 && municipal_member.is_some() {
            Yen(i64::try_from(i128::from(award.amount.get()) * municipal / assigned).unwrap_or(0))
        } else {
            Yen::ZERO
        };
        for (municipal, amount) in [
            (true, to_municipality),
            (false, award.amount - to_municipality),
        ] {
            if amount > Yen::ZERO {
                *by_source
                    .entry((award.program, award.kind, municipal))
                    .or_default()
                    .entry(year)
                    .or_default() += amount;
            }
        }
    }

    let mut taken: BTreeSet<String> = out.funding.iter().map(|f| f.id.to_string()).collect();
    for ((pi, ti, municipal), amounts) in by_source {
        let Some((program, type_id)) = candidates.get(pi) else {
            continue;
        };
        let ty = program
            .select_types(*type_id)
            .ok()
            .and_then(|types| types.get(ti).copied().flatten());
        let mut name = program.name.clone();
        if let Some(ty) = ty {
            name = Text {
                ja: format!("{}（{}）", name.ja, ty.name.ja),
                en: Some(format!("{} ({})", name.get(true), ty.name.get(true))),
            };
        }
        let base = match ty {
            Some(ty) => format!("plan-{}-{}", program.id, ty.id),
            None => format!("plan-{}", program.id),
        };
        let base = if municipal {
            base
        } else {
            format!("{base}-private")
        };
        let id = unique_id(&base, &mut taken);
        out.funding.push(FundingSource {
            id,
            kind: FundingKind::Subsidy,
            name,
            party: if municipal {
                municipal_member.clone()
            } else {
                None
            },
            amounts,
            generator: None,
            principal: None,
            drawdown: None,
            rate: None,
            tenor_years: None,
            grace_years: None,
            repayment: None,
            donation_kind: None,
            donor: None,
            program: Some(program.id.clone()),
            note: Some("machi fund".to_owned()),
        });
    }
    out
}

/// A funding id from `base`: cut to the 64 characters ids allow, made unique
/// with a numeric suffix.
fn unique_id(base: &str, taken: &mut BTreeSet<String>) -> FundingId {
    let cut = |s: &str, n: usize| {
        s.chars()
            .take(n)
            .collect::<String>()
            .trim_end_matches('-')
            .to_owned()
    };
    let mut candidate = cut(base, 64);
    let mut n = 2;
    while taken.contains(&candidate) || FundingId::new(candidate.clone()).is_err() {
        let suffix = format!("-{n}");
        candidate = format!("{}{suffix}", cut(base, 64 - suffix.len()));
        n += 1;
        if n > 1_000 {
            break;
        }
    }
    taken.insert(candidate.clone());
    FundingId::new(candidate)
        .unwrap_or_else(|_| FundingId::new("plan").expect("a valid literal id"))
}

#[cfg(test)]
mod tests {
    use super::unique_id;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_and_valid() {
        let mut taken = BTreeSet::from(["plan-a".to_owned()]);
        assert_eq!(unique_id("plan-a", &mut taken).as_str(), "plan-a-2");
        let long = format!("plan-{}", "x".repeat(80));
        let id = unique_id(&long, &mut taken);
        assert_eq!(id.as_str().len(), 64);
        assert_eq!(unique_id(&long, &mut taken).as_str().len(), 64);
    }
}
