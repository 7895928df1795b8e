//! Accounts: argon2id password hashes, session tokens, cookies and log-in
//! with throttling.
//!
//! A session is a random 256-bit token in an HttpOnly, SameSite=Lax cookie
//! (`Secure` behind HTTPS, `--secure-cookies`). The database keeps only the
//! token's SHA-256, so a leaked database does not leak live sessions, and any
//! app server sharing the database can serve any request. Each session has
//! its own random CSRF token, which every mutating request must echo (a
//! hidden `csrf` form field or the `X-CSRF-Token` header; see
//! [`crate::context`]).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "machi_session";
/// The language cookie (before log-in; after it the user's setting rules).
pub const LANG_COOKIE: &str = "machi_lang";
/// The pre-session CSRF cookie (double-submit token for the log-in and
/// language forms, which are posted before a session exists).
pub const PRE_CSRF_COOKIE: &str = "machi_csrf";
/// The shortest password accepted for a new account.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Cost parameters of argon2id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl Default for PasswordCost {
    /// OWASP's first recommendation for argon2id (m = 19 MiB, t = 2, p = 1),
    /// which is also the argon2 crate's default.
    fn default() -> Self {
        PasswordCost {
            m_cost: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordCost {
    /// The cheapest parameters argon2 accepts: for tests only, where an
    /// unoptimised build would otherwise spend seconds per hash.
    pub fn insecure_fast() -> Self {
        PasswordCost {
            m_cost: Params::MIN_M_COST,
            t_cost: 1,
            p_cost: 1,
        }
    }

    fn hasher(self) -> AppResult<Argon2<'static>> {
        let params = Params::new(self.m_cost, self.t_cost, self.p_cost, None)
            .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// An argon2id PHC string for `password`.
    pub fn hash(self, password: &str) -> AppResult<String> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(format!("salt: {e}")))?;
        let hash = self
            .hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| AppError::Internal(format!("argon2: {e}")))?;
        Ok(hash.to_string())
    }
}

/// Whether `password` matches the PHC string `hash` (its own parameters are
/// used, so hashes made with other costs still verify).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds by design.
pub async fn hash_password(cost: PasswordCost, password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || cost.hash(&password))
        .await
        .map_err(|e| AppError::Internal(format!("hash task: {e}")))?
}

/// Checks a new password against the policy (length only: NIST SP 800-63B
/// §5.1.1 advises against composition rules).
pub fn check_new_password(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::InvalidField {
            field: "password".into(),
        });
    }
    Ok(())
}

fn fill_random(buf: &mut [u8]) -> AppResult<()> {
    getrandom::fill(buf).map_err(|e| AppError::Internal(format!("random: {e}")))
}

/// A random 256-bit token, hex.
pub fn random_token() -> AppResult<String> {
    let mut b = [0u8; 32];
    fill_random(&mut b)?;
    Ok(hex(&b))
}

/// A random password for an invited user: 16 characters from an alphabet
/// without look-alikes (no 0/O, 1/l/I).
pub fn random_password() -> AppResult<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 16];
    fill_random(&mut b)?;
    Ok(b.iter()
        .map(|x| char::from(ALPHABET[usize::from(*x) % ALPHABET.len()]))
        .collect())
}

/// SHA-256 of a session token, hex: what the database stores.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Compares two secrets in time independent of where they differ
/// (`subtle`; lengths are not secret).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in a `Cookie` header (RFC 6265 §4.2, parsed
/// by the `cookie` crate; unparseable pairs are skipped).
pub fn cookie(header: &str, name: &str) -> Option<String> {
    cookie::Cookie::split_parse(header)
        .flatten()
        .find(|c| c.name() == name)
        .map(|c| c.value_trimmed().to_owned())
}

/// A `Set-Cookie` value: SameSite=Lax, path `/`, `HttpOnly` and `Secure`
/// when asked; `max_age` in seconds (0 deletes).
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool, http_only: bool) -> String {
    cookie::Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .same_site(cookie::SameSite::Lax)
        .http_only(http_only)
        .secure(secure)
        .build()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let cost = PasswordCost::insecure_fast();
        let h = cost.hash("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsE"));
        assert!(!verify_password("not a hash", "x"));
        // A fresh salt each time.
        assert_ne!(h, cost.hash("correct horse").expect("hash"));
    }

    #[test]
    fn the_default_cost_is_owasp_s() {
        let c = PasswordCost::default();
        assert_eq!((c.m_cost, c.t_cost, c.p_cost), (19 * 1024, 2, 1));
    }

    #[test]
    fn tokens_are_256_bit_and_hashed_with_sha256() {
        let t = random_token().expect("token");
        assert_eq!(t.len(), 64);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(t, random_token().expect("token"));
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn cookies_parse_and_render() {
        let h = "a=1; machi_session=abc; machi_lang=en";
        assert_eq!(cookie(h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(h, LANG_COOKIE).as_deref(), Some("en"));
        assert_eq!(cookie(h, "b"), None);
        // A quoted value and a pair without `=` do not hide the others.
        assert_eq!(
            cookie("x; machi_lang=\"en\"", LANG_COOKIE),
            Some("en".into())
        );
        let parsed = |s: String| {
            let mut parts: Vec<String> = s.split("; ").map(str::to_owned).collect();
            parts.sort();
            parts
        };
        assert_eq!(
            parsed(set_cookie("n", "v", 60, true, true)),
            [
                "HttpOnly",
                "Max-Age=60",
                "Path=/",
                "SameSite=Lax",
                "Secure",
                "n=v"
            ]
        );
        assert_eq!(
            parsed(set_cookie("n", "v", 60, false, false)),
            ["Max-Age=60", "Path=/", "SameSite=Lax", "n=v"]
        );
    }

    #[test]
    fn password_policy_and_generated_passwords() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("ten chars!").is_ok());
        // Ten characters, counted as characters rather than bytes.
        assert!(check_new_password("まちまちまちまちまち").is_ok());
        let p = random_password().expect("password");
        assert_eq!(p.chars().count(), 16);
        assert!(check_new_password(&p).is_ok());
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
