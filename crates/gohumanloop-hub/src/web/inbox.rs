//! `GET /inbox`: pending requests first, newest first, across the tenants the approver sees;
//! filters, counts per status and type, and keyset paging (a page costs the same at any depth).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gohumanloop::model::{LoopType, Status};
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, Duration};

use super::session::Approver;
use super::view::{deadline_ms, short_time, title_of};
use crate::accounts::Tenant;
use crate::core::Hub;
use crate::html::error::WebError;
use crate::html::pages::{self, Chrome};
use crate::record::{RequestFilter, RequestRecord};
use crate::store::{Cursor, StoreResult};

/// Requests per page.
pub(crate) const PAGE_SIZE: u32 = 50;

/// The inbox's query string (all optional; a bad value is refused with a clear page).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InboxQuery {
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
    /// Where the previous page ended: `p<seq>` in the pending part, `r<seq>` in the rest.
    after: Option<String>,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageStart {
    /// Among the pending requests, after this position.
    Pending(Cursor),
    /// Among the others, after this position (`None`: from their newest).
    Rest(Option<Cursor>),
}

impl PageStart {
    fn parse(text: &str) -> Option<Self> {
        let (kind, position) = text.split_at_checked(1)?;
        match (kind, position) {
            ("p", position) => Some(Self::Pending(position.parse().ok()?)),
            ("r", "") => Some(Self::Rest(None)),
            ("r", position) => Some(Self::Rest(Some(position.parse().ok()?))),
            _ => None,
        }
    }

    fn text(self) -> String {
        match self {
            Self::Pending(at) => format!("p{at}"),
            Self::Rest(Some(at)) => format!("r{at}"),
            Self::Rest(None) => "r".to_owned(),
        }
    }

    fn position(self) -> Option<Cursor> {
        match self {
            Self::Pending(at) => Some(at),
            Self::Rest(at) => at,
        }
    }
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
    let filter = RequestFilter {
        statuses: status.into_iter().collect(),
        loop_type,
        platform: non_empty(&q.platform),
        task_id: non_empty(&q.task),
        created_after: from,
        created_before: to,
        limit: PAGE_SIZE,
        ..RequestFilter::default()
    };
    let (records, next) = load(&hub, &tenants, filter, cursor)
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    let counts = count(&hub, &approver.user.tenants)
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    let rows = records
        .into_iter()
        .map(|r| Row {
            title: title_of(&r.context, 160),
            status: r.status.as_str(),
            status_label: t.status_name(r.status),
            loop_type: r.loop_type.as_str(),
            type_label: t.type_name(r.loop_type),
            tenant: tenant_name(&approver.user.tenants, r.tenant),
            created_short: short_time(&r.created_at),
            deadline_ms: deadline_ms(&r),
            id: r.id,
            platform: r.platform,
            task_id: r.task_id,
            created_at: r.created_at,
        })
        .collect();
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
        rows,
        next_link: next.map(|c| link(Some(c))),
        first_link: cursor.map(|_| link(None)),
    };
    Ok(pages::render(&page))
}

/// The filters of the current page, to carry into its paging links.
fn url_query(q: &InboxQuery) -> Vec<(&'static str, String)> {
    [
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

/// One page: with no status filter the pending requests come first, then the rest; each part
/// newest first. Returns the page and where the next one starts.
async fn load(
    hub: &Hub,
    tenants: &[Tenant],
    filter: RequestFilter,
    start: Option<PageStart>,
) -> StoreResult<(Vec<RequestRecord>, Option<PageStart>)> {
    let limit = filter.limit as usize;
    if !filter.statuses.is_empty() {
        let before = start.and_then(PageStart::position);
        let (rows, more) = merged(hub, tenants, &filter, before, limit).await?;
        let next = more
            .then(|| rows.last().map(|r| PageStart::Rest(Some(r.0))))
            .flatten();
        return Ok((rows.into_iter().map(|r| r.1).collect(), next));
    }
    let mut rows = Vec::new();
    if let None | Some(PageStart::Pending(_)) = start {
        let pending = RequestFilter {
            statuses: vec![Status::Pending],
            ..filter.clone()
        };
        let before = start.and_then(PageStart::position);
        let (found, more) = merged(hub, tenants, &pending, before, limit).await?;
        if more {
            let next = found.last().map(|r| PageStart::Pending(r.0));
            return Ok((found.into_iter().map(|r| r.1).collect(), next));
        }
        rows = found;
    }
    let rest = RequestFilter {
        exclude_statuses: vec![Status::Pending],
        ..filter
    };
    let before = match start {
        Some(PageStart::Rest(at)) => at,
        _ => None,
    };
    let room = limit - rows.len();
    if room == 0 {
        // The pending part filled this page exactly: the rest starts on the next one.
        let (probe, _) = merged(hub, tenants, &rest, None, 1).await?;
        let next = (!probe.is_empty()).then_some(PageStart::Rest(None));
        return Ok((rows.into_iter().map(|r| r.1).collect(), next));
    }
    let (found, more) = merged(hub, tenants, &rest, before, room).await?;
    let next = more
        .then(|| found.last().map(|r| PageStart::Rest(Some(r.0))))
        .flatten();
    rows.extend(found);
    Ok((rows.into_iter().map(|r| r.1).collect(), next))
}

/// The newest `limit` matches over several tenants (one indexed query each, merged by position),
/// and whether there are more.
async fn merged(
    hub: &Hub,
    tenants: &[Tenant],
    filter: &RequestFilter,
    before: Option<Cursor>,
    limit: usize,
) -> StoreResult<(Vec<(Cursor, RequestRecord)>, bool)> {
    let probe = RequestFilter {
        limit: limit as u32 + 1,
        ..filter.clone()
    };
    let mut all = Vec::new();
    for tenant in tenants {
        all.extend(hub.store().page(tenant.id, &probe, before).await?);
    }
    all.sort_by_key(|row| std::cmp::Reverse(row.0));
    let more = all.len() > limit;
    all.truncate(limit);
    Ok((all, more))
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
    fn cursors_round_trip_and_bad_ones_are_refused() {
        for c in [
            PageStart::Pending(Cursor::at(42)),
            PageStart::Rest(Some(Cursor::at(7))),
            PageStart::Rest(None),
        ] {
            assert_eq!(PageStart::parse(&c.text()), Some(c));
        }
        assert_eq!(PageStart::parse("p0"), None);
        assert_eq!(PageStart::parse("x1"), None);
        assert_eq!(PageStart::parse("p"), None);
        assert_eq!(PageStart::parse("pabc"), None);
        assert_eq!(PageStart::parse(""), None);
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
