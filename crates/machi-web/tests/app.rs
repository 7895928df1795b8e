//! The web application, end to end: a [`TestApp`] starts the real router on
//! port 0 with a fresh database, and a small HTTP client with a cookie jar
//! logs users in and exercises pages and API (the harness is in
//! `tests/support`).
//!
//! Every story runs on SQLite (a file in a temporary directory) and again on
//! PostgreSQL when `MACHI_TEST_DATABASE_URL` is set (an administration URL
//! such as `postgres://postgres@127.0.0.1:5432/postgres`; each test creates
//! a database of its own and drops it at the end).

mod support;

use hyper::Method;
use machi_domain::Project;
use machi_store::{AuditFilter, OrgId, OrgKind, ProjectKey, Role};
use serde_json::{Value, json};
use support::{PASSWORD, TestApp, form_fields, set, stories};

const KURUME: &str = include_str!("../../../examples/kurume-flood-ai.toml");
const HINO: &str = include_str!("../../../examples/hino-mimamori.toml");

// ---------------------------------------------------------------------------
// A world to test in.

/// Organisations, one user per role (plus outsiders) and one project whose
/// consortium is the city and company A.
struct World {
    city: OrgId,
    company_a: OrgId,
    company_b: OrgId,
    project: ProjectKey,
}

const OFFICER: &str = "officer@city.example";
const OTHER_OFFICER: &str = "officer@other-city.example";
const PROVIDER_A: &str = "provider@a.example";
const PROVIDER_B: &str = "provider@b.example";
const SECRETARIAT: &str = "secretariat@sec.example";
const REVIEWER: &str = "reviewer@sec.example";
const INVESTOR: &str = "investor@fund.example";
const ADMIN: &str = "admin@machi.example";

async fn world(app: &TestApp) -> World {
    let city = app.org("久留米市", OrgKind::Municipality).await;
    let other_city = app.org("別の市", OrgKind::Municipality).await;
    let company_a = app.org("A社", OrgKind::Company).await;
    let company_b = app.org("B社", OrgKind::Company).await;
    let sec = app.org("事務局", OrgKind::Secretariat).await;
    let fund = app.org("ファンド", OrgKind::Investor).await;
    let ops = app.org("運営", OrgKind::Association).await;
    let officer = app.user(OFFICER, Role::MunicipalOfficer, city, "ja").await;
    app.user(OTHER_OFFICER, Role::MunicipalOfficer, other_city, "ja")
        .await;
    app.user(PROVIDER_A, Role::Provider, company_a, "ja").await;
    app.user(PROVIDER_B, Role::Provider, company_b, "ja").await;
    app.user(SECRETARIAT, Role::Secretariat, sec, "ja").await;
    app.user(REVIEWER, Role::Reviewer, sec, "ja").await;
    app.user(INVESTOR, Role::Investor, fund, "ja").await;
    app.user(ADMIN, Role::Admin, ops, "ja").await;
    let doc = Project::from_toml_str(KURUME).expect("example");
    let meta = app
        .store()
        .create_project(officer.id, city, &[city, company_a], &doc, "v1")
        .await
        .expect("project");
    World {
        city,
        company_a,
        company_b,
        project: meta.project,
    }
}

// ---------------------------------------------------------------------------
// Stories.

async fn login_page_is_japanese_by_default_and_switches_to_english(app: &TestApp) {
    let mut c = app.client();
    let r = c.get("/login").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<html lang=\"ja\">"));
    assert!(r.body.contains("ログイン"));
    // Before log-in, the switch persists in a cookie.
    let r = c.post("/lang", &[("lang", "en"), ("next", "/login")]).await;
    assert_eq!(r.status, 303);
    assert!(
        r.set_cookies()
            .iter()
            .any(|s| s.starts_with("machi_lang=en"))
    );
    let r = c.get("/login").await;
    assert!(r.body.contains("<html lang=\"en\">"), "{}", r.body);
    assert!(r.body.contains("Log in with your machi account."));
}

async fn login_success_sets_a_safe_cookie_and_stores_only_its_hash(app: &TestApp) {
    world(app).await;
    let mut c = app.client();
    let r = c.login(OFFICER, PASSWORD).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/dashboard");
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|s| s.starts_with("machi_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let token = c.cookies["machi_session"].clone();
    assert_eq!(token.len(), 64, "256 bits, hex");
    let hash = machi_web::auth::token_hash(&token);
    let session = app
        .store()
        .session(&hash, chrono::Utc::now())
        .await
        .expect("store")
        .expect("the session is stored under the token's hash");
    assert!(
        app.store()
            .session(&token, chrono::Utc::now())
            .await
            .expect("store")
            .is_none()
    );
    assert_eq!(session.csrf_token.len(), 64);
    let r = c.get("/dashboard").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("officer"), "the user's name is shown");
    assert_eq!(c.csrf.as_deref(), Some(session.csrf_token.as_str()));
}

async fn login_failure_does_not_say_which_part_was_wrong(app: &TestApp) {
    world(app).await;
    let mut c = app.client();
    let wrong_password = c.login(OFFICER, "wrong password!").await;
    assert_eq!(wrong_password.status, 401);
    assert!(
        wrong_password
            .body
            .contains("メールアドレスまたはパスワードが正しくありません。")
    );
    let unknown = c.login("nobody@city.example", PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("data-code=\"login-failed\""));
    assert!(!c.cookies.contains_key("machi_session"));
    // Through the API: the same code, in the requested language.
    c.accept_language = Some("en-GB,en;q=0.9".into());
    let r = c.api_login(OFFICER, "wrong password!").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "login-failed");
    assert_eq!(
        r.json()["error"]["message"],
        "The e-mail or the password is wrong."
    );
}

async fn login_is_throttled_after_five_failures(app: &TestApp) {
    world(app).await;
    let mut c = app.client();
    for _ in 0..5 {
        assert_eq!(c.login(OFFICER, "wrong password!").await.status, 401);
    }
    // The right password no longer helps for this e-mail…
    let r = c.login(OFFICER, PASSWORD).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), "900");
    assert!(r.body.contains("15分後"), "{}", r.body);
    assert!(!c.cookies.contains_key("machi_session"));
    // …nor through the API, whose message follows ?lang=.
    let r = c
        .api(
            Method::POST,
            "/api/v1/session?lang=en",
            Some(json!({ "email": OFFICER.to_uppercase(), "password": PASSWORD })),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"]["code"], "throttled");
    assert_eq!(
        r.json()["error"]["message"],
        "Too many failed log-ins. Try again in 15 minutes."
    );
    // Other accounts are not affected.
    assert_eq!(c.login(PROVIDER_A, PASSWORD).await.status, 303);
}

