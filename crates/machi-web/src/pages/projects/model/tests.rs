//! The form's rules, tested without a server.

use std::collections::{BTreeMap, BTreeSet};

use machi_domain::project::{LineCategory, LineKind};
use machi_domain::{Project, Yen};
use machi_i18n::Lang;

use super::apply::*;
use super::grid::*;
use crate::pages::common::Opt;

fn example(text: &str) -> Project {
    Project::from_toml_str(text).expect("example")
}

fn kurume() -> Project {
    example(include_str!(
        "../../../../../../examples/kurume-flood-ai.toml"
    ))
}

fn kashiwanoha() -> Project {
    example(include_str!(
        "../../../../../../examples/kashiwanoha-area-services.toml"
    ))
}

/// The fields a browser sends for `form` (selected options, values).
fn pairs_of(form: &ModelForm) -> Vec<(String, String)> {
    let sel = |o: &[Opt]| {
        o.iter()
            .find(|o| o.selected)
            .map(|o| o.value.clone())
            .unwrap_or_default()
    };
    let mut v = vec![
        ("base_version".to_owned(), form.base_version.to_string()),
        ("note".to_owned(), form.note.clone()),
    ];
    for r in form.lines.iter().chain(&form.funding) {
        v.push((r.field("orig"), r.orig.clone()));
        v.push((r.field("id"), r.id.clone()));
        v.push((r.field("name"), r.name.clone()));
        v.push((r.field("kind"), sel(&r.kinds)));
        v.push((r.field("party"), sel(&r.parties)));
        if !r.categories.is_empty() {
            let c = r
                .categories
                .iter()
                .flat_map(|g| &g.options)
                .find(|o| o.selected)
                .map(|o| o.value.clone())
                .unwrap_or_default();
            v.push((r.field("category"), c));
        }
        if let Some(t) = &r.terms {
            v.push((r.field("debt"), "1".into()));
            v.push((r.field("principal"), t.principal.clone()));
            v.push((r.field("drawdown"), sel(&t.drawdowns)));
            v.push((r.field("rate"), t.rate.clone()));
            v.push((r.field("tenor"), t.tenor.clone()));
            v.push((r.field("grace"), t.grace.clone()));
            v.push((r.field("repayment"), sel(&t.repayments)));
        }
        for c in &r.cells {
            v.push((c.name.clone(), c.value.clone()));
        }
    }
    v
}

fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
    let f = pairs
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    f.1 = value.to_owned();
}

fn applied(p: &Project, pairs: Vec<(String, String)>, lang: Lang) -> Result<Project, Vec<Problem>> {
    apply(p, &Submitted::new(pairs), lang).map(|a| a.project)
}

#[test]
fn an_unchanged_form_gives_back_every_example() {
    for text in [
        include_str!("../../../../../../examples/kurume-flood-ai.toml"),
        include_str!("../../../../../../examples/hino-mimamori.toml"),
        include_str!("../../../../../../examples/kashiwanoha-area-services.toml"),
        include_str!("../../../../../../examples/sano-urban-os.toml"),
    ] {
        let p = example(text);
        for &lang in Lang::ALL {
            let form = ModelForm::from_project(&p, 1, lang);
            let q = applied(&p, pairs_of(&form), lang).expect("valid");
            // Generators, explicit amounts and names: all as they were.
            assert_eq!(q, p, "{} {lang}", p.project.id);
        }
    }
}

#[test]
fn editing_a_generated_year_writes_an_explicit_amount_for_it_only() {
    let p = kurume();
    let (i, line) = p
        .line_items
        .iter()
        .enumerate()
        .find(|(_, l)| l.generator.is_some())
        .expect("a line with a generator");
    let form = ModelForm::from_project(&p, 1, Lang::Ja);
    let year = p.horizon.last;
    assert!(form.lines[i].cells.last().expect("cell").generated);
    let mut pairs = pairs_of(&form);
    set(&mut pairs, &format!("l.{i}.y.{year}"), "120万円");
    let q = applied(&p, pairs, Lang::Ja).expect("valid");
    let ql = &q.line_items[i];
    assert_eq!(ql.generator, line.generator, "the generator stays");
    assert_eq!(ql.amounts.get(&year), Some(&Yen(1_200_000)));
    let mut expected = line.amounts.clone();
    expected.insert(year, Yen(1_200_000));
    assert_eq!(ql.amounts, expected, "only that year is explicit");
}

