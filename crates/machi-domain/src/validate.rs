//! Validation of a deserialised project: every rule a project file must
//! keep beyond its shape (ids unique and resolvable, amounts inside the
//! horizon and within the range machi supports, categories that fit their
//! kind, complete loan terms), each problem reported with the path of its
//! field.

use crate::error::{ProjectError, ProjectErrors};
use crate::schedule::try_expand;
use crate::{FiscalYear, Rate, Yen};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::project::*;

impl Project {
    /// Checks the meaning of a deserialised project and returns every
    /// problem found, each with the path of its field.
    pub fn validate(&self) -> Result<(), ProjectErrors> {
        let mut errs = Vec::new();
        self.check_texts(&mut errs);
        let h = self.horizon;
        if self.schema_version != SCHEMA_VERSION {
            errs.push(
                ProjectError::new("unsupported-version", "schema_version")
                    .arg("version", self.schema_version),
            );
        }
        if h.last < h.first {
            errs.push(
                ProjectError::new("horizon-order", "horizon.last")
                    .arg("first", h.first)
                    .arg("last", h.last),
            );
        } else if h.last.years_since(h.first) >= MAX_HORIZON_YEARS {
            errs.push(
                ProjectError::new("horizon-too-long", "horizon.last").arg("max", MAX_HORIZON_YEARS),
            );
        }
        self.validate_finance(&mut errs);
        self.validate_consortium(&mut errs);

        // Members: unique ids, exactly one representative.
        let mut member_ids = BTreeSet::new();
        for (i, m) in self.members.iter().enumerate() {
            if !member_ids.insert(m.id.as_str()) {
                errs.push(
                    ProjectError::new("duplicate-id", format!("members[{i}].id")).arg("id", &m.id),
                );
            }
            check_text(&m.name, &At("members", i), "name", &mut errs);
        }
        let reps = self
            .members
            .iter()
            .filter(|m| m.role == MemberRole::Representative)
            .count();
        if self.members.is_empty() {
            errs.push(ProjectError::new("no-members", "members"));
        } else if reps != 1 {
            errs.push(ProjectError::new("representative-count", "members").arg("count", reps));
        }
        check_text(&self.project.name, &"project", "name", &mut errs);
        check_text(
            &self.project.municipality.name,
            &"project.municipality",
            "name",
            &mut errs,
        );

        if self.line_items.len() + self.funding.len() > MAX_ENTRIES {
            errs.push(ProjectError::new("too-many-entries", "line_items").arg("max", MAX_ENTRIES));
        }

        let known_party = |p: &str| member_ids.contains(p) || STAKEHOLDER_GROUPS.contains(&p);
        let mut schedules = Schedules::new(self);
        let mut line_ids = BTreeSet::new();
        for (i, li) in self.line_items.iter().enumerate() {
            // Paths are built only when an error is reported (this runs per line).
            let at = &At("line_items", i);
            if !line_ids.insert(li.id.as_str()) {
                errs.push(ProjectError::new("duplicate-id", format!("{at}.id")).arg("id", &li.id));
            }
            check_text(&li.name, at, "name", &mut errs);
            if !li.category.fits(li.kind) {
                errs.push(
                    ProjectError::new("category-kind", format!("{at}.category"))
                        .arg("category", li.category.as_str())
                        .arg("kind", li.kind.as_str()),
                );
            }
            if let Some(p) = &li.party
                && !member_ids.contains(p.as_str())
            {
                errs.push(ProjectError::new("unknown-member", format!("{at}.party")).arg("id", p));
            }
            for (field, value) in [("payer", &li.payer), ("beneficiary", &li.beneficiary)] {
                if let Some(v) = value
                    && !known_party(v)
                {
                    errs.push(
                        ProjectError::new("unknown-stakeholder", format!("{at}.{field}"))
                            .arg("id", v)
                            .arg("groups", STAKEHOLDER_GROUPS.join(", ")),
                    );
                }
            }
            schedules.check(&li.amounts, li.generator.as_ref(), at, &mut errs);
        }

        let mut funding_ids = BTreeSet::new();
        for (i, f) in self.funding.iter().enumerate() {
            let at = &At("funding", i);
            if !funding_ids.insert(f.id.as_str()) {
                errs.push(ProjectError::new("duplicate-id", format!("{at}.id")).arg("id", &f.id));
            }
            check_text(&f.name, at, "name", &mut errs);
            if let Some(p) = &f.party
                && !member_ids.contains(p.as_str())
            {
                errs.push(ProjectError::new("unknown-member", format!("{at}.party")).arg("id", p));
            }
            self.validate_funding_terms(f, at, &mut schedules, &mut errs);
        }
        // Only a project whose every amount is in range has flows to bound.
        if errs.is_empty() {
            schedules.add_last_year(self.finance.residual_value);
            self.check_present_values(&schedules.flows, &mut errs);
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ProjectErrors(errs))
        }
    }

    fn validate_consortium(&self, errs: &mut Vec<ProjectError>) {
        let c = &self.consortium;
        let urls = [
            (
                "consortium.execution_plan_url",
                c.execution_plan_url.as_deref(),
            ),
            (
                "consortium.implementation_plan.url",
                c.implementation_plan
                    .as_ref()
                    .and_then(|p| p.url.as_deref()),
            ),
        ];
        for (path, url) in urls {
            if let Some(u) = url
                && !(u.starts_with("https://") || u.starts_with("http://"))
            {
                errs.push(ProjectError::new("invalid-url", path).arg("value", u));
            }
        }
        if let Some(name) = &c.name {
            check_text(name, &"consortium", "name", errs);
        }
        if let Some(plan) = &c.implementation_plan {
            check_text(
                &plan.title,
                &"consortium.implementation_plan",
                "title",
                errs,
            );
        }
        if let Some(share) = c.levy_consent_share
            && !(share.to_f64() >= 0.0 && share.to_f64() <= 1.0)
        {
            errs.push(
                ProjectError::new("share-range", "consortium.levy_consent_share")
                    .arg("value", share),
            );
        }
        for (fy, y) in &c.own_burden {
            let path = || format!("consortium.own_burden.{fy}");
            if !self.horizon.contains(*fy) {
                errs.push(
                    ProjectError::new("outside-horizon", path())
                        .arg("year", fy)
                        .arg("first", self.horizon.first)
                        .arg("last", self.horizon.last),
                );
            } else if *y < Yen::ZERO {
                errs.push(ProjectError::new("negative-amount", path()).arg("amount", y));
            } else if !y.is_valid_input() {
                errs.push(
                    ProjectError::new("amount-range", path()).arg("max", Yen(Yen::MAX_INPUT)),
                );
            }
        }
    }

    fn validate_finance(&self, errs: &mut Vec<ProjectError>) {
        let f = &self.finance;
        let rates = [
            ("finance.discount_rate", Some(f.discount_rate)),
            ("finance.municipal_discount_rate", f.municipal_discount_rate),
            ("finance.finance_rate", f.finance_rate),
            ("finance.reinvest_rate", f.reinvest_rate),
            (
                "finance.funding_gap_discount_rate",
                f.funding_gap_discount_rate,
            ),
            ("finance.inflation", Some(f.inflation)),
        ];
        for (path, rate) in rates {
            if let Some(r) = rate
                && !finance_rate_in_range(r)
            {
                errs.push(ProjectError::new("rate-range", path).arg("value", r));
            }
        }
        if !f.residual_value.is_valid_input() || f.residual_value < Yen::ZERO {
            errs.push(
                ProjectError::new("amount-range", "finance.residual_value")
                    .arg("max", Yen(Yen::MAX_INPUT)),
            );
        }
    }

    /// Refuses a negative discount rate at which the present value of the
    /// project's flows could exceed [`MAX_SUM`] (`present-value-range`).
    ///
    /// `flows` bounds each fiscal year's flows in magnitude (see
    /// [`Schedules`]). The engine turns four present values into yen: the
    /// NPV of the project flows and the municipality's NPV (at their
    /// discount rates, with the NPV timing) and the EU funding gap's
    /// discounted investment cost and net revenue (at its rate, first year
    /// undiscounted). Each is at most Σ flows_t / (1 + r)^(t + shift) in
    /// magnitude. At a rate ≥ 0 every weight is ≤ 1, so that is at most the
    /// undiscounted sum, already within [`MAX_SUM`]; a negative rate gives
    /// later years weights above 1 (at −50 % the 100th year weighs 2^99), so
    /// it is checked here. The bound is machi's own.
    fn check_present_values(&self, flows: &[i128], errs: &mut Vec<ProjectError>) {
        let f = &self.finance;
        let shift = i32::from(f.npv_timing == NpvTiming::End);
        // The municipal rate defaults to the discount rate (checked with it)
        // and the funding-gap rate to 4 %.
        let rates = [
            ("finance.discount_rate", Some(f.discount_rate), shift),
            (
                "finance.municipal_discount_rate",
                f.municipal_discount_rate,
                shift,
            ),
            (
                "finance.funding_gap_discount_rate",
                f.funding_gap_discount_rate,
                0,
            ),
        ];
        for (path, rate, shift) in rates {
            let Some(rate) = rate else { continue };
            let r = rate.to_f64();
            if r >= 0.0 {
                continue;
            }
            let bound: f64 = flows
                .iter()
                .zip(0_i32..)
                .filter(|(v, _)| **v != 0)
                .map(|(v, t)| *v as f64 / (1.0 + r).powi(t + shift))
                .sum();
            // An infinite bound (a weight past f64) is refused too; the
            // terms are positive, so it is never NaN.
            if bound.is_nan() || bound > MAX_SUM as f64 {
                errs.push(
                    ProjectError::new("present-value-range", path)
                        .arg("value", rate)
                        .arg("max", Yen(MAX_SUM)),
                );
            }
        }
    }

    fn validate_funding_terms(
        &self,
        f: &FundingSource,
        at: &dyn fmt::Display,
        schedules: &mut Schedules,
        errs: &mut Vec<ProjectError>,
    ) {
        let h = self.horizon;
        let debt_fields = [
            ("principal", f.principal.is_some()),
            ("drawdown", f.drawdown.is_some()),
            ("rate", f.rate.is_some()),
            ("tenor_years", f.tenor_years.is_some()),
            ("grace_years", f.grace_years.is_some()),
            ("repayment", f.repayment.is_some()),
        ];
        if f.kind.is_debt() {
            if let Some(terms) = f.debt_terms() {
                schedules.add_debt(&terms);
            }
            for (field, present) in &debt_fields[..4] {
                if !present {
                    errs.push(
                        ProjectError::new("debt-field-missing", format!("{at}.{field}"))
                            .arg("kind", f.kind.as_str()),
                    );
                }
            }
            if !f.amounts.is_empty() || f.generator.is_some() {
                errs.push(
                    ProjectError::new("debt-schedule", format!("{at}.amounts"))
                        .arg("kind", f.kind.as_str()),
                );
            }
            if let Some(p) = f.principal
                && (p <= Yen::ZERO || !p.is_valid_input())
            {
                errs.push(
                    ProjectError::new("amount-range", format!("{at}.principal"))
                        .arg("max", Yen(Yen::MAX_INPUT)),
                );
            }
            if let Some(d) = f.drawdown
                && !h.contains(d)
            {
                errs.push(
                    ProjectError::new("outside-horizon", format!("{at}.drawdown"))
                        .arg("year", d)
                        .arg("first", h.first)
                        .arg("last", h.last),
                );
            }
            if let Some(r) = f.rate
                && !(r.to_f64() >= 0.0 && r.to_f64() <= 1.0)
            {
                errs.push(ProjectError::new("rate-range", format!("{at}.rate")).arg("value", r));
            }
            if let Some(t) = f.tenor_years {
                let grace = f.grace_years.unwrap_or(0);
                if t == 0 || t > 100 {
                    errs.push(
                        ProjectError::new("tenor-range", format!("{at}.tenor_years"))
                            .arg("value", t),
                    );
                } else if grace >= t {
                    errs.push(
                        ProjectError::new("grace-too-long", format!("{at}.grace_years"))
                            .arg("grace", grace)
                            .arg("tenor", t),
                    );
                }
            }
        } else {
            for (field, present) in debt_fields {
                if present {
                    errs.push(
                        ProjectError::new("field-not-for-kind", format!("{at}.{field}"))
                            .arg("kind", f.kind.as_str()),
                    );
                }
            }
            schedules.check(&f.amounts, f.generator.as_ref(), at, errs);
        }
        if f.kind != FundingKind::Donation && (f.donation_kind.is_some() || f.donor.is_some()) {
            errs.push(
                ProjectError::new("field-not-for-kind", format!("{at}.donor"))
                    .arg("kind", f.kind.as_str()),
            );
        }
        if f.kind != FundingKind::Subsidy && f.program.is_some() {
            errs.push(
                ProjectError::new("field-not-for-kind", format!("{at}.program"))
                    .arg("kind", f.kind.as_str()),
            );
        }
    }
}

