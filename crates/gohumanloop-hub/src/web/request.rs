//! `GET /requests/{id}`: everything a human needs to decide, and `POST /requests/{id}/{action}`:
//! approve (optionally with edited arguments), reject with a reason, answer, reply (optionally
//! ending the conversation), cancel. Every action is a [`Decision`] for [`Hub::decide`], the hub's one
//! answering function: the first answer wins, and a later one is shown who answered and what.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use serde_json::Value;

use super::session::Approver;
use super::view::{deadline_ms, short_time, title_of, Shown};
use crate::channels::email::mail::{mail_of, MailRecord, CHANNEL as EMAIL};
use crate::core::{Action, Actor, Decision, Hub, Refusal, Verdict};
use crate::html::error::{WebError, WebForm};
use crate::html::i18n::Texts;
use crate::html::pages::{self, Chrome};
use crate::json_view::{html_len, pretty_within, Budget, Markup, Unit};
use crate::record::{ms_to_rfc3339, AuditEntry, RequestFilter, RequestRecord};
use crate::store::{Delivery, DeliveryState, StoreResult};

/// The audit channel of answers given in the inbox.
const CHANNEL: &str = "web";

/// Context keys shown in their own sections (the rest appear under "other context").
const KNOWN_KEYS: [&str; 4] = ["question", "message", "additional", "function"];

/// How many turns of a conversation the thread shows, around the one on the page.
const MAX_TURNS: usize = 50;

/// The longest turn line of the thread, in characters.
const TURN_CHARS: usize = 2_000;

/// The largest arguments offered for editing (pretty-printed bytes); bigger ones are approved
/// as they are.
const EDITABLE_BYTES: usize = 64 * 1024;

/// The request being looked at.
pub(crate) struct Detail {
    /// The hub's id.
    pub id: String,
    /// The tenant's name.
    pub tenant: String,
    /// The task.
    pub task_id: String,
    /// The conversation.
    pub conversation_id: String,
    /// The client's request id.
    pub request_id: String,
    /// The platform.
    pub platform: String,
    /// Wire status (for CSS and tests).
    pub status: &'static str,
    /// Status in the approver's language.
    pub status_label: &'static str,
    /// Wire type.
    pub loop_type: &'static str,
    /// Type in the approver's language.
    pub type_label: &'static str,
    /// `YYYY-MM-DD HH:MM`.
    pub created: String,
    /// The deadline, when it has one (`YYYY-MM-DD HH:MM UTC`).
    pub deadline_at: Option<String>,
    /// The deadline of a pending request (Unix ms), for the countdown.
    pub deadline_ms: Option<i64>,
    /// `context.question`.
    pub question: Option<Shown>,
    /// `context.message`.
    pub message: Option<Shown>,
    /// `context.additional`.
    pub additional: Option<Shown>,
    /// `context.function.function_name` (escaped HTML).
    pub function_name: Option<String>,
    /// `context.function` (all of it, highlighted).
    pub function: Option<Shown>,
    /// The rest of the context, highlighted (escaped HTML).
    pub other_context: Option<String>,
    /// The metadata, highlighted (escaped HTML).
    pub metadata: Option<String>,
    /// The answer.
    pub response: Option<Shown>,
    /// Remarks.
    pub feedback: Option<Shown>,
    /// Who answered.
    pub responded_by: Option<String>,
    /// When.
    pub responded_at: Option<String>,
    /// Why it ended without an answer.
    pub error: Option<String>,
}

/// One turn of the conversation thread.
pub struct Turn {
    /// The hub's id.
    pub id: String,
    /// Whether it is the request on this page.
    pub current: bool,
    /// Wire status.
    pub status: &'static str,
    /// Status in the approver's language.
    pub status_label: &'static str,
    /// What the agent said or asked (escaped HTML).
    pub said: String,
    /// What the human answered.
    pub response: Option<Shown>,
    /// Who answered.
    pub responded_by: Option<String>,
    /// `YYYY-MM-DD HH:MM`.
    pub created: String,
}

