//! `GET /inbox`: the pending requests first, most urgent first, then the others, across the
//! tenants the approver sees (one row per conversation); text search, filters kept in the URL,
//! the requests assigned to me, counts per status and type, and keyset paging.

mod listing;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, Duration};

use self::listing::{load, PageStart};
use super::session::Approver;
use super::triage::{decided, Decided};
use super::view::{deadline_ms, short_time, summary_of, title_of};
use crate::accounts::Tenant;
use crate::core::Hub;
use crate::html::error::WebError;
use crate::html::pages::{self, Chrome};
use crate::record::{now_ms, RequestFilter, RequestRecord};
use crate::store::{StoreResult, SEARCH_MATCHES};

/// Requests per page.
pub(crate) const PAGE_SIZE: u32 = 50;

/// A pending request due within this many milliseconds is marked "due soon".
const DUE_SOON_MS: i64 = 15 * 60 * 1000;

/// The most matches a page lists among, over all the tenants searched.
const MAX_MATCHES_LISTED: usize = 10 * SEARCH_MATCHES as usize;

/// The most words a search takes (more are refused).
const SEARCH_WORDS: usize = 8;

/// The longest word a search takes.
const SEARCH_WORD_CHARS: usize = 100;

/// The inbox's query string (all optional; a bad value is refused with a clear page).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InboxQuery {
    /// Words that must all occur in the question, message, function name or arguments.
    q: Option<String>,
    /// `1`: only the requests assigned to me.
    mine: Option<String>,
    /// The hub's id of a request just decided (for the notice).
    done: Option<String>,
    status: Option<String>,
    #[serde(rename = "type")]
    loop_type: Option<String>,
    platform: Option<String>,
    task: Option<String>,
    tenant: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    from: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    to: Option<String>,
    /// Where the previous page ended (`p…` in the pending part, `r…` in the rest).
    after: Option<String>,
}

/// One line of the inbox.
pub(crate) struct Row {
    /// The hub's id.
    pub id: String,
    /// Wire name of the status (for CSS).
    pub status: &'static str,
    /// Status in the approver's language.
    pub status_label: &'static str,
    /// Wire name of the type (for CSS).
    pub loop_type: &'static str,
    /// Type in the approver's language.
    pub type_label: &'static str,
    /// The question (or message), shortened.
    pub title: String,
    /// What the agent wants to do (`pay(amount: 12, …)`), for a request with a function.
    pub summary: Option<String>,
    /// Whether it is pending and due within [`DUE_SOON_MS`].
    pub due_soon: bool,
    /// Whom it is assigned to.
    pub assignee: Option<String>,
    /// How many turns its conversation has (conversations only).
    pub turns: Option<i64>,
    /// A pending request's quorum so far: approvals, and how many it needs.
    pub votes: Option<(u32, u32)>,
    /// The tenant's name.
    pub tenant: String,
    /// The platform.
    pub platform: String,
    /// The task.
    pub task_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub created_short: String,
    /// The deadline of a pending request (Unix ms), for the countdown.
    pub deadline_ms: Option<i64>,
}

/// A choice in a filter's drop-down, or a count chip.
pub(crate) struct Choice {
    /// The wire value.
    pub value: &'static str,
    /// In the approver's language.
    pub label: &'static str,
    /// Whether it is the current filter.
    pub selected: bool,
    /// How many requests have it.
    pub n: i64,
}

/// The inbox page.
#[derive(Template)]
#[template(path = "inbox.html")]
pub(crate) struct InboxPage {
    /// The frame.
    pub chrome: Chrome,
    /// The status drop-down and counts.
    pub statuses: Vec<Choice>,
    /// The type drop-down and counts.
    pub types: Vec<Choice>,
    /// The tenants the approver sees (a drop-down when there are several).
    pub tenants: Vec<Tenant>,
    /// The tenant filter.
    pub tenant: String,
    /// The platform filter.
    pub platform: String,
    /// The task filter.
    pub task: String,
    /// The from-date filter.
    pub from: String,
    /// The to-date filter.
    pub to: String,
    /// The search words, as typed.
    pub q: String,
    /// Whether only the requests assigned to me are shown.
    pub mine: bool,
    /// Whether more requests match the search than it reads.
    pub capped: bool,
    /// How many requests are pending (for the page's title).
    pub pending: i64,
    /// The request just decided, when there is one.
    pub decided: Option<Decided>,
    /// This page's requests.
    pub rows: Vec<Row>,
    /// The link to the next page, if there is one.
    pub next_link: Option<String>,
    /// The link to the first page, when this is not it.
    pub first_link: Option<String>,
}

