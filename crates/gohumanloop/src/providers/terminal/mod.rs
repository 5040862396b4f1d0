//! `TerminalProvider`: asks in this terminal, with the original's prompts and keywords
//! (protocol reference §2.1).
//!
//! One worker asks one request at a time, in the order they came, so concurrent requests never
//! interleave on the screen. Input is read line by line on a thread of its own, so it works with a
//! real terminal and with piped stdin alike; end of input turns the asked request, and every one
//! after it, into a clean `error`.

mod keywords;
mod language;

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::model::{HumanLoopRequest, HumanLoopResult, LoopType, Status};
use crate::provider::{Answer, Delivery, Ledger, LocalProvider, ProviderError};

use crate::providers::prompt as render;
pub use crate::providers::prompt::render;
pub use keywords::{decision, ends_conversation, Decision, APPROVE_WORDS, END_WORDS, REJECT_WORDS};
pub use language::Language;

/// `responded_by` of every terminal answer (the original's).
pub const TERMINAL_USER: &str = "terminal_user";
/// The error of a request asked after the input ended.
pub const END_OF_INPUT: &str = "end of input on the terminal";

type Input = Box<dyn BufRead + Send>;
type Output = Box<dyn Write + Send>;

struct Job {
    request: HumanLoopRequest,
    ledger: Ledger,
}

/// The delivery of a [`TerminalProvider`]: the terminal's input, output and question queue.
pub struct Terminal {
    io: Mutex<Option<(Input, Output)>>,
    color: bool,
    language: Language,
    jobs: OnceLock<mpsc::UnboundedSender<Job>>,
}

/// A provider that asks in the terminal.
pub type TerminalProvider = LocalProvider<Terminal>;

/// Whether text written to `stream` may carry colour codes: only when it is a terminal, and never
/// when `NO_COLOR` is set to anything but an empty string (<https://no-color.org>). A prompt or a
/// log written to a file or a pipe stays plain text.
pub fn colour_for(stream: &impl IsTerminal) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    stream.is_terminal() && !no_color
}

impl LocalProvider<Terminal> {
    /// Asks on stdin/stdout (the original's streams), in colour when stdout is a terminal (see
    /// [`colour_for`]).
    ///
    /// From the first question on, the provider reads stdin line by line: lines typed ahead are
    /// kept as answers to the next questions, so the program should not read stdin itself.
    pub fn new(name: impl Into<String>) -> Self {
        let color = colour_for(&std::io::stdout());
        Self::with_io(name, stdin(), std::io::stdout(), color)
    }

    /// Asks on stdin/stderr, leaving stdout to the program (what `ghl ask` uses).
    pub fn on_stderr(name: impl Into<String>) -> Self {
        let color = colour_for(&std::io::stderr());
        Self::with_io(name, stdin(), std::io::stderr(), color)
    }

    /// Speaks `language` (prompts and notes; the keywords of both languages are always
    /// understood). Set it before the first question.
    pub fn language(mut self, language: Language) -> Self {
        self.delivery_mut().language = language;
        self
    }

    /// Asks on any line input and output (a pipe, a socket, a buffer in a test).
    pub fn with_io(
        name: impl Into<String>,
        input: impl BufRead + Send + 'static,
        output: impl Write + Send + 'static,
        color: bool,
    ) -> Self {
        let terminal = Terminal {
            io: Mutex::new(Some((Box::new(input), Box::new(output)))),
            color,
            language: Language::En,
            jobs: OnceLock::new(),
        };
        Self::with_delivery(name, terminal)
    }
}

fn stdin() -> std::io::BufReader<std::io::Stdin> {
    std::io::BufReader::new(std::io::stdin())
}

#[async_trait]
impl Delivery for Terminal {
    async fn deliver(
        &self,
        request: HumanLoopRequest,
        ledger: Ledger,
    ) -> Result<(), ProviderError> {
        let jobs = self.jobs.get_or_init(|| self.start());
        jobs.send(Job { request, ledger })
            .map_err(|_| ProviderError::Failed("the terminal worker has stopped".into()))
    }

    fn describe(&self) -> String {
        "Terminal Provider".into()
    }
}

impl Terminal {
    /// Starts the input thread and the worker that asks one request at a time.
    fn start(&self) -> mpsc::UnboundedSender<Job> {
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let taken = self.io.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((input, output)) = taken {
            let (lines_tx, lines_rx) = mpsc::unbounded_channel();
            // A plain thread, not spawn_blocking: a read blocked on a silent terminal must not
            // keep the runtime from shutting down.
            let reader = std::thread::Builder::new()
                .name("gohumanloop-terminal-input".into())
                .spawn(move || read_lines(input, lines_tx));
            if reader.is_ok() {
                let worker = Worker {
                    language: self.language,
                    deadline: None,
                    lines: lines_rx,
                    out: output,
                    color: self.color,
                    input_ended: false,
                };
                tokio::spawn(worker.run(jobs_rx));
            }
        }
        jobs_tx
    }
}

/// Sends each line (lossily decoded, without its line ending) and then `None` at end of input.
fn read_lines(mut input: Input, lines: mpsc::UnboundedSender<Option<String>>) {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => {
                let _ = lines.send(None);
                return;
            }
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\n', '\r']).to_owned();
                if lines.send(Some(line)).is_err() {
                    return;
                }
            }
        }
    }
}

/// What happened while waiting for a line.
enum Typed {
    Line(String),
    EndOfInput,
    /// The request left `pending` elsewhere (expired, cancelled, answered by someone else).
    Closed(Box<HumanLoopResult>),
}