/// One line of the audit trail.
pub(crate) struct AuditLine {
    /// `YYYY-MM-DD HH:MM`.
    pub at: String,
    /// Who.
    pub actor: String,
    /// Which way.
    pub channel: String,
    /// `pending → approved`.
    pub change: String,
    /// The answer or the create's ids, as recorded (escaped HTML).
    pub detail: String,
}

/// A message above the request.
pub(crate) struct Notice {
    /// Good news (else a warning).
    pub ok: bool,
    /// The message.
    pub text: String,
    /// The winning answer, when someone answered first.
    pub detail: Option<Shown>,
}

/// What the approver typed, kept when a form is refused.
#[derive(Default)]
pub(crate) struct Draft {
    /// Why the form was refused.
    pub error: Option<String>,
    /// The reason field.
    pub reason: String,
    /// The arguments field (approval with a function).
    pub arguments: Option<String>,
    /// The answer / reply field.
    pub text: String,
}

/// The request page.
#[derive(Template)]
#[template(path = "request.html")]
pub(crate) struct RequestPage {
    /// The frame.
    pub chrome: Chrome,
    /// The request.
    pub r: Detail,
    /// The conversation, oldest first (a window around this request's turn).
    pub history: Vec<Turn>,
    /// How many earlier turns the thread leaves out, as a notice.
    pub turns_before: Option<String>,
    /// How many later turns the thread leaves out, as a notice.
    pub turns_after: Option<String>,
    /// Whether some of what the page shows was folded (it then links the raw context).
    pub folded: bool,
    /// The audit trail, oldest first.
    pub audit: Vec<AuditLine>,
    /// How the email channel fared with this request, if it mailed it.
    pub mail: Option<MailLine>,
    /// How the other channels fared with it.
    pub deliveries: Vec<DeliveryLine>,
    /// A message above the request.
    pub notice: Option<Notice>,
    /// The conversation's turn that waits now, when it is not this one.
    pub open_turn: Option<String>,
    /// Whether this request still takes an answer.
    pub can_act: bool,
    /// The forms' contents.
    pub draft: Draft,
}

/// The email channel's state of a request, as the page shows it.
pub(crate) struct MailLine {
    /// Sent, waiting to be sent again, or given up.
    pub state: &'static str,
    /// Whom to.
    pub recipients: String,
    /// When it was sent, if it was.
    pub sent: Option<String>,
    /// The last error, if any.
    pub error: Option<String>,
}

/// One channel's delivery of a request, as the page shows it.
pub(crate) struct DeliveryLine {
    /// The channel (`webhook:ops`).
    pub channel: String,
    /// To whom, when the channel has several recipients.
    pub recipient: String,
    /// Delivered, waiting, skipped or given up.
    pub state: &'static str,
    /// The status the message shows, once delivered.
    pub shows: Option<String>,
    /// When it was first delivered.
    pub delivered: Option<String>,
    /// When it is tried next, if it waits for a retry.
    pub next: Option<String>,
    /// Why the last attempt failed, or why it was skipped.
    pub error: Option<String>,
}

fn delivery_line(t: &Texts, d: Delivery) -> DeliveryLine {
    let state = match d.state {
        DeliveryState::Delivered => t.delivery_states[0],
        DeliveryState::Pending => t.delivery_states[1],
        DeliveryState::Skipped => t.delivery_states[2],
        DeliveryState::GaveUp => t.delivery_states[3],
    };
    DeliveryLine {
        channel: d.channel,
        recipient: d.recipient,
        state,
        shows: d.shown_status.map(|s| t.status_name(s).to_owned()),
        delivered: d.delivered_at.map(|ms| short_time(&ms_to_rfc3339(ms))),
        next: d
            .due_at
            .filter(|_| d.attempts > 0)
            .map(|ms| short_time(&ms_to_rfc3339(ms))),
        error: d.last_error,
    }
}

