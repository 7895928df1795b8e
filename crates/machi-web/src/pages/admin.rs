//! Admin pages: users and organisations (create a user with a role in an
//! organisation — machi's invitation), and the audit log (who, when, what,
//! before and after).

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use machi_i18n::Lang;
use machi_store::{AuditEntry, AuditFilter, OrgKind, VariantArray as _};
use serde::Deserialize;

use crate::ctx::{Ctx, org_name, role_label};
use crate::diff::{self, Change};
use crate::error::{AppError, AppResult};
use crate::extract::{Can, ManageUsers, ViewAudit};
use crate::http::see_other;
use crate::pages::common::{Names, Opt, PageRoutes, Twin, page, page_with, role_options};
use crate::service::admin::{self as service, NewOrgInput, NewUserInput};
use crate::state::AppState;
use crate::view;

pub fn routes() -> PageRoutes {
    PageRoutes::new()
        .get("/admin/users", users, Twin::Api("GET /api/v1/admin/users"))
        .post(
            "/admin/users",
            create_user,
            Twin::Api("POST /api/v1/admin/users"),
        )
        .post(
            "/admin/organisations",
            create_org,
            Twin::Api("POST /api/v1/admin/organisations"),
        )
        .get("/admin/audit", audit, Twin::Api("GET /api/v1/admin/audit"))
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

async fn users(s: Can<ManageUsers>) -> AppResult<Response> {
    page(&users_page(&s.state, &s.ctx, None, None, None).await?)
}

async fn create_user(s: Can<ManageUsers>, Form(f): Form<NewUserInput>) -> AppResult<Response> {
    let lang = s.lang();
    match service::create_user(&s.state, s.user(), &f).await {
        Ok((u, password)) => {
            let role = role_label(lang, u.role);
            let msg = lang.tf(
                "web.admin.user-created",
                &[
                    ("name", &u.display_name),
                    ("email", &u.email),
                    ("role", &role),
                ],
            );
            let p = users_page(&s.state, &s.ctx, Some(msg), password, None).await?;
            page_with(StatusCode::CREATED, &p)
        }
        Err(e) => fail_page(&s.state, &s.ctx, e).await,
    }
}

async fn create_org(s: Can<ManageUsers>, Form(f): Form<NewOrgInput>) -> AppResult<Response> {
    match service::create_org(&s.state, s.user(), &f).await {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e) => fail_page(&s.state, &s.ctx, e).await,
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

async fn audit(s: Can<ViewAudit>, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    let lang = s.lang();
    let entity = q.entity.filter(|e| !e.is_empty());
    let entity_id = q.id.map(|s| s.trim().to_owned()).filter(|e| !e.is_empty());
    let filter = AuditFilter {
        entity: entity.clone(),
        entity_id: entity_id.clone(),
        limit: Some(200),
    };
    let entries = s.state.store().audit(filter).await?;
    let names = Names::load(&s.state, lang).await?;
    let entities = ["project", "user", "organisation"]
        .iter()
        .map(|k| Opt::new(*k, entity_label(lang, k), entity.as_deref() == Some(*k)))
        .collect();
    page(&AuditPage {
        ctx: &s.ctx,
        entries: entries
            .iter()
            .map(|e| AuditRow::new(e, &names, lang))
            .collect(),
        entities,
        entity_id: entity_id.unwrap_or_default(),
    })
}

impl AuditRow {
    /// An entry as people read it: who, what, which, and the first
    /// [`MAX_CHANGES`] changed fields.
    fn new(e: &AuditEntry, names: &Names, lang: Lang) -> AuditRow {
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
    }
}

fn entity_label(lang: Lang, entity: &str) -> String {
    let key = format!("web.audit.entity-kind.{entity}");
    if lang.has(&key) {
        lang.t(&key).to_owned()
    } else {
        entity.to_owned()
    }
}
