//! `GET /grants`, `POST /grants/{tenant}/{id}/revoke`: the policy's standing grants of the tenants
//! the approver sees — what each covers, who gave it and why, until when, whether it still
//! lives — and a way to end one at once.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::session::{Approver, CsrfForm};
use crate::core::Hub;
use crate::html::error::{WebError, WebForm};
use crate::html::i18n::Lang;
use crate::html::pages::{self, Chrome};
use crate::record::{ms_to_rfc3339, now_ms};

/// How many grants a tenant's list shows at most.
const SHOWN: u32 = 200;

/// One grant as the page shows it.
pub(crate) struct GrantLine {
    /// The grant's id.
    pub id: String,
    /// The tenant's name.
    pub tenant: String,
    /// What it covers, in words.
    pub covers: String,
    /// Who gave it, and why.
    pub given: String,
    /// Until when (or how it ended).
    pub state: String,
    /// Whether it may still approve requests.
    pub live: bool,
}

/// The grants page.
#[derive(Template)]
#[template(path = "grants.html")]
pub(crate) struct GrantsPage {
    /// The frame.
    pub chrome: Chrome,
    /// Every grant of the tenants the approver sees, newest first.
    pub grants: Vec<GrantLine>,
    /// The page's words.
    pub words: GrantWords,
}

/// The page's words in the approver's language.
pub(crate) struct GrantWords {
    /// The title.
    pub title: &'static str,
    /// The columns.
    pub columns: [&'static str; 4],
    /// The revoke button.
    pub revoke: &'static str,
    /// When there is none.
    pub none: &'static str,
}

fn words(lang: Lang) -> GrantWords {
    match lang {
        Lang::Zh => GrantWords {
            title: "授权",
            columns: ["租户", "范围", "授予", "状态"],
            revoke: "撤销",
            none: "没有授权。",
        },
        Lang::En => GrantWords {
            title: "Grants",
            columns: ["Tenant", "Covers", "Given", "State"],
            revoke: "Revoke",
            none: "No grants.",
        },
    }
}

/// `GET /grants`.
pub async fn page(State(hub): State<Hub>, approver: Approver) -> Result<Response, WebError> {
    let lang = approver.lang;
    let now = now_ms();
    let mut grants = Vec::new();
    for tenant in &approver.user.tenants {
        let listed = hub
            .store()
            .grants(tenant.id, SHOWN)
            .await
            .map_err(|e| WebError::Store(lang, e))?;
        for g in listed {
            let live = g.live(now);
            let single = if g.single_use {
                "this exact call, once"
            } else {
                "calls matching"
            };
            let covers = format!("{} — {single}: {}", g.function, g.scope);
            let state = match (g.revoked_at, g.used_at, g.expires_at) {
                (Some(at), _, _) => format!(
                    "revoked by {} at {}",
                    g.revoked_by.as_deref().unwrap_or("?"),
                    ms_to_rfc3339(at)
                ),
                (_, Some(at), _) => format!(
                    "used at {} by request {}",
                    ms_to_rfc3339(at),
                    g.used_by.as_deref().unwrap_or("?")
                ),
                (_, _, Some(end)) if end <= now => format!("expired at {}", ms_to_rfc3339(end)),
                (_, _, Some(end)) => format!("live until {}", ms_to_rfc3339(end)),
                _ => "live".into(),
            };
            grants.push(GrantLine {
                id: g.id,
                tenant: tenant.name.clone(),
                covers,
                given: format!("{}: {}", g.granted_by, g.reason),
                state,
                live,
            });
        }
    }
    let page = GrantsPage {
        chrome: approver.chrome("grants"),
        grants,
        words: words(lang),
    };
    Ok(pages::render(&page))
}

/// `POST /grants/{tenant}/{id}/revoke`.
pub async fn revoke(
    State(hub): State<Hub>,
    approver: Approver,
    Path((tenant, id)): Path<(String, String)>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    approver.check_csrf(&form.csrf)?;
    let Some(tenant) = approver.user.tenants.iter().find(|t| t.name == tenant) else {
        return Err(WebError::NotFound(approver.lang));
    };
    let revoked = hub
        .store()
        .revoke_grant(tenant.id, &id, &approver.user.name, now_ms())
        .await
        .map_err(|e| WebError::Store(approver.lang, e))?;
    if revoked.is_none() {
        return Err(WebError::NotFound(approver.lang));
    }
    tracing::info!(approver = %approver.user.name, grant = %id, "grant revoked in the web inbox");
    Ok(Redirect::to("/grants").into_response())
}