#[test]
fn rows_are_added_renamed_retyped_and_removed() {
    let p = kurume();
    let form = ModelForm::from_project(&p, 1, Lang::En);
    let n = p.line_items.len();
    let mut pairs = pairs_of(&form);
    // The empty row at the end becomes a new revenue line without an id.
    set(&mut pairs, &format!("l.{n}.name"), "Sponsorship");
    set(&mut pairs, &format!("l.{n}.kind"), "revenue");
    set(&mut pairs, &format!("l.{n}.category"), "sponsorship");
    set(
        &mut pairs,
        &format!("l.{n}.y.{}", p.horizon.first),
        "1,200,000",
    );
    // The first line: renamed in English, its id changed.
    set(&mut pairs, "l.0.name", "Sensors, renamed");
    set(&mut pairs, "l.0.id", "sensors-renamed");
    // The second line is removed.
    pairs.push(("l.1.remove".into(), "1".into()));
    let q = applied(&p, pairs, Lang::En).expect("valid");
    assert_eq!(q.line_items.len(), n);
    let first = &q.line_items[0];
    assert_eq!(first.id.as_str(), "sensors-renamed");
    assert_eq!(first.name.en.as_deref(), Some("Sensors, renamed"));
    assert_eq!(first.name.ja, p.line_items[0].name.ja, "Japanese kept");
    assert_eq!(
        first.note, p.line_items[0].note,
        "note kept by the original id"
    );
    assert!(!q.line_items.iter().any(|l| l.id == p.line_items[1].id));
    let new = q.line_items.last().expect("new");
    assert_eq!(new.id.as_str(), "revenue-1");
    assert_eq!(new.kind, LineKind::Revenue);
    assert_eq!(new.category, LineCategory::Sponsorship);
    assert_eq!(new.name.ja, "Sponsorship");
    assert_eq!(
        new.amounts,
        BTreeMap::from([(p.horizon.first, Yen(1_200_000))])
    );
}

#[test]
fn bad_cells_are_reported_at_their_field_and_nothing_is_applied() {
    let p = kurume();
    let form = ModelForm::from_project(&p, 1, Lang::Ja);
    let mut pairs = pairs_of(&form);
    let y = p.horizon.first.plus(2);
    set(&mut pairs, &format!("l.2.y.{y}"), "たくさん");
    set(&mut pairs, "l.3.kind", "expense");
    let problems = applied(&p, pairs, Lang::Ja).expect_err("invalid");
    let fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
    assert_eq!(fields, vec![format!("l.2.y.{y}"), "l.3.kind".to_owned()]);
    let cell = problems
        .iter()
        .find(|p| p.field.as_deref() == Some(&format!("l.2.y.{y}")))
        .expect("cell problem");
    assert!(cell.message.contains("たくさん"), "{}", cell.message);
    assert!(cell.place.contains("令和9年度"), "{}", cell.place);
    // The form shown again keeps what was typed, with the error beside it.
    let again = ModelForm::from_submitted(
        &Submitted::new(pairs_of(&form)),
        &p,
        Lang::Ja,
        &problems,
        None,
    );
    let c = &again.lines[2].cells[2];
    assert!(c.error.as_deref().is_some_and(|e| e.contains("たくさん")));
    assert!(again.lines[3].err("kind").is_some());
}

