//! Accounts and organisations (admins only): what the admin pages and the
//! API share. Every input is checked before anything is stored; a bad field
//! is [`AppError::InvalidField`] naming it.

use machi_domain::LocalGovCode;
use machi_store::{NewOrganisation, NewUser, OrgId, OrgKind, Organisation, Role, User};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserInput {
    /// E-mail (the log-in name).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Organisation id.
    pub organisation: i64,
    /// Role: `municipal-officer`, `provider`, `secretariat`, `reviewer`,
    /// `investor` or `admin`.
    pub role: String,
    /// `ja` (default) or `en`.
    #[serde(default)]
    pub lang: String,
    /// At least ten characters; empty to have one generated (shown once).
    #[serde(default)]
    pub password: String,
}

fn invalid(field: &str) -> AppError {
    AppError::InvalidField {
        field: field.into(),
    }
}

/// Creates an account; returns it and the generated password, if one was.
pub async fn create_user(
    state: &AppState,
    actor: &User,
    f: &NewUserInput,
) -> AppResult<(User, Option<String>)> {
    let email = f.email.trim().to_lowercase();
    if !email.contains('@') || email.len() < 3 {
        return Err(invalid("email"));
    }
    if f.name.trim().is_empty() {
        return Err(invalid("display-name"));
    }
    let role = Role::parse(&f.role).ok_or_else(|| invalid("role"))?;
    let organisation = OrgId(f.organisation);
    if state.store().organisation(organisation).await?.is_none() {
        return Err(invalid("organisation"));
    }
    let generated = f.password.is_empty();
    let password = if generated {
        auth::random_password()?
    } else {
        f.password.clone()
    };
    auth::check_new_password(&password)?;
    let password_hash = auth::hash_password(state.config().password_cost, password.clone()).await?;
    let new = NewUser {
        organisation,
        email,
        display_name: f.name.trim().to_owned(),
        role,
        lang: if f.lang == "en" { "en" } else { "ja" }.into(),
        password_hash,
    };
    let user = state.store().create_user(Some(actor.id), new).await?;
    Ok((user, generated.then_some(password)))
}

/// A new organisation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgInput {
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// `municipality`, `company`, `university`, `association`,
    /// `secretariat` or `investor`.
    pub kind: String,
    /// 全国地方公共団体コード (6 digits with its check digit), for a municipality.
    #[serde(default)]
    pub local_gov_code: String,
}

/// Creates an organisation.
pub async fn create_org(
    state: &AppState,
    actor: &User,
    f: &NewOrgInput,
) -> AppResult<Organisation> {
    let kind = OrgKind::parse(&f.kind).ok_or_else(|| invalid("org-kind"))?;
    if f.name_ja.trim().is_empty() {
        return Err(invalid("name-ja"));
    }
    let code = f.local_gov_code.trim();
    let local_gov_code = if code.is_empty() {
        None
    } else {
        let c = code
            .parse::<LocalGovCode>()
            .map_err(|_| invalid("municipality-code"))?;
        Some(c.as_str().to_owned())
    };
    let new = NewOrganisation {
        name_ja: f.name_ja.trim().to_owned(),
        name_en: f.name_en.trim().to_owned(),
        kind,
        local_gov_code,
    };
    Ok(state
        .store()
        .create_organisation(Some(actor.id), new)
        .await?)
}
