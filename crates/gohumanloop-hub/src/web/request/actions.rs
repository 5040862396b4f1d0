//! `POST /requests/{id}/{action}`: approve (optionally with edited arguments), reject with a
//! reason, answer, reply (optionally ending the conversation), cancel — each a [`Decision`] for
//! [`Hub::decide_on`], the hub's one answering function — and then on to the next request.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::edit::{self, FIELD_PREFIX};
use super::{arguments_text, find, show, Draft, Notice, CHANNEL};
use crate::core::{Action, Actor, Decision, Hub, Refusal, Verdict};
use crate::html::error::{WebError, WebForm};
use crate::html::i18n::Texts;
use crate::json_view::Budget;
use crate::record::RequestRecord;
use crate::web::session::Approver;
use crate::web::triage::next_pending;
use crate::web::view::{short_time, Shown};

/// The fields of an action form, as posted (the argument inputs' names are the arguments'
/// own, so the form is read as pairs).
struct Posted(Vec<(String, String)>);

impl Posted {
    /// The last value of the field `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The per-field argument inputs (`arg.<key>`, value).
    fn argument_fields(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k.starts_with(FIELD_PREFIX))
            .cloned()
            .collect()
    }
}

/// `POST /requests/{id}/{action}`: `approve`, `reject`, `answer`, `reply` or `cancel`.
///
/// The form: `csrf`; `reason` (approve, reject); `text` (answer, reply) or `choice` (one of
/// the offered answers); `complete=1` (a reply that ends the conversation); edited arguments
/// as inputs `arg.<key>` or as the whole `arguments`; `then` = `next` (the default: on to the
/// next pending request) or `list` (back to the inbox).
pub async fn act(
    State(hub): State<Hub>,
    approver: Approver,
    Path((id, action)): Path<(String, String)>,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = Posted(pairs);
    let lang = approver.lang;
    let t = lang.texts();
    let Some(csrf) = form.get("csrf") else {
        return Err(WebError::BadForm(lang, "missing field `csrf`".into()));
    };
    approver.check_csrf(csrf)?;
    let record = find(&hub, &approver, &id).await?;
    let typed_fields = form.argument_fields();
    let mut draft = Draft {
        error: None,
        reason: form.get("reason").unwrap_or_default().to_owned(),
        arguments: form.get("arguments").map(str::to_owned),
        edit_open: !typed_fields.is_empty() || form.get("arguments").is_some(),
        fields: typed_fields,
        text: form.get("text").unwrap_or_default().to_owned(),
    };
    let Ok(action) = action.parse::<Action>() else {
        return Err(WebError::BadForm(
            lang,
            format!("'{action}' is not an action"),
        ));
    };
    let choice = form.get("choice").filter(|c| !c.trim().is_empty());
    let (action, text) = match action {
        Action::Approve | Action::Reject => (action, draft.reason.as_str()),
        Action::Reply if form.get("complete").is_some() => (Action::Complete, draft.text.as_str()),
        _ => (action, choice.unwrap_or(draft.text.as_str())),
    };
    let mut decision = Decision::new(action, text);
    if action == Action::Approve {
        match edited_arguments(t, &record, &form, &draft.fields) {
            Ok(edited) => decision = decision.with_arguments(edited),
            Err(why) => {
                draft.error = Some(why);
                draft.edit_open = true;
                return refuse(&hub, &approver, record, draft).await;
            }
        }
    }
    let actor = Actor::new(CHANNEL, approver.user.name.clone());
    match hub
        .decide_on(&record, decision, &actor)
        .await
        .map_err(|e| WebError::Store(lang, e))?
    {
        Verdict::Changed { record, .. } => {
            // On to the next request, unless the approver chose the list; a store hiccup
            // while looking for it only means the list.
            let next = match form.get("then") {
                Some("list") => None,
                _ => next_pending(&hub, &approver, &record.id)
                    .await
                    .ok()
                    .flatten(),
            };
            let to = match next {
                Some(next) => format!("/requests/{next}?done={}", record.id),
                None => format!("/inbox?done={}", record.id),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Verdict::Voted { record, .. } => {
            // The vote counts; the request stays pending: back to it, with the count shown.
            Ok(Redirect::to(&format!("/requests/{}?voted=1", record.id)).into_response())
        }
        Verdict::NotFound => Err(WebError::NotFound(lang)),
        Verdict::Refused(why @ Refusal::NotForType { .. }) => {
            Err(WebError::BadForm(lang, why.to_string()))
        }
        Verdict::Refused(why) => {
            draft.error = Some(match why {
                Refusal::ReasonMissing => t.reason_required.to_owned(),
                Refusal::ArgumentsNotObject
                | Refusal::NotAnApprover { .. }
                | Refusal::OwnRequest { .. }
                | Refusal::AlreadyVoted { .. } => why.to_string(),
                _ => t.your_answer.to_owned(),
            });
            refuse(&hub, &approver, record, draft).await
        }
        Verdict::Conflict(winner) => {
            let who = winner.responded_by.clone().unwrap_or_else(|| "—".into());
            let when = winner
                .responded_at
                .as_deref()
                .unwrap_or(&winner.updated_at)
                .to_owned();
            let mut budget = Budget::page(lang.words());
            let notice = Notice {
                ok: false,
                text: format!(
                    "{}: {} · {who} · {}",
                    t.already_answered,
                    t.status_name(winner.status),
                    short_time(&when)
                ),
                link: None,
                detail: Shown::answer(winner.response.as_ref(), &mut budget),
            };
            show(
                &hub,
                &approver,
                *winner,
                Some(notice),
                draft,
                budget,
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

/// The arguments an approval edits: rebuilt from the per-field inputs when there are some,
/// else read from the whole `arguments` field when it was changed; `None` for no edit. `Err`
/// says why they cannot be read, in the approver's language.
fn edited_arguments(
    t: &Texts,
    record: &RequestRecord,
    form: &Posted,
    fields: &[(String, String)],
) -> Result<Option<Value>, String> {
    if !fields.is_empty() {
        return match record.context.pointer("/function/arguments") {
            Some(Value::Object(asked)) => edit::rebuild(asked, fields).map_err(|bad| bad.words(t)),
            _ => Err(t.invalid_json.to_owned()),
        };
    }
    let original = arguments_text(record);
    let Some(whole) = form
        .get("arguments")
        .filter(|a| Some(a.trim()) != original.as_deref().map(str::trim))
    else {
        return Ok(None);
    };
    serde_json::from_str::<Value>(whole)
        .map(Some)
        .map_err(|e| format!("{}: {e}", t.invalid_json))
}

/// Shows the page again with what was typed and why it was refused.
async fn refuse(
    hub: &Hub,
    approver: &Approver,
    record: RequestRecord,
    draft: Draft,
) -> Result<Response, WebError> {
    let budget = Budget::page(approver.lang.words());
    show(
        hub,
        approver,
        record,
        None,
        draft,
        budget,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