#[test]
fn model_rules_are_reported_at_their_field() {
    let p = kurume();
    let form = ModelForm::from_project(&p, 1, Lang::En);
    let mut pairs = pairs_of(&form);
    let capex = p
        .line_items
        .iter()
        .position(|l| l.kind == LineKind::Capex)
        .expect("capex");
    set(&mut pairs, &format!("l.{capex}.category"), "user-fees");
    let y = p.horizon.first;
    set(&mut pairs, &format!("f.0.y.{y}"), "-5");
    let problems = applied(&p, pairs, Lang::En).expect_err("invalid");
    let fields: BTreeSet<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
    assert!(
        fields.contains(&format!("l.{capex}.category")),
        "{problems:?}"
    );
    assert!(fields.contains(&format!("f.0.y.{y}")), "{problems:?}");
}

#[test]
fn loans_are_edited_through_their_terms() {
    let p = kashiwanoha();
    let i = p
        .funding
        .iter()
        .position(|f| f.kind.is_debt())
        .expect("loan");
    let form = ModelForm::from_project(&p, 1, Lang::Ja);
    let row = &form.funding[i];
    assert!(row.cells.is_empty() && row.terms.is_some());
    let mut pairs = pairs_of(&form);
    set(&mut pairs, &format!("f.{i}.rate"), "2.5%");
    set(&mut pairs, &format!("f.{i}.tenor"), "12");
    let q = applied(&p, pairs.clone(), Lang::Ja).expect("valid");
    let terms = q.funding[i].debt_terms().expect("terms");
    assert_eq!(terms.rate, "0.025".parse().expect("rate"));
    assert_eq!(terms.tenor_years, 12);
    set(&mut pairs, &format!("f.{i}.tenor"), "十年");
    let problems = applied(&p, pairs, Lang::Ja).expect_err("invalid");
    assert_eq!(
        problems[0].field.as_deref(),
        Some(format!("f.{i}.tenor").as_str())
    );
    // A new loan: a blank debt row, filled in.
    let f = Submitted::new(pairs_of(&form));
    let again = ModelForm::from_submitted(&f, &p, Lang::Ja, &[], Some("debt"));
    let new = again.funding.last().expect("new debt row");
    assert!(new.terms.is_some() && new.is_new);
    let mut pairs = pairs_of(&again);
    let k = new.i;
    set(&mut pairs, &format!("f.{k}.name"), "追加の借入");
    set(&mut pairs, &format!("f.{k}.principal"), "1億円");
    set(
        &mut pairs,
        &format!("f.{k}.drawdown"),
        &p.horizon.first.to_string(),
    );
    set(&mut pairs, &format!("f.{k}.rate"), "1%");
    set(&mut pairs, &format!("f.{k}.tenor"), "10");
    let q = applied(&p, pairs, Lang::Ja).expect("valid");
    let loan = q.funding.last().expect("loan");
    assert_eq!(loan.id.as_str(), "loan-1");
    assert_eq!(loan.principal, Some(Yen(100_000_000)));
}

#[test]
fn merge_lays_your_rows_on_theirs() {
    let base = kurume();
    let mut theirs = base.clone();
    theirs.line_items[0].name.ja = "彼らの名称".into();
    theirs.line_items[1].name.ja = "彼らの名称2".into();
    let mut yours = base.clone();
    yours.line_items[1].name.ja = "私の名称2".into();
    yours.line_items.remove(2);
    let (merged, both) = merge(&base, &theirs, &yours);
    assert_eq!(merged.line_items[0].name.ja, "彼らの名称");
    assert_eq!(merged.line_items[1].name.ja, "私の名称2");
    assert_eq!(merged.line_items.len(), base.line_items.len() - 1);
    assert_eq!(both, vec![base.line_items[1].id.to_string()]);
}

/// A number too large for machi is "too large", not "unreadable" (issue 15
/// item 11): over ¥10兆, and past what 64 bits hold.
#[test]
fn an_out_of_range_number_is_too_large_not_unreadable() {
    for v in [
        "99999999999999999999",
        "20,000,000,000,000",
        "２０００００００００００００００",
    ] {
        let m = amount_problem(Lang::Ja, v);
        assert!(m.contains("大きすぎます"), "{v}: {m}");
    }
    let m = amount_problem(Lang::En, "12a");
    assert!(!m.contains("too large"), "{m}");
}
