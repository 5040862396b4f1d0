//! The email channel's own routes: the pages behind its signed links (`/email/{token}`).
//! Opening a link only shows the request and one button (mail scanners open links by
//! themselves; nothing is decided by a GET); the button's POST answers through
//! [`Hub::decide_on`]. A link works once, until it expires, for the request it names only.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gohumanloop::model::Status;
use gohumanloop::providers::email::EmailLanguage;
use serde::Deserialize;

use super::links::{link_id, Action, Link, LinkError, LinkSigner};
use super::view::Styling;
use crate::core::{Actor, Hub, Verdict};
use crate::html::error::WebForm;
use crate::html::i18n::Lang;
use crate::html::pages::{self, Chrome};
use crate::html::security_headers;
use crate::record::{now_ms, RequestRecord};
use crate::store::{LinkUse, StoreError};

/// The audit channel of answers given through a link.
const LINK_CHANNEL: &str = "email-link";

/// What the link pages need: the hub, and the key the links were signed with.
pub(super) struct LinkPages {
    pub(super) hub: Hub,
    pub(super) signer: LinkSigner,
}

/// `GET` and `POST /email/{token}`, sent with the headers of every page of the hub.
pub(super) fn routes(pages: Arc<LinkPages>) -> Router {
    Router::new()
        .route("/email/{token}", get(show).post(answer))
        .layer(middleware::from_fn(security_headers))
        .with_state(pages)
}

/// The form a link's page shows.
pub(crate) struct LinkForm {
    /// The label of the text box (empty: none).
    pub text_label: &'static str,
    /// Whether the text is required.
    pub text_required: bool,
    /// Whether an "end the conversation" box is offered.
    pub can_end: bool,
    /// Its label.
    pub end_label: &'static str,
    /// The button.
    pub button: &'static str,
    /// The button's style.
    pub button_class: &'static str,
}

/// A link's page.
#[derive(Template)]
#[template(path = "email_link.html")]
pub(crate) struct LinkPage {
    /// The frame.
    pub chrome: Chrome,
    /// The heading.
    pub title: String,
    /// A message above the request.
    pub notice: Option<String>,
    /// `ok`, `warn` or `info`.
    pub notice_kind: &'static str,
    /// The request as HTML, every value escaped (see `channels::email::view`).
    pub summary_html: String,
    /// The form, when the link can still be used.
    pub form: Option<LinkForm>,
}

/// What a link's form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct LinkAnswer {
    /// The reason, information or message.
    #[serde(default)]
    pub text: String,
    /// Present to end a conversation.
    #[serde(default)]
    pub end: Option<String>,
}

fn zh(lang: Lang) -> bool {
    lang == Lang::Zh
}

