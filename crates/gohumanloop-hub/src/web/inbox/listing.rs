//! Which requests a page of the inbox shows: with no status filter (or "pending" alone) the
//! pending requests come first, most urgent first — by deadline, soonest first and none last,
//! then oldest first — and then the others, newest first. Each part is read with keyset paging
//! (a page costs the same at any depth), one indexed query per tenant, merged by position.

use gohumanloop::model::Status;

use crate::accounts::Tenant;
use crate::core::Hub;
use crate::record::{RequestFilter, RequestRecord};
use crate::store::{Cursor, StoreResult, Urgency};

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PageStart {
    /// Among the pending requests, after this one.
    Pending(Urgency),
    /// Among the others, after this position (`None`: from their newest).
    Rest(Option<Cursor>),
}

impl PageStart {
    /// `p<urgency>`, `r<position>` or `r`, as [`PageStart::text`] writes them.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let (kind, position) = text.split_at_checked(1)?;
        match (kind, position) {
            ("p", position) => Some(Self::Pending(position.parse().ok()?)),
            ("r", "") => Some(Self::Rest(None)),
            ("r", position) => Some(Self::Rest(Some(position.parse().ok()?))),
            _ => None,
        }
    }

    /// The text form, for a link.
    pub(super) fn text(self) -> String {
        match self {
            Self::Pending(at) => format!("p{at}"),
            Self::Rest(Some(at)) => format!("r{at}"),
            Self::Rest(None) => "r".to_owned(),
        }
    }
}

/// One page of requests matching `filter` (its `limit` is the page's size) in the tenants, and
/// where the next one starts.
pub(super) async fn load(
    hub: &Hub,
    tenants: &[Tenant],
    filter: RequestFilter,
    start: Option<PageStart>,
) -> StoreResult<(Vec<RequestRecord>, Option<PageStart>)> {
    let limit = filter.limit as usize;
    let pending_only = filter.statuses == [Status::Pending];
    if !filter.statuses.is_empty() && !pending_only {
        let before = match start {
            Some(PageStart::Rest(at)) => at,
            _ => None,
        };
        let (rows, more) = newest(hub, tenants, &filter, before, limit).await?;
        let next = more
            .then(|| rows.last().map(|r| PageStart::Rest(Some(r.0))))
            .flatten();
        return Ok((rows.into_iter().map(|r| r.1).collect(), next));
    }
    let mut rows = Vec::new();
    if let None | Some(PageStart::Pending(_)) = start {
        let after = match start {
            Some(PageStart::Pending(at)) => Some(at),
            _ => None,
        };
        let (found, more) = most_urgent(hub, tenants, &filter, after, limit).await?;
        if more || pending_only {
            let next = more
                .then(|| found.last().map(|r| PageStart::Pending(r.0)))
                .flatten();
            return Ok((found.into_iter().map(|r| r.1).collect(), next));
        }
        rows = found.into_iter().map(|r| r.1).collect();
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
        let (probe, _) = newest(hub, tenants, &rest, None, 1).await?;
        let next = (!probe.is_empty()).then_some(PageStart::Rest(None));
        return Ok((rows, next));
    }
    let (found, more) = newest(hub, tenants, &rest, before, room).await?;
    let next = more
        .then(|| found.last().map(|r| PageStart::Rest(Some(r.0))))
        .flatten();
    rows.extend(found.into_iter().map(|r| r.1));
    Ok((rows, next))
}

/// The most urgent `limit` pending matches after `after` over several tenants, and whether
/// there are more.
async fn most_urgent(
    hub: &Hub,
    tenants: &[Tenant],
    filter: &RequestFilter,
    after: Option<Urgency>,
    limit: usize,
) -> StoreResult<(Vec<(Urgency, RequestRecord)>, bool)> {
    let probe = RequestFilter {
        limit: limit as u32 + 1,
        ..filter.clone()
    };
    let mut all = Vec::new();
    for tenant in tenants {
        all.extend(
            hub.store()
                .pending_by_urgency(tenant.id, &probe, after)
                .await?,
        );
    }
    all.sort_by_key(|row| row.0);
    let more = all.len() > limit;
    all.truncate(limit);
    Ok((all, more))
}

/// The newest `limit` matches before `before` over several tenants, and whether there are
/// more.
async fn newest(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_starts_round_trip_and_bad_ones_are_refused() {
        for start in [
            PageStart::Pending("1700000000000.42".parse().unwrap()),
            PageStart::Pending(format!("{}.3", i64::MAX).parse().unwrap()),
            PageStart::Rest(Some("7".parse().unwrap())),
            PageStart::Rest(None),
        ] {
            assert_eq!(PageStart::parse(&start.text()), Some(start));
        }
        for bad in ["p0", "p42", "x1", "p", "pabc", "", "r0", "p1.0"] {
            assert_eq!(PageStart::parse(bad), None, "{bad}");
        }
    }
}
