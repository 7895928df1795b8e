//! Demo data for `machi serve --demo`: a municipality (久留米市), two
//! companies, a university, a program secretariat, an investor and an
//! operator; one user per role; the example projects with their consortia.
//!
//! Loading is idempotent: on a database that already has the demo accounts
//! nothing is added and the same log-ins are reported. Every demo account
//! shares [`DEMO_PASSWORD`], which is printed at start: demo databases are
//! for trying machi, never for real data.

use machi_domain::Project;
use machi_domain::project::Text;
use machi_store::{NewOrganisation, NewUser, OrgId, OrgKind, Role, User};

use crate::auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "machi-demo-2025";

/// The example projects built into the binary, used when `examples/` is not
/// in the working directory.
pub const EMBEDDED_EXAMPLES: &[(&str, &str)] = &[
    (
        "kurume-flood-ai.toml",
        include_str!("../../../examples/kurume-flood-ai.toml"),
    ),
    (
        "hino-mimamori.toml",
        include_str!("../../../examples/hino-mimamori.toml"),
    ),
    (
        "kashiwanoha-area-services.toml",
        include_str!("../../../examples/kashiwanoha-area-services.toml"),
    ),
    (
        "sano-urban-os.toml",
        include_str!("../../../examples/sano-urban-os.toml"),
    ),
];

struct OrgSpec {
    key: &'static str,
    ja: &'static str,
    en: &'static str,
    kind: OrgKind,
    code: Option<&'static str>,
}

const ORGS: &[OrgSpec] = &[
    OrgSpec {
        key: "kurume",
        ja: "久留米市",
        en: "Kurume City",
        kind: OrgKind::Municipality,
        code: Some("402036"),
    },
    OrgSpec {
        key: "sensing",
        ja: "筑後センシング株式会社（デモ）",
        en: "Chikugo Sensing Co. (demo)",
        kind: OrgKind::Company,
        code: None,
    },
    OrgSpec {
        key: "mobility",
        ja: "南部モビリティ株式会社（デモ）",
        en: "Nanbu Mobility Co. (demo)",
        kind: OrgKind::Company,
        code: None,
    },
    OrgSpec {
        key: "university",
        ja: "筑後川まちづくり大学（デモ）",
        en: "Chikugo River Urban Studies University (demo)",
        kind: OrgKind::University,
        code: None,
    },
    OrgSpec {
        key: "secretariat",
        ja: "スマートシティ支援事業 事務局（デモ）",
        en: "Smart City Support Program Secretariat (demo)",
        kind: OrgKind::Secretariat,
        code: None,
    },
    OrgSpec {
        key: "fund",
        ja: "まちづくりインフラファンド（デモ）",
        en: "Machizukuri Infrastructure Fund (demo)",
        kind: OrgKind::Investor,
        code: None,
    },
    OrgSpec {
        key: "operator",
        ja: "machi 運営（デモ）",
        en: "machi operations (demo)",
        kind: OrgKind::Association,
        code: None,
    },
];

struct UserSpec {
    email: &'static str,
    name: &'static str,
    org: &'static str,
    role: Role,
}

const USERS: &[UserSpec] = &[
    UserSpec {
        email: "officer@kurume.example",
        name: "久留米 太郎",
        org: "kurume",
        role: Role::MunicipalOfficer,
    },
    UserSpec {
        email: "provider@sensing.example",
        name: "筑後 花子",
        org: "sensing",
        role: Role::Provider,
    },
    UserSpec {
        email: "provider@mobility.example",
        name: "南部 次郎",
        org: "mobility",
        role: Role::Provider,
    },
    UserSpec {
        email: "researcher@university.example",
        name: "川辺 三奈",
        org: "university",
        role: Role::Provider,
    },
    UserSpec {
        email: "secretariat@secretariat.example",
        name: "事務 四郎",
        org: "secretariat",
        role: Role::Secretariat,
    },
    UserSpec {
        email: "reviewer@secretariat.example",
        name: "審査 五月",
        org: "secretariat",
        role: Role::Reviewer,
    },
    UserSpec {
        email: "investor@fund.example",
        name: "投資 六花",
        org: "fund",
        role: Role::Investor,
    },
    UserSpec {
        email: "admin@machi.example",
        name: "管理 七海",
        org: "operator",
        role: Role::Admin,
    },
];

