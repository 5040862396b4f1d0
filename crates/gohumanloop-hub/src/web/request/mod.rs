//! `GET /requests/{id}`: everything a human needs to decide — the question first, what the
//! agent wants to do in one line, its message as prose, its arguments as a table, the
//! conversation as one thread — with the actions in a bar that stays in view, and
//! `POST /requests/{id}/{action}`: approve (optionally with arguments edited field by field or
//! as a whole), reject with a reason, answer (or pick one of the offered answers), reply
//! (optionally ending the conversation), cancel. Every action is a [`Decision`](crate::core::Decision) for
//! [`Hub::decide`], the hub's one answering function: the first answer wins, and a later one
//! is shown who answered and what. After a decision the approver goes on to the next pending
//! request (or back to the list), which names the request just decided.

mod actions;
mod audit;
mod edit;
mod policy;

pub use self::actions::act;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use serde_json::Value;

use self::audit::AuditLine;
use self::edit::{ArgField, ArgRow, DiffRow, MAX_FIELDS};
use super::session::Approver;
use super::triage::{assignable, decided};
use super::view::{
    deadline_ms, options_of, prose_of, said_lines, short_metadata, short_time, shorten, summary_of,
    title_of, Part, Shown,
};
use crate::channels::email::mail::{mail_of, MailRecord, CHANNEL as EMAIL};
use crate::core::Hub;
use crate::html::error::WebError;
use crate::html::i18n::Texts;
use crate::html::pages::{self, Chrome};
use crate::json_view::{html_len, pretty_within, Budget, Markup, Unit};
use crate::record::{ms_to_rfc3339, RequestFilter, RequestRecord};
use crate::store::{Delivery, DeliveryState, StoreResult};

/// The audit channel of answers given in the inbox.
const CHANNEL: &str = "web";

/// Context keys shown in their own sections (the rest appear under "other context").
const KNOWN_KEYS: [&str; 5] = ["question", "message", "additional", "function", "options"];

/// How many turns of a conversation the thread shows, around the one on the page.
const MAX_TURNS: usize = 50;

/// The longest turn line of the thread, in characters.
const TURN_CHARS: usize = 2_000;

/// The longest heading, in characters (a longer question is shown whole below it).
const HEADING_CHARS: usize = 300;

/// The longest one-line summary of what the agent wants to do, in characters.
const SUMMARY_CHARS: usize = 160;

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
    /// RFC 3339 (for the relative time).
    pub created_at: String,
    /// The deadline, when it has one (`YYYY-MM-DD HH:MM UTC`).
    pub deadline_at: Option<String>,
    /// The deadline of a pending request (Unix ms), for the countdown.
    pub deadline_ms: Option<i64>,
    /// The page's heading: the question, else the message's beginning, on one line.
    pub heading: String,
    /// The whole question, when the heading could not hold it (or it is no text).
    pub question: Vec<Part>,
    /// What the agent wants to do: `pay(invoice: "INV-7", amount: 1200)`.
    pub what: Option<String>,
    /// `context.message` as prose.
    pub message: Vec<Part>,
    /// `context.additional` as prose.
    pub additional: Vec<Part>,
    /// `context.function.function_name`.
    pub function_name: Option<String>,
    /// The arguments object as a table, in the agent's order.
    pub arguments: Option<Vec<ArgRow>>,
    /// Arguments that are no (small enough) object: text as text, anything else as JSON.
    pub arguments_shown: Option<Shown>,
    /// The metadata's short scalar entries.
    pub short_metadata: Vec<(String, String)>,
    /// The answers the request offers (`context.options`, `metadata.options`).
    pub options: Vec<String>,
    /// The rest of the context, highlighted (escaped HTML).
    pub other_context: Option<String>,
    /// The metadata, highlighted (escaped HTML).
    pub metadata: Option<String>,
    /// The answer.
    pub response: Option<Shown>,
    /// The arguments an approval changed, against the agent's.
    pub edit_diff: Vec<DiffRow>,
    /// Remarks.
    pub feedback: Option<Shown>,
    /// Who answered.
    pub responded_by: Option<String>,
    /// When.
    pub responded_at: Option<String>,
    /// Why it ended without an answer.
    pub error: Option<String>,
}

impl Detail {
    /// The id of the form of the request's main action (the one `then-next` belongs to).
    pub(crate) fn primary_form(&self) -> &'static str {
        match self.loop_type {
            "information" => "answer-form",
            "conversation" => "reply-form",
            _ => "approve-form",
        }
    }
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
    /// What the agent said: its message (escaped HTML, with roles).
    pub said: Vec<Part>,
    /// What the agent asked (escaped HTML).
    pub question: Option<String>,
    /// What the human answered.
    pub response: Option<Shown>,
    /// Who answered.
    pub responded_by: Option<String>,
    /// `YYYY-MM-DD HH:MM`.
    pub created: String,
}

