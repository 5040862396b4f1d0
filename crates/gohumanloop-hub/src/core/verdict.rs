//! What [`crate::Hub::decide`] answers.

use gohumanloop::model::Status;

use super::decision::Refusal;
use crate::record::RequestRecord;

/// The outcome of a decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Recorded: the request moved from `before` and is now `record`.
    Changed {
        /// The status it had.
        before: Status,
        /// The request as it is now.
        record: Box<RequestRecord>,
    },
    /// Someone else was first (or the request had ended): the request as the winner left it —
    /// its status, `responded_by`, `responded_at` and response.
    Conflict(Box<RequestRecord>),
    /// The decision is not valid for this request; nothing was recorded.
    Refused(Refusal),
    /// The tenant has no such request.
    NotFound,
    /// A vote toward the request's quorum was recorded; the request stays pending until the
    /// quorum is reached (or a rejection decides).
    Voted {
        /// The request (still pending).
        record: Box<RequestRecord>,
        /// The votes so far.
        tally: crate::policy::Tally,
    },
}

/// A recorded vote in words: `vote recorded: 1 of 2 approvals`.
pub(crate) fn tally_words(tally: &crate::policy::Tally) -> String {
    match tally {
        crate::policy::Tally::Pending {
            approvals,
            rejections,
            needed,
        } => {
            let against = if *rejections > 0 {
                format!(", {rejections} against")
            } else {
                String::new()
            };
            format!("vote recorded: {approvals} of {needed} approvals{against}; the request stays pending")
        }
        crate::policy::Tally::Approved { approvals } => format!("approved by {approvals} votes"),
        crate::policy::Tally::Rejected { rejections } => format!("rejected by {rejections} votes"),
    }
}

/// Who won a conflict and when, in words: `approved by alice at 2026-…`.
pub(crate) fn winner_words(winner: &RequestRecord) -> String {
    let by = winner
        .responded_by
        .as_deref()
        .map(|who| format!(" by {who}"))
        .unwrap_or_default();
    let at = winner.responded_at.as_deref().unwrap_or(&winner.updated_at);
    format!("{}{by} at {at}", winner.status)
}
