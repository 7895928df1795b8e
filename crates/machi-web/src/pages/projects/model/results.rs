//! The results beside the grid: cliff, headline metrics, charts and the
//! statement of what the grid would save, or why it cannot be evaluated.

use machi_domain::Project;
use machi_i18n::Lang;

use crate::service::projects as service;
use crate::view::{self, EvalView, Kv};

use super::apply::*;

/// The evaluation of the edited model, or why there is none.
pub struct Results {
    /// The evaluation, when the form is valid.
    pub eval: Option<EvalView>,
    /// The evaluation JSON the charts draw (as the API serves it).
    pub eval_json: String,
    /// The headline for the status bar.
    pub headline: Vec<Kv>,
    /// Every problem, with its place.
    pub problems: Vec<String>,
    /// "N problems; nothing recalculated".
    pub problems_title: String,
    /// Field → message, for the script that marks the cells.
    pub cell_errors: String,
    /// Row totals: (element id, text).
    pub totals: Vec<(String, String)>,
    /// The heading of the results.
    pub title: String,
    /// What the status bar calls the figures.
    pub status_label: String,
    /// Whether the figures are of unsaved input (the preview).
    pub unsaved: bool,
}

impl Results {
    /// The results of a merged project, or its problems by row.
    pub fn of_merged(merged: &Project, lang: Lang) -> Results {
        let applied = Applied::unchanged(merged);
        match merged.validate() {
            Ok(()) => Results::of(&applied, lang),
            Err(errs) => {
                let problems: Vec<Problem> = errs
                    .0
                    .iter()
                    .map(|e| {
                        validation_problem(
                            e,
                            lang,
                            merged,
                            &applied.line_rows,
                            &applied.funding_rows,
                        )
                    })
                    .collect();
                Results::failed(&problems, lang)
            }
        }
    }

    pub(super) fn of(applied: &Applied, lang: Lang) -> Results {
        let p = &applied.project;
        match service::evaluate(p) {
            Ok(e) => {
                let ev = view::eval_view(p, &e, lang);
                let mut totals: Vec<(String, String)> = applied
                    .line_rows
                    .iter()
                    .zip(&e.lines)
                    .map(|(i, l)| (format!("total-l-{i}"), view::yen(l.total)))
                    .collect();
                totals.extend(
                    applied
                        .funding_rows
                        .iter()
                        .zip(&e.funding)
                        .map(|(i, f)| (format!("total-f-{i}"), view::yen(f.total))),
                );
                let m = &e.metrics;
                let headline = vec![
                    Kv {
                        label: machi_report::label(lang, "m.npv").to_owned(),
                        value: view::yen(m.npv),
                    },
                    Kv {
                        label: machi_report::label(lang, "section.cliff").to_owned(),
                        value: ev.verdict.clone(),
                    },
                    Kv {
                        label: machi_report::label(lang, "m.min_self_sufficiency").to_owned(),
                        value: machi_report::percent(m.min_self_sufficiency),
                    },
                ];
                Results {
                    eval_json: machi_report::json(p, &e),
                    eval: Some(ev),
                    headline,
                    problems: Vec::new(),
                    problems_title: String::new(),
                    cell_errors: "{}".to_owned(),
                    totals,
                    title: lang.t("web.model.results").to_owned(),
                    status_label: lang.t("web.model.unsaved-results").to_owned(),
                    unsaved: true,
                }
            }
            Err(e) => {
                let mut messages = e.problems(lang);
                if messages.is_empty() {
                    messages.push(e.message(lang));
                }
                let problems: Vec<Problem> = messages
                    .into_iter()
                    .map(|message| Problem {
                        field: None,
                        place: String::new(),
                        message,
                    })
                    .collect();
                Results::failed(&problems, lang)
            }
        }
    }

    pub(super) fn failed(problems: &[Problem], lang: Lang) -> Results {
        let cells: serde_json::Map<String, serde_json::Value> = problems
            .iter()
            .filter_map(|p| Some((p.field.clone()?, p.message.clone().into())))
            .collect();
        Results {
            eval: None,
            eval_json: String::new(),
            headline: Vec::new(),
            problems: problems.iter().map(Problem::text).collect(),
            problems_title: lang.tf("web.model.problems", &[("count", &problems.len())]),
            cell_errors: serde_json::Value::Object(cells).to_string(),
            totals: Vec::new(),
            title: lang.t("web.model.results").to_owned(),
            status_label: String::new(),
            unsaved: true,
        }
    }

    /// The same figures, labelled as those of saved version `version`.
    pub(super) fn saved(mut self, version: i64, lang: Lang) -> Results {
        self.title = lang.tf("web.model.saved-results", &[("version", &version)]);
        self.status_label = lang.tf("web.model.saved-status", &[("version", &version)]);
        self.unsaved = false;
        self
    }

    pub(super) fn from(r: &Result<Applied, Vec<Problem>>, lang: Lang) -> Results {
        match r {
            Ok(a) => Results::of(a, lang),
            Err(problems) => Results::failed(problems, lang),
        }
    }
}

// ---------------------------------------------------------------------------
// Handlers.

/// The name of the line item or funding source with `id`, in `lang`
/// (the id itself when neither has it).
pub(super) fn entry_name(p: &Project, id: &str, lang: Lang) -> String {
    let en = lang == Lang::En;
    p.line_items
        .iter()
        .find(|l| l.id.as_str() == id)
        .map(|l| l.name.get(en).to_owned())
        .or_else(|| {
            p.funding
                .iter()
                .find(|f| f.id.as_str() == id)
                .map(|f| f.name.get(en).to_owned())
        })
        .unwrap_or_else(|| id.to_owned())
}