/// `GET /inbox`.
pub async fn page(
    State(hub): State<Hub>,
    approver: Approver,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    let lang = approver.lang;
    let t = lang.texts();
    let bad = |why: String| WebError::BadForm(lang, why);
    let status = parse_choice::<Status>(q.status.as_deref()).map_err(bad)?;
    let loop_type = parse_choice::<LoopType>(q.loop_type.as_deref()).map_err(bad)?;
    let cursor = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => {
            Some(PageStart::parse(text).ok_or_else(|| bad(format!("bad page '{text}'")))?)
        }
    };
    let from = parse_day(q.from.as_deref(), 0).map_err(bad)?;
    let to = parse_day(q.to.as_deref(), 1).map_err(bad)?;
    let search = search_words(q.q.as_deref()).map_err(bad)?;
    let mine = q.mine.as_deref().is_some_and(|m| !m.is_empty() && m != "0");
    let tenants: Vec<Tenant> = approver
        .user
        .tenants
        .iter()
        .filter(|t| {
            q.tenant
                .as_deref()
                .is_none_or(|n| n.is_empty() || n == t.name)
        })
        .cloned()
        .collect();
    let store_error = |e| WebError::Store(lang, e);
    let (among, capped) = search_matches(&hub, &tenants, &search)
        .await
        .map_err(store_error)?;
    let filter = RequestFilter {
        statuses: status.into_iter().collect(),
        loop_type,
        platform_contains: non_empty(&q.platform),
        task_contains: non_empty(&q.task),
        created_after: from,
        created_before: to,
        among,
        newest_turn_only: true,
        assigned_to: mine.then(|| approver.user.name.clone()),
        limit: PAGE_SIZE,
        ..RequestFilter::default()
    };
    let (records, next) = load(&hub, &tenants, filter, cursor)
        .await
        .map_err(store_error)?;
    let counts = count(&hub, &approver.user.tenants)
        .await
        .map_err(store_error)?;
    let extras = Extras::of(&hub, &records).await.map_err(store_error)?;
    let now = now_ms();
    let rows = records
        .into_iter()
        .map(|r| {
            let deadline = deadline_ms(&r);
            Row {
                title: title_of(&r.context, 160),
                summary: summary_of(&r.context, 120),
                due_soon: r.status == Status::Pending
                    && deadline.is_some_and(|d| d - now <= DUE_SOON_MS),
                assignee: extras.assignee(&r.id),
                turns: extras.turns(&r),
                votes: r
                    .open_tally()
                    .map(|(approvals, _, needed)| (approvals, needed)),
                status: r.status.as_str(),
                status_label: t.status_name(r.status),
                loop_type: r.loop_type.as_str(),
                type_label: t.type_name(r.loop_type),
                tenant: tenant_name(&approver.user.tenants, r.tenant),
                created_short: short_time(&r.created_at),
                deadline_ms: deadline,
                id: r.id,
                platform: r.platform,
                task_id: r.task_id,
                created_at: r.created_at,
            }
        })
        .collect();
    let decided = match q.done.as_deref().filter(|d| !d.is_empty()) {
        Some(id) => decided(&hub, &approver, id).await?,
        None => None,
    };
    let statuses = Status::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: t.status_name(*s),
            selected: status == Some(*s),
            n: counts.0[Status::ALL.iter().position(|x| x == s).unwrap_or(0)],
        })
        .collect();
    let types = LoopType::ALL
        .iter()
        .map(|l| Choice {
            value: l.as_str(),
            label: t.type_name(*l),
            selected: loop_type == Some(*l),
            n: counts.1[LoopType::ALL.iter().position(|x| x == l).unwrap_or(0)],
        })
        .collect();
    let link = |after: Option<PageStart>| {
        let mut query = url_query(&q);
        if let Some(after) = after {
            query.push(("after", after.text()));
        }
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        format!("/inbox?{}", encoded.join("&"))
    };
    let page = InboxPage {
        chrome: approver.chrome("inbox"),
        statuses,
        types,
        tenants: approver.user.tenants.clone(),
        tenant: q.tenant.clone().unwrap_or_default(),
        platform: q.platform.clone().unwrap_or_default(),
        task: q.task.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        mine,
        capped,
        pending: counts.0[0],
        decided,
        rows,
        next_link: next.map(|c| link(Some(c))),
        first_link: cursor.map(|_| link(None)),
    };
    Ok(pages::render(&page))
}

