//! The storage story: one suite, written once against `dyn Store`, run on
//! SQLite always and on PostgreSQL when `MACHI_TEST_DATABASE_URL` is set.
//!
//! `MACHI_TEST_DATABASE_URL` names a server and a database to connect to
//! for administration (`postgres://postgres@127.0.0.1:5432/postgres`, as
//! `scripts/test.sh` sets it). Every test creates a database of its own on
//! that server (`machi_test_<pid>_<time>_<n>`) and drops it when it ends, so
//! tests and concurrent runs never see each other's rows. SQLite tests use a
//! file in a temporary directory.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Duration, Utc};
use machi_domain::project::Text;
use machi_domain::{LineItemId, LocalGovCode, Project, ProjectId};
use machi_store::{
    AuditFilter, NewOrganisation, NewSession, NewUser, OrgId, OrgKind, Organisation, PostgresStore,
    ProjectKey, Role, SqliteStore, Store, StoreError, User, UserId,
};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tempfile::TempDir;

const DATABASE_URL_VAR: &str = "MACHI_TEST_DATABASE_URL";

// ---------------------------------------------------------------------------
// Databases under test.

/// A store under test and what keeps its database alive.
struct Db {
    store: Arc<dyn Store>,
    place: Place,
}

/// Where a test database lives; dropping it removes the database.
enum Place {
    Sqlite { path: String, _dir: TempDir },
    // Boxed: connection options are far larger than the SQLite variant.
    Postgres(Box<PgDatabase>),
}

impl Db {
    /// A second store on the same database: another app server.
    async fn second(&self) -> Arc<dyn Store> {
        match &self.place {
            Place::Sqlite { path, .. } => Arc::new(
                SqliteStore::open(path)
                    .await
                    .expect("second SQLite store opens"),
            ),
            Place::Postgres(database) => Arc::new(
                PostgresStore::connect_with(database.options.clone())
                    .await
                    .expect("second PostgreSQL store connects"),
            ),
        }
    }

    /// Runs one statement outside the store, as another program (or a
    /// careless administrator) could.
    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .foreign_keys(true);
                let mut conn = SqliteConnection::connect_with(&options).await?;
                let done = sqlx::query(sql).execute(&mut conn).await?;
                conn.close().await?;
                Ok(done.rows_affected())
            }
            Place::Postgres(database) => {
                let mut conn = PgConnection::connect_with(&database.options).await?;
                let done = sqlx::query(sql).execute(&mut conn).await?;
                conn.close().await?;
                Ok(done.rows_affected())
            }
        }
    }
}

async fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir
        .path()
        .join("machi.sqlite3")
        .to_str()
        .expect("temporary paths are UTF-8 here")
        .to_owned();
    let store = SqliteStore::open(&path).await.expect("SQLite store opens");
    Db {
        store: Arc::new(store),
        place: Place::Sqlite { path, _dir: dir },
    }
}

/// The administration URL, or `None` (and a note) when PostgreSQL tests are
/// not wanted.
fn postgres_url() -> Option<String> {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!("{DATABASE_URL_VAR} is not set: PostgreSQL story skipped");
            None
        }
    }
}

/// A database created for one test and dropped when the test ends (also
/// when it fails).
struct PgDatabase {
    /// Where it was created from.
    admin: PgConnectOptions,
    /// Its name.
    name: String,
    /// How to connect to it.
    options: PgConnectOptions,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on;
        // a thread with a runtime of its own does the asynchronous work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for dropping the test database");
            runtime.block_on(async move {
                let mut conn = PgConnection::connect_with(&admin).await?;
                // FORCE ends the store's pooled connections still open.
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

fn unique_database_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!(
        "machi_test_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates an empty database on the test server; the store is not opened.
async fn empty_postgres_database(url: &str) -> PgDatabase {
    let admin = PgConnectOptions::from_str(url)
        .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} is not a PostgreSQL URL: {e}"));
    let name = unique_database_name();
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR}={url}: cannot connect: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("the test user may create databases");
    conn.close().await.expect("the admin connection closes");
    let options = admin.clone().database(&name);
    PgDatabase {
        admin,
        name,
        options,
    }
}

async fn postgres_db() -> Option<Db> {
    let url = postgres_url()?;
    let database = empty_postgres_database(&url).await;
    let store = PostgresStore::connect_with(database.options.clone())
        .await
        .expect("PostgreSQL store connects and migrates");
    Some(Db {
        store: Arc::new(store),
        place: Place::Postgres(Box::new(database)),
    })
}

/// Runs each story on SQLite and on PostgreSQL.
macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = crate::sqlite_db().await;
                    assert_eq!(db.store.backend(), "sqlite");
                    crate::$name(&db).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = crate::postgres_db().await else { return };
                    assert_eq!(db.store.backend(), "postgres");
                    crate::$name(&db).await;
                }
            )*
        }
    };
}

stories!(
    organisations_and_users,
    sessions,
    login_attempts,
    projects_and_versions,
    stale_save_conflicts_and_writes_nothing,
    every_mutation_is_audited,
    concurrent_saves_lose_nothing,
    two_app_servers_share_sessions_and_conflicts,
    history_cannot_be_rewritten,
    corrupt_rows_are_reported,
);

// ---------------------------------------------------------------------------
// Test data.

/// A real project file from `examples/`: its amounts are integer yen up to
/// tens of millions.
fn example() -> Project {
    Project::from_toml_str(include_str!("../../../examples/kurume-flood-ai.toml"))
        .expect("the example project is valid")
}

fn document(slug: &str) -> Project {
    let mut project = example();
    project.project.id = ProjectId::new(slug).expect("test slugs are valid");
    project
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("test timestamps are RFC 3339")
}