/// A field path formatted only when an error needs it: `line_items[3]`.
/// Validation runs once per evaluation, so it must not allocate per cell.
struct At(&'static str, usize);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// `parent.field`, formatted lazily like [`At`].
struct Joined<'a>(&'a dyn fmt::Display, &'static str);

impl fmt::Display for Joined<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// The longest names and titles accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest narrative accepted (an application field, a summary), in
/// characters: about two A4 pages of Japanese, the room the MLIT form gives
/// a field (seed 002), and far below a spreadsheet cell's 32,767.
pub const MAX_NARRATIVE_CHARS: usize = 4_000;
/// The longest other text (a note, a URL, a contact detail), in characters.
pub const MAX_OTHER_CHARS: usize = 1_000;

/// The most characters the text at `path` may have.
fn max_chars(path: &str) -> usize {
    let narrative = path.starts_with("application.") && !path.starts_with("application.contact")
        || path.starts_with("project.summary");
    if narrative {
        MAX_NARRATIVE_CHARS
    } else if path.contains("name.") || path.contains("title.") || path.ends_with(".name") {
        MAX_NAME_CHARS
    } else {
        MAX_OTHER_CHARS
    }
}

impl Project {
    /// Every text of the project: no control character but tab and line
    /// feed (a NUL, for one, is refused by PostgreSQL and breaks exports),
    /// and no more characters than its field allows ([`max_chars`]).
    fn check_texts(&self, errs: &mut Vec<ProjectError>) {
        fn walk(v: &serde_json::Value, path: &str, errs: &mut Vec<ProjectError>) {
            match v {
                serde_json::Value::String(s) => {
                    if let Some(c) = s
                        .chars()
                        .find(|c| c.is_control() && !matches!(c, '\t' | '\n'))
                    {
                        errs.push(
                            ProjectError::new("control-character", path)
                                .arg("char", format!("U+{:04X}", u32::from(c))),
                        );
                    }
                    let (n, max) = (s.chars().count(), max_chars(path));
                    if n > max {
                        errs.push(
                            ProjectError::new("text-too-long", path)
                                .arg("length", n)
                                .arg("max", max),
                        );
                    }
                }
                serde_json::Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        walk(x, &format!("{path}[{i}]"), errs);
                    }
                }
                serde_json::Value::Object(o) => {
                    for (k, x) in o {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        walk(x, &p, errs);
                    }
                }
                _ => {}
            }
        }
        if let Ok(v) = serde_json::to_value(self) {
            walk(&v, "", errs);
        }
    }
}

