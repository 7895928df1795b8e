//! Reading the submitted grid back into a project (the rules in the module
//! documentation of `model`), the problems named by row and year, and the
//! merge with someone else's save.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use machi_domain::project::{
    FundingKind, FundingSource, Generator, Horizon, LineItem, LineKind, Repayment, Text,
};
use machi_domain::schedule::expand;
use machi_domain::{FiscalYear, FundingId, LineItemId, MemberId, Project, Rate, Yen};
use machi_i18n::Lang;
use machi_report::import::{CATEGORIES, FUNDING_KINDS, explicit_amounts};

use crate::pages::common::kebab;
use crate::view::{self};

/// A submitted form: field name → value (the last one when repeated).
pub struct Submitted {
    pub(super) map: HashMap<String, String>,
}

impl Applied {
    /// A project as it is, every row in place.
    pub fn unchanged(p: &Project) -> Applied {
        Applied {
            line_rows: (0..p.line_items.len()).collect(),
            funding_rows: (0..p.funding.len()).collect(),
            project: p.clone(),
        }
    }
}

impl Submitted {
    pub fn new(pairs: Vec<(String, String)>) -> Submitted {
        Submitted {
            map: crate::http::form_text(pairs),
        }
    }

    /// A field's value, or "".
    pub fn get(&self, k: &str) -> &str {
        self.map.get(k).map_or("", String::as_str)
    }

    /// How many rows the table `prefix` has (rows 0, 1, … with an `id`).
    pub(super) fn count(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| self.map.contains_key(&format!("{prefix}.{i}.id")))
            .count()
    }
}

/// A problem of the form: the field it belongs to (`l.3.y.FY2027`), where
/// it is for a person (`運営費「クラウド」 令和9年度`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Option<String>,
    pub place: String,
    pub message: String,
}

impl Problem {
    /// `place: message`, or the message alone.
    pub fn text(&self) -> String {
        if self.place.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.place, self.message)
        }
    }
}

/// The applied form: the project and, for each of its line items and
/// funding sources, the form row it came from.
pub struct Applied {
    pub project: Project,
    pub line_rows: Vec<usize>,
    pub funding_rows: Vec<usize>,
}

pub(super) fn parse_amount(s: &str) -> Result<Yen, ()> {
    let s = s.trim();
    if s.is_empty() {
        Ok(Yen::ZERO)
    } else {
        s.parse().map_err(|_| ())
    }
}

/// Why a cell was refused, in the officer's words: a number too large for
/// machi (¥10兆 per entry and year, `Yen::MAX_INPUT`) is "too large", not
/// "unreadable".
pub(super) fn amount_problem(lang: Lang, v: &str) -> String {
    let digits: String = v
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '　' | '_' | '¥' | '￥' | '円'))
        .collect();
    let all_digits = !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    let too_large = match v.parse::<Yen>() {
        Ok(y) => !y.is_valid_input(),
        Err(_) => all_digits,
    };
    if too_large {
        lang.tf("web.model.amount-too-large", &[("value", &v)])
    } else {
        project_message(lang, "invalid-yen", &[("value", &v)])
    }
}

pub(super) fn project_message(
    lang: Lang,
    code: &str,
    args: &[(&str, &dyn std::fmt::Display)],
) -> String {
    lang.tf(&format!("project.error.{code}"), args)
}

/// Collects the problems of one row while reading it.
pub(super) struct RowReader<'a> {
    pub(super) f: &'a Submitted,
    pub(super) lang: Lang,
    pub(super) prefix: &'static str,
    pub(super) i: usize,
    pub(super) place: String,
    pub(super) problems: Vec<Problem>,
}