async fn csrf_tokens_are_required(app: &TestApp) {
    let w = world(app).await;
    // The log-in form without the pre-session token.
    let mut c = app.client();
    let r = c
        .post_raw("/login", &[("email", OFFICER), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("data-code=\"csrf\""), "{}", r.body);

    let mut c = app.logged_in(OFFICER).await;
    let path = format!("/projects/{}/organisations", w.project);
    let ids = [
        w.city.to_string(),
        w.company_a.to_string(),
        w.company_b.to_string(),
    ];
    let pairs = [
        ("org", ids[0].as_str()),
        ("org", ids[1].as_str()),
        ("org", ids[2].as_str()),
    ];
    // No token, then a wrong one: refused, nothing changed.
    assert_eq!(c.post_raw(&path, &pairs).await.status, 403);
    let mut wrong = pairs.to_vec();
    let bad = "0".repeat(64);
    wrong.push(("csrf", &bad));
    assert_eq!(c.post_raw(&path, &wrong).await.status, 403);
    let orgs = app
        .store()
        .project_organisations(w.project)
        .await
        .expect("orgs");
    assert!(!orgs.contains(&w.company_b));
    // The pre-session token of the log-in page is not the session's.
    assert_ne!(c.csrf.as_deref(), Some(bad.as_str()));
    // With the session's token it works.
    assert_eq!(c.post(&path, &pairs).await.status, 303);
    let orgs = app
        .store()
        .project_organisations(w.project)
        .await
        .expect("orgs");
    assert!(orgs.contains(&w.company_b));

    // The API: a mutating call needs X-CSRF-Token.
    let mut api = app.client();
    assert_eq!(api.api_login(PROVIDER_A, PASSWORD).await.status, 200);
    let token = api.csrf.take();
    let save =
        json!({ "base_version": 1, "document": Project::from_toml_str(KURUME).expect("doc") });
    let r = api
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{}", w.project),
            Some(save.clone()),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "csrf");
    api.csrf = token;
    let r = api
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{}", w.project),
            Some(save),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Reading needs no token.
    api.csrf = None;
    assert_eq!(
        api.api(Method::GET, "/api/v1/projects", None).await.status,
        200
    );
}

async fn logout_ends_the_session(app: &TestApp) {
    world(app).await;
    let mut c = app.logged_in(OFFICER).await;
    let token = c.cookies["machi_session"].clone();
    c.get("/dashboard").await;
    let r = c.post("/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/login");
    assert!(!c.cookies.contains_key("machi_session"));
    let hash = machi_web::auth::token_hash(&token);
    assert!(
        app.store()
            .session(&hash, chrono::Utc::now())
            .await
            .expect("store")
            .is_none()
    );
    // The old cookie no longer works.
    c.cookies.insert("machi_session".into(), token);
    let r = c.get("/dashboard").await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login?next="), "{}", r.location());
}

/// A sample of the permission matrix, through HTTP (the whole matrix is
/// tested on the pure function in `permissions.rs`).
async fn permission_cells_through_http(app: &TestApp) {
    let w = world(app).await;
    let p = w.project;
    // (user, path, expected status)
    let cells: &[(&str, String, u16)] = &[
        // View.
        (OFFICER, format!("/projects/{p}"), 200),
        (PROVIDER_A, format!("/projects/{p}"), 200),
        (PROVIDER_B, format!("/projects/{p}"), 404),
        (OTHER_OFFICER, format!("/projects/{p}"), 404),
        (SECRETARIAT, format!("/projects/{p}"), 200),
        (REVIEWER, format!("/projects/{p}"), 404),
        (INVESTOR, format!("/projects/{p}"), 404),
        (ADMIN, format!("/projects/{p}"), 200),
        // Edit.
        (OFFICER, format!("/projects/{p}/edit"), 200),
        (PROVIDER_A, format!("/projects/{p}/edit"), 200),
        (PROVIDER_B, format!("/projects/{p}/edit"), 404),
        (SECRETARIAT, format!("/projects/{p}/edit"), 403),
        (ADMIN, format!("/projects/{p}/edit"), 200),
        // Versions and evaluation follow view.
        (SECRETARIAT, format!("/projects/{p}/versions"), 200),
        (PROVIDER_B, format!("/api/v1/projects/{p}/evaluation"), 404),
        (SECRETARIAT, format!("/api/v1/projects/{p}/evaluation"), 200),
        // Create.
        (OFFICER, "/projects/new".into(), 200),
        (PROVIDER_B, "/projects/new".into(), 200),
        (SECRETARIAT, "/projects/new".into(), 403),
        (REVIEWER, "/projects/new".into(), 403),
        (INVESTOR, "/projects/new".into(), 403),
        // Audit and users: admins only.
        (ADMIN, "/admin/audit".into(), 200),
        (ADMIN, "/admin/users".into(), 200),
        (OFFICER, "/admin/audit".into(), 403),
        (SECRETARIAT, "/admin/audit".into(), 403),
        (PROVIDER_A, "/admin/users".into(), 403),
    ];
    for (user, path, expected) in cells {
        let mut c = app.logged_in(user).await;
        let r = c.get(path).await;
        assert_eq!(
            r.status,
            *expected,
            "{user} GET {path}: {}",
            &r.body[..r.body.len().min(300)]
        );
    }
    // Lists show only what each may see.
    for (user, n) in [
        (OFFICER, 1),
        (PROVIDER_B, 0),
        (SECRETARIAT, 1),
        (REVIEWER, 0),
        (INVESTOR, 0),
        (ADMIN, 1),
    ] {
        let mut c = app.client();
        assert_eq!(c.api_login(user, PASSWORD).await.status, 200);
        let r = c.api(Method::GET, "/api/v1/projects", None).await;
        assert_eq!(
            r.json()["projects"].as_array().map(Vec::len),
            Some(n),
            "{user}"
        );
    }
    // Reviewers and investors are told their views come later.
    let mut c = app.logged_in(REVIEWER).await;
    let r = c.get("/dashboard").await;
    assert!(r.body.contains("今後のリリース"), "{}", r.body);
    // A secretariat cannot save through the API either.
    let mut c = app.client();
    c.api_login(SECRETARIAT, PASSWORD).await;
    let doc = Project::from_toml_str(KURUME).expect("doc");
    let r = c
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{p}"),
            Some(json!({"base_version": 1, "document": doc})),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "forbidden");
    // An outsider company gets 404, not 403: the draft's existence is not revealed.
    let mut c = app.client();
    c.api_login(PROVIDER_B, PASSWORD).await;
    let r = c
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{p}"),
            Some(json!({"base_version": 1, "document": doc})),
        )
        .await;
    assert_eq!(r.status, 404);
    // Not logged in: pages redirect to the log-in form, the API answers 401.
    let mut anon = app.client();
    let r = anon.get(&format!("/projects/{p}")).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), format!("/login?next=%2Fprojects%2F{p}"));
    let r = anon.api(Method::GET, "/api/v1/projects", None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
}