fn check_text(t: &Text, at: &dyn fmt::Display, field: &str, errs: &mut Vec<ProjectError>) {
    if t.ja.trim().is_empty() {
        errs.push(ProjectError::new("empty-text", format!("{at}.{field}.ja")));
    }
}

/// What checking the schedules of a project's entries needs beyond one
/// entry: the horizon, the prices escalation generators use, and a running
/// bound on each fiscal year's flows for the present-value check.
struct Schedules {
    h: Horizon,
    inflation: Rate,
    base_year: FiscalYear,
    /// Whether `finance.inflation` is in range (else it is reported there,
    /// and escalation generators are not expanded).
    inflation_ok: bool,
    /// Per fiscal year, Σ |amount| over the entries checked so far, with a
    /// loan or bond counted at twice its principal from its drawdown year on
    /// (see [`MAX_SUM`]): a bound on the magnitude of every flow the engine
    /// discounts. Exact in `i128` whatever the amounts.
    flows: Vec<i128>,
}

impl Schedules {
    fn new(p: &Project) -> Schedules {
        let inflation = p.finance.inflation;
        Schedules {
            h: p.horizon,
            inflation,
            base_year: p.finance.base_year_or(p.horizon.first),
            inflation_ok: finance_rate_in_range(inflation),
            flows: vec![0; p.horizon.len()],
        }
    }

