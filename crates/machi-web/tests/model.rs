//! The model editor and the Excel/CSV round trip, end to end: the real
//! router on port 0 over a fresh database (SQLite always, PostgreSQL when
//! `MACHI_TEST_DATABASE_URL` is set), driven by a small HTTP client with a
//! cookie jar — the harness in `tests/support`, shared with `tests/app.rs`.

mod support;

use machi_domain::{Project, Yen, YenUnit};
use machi_store::{AuditFilter, OrgKind, ProjectKey, Role};
use support::{TestApp, form_fields, get, set_or_add, stories};

const KURUME: &str = include_str!("../../../examples/kurume-flood-ai.toml");
const KASHIWANOHA: &str = include_str!("../../../examples/kashiwanoha-area-services.toml");

fn yen(y: Yen) -> String {
    y.format(YenUnit::Yen)
}

fn npv(p: &Project) -> Yen {
    machi_finance::evaluate(p, &machi_finance::Options::default())
        .expect("evaluates")
        .metrics
        .npv
}

// ---------------------------------------------------------------------------
// A world: a city and a company in the consortium, an outsider company, the
// secretariat and a reviewer; Kurume and Kashiwanoha (which has a loan).

const OFFICER: &str = "officer@city.example";
const PROVIDER_A: &str = "provider@a.example";
const PROVIDER_B: &str = "provider@b.example";
const SECRETARIAT: &str = "secretariat@sec.example";
const REVIEWER: &str = "reviewer@sec.example";
const ENGLISH: &str = "english@city.example";

struct World {
    kurume: ProjectKey,
    kashiwanoha: ProjectKey,
}

async fn world(app: &TestApp) -> World {
    let city = app.org("久留米市", OrgKind::Municipality).await;
    let company_a = app.org("A社", OrgKind::Company).await;
    let company_b = app.org("B社", OrgKind::Company).await;
    let sec = app.org("事務局", OrgKind::Secretariat).await;
    let officer = app.user(OFFICER, Role::MunicipalOfficer, city, "ja").await;
    app.user(ENGLISH, Role::MunicipalOfficer, city, "en").await;
    app.user(PROVIDER_A, Role::Provider, company_a, "ja").await;
    app.user(PROVIDER_B, Role::Provider, company_b, "ja").await;
    app.user(SECRETARIAT, Role::Secretariat, sec, "ja").await;
    app.user(REVIEWER, Role::Reviewer, sec, "ja").await;
    let mut keys = Vec::new();
    for text in [KURUME, KASHIWANOHA] {
        let doc = Project::from_toml_str(text).expect("example");
        let meta = app
            .store()
            .create_project(officer.id, city, &[city, company_a], &doc, "v1")
            .await
            .expect("project");
        keys.push(meta.project);
    }
    World {
        kurume: keys[0],
        kashiwanoha: keys[1],
    }
}

// ---------------------------------------------------------------------------
// Stories.