/// A municipality with its real 全国地方公共団体コード (checked by the domain
/// crate's check-digit rule).
fn municipality(name_ja: &str, name_en: &str, code: &str) -> NewOrganisation {
    LocalGovCode::from_str(code).expect("a real local-government code");
    NewOrganisation {
        name_ja: name_ja.into(),
        name_en: name_en.into(),
        kind: OrgKind::Municipality,
        local_gov_code: Some(code.into()),
    }
}

fn company(name_ja: &str, name_en: &str) -> NewOrganisation {
    NewOrganisation {
        name_ja: name_ja.into(),
        name_en: name_en.into(),
        kind: OrgKind::Company,
        local_gov_code: None,
    }
}

fn new_user(org: OrgId, email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        organisation: org,
        email: email.into(),
        display_name: name.into(),
        role,
        lang: "ja".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
    }
}

/// Kurume City, a company in its consortium, and an officer of the city.
struct Cast {
    city: Organisation,
    company: Organisation,
    officer: User,
}

async fn cast(store: &dyn Store) -> Cast {
    let city = store
        .create_organisation(None, municipality("久留米市", "Kurume City", "402036"))
        .await
        .expect("city created");
    let company = store
        .create_organisation(None, company("筑後センサー株式会社", "Chikugo Sensors Co."))
        .await
        .expect("company created");
    let officer = store
        .create_user(
            None,
            new_user(
                city.id,
                "officer@city.kurume.lg.jp",
                "久留米 太郎",
                Role::MunicipalOfficer,
            ),
        )
        .await
        .expect("officer created");
    Cast {
        city,
        company,
        officer,
    }
}

fn line_item_ids(project: &Project) -> BTreeSet<String> {
    project
        .line_items
        .iter()
        .map(|l| l.id.as_str().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// The stories.

async fn organisations_and_users(db: &Db) {
    let store = &*db.store;
    let kurume = store
        .create_organisation(None, municipality("久留米市", "Kurume City", "402036"))
        .await
        .expect("Kurume created");
    assert_eq!(
        store.organisation(kurume.id).await.expect("read"),
        Some(kurume.clone())
    );

    // Two cities share the name 府中市 (Tokyo 13206, Hiroshima 34208) but not
    // a code: both are organisations.
    let fuchu_tokyo = store
        .create_organisation(None, municipality("府中市", "Fuchu City (Tokyo)", "132063"))
        .await
        .expect("Fuchu (Tokyo) created");
    store
        .create_organisation(
            None,
            municipality("府中市", "Fuchu City (Hiroshima)", "342084"),
        )
        .await
        .expect("Fuchu (Hiroshima) created: same name, another code");
    // A code is one local government.
    let err = store
        .create_organisation(
            None,
            municipality("久留米市役所", "Kurume City Hall", "402036"),
        )
        .await
        .expect_err("the same code twice");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "organisation"
            }
        ),
        "{err:?}"
    );
    // Organisations without a code are known by their Japanese name.
    let sensors = store
        .create_organisation(None, company("筑後センサー株式会社", "Chikugo Sensors Co."))
        .await
        .expect("company created");
    let err = store
        .create_organisation(None, company("筑後センサー株式会社", "Chikugo Sensors"))
        .await
        .expect_err("the same company twice");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "organisation"
            }
        ),
        "{err:?}"
    );

    let names: Vec<String> = store
        .organisations()
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.name_ja)
        .collect();
    // By name in code-point order (the same on both backends), ids breaking
    // ties: 久 U+4E45 < 府 U+5E9C < 筑 U+7B51.
    assert_eq!(
        names,
        ["久留米市", "府中市", "府中市", "筑後センサー株式会社"]
    );

    // E-mails are stored lower-case and unique case-insensitively.
    let hanako = store
        .create_user(
            None,
            new_user(
                kurume.id,
                " Hanako.Tanaka@City.Kurume.LG.JP ",
                "田中 花子",
                Role::MunicipalOfficer,
            ),
        )
        .await
        .expect("user created");
    assert_eq!(hanako.email, "hanako.tanaka@city.kurume.lg.jp");
    assert!(!hanako.disabled);
    assert_eq!(
        store.user(hanako.id).await.expect("read"),
        Some(hanako.clone())
    );
    assert_eq!(
        store
            .user_by_email("HANAKO.TANAKA@city.kurume.lg.jp")
            .await
            .expect("read"),
        Some(hanako.clone())
    );
    assert_eq!(
        store
            .user_by_email("nobody@example.jp")
            .await
            .expect("read"),
        None
    );
    let err = store
        .create_user(
            None,
            new_user(
                kurume.id,
                "hanako.tanaka@CITY.KURUME.LG.JP",
                "別人",
                Role::Reviewer,
            ),
        )
        .await
        .expect_err("the same e-mail in other case");
    assert!(
        matches!(err, StoreError::Duplicate { what: "email" }),
        "{err:?}"
    );
    // Beyond ASCII too: SQLite's lower() would not fold É, Rust does.
    store
        .create_user(
            Some(hanako.id),
            new_user(
                sensors.id,
                "ÉLODIE@sensors.example.jp",
                "Élodie",
                Role::Provider,
            ),
        )
        .await
        .expect("user created");
    let err = store
        .create_user(
            None,
            new_user(
                sensors.id,
                "élodie@SENSORS.example.jp",
                "Élodie",
                Role::Provider,
            ),
        )
        .await
        .expect_err("the same non-ASCII e-mail in other case");
    assert!(
        matches!(err, StoreError::Duplicate { what: "email" }),
        "{err:?}"
    );
    let err = store
        .create_user(
            None,
            new_user(OrgId(999_999), "ghost@example.jp", "幽霊", Role::Admin),
        )
        .await
        .expect_err("no such organisation");
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "organisation"
            }
        ),
        "{err:?}"
    );

    let ichiro = store
        .create_user(
            None,
            new_user(
                fuchu_tokyo.id,
                "ichiro@city.fuchu.tokyo.jp",
                "府中 一郎",
                Role::Secretariat,
            ),
        )
        .await
        .expect("user created");
    let users: Vec<(OrgId, String)> = store
        .users()
        .await
        .expect("list")
        .into_iter()
        .map(|u| (u.organisation, u.email))
        .collect();
    // By organisation id (creation order here), then name.
    assert_eq!(
        users,
        [
            (kurume.id, "hanako.tanaka@city.kurume.lg.jp".to_owned()),
            (fuchu_tokyo.id, "ichiro@city.fuchu.tokyo.jp".to_owned()),
            (sensors.id, "élodie@sensors.example.jp".to_owned()),
        ]
    );

    store
        .set_user_lang(ichiro.id, "en")
        .await
        .expect("language set");
    let ichiro = store.user(ichiro.id).await.expect("read").expect("exists");
    assert_eq!(ichiro.lang, "en");
    let err = store
        .set_user_lang(UserId(999_999), "en")
        .await
        .expect_err("no such user");
    assert!(
        matches!(err, StoreError::NotFound { what: "user" }),
        "{err:?}"
    );
}