    /// Checks one entry's explicit amounts and generator; then, if the
    /// generator's own fields are sound, expands it with checked arithmetic
    /// and reports the first fiscal year whose generated amount leaves
    /// ±[`Yen::MAX_INPUT`] (`generated-amount-range` at `{at}.generator`).
    fn check(
        &mut self,
        amounts: &BTreeMap<FiscalYear, Yen>,
        generator: Option<&Generator>,
        at: &dyn fmt::Display,
        errs: &mut Vec<ProjectError>,
    ) {
        let generator_ok = check_schedule(self.h, amounts, generator, at, errs);
        let escalates = matches!(generator, Some(Generator::Escalation { .. }));
        if !generator_ok || (escalates && !self.inflation_ok) {
            return;
        }
        match try_expand(self.h, amounts, generator, self.inflation, self.base_year) {
            Ok(cells) => {
                for (f, y) in self.flows.iter_mut().zip(cells) {
                    *f += i128::from(y.get()).abs();
                }
            }
            Err(out) => errs.push(out.error(format!("{at}.generator"))),
        }
    }

    /// Adds a loan's or bond's bound: twice the principal in every year of
    /// the horizon from the drawdown on.
    fn add_debt(&mut self, t: &DebtTerms) {
        let twice = 2 * i128::from(t.principal.get()).abs();
        for (fy, f) in self.h.years().zip(self.flows.iter_mut()) {
            if fy >= t.drawdown {
                *f += twice;
            }
        }
    }

