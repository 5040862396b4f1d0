//! `GET /keys`, `POST /keys`, `POST /keys/{id}/revoke` (admins only): the hub's API keys. A new
//! key is shown once, on the page that created it; the database keeps only its hash.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::{Approver, CsrfForm};
use super::view::short_time;
use crate::accounts::{Role, Tenant};
use crate::core::Hub;
use crate::html::error::{WebError, WebForm};
use crate::html::pages::{self, Chrome};
use crate::keys;
use crate::record::KeyInfo;

/// The keys page.
#[derive(Template)]
#[template(path = "keys.html")]
pub(crate) struct KeysPage {
    /// The frame.
    pub chrome: Chrome,
    /// Every key, revoked ones included.
    pub keys: Vec<KeyInfo>,
    /// Every tenant, for the create form.
    pub tenants: Vec<Tenant>,
    /// The key just created, shown this once.
    pub new_key: Option<String>,
    /// Why the create form was refused.
    pub error: Option<String>,
}

fn admin_only(approver: &Approver) -> Result<(), WebError> {
    if approver.user.role == Role::Admin {
        Ok(())
    } else {
        Err(WebError::Forbidden(approver.lang))
    }
}

async fn show(
    hub: &Hub,
    approver: &Approver,
    new_key: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let lang = approver.lang;
    let mut keys = hub
        .store()
        .keys()
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    for key in &mut keys {
        key.created_at = short_time(&key.created_at);
    }
    let tenants = hub
        .store()
        .tenants()
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    let page = KeysPage {
        chrome: approver.chrome("keys"),
        keys,
        tenants,
        new_key,
        error,
    };
    Ok(pages::render(&page))
}

/// `GET /keys`.
pub async fn page(State(hub): State<Hub>, approver: Approver) -> Result<Response, WebError> {
    admin_only(&approver)?;
    show(&hub, &approver, None, None).await
}

/// The create form.
#[derive(Deserialize)]
pub(crate) struct CreateForm {
    csrf: String,
    tenant: String,
    name: String,
}

/// `POST /keys`: makes a key and shows it once.
pub async fn create(
    State(hub): State<Hub>,
    approver: Approver,
    WebForm(form): WebForm<CreateForm>,
) -> Result<Response, WebError> {
    admin_only(&approver)?;
    approver.check_csrf(&form.csrf)?;
    let (tenant, name) = (form.tenant.trim(), form.name.trim());
    if tenant.is_empty() || name.is_empty() {
        let why = format!(
            "{} / {}",
            approver.lang.texts().tenant,
            approver.lang.texts().name
        );
        return show(&hub, &approver, None, Some(why)).await;
    }
    let key = keys::generate();
    hub.store()
        .add_key(tenant, name, &keys::prefix(&key), &keys::hash(&key))
        .await
        .map_err(|e| WebError::Store(approver.lang, e))?;
    tracing::info!(admin = %approver.user.name, tenant, name, "API key created in the web inbox");
    show(&hub, &approver, Some(key), None).await
}

/// `POST /keys/{id}/revoke`.
pub async fn revoke(
    State(hub): State<Hub>,
    approver: Approver,
    Path(id): Path<i64>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    admin_only(&approver)?;
    approver.check_csrf(&form.csrf)?;
    hub.store()
        .revoke_key(&id.to_string())
        .await
        .map_err(|e| WebError::Store(approver.lang, e))?;
    tracing::info!(admin = %approver.user.name, key = id, "API key revoked in the web inbox");
    Ok(Redirect::to("/keys").into_response())
}