fn forgotten(request: &HumanLoopRequest, _: watch::error::RecvError) -> HumanLoopResult {
    let rid = request.request_id.clone().unwrap_or_default();
    HumanLoopResult::error(
        &request.conversation_id,
        rid,
        request.loop_type,
        "request forgotten",
    )
}

/// Seconds before the deadline at which the prompt is shown again with the time left.
const REMINDERS_AT: [u64; 3] = [300, 60, 10];

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Worker {
    language: Language,
    /// The deadline of the request being asked, on the runtime's clock.
    deadline: Option<Instant>,
    lines: mpsc::UnboundedReceiver<Option<String>>,
    out: Output,
    color: bool,
    input_ended: bool,
}

impl Worker {
    async fn run(mut self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = jobs.recv().await {
            let rid = job.request.request_id.clone().unwrap_or_default();
            let cid = job.request.conversation_id.clone();
            let Ok(states) = job.ledger.subscribe(&cid, &rid) else {
                continue;
            };
            if states.borrow().status != Status::Pending {
                continue; // cancelled or expired while it waited its turn
            }
            self.deadline =
                render::deadline(&job.request).map(|d| Instant::now() + render::remaining(d));
            let answer = if self.input_ended {
                Some(Answer::error(END_OF_INPUT))
            } else {
                self.say(&render(&job.request, self.color));
                self.ask(&job.request, states).await
            };
            if let Some(answer) = answer {
                let status = answer.status;
                if status != Status::Error {
                    // Said before recording: the waiting agent may end the program at once.
                    let recorded = self.language.recorded(status);
                    self.say(&format!("{recorded}\n\n"));
                }
                if let Err(e) = job.ledger.resolve(&cid, &rid, answer) {
                    // Another answer won the race (the first answer wins).
                    self.say(&format!("Not recorded: {e}\n\n"));
                }
            }
        }
    }

    fn say(&mut self, text: &str) {
        // A terminal that cannot be written to cannot be asked either; the read side reports it.
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// Asks until the human gives a valid answer; `None` when the request closed meanwhile.
    async fn ask(
        &mut self,
        request: &HumanLoopRequest,
        mut states: watch::Receiver<HumanLoopResult>,
    ) -> Option<Answer> {
        let prompt = self.language.prompt(request.loop_type);
        loop {
            let line = match self.read(request, prompt, &mut states).await {
                Typed::Line(line) => line,
                Typed::EndOfInput => return Some(Answer::error(END_OF_INPUT)),
                Typed::Closed(result) => return self.closed(request, &result),
            };
            let answer = match request.loop_type {
                LoopType::Information => Answer::completed(line),
                LoopType::Conversation if ends_conversation(&line) => Answer::completed(line),
                LoopType::Conversation => Answer::in_progress(line),
                LoopType::Approval => match decision(&line) {
                    Decision::Approve => Answer::approved().response(""),
                    Decision::Reject => {
                        let reason_prompt = self.language.reason_prompt();
                        match self.read(request, reason_prompt, &mut states).await {
                            Typed::Line(reason) => Answer::rejected(reason),
                            Typed::EndOfInput => return Some(Answer::error(END_OF_INPUT)),
                            Typed::Closed(result) => return self.closed(request, &result),
                        }
                    }
                    Decision::Invalid => {
                        let invalid = self.language.invalid_decision();
                        self.say(&format!("{invalid}\n"));
                        continue;
                    }
                },
            };
            return Some(answer.by(TERMINAL_USER));
        }
    }

    /// Prints the prompt (with the time left, if there is a deadline) and waits for a line,
    /// repeating the prompt with the time left as the deadline nears.
    async fn read(
        &mut self,
        request: &HumanLoopRequest,
        prompt: &str,
        states: &mut watch::Receiver<HumanLoopResult>,
    ) -> Typed {
        self.say(&format!("{}{prompt}\n", self.time_left()));
        loop {
            let reminder = self.next_reminder();
            tokio::select! {
                line = self.lines.recv() => return match line {
                    Some(Some(line)) => Typed::Line(line),
                    _ => {
                        self.input_ended = true;
                        let note = self.language.end_of_input();
                        self.say(&format!("\n{note}\n"));
                        Typed::EndOfInput
                    }
                },
                closed = states.wait_for(|r| r.status != Status::Pending) => {
                    // An error means the request was forgotten; its last state is all there is.
                    let result = closed.map(|r| r.clone()).unwrap_or_else(|e| forgotten(request, e));
                    return Typed::Closed(Box::new(result));
                },
                _ = sleep_until_some(reminder) => {
                    self.say(&format!("{}{prompt}\n", self.time_left()));
                }
            }
        }
    }

    /// `[4m 05s left] `, or nothing without a deadline.
    fn time_left(&self) -> String {
        let Some(deadline) = self.deadline else {
            return String::new();
        };
        let left = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(500);
        let left = Duration::from_secs(left.as_secs());
        self.language.time_left(&render::human_duration(left))
    }

    /// When to remind the human next: as the time left crosses one of [`REMINDERS_AT`].
    fn next_reminder(&self) -> Option<Instant> {
        let deadline = self.deadline?;
        let left = deadline.saturating_duration_since(Instant::now());
        REMINDERS_AT
            .iter()
            .map(|&secs| Duration::from_secs(secs))
            .find(|&at| at + Duration::from_millis(500) < left)
            .map(|at| deadline - at)
    }

    fn closed(&mut self, request: &HumanLoopRequest, result: &HumanLoopResult) -> Option<Answer> {
        let rid = &result.request_id;
        let note = match result.status {
            Status::Expired => self
                .language
                .timed_out(rid, request.timeout.unwrap_or_default()),
            status => self.language.closed(rid, status),
        };
        self.say(&format!("{note}\n\n"));
        None
    }
}
