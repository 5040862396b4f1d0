//! The policy's grants over HTTP: list a tenant's grants, revoke one. A grant is given with an
//! approval (`grant` in the body of `POST /api/v1/requests/{id}/approve`); `--test-clock`
//! hubs also move their clock here.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::auth::Caller;
use super::error::{ok, ApiError, JsonBody, PathParam};
use crate::core::Hub;
use crate::record::now_ms;

/// How many grants a list shows at most.
const LIST_LIMIT: u32 = 500;

/// `GET /api/v1/grants`: the caller's tenant's grants, newest first, each with `live`.
#[utoipa::path(
    get,
    path = "/api/v1/grants",
    operation_id = "list_grants",
    tag = "answering",
    summary = "The tenant's grants",
    description = "Newest first (at most 500), live or not: a grant is live until it expires, is used (single use) or is revoked.",
    responses(
        (status = 200, description = "Grants: `{grants: [{…, live}]}`", body = Object),
    )
)]
pub async fn list(State(hub): State<Hub>, caller: Caller) -> Result<Response, ApiError> {
    let now = now_ms();
    let grants: Vec<_> = hub
        .store()
        .grants(caller.tenant, LIST_LIMIT)
        .await?
        .into_iter()
        .map(|g| {
            let live = g.live(now);
            let mut shown = json!(g);
            shown["live"] = json!(live);
            shown
        })
        .collect();
    Ok(ok(json!({ "grants": grants })))
}

/// `POST /api/v1/grants/{id}/revoke`: ends a live grant at once.
#[utoipa::path(
    post,
    path = "/api/v1/grants/{id}/revoke",
    operation_id = "revoke_grant",
    tag = "answering",
    summary = "Revoke a grant",
    description = "The grant approves nothing from now on. 409 if it had ended already (used, revoked); expired grants are revoked all the same.",
    params(("id" = String, Path, description = "The grant's id")),
    responses(
        (status = 200, description = "Revoked", body = Object),
        (status = 404, description = "No such grant", body = super::schemas::ErrorBody),
        (status = 409, description = "It had ended already", body = super::schemas::ErrorBody),
    )
)]
pub async fn revoke(
    State(hub): State<Hub>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<Response, ApiError> {
    match hub
        .store()
        .revoke_grant(caller.tenant, &id, &caller.name, now_ms())
        .await?
    {
        Some(true) => Ok(ok(json!({ "revoked": id }))),
        Some(false) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            format!("grant {id} had ended already (used or revoked)"),
        )),
        None => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            format!("no grant {id}"),
        )),
    }
}

/// Body of `POST /api/v1/test/clock`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// How many seconds to move the hub's clock forward.
    advance_secs: u64,
}

/// `POST /api/v1/test/clock` (only on `ghl serve --test-clock`): moves the hub's clock forward
/// and runs what fell due (deadlines, the plans' defaults), so that tests need not sleep.
pub async fn advance_clock(
    State(hub): State<Hub>,
    _caller: Caller,
    JsonBody(body): JsonBody<ClockBody>,
) -> Result<Response, ApiError> {
    let ms = i64::try_from(body.advance_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let now = hub.advance_clock(ms);
    Ok(ok(json!({ "now_ms": now })))
}