/// The filters of the current page, to carry into its paging links.
fn url_query(q: &InboxQuery) -> Vec<(&'static str, String)> {
    [
        ("q", &q.q),
        ("mine", &q.mine),
        ("status", &q.status),
        ("type", &q.loop_type),
        ("platform", &q.platform),
        ("task", &q.task),
        ("tenant", &q.tenant),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect()
}

/// What the page shows of its requests beyond their rows: assignees, conversations' turns.
struct Extras {
    assignees: Vec<(String, String)>,
    turns: Vec<(i64, String, i64)>,
}

impl Extras {
    async fn of(hub: &Hub, records: &[RequestRecord]) -> StoreResult<Self> {
        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        let assignees = hub.store().assignees(&ids).await?;
        let mut turns = Vec::new();
        let mut tenants: Vec<i64> = records.iter().map(|r| r.tenant).collect();
        tenants.sort_unstable();
        tenants.dedup();
        for tenant in tenants {
            let conversations: Vec<String> = records
                .iter()
                .filter(|r| r.tenant == tenant && r.loop_type == LoopType::Conversation)
                .map(|r| r.conversation_id.clone())
                .collect();
            for (conversation, n) in hub.store().turn_counts(tenant, &conversations).await? {
                turns.push((tenant, conversation, n));
            }
        }
        Ok(Self { assignees, turns })
    }

    fn assignee(&self, id: &str) -> Option<String> {
        self.assignees
            .iter()
            .find(|(request, _)| request == id)
            .map(|(_, who)| who.clone())
    }

    fn turns(&self, r: &RequestRecord) -> Option<i64> {
        if r.loop_type != LoopType::Conversation {
            return None;
        }
        self.turns
            .iter()
            .find(|(tenant, c, _)| *tenant == r.tenant && *c == r.conversation_id)
            .map(|(_, _, n)| *n)
    }
}

/// The requests of the tenants that a search finds (each tenant's newest [`SEARCH_MATCHES`]),
/// read once for the whole page, and whether a tenant has more matches than that.
async fn search_matches(
    hub: &Hub,
    tenants: &[Tenant],
    words: &[String],
) -> StoreResult<(Option<Vec<String>>, bool)> {
    if words.is_empty() {
        return Ok((None, false));
    }
    let (mut ids, mut capped) = (Vec::new(), false);
    for tenant in tenants {
        let mut found = hub.store().search(tenant.id, words).await?;
        capped |= found.len() >= SEARCH_MATCHES as usize;
        // Each id is a parameter of the page's queries, and databases take only so many (an
        // admin sees every tenant).
        let room = MAX_MATCHES_LISTED.saturating_sub(ids.len());
        capped |= found.len() > room;
        found.truncate(room);
        ids.extend(found);
    }
    Ok((Some(ids), capped))
}

/// The search field's words (every one must occur); too many or too long ones are refused.
fn search_words(text: Option<&str>) -> Result<Vec<String>, String> {
    let words: Vec<String> = text
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if words.len() > SEARCH_WORDS {
        return Err(format!("search for at most {SEARCH_WORDS} words"));
    }
    if let Some(long) = words.iter().find(|w| w.chars().count() > SEARCH_WORD_CHARS) {
        let start: String = long.chars().take(20).collect();
        return Err(format!(
            "'{start}…' is longer than {SEARCH_WORD_CHARS} characters"
        ));
    }
    Ok(words)
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.trim().is_empty())
}

fn parse_choice<T: std::str::FromStr>(text: Option<&str>) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse::<T>().map(Some).map_err(|e| e.to_string()),
    }
}

/// A `YYYY-MM-DD` day as Unix ms at its start (`days_after` 1: at its end).
fn parse_day(text: Option<&str>, days_after: i64) -> Result<Option<i64>, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let day = Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("'{text}' is not a date (YYYY-MM-DD)"))?;
    let start = (day + Duration::days(days_after)).midnight().assume_utc();
    Ok(Some((start.unix_timestamp_nanos() / 1_000_000) as i64))
}

fn tenant_name(tenants: &[Tenant], id: i64) -> String {
    tenants
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.name.clone())
        .unwrap_or_default()
}

/// Counts per status and per type over the tenants.
async fn count(hub: &Hub, tenants: &[Tenant]) -> StoreResult<([i64; 8], [i64; 3])> {
    let ids: Vec<i64> = tenants.iter().map(|t| t.id).collect();
    let mut by_status = [0; 8];
    let mut by_type = [0; 3];
    for c in hub.store().counts(&ids).await? {
        if let Some(i) = Status::ALL.iter().position(|s| *s == c.status) {
            by_status[i] += c.n;
        }
        if let Some(i) = LoopType::ALL.iter().position(|l| *l == c.loop_type) {
            by_type[i] += c.n;
        }
    }
    Ok((by_status, by_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capped_search_notice_names_the_cap() {
        for lang in [crate::html::i18n::Lang::En, crate::html::i18n::Lang::Zh] {
            let cap = SEARCH_MATCHES.to_string();
            let written = format!("{},{}", &cap[..1], &cap[1..]);
            assert!(lang.texts().search_capped.contains(&written));
        }
    }

    #[test]
    fn searches_take_words_and_refuse_too_many_or_too_long() {
        assert_eq!(
            search_words(Some("  pay   发票 ")),
            Ok(vec!["pay".to_owned(), "发票".to_owned()])
        );
        assert_eq!(search_words(None), Ok(Vec::new()));
        assert!(search_words(Some("a b c d e f g h i")).is_err());
        assert!(search_words(Some(&"x".repeat(101))).is_err());
    }

    #[test]
    fn days_cover_whole_utc_days() {
        let start = parse_day(Some("2026-01-31"), 0).unwrap().unwrap();
        let end = parse_day(Some("2026-01-31"), 1).unwrap().unwrap();
        assert_eq!(end - start, 86_400_000);
        assert_eq!(start, 1_769_817_600_000);
        assert!(parse_day(Some("31/01/2026"), 0).is_err());
        assert_eq!(parse_day(Some(" "), 0), Ok(None));
    }
}
