//! The approvers who sign in to the web inbox: roles, Argon2id password hashes, and the random
//! tokens behind sign-in sessions and their CSRF protection.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use serde::Serialize;

use crate::record::TenantId;

/// How long a sign-in lasts (ms): a working day, then the approver signs in again.
pub(crate) const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

/// The shortest password `ghl users` accepts.
pub const MIN_PASSWORD_LEN: usize = 10;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees and answers the requests of the tenants it is granted.
    Approver,
    /// Sees every tenant and manages API keys.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "approver" => Ok(Role::Approver),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role '{other}' (approver or admin)")),
        }
    }
}

/// A tenant, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its name.
    pub name: String,
}

/// An account as `ghl users list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserInfo {
    /// Its id.
    pub id: i64,
    /// The sign-in name, recorded as `responded_by` for its answers.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The tenants it is granted (admins see every tenant regardless).
    pub tenants: Vec<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it was disabled (RFC 3339), if it was.
    pub disabled_at: Option<String>,
}

/// What signing in checks.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account's id.
    pub user_id: i64,
    /// The stored Argon2id hash (PHC string).
    pub password_hash: String,
    /// A disabled account cannot sign in.
    pub disabled: bool,
}

/// A live sign-in session and the account behind it.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The account's id.
    pub user_id: i64,
    /// The account's name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The session's CSRF token, which every form must echo.
    pub csrf: String,
    /// The tenants whose requests it sees.
    pub tenants: Vec<Tenant>,
}

impl SessionUser {
    /// Whether this account sees the tenant.
    pub fn sees(&self, tenant: TenantId) -> bool {
        self.tenants.iter().any(|t| t.id == tenant)
    }
}

/// A password could not be hashed (only on a broken random source).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// An Argon2id hash of a password (default parameters, random salt), as a PHC string.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a stored hash (a malformed hash matches nothing).
pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Spends the time a real check takes, so that an unknown name cannot be told apart from a
/// wrong password by how long the answer takes.
pub(crate) fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored =
        DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default());
    let _ = verify_password(password, stored);
}

/// A random secret token (244 random bits, hex): session cookies, CSRF tokens.
pub(crate) fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A random password for a new account (20 hex digits, 76 random bits).
pub fn random_password() -> String {
    let mut text = uuid::Uuid::new_v4().simple().to_string();
    text.truncate(20);
    text
}

/// Constant-time comparison of two secrets.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 64);
    }
}