async fn consortium_organisations_grant_access(app: &TestApp) {
    let w = world(app).await;
    let mut b = app.logged_in(PROVIDER_B).await;
    assert_eq!(b.get(&format!("/projects/{}", w.project)).await.status, 404);
    let mut officer = app.logged_in(OFFICER).await;
    let page = officer.get(&format!("/projects/{}", w.project)).await;
    assert!(page.body.contains("B社"));
    let b_id = w.company_b.to_string();
    let a_id = w.company_a.to_string();
    let r = officer
        .post(
            &format!("/projects/{}/organisations", w.project),
            &[("org", a_id.as_str()), ("org", b_id.as_str())],
        )
        .await;
    assert_eq!(r.status, 303);
    // The owner stays, though its box is not sent (it is disabled).
    let orgs = app
        .store()
        .project_organisations(w.project)
        .await
        .expect("orgs");
    assert!(orgs.contains(&w.city) && orgs.contains(&w.company_a) && orgs.contains(&w.company_b));
    assert_eq!(b.get(&format!("/projects/{}", w.project)).await.status, 200);
    // And the change is audited.
    let audit = app
        .store()
        .audit(AuditFilter {
            entity: Some("project".into()),
            entity_id: Some(w.project.to_string()),
            limit: None,
        })
        .await
        .expect("audit");
    assert_eq!(audit[0].action, "project.organisations");
}

