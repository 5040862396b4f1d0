//! JSON for the replies hyper writes itself. A request hyper cannot parse (a malformed
//! `Content-Length`, a URI over 64 KiB, headers over its buffer) never reaches the router:
//! hyper answers it with an empty 400, 414 or 431 and closes the connection. The README
//! promises JSON for every reply, so the connection's writer recognises those exact, bodiless
//! replies (no reply of the hub's own is bodiless with these statuses) and writes a JSON one
//! instead.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The replies hyper writes itself, and what the client is told instead.
const REPLACED: [(&str, &str); 3] = [
    (
        "HTTP/1.1 400 Bad Request",
        "the request is not valid HTTP/1.1 (a malformed request line, header or Content-Length)",
    ),
    ("HTTP/1.1 414 URI Too Long", "the request URI is too long"),
    (
        "HTTP/1.1 431 Request Header Fields Too Large",
        "the request headers are too large",
    ),
];

/// The longest reply head hyper writes itself (status line, `content-length: 0`, `date`).
const LONGEST_HEAD: usize = 256;

/// The JSON reply for a reply head hyper wrote itself, if `written` is one. Every write of
/// every reply passes here: anything but a short head of a 4xx is passed over at once.
fn json_reply_for(written: &[u8]) -> Option<Vec<u8>> {
    if written.len() > LONGEST_HEAD || !written.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let head = std::str::from_utf8(written)
        .ok()?
        .strip_suffix("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let (_, message) = REPLACED.iter().find(|(line, _)| *line == status_line)?;
    if !lines.any(|l| l.eq_ignore_ascii_case("content-length: 0")) {
        return None;
    }
    let body = json!({"success": false, "error": message}).to_string();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A connection whose writer replaces hyper's own bodiless error replies with JSON ones.
pub(crate) struct JsonParseErrors<T> {
    inner: T,
    /// A replacement reply and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> JsonParseErrors<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> JsonParseErrors<T> {
    /// Writes what is left of a replacement reply.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((reply, written)) = &mut self.pending {
            if *written == reply.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &reply[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `written` as sent if it is one of hyper's own error replies, queuing the JSON one.
    /// It counts as written even while the replacement is still going out: the next write,
    /// flush or shutdown finishes it.
    fn replaced(
        &mut self,
        cx: &mut Context<'_>,
        written: &[u8],
    ) -> Option<Poll<io::Result<usize>>> {
        let reply = json_reply_for(written)?;
        self.pending = Some((reply, 0));
        Some(match self.poll_pending(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(written.len())),
        })
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonParseErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some(done) = self.replaced(cx, buf) {
            return done;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let [only] = bufs {
            if let Some(done) = self.replaced(cx, only) {
                return done;
            }
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::json_reply_for;

    #[test]
    fn only_hypers_bodiless_error_replies_are_replaced() {
        let hyper_431 =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let reply = String::from_utf8(json_reply_for(hyper_431).unwrap()).unwrap();
        assert!(reply.starts_with("HTTP/1.1 431 "));
        let body = reply.split("\r\n\r\n").nth(1).unwrap();
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["success"], false);
        let own_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n";
        assert_eq!(
            json_reply_for(own_400),
            None,
            "the hub's own replies have bodies"
        );
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{}";
        assert_eq!(json_reply_for(with_body), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(json_reply_for(ok), None);
    }
}
