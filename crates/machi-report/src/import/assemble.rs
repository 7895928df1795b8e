//! From the rows of the two tables to a project: each row checked and
//! turned into a line item or a funding source, what the sheets do not show
//! kept from the current version, and the model's own rules reported at the
//! cell they concern.

use std::collections::{BTreeMap, BTreeSet};

use machi_domain::project::{FundingKind, FundingSource, Horizon, LineItem, Text};
use machi_domain::{FiscalYear, FundingId, LineItemId, MemberId, Project, Yen};
use machi_finance::engine::debt_schedule;
use machi_i18n::Lang;

use super::error::{At, ImportError, ImportErrors, Rule, cell_position, cell_ref};
use super::grid::{Grid, Value, Which, col_u32, year_col};
use super::vocab::{parse_category, parse_funding_kind, parse_line_kind, same_word};
use crate::{fy, label};

/// Amounts per fiscal year as explicit amounts: the non-zero ones, or the
/// first year's zero when all are zero (a line needs at least one amount).
pub fn explicit_amounts(h: Horizon, amounts: &[Yen]) -> BTreeMap<FiscalYear, Yen> {
    let mut out: BTreeMap<FiscalYear, Yen> = h
        .years()
        .zip(amounts)
        .filter(|(_, y)| **y != Yen::ZERO)
        .map(|(fy, y)| (fy, *y))
        .collect();
    if out.is_empty() {
        out.insert(h.first, Yen::ZERO);
    }
    out
}

/// A name read in `lang`: the current name when the cell shows it unchanged
/// (so an English sheet that fell back to Japanese changes nothing), else
/// the current name with `lang`'s text replaced.
pub fn merged_name(cell: &str, lang: Lang, current: Option<&Text>) -> Text {
    let cell = cell.trim();
    match (current, lang) {
        (Some(t), _) if t.get(lang == Lang::En) == cell => t.clone(),
        (Some(t), Lang::Ja) => Text {
            ja: cell.to_owned(),
            en: t.en.clone(),
        },
        (Some(t), Lang::En) => Text {
            ja: t.ja.clone(),
            en: (!cell.is_empty()).then(|| cell.to_owned()),
        },
        (None, _) => Text {
            ja: cell.to_owned(),
            en: None,
        },
    }
}

/// The drawdowns of a loan or bond per fiscal year of the horizon.
pub fn drawdowns(h: Horizon, f: &FundingSource) -> Vec<Yen> {
    let mut out = vec![Yen::ZERO; h.len()];
    if let Some(terms) = f.debt_terms() {
        for y in debt_schedule(&terms) {
            if let Some(i) = h.index(y.fiscal_year) {
                out[i] += y.drawdown;
            }
        }
    }
    out
}