async fn sessions(db: &Db) {
    let store = &*db.store;
    let cast = cast(store).await;
    let t0 = at("2026-04-01T09:00:00Z");
    let session = NewSession {
        token_hash: "a".repeat(64),
        user: cast.officer.id,
        csrf_token: "csrf-1".into(),
        created_at: t0,
        expires_at: t0 + Duration::hours(8),
    };
    store
        .create_session(session.clone())
        .await
        .expect("created");

    let live = store
        .session(&session.token_hash, t0 + Duration::minutes(1))
        .await
        .expect("read")
        .expect("live");
    assert_eq!(live.user, cast.officer.id);
    assert_eq!(live.csrf_token, "csrf-1");
    assert_eq!(live.expires_at, t0 + Duration::hours(8));
    // Expired at its expiry instant, and after.
    let expiry = t0 + Duration::hours(8);
    assert!(
        store
            .session(&session.token_hash, expiry - Duration::seconds(1))
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(
        store
            .session(&session.token_hash, expiry)
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store
            .session(&session.token_hash, expiry + Duration::days(1))
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store.session(&"b".repeat(64), t0).await.expect("read"),
        None
    );

    let err = store
        .create_session(session.clone())
        .await
        .expect_err("the same token twice");
    assert!(
        matches!(err, StoreError::Duplicate { what: "session" }),
        "{err:?}"
    );
    let err = store
        .create_session(NewSession {
            token_hash: "c".repeat(64),
            user: UserId(999_999),
            ..session.clone()
        })
        .await
        .expect_err("no such user");
    assert!(
        matches!(err, StoreError::NotFound { what: "user" }),
        "{err:?}"
    );

    store
        .delete_session(&session.token_hash)
        .await
        .expect("deleted");
    assert_eq!(
        store.session(&session.token_hash, t0).await.expect("read"),
        None
    );
    store
        .delete_session(&session.token_hash)
        .await
        .expect("deleting a missing session is not an error");

    // Purge removes exactly the sessions expired at `now`.
    for (hash, hours) in [("d", 1), ("e", 2), ("f", 3)] {
        store
            .create_session(NewSession {
                token_hash: hash.repeat(64),
                expires_at: t0 + Duration::hours(hours),
                ..session.clone()
            })
            .await
            .expect("created");
    }
    assert_eq!(
        store
            .purge_sessions(t0 + Duration::hours(2))
            .await
            .expect("purged"),
        2
    );
    assert_eq!(
        store
            .purge_sessions(t0 + Duration::hours(2))
            .await
            .expect("purged"),
        0
    );
    assert!(
        store
            .session(&"f".repeat(64), t0)
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(
        store.session(&"d".repeat(64), t0).await.expect("read"),
        None
    );
}

async fn login_attempts(db: &Db) {
    let store = &*db.store;
    let t0 = at("2026-04-01T09:00:00Z");
    let m = |minutes| t0 + Duration::minutes(minutes);
    let window = Duration::minutes(15);
    // The history of attempts is kept.
    store
        .record_login("officer@city.kurume.lg.jp", false, m(0))
        .await
        .expect("recorded");
    // A bucket counts the attempts of its window…
    let key = "account:officer@city.kurume.lg.jp";
    for expected in 1..=3 {
        let n = store
            .take_login_attempt(key, m(1), window)
            .await
            .expect("taken");
        assert_eq!(n, expected);
    }
    // …each bucket apart…
    let other = store
        .take_login_attempt("client:192.0.2.1", m(1), window)
        .await
        .expect("taken");
    assert_eq!(other, 1);
    // …gives one back, or is emptied…
    store.release_login_attempt(key).await.expect("released");
    assert_eq!(
        store
            .take_login_attempt(key, m(2), window)
            .await
            .expect("taken"),
        3
    );
    store.clear_login_attempts(key).await.expect("cleared");
    assert_eq!(
        store
            .take_login_attempt(key, m(3), window)
            .await
            .expect("taken"),
        1
    );
    // …never below zero…
    store.release_login_attempt(key).await.expect("released");
    store.release_login_attempt(key).await.expect("released");
    assert_eq!(
        store
            .take_login_attempt(key, m(4), window)
            .await
            .expect("taken"),
        1
    );
    // …and starts again once its window has passed (the window began at m(3)).
    assert_eq!(
        store
            .take_login_attempt(key, m(17), window)
            .await
            .expect("taken"),
        2
    );
    assert_eq!(
        store
            .take_login_attempt(key, m(18), window)
            .await
            .expect("taken"),
        1
    );

    // Atomic: 150 attempts at once each see a different count, 1 to 150 —
    // so a limit of 5 lets exactly 5 through however they interleave.
    let key = "account:target@city.example";
    let now = m(20);
    let takes = (0..150).map(|_| {
        let store = Arc::clone(&db.store);
        tokio::spawn(async move { store.take_login_attempt(key, now, window).await })
    });
    let mut seen = BTreeSet::new();
    for t in takes {
        seen.insert(t.await.expect("joined").expect("taken"));
    }
    assert_eq!(seen, (1..=150).collect::<BTreeSet<u32>>());
}

async fn projects_and_versions(db: &Db) {
    let store = &*db.store;
    let Cast {
        city,
        company,
        officer,
    } = cast(store).await;
    let outsider = store
        .create_organisation(None, municipality("府中市", "Fuchu City", "132063"))
        .await
        .expect("outsider created");
    let outsider_user = store
        .create_user(
            None,
            new_user(
                outsider.id,
                "staff@city.fuchu.tokyo.jp",
                "府中",
                Role::MunicipalOfficer,
            ),
        )
        .await
        .expect("user created");

    let v1_doc = example();
    let v1 = store
        .create_project(
            officer.id,
            city.id,
            &[company.id],
            &v1_doc,
            "imported from examples/",
        )
        .await
        .expect("project created");
    let key = v1.project;
    assert_eq!(v1.version, 1);
    assert_eq!(v1.author, officer.id);
    assert_eq!(v1.note, "imported from examples/");

    let summary = store.project(key).await.expect("read").expect("exists");
    assert_eq!(summary.id, key);
    assert_eq!(summary.slug, "kurume-flood-ai");
    assert_eq!(
        summary.name_ja,
        "久留米市 AI水位予測による内水氾濫対策サービス"
    );
    assert_eq!(
        summary.name_en,
        "Kurume AI water-level prediction against inland flooding"
    );
    assert_eq!(summary.owner, city.id);
    assert_eq!(summary.version, 1);
    assert_eq!(summary.updated_by, officer.id);
    assert_eq!(summary.updated_at, v1.created_at);

    // The document comes back exactly, integer yen included.
    let stored = store
        .latest_version(key)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.meta, v1);
    assert_eq!(stored.document, v1_doc);

    // The owner is always in the consortium.
    let mut expected = vec![city.id, company.id];
    expected.sort();
    assert_eq!(
        store.project_organisations(key).await.expect("read"),
        expected
    );
    let own = store
        .create_project(
            outsider_user.id,
            outsider.id,
            &[],
            &document("fuchu-bus"),
            "new",
        )
        .await
        .expect("second project");
    let slugs = |list: Vec<machi_store::ProjectSummary>| -> Vec<String> {
        list.into_iter().map(|p| p.slug).collect()
    };
    assert_eq!(
        slugs(store.projects_of_organisation(city.id).await.expect("list")),
        ["kurume-flood-ai"]
    );
    assert_eq!(
        slugs(
            store
                .projects_of_organisation(company.id)
                .await
                .expect("list")
        ),
        ["kurume-flood-ai"]
    );
    assert_eq!(
        slugs(
            store
                .projects_of_organisation(outsider.id)
                .await
                .expect("list")
        ),
        ["fuchu-bus"]
    );
    // Newest first.
    assert_eq!(
        slugs(store.projects().await.expect("list")),
        ["fuchu-bus", "kurume-flood-ai"]
    );
    assert_eq!(
        store
            .project_organisations(own.project)
            .await
            .expect("read"),
        [outsider.id]
    );

    // Version 2 renames the project; the summary follows the latest version.
    let mut v2_doc = v1_doc.clone();
    v2_doc.project.name = Text {
        ja: "久留米市 内水氾濫対策サービス".into(),
        en: None,
    };
    v2_doc.finance.residual_value = machi_domain::Yen(12_345_678_901);
    let v2 = store
        .save_version(officer.id, key, 1, &v2_doc, "renamed")
        .await
        .expect("saved");
    assert_eq!((v2.project, v2.version, v2.author), (key, 2, officer.id));
    let summary = store.project(key).await.expect("read").expect("exists");
    assert_eq!(summary.version, 2);
    assert_eq!(summary.name_ja, "久留米市 内水氾濫対策サービス");
    // No English name: the Japanese one is shown.
    assert_eq!(summary.name_en, "久留米市 内水氾濫対策サービス");
    assert_eq!(summary.updated_at, v2.created_at);
    assert_eq!(
        slugs(store.projects().await.expect("list")),
        ["kurume-flood-ai", "fuchu-bus"]
    );

    // A third version; every version stays readable as it was saved.
    let mut v3_doc = v2_doc.clone();
    v3_doc.line_items.pop();
    let v3 = store
        .save_version(officer.id, key, 2, &v3_doc, "dropped a line")
        .await
        .expect("saved");
    let versions: Vec<(i64, String)> = store
        .versions(key)
        .await
        .expect("list")
        .into_iter()
        .map(|v| (v.version, v.note))
        .collect();
    assert_eq!(
        versions,
        [
            (3, "dropped a line".to_owned()),
            (2, "renamed".to_owned()),
            (1, "imported from examples/".to_owned()),
        ]
    );
    let read = |n| async move { store.version(key, n).await.expect("read").expect("exists") };
    assert_eq!(read(1).await.document, v1_doc);
    assert_eq!(read(1).await.meta, v1);
    assert_eq!(read(2).await.document, v2_doc);
    assert_eq!(
        read(2).await.document.finance.residual_value.get(),
        12_345_678_901
    );
    assert_eq!(read(3).await.meta, v3);
    assert_eq!(
        store
            .latest_version(key)
            .await
            .expect("read")
            .expect("exists")
            .document,
        v3_doc
    );
    assert_eq!(store.version(key, 4).await.expect("read"), None);
    assert_eq!(store.version(key, 0).await.expect("read"), None);
    assert_eq!(
        store
            .latest_version(ProjectKey(999_999))
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        store.project(ProjectKey(999_999)).await.expect("read"),
        None
    );
    assert!(
        store
            .versions(ProjectKey(999_999))
            .await
            .expect("read")
            .is_empty()
    );

    // Replacing the consortium: the owner stays, the company leaves.
    store
        .set_project_organisations(officer.id, key, &[outsider.id])
        .await
        .expect("consortium replaced");
    let mut expected = vec![city.id, outsider.id];
    expected.sort();
    assert_eq!(
        store.project_organisations(key).await.expect("read"),
        expected
    );
    assert!(
        store
            .projects_of_organisation(company.id)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        slugs(
            store
                .projects_of_organisation(outsider.id)
                .await
                .expect("list")
        ),
        ["kurume-flood-ai", "fuchu-bus"]
    );
    let err = store
        .set_project_organisations(officer.id, ProjectKey(999_999), &[])
        .await
        .expect_err("no such project");
    assert!(
        matches!(err, StoreError::NotFound { what: "project" }),
        "{err:?}"
    );
    let err = store
        .set_project_organisations(officer.id, key, &[OrgId(999_999)])
        .await
        .expect_err("no such organisation");
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "organisation"
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store.project_organisations(key).await.expect("read"),
        expected,
        "unchanged"
    );

    // Refusals write nothing.
    let before = store.projects().await.expect("list").len();
    let err = store
        .create_project(officer.id, city.id, &[], &example(), "again")
        .await
        .expect_err("the same slug twice");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "project-slug"
            }
        ),
        "{err:?}"
    );
    let err = store
        .create_project(officer.id, OrgId(999_999), &[], &document("nowhere"), "x")
        .await
        .expect_err("no such owner");
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "organisation"
            }
        ),
        "{err:?}"
    );
    let err = store
        .create_project(UserId(999_999), city.id, &[], &document("nobody"), "x")
        .await
        .expect_err("no such author");
    assert!(
        matches!(err, StoreError::NotFound { what: "user" }),
        "{err:?}"
    );
    let err = store
        .create_project(
            officer.id,
            city.id,
            &[OrgId(999_999)],
            &document("alone"),
            "x",
        )
        .await
        .expect_err("no such consortium member");
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "organisation"
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.projects().await.expect("list").len(), before);

    // A save may not take another project's slug.
    let err = store
        .save_version(officer.id, key, 3, &document("fuchu-bus"), "steal")
        .await
        .expect_err("slug taken");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "project-slug"
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store
            .project(key)
            .await
            .expect("read")
            .expect("exists")
            .version,
        3
    );
}

