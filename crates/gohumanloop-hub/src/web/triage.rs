//! Moving through the pending requests: which one comes next after a decision (the most urgent
//! one the approver sees that nobody else looks after), the notice that names the request just
//! decided, and `POST /requests/{id}/assignee`, which assigns a request to the approver or to
//! nobody.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::request::find;
use super::session::Approver;
use super::view::title_of;
use crate::accounts::Role;
use crate::core::Hub;
use crate::html::error::{WebError, WebForm};
use crate::record::{RequestFilter, RequestRecord};

/// The hub's id of the most urgent pending request `approver` sees, other than `except`, that
/// is not assigned to someone else (one row per conversation, as in the inbox).
pub(crate) async fn next_pending(
    hub: &Hub,
    approver: &Approver,
    except: &str,
) -> Result<Option<String>, WebError> {
    let filter = RequestFilter {
        newest_turn_only: true,
        not_assigned_to_others: Some(approver.user.name.clone()),
        limit: 2,
        ..RequestFilter::default()
    };
    let mut found = Vec::new();
    for tenant in &approver.user.tenants {
        found.extend(
            hub.store()
                .pending_by_urgency(tenant.id, &filter, None)
                .await
                .map_err(|e| WebError::Store(approver.lang, e))?,
        );
    }
    found.sort_by_key(|(at, _)| *at);
    Ok(found
        .into_iter()
        .map(|(_, record)| record.id)
        .find(|id| id != except))
}

/// A request just decided, as the notice above the next page names it.
pub(crate) struct Decided {
    /// The hub's id (for a link back to it).
    pub id: String,
    /// What became of it and what it asked: "Approved: Pay invoice INV-7?", "Request
    /// cancelled: …".
    pub text: String,
}

/// The notice for the request with the hub's id `id`, if the approver sees it.
pub(crate) async fn decided(
    hub: &Hub,
    approver: &Approver,
    id: &str,
) -> Result<Option<Decided>, WebError> {
    let record = match find(hub, approver, id).await {
        Ok(record) => record,
        Err(WebError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let t = approver.lang.texts();
    Ok(Some(Decided {
        text: format!(
            "{}: {}",
            t.decided_name(record.status),
            title_of(&record.context, 120)
        ),
        id: record.id,
    }))
}

/// The people a request of `record`'s tenant may be assigned to: the enabled accounts that see
/// it (admins see every tenant), by name.
pub(crate) async fn assignable(
    hub: &Hub,
    approver: &Approver,
    record: &RequestRecord,
) -> Result<Vec<String>, WebError> {
    let tenant = approver
        .user
        .tenants
        .iter()
        .find(|t| t.id == record.tenant)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let mut names: Vec<String> = hub
        .store()
        .users()
        .await
        .map_err(|e| WebError::Store(approver.lang, e))?
        .into_iter()
        .filter(|u| u.disabled_at.is_none())
        .filter(|u| u.role == Role::Admin || u.tenants.contains(&tenant))
        .map(|u| u.name)
        .collect();
    names.sort();
    Ok(names)
}

/// The assignment form.
#[derive(Deserialize)]
pub(crate) struct AssignForm {
    csrf: String,
    /// `me`, the name of someone who sees the request, or empty for nobody.
    #[serde(default)]
    to: String,
}

/// `POST /requests/{id}/assignee`: `to=me` assigns the request to the signed-in approver,
/// `to=<name>` to another account that sees it, an empty `to` to nobody; back to the request's
/// page.
pub async fn assign(
    State(hub): State<Hub>,
    approver: Approver,
    Path(id): Path<String>,
    WebForm(form): WebForm<AssignForm>,
) -> Result<Response, WebError> {
    approver.check_csrf(&form.csrf)?;
    let lang = approver.lang;
    let record = find(&hub, &approver, &id).await?;
    let assignee = match form.to.trim() {
        "me" => Some(approver.user.name.as_str()),
        "" => None,
        name => {
            if !assignable(&hub, &approver, &record)
                .await?
                .iter()
                .any(|n| n == name)
            {
                return Err(WebError::BadForm(
                    lang,
                    format!("'{name}' cannot be assigned this request: no such account sees it"),
                ));
            }
            Some(name)
        }
    };
    hub.store()
        .assign(&record.id, assignee, &approver.user.name)
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    Ok(Redirect::to(&format!("/requests/{}", record.id)).into_response())
}