async fn the_preview_recalculates_without_saving(app: &TestApp) {
    let w = world(app).await;
    let p = w.kurume;
    let mut c = app.logged_in(OFFICER).await;
    let page = c.get(&format!("/projects/{p}/model")).await;
    assert_eq!(page.status, 200);
    let html = page.body;
    assert!(html.contains("data-version=\"1\""));
    assert!(html.contains("hx-post=\"/projects/"), "the form previews");
    let mut f = form_fields(&html, &format!("/projects/{p}/model"));
    let (_, doc, _) = app.latest(p).await;
    let y = doc.horizon.first;
    // Line 0 has an explicit amount in the first year; type a new one as
    // people write it.
    let cell = format!("l.0.y.{y}");
    assert_eq!(get(&f, &cell), "15,000,000");
    set_or_add(&mut f, &cell, "1,600万円");
    let r = c
        .post_pairs(&format!("/projects/{p}/model/preview"), &f)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.body;
    let mut expected = doc.clone();
    expected.line_items[0].amounts.insert(y, Yen(16_000_000));
    assert_ne!(npv(&expected), npv(&doc));
    assert!(body.contains(&yen(npv(&expected))), "the new NPV: {body}");
    assert!(body.contains("id=\"model-results\""));
    assert!(
        body.contains("data-evaluation-json=\""),
        "chart data inline"
    );
    assert!(body.contains("id=\"total-l-0\" hx-swap-oob=\"true\""));
    // Nothing saved.
    assert_eq!(app.latest(p).await.0, 1);

    // A bad cell: translated, beside its field, nothing recalculated or saved.
    set_or_add(&mut f, &cell, "たくさん");
    let r = c
        .post_pairs(&format!("/projects/{p}/model/preview"), &f)
        .await;
    assert_eq!(r.status, 200);
    let body = r.body;
    assert!(body.contains("data-code=\"invalid-model\""), "{body}");
    assert!(
        body.contains("「たくさん」は円の金額として読めません"),
        "{body}"
    );
    assert!(
        body.contains(&format!("&#34;{cell}&#34;"))
            || body.contains(&format!("&quot;{cell}&quot;")),
        "the cell's field: {body}"
    );
    assert!(!body.contains("data-evaluation-json"));
    assert_eq!(app.latest(p).await.0, 1);

    // Adding a row shows the form again with another empty row; no save.
    set_or_add(&mut f, &cell, "16,000,000");
    f.push(("op".into(), "add-line".into()));
    let r = c.post_pairs(&format!("/projects/{p}/model"), &f).await;
    assert_eq!(r.status, 200);
    let again = form_fields(&r.body, &format!("/projects/{p}/model"));
    let n = doc.line_items.len();
    assert_eq!(get(&again, &cell), "16,000,000", "what was typed stays");
    assert!(
        again.iter().any(|(k, _)| *k == format!("l.{}.id", n + 1)),
        "two empty rows"
    );
    assert_eq!(app.latest(p).await.0, 1);
}

async fn saving_creates_a_version_and_an_audit_entry(app: &TestApp) {
    let w = world(app).await;
    let p = w.kurume;
    let mut c = app.logged_in(OFFICER).await;
    let page = c.get(&format!("/projects/{p}/model")).await;
    let mut f = form_fields(&page.body, &format!("/projects/{p}/model"));
    let (_, doc, _) = app.latest(p).await;
    let n = doc.line_items.len();
    let last = doc.horizon.last;
    // A generated year typed over, a new line, a removed line.
    let g = doc
        .line_items
        .iter()
        .position(|l| l.generator.is_some())
        .expect("a generated line");
    set_or_add(&mut f, &format!("l.{g}.y.{last}"), "999,000");
    set_or_add(&mut f, &format!("l.{n}.name"), "広報費");
    set_or_add(&mut f, &format!("l.{n}.kind"), "opex");
    set_or_add(&mut f, &format!("l.{n}.category"), "other");
    set_or_add(&mut f, &format!("l.{n}.y.{}", doc.horizon.first), "50万円");
    set_or_add(&mut f, "l.0.remove", "1");
    f.push(("op".into(), "save".into()));
    let r = c.post_pairs(&format!("/projects/{p}/model"), &f).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), format!("/projects/{p}/model?saved=2"));
    let (v, saved, note) = app.latest(p).await;
    assert_eq!(v, 2);
    assert_eq!(note, "年度別モデルを編集");
    assert_eq!(saved.line_items.len(), n, "one added, one removed");
    assert!(
        !saved
            .line_items
            .iter()
            .any(|l| l.id == doc.line_items[0].id)
    );
    let gl = saved
        .line_items
        .iter()
        .find(|l| l.id == doc.line_items[g].id)
        .expect("generated line");
    assert_eq!(gl.generator, doc.line_items[g].generator, "generator kept");
    assert_eq!(gl.amounts.get(&last), Some(&Yen(999_000)));
    let new = saved.line_items.last().expect("new line");
    assert_eq!(
        (new.id.as_str(), new.name.ja.as_str()),
        ("opex-1", "広報費")
    );
    // The page after saving says so and is based on version 2.
    let r = c.get(&format!("/projects/{p}/model?saved=2")).await;
    assert!(r.body.contains("第2版として保存しました"));
    assert!(r.body.contains("data-version=\"2\""));
    // Audited like every save.
    let audit = app
        .store()
        .audit(AuditFilter {
            entity: Some("project".into()),
            entity_id: Some(p.0.to_string()),
            limit: None,
        })
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "project.save"));
}

