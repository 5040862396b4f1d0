//! `GET /health`, `GET /ready` and `GET /metrics` (no key needed): what an operator, a load
//! balancer and Prometheus ask a node.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::core::Hub;

/// The path of the metrics.
pub(crate) const METRICS: &str = "/metrics";

/// How long the database may take to answer a health check before it counts as unreachable.
const PING_LIMIT: Duration = Duration::from_secs(2);

/// Whether the database answers a round trip within [`PING_LIMIT`].
async fn reachable(hub: &Hub) -> bool {
    matches!(
        tokio::time::timeout(PING_LIMIT, hub.store().ping()).await,
        Ok(Ok(()))
    )
}

fn unavailable(fields: serde_json::Value) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(fields)).into_response()
}

/// `GET /health` (no key needed): `{"status":"ok","database":"reachable"}`, or 503
/// `{"status":"unavailable"}` while the database does not answer or does not take writes.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "hub",
    summary = "Liveness (no key needed)",
    description = "Also served as `/api/health`, and also when the hub is at its connection cap. The database is asked for one round trip (at most 2 s).",
    security(()),
    responses(
        (status = 200, description = "`{\"status\":\"ok\",\"database\":\"reachable\"}`", body = super::schemas::Health),
        (status = 503, description = "The database does not answer, or does not take writes (the last write failed): `{\"status\":\"unavailable\",\"database\":…,\"success\":false,\"error\":…}`", body = super::schemas::Health),
    )
)]
pub async fn health(State(hub): State<Hub>) -> Response {
    if !reachable(&hub).await {
        return unavailable(json!({
            "status": "unavailable",
            "database": "unreachable",
            "success": false,
            "error": "the hub cannot reach its database; its log says why",
        }));
    }
    if hub.store().writable() {
        axum::Json(json!({"status": "ok", "database": "reachable"})).into_response()
    } else {
        unavailable(json!({
            "status": "unavailable",
            "database": "reachable",
            "success": false,
            "error": "the hub cannot write to its database; its log says why",
        }))
    }
}

/// `GET /ready` (no key needed): 200 `{"status":"ready"}` while this node can serve — its
/// database answers and takes writes, and it is not shutting down — else 503 with the reason:
/// a load balancer's health check.
#[utoipa::path(
    get,
    path = "/ready",
    operation_id = "ready",
    tag = "hub",
    summary = "Readiness, for load balancers (no key needed)",
    description = "Also served as `/api/ready`, and also when the hub is at its connection cap. 503 while the database does not answer (at most 2 s) or does not take writes, and once the node has begun shutting down.",
    security(()),
    responses(
        (status = 200, description = "`{\"status\":\"ready\"}`", body = super::schemas::Health),
        (status = 503, description = "`{\"status\":\"unavailable\",\"success\":false,\"error\":…}`", body = super::schemas::Health),
    )
)]
pub async fn ready(State(hub): State<Hub>) -> Response {
    let why = if *hub.shutdown_signal().borrow() {
        Some("the node is shutting down")
    } else if !reachable(&hub).await {
        Some("the node cannot reach its database")
    } else if !hub.store().writable() {
        Some("the node cannot write to its database")
    } else {
        None
    };
    match why {
        None => axum::Json(json!({"status": "ready"})).into_response(),
        Some(why) => unavailable(json!({"status": "unavailable", "success": false, "error": why})),
    }
}

/// `GET /metrics` (no key needed): this node's metrics in Prometheus' text format — requests
/// created, decisions, decision latency, waiting agents, deliveries, database time (see the
/// names in `crate::metrics`).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "hub",
    summary = "Prometheus metrics (no key needed)",
    description = "`ghl_requests_created_total{loop_type,channel}`, `ghl_decisions_total{status,channel}`, `ghl_decision_latency_seconds{loop_type}` (from creation to the change), `ghl_waiters`, `ghl_deliveries_total{channel,outcome}`, `ghl_db_seconds{op}`. This node's counts: sum them over the nodes.",
    security(()),
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"),
        (status = 503, description = "Another metrics recorder was installed in this process first", body = super::schemas::ErrorBody),
    )
)]
pub async fn metrics() -> Response {
    match crate::metrics::render() {
        Some(text) => (
            [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            text,
        )
            .into_response(),
        None => unavailable(json!({
            "success": false,
            "error": "the process records metrics elsewhere",
        })),
    }
}