fn page(
    lang: Lang,
    status: StatusCode,
    title: String,
    notice: Option<(String, &'static str)>,
) -> Response {
    let (notice, notice_kind) = match notice {
        Some((text, kind)) => (Some(text), kind),
        None => (None, "info"),
    };
    let page = LinkPage {
        chrome: Chrome::signed_out(lang),
        title,
        notice,
        notice_kind,
        summary_html: String::new(),
        form: None,
    };
    (status, pages::render(&page)).into_response()
}

fn refusal(lang: Lang, status: StatusCode, message: &str) -> Response {
    let title = if zh(lang) {
        "链接不可用"
    } else {
        "This link cannot be used"
    };
    page(lang, status, title.into(), Some((message.into(), "warn")))
}

fn link_error(lang: Lang, error: LinkError) -> Response {
    match error {
        LinkError::Invalid => refusal(
            lang,
            StatusCode::FORBIDDEN,
            if zh(lang) {
                "此链接无效：它不是本服务签发的，或已被改动。"
            } else {
                "This link is not valid: it was not issued by this hub, or it was altered."
            },
        ),
        LinkError::Expired => refusal(
            lang,
            StatusCode::GONE,
            if zh(lang) {
                "此链接已过期。"
            } else {
                "This link has expired."
            },
        ),
    }
}

fn closed(lang: Lang, record: &RequestRecord) -> Response {
    let who = record.responded_by.as_deref().unwrap_or("—");
    let message = if zh(lang) {
        format!("此请求已不再等待：{} · {who}", record.status)
    } else {
        format!(
            "This request is no longer waiting: {} · {who}",
            record.status
        )
    };
    refusal(lang, StatusCode::CONFLICT, &message)
}

/// The database failed: the details go to the operator's log, not to the page.
fn unavailable(lang: Lang, error: &StoreError) -> Response {
    tracing::error!("email link: {error}");
    refusal(
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        lang.texts().unavailable,
    )
}

fn used(lang: Lang) -> Response {
    refusal(
        lang,
        StatusCode::CONFLICT,
        if zh(lang) {
            "此链接已被使用过。"
        } else {
            "This link has already been used."
        },
    )
}

/// Checks a token and loads its request; the refusal page otherwise.
async fn open(
    pages: &LinkPages,
    lang: Lang,
    token: &str,
) -> Result<(Link, RequestRecord), Response> {
    let hub = &pages.hub;
    let link = pages
        .signer
        .verify(token, now_ms() / 1000)
        .map_err(|e| link_error(lang, e))?;
    let record = match hub.store().by_id(&link.request_id).await {
        Ok(Some(record)) => record,
        Ok(None) => return Err(link_error(lang, LinkError::Invalid)),
        Err(e) => return Err(unavailable(lang, &e)),
    };
    if !link
        .action
        .decision("", false)
        .action
        .loop_types()
        .contains(&record.loop_type)
    {
        return Err(link_error(lang, LinkError::Invalid));
    }
    match hub.store().link_used(&link_id(token)).await {
        Ok(false) => {}
        Ok(true) => return Err(used(lang)),
        Err(e) => return Err(unavailable(lang, &e)),
    }
    if record.status != Status::Pending {
        return Err(closed(lang, &record));
    }
    Ok((link, record))
}

/// A link page's words, `[English, Chinese]`.
struct FormWords {
    title: [&'static str; 2],
    label: [&'static str; 2],
    button: [&'static str; 2],
    required: bool,
    can_end: bool,
    class: &'static str,
}

const fn words(action: Action) -> FormWords {
    match action {
        Action::Approve => FormWords {
            title: ["Approve this request?", "批准此请求？"],
            label: ["Note (optional)", "备注（可选）"],
            button: ["Approve", "批准"],
            required: false,
            can_end: false,
            class: "primary",
        },
        Action::Reject => FormWords {
            title: ["Reject this request", "拒绝此请求"],
            label: ["Reason", "理由"],
            button: ["Reject", "拒绝"],
            required: true,
            can_end: false,
            class: "danger",
        },
        Action::Answer => FormWords {
            title: ["Give the information asked for", "提供所需信息"],
            label: ["Information", "信息"],
            button: ["Send", "提交"],
            required: true,
            can_end: false,
            class: "primary",
        },
        Action::Reply => FormWords {
            title: ["Reply", "回复"],
            label: ["Your reply", "您的回复"],
            button: ["Send", "发送"],
            required: true,
            can_end: true,
            class: "primary",
        },
    }
}

fn form(action: Action, lang: Lang) -> (&'static str, LinkForm) {
    let w = words(action);
    let i = usize::from(zh(lang));
    let form = LinkForm {
        text_label: w.label[i],
        text_required: w.required,
        can_end: w.can_end,
        end_label: ["End the conversation", "结束对话"][i],
        button: w.button[i],
        button_class: w.class,
    };
    (w.title[i], form)
}

/// `GET /email/{token}`: the request and the link's one button.
async fn show(
    State(pages): State<Arc<LinkPages>>,
    lang: Lang,
    Path(token): Path<String>,
) -> Response {
    let (link, record) = match open(&pages, lang, &token).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let (title, form) = form(link.action, lang);
    let page = LinkPage {
        chrome: Chrome::signed_out(lang),
        title: title.into(),
        notice: None,
        notice_kind: "info",
        summary_html: super::view::request_html(
            &record,
            if zh(lang) {
                EmailLanguage::Zh
            } else {
                EmailLanguage::En
            },
            Styling::Classes,
        ),
        form: Some(form),
    };
    pages::render(&page)
}

/// `POST /email/{token}`: answers, once.
async fn answer(
    State(pages): State<Arc<LinkPages>>,
    lang: Lang,
    Path(token): Path<String>,
    WebForm(body): WebForm<LinkAnswer>,
) -> Response {
    let hub = &pages.hub;
    let (link, record) = match open(&pages, lang, &token).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    let decision = link.action.decision(&body.text, body.end.is_some());
    if decision.check(record.loop_type).is_err() {
        let message = if zh(lang) {
            "请填写内容后再提交。"
        } else {
            "Please write something first."
        };
        return refusal(lang, StatusCode::UNPROCESSABLE_ENTITY, message);
    }
    match hub.store().use_link(&link_id(&token), &record.id).await {
        Ok(LinkUse::First) => {}
        Ok(LinkUse::Again) => return used(lang),
        Err(e) => return unavailable(lang, &e),
    }
    let actor = Actor::new(LINK_CHANNEL, link.recipient.clone());
    match hub.decide_on(&record, decision, &actor).await {
        Ok(Verdict::Changed { record, .. }) => {
            let message = if zh(lang) {
                format!("已记录：{}。谢谢！", record.status)
            } else {
                format!("Recorded: {}. Thank you!", record.status)
            };
            let title = if zh(lang) { "完成" } else { "Done" };
            page(lang, StatusCode::OK, title.into(), Some((message, "ok")))
        }
        Ok(Verdict::Conflict(winner)) => closed(lang, &winner),
        Ok(Verdict::Voted { tally, .. }) => {
            let words = crate::core::verdict::tally_words(&tally);
            let title = if zh(lang) {
                "已投票"
            } else {
                "Vote recorded"
            };
            page(lang, StatusCode::OK, title.into(), Some((words, "ok")))
        }
        Ok(Verdict::Refused(why)) => {
            refusal(lang, StatusCode::UNPROCESSABLE_ENTITY, &why.to_string())
        }
        Ok(Verdict::NotFound) => link_error(lang, LinkError::Invalid),
        Err(e) => unavailable(lang, &e),
    }
}