async fn a_stale_model_save_gets_409_and_loses_nothing(app: &TestApp) {
    let w = world(app).await;
    let p = w.kurume;
    let path = format!("/projects/{p}/model");
    let mut alice = app.logged_in(OFFICER).await;
    let mut bob = app.logged_in(PROVIDER_A).await;
    let mut fa = form_fields(&alice.get(&path).await.body, &path);
    let mut fb = form_fields(&bob.get(&path).await.body, &path);
    let (_, doc, _) = app.latest(p).await;
    let y = doc.horizon.first;
    set_or_add(&mut fa, &format!("l.0.y.{y}"), "16,000,000");
    set_or_add(&mut fb, &format!("l.1.y.{y}"), "7,000,000");
    fa.push(("op".into(), "save".into()));
    fb.push(("op".into(), "save".into()));
    assert_eq!(alice.post_pairs(&path, &fa).await.status, 303);
    let r = bob.post_pairs(&path, &fb).await;
    assert_eq!(r.status, 409);
    let body = r.body;
    assert!(body.contains("data-code=\"conflict\""));
    assert!(body.contains("¥7,000,000"), "Bob's value side by side");
    assert_eq!(app.latest(p).await.0, 2, "nothing overwritten");
    // The merged form is based on version 2: Alice's row and Bob's row.
    let merged = form_fields(&body, &path);
    assert_eq!(get(&merged, "base_version"), "2");
    assert_eq!(get(&merged, &format!("l.0.y.{y}")), "16,000,000");
    assert_eq!(get(&merged, &format!("l.1.y.{y}")), "7,000,000");
    let mut merged = merged;
    merged.push(("op".into(), "save".into()));
    let r = bob.post_pairs(&path, &merged).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (v, saved, _) = app.latest(p).await;
    assert_eq!(v, 3);
    assert_eq!(saved.line_items[0].amounts.get(&y), Some(&Yen(16_000_000)));
    assert_eq!(saved.line_items[1].amounts.get(&y), Some(&Yen(7_000_000)));
}

async fn export_then_import_keeps_the_model(app: &TestApp) {
    let w = world(app).await;
    for (p, user) in [(w.kurume, OFFICER), (w.kashiwanoha, ENGLISH)] {
        let mut c = app.logged_in(user).await;
        let (_, before, _) = app.latest(p).await;
        let eval_before =
            machi_finance::evaluate(&before, &machi_finance::Options::default()).expect("eval");
        let xlsx = c.get(&format!("/projects/{p}/export.xlsx")).await;
        assert_eq!(xlsx.status, 200);
        assert!(xlsx.header("content-type").contains("spreadsheetml"));
        assert!(xlsx.header("content-disposition").contains(".xlsx"));
        let csv = c.get(&format!("/projects/{p}/export.csv")).await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").starts_with("text/csv"));
        assert!(
            csv.bytes.starts_with("\u{feff}".as_bytes()),
            "BOM for Excel"
        );
        let page = c.get(&format!("/projects/{p}/import")).await;
        assert_eq!(page.status, 200);
        let mut version = app.latest(p).await.0;
        for (file, bytes, note) in [
            (
                "model.xlsx",
                &xlsx.bytes,
                [
                    "Excelから取り込み（model.xlsx）",
                    "Imported from Excel (model.xlsx)",
                ],
            ),
            (
                "model.csv",
                &csv.bytes,
                [
                    "CSVから取り込み（model.csv）",
                    "Imported from CSV (model.csv)",
                ],
            ),
        ] {
            let r = c
                .import(&format!("/projects/{p}/import"), version, file, bytes)
                .await;
            assert_eq!(r.status, 303, "{file}: {}", r.body);
            let (v, after, saved_note) = app.latest(p).await;
            assert_eq!(v, version + 1);
            assert_eq!(r.header("location"), format!("/projects/{p}?version={v}"));
            assert!(note.contains(&saved_note.as_str()), "{saved_note}");
            let eval_after =
                machi_finance::evaluate(&after, &machi_finance::Options::default()).expect("eval");
            assert_eq!(eval_after, eval_before, "{file}: the model is kept");
            for (a, b) in after.line_items.iter().zip(&before.line_items) {
                assert_eq!(
                    (&a.id, a.kind, a.category, &a.name, &a.party),
                    (&b.id, b.kind, b.category, &b.name, &b.party)
                );
            }
            version = v;
        }
    }
}

