//! `Authorization: Bearer <key>`: who is calling, and which tenant's data they may touch.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use super::error::ApiError;
use crate::core::Hub;
use crate::record::TenantId;

/// An authenticated caller: the key's tenant and name.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The only tenant whose data this caller sees.
    pub tenant: TenantId,
    /// The key's name: recorded as `responded_by` and as the audit actor.
    pub name: String,
}

impl FromRequestParts<Hub> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, message);
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Err(unauthorized("Authorization header missing"));
        }
        let key = bearer_key(&parts.headers)
            .ok_or_else(|| unauthorized("Invalid authorization format. Use 'Bearer TOKEN'"))?;
        match hub.authenticate(key).await? {
            Some(owner) => Ok(Caller {
                tenant: owner.tenant,
                name: owner.name,
            }),
            None => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Invalid or revoked API key",
            )),
        }
    }
}

/// The key of an `Authorization: Bearer <key>` header, if the header is one.
pub(crate) fn bearer_key(headers: &HeaderMap) -> Option<&str> {
    let text = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let mut words = text.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(scheme), Some(key), None) if scheme.eq_ignore_ascii_case("bearer") => Some(key),
        _ => None,
    }
}