/// The project the grids describe: a copy of `current` with their line
/// items and funding sources, or every problem in reading order.
pub(super) fn assemble(
    current: &Project,
    grids: &[(Which, Grid)],
) -> Result<Project, ImportErrors> {
    let h = current.horizon;
    let mut errs = Vec::new();
    let mut project = current.clone();
    // Sheet rows of the lines and funding sources, for mapping the model's
    // validation errors back to cells.
    let mut line_rows: Vec<u32> = Vec::new();
    let mut funding_rows: Vec<Option<u32>> = Vec::new();
    let mut sheets: BTreeMap<&'static str, &str> = BTreeMap::new();

    for (which, grid) in grids {
        let drafts = read_table(grid, *which, h, &mut errs);
        let at = |row: u32, col: u32| At {
            sheet: &grid.sheet,
            cell: Some((row, col)),
        };
        let ycol = year_col(*which);
        match which {
            Which::Lines => {
                sheets.insert("line_items", &grid.sheet);
                project.line_items.clear();
                for d in drafts {
                    let id = LineItemId::new(&d.texts[0]);
                    let kind = parse_line_kind(&d.texts[1]);
                    let category = parse_category(&d.texts[2]);
                    let party = party(&d.texts[4]);
                    if id.is_err() {
                        errs.push(invalid_id(&d.texts[0], &at(d.row, 0)));
                    }
                    if kind.is_none() {
                        errs.push(unknown("unknown-kind", &d.texts[1], &at(d.row, 1)));
                    }
                    if category.is_none() {
                        errs.push(unknown("unknown-category", &d.texts[2], &at(d.row, 2)));
                    }
                    if party.is_err() {
                        errs.push(invalid_id(&d.texts[4], &at(d.row, 4)));
                    }
                    let (Ok(id), Some(kind), Some(category), Ok(party)) =
                        (id, kind, category, party)
                    else {
                        continue;
                    };
                    let cur = current.line_items.iter().find(|l| l.id == id);
                    project.line_items.push(LineItem {
                        name: merged_name(&d.texts[3], grid.lang, cur.map(|l| &l.name)),
                        kind,
                        category,
                        party,
                        payer: cur.and_then(|l| l.payer.clone()),
                        beneficiary: cur.and_then(|l| l.beneficiary.clone()),
                        amounts: explicit_amounts(h, &d.amounts),
                        generator: None,
                        note: cur.and_then(|l| l.note.clone()),
                        id,
                    });
                    line_rows.push(d.row);
                }
            }
            Which::Funding => {
                sheets.insert("funding", &grid.sheet);
                project.funding.clear();
                let mut seen = BTreeSet::new();
                for d in drafts {
                    let id = FundingId::new(&d.texts[0]);
                    let kind = parse_funding_kind(&d.texts[1]);
                    let party = party(&d.texts[3]);
                    if id.is_err() {
                        errs.push(invalid_id(&d.texts[0], &at(d.row, 0)));
                    }
                    if kind.is_none() {
                        errs.push(unknown("unknown-funding-kind", &d.texts[1], &at(d.row, 1)));
                    }
                    if party.is_err() {
                        errs.push(invalid_id(&d.texts[3], &at(d.row, 3)));
                    }
                    let (Ok(id), Some(kind), Ok(party)) = (id, kind, party) else {
                        continue;
                    };
                    seen.insert(id.clone());
                    let cur = current.funding.iter().find(|f| f.id == id);
                    let name = merged_name(&d.texts[2], grid.lang, cur.map(|f| &f.name));
                    let source = if kind.is_debt() {
                        let Some(cur) = cur.filter(|f| f.kind.is_debt()) else {
                            errs.push(
                                ImportError::new("debt-not-in-model")
                                    .at(&at(d.row, 1))
                                    .arg("id", &id),
                            );
                            continue;
                        };
                        let expected = drawdowns(h, cur);
                        if let Some((i, (_, want))) = d
                            .amounts
                            .iter()
                            .zip(&expected)
                            .enumerate()
                            .find(|(_, (got, want))| got != want)
                        {
                            errs.push(
                                ImportError::new("debt-amounts")
                                    .at(&at(d.row, ycol + col_u32(i)))
                                    .arg("id", &id)
                                    .arg("expected", want),
                            );
                            continue;
                        }
                        FundingSource {
                            kind,
                            name,
                            party,
                            ..cur.clone()
                        }
                    } else {
                        non_debt(id, kind, name, party, &d.amounts, h, cur)
                    };
                    project.funding.push(source);
                    funding_rows.push(Some(d.row));
                }
                // Loans and bonds are kept even when their rows are gone.
                for f in current.funding.iter().filter(|f| f.kind.is_debt()) {
                    if !seen.contains(&f.id) {
                        project.funding.push(f.clone());
                        funding_rows.push(None);
                    }
                }
            }
        }
    }
    if !errs.is_empty() {
        // In reading order: sheet by sheet, row by row, left to right.
        let sheet_order: Vec<&str> = grids.iter().map(|(_, g)| g.sheet.as_str()).collect();
        errs.sort_by_key(|e| {
            let sheet = e
                .sheet
                .as_deref()
                .and_then(|s| sheet_order.iter().position(|o| *o == s));
            (sheet, e.cell.as_deref().map(cell_position))
        });
        return Err(ImportErrors(errs));
    }
    match project.validate() {
        Ok(()) => Ok(project),
        Err(problems) => Err(ImportErrors(
            problems
                .0
                .iter()
                .map(|e| {
                    let mut ie = ImportError {
                        code: e.code,
                        rule: Rule::Project,
                        sheet: None,
                        cell: None,
                        args: e.args.clone(),
                    };
                    if let Some((section, idx, rest)) = split_path(&e.path)
                        && let Some(sheet) = sheets.get(section)
                    {
                        ie.sheet = Some((*sheet).to_owned());
                        let row = match section {
                            "line_items" => line_rows.get(idx).copied(),
                            _ => funding_rows.get(idx).copied().flatten(),
                        };
                        let which = if section == "line_items" {
                            Which::Lines
                        } else {
                            Which::Funding
                        };
                        ie.cell = row.map(|r| cell_ref(r, column_of(which, rest, h)));
                    }
                    ie
                })
                .collect(),
        )),
    }
}