async fn import_errors_are_translated_and_save_nothing(app: &TestApp) {
    let w = world(app).await;
    let p = w.kurume;
    for (user, lang_words) in [
        (
            OFFICER,
            [
                "明細!F4",
                "「たくさん」は金額として読めません",
                "何も保存されていません",
            ],
        ),
        (
            ENGLISH,
            [
                "Line items!F4",
                "“たくさん” is not an amount",
                "Nothing was saved",
            ],
        ),
    ] {
        let mut c = app.logged_in(user).await;
        c.get(&format!("/projects/{p}/import")).await;
        let csv = c.get(&format!("/projects/{p}/export.csv")).await.body;
        // Row 4 of the file (the second line item), column F (the first year).
        let edited: Vec<String> = csv
            .split("\r\n")
            .enumerate()
            .map(|(i, line)| {
                if i == 3 {
                    let mut f: Vec<&str> = line.split(',').collect();
                    f[5] = "たくさん";
                    f.join(",")
                } else {
                    line.to_owned()
                }
            })
            .collect();
        let r = c
            .import(
                &format!("/projects/{p}/import"),
                1,
                "model.csv",
                edited.join("\r\n").as_bytes(),
            )
            .await;
        assert_eq!(r.status, 422);
        let body = r.body;
        assert!(body.contains("data-code=\"invalid-import\""));
        for w in lang_words {
            assert!(body.contains(w), "{w}: {body}");
        }
        let r = c
            .import(
                &format!("/projects/{p}/import"),
                1,
                "model.xlsx",
                b"not a workbook",
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains(".xlsx"));
        assert_eq!(app.latest(p).await.0, 1, "nothing saved");
    }
    // A stale import is refused like any stale save.
    let mut c = app.logged_in(OFFICER).await;
    c.get(&format!("/projects/{p}/import")).await;
    let xlsx = c.get(&format!("/projects/{p}/export.xlsx")).await;
    assert_eq!(
        c.import(&format!("/projects/{p}/import"), 1, "a.xlsx", &xlsx.bytes)
            .await
            .status,
        303
    );
    let r = c
        .import(&format!("/projects/{p}/import"), 1, "a.xlsx", &xlsx.bytes)
        .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("data-code=\"conflict\""));
    assert!(r.body.contains("name=\"base_version\" value=\"2\""));
    assert_eq!(app.latest(p).await.0, 2);
}

