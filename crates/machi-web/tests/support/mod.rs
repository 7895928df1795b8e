//! The harness the web application's integration tests share: a [`TestApp`]
//! starts the real router on port 0 over a fresh database (a SQLite file in
//! a temporary directory, or a PostgreSQL database of its own, dropped at the
//! end), a small HTTP [`Client`] with a cookie jar logs users in and drives
//! pages and API, and [`stories!`] runs each story on SQLite and again on
//! PostgreSQL when `MACHI_TEST_DATABASE_URL` is set (an administration URL
//! such as `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! Each test file is a crate of its own that declares `mod support;` and uses
//! the part of the harness it needs.

// Each test binary compiles this module and uses only part of it; what one
// leaves unused another uses, so `#[expect]` per item would be unfulfilled in
// one binary or the other.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use machi_domain::Project;
use machi_store::{
    NewOrganisation, NewUser, OrgId, OrgKind, PostgresStore, ProjectKey, Role, SqliteStore, Store,
    User,
};
use machi_web::auth::PasswordCost;
use machi_web::{AppConfig, AppState};
use serde_json::{Value, json};
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// The password of every seeded user.
pub const PASSWORD: &str = "correct horse battery";

// ---------------------------------------------------------------------------
// The application under test.

/// The real application on `127.0.0.1:0` over a fresh database.
pub struct TestApp {
    addr: SocketAddr,
    pub state: AppState,
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

fn config() -> AppConfig {
    AppConfig {
        // Hashing at full cost in an unoptimised build takes seconds.
        password_cost: PasswordCost::insecure_fast(),
        ..AppConfig::default()
    }
}

impl TestApp {
    async fn start(store: Arc<dyn Store>, place: DbPlace) -> TestApp {
        let state = AppState::new(store, config()).expect("state");
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

    /// The application over a SQLite file in a temporary directory.
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("machi.db");
        let store = SqliteStore::open(path.to_str().expect("utf-8 path"))
            .await
            .expect("SQLite opens");
        TestApp::start(Arc::new(store), DbPlace::Sqlite(dir)).await
    }

    /// The application over a database of its own on the server named by
    /// `MACHI_TEST_DATABASE_URL`; `None` when that is not set.
    pub async fn postgres() -> Option<TestApp> {
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

    pub fn store(&self) -> &dyn Store {
        self.state.store()
    }

    /// A client with no cookies yet.
    pub fn client(&self) -> Client {
        Client {
            addr: self.addr,
            cookies: BTreeMap::new(),
            csrf: None,
            accept_language: None,
        }
    }

    pub async fn org(&self, name: &str, kind: OrgKind) -> OrgId {
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

    /// A user with [`PASSWORD`] whose language is `lang`.
    pub async fn user(&self, email: &str, role: Role, org: OrgId, lang: &str) -> User {
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

    /// A client logged in through the log-in form.
    pub async fn logged_in(&self, email: &str) -> Client {
        let mut c = self.client();
        let r = c.login(email, PASSWORD).await;
        assert_eq!(r.status, 303, "log-in of {email}: {}", r.body);
        c
    }

    /// The latest version of a project: its number, document and note.
    pub async fn latest(&self, p: ProjectKey) -> (i64, Project, String) {
        let v = self
            .store()
            .latest_version(p)
            .await
            .expect("store")
            .expect("a version");
        (v.meta.version, v.document, v.meta.note)
    }
}

/// A database created for one test on the PostgreSQL server, dropped after.
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
            "machi_web_{}_test_{}_{}_{}",
            env!("CARGO_CRATE_NAME"),
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

/// Runs each story — an `async fn(&TestApp)` at the test crate's root — on
/// SQLite and, when configured, on PostgreSQL.
macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::support::TestApp::sqlite().await;
                    crate::$name(&app).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = crate::support::TestApp::postgres().await else { return };
                    crate::$name(&app).await;
                }
            )*
        }
    };
}
pub(crate) use stories;

// ---------------------------------------------------------------------------
// A small HTTP client with cookies.

pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    /// The body as text (invalid UTF-8 replaced), what most stories read.
    pub body: String,
    /// The body exactly as sent, for downloads.
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn location(&self) -> &str {
        self.header("location")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

pub struct Client {
    pub addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
    /// The CSRF token last seen (hidden form field or API session).
    pub csrf: Option<String>,
    pub accept_language: Option<String>,
}

fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[i + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Client {
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        extra: &[(&str, String)],
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
        if let Some(l) = &self.accept_language {
            req = req.header("accept-language", l.as_str());
        }
        for (k, v) in extra {
            req = req.header(*k, v.as_str());
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
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        };
        // Every text comes from the catalogue: a missing key would show.
        assert!(
            !resp.body.contains("⟦missing message⟧"),
            "a message key is missing from the catalogue on {path}: {}",
            resp.body
        );
        for sc in resp.set_cookies() {
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
            && let Some(t) = csrf_in(&resp.body)
        {
            self.csrf = Some(t);
        }
        resp
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Method::GET, path, None, Vec::new(), &[]).await
    }

    /// Posts a form with the CSRF token last seen.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("csrf", &token));
        self.post_raw(path, &all).await
    }

    /// Posts a form as given (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
            &[],
        )
        .await
    }

    /// Posts a form with owned pairs (edit forms are built from pages),
    /// adding the CSRF token last seen unless the pairs carry one.
    pub async fn post_pairs(&mut self, path: &str, pairs: &[(String, String)]) -> Resp {
        let mut all: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
        let token = self.csrf.clone().unwrap_or_default();
        if !all.iter().any(|(k, _)| *k == "csrf") {
            all.push(("csrf", &token));
        }
        self.post_raw(path, &all).await
    }

    /// Posts a multipart form: the CSRF token last seen, `fields`, then a
    /// file.
    pub async fn multipart(
        &mut self,
        path: &str,
        fields: &[(&str, String)],
        file_name: &str,
        content: &[u8],
    ) -> Resp {
        let boundary = "machi-test-boundary";
        let part = |name: &str, value: &str| {
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
        };
        let mut body = part("csrf", self.csrf.as_deref().unwrap_or_default());
        for (name, value) in fields {
            body.push_str(&part(name, value));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        ));
        let mut body = body.into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Method::POST,
            path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
            &[],
        )
        .await
    }

    /// Uploads a project file through the upload form.
    pub async fn upload(&mut self, path: &str, file_name: &str, content: &str) -> Resp {
        self.multipart(path, &[], file_name, content.as_bytes())
            .await
    }

    /// Uploads a model file with the import form's fields.
    pub async fn import(&mut self, path: &str, base: i64, file: &str, content: &[u8]) -> Resp {
        self.multipart(path, &[("base_version", base.to_string())], file, content)
            .await
    }

    /// An API call with JSON, sending the CSRF token when known.
    pub async fn api(&mut self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut extra = vec![("accept", "application/json".to_owned())];
        if let Some(t) = &self.csrf {
            extra.push(("x-csrf-token", t.clone()));
        }
        let (ct, bytes) = match body {
            Some(b) => (Some("application/json"), b.to_string().into_bytes()),
            None => (None, Vec::new()),
        };
        self.send(method, path, ct, bytes, &extra).await
    }

    /// Logs in through the form (fetching the page first for its token).
    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200);
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Logs in through the API; keeps the CSRF token it returns.
    pub async fn api_login(&mut self, email: &str, password: &str) -> Resp {
        let r = self
            .api(
                Method::POST,
                "/api/v1/session",
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        if r.status == 200 {
            self.csrf = r.json()["csrf_token"].as_str().map(str::to_owned);
        }
        r
    }
}

// ---------------------------------------------------------------------------
// Forms as a browser sends them.

/// The fields of the first form on a page whose action is `action`, as the
/// browser would send them (text inputs, textareas, selected options,
/// checked boxes, hidden fields).
pub fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
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
                // Unchecked boxes, disabled fields and files are not sent.
                if !unchecked && !tag.contains(" disabled") && ty != "file" {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
            Some(name) if tag.starts_with("<textarea") => {
                let body = &rest[tag_end + 1..];
                let text = &body[..body.find("</textarea>").expect("textarea end")];
                out.push((name, unescape(text)));
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

/// Sets a field the form has; panics when it has none.
pub fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let f = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    f.1 = value.to_owned();
}

/// Sets a field, adding it when the form does not send it (an unchecked box,
/// say).
pub fn set_or_add(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// The value of a field; panics when there is none.
pub fn get<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("no field {name}"), |(_, v)| v.as_str())
}
