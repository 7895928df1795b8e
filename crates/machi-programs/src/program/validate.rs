//! The meaning of a loaded program file: [`Program::validate`] checks what
//! deserialisation cannot (every rule cites a declared source, a rate lies
//! in (0, 1], a category is a cost category, …) and reports every problem
//! with the path of its field.

use std::collections::BTreeSet;

use machi_domain::project::{LineKind, Text};
use machi_domain::{ProjectError, Rate, Yen, validate_slug};
use rust_decimal::Decimal;

use super::{Method, Program, ProgramKind, Rule, SCHEMA_VERSION, Sizing, SourceRef, Test};

impl Program {
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