/// A message above the request.
pub(crate) struct Notice {
    /// Good news (else a warning).
    pub ok: bool,
    /// The message.
    pub text: String,
    /// The hub's id of the request it is about (a link to it), after a decision.
    pub link: Option<String>,
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
    /// The whole-arguments field (arguments the original client sent as text).
    pub arguments: Option<String>,
    /// The per-field inputs of the arguments, as posted (`arg.<key>`, value).
    pub fields: Vec<(String, String)>,
    /// Whether the argument editor is open.
    pub edit_open: bool,
    /// The answer / reply field.
    pub text: String,
}

/// The argument editor of a pending approval.
pub(crate) struct Editor {
    /// One input per argument (an arguments object).
    pub fields: Vec<ArgField>,
    /// The whole arguments as one text (arguments the original client sent as text).
    pub whole: Option<String>,
    /// Whether it starts open (after a refused edit, or `?edit=1`).
    pub open: bool,
}

/// Whom the request is assigned to, and to whom it may be.
pub(crate) struct Assignment {
    /// The assignee.
    pub assignee: Option<String>,
    /// Whether it is the approver.
    pub mine: bool,
    /// The others it may be assigned to (the accounts that see it).
    pub others: Vec<String>,
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
    /// The argument editor (a pending approval whose arguments can be edited).
    pub editor: Option<Editor>,
    /// The assignment.
    pub assignment: Assignment,
    /// The policy box: the rule, who may decide, votes, escalation, the deadline's default.
    pub policy: Vec<policy::PolicyLine>,
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
    /// The hub's id of the request decided just before (for the notice).
    done: Option<String>,
    /// `1`: the argument editor starts open (its button's target without script).
    edit: Option<String>,
}

