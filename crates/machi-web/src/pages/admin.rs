//! Admin pages: users and organisations (create a user with a role in an
//! organisation — machi's invitation), and the audit log (who, when, what,
//! before and after).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use machi_domain::LocalGovCode;
use machi_store::{AuditFilter, NewOrganisation, NewUser, OrgId, OrgKind, Role, VariantArray as _};
use serde::Deserialize;

use super::{Names, Opt, page, page_with, role_options, see_other};
use crate::AppState;
use crate::auth;
use crate::context::{Ctx, org_name, role_label};
use crate::diff::{self, Change};
use crate::error::{AppError, AppResult};
use crate::permissions::{Action, ProjectAccess, can};
use crate::view;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/organisations", axum::routing::post(create_org))
        .route("/admin/audit", get(audit))
}

fn require(ctx: &Ctx, action: Action) -> AppResult<()> {
    let me = &ctx.user()?.user;
    if can(me, action, ProjectAccess::Outsider) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

struct UserRow {
    name: String,
    email: String,
    org: String,
    role: &'static str,
    lang: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    ctx: &'a Ctx,
    users: Vec<UserRow>,
    orgs: Vec<Opt>,
    roles: Vec<Opt>,
    kinds: Vec<Opt>,
    created: Option<String>,
    password: Option<String>,
    error: Option<String>,
}

async fn users_page<'a>(
    state: &AppState,
    ctx: &'a Ctx,
    created: Option<String>,
    password: Option<String>,
    error: Option<String>,
) -> AppResult<UsersPage<'a>> {
    let lang = ctx.lang;
    let names = Names::load(state, lang).await?;
    Ok(UsersPage {
        ctx,
        users: names
            .users()
            .iter()
            .map(|u| UserRow {
                name: u.display_name.clone(),
                email: u.email.clone(),
                org: names.org(u.organisation),
                role: role_label(lang, u.role),
                lang: u.lang.clone(),
            })
            .collect(),
        orgs: names
            .orgs()
            .iter()
            .map(|o| Opt::new(o.id.to_string(), org_name(o, lang), false))
            .collect(),
        roles: role_options(lang, None),
        kinds: OrgKind::VARIANTS
            .iter()
            .map(|k| {
                Opt::new(
                    k.as_str(),
                    lang.t(&format!("web.org-kind.{}", k.as_str())),
                    false,
                )
            })
            .collect(),
        created,
        password,
        error,
    })
}

/// The users page with an error message, with the error's status.
async fn fail_page(state: &AppState, ctx: &Ctx, e: AppError) -> AppResult<Response> {
    let status = e.status();
    let p = users_page(state, ctx, None, None, Some(e.message(ctx.lang))).await?;
    page_with(status, &p)
}

async fn users(State(state): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    require(&ctx, Action::ManageUsers)?;
    page(&users_page(&state, &ctx, None, None, None).await?)
}

#[derive(Deserialize)]
struct NewUserForm {
    email: String,
    name: String,
    organisation: i64,
    role: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NewUserForm>,
) -> AppResult<Response> {
    require(&ctx, Action::ManageUsers)?;
    let me = &ctx.user()?.user;
    let lang = ctx.lang;
    let fail = |e: AppError| fail_page(&state, &ctx, e);
    let email = f.email.trim().to_lowercase();
    if !email.contains('@') || email.len() < 3 {
        return fail(AppError::InvalidField {
            field: "email".into(),
        })
        .await;
    }
    if f.name.trim().is_empty() {
        return fail(AppError::InvalidField {
            field: "display-name".into(),
        })
        .await;
    }
    let Some(role) = Role::parse(&f.role) else {
        return fail(AppError::InvalidField {
            field: "role".into(),
        })
        .await;
    };
    if state
        .store()
        .organisation(OrgId(f.organisation))
        .await?
        .is_none()
    {
        return fail(AppError::InvalidField {
            field: "organisation".into(),
        })
        .await;
    }
    let (password, generated) = if f.password.is_empty() {
        (auth::random_password()?, true)
    } else {
        (f.password.clone(), false)
    };
    if let Err(e) = auth::check_new_password(&password) {
        return fail(e).await;
    }
    let hash = auth::hash_password(state.config().password_cost, password.clone()).await?;
    let user_lang = if f.lang == "en" { "en" } else { "ja" };
    let created = state
        .store()
        .create_user(
            Some(me.id),
            NewUser {
                organisation: OrgId(f.organisation),
                email: email.clone(),
                display_name: f.name.trim().to_owned(),
                role,
                lang: user_lang.into(),
                password_hash: hash,
            },
        )
        .await;
    match created {
        Ok(u) => {
            let msg = lang.tf(
                "web.admin.user-created",
                &[
                    ("name", &u.display_name),
                    ("email", &u.email),
                    ("role", &role_label(lang, role)),
                ],
            );
            let p =
                users_page(&state, &ctx, Some(msg), generated.then_some(password), None).await?;
            page_with(StatusCode::CREATED, &p)
        }
        Err(e) => fail(e.into()).await,
    }
}