async fn create_project_from_form_and_from_file(app: &TestApp) {
    world(app).await;
    let mut c = app.logged_in(PROVIDER_A).await;
    c.get("/projects/new").await;
    let r = c
        .post(
            "/projects",
            &[
                ("id", "yame-bus"),
                ("name_ja", "八女市 デマンドバス"),
                ("name_en", "Yame demand bus"),
                ("municipality", "八女市"),
                ("code", "402109"),
                ("category", "problem-solving"),
                ("site", "brownfield"),
                ("first", "令和7年度"),
                ("last", "2034"),
                ("discount_rate", "4%"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get(r.location()).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("八女市 デマンドバス"));
    assert!(
        page.body.contains("令和7年度–令和16年度"),
        "horizon in 和暦"
    );
    assert!(
        page.body.contains("◎"),
        "the creator's organisation is the representative"
    );

    // A bad form: nothing saved, the problem named by its field.
    let before = app.store().projects().await.expect("projects").len();
    c.get("/projects/new").await;
    let r = c
        .post(
            "/projects",
            &[
                ("id", "bad-code"),
                ("name_ja", "x"),
                ("municipality", "x"),
                ("code", "99999"),
                ("category", "problem-solving"),
                ("site", "brownfield"),
                ("first", "2025"),
                ("last", "2030"),
                ("discount_rate", "4%"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("全国地方公共団体コード"), "{}", r.body);
    assert_eq!(
        app.store().projects().await.expect("projects").len(),
        before
    );

    // A file.
    c.get("/projects/new").await;
    let r = c.upload("/projects/upload", "hino.toml", HINO).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = c.get(r.location()).await;
    assert!(page.body.contains("日野"), "the uploaded project is shown");
    // The same id again: refused.
    c.get("/projects/new").await;
    let r = c.upload("/projects/upload", "hino.toml", HINO).await;
    assert_eq!(r.status, 409);
    // A broken file: the field and the line, translated; nothing saved.
    let before = app.store().projects().await.expect("projects").len();
    let broken = HINO.replacen("[horizon]", "[horizon]\nfrist = 2025", 1);
    let line = broken
        .lines()
        .position(|l| l.starts_with("frist"))
        .expect("line")
        + 1;
    c.get("/projects/new").await;
    let r = c.upload("/projects/upload", "broken.toml", &broken).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(&format!("{line}行目")) || r.body.contains(&format!("line {line}")),
        "{}",
        r.body
    );
    assert!(r.body.contains("frist"), "{}", r.body);
    assert!(r.body.contains("何も保存されていません"));
    assert_eq!(
        app.store().projects().await.expect("projects").len(),
        before
    );
}

async fn project_page_shows_evaluation_application_and_charts(app: &TestApp) {
    let w = world(app).await;
    let mut c = app.logged_in(OFFICER).await;
    let r = c.get(&format!("/projects/{}", w.project)).await;
    assert_eq!(r.status, 200);
    let b = &r.body;
    // Fiscal years and yen as the domain formats them.
    assert!(b.contains("令和7年度"));
    assert!(b.contains("単位：千円"));
    assert!(b.contains("¥"));
    // The funding cliff of the example (its header says FY2034).
    assert!(
        b.contains("令和16年度に累積キャッシュがマイナスに転じます"),
        "cliff verdict"
    );
    assert!(b.contains("class=\"cliff-row\""));
    // The MLIT template fields and the consortium marks.
    for label in [
        "都市・まちづくりのビジョン",
        "キーコンセプト",
        "費用負担の考え方",
        "本格導入後の効果検証",
        "事業実施体制",
    ] {
        assert!(b.contains(label), "{label}");
    }
    assert!(b.contains("◎") && b.contains("○"));
    // Three charts drawn from the API's JSON, with local scripts only.
    assert!(b.contains(&format!(
        "data-evaluation=\"/api/v1/projects/{}/evaluation?version=1\"",
        w.project
    )));
    for id in ["chart-funding", "chart-operations", "chart-cash"] {
        assert!(b.contains(id), "{id}");
    }
    assert!(!b.contains("src=\"http"), "no script from another host");
    assert!(
        !b.contains("href=\"http"),
        "no stylesheet or link to another host"
    );
    let e = c
        .api(
            Method::GET,
            &format!("/api/v1/projects/{}/evaluation?version=1", w.project),
            None,
        )
        .await;
    assert_eq!(e.status, 200);
    let j = e.json();
    assert_eq!(j["cliff"]["cliff_year"], "FY2034");
    assert_eq!(j["statement"].as_array().map(Vec::len), Some(15));
    assert!(j["funding"].as_array().is_some_and(|f| !f.is_empty()));
    // The vendored libraries are served, with their licences.
    for path in [
        "/static/vendor/chart.js/chart.umd.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/chart.js/LICENSE.md",
        "/static/vendor/htmx/LICENSE",
        "/static/app.js",
        "/static/app.css",
    ] {
        assert_eq!(c.get(path).await.status, 200, "{path}");
    }
    // English.
    c.post("/lang", &[("lang", "en"), ("next", "/dashboard")])
        .await;
    let r = c.get(&format!("/projects/{}", w.project)).await;
    assert!(r.body.contains("FY2025"));
    assert!(r.body.contains("Key concept"));
    // A TOML download that reads back to the same project.
    let d = c
        .get(&format!("/projects/{}/download.toml", w.project))
        .await;
    assert_eq!(d.status, 200);
    assert_eq!(
        Project::from_toml_str(&d.body).expect("downloaded TOML reads back"),
        Project::from_toml_str(KURUME).expect("example")
    );
}

async fn edit_versions_compare_and_restore(app: &TestApp) {
    let w = world(app).await;
    let p = w.project;
    let mut c = app.logged_in(PROVIDER_A).await;
    let page = c.get(&format!("/projects/{p}/edit")).await;
    assert_eq!(page.status, 200);
    let mut f = form_fields(&page.body, &format!("/projects/{p}/edit"));
    assert!(f.iter().any(|(k, v)| k == "base_version" && v == "1"));
    set(&mut f, "app.key_concept.ja", "3時間先の水位で避難を早める");
    set(&mut f, "note", "キーコンセプトを更新");
    let r = c.post_pairs(&format!("/projects/{p}/edit"), &f).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let v2 = app
        .store()
        .latest_version(p)
        .await
        .expect("store")
        .expect("v2");
    assert_eq!(v2.meta.version, 2);
    assert_eq!(v2.meta.note, "キーコンセプトを更新");
    assert_eq!(
        v2.document
            .application
            .key_concept
            .as_ref()
            .map(|t| t.ja.as_str()),
        Some("3時間先の水位で避難を早める")
    );
    // Everything else is as it was.
    let v1 = app.store().version(p, 1).await.expect("store").expect("v1");
    let mut expected = v1.document.clone();
    expected.application.key_concept = v2.document.application.key_concept.clone();
    assert_eq!(v2.document, expected);

    // An invalid edit: 422, the form keeps the input, nothing saved.
    let page = c.get(&format!("/projects/{p}/edit")).await;
    let mut f = form_fields(&page.body, &format!("/projects/{p}/edit"));
    set(&mut f, "m.1.role", "representative");
    set(&mut f, "app.vision.ja", "入力は残る");
    let r = c.post_pairs(&format!("/projects/{p}/edit"), &f).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("入力は残る"));
    assert!(r.body.contains("members"), "{}", r.body);
    assert_eq!(
        app.store()
            .latest_version(p)
            .await
            .expect("store")
            .map(|v| v.meta.version),
        Some(2)
    );

    // Versions and their comparison.
    let r = c.get(&format!("/projects/{p}/versions")).await;
    assert!(r.body.contains("キーコンセプトを更新"));
    let r = c.get(&format!("/projects/{p}/compare?a=1&b=2")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("3時間先の水位で避難を早める"));
    assert!(r.body.contains("主要指標の変化"));
    assert!(r.body.contains("正味現在価値"));

    // Restore version 1: a new version 3 equal to version 1.
    let r = c
        .post(
            &format!("/projects/{p}/versions/1/restore"),
            &[("base_version", "2")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let v3 = app
        .store()
        .latest_version(p)
        .await
        .expect("store")
        .expect("v3");
    assert_eq!(v3.meta.version, 3);
    assert_eq!(v3.meta.note, "第1版を復元");
    assert_eq!(v3.document, v1.document);
    assert_eq!(app.store().versions(p).await.expect("versions").len(), 3);
    // An old version is shown read-only, with the way back.
    let r = c.get(&format!("/projects/{p}?version=2")).await;
    assert!(r.body.contains("過去の版"));
    // A stale restore (based on 2 while 3 is latest) is refused.
    let r = c
        .post(
            &format!("/projects/{p}/versions/2/restore"),
            &[("base_version", "2")],
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(app.store().versions(p).await.expect("versions").len(), 3);
}

async fn a_stale_form_save_gets_409_and_loses_nothing(app: &TestApp) {
    let w = world(app).await;
    let p = w.project;
    let path = format!("/projects/{p}/edit");
    let mut alice = app.logged_in(OFFICER).await;
    let mut bob = app.logged_in(PROVIDER_A).await;
    let alice_page = alice.get(&path).await;
    let bob_page = bob.get(&path).await;
    let mut fa = form_fields(&alice_page.body, &path);
    let mut fb = form_fields(&bob_page.body, &path);
    set(&mut fa, "app.vision.ja", "アリスのビジョン");
    set(&mut fa, "app.story.ja", "アリスのストーリー");
    set(&mut fb, "app.vision.ja", "ボブのビジョン");
    set(&mut fb, "app.cost_burden.ja", "ボブの費用負担");
    assert_eq!(alice.post_pairs(&path, &fa).await.status, 303);
    // Bob's form was based on version 1.
    let r = bob.post_pairs(&path, &fb).await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("data-code=\"conflict\""));
    // Both versions side by side.
    assert!(r.body.contains("アリスのビジョン"), "theirs");
    assert!(r.body.contains("ボブのビジョン"), "yours");
    // Nothing overwritten.
    let latest = app
        .store()
        .latest_version(p)
        .await
        .expect("store")
        .expect("latest");
    assert_eq!(latest.meta.version, 2);
    let vision = |d: &Project| d.application.vision.as_ref().map(|t| t.ja.clone());
    assert_eq!(
        vision(&latest.document).as_deref(),
        Some("アリスのビジョン")
    );
    // The merged form is based on version 2 and keeps Alice's story.
    let merged = form_fields(&r.body, &path);
    assert!(merged.iter().any(|(k, v)| k == "base_version" && v == "2"));
    assert!(
        merged
            .iter()
            .any(|(k, v)| k == "app.story.ja" && v == "アリスのストーリー")
    );
    assert!(
        merged
            .iter()
            .any(|(k, v)| k == "app.cost_burden.ja" && v == "ボブの費用負担")
    );
    let r = bob.post_pairs(&path, &merged).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let v3 = app
        .store()
        .latest_version(p)
        .await
        .expect("store")
        .expect("v3");
    assert_eq!(v3.meta.version, 3);
    assert_eq!(
        v3.document
            .application
            .story
            .as_ref()
            .map(|t| t.ja.as_str()),
        Some("アリスのストーリー")
    );
    assert_eq!(
        v3.document
            .application
            .cost_burden
            .as_ref()
            .map(|t| t.ja.as_str()),
        Some("ボブの費用負担")
    );
    assert_eq!(vision(&v3.document).as_deref(), Some("ボブのビジョン"));
}

async fn a_stale_api_save_gets_409_json(app: &TestApp) {
    let w = world(app).await;
    let p = w.project;
    let mut a = app.client();
    let mut b = app.client();
    a.api_login(OFFICER, PASSWORD).await;
    b.api_login(PROVIDER_A, PASSWORD).await;
    let got = a
        .api(Method::GET, &format!("/api/v1/projects/{p}"), None)
        .await;
    assert_eq!(got.status, 200);
    let mut doc = got.json()["document"].clone();
    assert_eq!(got.json()["version"]["version"], 1);
    doc["project"]["name"]["ja"] = "Aの名前".into();
    let r = a
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{p}"),
            Some(json!({"base_version": 1, "document": doc, "note": "A"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["version"]["version"], 2);
    let mut doc_b = got.json()["document"].clone();
    doc_b["project"]["name"]["ja"] = "Bの名前".into();
    b.accept_language = Some("en".into());
    let r = b
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{p}"),
            Some(json!({"base_version": 1, "document": doc_b})),
        )
        .await;
    assert_eq!(r.status, 409);
    let e = r.json();
    assert_eq!(e["error"]["code"], "conflict");
    assert_eq!(e["error"]["current_version"], 2);
    assert_eq!(
        e["error"]["message"],
        "You edited version 1, but version 2 has been saved since. Nothing was overwritten."
    );
    let latest = app
        .store()
        .latest_version(p)
        .await
        .expect("store")
        .expect("latest");
    assert_eq!(latest.document.project.name.ja, "Aの名前");
    // Versions through the API, newest first.
    let r = b
        .api(Method::GET, &format!("/api/v1/projects/{p}/versions"), None)
        .await;
    let versions: Vec<i64> = r.json()["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(versions, vec![2, 1]);
    // And version 1 is still there to read.
    let r = b
        .api(
            Method::GET,
            &format!("/api/v1/projects/{p}?version=1"),
            None,
        )
        .await;
    assert_ne!(r.json()["document"]["project"]["name"]["ja"], "Aの名前");
}

async fn api_creates_and_reports_errors_with_stable_codes(app: &TestApp) {
    world(app).await;
    let mut c = app.client();
    c.api_login(PROVIDER_B, PASSWORD).await;
    let doc: Value =
        serde_json::to_value(Project::from_toml_str(HINO).expect("doc")).expect("json");
    let r = c
        .api(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"document": doc})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["project"]["id"].as_i64().expect("id");
    assert_eq!(r.header("location"), format!("/api/v1/projects/{id}"));
    assert_eq!(r.json()["version"]["version"], 1);
    // The same id again.
    let r = c
        .api(
            Method::POST,
            "/api/v1/projects?lang=en",
            Some(json!({"document": doc})),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"]["code"], "duplicate");
    // An invalid document: every problem with field and message…
    let mut bad = doc.clone();
    bad["members"][0]["role"] = "member".into();
    let r = c
        .api(
            Method::POST,
            "/api/v1/projects",
            Some(json!({"document": bad})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let e = r.json();
    assert_eq!(e["error"]["code"], "invalid-project");
    assert_eq!(e["error"]["problems"][0]["code"], "representative-count");
    assert_eq!(e["error"]["problems"][0]["path"], "members");
    // …and the line, counted from the start of `document`.
    let mut misspelt = doc.clone();
    misspelt["horizon"]["frist"] = 2025.into();
    let pretty = serde_json::to_string_pretty(&misspelt).expect("json");
    let line = pretty
        .lines()
        .position(|l| l.contains("\"frist\""))
        .expect("line")
        + 1;
    let body = format!("{{\"document\": {pretty}}}");
    let token = c.csrf.clone().unwrap_or_default();
    let r = c
        .send(
            Method::POST,
            "/api/v1/projects?lang=en",
            Some("application/json"),
            body.into_bytes(),
            &[("x-csrf-token", token)],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let p = &r.json()["error"]["problems"][0];
    assert_eq!(p["code"], "unknown-field");
    assert_eq!(p["line"], line, "{p}");
    assert!(
        p["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("line {line}")) && m.contains("frist")),
        "{p}"
    );
    // Malformed JSON.
    let r = c
        .send(
            Method::POST,
            "/api/v1/projects",
            Some("application/json"),
            b"{".to_vec(),
            &[("x-csrf-token", c.csrf.clone().unwrap_or_default())],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid-request");
    // Not found, in both languages.
    let r = c
        .api(Method::GET, "/api/v1/projects/999999?lang=en", None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"]["message"],
        "The page, project or version does not exist (or you may not see it)."
    );
    c.accept_language = Some("ja".into());
    let r = c.api(Method::GET, "/api/v1/projects/999999", None).await;
    assert_eq!(r.header("content-language"), "ja");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("見つかりません"))
    );
    // A non-numeric id is a bad request, rendered the same way.
    let r = c.api(Method::GET, "/api/v1/projects/abc", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid-request");
    // Changing project.id through a save is refused.
    let mut renamed = doc.clone();
    renamed["project"]["id"] = "other-id".into();
    let r = c
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{id}"),
            Some(json!({"base_version": 1, "document": renamed})),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "id-changed");
    // Snapshots of the shapes (times and ids redacted).
    let list = c.api(Method::GET, "/api/v1/projects", None).await.json();
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("api_project_list", list, {
            ".projects[].updated_at" => "[time]",
            ".projects[].id" => "[id]",
            ".projects[].owner" => "[id]",
            ".projects[].updated_by" => "[id]",
        });
        insta::assert_json_snapshot!("api_error_invalid_project", e);
    });
    // A page that does not exist is a translated page too.
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("data-code=\"not-found\""));
}

async fn audit_log_shows_who_when_what_before_after(app: &TestApp) {
    let w = world(app).await;
    let p = w.project;
    let mut c = app.client();
    c.api_login(OFFICER, PASSWORD).await;
    let got = c
        .api(Method::GET, &format!("/api/v1/projects/{p}"), None)
        .await;
    let mut doc = got.json()["document"].clone();
    doc["project"]["name"]["ja"] = "監査される名前".into();
    let r = c
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{p}"),
            Some(json!({"base_version": 1, "document": doc})),
        )
        .await;
    assert_eq!(r.status, 200);
    let mut admin = app.logged_in(ADMIN).await;
    let r = admin
        .get(&format!("/admin/audit?entity=project&id={p}"))
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("data-action=\"project.save\""));
    assert!(r.body.contains("新しい版の保存"));
    assert!(r.body.contains("project.name.ja"), "the field changed");
    assert!(r.body.contains("監査される名前"), "after");
    assert!(r.body.contains("久留米市 AI水位予測"), "before");
    assert!(r.body.contains("officer"), "who");
    assert!(r.body.contains("JST"), "when");
    let mut officer = app.logged_in(OFFICER).await;
    assert_eq!(officer.get("/admin/audit").await.status, 403);
}

async fn language_switch_persists_on_the_user(app: &TestApp) {
    world(app).await;
    let mut c = app.logged_in(OFFICER).await;
    let r = c.get("/dashboard").await;
    assert!(r.body.contains("プロジェクト一覧"));
    let r = c
        .post("/lang", &[("lang", "en"), ("next", "/dashboard")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/dashboard");
    let user = app
        .store()
        .user_by_email(OFFICER)
        .await
        .expect("store")
        .expect("user");
    assert_eq!(user.lang, "en");
    // A new browser: after log-in the page is in English.
    let mut other = app.logged_in(OFFICER).await;
    let r = other.get("/dashboard").await;
    assert!(r.body.contains("<html lang=\"en\">"));
    assert!(r.body.contains("Projects"));
    // The API follows the user's setting too, unless told otherwise.
    let mut api = app.client();
    api.api_login(OFFICER, PASSWORD).await;
    let r = api.api(Method::GET, "/api/v1/projects/424242", None).await;
    assert_eq!(r.header("content-language"), "en");
    let r = api
        .api(Method::GET, "/api/v1/projects/424242?lang=ja", None)
        .await;
    assert_eq!(r.header("content-language"), "ja");
    // The switch is audited.
    let audit = app
        .store()
        .audit(AuditFilter {
            entity: Some("user".into()),
            entity_id: Some(user.id.to_string()),
            limit: None,
        })
        .await
        .expect("audit");
    assert!(audit.iter().any(|e| e.action == "user.lang"));
    // A redirect elsewhere is refused.
    let r = c
        .post("/lang", &[("lang", "ja"), ("next", "//evil.example/")])
        .await;
    assert_eq!(r.location(), "/dashboard");
}

async fn admin_creates_a_user_who_can_log_in(app: &TestApp) {
    let w = world(app).await;
    let mut admin = app.logged_in(ADMIN).await;
    admin.get("/admin/users").await;
    let org = w.company_b.to_string();
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "New@B.example"),
                ("name", "新人"),
                ("organisation", &org),
                ("role", "provider"),
                ("lang", "en"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let i = r
        .body
        .find("class=\"secret\">")
        .expect("generated password shown once");
    let rest = &r.body[i + "class=\"secret\">".len()..];
    let password = rest[..rest.find('<').expect("end")].to_owned();
    assert_eq!(password.chars().count(), 16);
    let mut newbie = app.client();
    assert_eq!(newbie.login("new@b.example", &password).await.status, 303);
    let r = newbie.get("/dashboard").await;
    assert!(r.body.contains("<html lang=\"en\">"));
    // Duplicate e-mail.
    admin.get("/admin/users").await;
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "new@b.example"),
                ("name", "x"),
                ("organisation", &org),
                ("role", "provider"),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status, 409);
    assert!(
        r.body
            .contains("このメールアドレスはすでに登録されています")
    );
    // Too short a password.
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "short@b.example"),
                ("name", "x"),
                ("organisation", &org),
                ("role", "provider"),
                ("password", "short"),
            ],
        )
        .await;
    // Well-formed but not acceptable: 422, as every refused value.
    assert_eq!(r.status, 422);
    // A provider may not.
    let mut p = app.logged_in(PROVIDER_A).await;
    p.get("/dashboard").await;
    let r = p
        .post(
            "/admin/users",
            &[
                ("email", "x@x.example"),
                ("name", "x"),
                ("organisation", &org),
                ("role", "admin"),
                ("password", "long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        app.store()
            .user_by_email("x@x.example")
            .await
            .expect("store")
            .is_none()
    );
}

async fn demo_data_loads_once_and_respects_consortia(app: &TestApp) {
    let files: Vec<(String, String)> = machi_web::demo::EMBEDDED_EXAMPLES
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    let report = machi_web::demo::load(&app.state, &files)
        .await
        .expect("demo");
    assert!(!report.already_loaded);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.projects.len(), files.len());
    assert_eq!(report.accounts.len(), 8);
    let again = machi_web::demo::load(&app.state, &files)
        .await
        .expect("demo");
    assert!(again.already_loaded);
    assert_eq!(
        app.store().projects().await.expect("projects").len(),
        files.len()
    );
    // Every demo account logs in with the printed password.
    for a in &report.accounts {
        let mut c = app.client();
        assert_eq!(
            c.login(a.email, machi_web::demo::DEMO_PASSWORD)
                .await
                .status,
            303,
            "{}",
            a.email
        );
    }
    // A company sees its own draft and the shared project, not the other
    // company's draft.
    let mut c = app.client();
    c.api_login("provider@sensing.example", machi_web::demo::DEMO_PASSWORD)
        .await;
    let list = c.api(Method::GET, "/api/v1/projects", None).await.json();
    let slugs: Vec<&str> = list["projects"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["slug"].as_str())
        .collect();
    assert!(
        slugs.contains(&"kurume-flood-ai") && slugs.contains(&"hino-mimamori"),
        "{slugs:?}"
    );
    assert!(!slugs.contains(&"sano-urban-os"), "{slugs:?}");
    // The shared project has two versions to compare from the start.
    let kurume = list["projects"]
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["slug"] == "kurume-flood-ai")
        .expect("kurume");
    assert_eq!(kurume["version"], 2);
}

/// Every page action and its API twin answer every role alike: both let the
/// user through (whatever the empty request then earns: 200, 400, 422), or
/// both refuse with the same 403 or 404. Session routes (log-in, log-out,
/// language) are left out: they change the client's own session.
async fn page_and_api_twins_share_permissions(app: &TestApp) {
    let w = world(app).await;
    let p = w.project.0.to_string();
    let fill = |path: &str| path.replace("{id}", &p).replace("{version}", "1");
    let denied = |status: u16| matches!(status, 401 | 403 | 404).then_some(status);
    let mut checked = 0;
    for user in [OFFICER, PROVIDER_B, SECRETARIAT, REVIEWER, ADMIN] {
        let mut page = app.logged_in(user).await;
        let mut api = app.client();
        assert_eq!(api.api_login(user, PASSWORD).await.status, 200);
        for a in machi_web::page_actions() {
            let machi_web::Twin::Api(op) = a.twin else {
                continue;
            };
            let (method, api_path) = op.split_once(' ').expect("METHOD /path");
            if api_path.starts_with("/api/v1/session") {
                continue;
            }
            let page_status = match a.method {
                "GET" => page.get(&fill(a.path)).await.status,
                _ => page.post(&fill(a.path), &[]).await.status,
            };
            let method: Method = method.parse().expect("method");
            let body = (method != Method::GET).then(|| json!({}));
            let api_status = api.api(method, &fill(api_path), body).await.status;
            assert_eq!(
                denied(page_status),
                denied(api_status),
                "{user}: page {} {} answered {page_status}, API {op} answered {api_status}",
                a.method,
                a.path
            );
            checked += 1;
        }
    }
    assert!(checked > 80, "checked {checked} pairs");
}

/// Log-in CSRF through the API (issue 15 item 7): a cross-site form can post
/// `text/plain`, never `application/json`; and a write naming another site
/// in `Origin` is refused. Nothing is stored, no cookie set.
async fn api_writes_are_json_and_from_this_site(app: &TestApp) {
    let w = world(app).await;
    let body = json!({"email": OFFICER, "password": PASSWORD}).to_string();
    let mut c = app.client();
    let r = c
        .send(
            Method::POST,
            "/api/v1/session?lang=en",
            Some("text/plain"),
            body.clone().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(r.status, 415, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "unsupported-media-type");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("application/json"))
    );
    assert!(
        r.set_cookies()
            .iter()
            .all(|c| !c.starts_with("machi_session="))
    );
    // The same body as JSON but from another site's page.
    let evil = [("origin", "https://evil.example".to_owned())];
    let r = c
        .send(
            Method::POST,
            "/api/v1/session",
            Some("application/json"),
            body.clone().into_bytes(),
            &evil,
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        r.set_cookies()
            .iter()
            .all(|c| !c.starts_with("machi_session="))
    );
    // A page form from another site, even with the right token.
    let mut page = app.logged_in(OFFICER).await;
    // A page of the session gives its token.
    assert_eq!(
        page.get(&format!("/projects/{}", w.project)).await.status,
        200
    );
    let token = page.csrf.clone().unwrap_or_default();
    let path = format!("/projects/{}/organisations", w.project);
    let company_b = w.company_b.to_string();
    let form = serde_urlencoded::to_string([("org", company_b.as_str()), ("csrf", token.as_str())])
        .expect("form");
    let r = page
        .send(
            Method::POST,
            &path,
            Some("application/x-www-form-urlencoded"),
            form.clone().into_bytes(),
            &evil,
        )
        .await;
    assert_eq!(r.status, 403);
    let orgs = app
        .store()
        .project_organisations(w.project)
        .await
        .expect("orgs");
    assert!(!orgs.contains(&w.company_b));
    // From this site it goes through.
    let own = [("origin", format!("http://{}", page.addr))];
    let r = page
        .send(
            Method::POST,
            &path,
            Some("application/x-www-form-urlencoded"),
            form.into_bytes(),
            &own,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // And the JSON log-in from no site at all (a script) works.
    let r = c
        .send(
            Method::POST,
            "/api/v1/session",
            Some("application/json; charset=utf-8"),
            body.into_bytes(),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Over-size bodies are 413 with the limit named in the user's language
/// (issue 15 item 9), and nothing behind a log-in may be cached.
async fn oversize_is_413_and_logged_in_answers_are_not_cached(app: &TestApp) {
    let w = world(app).await;
    let mut c = app.client();
    assert_eq!(c.api_login(OFFICER, PASSWORD).await.status, 200);
    let big = json!({"base_version": 1, "document": {"x": "a".repeat(6 * 1024 * 1024)}});
    let r = c
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{}?lang=en", w.project),
            Some(big),
        )
        .await;
    assert_eq!(r.status, 413, "{}", &r.body[..r.body.len().min(300)]);
    assert_eq!(r.json()["error"]["code"], "payload-too-large");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("5 MB")),
        "{}",
        r.body
    );
    let (v, _, _) = app.latest(w.project).await;
    assert_eq!(v, 1, "nothing saved");
    // The import page: the same, in Japanese, as a page.
    let mut page = app.logged_in(OFFICER).await;
    let r = page
        .import(
            &format!("/projects/{}/import", w.project),
            1,
            "big.csv",
            &vec![b'a'; 6 * 1024 * 1024],
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(
        r.body.contains("data-code=\"payload-too-large\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("5 MB"), "{}", r.body);
    // Behind a log-in: no-store, pages and API alike; the log-in page is public.
    for path in [format!("/projects/{}", w.project), "/dashboard".to_owned()] {
        assert_eq!(
            page.get(&path).await.header("cache-control"),
            "no-store",
            "{path}"
        );
    }
    let r = c
        .api(
            Method::GET,
            &format!("/api/v1/projects/{}", w.project),
            None,
        )
        .await;
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(app.client().get("/login").await.header("cache-control"), "");
}

/// Throttling holds under concurrency (issue 15 item 6): 150 simultaneous
/// wrong passwords for one account are checked at most 5 times; 30
/// accounts tried from one address are slowed after 20 failures, with
/// `Retry-After`.
async fn login_throttling_holds_under_concurrency(app: &TestApp) {
    world(app).await;
    let attempt = |email: &'static str| {
        let mut c = app.client();
        tokio::spawn(async move {
            let body = json!({"email": email, "password": "wrong password!"});
            let r = c.api(Method::POST, "/api/v1/session", Some(body)).await;
            (r.status, r.header("retry-after").to_owned())
        })
    };
    let tasks: Vec<_> = (0..150).map(|_| attempt(OFFICER)).collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("joined"));
    }
    let checked = statuses.iter().filter(|(s, _)| *s == 401).count();
    let refused = statuses
        .iter()
        .filter(|(s, r)| *s == 429 && r == "900")
        .count();
    assert_eq!((checked, refused), (5, 145), "{statuses:?}");
}