fn party(s: &str) -> Result<Option<MemberId>, ()> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        MemberId::new(s.trim()).map(Some).map_err(|_| ())
    }
}

fn invalid_id(value: &str, at: &At<'_>) -> ImportError {
    ImportError {
        rule: Rule::Project,
        ..ImportError::new("invalid-id").at(at).arg("value", value)
    }
}

fn unknown(code: &'static str, value: &str, at: &At<'_>) -> ImportError {
    ImportError::new(code).at(at).arg("value", value)
}

/// A non-debt funding source from a row: the current source's program,
/// donor and note kept where they still fit the kind.
fn non_debt(
    id: FundingId,
    kind: FundingKind,
    name: Text,
    party: Option<MemberId>,
    amounts: &[Yen],
    h: Horizon,
    cur: Option<&FundingSource>,
) -> FundingSource {
    let keep = cur.filter(|f| !f.kind.is_debt());
    FundingSource {
        id,
        kind,
        name,
        party,
        amounts: explicit_amounts(h, amounts),
        generator: None,
        principal: None,
        drawdown: None,
        rate: None,
        tenor_years: None,
        grace_years: None,
        repayment: None,
        donation_kind: keep
            .filter(|_| kind == FundingKind::Donation)
            .and_then(|f| f.donation_kind),
        donor: keep
            .filter(|_| kind == FundingKind::Donation)
            .and_then(|f| f.donor.clone()),
        program: keep
            .filter(|_| kind == FundingKind::Subsidy)
            .and_then(|f| f.program.clone()),
        note: cur.and_then(|f| f.note.clone()),
    }
}

/// `line_items[3].amounts.FY2027` → (`line_items`, 3, `amounts.FY2027`).
fn split_path(path: &str) -> Option<(&str, usize, &str)> {
    let (section, rest) = path.split_once('[')?;
    let (idx, rest) = rest.split_once(']')?;
    Some((
        section,
        idx.parse().ok()?,
        rest.strip_prefix('.').unwrap_or(rest),
    ))
}

/// The column of a field of a row (the id column for fields the sheet does
/// not show).
fn column_of(which: Which, field: &str, h: Horizon) -> u32 {
    let mut parts = field.split('.');
    let head = parts.next().unwrap_or("");
    if head == "amounts"
        && let Some(i) = parts
            .next()
            .and_then(|y| y.parse::<FiscalYear>().ok())
            .and_then(|y| h.index(y))
    {
        return year_col(which) + col_u32(i);
    }
    which
        .columns()
        .iter()
        .position(|k| k.strip_prefix("col.") == Some(head))
        .map_or(0, col_u32)
}