fn mail_line(t: &Texts, mail: MailRecord) -> MailLine {
    let state = match (mail.sent_at, mail.gave_up) {
        (Some(_), _) => t.mailed_to,
        (None, true) => t.mail_given_up,
        (None, false) => t.mail_not_sent,
    };
    MailLine {
        state,
        recipients: mail.recipients.join(", "),
        sent: mail.sent_at.map(|ms| short_time(&ms_to_rfc3339(ms))),
        error: mail.last_error.filter(|_| mail.sent_at.is_none()),
    }
}

/// A request the approver may see, by the hub's id (another tenant's is "not found" too).
pub(super) async fn find(
    hub: &Hub,
    approver: &Approver,
    id: &str,
) -> Result<RequestRecord, WebError> {
    let lang = approver.lang;
    hub.store()
        .by_id(id)
        .await
        .map_err(|e| WebError::Store(lang, e))?
        .filter(|record| approver.user.sees(record.tenant))
        .ok_or(WebError::NotFound(lang))
}

/// Query of the request page.
#[derive(Deserialize)]
pub(crate) struct PageQuery {
    /// Set after an answer was recorded.
    done: Option<String>,
}

/// `GET /requests/{id}`.
pub async fn page(
    State(hub): State<Hub>,
    approver: Approver,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let record = find(&hub, &approver, &id).await?;
    let notice = q.done.map(|_| Notice {
        ok: true,
        text: approver.lang.texts().recorded.to_owned(),
        detail: None,
    });
    let draft = Draft {
        arguments: editable_arguments(&record),
        ..Draft::default()
    };
    let budget = Budget::page(approver.lang.words());
    show(
        &hub,
        &approver,
        record,
        notice,
        draft,
        budget,
        StatusCode::OK,
    )
    .await
}

/// The page of `record`; its values spend what `budget` has left after the notice.
async fn show(
    hub: &Hub,
    approver: &Approver,
    record: RequestRecord,
    notice: Option<Notice>,
    mut draft: Draft,
    mut budget: Budget,
    status: StatusCode,
) -> Result<Response, WebError> {
    let lang = approver.lang;
    let t = lang.texts();
    let store_error = |e| WebError::Store(lang, e);
    // A window of the conversation only: it may be long, and its turns large (1 MiB each).
    let window = hub
        .store()
        .conversation_window(
            record.tenant,
            &record.conversation_id,
            &record.id,
            MAX_TURNS as u32 / 2,
        )
        .await
        .map_err(store_error)?;
    let (earlier_turns, later_turns) = (window.earlier as usize, window.later as usize);
    let audit = hub
        .store()
        .audit_trail(record.tenant, &record.id)
        .await
        .map_err(store_error)?;
    let mail = mail_of(hub.store().as_ref(), &record.id)
        .await
        .map_err(store_error)?;
    // The email channel has its own section above.
    let deliveries: Vec<DeliveryLine> = hub
        .store()
        .deliveries_of(&record.id)
        .await
        .map_err(store_error)?
        .into_iter()
        .filter(|d| d.channel != EMAIL)
        .map(|d| delivery_line(t, d))
        .collect();
    let open_turn = match record.status {
        Status::Pending => None,
        _ => newest_pending_turn(hub, &record)
            .await
            .map_err(store_error)?,
    };
    // What the approver typed comes back first; what does not fit is dropped.
    for field in [&mut draft.reason, &mut draft.text] {
        if !budget.row(html_len(field)) {
            field.clear();
        }
    }
    if draft
        .arguments
        .as_deref()
        .is_some_and(|args| !budget.row(html_len(args)))
    {
        draft.arguments = None;
    }
    let can_act = record.status == Status::Pending;
    // The thread: the window's turns with this one (already read) in its place.
    let this_turn = window.before.len();
    let mut turns: Vec<ThreadTurn> = window.before.iter().map(ThreadTurn::of).collect();
    turns.push(ThreadTurn::of(&record));
    turns.extend(window.after.iter().map(ThreadTurn::of));
    drop(window);
    let r = detail(approver, record, &mut budget);
    let (shown, before, after) = if turns.len() > 1 {
        let (start, end) = turn_window(turns.len(), this_turn);
        (start..end, start, turns.len() - end)
    } else {
        (0..0, 0, 0)
    };
    let (earlier, later) = (before + earlier_turns, after + later_turns);
    let history = turns
        .drain(shown)
        .map(|turn| Turn {
            current: turn.id == r.id,
            status: turn.status.as_str(),
            status_label: t.status_name(turn.status),
            said: budget.text(&turn.said),
            response: Shown::answer(turn.response.as_ref(), &mut budget),
            responded_by: turn.responded_by,
            created: short_time(&turn.created_at),
            id: turn.id,
        })
        .collect();
    let words = budget.words();
    let omitted = |n: usize| (n > 0).then(|| words.more(n, Unit::Turns));
    let audit = audit
        .iter()
        .map(|entry| audit_line(entry, &mut budget))
        .collect();
    let page = RequestPage {
        chrome: approver.chrome("inbox"),
        can_act,
        r,
        history,
        turns_before: omitted(earlier),
        turns_after: omitted(later),
        folded: budget.folded(),
        audit,
        mail: mail.map(|m| mail_line(t, m)),
        deliveries,
        notice,
        open_turn,
        draft,
    };
    Ok((status, pages::render(&page)).into_response())
}

