//! The stored records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use strum::VariantArray;

macro_rules! key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

key!(
    /// An organisation's database id.
    OrgId
);
key!(
    /// A user's database id.
    UserId
);
key!(
    /// A project's database id.
    ProjectKey
);

/// Kinds of organisation that use machi.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum OrgKind {
    /// 地方公共団体 (municipality or prefecture).
    Municipality,
    /// 民間企業 (company, solution provider).
    Company,
    /// 大学・研究機関.
    University,
    /// 協議会・一般社団法人等.
    Association,
    /// 事業事務局 (program secretariat: Tokyo, MLIT, MIC, …).
    Secretariat,
    /// 投資家・金融機関.
    Investor,
}

impl OrgKind {
    /// The kebab-case name stored in the database.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<OrgKind> {
        s.parse().ok()
    }
}

/// A user's role; what it may do is decided in the web layer's permission
/// matrix.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Role {
    /// 自治体担当者.
    MunicipalOfficer,
    /// ソリューション提供者 (company, university).
    Provider,
    /// 事務局.
    Secretariat,
    /// 審査委員.
    Reviewer,
    /// 投資家.
    Investor,
    /// 管理者.
    Admin,
}

impl Role {
    /// The kebab-case name stored in the database.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        s.parse().ok()
    }
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Id.
    pub id: OrgId,
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
    /// Kind.
    pub kind: OrgKind,
    /// 全国地方公共団体コード for a municipality.
    pub local_gov_code: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A new organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    /// Name in Japanese.
    pub name_ja: String,
    /// Name in English.
    pub name_en: String,
    /// Kind.
    pub kind: OrgKind,
    /// 全国地方公共団体コード for a municipality.
    pub local_gov_code: Option<String>,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Organisation.
    pub organisation: OrgId,
    /// E-mail, stored lower-case; the log-in name.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Preferred language: `ja` or `en`.
    pub lang: String,
    /// Argon2id PHC string. Never serialised to clients by the web layer.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A new user; the password is already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Organisation.
    pub organisation: OrgId,
    /// E-mail (stored lower-case).
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Preferred language: `ja` or `en`.
    pub lang: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 of the cookie token, hex.
    pub token_hash: String,
    /// The user.
    pub user: UserId,
    /// The CSRF token forms must echo (random, per session).
    pub csrf_token: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expires.
    pub expires_at: DateTime<Utc>,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie token, hex.
    pub token_hash: String,
    /// The user.
    pub user: UserId,
    /// The CSRF token forms must echo.
    pub csrf_token: String,
    /// Expires.
    pub expires_at: DateTime<Utc>,
}

/// A project as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// Id.
    pub id: ProjectKey,
    /// The project file's own id (slug).
    pub slug: String,
    /// Name in Japanese (of the latest version).
    pub name_ja: String,
    /// Name in English (of the latest version; Japanese if none).
    pub name_en: String,
    /// Owning organisation.
    pub owner: OrgId,
    /// Latest version number (1-based).
    pub version: i64,
    /// When the latest version was saved.
    pub updated_at: DateTime<Utc>,
    /// Who saved it.
    pub updated_by: UserId,
}

/// A version's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMeta {
    /// The project.
    pub project: ProjectKey,
    /// Version number, 1-based, without gaps.
    pub version: i64,
    /// Author.
    pub author: UserId,
    /// Saved.
    pub created_at: DateTime<Utc>,
    /// The author's note ("restored version 3", "imported from Excel", …).
    pub note: String,
}

/// A version with its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVersion {
    /// Metadata.
    pub meta: VersionMeta,
    /// The project file's content at that version.
    pub document: machi_domain::Project,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`None` for the system: migrations, demo data, CLI).
    pub actor: Option<UserId>,
    /// What, as a stable code: `organisation.create`, `user.create`,
    /// `user.lang`, `project.create`, `project.save`, `project.organisations`.
    pub action: String,
    /// The kind of thing changed: `organisation`, `user`, `project`.
    pub entity: String,
    /// Its id.
    pub entity_id: String,
    /// The state before (JSON), when there was one.
    pub before: Option<serde_json::Value>,
    /// The state after (JSON).
    pub after: Option<serde_json::Value>,
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this kind of entity.
    pub entity: Option<String>,
    /// Only this entity id.
    pub entity_id: Option<String>,
    /// At most this many (newest first); `None` means 200.
    pub limit: Option<u32>,
}