async fn who_may_export_and_import(app: &TestApp) {
    let w = world(app).await;
    let p = w.kurume;
    let xlsx = {
        let mut c = app.logged_in(OFFICER).await;
        c.get(&format!("/projects/{p}/export.xlsx")).await.bytes
    };
    // Outsiders do not even learn that the project exists.
    for user in [PROVIDER_B, REVIEWER] {
        let mut c = app.logged_in(user).await;
        for path in ["export.xlsx", "export.csv", "import", "model"] {
            assert_eq!(
                c.get(&format!("/projects/{p}/{path}")).await.status,
                404,
                "{user} {path}"
            );
        }
        let r = c
            .import(&format!("/projects/{p}/import"), 1, "a.xlsx", &xlsx)
            .await;
        assert_eq!(r.status, 404, "{user}");
        let r = c
            .post_pairs(
                &format!("/projects/{p}/model/preview"),
                &[("base_version".into(), "1".into())],
            )
            .await;
        assert_eq!(r.status, 404, "{user}");
    }
    // The secretariat reads and exports, but does not import or edit.
    let mut s = app.logged_in(SECRETARIAT).await;
    assert_eq!(
        s.get(&format!("/projects/{p}/export.xlsx")).await.status,
        200
    );
    assert_eq!(
        s.get(&format!("/projects/{p}/export.csv")).await.status,
        200
    );
    assert_eq!(s.get(&format!("/projects/{p}/import")).await.status, 403);
    assert_eq!(s.get(&format!("/projects/{p}/model")).await.status, 403);
    let r = s
        .import(&format!("/projects/{p}/import"), 1, "a.xlsx", &xlsx)
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .post_pairs(
            &format!("/projects/{p}/model/preview"),
            &[("base_version".into(), "1".into())],
        )
        .await;
    assert_eq!(r.status, 403);
    // Imports need the CSRF token.
    let mut c = app.logged_in(OFFICER).await;
    c.csrf = Some("0".repeat(64));
    let r = c
        .import(&format!("/projects/{p}/import"), 1, "a.xlsx", &xlsx)
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("data-code=\"csrf\""));
    assert_eq!(app.latest(p).await.0, 1);
    // The project page links the editor, the import and the exports.
    let mut c = app.logged_in(OFFICER).await;
    let page = c.get(&format!("/projects/{p}")).await.body;
    for link in [
        "model\"",
        "import\"",
        "export.xlsx?version=1",
        "export.csv?version=1",
    ] {
        assert!(page.contains(&format!("/projects/{p}/{link}")), "{link}");
    }
}

async fn loans_are_edited_by_their_terms(app: &TestApp) {
    let w = world(app).await;
    let p = w.kashiwanoha;
    let path = format!("/projects/{p}/model");
    let mut c = app.logged_in(ENGLISH).await;
    let page = c.get(&path).await.body;
    assert!(page.contains("Loans and bonds"));
    let mut f = form_fields(&page, &path);
    let (_, doc, _) = app.latest(p).await;
    let i = doc
        .funding
        .iter()
        .position(|s| s.kind.is_debt())
        .expect("loan");
    assert_eq!(get(&f, &format!("f.{i}.rate")), "1.8%");
    set_or_add(&mut f, &format!("f.{i}.rate"), "2.5%");
    set_or_add(&mut f, &format!("f.{i}.tenor"), "ten");
    let r = c.post_pairs(&format!("{path}/preview"), &f).await;
    assert!(
        r.body.contains("“ten” is not a number of years"),
        "{}",
        r.body
    );
    set_or_add(&mut f, &format!("f.{i}.tenor"), "10");
    f.push(("op".into(), "save".into()));
    let r = c.post_pairs(&path, &f).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, saved, note) = app.latest(p).await;
    assert_eq!(note, "Edited the model by fiscal year");
    let terms = saved.funding[i].debt_terms().expect("terms");
    assert_eq!(terms.rate, "2.5%".parse().expect("rate"));
    assert_eq!(terms.tenor_years, 10);
}

stories!(
    the_preview_recalculates_without_saving,
    saving_creates_a_version_and_an_audit_entry,
    a_stale_model_save_gets_409_and_loses_nothing,
    export_then_import_keeps_the_model,
    import_errors_are_translated_and_save_nothing,
    who_may_export_and_import,
    loans_are_edited_by_their_terms,
);
