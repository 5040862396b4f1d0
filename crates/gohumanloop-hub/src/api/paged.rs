//! Replies that list many records. The records are fetched from the store a chunk at a time and
//! streamed to the client as they come, never more than the count asked for nor, after the
//! first record, more than [`MAX_REPLY_BYTES`]: a reply costs the hub one chunk of memory, not
//! the whole list. The reply ends with `count` (records sent) and `next`, the cursor to
//! continue from, `null` once the list is known to be complete.

use std::collections::VecDeque;
use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;
use crate::store::StoreResult;

/// The most bytes of records one reply holds (a single larger record is still sent whole).
pub const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// How many records are fetched from the store at once, at most; the first fetch takes
/// [`FIRST_CHUNK`], later ones as many as the records so far suggest will fit.
const CHUNK: usize = 16;

/// How many records the first fetch takes (records may be 1 MiB each).
const FIRST_CHUNK: usize = 4;

/// Records as fetched: each serialised as it appears in the reply, with the cursor that
/// continues after it.
pub(crate) type Chunk = Vec<(Vec<u8>, String)>;

/// A list reply: `{"success":true,"error":null,"<key>":[records…],"count":n,"next":…}`.
pub(crate) struct ListReply {
    /// The list's key.
    pub(crate) key: &'static str,
    /// `true`: the records are `"name":value` entries of an object, not array items.
    pub(crate) object: bool,
    /// The most records to send.
    pub(crate) limit: usize,
}

/// How many records to fetch next, with `sent` records of `bytes` in the reply and at most
/// `left` more wanted: [`FIRST_CHUNK`] at first, then as many as seem to fit in what is left
/// of the reply, judging by the records so far (one more, to learn whether it is full).
pub(crate) fn chunk_size(sent: usize, bytes: usize, left: usize) -> usize {
    let wanted = match bytes.checked_div(sent) {
        None => FIRST_CHUNK,
        Some(average) => {
            (MAX_REPLY_BYTES.saturating_sub(bytes) / average.max(1) + 1).clamp(1, CHUNK)
        }
    };
    wanted.min(left)
}

struct Streaming<F> {
    fetch: F,
    queued: VecDeque<(Vec<u8>, String)>,
    /// The store has no records past the queued ones.
    exhausted: bool,
    cursor: Option<String>,
    sent: usize,
    bytes: usize,
    limit: usize,
    tail: Option<&'static str>,
}

impl ListReply {
    /// Streams the records `fetch(cursor, how_many)` returns, starting from `cursor`. A failure
    /// to fetch the first chunk is an error reply; a later one cuts the reply short (the
    /// client sees an incomplete body, never a wrong one).
    pub(crate) async fn stream<F, Fut>(
        self,
        cursor: Option<String>,
        mut fetch: F,
    ) -> Result<Response, ApiError>
    where
        F: FnMut(Option<String>, usize) -> Fut + Send + 'static,
        Fut: Future<Output = StoreResult<Chunk>> + Send + 'static,
    {
        let first_size = chunk_size(0, 0, self.limit);
        let first = fetch(cursor.clone(), first_size).await?;
        let (open, close) = if self.object { ("{", "}") } else { ("[", "]") };
        let opening = format!(
            "{{\"success\":true,\"error\":null,{}:{open}",
            Value::from(self.key)
        );
        let state = Streaming {
            exhausted: first.len() < first_size,
            queued: first.into(),
            fetch,
            cursor,
            sent: 0,
            bytes: 0,
            limit: self.limit,
            tail: Some(close),
        };
        let records = futures_util::stream::unfold(state, Streaming::next_piece);
        let body = futures_util::StreamExt::chain(
            futures_util::stream::once(async move { Ok(Bytes::from(opening)) }),
            records,
        );
        Ok((
            [(header::CONTENT_TYPE, "application/json")],
            Body::from_stream(body),
        )
            .into_response())
    }
}

impl<F, Fut> Streaming<F>
where
    F: FnMut(Option<String>, usize) -> Fut + Send + 'static,
    Fut: Future<Output = StoreResult<Chunk>> + Send + 'static,
{
    /// The next piece of the body: a record, or the closing keys, or the end.
    async fn next_piece(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        let close = self.tail?;
        if self.sent < self.limit && self.queued.is_empty() && !self.exhausted {
            let wanted = chunk_size(self.sent, self.bytes, self.limit - self.sent);
            match (self.fetch)(self.cursor.clone(), wanted).await {
                Ok(chunk) => {
                    self.exhausted = chunk.len() < wanted;
                    self.queued = chunk.into();
                }
                Err(e) => {
                    tracing::error!("a list reply was cut short: {e}");
                    self.tail = None;
                    return Some((Err(std::io::Error::other(e.to_string())), self));
                }
            }
        }
        let fits =
            |record: &Vec<u8>| self.sent == 0 || self.bytes + record.len() <= MAX_REPLY_BYTES;
        match self.queued.front() {
            Some((record, _)) if self.sent < self.limit && fits(record) => {
                let (record, cursor) = self.queued.pop_front()?;
                let mut piece = Vec::with_capacity(record.len() + 1);
                if self.sent > 0 {
                    piece.push(b',');
                }
                piece.extend_from_slice(&record);
                self.sent += 1;
                self.bytes += record.len();
                self.cursor = Some(cursor);
                Some((Ok(Bytes::from(piece)), self))
            }
            rest => {
                let complete = rest.is_none() && self.exhausted;
                let next = match (&self.cursor, complete) {
                    (Some(cursor), false) => Value::from(cursor.as_str()),
                    _ => Value::Null,
                };
                self.tail = None;
                let closing = format!("{close},\"count\":{},\"next\":{next}}}", self.sent);
                Some((Ok(Bytes::from(closing)), self))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_fit_what_is_left_of_the_reply() {
        assert_eq!(chunk_size(0, 0, 1_000), FIRST_CHUNK);
        assert_eq!(chunk_size(0, 0, 2), 2);
        assert_eq!(
            chunk_size(4, 400, 1_000),
            CHUNK,
            "small records: full chunks"
        );
        assert_eq!(
            chunk_size(2, 2 << 20, 1_000),
            3,
            "1 MiB records: two fit, one to see"
        );
        assert_eq!(
            chunk_size(4, 4 << 20, 1_000),
            1,
            "full: one more to see it is"
        );
        assert_eq!(chunk_size(10, 1_000, 3), 3, "never more than wanted");
    }
}
