//! The terminal provider on scripted input and captured output: one question at a time, the
//! original's keywords in both languages, cancellation, expiry and end of input.

use std::io::{Cursor, Read, Write};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use gohumanloop::model::Status;
use gohumanloop::{LoopRequest, LoopType, Manager, TerminalProvider};
use serde_json::json;

/// Output captured for the test to read.
#[derive(Clone, Default)]
struct Screen(Arc<Mutex<Vec<u8>>>);

impl Write for Screen {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Screen {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    async fn wait_for(&self, needle: &str) {
        let limit = Duration::from_secs(60);
        // The kit's wait, bounded from outside so that the failure shows the screen.
        let shown = tokio::time::timeout(
            limit,
            gohumanloop_testkit::until("", 2 * limit, || async {
                self.text().contains(needle).then_some(())
            }),
        )
        .await;
        if shown.is_err() {
            panic!("{needle:?} never appeared in:\n{}", self.text());
        }
    }
}

/// Keyboard input the test types line by line.
struct Keyboard(mpsc::Receiver<Vec<u8>>, Vec<u8>);

impl Read for Keyboard {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.1.is_empty() {
            match self.0.recv() {
                Ok(bytes) => self.1 = bytes,
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.1.len());
        buf[..n].copy_from_slice(&self.1[..n]);
        self.1.drain(..n);
        Ok(n)
    }
}

fn scripted(input: &str) -> (Manager, Screen) {
    let screen = Screen::default();
    let provider = TerminalProvider::with_io(
        "terminal",
        Cursor::new(input.as_bytes().to_vec()),
        screen.clone(),
        false,
    );
    (Manager::with_provider(Arc::new(provider)).unwrap(), screen)
}

/// A terminal on a keyboard the test types on (nothing is typed until the test sends it).
fn typed() -> (Manager, Screen, mpsc::Sender<Vec<u8>>) {
    let screen = Screen::default();
    let (keys, keyboard) = mpsc::channel();
    let input = std::io::BufReader::new(Keyboard(keyboard, Vec::new()));
    let provider = TerminalProvider::with_io("terminal", input, screen.clone(), false);
    (
        Manager::with_provider(Arc::new(provider)).unwrap(),
        screen,
        keys,
    )
}

fn ask(loop_type: LoopType, text: &str) -> LoopRequest {
    LoopRequest::new(loop_type, LoopRequest::message_context(text))
}

#[tokio::test]
async fn concurrent_requests_are_asked_one_at_a_time_in_order() {
    let (manager, screen) = scripted("approve\nmaybe\nreject\nbad idea\n同意\n");
    let mut tickets = Vec::new();
    for n in 0..3 {
        tickets.push(
            manager
                .request(ask(LoopType::Approval, &format!("step {n}")))
                .await
                .unwrap(),
        );
    }
    let mut results = Vec::new();
    for t in &tickets {
        results.push(
            manager
                .wait(&t.conversation_id, &t.request_id)
                .await
                .unwrap(),
        );
    }
    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Status::Approved, Status::Rejected, Status::Approved]
    );
    assert_eq!(results[1].response, json!("bad idea"));
    assert!(results
        .iter()
        .all(|r| r.responded_by.as_deref() == Some("terminal_user")));
    let text = screen.text();
    assert_eq!(
        text.matches("Invalid input, please enter 'approve' or 'reject'")
            .count(),
        1
    );
    // Each block is whole: its header, its prompt and its outcome, before the next header.
    let mut from = 0;
    for (n, t) in tickets.iter().enumerate() {
        let header = text[from..]
            .find(&format!("Request ID: {}", t.request_id))
            .map(|i| i + from)
            .unwrap();
        let message = text[header..].find(&format!("step {n}")).unwrap() + header;
        let recorded = text[message..]
            .find("Your decision has been recorded:")
            .unwrap()
            + message;
        if let Some(next) = tickets.get(n + 1) {
            let next_header = text
                .find(&format!("Request ID: {}", next.request_id))
                .unwrap();
            assert!(
                recorded < next_header,
                "request {n} interleaved with the next:\n{text}"
            );
        }
        from = recorded;
    }
}