/// One data row: its number, its descriptive texts and its amounts (or the
/// cells that are not amounts).
struct Draft {
    row: u32,
    texts: Vec<String>,
    amounts: Vec<Yen>,
}
/// Checks the header and reads the data rows of a table.
fn read_table(grid: &Grid, which: Which, h: Horizon, errs: &mut Vec<ImportError>) -> Vec<Draft> {
    let at = |row: u32, col: u32| At {
        sheet: &grid.sheet,
        cell: Some((row, col)),
    };
    let Some(hi) = grid
        .rows
        .iter()
        .position(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
    else {
        errs.push(ImportError::new("empty-sheet").at(&At {
            sheet: &grid.sheet,
            cell: None,
        }));
        return Vec::new();
    };
    let (hrow, header) = &grid.rows[hi];
    let cell = |cells: &[Value], c: usize| cells.get(c).cloned().unwrap_or(Value::Empty);
    let before = errs.len();
    for (c, key) in which.columns().iter().enumerate() {
        let found = cell(header, c).text();
        if !Lang::ALL.iter().any(|l| same_word(&found, label(*l, key))) {
            errs.push(
                ImportError::new("header")
                    .at(&at(*hrow, col_u32(c)))
                    .arg("expected", label(grid.lang, key))
                    .arg("found", found),
            );
        }
    }
    let first = which.columns().len();
    for (i, y) in h.years().enumerate() {
        let v = cell(header, first + i);
        if v.fiscal_year() != Some(y) {
            errs.push(
                ImportError::new("years")
                    .at(&at(*hrow, col_u32(first + i)))
                    .arg("expected", fy(grid.lang, y))
                    .arg("found", v.text())
                    .arg("first", fy(grid.lang, h.first))
                    .arg("last", fy(grid.lang, h.last)),
            );
            // One wrong year shifts every later one: report it once.
            break;
        }
    }
    let after = first + h.len();
    for c in after..header.len() {
        let found = cell(header, c).text();
        let total = c == after
            && Lang::ALL
                .iter()
                .any(|l| same_word(&found, label(*l, "col.total")));
        if !found.is_empty() && !total {
            errs.push(
                ImportError::new("extra-column")
                    .at(&at(*hrow, col_u32(c)))
                    .arg("found", found),
            );
        }
    }
    if errs.len() > before {
        // The columns cannot be trusted; the rows would only add noise.
        return Vec::new();
    }
    let mut out = Vec::new();
    for (row, cells) in &grid.rows[hi + 1..] {
        if cells.iter().take(after).all(Value::is_empty) {
            continue;
        }
        let texts = (0..first).map(|c| cell(cells, c).text()).collect();
        let mut amounts = Vec::with_capacity(h.len());
        for i in 0..h.len() {
            let v = cell(cells, first + i);
            match v.yen() {
                Some(y) => amounts.push(y),
                None => {
                    errs.push(
                        ImportError::new("invalid-amount")
                            .at(&at(*row, col_u32(first + i)))
                            .arg("value", v.text()),
                    );
                    amounts.push(Yen::ZERO);
                }
            }
        }
        out.push(Draft {
            row: *row,
            texts,
            amounts,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn horizon() -> Horizon {
        Project::from_toml_str(include_str!("../../../../examples/kurume-flood-ai.toml"))
            .expect("example")
            .horizon
    }

    #[test]
    fn names_keep_the_other_language() {
        let t = Text {
            ja: "水位計".into(),
            en: Some("Water gauge".into()),
        };
        assert_eq!(merged_name("水位計", Lang::Ja, Some(&t)), t);
        assert_eq!(merged_name("Water gauge", Lang::En, Some(&t)), t);
        assert_eq!(merged_name("水位センサー", Lang::Ja, Some(&t)).en, t.en);
        assert_eq!(merged_name("Sensor", Lang::En, Some(&t)).ja, t.ja);
        // An English sheet shows the Japanese name when there is no English
        // one; reading it back changes nothing.
        let ja_only = Text {
            ja: "水位計".into(),
            en: None,
        };
        assert_eq!(merged_name("水位計", Lang::En, Some(&ja_only)), ja_only);
    }

    #[test]
    fn explicit_amounts_keep_a_line_valid() {
        let h = horizon();
        let zeros = vec![Yen::ZERO; h.len()];
        assert_eq!(
            explicit_amounts(h, &zeros),
            BTreeMap::from([(h.first, Yen::ZERO)])
        );
        let mut some = zeros;
        some[2] = Yen(5);
        assert_eq!(
            explicit_amounts(h, &some),
            BTreeMap::from([(h.first.plus(2), Yen(5))])
        );
    }
}
