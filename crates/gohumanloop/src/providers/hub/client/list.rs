//! `GET /api/v1/requests`: the filters of a list, and one page of it.

use serde::{Deserialize, Serialize};

use super::view::RequestView;
use crate::model::{LoopType, Status};

/// Which requests to list (all filters optional, combined with AND; newest first). The hub
/// refuses a bad value with HTTP 422 ([`HubError::Refused`](super::HubError::Refused)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// Only these statuses (none: every status).
    pub statuses: Vec<Status>,
    /// Only this loop type.
    pub loop_type: Option<LoopType>,
    /// Only this platform.
    pub platform: Option<String>,
    /// Only this task.
    pub task_id: Option<String>,
    /// Only this conversation.
    pub conversation_id: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_after: Option<String>,
    /// Created before (RFC 3339).
    pub created_before: Option<String>,
    /// At most this many in the page (1 to 1000; the hub's default is 100). A page may hold
    /// fewer (the hub bounds a reply's size): go on with its [`RequestPage::next`].
    pub limit: Option<u32>,
    /// Skip this many (counted from the start of the list, not of a later page).
    pub offset: Option<u32>,
    /// Continue after an earlier page: its [`RequestPage::next`].
    pub before: Option<String>,
}

impl ListFilter {
    /// The requests that wait for a human (`pending`).
    pub fn pending() -> Self {
        Self::default().status(Status::Pending)
    }

    /// The turns of one conversation.
    pub fn conversation(conversation_id: impl Into<String>) -> Self {
        Self {
            conversation_id: Some(conversation_id.into()),
            ..Self::default()
        }
    }

    /// Adds a status to the ones listed.
    pub fn status(mut self, status: Status) -> Self {
        self.statuses.push(status);
        self
    }

    /// Sets the most requests in a page.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Continues after an earlier page (its `next`).
    pub fn before(mut self, next: impl Into<String>) -> Self {
        self.before = Some(next.into());
        self
    }

    /// The query parameters.
    pub(super) fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if !self.statuses.is_empty() {
            let statuses: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
            query.push(("status", statuses.join(",")));
        }
        let texts = [
            ("loop_type", self.loop_type.map(|t| t.as_str().to_owned())),
            ("platform", self.platform.clone()),
            ("task_id", self.task_id.clone()),
            ("conversation_id", self.conversation_id.clone()),
            ("created_after", self.created_after.clone()),
            ("created_before", self.created_before.clone()),
            ("limit", self.limit.map(|n| n.to_string())),
            ("offset", self.offset.map(|n| n.to_string())),
            ("before", self.before.clone()),
        ];
        query.extend(
            texts
                .into_iter()
                .filter_map(|(key, value)| value.map(|v| (key, v))),
        );
        query
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestPage {
    /// The requests, newest first.
    pub requests: Vec<RequestView>,
    /// How many (`requests.len()`).
    pub count: usize,
    /// Where the list goes on (pass it as [`ListFilter::before`] with the same filters), or
    /// `None` once it is known to be complete.
    #[serde(default)]
    pub next: Option<String>,
}