#[derive(Deserialize)]
struct NewOrgForm {
    name_ja: String,
    #[serde(default)]
    name_en: String,
    kind: String,
    #[serde(default)]
    local_gov_code: String,
}

async fn create_org(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NewOrgForm>,
) -> AppResult<Response> {
    require(&ctx, Action::ManageUsers)?;
    let me = &ctx.user()?.user;
    let fail = |e: AppError| fail_page(&state, &ctx, e);
    let Some(kind) = OrgKind::parse(&f.kind) else {
        return fail(AppError::InvalidField {
            field: "org-kind".into(),
        })
        .await;
    };
    if f.name_ja.trim().is_empty() {
        return fail(AppError::InvalidField {
            field: "name-ja".into(),
        })
        .await;
    }
    let code = f.local_gov_code.trim();
    let local_gov_code = if code.is_empty() {
        None
    } else {
        match code.parse::<LocalGovCode>() {
            Ok(c) => Some(c.as_str().to_owned()),
            Err(_) => {
                return fail(AppError::InvalidField {
                    field: "municipality-code".into(),
                })
                .await;
            }
        }
    };
    let r = state
        .store()
        .create_organisation(
            Some(me.id),
            NewOrganisation {
                name_ja: f.name_ja.trim().to_owned(),
                name_en: f.name_en.trim().to_owned(),
                kind,
                local_gov_code,
            },
        )
        .await;
    match r {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e) => fail(e.into()).await,
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    entity: Option<String>,
    id: Option<String>,
}

struct AuditRow {
    when: String,
    who: String,
    action: String,
    what: String,
    entity: String,
    /// The page of the entity, for projects.
    link: Option<String>,
    summary: String,
    changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    ctx: &'a Ctx,
    entries: Vec<AuditRow>,
    entities: Vec<Opt>,
    entity_id: String,
}

/// At most this many changed fields are listed per entry (a creation lists
/// the whole document).
const MAX_CHANGES: usize = 40;

async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    require(&ctx, Action::ViewAudit)?;
    let lang = ctx.lang;
    let entity = q.entity.filter(|e| !e.is_empty());
    let entity_id =
        q.id.filter(|e| !e.trim().is_empty())
            .map(|s| s.trim().to_owned());
    let entries = state
        .store()
        .audit(AuditFilter {
            entity: entity.clone(),
            entity_id: entity_id.clone(),
            limit: Some(200),
        })
        .await?;
    let names = Names::load(&state, lang).await?;
    let rows = entries
        .iter()
        .map(|e| {
            let mut changes = diff::diff_values(e.before.as_ref(), e.after.as_ref(), lang);
            let total = changes.len();
            changes.truncate(MAX_CHANGES);
            let key = format!("web.audit.action.{}", e.action);
            AuditRow {
                when: view::when(e.at),
                who: e
                    .actor
                    .map_or_else(|| lang.t("web.audit.system").to_owned(), |a| names.user(a)),
                action: e.action.clone(),
                what: if lang.has(&key) {
                    lang.t(&key).to_owned()
                } else {
                    e.action.clone()
                },
                entity: format!("{} #{}", entity_label(lang, &e.entity), e.entity_id),
                link: (e.entity == "project").then(|| format!("/projects/{}", e.entity_id)),
                summary: lang.tf("web.audit.n-changes", &[("count", &total)]),
                changes,
            }
        })
        .collect();
    let entities = ["project", "user", "organisation"]
        .iter()
        .map(|k| Opt::new(*k, entity_label(lang, k), entity.as_deref() == Some(*k)))
        .collect();
    page(&AuditPage {
        ctx: &ctx,
        entries: rows,
        entities,
        entity_id: entity_id.unwrap_or_default(),
    })
}

fn entity_label(lang: machi_i18n::Lang, entity: &str) -> String {
    let key = format!("web.audit.entity-kind.{entity}");
    if lang.has(&key) {
        lang.t(&key).to_owned()
    } else {
        entity.to_owned()
    }
}