async fn stale_save_conflicts_and_writes_nothing(db: &Db) {
    let store = &*db.store;
    let cast = cast(store).await;
    let key = store
        .create_project(cast.officer.id, cast.city.id, &[], &example(), "v1")
        .await
        .expect("created")
        .project;
    let mut mine = example();
    mine.line_items.truncate(1);
    store
        .save_version(cast.officer.id, key, 1, &mine, "mine")
        .await
        .expect("saved");

    let audit_before = store.audit(AuditFilter::default()).await.expect("audit");
    let mut theirs = example();
    theirs.line_items.clear();
    let err = store
        .save_version(cast.officer.id, key, 1, &theirs, "theirs, based on v1")
        .await
        .expect_err("stale base");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                base: 1,
                current: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "conflict");
    let err = store
        .save_version(cast.officer.id, key, 7, &theirs, "from the future")
        .await
        .expect_err("base ahead of the latest");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                base: 7,
                current: 2
            }
        ),
        "{err:?}"
    );
    let err = store
        .save_version(cast.officer.id, ProjectKey(999_999), 1, &theirs, "nowhere")
        .await
        .expect_err("no such project");
    assert!(
        matches!(err, StoreError::NotFound { what: "project" }),
        "{err:?}"
    );
    let err = store
        .save_version(UserId(999_999), key, 2, &theirs, "nobody")
        .await
        .expect_err("no such author");
    assert!(
        matches!(err, StoreError::NotFound { what: "user" }),
        "{err:?}"
    );

    // Nothing was written by any refusal: no version, no audit entry, and
    // the counter did not move.
    assert_eq!(store.versions(key).await.expect("list").len(), 2);
    let latest = store
        .latest_version(key)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(latest.meta.version, 2);
    assert_eq!(latest.document, mine);
    assert_eq!(
        store.audit(AuditFilter::default()).await.expect("audit"),
        audit_before
    );
    assert_eq!(
        store
            .project(key)
            .await
            .expect("read")
            .expect("exists")
            .version,
        2
    );

    // Reloading and saving on the latest works.
    store
        .save_version(cast.officer.id, key, 2, &theirs, "theirs, rebased")
        .await
        .expect("saved");
    assert_eq!(store.versions(key).await.expect("list").len(), 3);
}