/// Many accounts from one address: the per-client limit.
async fn login_throttling_limits_one_client_across_accounts(app: &TestApp) {
    world(app).await;
    let mut c = app.client();
    let mut statuses = Vec::new();
    for i in 0..30 {
        let email = format!("someone{i}@city.example");
        let body = json!({"email": email, "password": "wrong password!"});
        let r = c.api(Method::POST, "/api/v1/session", Some(body)).await;
        statuses.push((r.status, r.header("retry-after").to_owned()));
    }
    assert!(
        statuses[..20].iter().all(|(s, _)| *s == 401),
        "{statuses:?}"
    );
    assert!(
        statuses[20..].iter().all(|(s, r)| *s == 429 && r == "900"),
        "{statuses:?}"
    );
    // Even the right password waits now, from this address.
    let r = c
        .api(
            Method::POST,
            "/api/v1/session",
            Some(json!({"email": OFFICER, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 429);
}

/// A project the engine cannot evaluate is refused when saved (issue 15
/// item 3): growth of 100 % a year from ¥1,000 over FY2025–FY2124 first
/// exceeds ¥10兆 in FY2059. Nothing is saved, and every page still opens.
async fn a_save_that_could_not_be_opened_is_refused(app: &TestApp) {
    let w = world(app).await;
    let mut c = app.client();
    c.api_login(OFFICER, PASSWORD).await;
    let mut doc = serde_json::to_value(Project::from_toml_str(KURUME).expect("doc")).expect("json");
    doc["horizon"] = json!({"first": "FY2025", "last": "FY2124"});
    doc["line_items"][0]["amounts"] = json!({});
    doc["line_items"][0]["generator"] = json!({"type": "growth", "amount": 1000, "rate": "100%"});
    let r = c
        .api(
            Method::PUT,
            &format!("/api/v1/projects/{}?lang=en", w.project),
            Some(json!({"base_version": 1, "document": doc})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let problems = r.json()["error"]["problems"].clone();
    let p = problems
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == "generated-amount-range"))
        .cloned()
        .unwrap_or_else(|| panic!("{problems}"));
    assert_eq!(p["path"], "line_items[0].generator");
    assert!(
        p["message"].as_str().is_some_and(|m| m.contains("2059")),
        "{p}"
    );
    let (v, _, _) = app.latest(w.project).await;
    assert_eq!(v, 1, "nothing saved");
    let mut page = app.logged_in(OFFICER).await;
    for path in ["", "/model", "/export.xlsx", "/export.csv", "/versions"] {
        let r = page.get(&format!("/projects/{}{path}", w.project)).await;
        assert_eq!(r.status, 200, "{path}");
    }
}

/// Text that used to break one backend or an export (issue 15 item 8): a
/// NUL in a name (500 on PostgreSQL before) and a 350,000-character name
/// (accepted, then the XLSX export failed) are refused with a translated
/// 422 naming the field; a note with a NUL too. Nothing is saved.
async fn control_characters_and_overlong_text_are_refused(app: &TestApp) {
    let w = world(app).await;
    let mut c = app.client();
    c.api_login(OFFICER, PASSWORD).await;
    let base = serde_json::to_value(Project::from_toml_str(KURUME).expect("doc")).expect("json");
    let put = |doc: Value, note: &str| json!({"base_version": 1, "document": doc, "note": note});
    let path = format!("/api/v1/projects/{}?lang=en", w.project);
    let mut nul = base.clone();
    nul["project"]["name"]["ja"] = json!("久留米\u{0}市");
    let r = c.api(Method::PUT, &path, Some(put(nul, "x"))).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.json()["error"]["problems"][0]["code"],
        "control-character"
    );
    assert_eq!(r.json()["error"]["problems"][0]["path"], "project.name.ja");
    assert!(
        r.json()["error"]["problems"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("U+0000")),
        "{}",
        r.body
    );
    let mut long = base.clone();
    long["project"]["name"]["ja"] = json!("あ".repeat(350_000));
    let r = c.api(Method::PUT, &path, Some(put(long, "x"))).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["problems"][0]["code"], "text-too-long");
    let r = c
        .api(Method::PUT, &path, Some(put(base.clone(), "note\u{0}")))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["code"], "invalid-field");
    let (v, _, _) = app.latest(w.project).await;
    assert_eq!(v, 1, "nothing saved");
    // Line breaks from a textarea (CR LF) are stored as line feeds.
    let mut page = app.logged_in(OFFICER).await;
    let html = page
        .get(&format!("/projects/{}/edit", w.project))
        .await
        .body;
    let mut fields = form_fields(&html, &format!("/projects/{}/edit", w.project));
    set(&mut fields, "app.vision.ja", "一行目\r\n二行目");
    let r = page
        .post_pairs(&format!("/projects/{}/edit", w.project), &fields)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (_, doc, _) = app.latest(w.project).await;
    assert_eq!(
        doc.application.vision.map(|t| t.ja),
        Some("一行目\n二行目".to_owned())
    );
}