/// Which user creates each example, and which organisations are in its
/// consortium: the Kurume project is shared by the city, a company and the
/// university; the others are single applicants' drafts, so each company
/// sees its own and not the other's.
fn placement(file: &str) -> (&'static str, &'static [&'static str]) {
    match file {
        "kurume-flood-ai.toml" => (
            "officer@kurume.example",
            &["kurume", "sensing", "university"],
        ),
        "hino-mimamori.toml" => ("provider@sensing.example", &["sensing"]),
        "kashiwanoha-area-services.toml" => ("researcher@university.example", &["university"]),
        "sano-urban-os.toml" => ("provider@mobility.example", &["mobility"]),
        _ => ("officer@kurume.example", &["kurume"]),
    }
}

/// A demo log-in, for printing.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// E-mail.
    pub email: &'static str,
    /// Role.
    pub role: Role,
    /// Organisation (Japanese name).
    pub organisation: &'static str,
}

/// What [`load`] did.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    /// The accounts (all share [`DEMO_PASSWORD`]).
    pub accounts: Vec<DemoAccount>,
    /// Projects created: (file, project id).
    pub projects: Vec<(String, i64)>,
    /// Files that could not be loaded, with the reason.
    pub skipped: Vec<(String, String)>,
    /// The demo data was there already; nothing was added.
    pub already_loaded: bool,
}

fn accounts() -> Vec<DemoAccount> {
    USERS
        .iter()
        .map(|u| DemoAccount {
            email: u.email,
            role: u.role,
            organisation: ORGS.iter().find(|o| o.key == u.org).map_or("", |o| o.ja),
        })
        .collect()
}

/// Loads the demo organisations, users and the given project files
/// (name, TOML or JSON text).
pub async fn load(state: &AppState, files: &[(String, String)]) -> AppResult<DemoReport> {
    let store = state.store();
    let mut report = DemoReport {
        accounts: accounts(),
        ..DemoReport::default()
    };
    if store.user_by_email(USERS[0].email).await?.is_some() {
        report.already_loaded = true;
        return Ok(report);
    }
    let mut orgs: Vec<(&str, OrgId)> = Vec::new();
    for o in ORGS {
        let created = store
            .create_organisation(
                None,
                NewOrganisation {
                    name_ja: o.ja.into(),
                    name_en: o.en.into(),
                    kind: o.kind,
                    local_gov_code: o.code.map(str::to_owned),
                },
            )
            .await?;
        orgs.push((o.key, created.id));
    }
    let org = |key: &str| {
        orgs.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, id)| *id)
            .ok_or_else(|| AppError::Internal(format!("demo organisation {key}")))
    };
    // One hash for all: they share the password anyway.
    let hash = auth::hash_password(state.config().password_cost, DEMO_PASSWORD.into()).await?;
    let mut users: Vec<User> = Vec::new();
    for u in USERS {
        users.push(
            store
                .create_user(
                    None,
                    NewUser {
                        organisation: org(u.org)?,
                        email: u.email.into(),
                        display_name: u.name.into(),
                        role: u.role,
                        lang: "ja".into(),
                        password_hash: hash.clone(),
                    },
                )
                .await?,
        );
    }
    for (name, text) in files {
        let parsed = crate::service::projects::parse_project(text, Some(name));
        let project = match parsed {
            Ok(p) => p,
            Err(e) => {
                let why = e.problems(machi_i18n::Lang::En).join("; ");
                report.skipped.push((name.clone(), why));
                continue;
            }
        };
        let (creator, members) = placement(name);
        let Some(user) = users.iter().find(|u| u.email == creator) else {
            continue;
        };
        let consortium = members
            .iter()
            .map(|k| org(k))
            .collect::<AppResult<Vec<_>>>()?;
        let meta = match store
            .create_project(
                user.id,
                user.organisation,
                &consortium,
                &project,
                &format!("デモ: {name} から読み込み / demo: loaded from {name}"),
            )
            .await
        {
            Ok(m) => m,
            Err(e) => {
                report.skipped.push((name.clone(), e.to_string()));
                continue;
            }
        };
        // A second version, so that versions and their comparison have
        // something to show from the first minute.
        if name == "kurume-flood-ai.toml"
            && let Some(editor) = users.iter().find(|u| u.email == "provider@sensing.example")
        {
            let mut v2: Project = project.clone();
            let concept = v2.application.key_concept.take();
            v2.application.key_concept = Some(Text {
                ja: format!(
                    "{}（デモ：水位計事業者が追記）",
                    concept
                        .as_ref()
                        .map_or("AI水位予測で内水氾濫に先手を打つ", |t| t
                            .ja
                            .as_str())
                ),
                en: concept.and_then(|t| t.en),
            });
            store
                .save_version(
                    editor.id,
                    meta.project,
                    meta.version,
                    &v2,
                    "デモ: キーコンセプトを追記 / demo: key concept extended",
                )
                .await?;
        }
        report.projects.push((name.clone(), meta.project.0));
    }
    Ok(report)
}