async fn every_mutation_is_audited(db: &Db) {
    let store = &*db.store;
    let city = store
        .create_organisation(None, municipality("久留米市", "Kurume City", "402036"))
        .await
        .expect("created");
    let admin = store
        .create_user(
            None,
            new_user(city.id, "admin@city.kurume.lg.jp", "管理者", Role::Admin),
        )
        .await
        .expect("created");
    let company = store
        .create_organisation(
            Some(admin.id),
            company("筑後センサー株式会社", "Chikugo Sensors Co."),
        )
        .await
        .expect("created");
    store.set_user_lang(admin.id, "en").await.expect("set");
    let v1_doc = example();
    let key = store
        .create_project(admin.id, city.id, &[company.id], &v1_doc, "v1")
        .await
        .expect("created")
        .project;
    let mut v2_doc = v1_doc.clone();
    v2_doc.line_items.truncate(2);
    store
        .save_version(admin.id, key, 1, &v2_doc, "v2")
        .await
        .expect("saved");
    store
        .set_project_organisations(admin.id, key, &[])
        .await
        .expect("set");
    // Sessions and log-in attempts are not audited: they are not changes
    // to anyone's data, and log-ins are a log of their own.
    store
        .record_login("admin@city.kurume.lg.jp", true, Utc::now())
        .await
        .expect("recorded");

    let log = store.audit(AuditFilter::default()).await.expect("audit");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "project.organisations",
            "project.save",
            "project.organisations",
            "project.create",
            "user.lang",
            "organisation.create",
            "user.create",
            "organisation.create",
        ],
        "newest first"
    );
    assert!(
        log.windows(2)
            .all(|w| w[0].id > w[1].id && w[0].at >= w[1].at)
    );
    let entry = |action: &str| {
        log.iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("an entry {action}"))
    };
    let json = |v: &Project| serde_json::to_value(v).expect("documents serialise");

    let created = log.last().expect("the first entry");
    assert_eq!(
        (created.entity.as_str(), created.entity_id.clone()),
        ("organisation", city.id.to_string())
    );
    assert_eq!(created.actor, None);
    assert_eq!(created.before, None);
    assert_eq!(
        created.after.as_ref().expect("after")["name_ja"],
        "久留米市"
    );
    assert_eq!(
        created.after.as_ref().expect("after")["local_gov_code"],
        "402036"
    );

    let user_created = entry("user.create");
    assert_eq!(user_created.entity_id, admin.id.to_string());
    let after = user_created.after.as_ref().expect("after");
    assert_eq!(after["email"], "admin@city.kurume.lg.jp");
    assert!(
        after.get("password_hash").is_none(),
        "no password hash in the audit log: {after}"
    );

    let lang = entry("user.lang");
    assert_eq!(lang.actor, Some(admin.id));
    assert_eq!(lang.before.as_ref().expect("before")["lang"], "ja");
    assert_eq!(lang.after.as_ref().expect("after")["lang"], "en");

    let project_created = entry("project.create");
    assert_eq!(
        (
            project_created.entity.as_str(),
            project_created.entity_id.clone()
        ),
        ("project", key.to_string())
    );
    assert_eq!(project_created.actor, Some(admin.id));
    assert_eq!(project_created.before, None);
    assert_eq!(project_created.after, Some(json(&v1_doc)));

    let saved = entry("project.save");
    assert_eq!(saved.actor, Some(admin.id));
    assert_eq!(saved.before, Some(json(&v1_doc)));
    assert_eq!(saved.after, Some(json(&v2_doc)));

    let mut both = vec![city.id.0, company.id.0];
    both.sort();
    let consortium = entry("project.organisations");
    assert_eq!(consortium.before, Some(serde_json::json!(both)));
    assert_eq!(consortium.after, Some(serde_json::json!([city.id.0])));
    let first_consortium = &log[2];
    assert_eq!(first_consortium.before, None);
    assert_eq!(first_consortium.after, Some(serde_json::json!(both)));

    // Filters.
    let for_project = store
        .audit(AuditFilter {
            entity: Some("project".into()),
            entity_id: Some(key.to_string()),
            limit: None,
        })
        .await
        .expect("audit");
    assert_eq!(for_project.len(), 4);
    let users = store
        .audit(AuditFilter {
            entity: Some("user".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    let actions: Vec<&str> = users.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.lang", "user.create"]);
    let latest_two = store
        .audit(AuditFilter {
            limit: Some(2),
            ..AuditFilter::default()
        })
        .await
        .expect("audit");
    assert_eq!(latest_two, log[..2]);
}

/// Several writers, each loading the latest version and saving an edit on
/// it, retrying on conflict. Half of them go through a second store on the
/// same database (another app server).
async fn concurrent_saves_lose_nothing(db: &Db) {
    const TASKS: usize = 8;
    const EDITS: usize = 3;
    let first = db.store.clone();
    let second = db.second().await;
    let cast = cast(&*first).await;
    let mut start = example();
    start.line_items.truncate(1);
    let template = start.line_items[0].clone();
    let key = first
        .create_project(cast.officer.id, cast.city.id, &[], &start, "start")
        .await
        .expect("created")
        .project;

    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = if t % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let author = cast.officer.id;
        let template = template.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0_u32;
            for k in 0..EDITS {
                let mut item = template.clone();
                item.id = LineItemId::new(format!("task-{t}-edit-{k}")).expect("a valid id");
                let mut attempts = 0;
                loop {
                    attempts += 1;
                    assert!(attempts < 1_000, "task {t} never got a save in");
                    let latest = store
                        .latest_version(key)
                        .await
                        .expect("read")
                        .expect("exists");
                    let mut edited = latest.document;
                    edited.line_items.push(item.clone());
                    match store
                        .save_version(
                            author,
                            key,
                            latest.meta.version,
                            &edited,
                            &format!("task {t} edit {k}"),
                        )
                        .await
                    {
                        Ok(meta) => {
                            assert_eq!(meta.version, latest.meta.version + 1);
                            break;
                        }
                        Err(StoreError::Conflict { base, current }) => {
                            assert_eq!(base, latest.meta.version);
                            assert!(
                                current > base,
                                "a conflict means someone saved: {base} → {current}"
                            );
                            conflicts += 1;
                        }
                        Err(other) => panic!("task {t}: {other}"),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.expect("task finished");
    }
    eprintln!("{} backend: {conflicts} conflicts retried", first.backend());

    let saves = TASKS * EDITS;
    let versions = first.versions(key).await.expect("list");
    assert_eq!(
        versions.len(),
        saves + 1,
        "one version per successful save, plus the first"
    );
    let numbers: Vec<i64> = versions.iter().rev().map(|v| v.version).collect();
    let expected: Vec<i64> = (1..=i64::try_from(saves + 1).expect("small")).collect();
    assert_eq!(numbers, expected, "versions without gaps");

    let latest = second
        .latest_version(key)
        .await
        .expect("read")
        .expect("exists");
    let mut wanted = line_item_ids(&start);
    for t in 0..TASKS {
        for k in 0..EDITS {
            wanted.insert(format!("task-{t}-edit-{k}"));
        }
    }
    assert_eq!(
        line_item_ids(&latest.document),
        wanted,
        "every edit is in the final document"
    );
    assert_eq!(
        latest.document.line_items.len(),
        wanted.len(),
        "and each once"
    );

    // No save was lost or overwritten: each version is its predecessor plus
    // exactly one line item.
    for n in 2..=i64::try_from(saves + 1).expect("small") {
        let previous = line_item_ids(
            &first
                .version(key, n - 1)
                .await
                .expect("read")
                .expect("exists")
                .document,
        );
        let this = line_item_ids(
            &first
                .version(key, n)
                .await
                .expect("read")
                .expect("exists")
                .document,
        );
        assert!(this.is_superset(&previous), "version {n} lost an edit");
        assert_eq!(this.len(), previous.len() + 1, "version {n} adds one edit");
    }
    let saved = first
        .audit(AuditFilter {
            entity: Some("project".into()),
            entity_id: Some(key.to_string()),
            limit: Some(1_000),
        })
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "project.save")
        .count();
    assert_eq!(saved, saves, "one audit entry per successful save");
}

async fn two_app_servers_share_sessions_and_conflicts(db: &Db) {
    let one = db.store.clone();
    let two = db.second().await;
    let cast = cast(&*one).await;
    let now = Utc::now();

    // A user created through one server logs in through the other.
    assert_eq!(
        two.user_by_email("OFFICER@city.kurume.lg.jp")
            .await
            .expect("read")
            .map(|u| u.id),
        Some(cast.officer.id)
    );
    let session = NewSession {
        token_hash: "9".repeat(64),
        user: cast.officer.id,
        csrf_token: "csrf".into(),
        created_at: now,
        expires_at: now + Duration::hours(1),
    };
    one.create_session(session.clone()).await.expect("created");
    let seen = two
        .session(&session.token_hash, now)
        .await
        .expect("read")
        .expect("visible");
    assert_eq!(seen.csrf_token, "csrf");
    two.delete_session(&session.token_hash)
        .await
        .expect("deleted");
    assert_eq!(
        one.session(&session.token_hash, now).await.expect("read"),
        None
    );

    // Both servers load version 1; the first save wins, the second is told.
    let key = one
        .create_project(cast.officer.id, cast.city.id, &[], &example(), "v1")
        .await
        .expect("created")
        .project;
    let on_one = one
        .latest_version(key)
        .await
        .expect("read")
        .expect("exists");
    let on_two = two
        .latest_version(key)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(on_one, on_two);
    let mut edit_one = on_one.document.clone();
    edit_one.line_items.truncate(1);
    let mut edit_two = on_two.document.clone();
    edit_two.line_items.clear();
    one.save_version(cast.officer.id, key, on_one.meta.version, &edit_one, "one")
        .await
        .expect("saved");
    let err = two
        .save_version(cast.officer.id, key, on_two.meta.version, &edit_two, "two")
        .await
        .expect_err("stale on the second server");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                base: 1,
                current: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        two.latest_version(key)
            .await
            .expect("read")
            .expect("exists")
            .document,
        edit_one
    );
}

async fn history_cannot_be_rewritten(db: &Db) {
    let store = &*db.store;
    let cast = cast(store).await;
    let key = store
        .create_project(cast.officer.id, cast.city.id, &[], &example(), "v1")
        .await
        .expect("created")
        .project;
    for sql in [
        "UPDATE project_versions SET note = 'rewritten'".to_owned(),
        "DELETE FROM project_versions".to_owned(),
        "UPDATE audit_log SET action = 'nothing'".to_owned(),
        "DELETE FROM audit_log".to_owned(),
        format!("UPDATE project_versions SET document = '{{}}' WHERE project_id = {key}"),
    ] {
        let result = db.raw(&sql).await;
        assert!(result.is_err(), "{sql} must be refused, got {result:?}");
    }
    assert_eq!(
        store
            .version(key, 1)
            .await
            .expect("read")
            .expect("kept")
            .meta
            .note,
        "v1"
    );
    assert_eq!(
        store
            .audit(AuditFilter::default())
            .await
            .expect("audit")
            .len(),
        5
    );
}

async fn corrupt_rows_are_reported(db: &Db) {
    let store = &*db.store;
    let cast = cast(store).await;
    let key = store
        .create_project(cast.officer.id, cast.city.id, &[], &example(), "v1")
        .await
        .expect("created")
        .project;
    // Another program appends a version that is JSON but not a project, and
    // gives the company an unknown kind.
    let officer = cast.officer.id;
    db.raw(&format!(
        "INSERT INTO project_versions (project_id, version, author_id, created_at, note, document) \
         VALUES ({key}, 2, {officer}, '2026-04-01T09:00:00.000000Z', 'raw', '{{\"project\": 1}}')"
    ))
    .await
    .expect("raw insert");
    db.raw(&format!(
        "UPDATE projects SET current_version = 2 WHERE id = {key}"
    ))
    .await
    .expect("raw update");
    db.raw(&format!(
        "UPDATE organisations SET kind = 'guild' WHERE id = {}",
        cast.company.id
    ))
    .await
    .expect("raw update");

    let corrupt = |r: Result<_, StoreError>| match r {
        Err(StoreError::Corrupt(message)) => message,
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(_) => panic!("expected Corrupt, got a value"),
    };
    let message = corrupt(store.latest_version(key).await.map(|_| ()));
    assert!(message.contains("version 2"), "{message}");
    corrupt(store.version(key, 2).await.map(|_| ()));
    corrupt(store.project(key).await.map(|_| ()));
    corrupt(store.projects().await.map(|_| ()));
    let message = corrupt(store.organisation(cast.company.id).await.map(|_| ()));
    assert!(message.contains("guild"), "{message}");
    corrupt(store.organisations().await.map(|_| ()));
    assert_eq!(StoreError::Corrupt(String::new()).code(), "corrupt");

    // The intact version is still readable.
    assert_eq!(
        store
            .version(key, 1)
            .await
            .expect("read")
            .expect("exists")
            .document,
        example()
    );
}

// ---------------------------------------------------------------------------
// Backend-specific: opening, migrations, the SQLite file.

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("new.sqlite3");
    assert!(!path.exists());
    let url = format!("sqlite:{}", path.display());
    let store = machi_store::open(&url).await.expect("opens by URL");
    assert_eq!(store.backend(), "sqlite");
    assert!(path.exists(), "the file is created");
    let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path))
        .await
        .expect("raw connection");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    // WAL is a property of the file, so a plain connection sees it too.
    assert_eq!(mode, "wal");
    conn.close().await.expect("closed");
    drop(store);

    // Opening again runs no migration twice and keeps the data.
    let store = SqliteStore::open(path.to_str().expect("UTF-8"))
        .await
        .expect("reopens");
    store
        .create_organisation(None, company("株式会社テスト", "Test KK"))
        .await
        .expect("created");
    let store = SqliteStore::open(path.to_str().expect("UTF-8"))
        .await
        .expect("reopens");
    assert_eq!(store.organisations().await.expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_servers_migrate_a_new_file_at_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("race.sqlite3");
    let path = path.to_str().expect("UTF-8").to_owned();
    // Several app servers starting together on a file that does not exist
    // yet: each must come up, with the schema applied once.
    let opening: Vec<_> = (0..6)
        .map(|_| {
            let path = path.clone();
            tokio::spawn(async move { SqliteStore::open(&path).await })
        })
        .collect();
    let mut stores = Vec::new();
    for open in opening {
        stores.push(open.await.expect("task").expect("opens"));
    }
    let org = stores[0]
        .create_organisation(None, company("株式会社テスト", "Test KK"))
        .await
        .expect("created");
    for store in &stores {
        assert_eq!(
            store.organisation(org.id).await.expect("read"),
            Some(org.clone())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_servers_migrate_a_new_database_at_once() {
    let Some(url) = postgres_url() else { return };
    let database = empty_postgres_database(&url).await;
    let options = &database.options;
    let (a, b, c) = tokio::join!(
        PostgresStore::connect_with(options.clone()),
        PostgresStore::connect_with(options.clone()),
        PostgresStore::connect_with(options.clone()),
    );
    let (a, b, c) = (a.expect("first"), b.expect("second"), c.expect("third"));
    let org = a
        .create_organisation(None, company("株式会社テスト", "Test KK"))
        .await
        .expect("created");
    assert_eq!(
        b.organisation(org.id).await.expect("read"),
        Some(org.clone())
    );
    assert_eq!(c.organisation(org.id).await.expect("read"), Some(org));
    for store in [a, b, c] {
        store.close().await;
    }
}

#[tokio::test]
async fn open_picks_postgres_for_a_postgres_url() {
    let Some(url) = postgres_url() else { return };
    let database = empty_postgres_database(&url).await;
    // Rebuild a URL naming the new database from the administration URL.
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base.to_owned(), format!("?{query}")),
        None => (url.clone(), String::new()),
    };
    let (scheme, rest) = base.split_once("://").expect("a URL");
    let authority = rest.split('/').next().expect("a host");
    let name = database.options.get_database().expect("a database name");
    let store = machi_store::open(&format!("{scheme}://{authority}/{name}{query}"))
        .await
        .expect("opens");
    assert_eq!(store.backend(), "postgres");
    assert!(store.organisations().await.expect("list").is_empty());
}

#[test]
fn error_codes_are_stable() {
    let codes: Vec<&str> = [
        StoreError::Conflict {
            base: 1,
            current: 2,
        },
        StoreError::Duplicate { what: "email" },
        StoreError::NotFound { what: "project" },
        StoreError::Corrupt("x".into()),
        StoreError::Database("x".into()),
    ]
    .iter()
    .map(StoreError::code)
    .collect();
    assert_eq!(
        codes,
        ["conflict", "duplicate", "not-found", "corrupt", "database"]
    );
}
