//! The project page's funding-program section: for every program machi
//! ships, each type's verdict (eligible, needs information, not eligible)
//! with the rules that stand in the way, and — for subsidies — the largest
//! amount the rules allow per fiscal year with the bound that decides it.
//! The same checks and sizing as `machi check`, rendered through the same
//! catalogue (`machi_report::programs`).

use machi_domain::{Project, Yen};
use machi_i18n::Lang;
use machi_programs::{Status, check};
use machi_report::programs::explanation;

use crate::view;

/// One program type as shown.
pub struct ProgramView {
    /// `id` or `id:type`.
    pub id: String,
    /// Program name, with the type's name.
    pub name: String,
    /// `eligible`, `needs-information` or `not-eligible` (for styling and tests).
    pub verdict_code: &'static str,
    /// The verdict in the reader's language.
    pub verdict: String,
    /// Why not (yet): the deciding rules that fail or need information.
    pub issues: Vec<String>,
    /// The largest total subsidy, for subsidies.
    pub total: Option<String>,
    /// The fiscal years with an amount.
    pub years: Vec<YearView>,
}

/// A fiscal year's largest subsidy and what decides it.
pub struct YearView {
    /// 令和7年度 / FY2025.
    pub year: String,
    /// ¥20,000,000.
    pub amount: String,
    /// The deciding reason, e.g. "capped by the per-year limit".
    pub why: String,
}

/// Every shipped program type checked and sized against `project`.
pub fn program_views(project: &Project, lang: Lang) -> Vec<ProgramView> {
    let en = lang == Lang::En;
    let Ok(catalogue) = crate::service::projects::catalogue() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for program in catalogue.iter() {
        let Ok(report) = check(project, program, None) else {
            continue;
        };
        for ty in &report.types {
            let name = match &ty.name {
                Some(n) => format!("{} · {}", program.name.get(en), n.get(en)),
                None => program.name.get(en).to_owned(),
            };
            let issues = ty
                .outcomes
                .iter()
                .filter(|o| o.decides() && o.status != Status::Pass)
                .map(|o| explanation("reason", &o.reason, lang))
                .collect();
            let years = ty
                .sizing
                .as_ref()
                .map(|s| {
                    s.years
                        .iter()
                        .filter(|y| y.amount > Yen::ZERO)
                        .map(|y| YearView {
                            year: view::fy(lang, y.year),
                            amount: y.amount.to_string(),
                            why: y
                                .explanation
                                .first()
                                .map(|e| explanation("sizing", e, lang))
                                .unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(ProgramView {
                id: ty
                    .type_id
                    .as_ref()
                    .map_or_else(|| program.id.clone(), |t| format!("{}:{t}", program.id)),
                name,
                verdict_code: ty.verdict.as_str(),
                verdict: lang
                    .t(&format!("programs.verdict.{}", ty.verdict.as_str()))
                    .to_owned(),
                issues,
                total: ty.sizing.as_ref().map(|s| s.total.to_string()),
                years,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kurume() -> Project {
        Project::from_toml_str(include_str!("../../../examples/kurume-flood-ai.toml"))
            .expect("example")
    }

    #[test]
    fn kurume_fits_mlit_but_not_tokyo() {
        let views = program_views(&kurume(), Lang::Ja);
        let find = |id: &str| {
            views
                .iter()
                .find(|v| v.id == id)
                .unwrap_or_else(|| panic!("{id} shown"))
        };
        let mlit = find("mlit-smart-city-implementation:normal");
        assert_eq!(mlit.verdict_code, "eligible");
        // 定額 up to ¥20M a year for the first consecutive years (see `machi check`).
        assert_eq!(mlit.total.as_deref(), Some("¥40,000,000"));
        assert_eq!(
            mlit.years.first().map(|y| y.year.as_str()),
            Some("令和7年度")
        );
        assert!(!mlit.years[0].why.is_empty());
        // Implementation in FY2027 is too late for the urban-service type.
        assert_eq!(
            find("mlit-smart-city-implementation:urban-service").verdict_code,
            "not-eligible"
        );
        let tokyo = find("tokyo-smart-tokyo-local-issues");
        assert_eq!(tokyo.verdict_code, "not-eligible");
        assert!(
            !tokyo.issues.is_empty(),
            "the failing location rule is named"
        );
        assert!(tokyo.years.is_empty());
    }
}