impl RowReader<'_> {
    pub(super) fn get(&self, k: &str) -> &str {
        self.f
            .get(&format!("{}.{}.{k}", self.prefix, self.i))
            .trim()
    }

    pub(super) fn problem(&mut self, field: &str, place_extra: &str, message: String) {
        let place = if place_extra.is_empty() {
            self.place.clone()
        } else {
            format!("{} {place_extra}", self.place)
        };
        self.problems.push(Problem {
            field: Some(format!("{}.{}.{field}", self.prefix, self.i)),
            place,
            message,
        });
    }

    pub(super) fn required(&mut self, field: &str) -> Option<String> {
        let v = self.get(field).to_owned();
        if v.is_empty() {
            let m = self.lang.t("web.model.error.required").to_owned();
            self.problem(field, "", m);
            None
        } else {
            Some(v)
        }
    }

    pub(super) fn amounts(&mut self, h: Horizon) -> Vec<Yen> {
        let mut out = Vec::with_capacity(h.len());
        for y in h.years() {
            let field = format!("y.{y}");
            let v = self.get(&field).to_owned();
            match parse_amount(&v) {
                Ok(a) => out.push(a),
                Err(()) => {
                    let m = amount_problem(self.lang, &v);
                    let at = view::fy(self.lang, y);
                    self.problem(&field, &at, m);
                    out.push(Yen::ZERO);
                }
            }
        }
        out
    }

    pub(super) fn party(&mut self) -> Option<MemberId> {
        let v = self.get("party").to_owned();
        if v.is_empty() {
            return None;
        }
        match MemberId::new(&v) {
            Ok(m) => Some(m),
            Err(_) => {
                let m = project_message(self.lang, "invalid-id", &[("value", &v)]);
                self.problem("party", "", m);
                None
            }
        }
    }

    pub(super) fn years(&mut self, field: &str) -> Option<u32> {
        let v = self.get(field).to_owned();
        if v.is_empty() {
            return None;
        }
        match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let m = self
                    .lang
                    .tf("web.model.error.whole-years", &[("value", &v)]);
                self.problem(field, "", m);
                None
            }
        }
    }

    pub(super) fn unknown(&mut self, field: &str, expected: &[&str]) {
        let v = self.get(field).to_owned();
        let m = project_message(
            self.lang,
            "unknown-value",
            &[("value", &v), ("expected", &expected.join(", "))],
        );
        self.problem(field, "", m);
    }
}

/// The name of a row in `lang` as typed, on top of the base name: the other
/// language is kept; a new row's name is its Japanese name.
pub(super) fn typed_name(typed: &str, lang: Lang, base: Option<&Text>) -> Text {
    let typed = typed.trim();
    match (base, lang) {
        (Some(b), Lang::Ja) => Text {
            ja: typed.to_owned(),
            en: b.en.clone(),
        },
        (Some(b), Lang::En) => Text {
            ja: b.ja.clone(),
            en: (!typed.is_empty()).then(|| typed.to_owned()),
        },
        (None, _) => Text {
            ja: typed.to_owned(),
            en: None,
        },
    }
}

/// Amounts and generator of a row: with a base generator, the years that
/// differ from what the base shows become explicit amounts and the rest
/// stays generated; without one, every non-zero year is explicit.
pub(super) fn schedule(
    h: Horizon,
    values: &[Yen],
    base: Option<(&BTreeMap<FiscalYear, Yen>, Option<&Generator>, &BaseRow)>,
) -> (BTreeMap<FiscalYear, Yen>, Option<Generator>) {
    match base {
        Some((amounts, Some(g), shown)) => {
            let mut out = amounts.clone();
            for ((y, v), was) in h.years().zip(values).zip(&shown.amounts) {
                if v != was {
                    out.insert(y, *v);
                }
            }
            (out, Some(g.clone()))
        }
        _ => (explicit_amounts(h, values), None),
    }
}

pub(super) fn is_blank(r: &RowReader<'_>, h: Horizon, debt: bool) -> bool {
    let fields = ["orig", "id", "name", "principal", "rate", "tenor", "grace"];
    fields.iter().all(|k| r.get(k).is_empty())
        && (debt || h.years().all(|y| r.get(&format!("y.{y}")).is_empty()))
}

/// The terms of a loan or bond as read from its row.
#[derive(Default)]
pub(super) struct DebtFields {
    pub(super) principal: Option<Yen>,
    pub(super) drawdown: Option<FiscalYear>,
    pub(super) rate: Option<Rate>,
    pub(super) tenor_years: Option<u32>,
    pub(super) grace_years: Option<u32>,
    pub(super) repayment: Option<Repayment>,
}

/// Reads a loan's or bond's terms; `None` (with the problems recorded)
/// when one cannot be read.
pub(super) fn debt_terms(r: &mut RowReader<'_>) -> Option<DebtFields> {
    let lang = r.lang;
    let before = r.problems.len();
    let principal = r
        .required("principal")
        .and_then(|v| match parse_amount(&v) {
            Ok(y) => Some(y),
            Err(()) => {
                let m = amount_problem(lang, &v);
                r.problem("principal", "", m);
                None
            }
        });
    let drawdown = r.required("drawdown").and_then(|v| match v.parse() {
        Ok(y) => Some(y),
        Err(_) => {
            let m = project_message(lang, "invalid-fiscal-year", &[("value", &v)]);
            r.problem("drawdown", "", m);
            None
        }
    });
    let rate = r.required("rate").and_then(|v| match v.parse::<Rate>() {
        Ok(x) => Some(x),
        Err(_) => {
            let m = project_message(lang, "invalid-rate", &[("value", &v)]);
            r.problem("rate", "", m);
            None
        }
    });
    let tenor_years = if r.get("tenor").is_empty() {
        r.required("tenor");
        None
    } else {
        r.years("tenor")
    };
    let grace_years = r.years("grace");
    let rep = r.get("repayment").to_owned();
    let repayment = REPAYMENTS.iter().copied().find(|x| kebab(x) == rep);
    if repayment.is_none() {
        let codes: Vec<String> = REPAYMENTS.iter().map(kebab).collect();
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        r.unknown("repayment", &codes);
    }
    (r.problems.len() == before).then_some(DebtFields {
        principal,
        drawdown,
        rate,
        tenor_years,
        grace_years,
        repayment,
    })
}