/// What the thread needs of a turn: its title rather than its whole context.
struct ThreadTurn {
    id: String,
    status: Status,
    said: String,
    response: Option<Value>,
    responded_by: Option<String>,
    created_at: String,
}

impl ThreadTurn {
    fn of(turn: &RequestRecord) -> Self {
        Self {
            id: turn.id.clone(),
            status: turn.status,
            said: title_of(&turn.context, TURN_CHARS),
            response: turn.response.clone(),
            responded_by: turn.responded_by.clone(),
            created_at: turn.created_at.clone(),
        }
    }
}

/// The hub's id of the newest `pending` turn of the request's conversation, if any.
async fn newest_pending_turn(hub: &Hub, record: &RequestRecord) -> StoreResult<Option<String>> {
    let pending = RequestFilter {
        statuses: vec![Status::Pending],
        conversation_id: Some(record.conversation_id.clone()),
        limit: 1,
        ..RequestFilter::default()
    };
    let newest = hub.store().page(record.tenant, &pending, None).await?;
    Ok(newest.into_iter().next().map(|(_, turn)| turn.id))
}

/// The turns `[start, end)` the thread shows: at most [`MAX_TURNS`], around `current`.
fn turn_window(len: usize, current: usize) -> (usize, usize) {
    let start = current.saturating_sub(MAX_TURNS / 2);
    let end = (start + MAX_TURNS).min(len);
    (end.saturating_sub(MAX_TURNS), end)
}

fn detail(approver: &Approver, r: RequestRecord, budget: &mut Budget) -> Detail {
    let t = approver.lang.texts();
    let context = &r.context;
    let other: serde_json::Map<String, Value> = context
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !KNOWN_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let non_empty_object = |v: &Value| v.as_object().is_some_and(|m| !m.is_empty());
    Detail {
        tenant: approver
            .user
            .tenants
            .iter()
            .find(|x| x.id == r.tenant)
            .map(|x| x.name.clone())
            .unwrap_or_default(),
        status: r.status.as_str(),
        status_label: t.status_name(r.status),
        loop_type: r.loop_type.as_str(),
        type_label: t.type_name(r.loop_type),
        created: short_time(&r.created_at),
        deadline_ms: deadline_ms(&r),
        question: Shown::of(context.get("question"), budget),
        message: Shown::of(context.get("message"), budget),
        additional: Shown::of(context.get("additional"), budget),
        function_name: context
            .pointer("/function/function_name")
            .and_then(Value::as_str)
            .map(|name| budget.text(name)),
        function: Shown::of(context.get("function"), budget),
        other_context: (!other.is_empty())
            .then(|| budget.json(&Value::Object(other), Markup::Highlight)),
        metadata: non_empty_object(&r.metadata)
            .then(|| budget.json(&r.metadata, Markup::Highlight)),
        response: Shown::answer(r.response.as_ref(), budget),
        feedback: Shown::of(r.feedback.as_ref(), budget),
        responded_at: r.responded_at.as_deref().map(short_time),
        deadline_at: r
            .deadline_at
            .as_deref()
            .map(|at| format!("{} UTC", short_time(at))),
        responded_by: r.responded_by,
        error: r.error,
        id: r.id,
        task_id: r.task_id,
        conversation_id: r.conversation_id,
        request_id: r.request_id,
        platform: r.platform,
    }
}