#[tokio::test]
async fn chinese_keywords_information_and_conversation() {
    let (manager, screen) = scripted("拒绝\n太危险\n北京\n你好\n结束\n");
    let rejected = manager
        .request_and_wait(ask(LoopType::Approval, "删除文件"))
        .await
        .unwrap();
    assert_eq!(
        (rejected.status, rejected.response.clone()),
        (Status::Rejected, json!("太危险"))
    );
    let info = manager
        .request_and_wait(ask(LoopType::Information, "哪个城市？"))
        .await
        .unwrap();
    assert_eq!(
        (info.status, info.response.clone()),
        (Status::Completed, json!("北京"))
    );
    let turn = manager
        .request_and_wait(ask(LoopType::Conversation, "聊聊").conversation_id("c"))
        .await
        .unwrap();
    assert_eq!(
        (turn.status, turn.response.clone()),
        (Status::InProgress, json!("你好"))
    );
    let end = manager
        .continue_and_wait(ask(LoopType::Conversation, "还有吗").conversation_id("c"))
        .await
        .unwrap();
    assert_eq!(
        (end.status, end.response.clone()),
        (Status::Completed, json!("结束"))
    );
    let text = screen.text();
    for prompt in [
        "Please enter your decision (approve/reject):",
        "Please enter the reason for rejection:",
        "Please provide the required information:",
        "Please enter your response (type 'exit' to end conversation):",
    ] {
        assert!(text.contains(prompt), "{prompt} missing");
    }
}

#[tokio::test]
async fn end_of_input_is_a_clean_error_for_this_and_later_requests() {
    let (manager, screen) = scripted("");
    let first = manager
        .request_and_wait(ask(LoopType::Approval, "x"))
        .await
        .unwrap();
    assert_eq!(
        (first.status, first.error.as_deref()),
        (Status::Error, Some("end of input on the terminal"))
    );
    let second = manager
        .request_and_wait(ask(LoopType::Information, "y"))
        .await
        .unwrap();
    assert_eq!(second.status, Status::Error);
    assert!(screen.text().contains("(end of input)"));
    // End of input right after a rejection, while the reason is asked.
    let (manager, _) = scripted("no\n");
    let cut = manager
        .request_and_wait(ask(LoopType::Approval, "x"))
        .await
        .unwrap();
    assert_eq!(cut.status, Status::Error);
}

#[tokio::test]
async fn a_question_closed_elsewhere_stops_being_asked() {
    let (manager, screen, keys) = typed();
    let first = manager
        .request(ask(LoopType::Approval, "first").conversation_id("c1"))
        .await
        .unwrap();
    let second = manager
        .request(ask(LoopType::Information, "second").timeout(1))
        .await
        .unwrap();
    let third = manager
        .request(ask(LoopType::Information, "third"))
        .await
        .unwrap();
    screen.wait_for("first").await;
    assert!(
        !screen.text().contains("second"),
        "only one question at a time"
    );
    manager
        .cancel_request("c1", &first.request_id)
        .await
        .unwrap();
    screen
        .wait_for(&format!(
            "Request {} is no longer waiting: cancelled",
            first.request_id
        ))
        .await;
    // The second one expires while it is asked (or while it waits its turn) and is skipped.
    let expired = manager
        .wait(&second.conversation_id, &second.request_id)
        .await
        .unwrap();
    assert_eq!(expired.status, Status::Expired);
    screen.wait_for("third").await;
    keys.send(b"an answer\n".to_vec()).unwrap();
    let answered = manager
        .wait(&third.conversation_id, &third.request_id)
        .await
        .unwrap();
    assert_eq!(
        (answered.status, answered.response),
        (Status::Completed, json!("an answer"))
    );
}

#[tokio::test(start_paused = true)]
async fn the_prompt_counts_down_to_the_deadline() {
    let (manager, screen, _keys) = typed();
    let result = manager
        .request_and_wait(ask(LoopType::Information, "soon?").timeout(75))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Expired);
    let text = screen.text();
    let prompts: Vec<&str> = text
        .lines()
        .filter(|l| l.ends_with("Please provide the required information:"))
        .collect();
    assert_eq!(
        prompts,
        [
            "[1m 15s left] Please provide the required information:",
            "[1m 00s left] Please provide the required information:",
            "[10s left] Please provide the required information:",
        ],
        "{text}"
    );
    assert!(text.contains("Deadline: "), "the header shows the deadline");
    assert!(text.contains("has timed out after 75 seconds"));
}
