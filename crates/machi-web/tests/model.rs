//! The model editor and the Excel/CSV round trip, end to end: the real
//! router on port 0 over a fresh database (SQLite always, PostgreSQL when
//! `MACHI_TEST_DATABASE_URL` is set), driven by a small HTTP client with a
//! cookie jar — the same set-up as `tests/app.rs`, kept to what these
//! stories need.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use machi_domain::{Project, Yen, YenUnit};
use machi_store::{
    AuditFilter, NewOrganisation, NewUser, OrgId, OrgKind, PostgresStore, ProjectKey, Role,
    SqliteStore, Store, User,
};
use machi_web::auth::PasswordCost;
use machi_web::{AppConfig, AppState};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

const PASSWORD: &str = "correct horse battery";
const KURUME: &str = include_str!("../../../examples/kurume-flood-ai.toml");
const KASHIWANOHA: &str = include_str!("../../../examples/kashiwanoha-area-services.toml");

// ---------------------------------------------------------------------------
// The application under test.

struct TestApp {
    addr: SocketAddr,
    state: AppState,
    _db: DbPlace,
    server: tokio::task::JoinHandle<()>,
}

enum DbPlace {
    Sqlite(#[expect(dead_code, reason = "keeps the directory alive")] tempfile::TempDir),
    Postgres(#[expect(dead_code, reason = "drops the database at the end")] Box<PgDatabase>),
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    async fn start(store: Arc<dyn Store>, place: DbPlace) -> TestApp {
        let config = AppConfig {
            password_cost: PasswordCost::insecure_fast(),
            ..AppConfig::default()
        };
        let state = AppState::new(store, config).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("address");
        let s = state.clone();
        let server = tokio::spawn(async move {
            let _ = machi_web::serve(listener, s, std::future::pending()).await;
        });
        TestApp {
            addr,
            state,
            _db: place,
            server,
        }
    }

    async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("machi.db");
        let store = SqliteStore::open(path.to_str().expect("utf-8 path"))
            .await
            .expect("SQLite opens");
        TestApp::start(Arc::new(store), DbPlace::Sqlite(dir)).await
    }

    async fn postgres() -> Option<TestApp> {
        let url = std::env::var("MACHI_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty());
        let Some(url) = url else {
            eprintln!("MACHI_TEST_DATABASE_URL is not set: PostgreSQL run skipped");
            return None;
        };
        let db = PgDatabase::create(&url).await;
        let store = PostgresStore::connect_with(db.options.clone())
            .await
            .expect("PostgreSQL store connects");
        Some(TestApp::start(Arc::new(store), DbPlace::Postgres(Box::new(db))).await)
    }

    fn store(&self) -> &dyn Store {
        self.state.store()
    }

    async fn org(&self, name: &str, kind: OrgKind) -> OrgId {
        self.store()
            .create_organisation(
                None,
                NewOrganisation {
                    name_ja: name.into(),
                    name_en: format!("{name} (en)"),
                    kind,
                    local_gov_code: None,
                },
            )
            .await
            .expect("organisation")
            .id
    }

    async fn user(&self, email: &str, role: Role, org: OrgId, lang: &str) -> User {
        let hash = PasswordCost::insecure_fast().hash(PASSWORD).expect("hash");
        self.store()
            .create_user(
                None,
                NewUser {
                    organisation: org,
                    email: email.into(),
                    display_name: email.split('@').next().unwrap_or(email).into(),
                    role,
                    lang: lang.into(),
                    password_hash: hash,
                },
            )
            .await
            .expect("user")
    }

    async fn logged_in(&self, email: &str) -> Client {
        let mut c = Client {
            addr: self.addr,
            cookies: BTreeMap::new(),
            csrf: None,
        };
        let page = c.get("/login").await;
        assert_eq!(page.status, 200);
        let r = c
            .post(
                "/login",
                &[
                    ("email".into(), email.into()),
                    ("password".into(), PASSWORD.into()),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "log-in of {email}: {}", r.text());
        c
    }

    async fn latest(&self, p: ProjectKey) -> (i64, Project, String) {
        let v = self
            .store()
            .latest_version(p)
            .await
            .expect("store")
            .expect("a version");
        (v.meta.version, v.document, v.meta.note)
    }
}

struct PgDatabase {
    admin: PgConnectOptions,
    name: String,
    options: PgConnectOptions,
}

impl PgDatabase {
    async fn create(url: &str) -> PgDatabase {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = PgConnectOptions::from_str(url).expect("a PostgreSQL URL");
        let name = format!(
            "machi_model_test_{}_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .expect("connect to the test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create a test database");
        let _ = conn.close().await;
        let options = admin.clone().database(&name);
        PgDatabase {
            admin,
            name,
            options,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

// ---------------------------------------------------------------------------
// A small HTTP client with cookies.

struct Resp {
    status: u16,
    headers: hyper::HeaderMap,
    bytes: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

struct Client {
    addr: SocketAddr,
    cookies: BTreeMap<String, String>,
    csrf: Option<String>,
}

fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[i + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Client {
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        if !self.cookies.is_empty() {
            let c = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header("cookie", c);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("request");
        let res = sender.send_request(req).await.expect("response");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        let resp = Resp {
            status,
            headers,
            bytes,
        };
        if resp.header("content-type").starts_with("text/") {
            let text = resp.text();
            assert!(
                !text.contains("⟦missing message⟧"),
                "a message key is missing from the catalogue on {path}: {text}"
            );
        }
        for sc in resp
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let first = sc.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if sc.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        if resp.header("content-type").starts_with("text/html")
            && let Some(t) = csrf_in(&resp.text())
        {
            self.csrf = Some(t);
        }
        resp
    }

    async fn get(&mut self, path: &str) -> Resp {
        self.send(Method::GET, path, None, Vec::new()).await
    }

    /// Posts a form, adding the CSRF token last seen.
    async fn post(&mut self, path: &str, pairs: &[(String, String)]) -> Resp {
        let mut all = pairs.to_vec();
        if !all.iter().any(|(k, _)| k == "csrf") {
            all.push(("csrf".into(), self.csrf.clone().unwrap_or_default()));
        }
        let body = serde_urlencoded::to_string(&all).expect("form");
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
    }

    /// Uploads a file with the import form's fields.
    async fn import(&mut self, path: &str, base: i64, file: &str, content: &[u8]) -> Resp {
        let boundary = "machi-model-boundary";
        let token = self.csrf.clone().unwrap_or_default();
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"base_version\"\r\n\r\n{base}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Method::POST,
            path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
        )
        .await
    }
}

/// The fields of the form whose action is `action`, as a browser sends them.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form {action}"));
    let end = start + html[start..].find("</form>").expect("form end");
    let form = &html[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let i = tag.find(&format!(" {name}=\""))?;
        let rest = &tag[i + name.len() + 3..];
        Some(unescape(&rest[..rest.find('"')?]))
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        match attr(tag, "name") {
            Some(name) if tag.starts_with("<input") => {
                let ty = attr(tag, "type").unwrap_or_default();
                let unchecked = ty == "checkbox" && !tag.contains(" checked");
                if !unchecked && ty != "file" {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
            Some(name) if tag.starts_with("<select") => {
                let body = &rest[tag_end..];
                let sel = &body[..body.find("</select>").expect("select end")];
                let chosen = sel
                    .split("<option")
                    .skip(1)
                    .find(|o| o.contains(" selected"))
                    .or_else(|| sel.split("<option").nth(1))
                    .and_then(|o| attr(o, "value"))
                    .unwrap_or_default();
                out.push((name, chosen));
            }
            _ => {}
        }
        rest = &rest[1..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("no field {name}"), |(_, v)| v.as_str())
}

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
    let html = page.text();
    assert!(html.contains("data-version=\"1\""));
    assert!(html.contains("hx-post=\"/projects/"), "the form previews");
    let mut f = form_fields(&html, &format!("/projects/{p}/model"));
    let (_, doc, _) = app.latest(p).await;
    let y = doc.horizon.first;
    // Line 0 has an explicit amount in the first year; type a new one as
    // people write it.
    let cell = format!("l.0.y.{y}");
    assert_eq!(get(&f, &cell), "15,000,000");
    set(&mut f, &cell, "1,600万円");
    let r = c.post(&format!("/projects/{p}/model/preview"), &f).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
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
    set(&mut f, &cell, "たくさん");
    let r = c.post(&format!("/projects/{p}/model/preview"), &f).await;
    assert_eq!(r.status, 200);
    let body = r.text();
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
    set(&mut f, &cell, "16,000,000");
    f.push(("op".into(), "add-line".into()));
    let r = c.post(&format!("/projects/{p}/model"), &f).await;
    assert_eq!(r.status, 200);
    let again = form_fields(&r.text(), &format!("/projects/{p}/model"));
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
    let mut f = form_fields(&page.text(), &format!("/projects/{p}/model"));
    let (_, doc, _) = app.latest(p).await;
    let n = doc.line_items.len();
    let last = doc.horizon.last;
    // A generated year typed over, a new line, a removed line.
    let g = doc
        .line_items
        .iter()
        .position(|l| l.generator.is_some())
        .expect("a generated line");
    set(&mut f, &format!("l.{g}.y.{last}"), "999,000");
    set(&mut f, &format!("l.{n}.name"), "広報費");
    set(&mut f, &format!("l.{n}.kind"), "opex");
    set(&mut f, &format!("l.{n}.category"), "other");
    set(&mut f, &format!("l.{n}.y.{}", doc.horizon.first), "50万円");
    set(&mut f, "l.0.remove", "1");
    f.push(("op".into(), "save".into()));
    let r = c.post(&format!("/projects/{p}/model"), &f).await;
    assert_eq!(r.status, 303, "{}", r.text());
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
    assert!(r.text().contains("第2版として保存しました"));
    assert!(r.text().contains("data-version=\"2\""));
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
    let mut fa = form_fields(&alice.get(&path).await.text(), &path);
    let mut fb = form_fields(&bob.get(&path).await.text(), &path);
    let (_, doc, _) = app.latest(p).await;
    let y = doc.horizon.first;
    set(&mut fa, &format!("l.0.y.{y}"), "16,000,000");
    set(&mut fb, &format!("l.1.y.{y}"), "7,000,000");
    fa.push(("op".into(), "save".into()));
    fb.push(("op".into(), "save".into()));
    assert_eq!(alice.post(&path, &fa).await.status, 303);
    let r = bob.post(&path, &fb).await;
    assert_eq!(r.status, 409);
    let body = r.text();
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
    let r = bob.post(&path, &merged).await;
    assert_eq!(r.status, 303, "{}", r.text());
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
            assert_eq!(r.status, 303, "{file}: {}", r.text());
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
        let csv = c.get(&format!("/projects/{p}/export.csv")).await.text();
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
        let body = r.text();
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
        assert!(r.text().contains(".xlsx"));
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
    assert!(r.text().contains("data-code=\"conflict\""));
    assert!(r.text().contains("name=\"base_version\" value=\"2\""));
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
            .post(
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
        .post(
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
    assert!(r.text().contains("data-code=\"csrf\""));
    assert_eq!(app.latest(p).await.0, 1);
    // The project page links the editor, the import and the exports.
    let mut c = app.logged_in(OFFICER).await;
    let page = c.get(&format!("/projects/{p}")).await.text();
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
    let page = c.get(&path).await.text();
    assert!(page.contains("Loans and bonds"));
    let mut f = form_fields(&page, &path);
    let (_, doc, _) = app.latest(p).await;
    let i = doc
        .funding
        .iter()
        .position(|s| s.kind.is_debt())
        .expect("loan");
    assert_eq!(get(&f, &format!("f.{i}.rate")), "1.8%");
    set(&mut f, &format!("f.{i}.rate"), "2.5%");
    set(&mut f, &format!("f.{i}.tenor"), "ten");
    let r = c.post(&format!("{path}/preview"), &f).await;
    assert!(
        r.text().contains("“ten” is not a number of years"),
        "{}",
        r.text()
    );
    set(&mut f, &format!("f.{i}.tenor"), "10");
    f.push(("op".into(), "save".into()));
    let r = c.post(&path, &f).await;
    assert_eq!(r.status, 303, "{}", r.text());
    let (_, saved, note) = app.latest(p).await;
    assert_eq!(note, "Edited the model by fiscal year");
    let terms = saved.funding[i].debt_terms().expect("terms");
    assert_eq!(terms.rate, "2.5%".parse().expect("rate"));
    assert_eq!(terms.tenor_years, 10);
}

macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::TestApp::sqlite().await;
                    crate::$name(&app).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = crate::TestApp::postgres().await else { return };
                    crate::$name(&app).await;
                }
            )*
        }
    };
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