fn audit_line(e: &AuditEntry, budget: &mut Budget) -> AuditLine {
    AuditLine {
        at: short_time(&e.at),
        actor: e.actor.clone(),
        channel: e.channel.clone(),
        change: format!(
            "{} → {}",
            e.old_status.map_or("—", |s| s.as_str()),
            e.new_status
        ),
        detail: budget.text(&e.detail),
    }
}

/// The function arguments of an approval, as text to edit (JSON pretty-printed; the original
/// Python client sends them as a Python `str`, shown as it is); `None` past [`EDITABLE_BYTES`].
fn editable_arguments(r: &RequestRecord) -> Option<String> {
    if r.loop_type != LoopType::Approval {
        return None;
    }
    match r.context.pointer("/function/arguments")? {
        Value::String(s) if s.len() <= EDITABLE_BYTES => Some(s.clone()),
        Value::String(_) => None,
        other => pretty_within(other, EDITABLE_BYTES),
    }
}

/// The fields of every action form (each form sends the ones it has).
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    arguments: Option<String>,
    #[serde(default)]
    text: String,
    complete: Option<String>,
}

/// `POST /requests/{id}/{action}`: `approve`, `reject`, `answer`, `reply` or `cancel`.
pub async fn act(
    State(hub): State<Hub>,
    approver: Approver,
    Path((id, action)): Path<(String, String)>,
    WebForm(form): WebForm<ActionForm>,
) -> Result<Response, WebError> {
    approver.check_csrf(&form.csrf)?;
    let lang = approver.lang;
    let t = lang.texts();
    let record = find(&hub, &approver, &id).await?;
    let original_arguments = editable_arguments(&record);
    let mut draft = Draft {
        error: None,
        reason: form.reason.clone(),
        arguments: form.arguments.clone().or(original_arguments.clone()),
        text: form.text.clone(),
    };
    let Ok(action) = action.parse::<Action>() else {
        return Err(WebError::BadForm(
            lang,
            format!("'{action}' is not an action"),
        ));
    };
    let (action, text) = match action {
        Action::Approve | Action::Reject => (action, &form.reason),
        Action::Reply if form.complete.is_some() => (Action::Complete, &form.text),
        _ => (action, &form.text),
    };
    let mut decision = Decision::new(action, text);
    if action == Action::Approve {
        let edited = form
            .arguments
            .as_deref()
            .filter(|a| Some(a.trim()) != original_arguments.as_deref().map(str::trim));
        if let Some(edited) = edited {
            match serde_json::from_str::<Value>(edited) {
                Ok(arguments) => decision = decision.with_arguments(Some(arguments)),
                Err(e) => {
                    draft.error = Some(format!("{}: {e}", t.invalid_json));
                    return refuse(&hub, &approver, record, draft).await;
                }
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
            Ok(Redirect::to(&format!("/requests/{}?done=1", record.id)).into_response())
        }
        Verdict::NotFound => Err(WebError::NotFound(lang)),
        Verdict::Refused(why @ Refusal::NotForType { .. }) => {
            Err(WebError::BadForm(lang, why.to_string()))
        }
        Verdict::Refused(why) => {
            draft.error = Some(match why {
                Refusal::ReasonMissing => t.reason_required.to_owned(),
                Refusal::ArgumentsNotObject => why.to_string(),
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