stories!(
    login_page_is_japanese_by_default_and_switches_to_english,
    login_success_sets_a_safe_cookie_and_stores_only_its_hash,
    login_failure_does_not_say_which_part_was_wrong,
    login_is_throttled_after_five_failures,
    csrf_tokens_are_required,
    logout_ends_the_session,
    permission_cells_through_http,
    consortium_organisations_grant_access,
    create_project_from_form_and_from_file,
    project_page_shows_evaluation_application_and_charts,
    edit_versions_compare_and_restore,
    a_stale_form_save_gets_409_and_loses_nothing,
    a_stale_api_save_gets_409_json,
    api_creates_and_reports_errors_with_stable_codes,
    audit_log_shows_who_when_what_before_after,
    language_switch_persists_on_the_user,
    admin_creates_a_user_who_can_log_in,
    demo_data_loads_once_and_respects_consortia,
    page_and_api_twins_share_permissions,
    api_writes_are_json_and_from_this_site,
    oversize_is_413_and_logged_in_answers_are_not_cached,
    login_throttling_holds_under_concurrency,
    login_throttling_limits_one_client_across_accounts,
    a_save_that_could_not_be_opened_is_refused,
    control_characters_and_overlong_text_are_refused,
);

/// The OpenAPI document, snapshot-tested: a change to the API shows up in
/// review as a change to `snapshots/app__openapi.snap`.
#[test]
fn openapi_document() {
    let doc: Value = serde_json::from_str(&machi_web::api::openapi_json()).expect("JSON");
    assert_eq!(doc["info"]["title"], "machi API");
    for path in [
        "/api/v1/session",
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{id}/versions",
        "/api/v1/projects/{id}/evaluation",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

/// The OpenAPI document is what the server serves.
#[tokio::test]
async fn openapi_document_is_served() {
    let app = TestApp::sqlite().await;
    let mut c = app.client();
    let r = c.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::from_str::<Value>(&machi_web::api::openapi_json()).expect("JSON")
    );
}