    /// Adds an amount to the last year's bound (the residual value).
    fn add_last_year(&mut self, y: Yen) {
        if let Some(f) = self.flows.last_mut() {
            *f += i128::from(y.get()).abs();
        }
    }
}

/// Whether a finance rate (discount, inflation…) lies in (−100 %, 100 %].
fn finance_rate_in_range(r: Rate) -> bool {
    r.to_f64() > -1.0 && r.to_f64() <= 1.0
}

/// Checks explicit amounts and a generator against the horizon and bounds.
/// Returns whether the generator (if any) passed, i.e. whether it can be
/// expanded meaningfully.
fn check_schedule(
    h: Horizon,
    amounts: &BTreeMap<FiscalYear, Yen>,
    generator: Option<&Generator>,
    at: &dyn fmt::Display,
    errs: &mut Vec<ProjectError>,
) -> bool {
    if amounts.is_empty() && generator.is_none() {
        errs.push(ProjectError::new("no-amounts", format!("{at}.amounts")));
    }
    for (fy, y) in amounts {
        // The path is built only for an error: this loop runs once per cell.
        let path = || format!("{at}.amounts.{fy}");
        if !h.contains(*fy) {
            errs.push(
                ProjectError::new("outside-horizon", path())
                    .arg("year", fy)
                    .arg("first", h.first)
                    .arg("last", h.last),
            );
        } else if *y < Yen::ZERO {
            errs.push(ProjectError::new("negative-amount", path()).arg("amount", y));
        } else if !y.is_valid_input() {
            errs.push(ProjectError::new("amount-range", path()).arg("max", Yen(Yen::MAX_INPUT)));
        }
    }
    let Some(g) = generator else { return true };
    let before = errs.len();
    let gat = Joined(at, "generator");
    let mut years: Vec<(&str, FiscalYear)> = Vec::new();
    let mut yens: Vec<(&str, Yen)> = Vec::new();
    match g {
        Generator::Constant { amount, from, to } | Generator::Escalation { amount, from, to } => {
            yens.push(("amount", *amount));
            years.extend(
                from.map(|y| ("from", y))
                    .into_iter()
                    .chain(to.map(|y| ("to", y))),
            );
        }
        Generator::Growth {
            amount,
            rate,
            from,
            to,
        } => {
            yens.push(("amount", *amount));
            years.extend(
                from.map(|y| ("from", y))
                    .into_iter()
                    .chain(to.map(|y| ("to", y))),
            );
            if !(rate.to_f64() > -1.0 && rate.to_f64() <= 1.0) {
                errs.push(
                    ProjectError::new("rate-range", format!("{gat}.rate")).arg("value", rate),
                );
            }
        }
        Generator::Ramp {
            target,
            years: n,
            start,
            from,
            to,
        } => {
            yens.push(("target", *target));
            yens.push(("start", *start));
            years.extend(
                from.map(|y| ("from", y))
                    .into_iter()
                    .chain(to.map(|y| ("to", y))),
            );
            if *n == 0 || *n > 100 {
                errs.push(ProjectError::new("ramp-years", format!("{gat}.years")).arg("value", n));
            }
        }
        Generator::OneOff { amount, year } => {
            yens.push(("amount", *amount));
            years.push(("year", *year));
        }
        Generator::Step { steps, to } => {
            if steps.is_empty() {
                errs.push(ProjectError::new("no-steps", format!("{gat}.steps")));
            }
            for (i, s) in steps.iter().enumerate() {
                if !h.contains(s.from) {
                    errs.push(
                        ProjectError::new("outside-horizon", format!("{gat}.steps[{i}].from"))
                            .arg("year", s.from)
                            .arg("first", h.first)
                            .arg("last", h.last),
                    );
                }
                yens.push(("steps", s.amount));
            }
            years.extend(to.map(|y| ("to", y)));
        }
    }
    for (field, fy) in &years {
        if !h.contains(*fy) {
            errs.push(
                ProjectError::new("outside-horizon", format!("{gat}.{field}"))
                    .arg("year", fy)
                    .arg("first", h.first)
                    .arg("last", h.last),
            );
        }
    }
    if let (Some((_, from)), Some((_, to))) = (
        years.iter().find(|(f, _)| *f == "from"),
        years.iter().find(|(f, _)| *f == "to"),
    ) && to < from
    {
        errs.push(
            ProjectError::new("range-order", format!("{gat}.to"))
                .arg("from", from)
                .arg("to", to),
        );
    }
    for (field, y) in yens {
        if y < Yen::ZERO {
            errs.push(
                ProjectError::new("negative-amount", format!("{gat}.{field}")).arg("amount", y),
            );
        } else if !y.is_valid_input() {
            errs.push(
                ProjectError::new("amount-range", format!("{gat}.{field}"))
                    .arg("max", Yen(Yen::MAX_INPUT)),
            );
        }
    }
    errs.len() == before
}