/// Applies the form to `base` (the version it was based on). Every problem
/// — unreadable cells, then the model's own rules — comes back with the
/// field it belongs to, translated into `lang`.
pub fn apply(base: &Project, f: &Submitted, lang: Lang) -> Result<Applied, Vec<Problem>> {
    let h = base.horizon;
    let mut p = base.clone();
    let mut problems = Vec::new();
    let mut line_rows = Vec::new();
    let mut funding_rows = Vec::new();
    // Ids typed in the form, to number new rows without an id.
    let mut taken: BTreeSet<String> = (0..f.count("l"))
        .map(|i| f.get(&format!("l.{i}.id")).trim().to_owned())
        .chain((0..f.count("f")).map(|i| f.get(&format!("f.{i}.id")).trim().to_owned()))
        .collect();
    let fresh = |kind: &str, taken: &mut BTreeSet<String>| -> String {
        let id = (1..)
            .map(|n| format!("{kind}-{n}"))
            .find(|c| !taken.contains(c))
            .unwrap_or_default();
        taken.insert(id.clone());
        id
    };
    let kind_codes: Vec<&str> = LineKind::ALL.iter().map(|k| k.as_str()).collect();
    let category_codes: Vec<&str> = CATEGORIES.iter().map(|c| c.as_str()).collect();

    p.line_items.clear();
    for i in 0..f.count("l") {
        let mut r = RowReader {
            f,
            lang,
            prefix: "l",
            i,
            place: String::new(),
            problems: Vec::new(),
        };
        if !r.get("remove").is_empty() || is_blank(&r, h, false) {
            continue;
        }
        let orig = r.get("orig").to_owned();
        let base_item = base.line_items.iter().find(|l| l.id.as_str() == orig);
        r.place = row_place(lang, "web.model.lines", i, r.get("name"));
        let kind = machi_report::import::parse_line_kind(r.get("kind"));
        if kind.is_none() {
            r.unknown("kind", &kind_codes);
        }
        let category = machi_report::import::parse_category(r.get("category"));
        if category.is_none() {
            r.unknown("category", &category_codes);
        }
        let id_text = match r.get("id") {
            "" => fresh(kind.map_or("line", LineKind::as_str), &mut taken),
            s => s.to_owned(),
        };
        let id = LineItemId::new(&id_text).ok();
        if id.is_none() {
            let m = project_message(lang, "invalid-id", &[("value", &id_text)]);
            r.problem("id", "", m);
        }
        let party = r.party();
        let values = r.amounts(h);
        problems.append(&mut r.problems);
        let (Some(id), Some(kind), Some(category)) = (id, kind, category) else {
            continue;
        };
        let shown = base_item.map(|l| base_row(base, &l.amounts, l.generator.as_ref()));
        let (amounts, generator) = schedule(
            h,
            &values,
            base_item
                .zip(shown.as_ref())
                .map(|(l, s)| (&l.amounts, l.generator.as_ref(), s)),
        );
        p.line_items.push(LineItem {
            id,
            kind,
            category,
            name: typed_name(
                f.get(&format!("l.{i}.name")),
                lang,
                base_item.map(|l| &l.name),
            ),
            party,
            payer: base_item.and_then(|l| l.payer.clone()),
            beneficiary: base_item.and_then(|l| l.beneficiary.clone()),
            amounts,
            generator,
            note: base_item.and_then(|l| l.note.clone()),
        });
        line_rows.push(i);
    }

    p.funding.clear();
    for i in 0..f.count("f") {
        let mut r = RowReader {
            f,
            lang,
            prefix: "f",
            i,
            place: String::new(),
            problems: Vec::new(),
        };
        let debt = !r.get("debt").is_empty();
        if !r.get("remove").is_empty() || is_blank(&r, h, debt) {
            continue;
        }
        let orig = r.get("orig").to_owned();
        let base_source = base.funding.iter().find(|s| s.id.as_str() == orig);
        r.place = row_place(lang, "web.model.funding", i, r.get("name"));
        let kind =
            machi_report::import::parse_funding_kind(r.get("kind")).filter(|k| k.is_debt() == debt);
        if kind.is_none() {
            let codes: Vec<&str> = FUNDING_KINDS
                .iter()
                .filter(|k| k.is_debt() == debt)
                .map(|k| k.as_str())
                .collect();
            r.unknown("kind", &codes);
        }
        let id_text = match r.get("id") {
            "" => fresh(kind.map_or("funding", FundingKind::as_str), &mut taken),
            s => s.to_owned(),
        };
        let id = FundingId::new(&id_text).ok();
        if id.is_none() {
            let m = project_message(lang, "invalid-id", &[("value", &id_text)]);
            r.problem("id", "", m);
        }
        let party = r.party();
        let name = typed_name(
            f.get(&format!("f.{i}.name")),
            lang,
            base_source.map(|s| &s.name),
        );
        let note = base_source.and_then(|s| s.note.clone());
        let built = if debt {
            debt_terms(&mut r).map(|t| (t, None))
        } else {
            let values = r.amounts(h);
            let keep = base_source.filter(|s| !s.kind.is_debt());
            let shown = keep.map(|s| base_row(base, &s.amounts, s.generator.as_ref()));
            Some((
                DebtFields::default(),
                Some((
                    schedule(
                        h,
                        &values,
                        keep.zip(shown.as_ref())
                            .map(|(s, b)| (&s.amounts, s.generator.as_ref(), b)),
                    ),
                    keep,
                )),
            ))
        };
        problems.append(&mut r.problems);
        let (Some(id), Some(kind), Some((terms, schedule))) = (id, kind, built) else {
            continue;
        };
        let (amounts, generator, keep) = match schedule {
            Some(((amounts, generator), keep)) => (amounts, generator, keep),
            None => (Default::default(), None, None),
        };
        p.funding.push(FundingSource {
            id,
            kind,
            name,
            party,
            amounts,
            generator,
            principal: terms.principal,
            drawdown: terms.drawdown,
            rate: terms.rate,
            tenor_years: terms.tenor_years,
            grace_years: terms.grace_years,
            repayment: terms.repayment,
            donation_kind: keep
                .filter(|_| kind == FundingKind::Donation)
                .and_then(|s| s.donation_kind),
            donor: keep
                .filter(|_| kind == FundingKind::Donation)
                .and_then(|s| s.donor.clone()),
            program: keep
                .filter(|_| kind == FundingKind::Subsidy)
                .and_then(|s| s.program.clone()),
            note,
        });
        funding_rows.push(i);
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    match p.validate() {
        Ok(()) => Ok(Applied {
            project: p,
            line_rows,
            funding_rows,
        }),
        Err(errs) => Err(errs
            .0
            .iter()
            .map(|e| validation_problem(e, lang, &p, &line_rows, &funding_rows))
            .collect()),
    }
}

/// `運営費 3行目「クラウド」` — where a row is, for a person.
pub(super) fn row_place(lang: Lang, table: &str, i: usize, name: &str) -> String {
    lang.tf(
        "web.model.row-place",
        &[
            ("table", &lang.t(table)),
            ("row", &(i + 1)),
            ("name", &name),
        ],
    )
}

/// A rule of the model broken by the applied form, at its field.
pub(super) fn validation_problem(
    e: &machi_domain::ProjectError,
    lang: Lang,
    p: &Project,
    line_rows: &[usize],
    funding_rows: &[usize],
) -> Problem {
    let args: Vec<(&str, &dyn std::fmt::Display)> = e
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    let message = project_message(lang, e.code, &args);
    let located = e.path.split_once('[').and_then(|(section, rest)| {
        let (idx, rest) = rest.split_once(']')?;
        let idx: usize = idx.parse().ok()?;
        let rest = rest.strip_prefix('.').unwrap_or(rest);
        let (prefix, row, table, name) = match section {
            "line_items" => (
                "l",
                *line_rows.get(idx)?,
                "web.model.lines",
                view::text(&p.line_items.get(idx)?.name, lang),
            ),
            "funding" => (
                "f",
                *funding_rows.get(idx)?,
                "web.model.funding",
                view::text(&p.funding.get(idx)?.name, lang),
            ),
            _ => return None,
        };
        let mut parts = rest.split('.');
        let head = parts.next().unwrap_or("");
        let field = match head {
            "id" | "kind" | "category" | "party" | "principal" | "drawdown" | "rate"
            | "repayment" => head.to_owned(),
            "tenor_years" => "tenor".to_owned(),
            "grace_years" => "grace".to_owned(),
            "amounts" => match parts.next() {
                Some(y) if y.parse::<FiscalYear>().is_ok() => format!("y.{y}"),
                _ => "name".to_owned(),
            },
            _ => "name".to_owned(),
        };
        Some(Problem {
            field: Some(format!("{prefix}.{row}.{field}")),
            place: row_place(lang, table, row, name),
            message: message.clone(),
        })
    });
    located.unwrap_or_else(|| Problem {
        field: None,
        place: if e.path.is_empty() {
            String::new()
        } else {
            e.path.clone()
        },
        message,
    })
}

// ---------------------------------------------------------------------------
// Conflicts.

/// The other person's version with this user's rows on top: each line item
/// and funding source this user changed, added or removed (by id, relative
/// to `base`) is taken from `yours`, everything else from `theirs`. Also
/// returns the ids both changed differently.
pub fn merge(base: &Project, theirs: &Project, yours: &Project) -> (Project, Vec<String>) {
    let mut merged = theirs.clone();
    let mut both = Vec::new();
    merge_rows(
        &base.line_items,
        &theirs.line_items,
        &yours.line_items,
        |l| l.id.to_string(),
        &mut merged.line_items,
        &mut both,
    );
    merge_rows(
        &base.funding,
        &theirs.funding,
        &yours.funding,
        |f| f.id.to_string(),
        &mut merged.funding,
        &mut both,
    );
    (merged, both)
}

pub(super) fn merge_rows<T: Clone + PartialEq>(
    base: &[T],
    theirs: &[T],
    yours: &[T],
    id: impl Fn(&T) -> String,
    out: &mut Vec<T>,
    both: &mut Vec<String>,
) {
    let find = |list: &[T], k: &str| list.iter().find(|x| id(x) == k).cloned();
    for b in base {
        let k = id(b);
        let y = find(yours, &k);
        if y.as_ref() == Some(b) {
            continue;
        }
        let t = find(theirs, &k);
        if t.as_ref() != Some(b) && t != y {
            both.push(k.clone());
        }
        let pos = out.iter().position(|x| id(x) == k);
        match (y, pos) {
            (Some(y), Some(p)) => out[p] = y,
            (Some(y), None) => out.push(y),
            (None, Some(p)) => {
                out.remove(p);
            }
            (None, None) => {}
        }
    }
    for y in yours {
        let k = id(y);
        if base.iter().any(|b| id(b) == k) {
            continue;
        }
        match out.iter().position(|x| id(x) == k) {
            Some(p) => {
                if out[p] != *y {
                    both.push(k);
                }
                out[p] = y.clone();
            }
            None => out.push(y.clone()),
        }
    }
}

// ---------------------------------------------------------------------------
// Results: what the preview swaps in.

pub(super) const REPAYMENTS: [Repayment; 3] = [
    Repayment::Annuity,
    Repayment::StraightLine,
    Repayment::Bullet,
];

/// What the base version shows for a row: its amounts per year, which of
/// them its generator fills, and whether it has one.
pub(super) struct BaseRow {
    pub(super) amounts: Vec<Yen>,
    pub(super) generated: Vec<bool>,
    pub(super) generator: bool,
}

pub(super) fn base_line(p: &Project, orig: &str) -> Option<BaseRow> {
    let l = p.line_items.iter().find(|l| l.id.as_str() == orig)?;
    Some(base_row(p, &l.amounts, l.generator.as_ref()))
}

pub(super) fn base_funding(p: &Project, orig: &str) -> Option<BaseRow> {
    let f = p
        .funding
        .iter()
        .find(|f| f.id.as_str() == orig && !f.kind.is_debt())?;
    Some(base_row(p, &f.amounts, f.generator.as_ref()))
}

pub(super) fn base_row(
    p: &Project,
    amounts: &BTreeMap<FiscalYear, Yen>,
    g: Option<&Generator>,
) -> BaseRow {
    BaseRow {
        amounts: expanded(p, amounts, g),
        generated: p
            .horizon
            .years()
            .map(|y| g.is_some() && !amounts.contains_key(&y))
            .collect(),
        generator: g.is_some(),
    }
}

/// A line's or funding source's amounts as the engine expands them.
pub(super) fn expanded(
    p: &Project,
    amounts: &BTreeMap<FiscalYear, Yen>,
    g: Option<&Generator>,
) -> Vec<Yen> {
    let h = p.horizon;
    expand(
        h,
        amounts,
        g,
        p.finance.inflation,
        p.finance.base_year_or(h.first),
    )
}