/// `GET /requests/{id}`.
pub async fn page(
    State(hub): State<Hub>,
    approver: Approver,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let record = find(&hub, &approver, &id).await?;
    let notice = match q.done.as_deref().filter(|d| !d.is_empty()) {
        Some(done) => decided(&hub, &approver, done).await?.map(|d| Notice {
            ok: true,
            text: d.text,
            link: Some(d.id),
            detail: None,
        }),
        None => None,
    };
    let draft = Draft {
        edit_open: q.edit.as_deref() == Some("1"),
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
    let can_act = record.status == Status::Pending;
    let policy = match crate::core::PlanView::of(&record) {
        Some(plan) => {
            let ballots = hub.store().ballots(&record.id).await.map_err(store_error)?;
            policy::lines(&plan, &ballots, lang)
        }
        None => Vec::new(),
    };
    let assignee = hub
        .store()
        .assignee(&record.id)
        .await
        .map_err(store_error)?;
    let others = if can_act {
        assignable(hub, approver, &record)
            .await?
            .into_iter()
            .filter(|name| *name != approver.user.name)
            .collect()
    } else {
        Vec::new()
    };
    let assignment = Assignment {
        mine: assignee.as_deref() == Some(approver.user.name.as_str()),
        assignee,
        others,
    };
    // What the approver typed comes back first; what does not fit is dropped.
    for field in [&mut draft.reason, &mut draft.text] {
        if !budget.row(html_len(field)) {
            field.clear();
        }
    }
    let editor = if can_act {
        editor_of(&record, &draft, &mut budget)
    } else {
        None
    };
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
            said: turn
                .said
                .iter()
                .map(|(role, text)| Part {
                    role: role.clone(),
                    html: budget.text(text),
                    json: false,
                })
                .collect(),
            question: turn.question.as_deref().map(|q| budget.text(q)),
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
        .map(|entry| audit::line(t, entry, &mut budget))
        .collect();
    let page = RequestPage {
        policy,
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
        editor,
        assignment,
        draft,
    };
    Ok((status, pages::render(&page)).into_response())
}

/// The argument editor of a pending approval: an input per argument of an object (with what
/// was typed), the whole text of arguments the original client sent as text; none for
/// arguments too big to edit (they are approved as they are) or for other requests.
fn editor_of(record: &RequestRecord, draft: &Draft, budget: &mut Budget) -> Option<Editor> {
    if record.loop_type != LoopType::Approval {
        return None;
    }
    let arguments = record.context.pointer("/function/arguments")?;
    let editor = match arguments {
        // The whole arguments were posted as one text: they come back as typed.
        Value::Object(_) if draft.arguments.is_some() => {
            let whole = draft.arguments.clone().unwrap_or_default();
            budget.row(html_len(&whole)).then_some(Editor {
                fields: Vec::new(),
                whole: Some(whole),
                open: true,
            })?
        }
        Value::Object(map)
            if !map.is_empty()
                && map.len() <= MAX_FIELDS
                && pretty_within(arguments, EDITABLE_BYTES).is_some() =>
        {
            let fields = edit::fields(map, &draft.fields);
            let bytes = fields
                .iter()
                .map(|f| html_len(&f.value) + html_len(&f.initial) + html_len(&f.original))
                .sum();
            budget.row(bytes).then_some(Editor {
                fields,
                whole: None,
                open: draft.edit_open,
            })?
        }
        Value::String(text) if text.len() <= EDITABLE_BYTES => {
            let whole = draft.arguments.clone().unwrap_or_else(|| text.clone());
            budget.row(html_len(&whole)).then_some(Editor {
                fields: Vec::new(),
                whole: Some(whole),
                open: draft.edit_open,
            })?
        }
        _ => return None,
    };
    Some(editor)
}

/// What the thread needs of a turn: what the agent said and asked (cut to [`TURN_CHARS`])
/// rather than its whole context.
struct ThreadTurn {
    id: String,
    status: Status,
    said: Vec<(Option<String>, String)>,
    question: Option<String>,
    response: Option<Value>,
    responded_by: Option<String>,
    created_at: String,
}

impl ThreadTurn {
    fn of(turn: &RequestRecord) -> Self {
        let context = &turn.context;
        let said = said_lines(context.get("message"), TURN_CHARS);
        let question = match context.get("question") {
            Some(Value::String(q)) if !q.trim().is_empty() => Some(shorten(q.trim(), TURN_CHARS)),
            Some(Value::Null) | Some(Value::String(_)) | None => None,
            Some(other) => Some(shorten(&other.to_string(), TURN_CHARS)),
        };
        // A turn that says nothing else is named as the inbox names it.
        let question = match (&question, said.is_empty()) {
            (None, true) => Some(title_of(context, TURN_CHARS)),
            _ => question,
        };
        Self {
            id: turn.id.clone(),
            status: turn.status,
            said,
            question,
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
    let heading = title_of(context, HEADING_CHARS);
    // The question in full below the heading when the heading shortened it or it is no text.
    let question = match context.get("question") {
        Some(Value::String(q)) if q.split_whitespace().collect::<Vec<_>>().join(" ") == heading => {
            Vec::new()
        }
        Some(Value::String(q)) if q.trim().is_empty() => Vec::new(),
        other => prose_of(other, budget),
    };
    let asked = context.pointer("/function/arguments");
    let (arguments, arguments_shown) = match asked {
        Some(Value::Object(map)) if map.is_empty() => (None, None),
        Some(Value::Object(map)) => match edit::rows(map, budget) {
            Some(rows) => (Some(rows), None),
            None => (None, Shown::of(asked, budget)),
        },
        other => (None, Shown::of(other, budget)),
    };
    let edit_diff = match (&r.response, r.status) {
        (Some(response), Status::Approved) => response
            .get("arguments")
            .map(|edited| edit::diff(asked, edited))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
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
        heading,
        question,
        what: summary_of(context, SUMMARY_CHARS),
        message: prose_of(context.get("message"), budget),
        additional: prose_of(context.get("additional"), budget),
        function_name: context
            .pointer("/function/function_name")
            .and_then(Value::as_str)
            .map(|name| shorten(name, 200)),
        arguments,
        arguments_shown,
        short_metadata: short_metadata(&r.metadata),
        options: match r.loop_type {
            LoopType::Information => options_of(context, &r.metadata),
            _ => Vec::new(),
        },
        other_context: (!other.is_empty())
            .then(|| budget.json(&Value::Object(other), Markup::Highlight)),
        metadata: non_empty_object(&r.metadata)
            .then(|| budget.json(&r.metadata, Markup::Highlight)),
        response: Shown::answer(r.response.as_ref(), budget),
        edit_diff,
        feedback: Shown::of(r.feedback.as_ref(), budget),
        responded_at: r.responded_at.as_deref().map(short_time),
        deadline_at: r
            .deadline_at
            .as_deref()
            .map(|at| format!("{} UTC", short_time(at))),
        responded_by: r.responded_by,
        error: r.error,
        id: r.id,
        created_at: r.created_at,
        task_id: r.task_id,
        conversation_id: r.conversation_id,
        request_id: r.request_id,
        platform: r.platform,
    }
}

/// The function arguments of an approval as the whole-arguments field shows them at first
/// (JSON pretty-printed; the original Python client sends them as a Python `str`, shown as it
/// is); `None` past [`EDITABLE_BYTES`].
fn arguments_text(r: &RequestRecord) -> Option<String> {
    if r.loop_type != LoopType::Approval {
        return None;
    }
    match r.context.pointer("/function/arguments")? {
        Value::String(s) if s.len() <= EDITABLE_BYTES => Some(s.clone()),
        Value::String(_) => None,
        other => pretty_within(other, EDITABLE_BYTES),
    }
}
