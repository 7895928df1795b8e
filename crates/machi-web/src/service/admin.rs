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
    #[schema(pattern = "^[^@\\s]+@[^@\\s]+$", max_length = 254)]
    pub email: String,
    /// Display name.
    #[schema(pattern = "\\S", max_length = 200)]
    pub name: String,
    /// Organisation id.
    #[schema(minimum = 1)]
    #[serde(deserialize_with = "crate::service::whole_number")]
    pub organisation: i64,
    /// Role.
    #[schema(pattern = "^(municipal-officer|provider|secretariat|reviewer|investor|admin)$")]
    pub role: String,
    /// `ja` (default) or `en`.
    #[serde(default)]
    #[schema(pattern = "^(ja|en)?$")]
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

/// The longest name (organisation, person) accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest e-mail address (RFC 5321 §4.5.3.1.3 path limit less `<>`).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Whether `s` is at most `max` characters with no control character (a
/// name or an e-mail is one line of text).
fn plain(s: &str, max: usize) -> bool {
    s.chars().count() <= max && !s.chars().any(char::is_control)
}

/// Creates an account; returns it and the generated password, if one was.
pub async fn create_user(
    state: &AppState,
    actor: &User,
    f: &NewUserInput,
) -> AppResult<(User, Option<String>)> {
    let email = f.email.trim().to_lowercase();
    if !email.contains('@') || email.len() < 3 || !plain(&email, MAX_EMAIL_CHARS) {
        return Err(invalid("email"));
    }
    if f.name.trim().is_empty() || !plain(&f.name, MAX_NAME_CHARS) {
        return Err(invalid("display-name"));
    }
    let role = Role::parse(&f.role).ok_or_else(|| invalid("role"))?;
    let lang = match f.lang.as_str() {
        "" | "ja" => "ja",
        "en" => "en",
        _ => return Err(invalid("lang")),
    };
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
        lang: lang.into(),
        password_hash,
    };
    let user = state.store().create_user(Some(actor.id), new).await?;
    Ok((user, generated.then_some(password)))
}

/// A new organisation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgInput {
    /// Name in Japanese.
    #[schema(pattern = "\\S", max_length = 200)]
    pub name_ja: String,
    /// Name in English.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name_en: String,
    /// Kind of organisation.
    #[schema(pattern = "^(municipality|company|university|association|secretariat|investor)$")]
    pub kind: String,
    /// 全国地方公共団体コード (6 digits with its check digit), for a municipality.
    #[serde(default)]
    #[schema(pattern = "^([0-9]{6})?$")]
    pub local_gov_code: String,
}

/// Creates an organisation.
pub async fn create_org(
    state: &AppState,
    actor: &User,
    f: &NewOrgInput,
) -> AppResult<Organisation> {
    let kind = OrgKind::parse(&f.kind).ok_or_else(|| invalid("org-kind"))?;
    if f.name_ja.trim().is_empty() || !plain(&f.name_ja, MAX_NAME_CHARS) {
        return Err(invalid("name-ja"));
    }
    if !plain(&f.name_en, MAX_NAME_CHARS) {
        return Err(invalid("name-en"));
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
