//! # gohumanloop-rig
//!
//! Gate a [rig](https://docs.rs/rig-agent) agent's tool calls on a human through GoHumanLoop:
//! the terminal, an in-process provider, or the hub (and through it the web inbox, email, chat
//! and webhooks). rig 0.44 (`rig-agent`, `rig-core`): the newest on Rust 1.95.
//!
//! - [`Gate::hook`]: rig's dispatch hook. Approved → the call runs; approved with edited
//!   arguments → it runs with them (an approval cannot change the tool); rejected → skipped,
//!   and the model sees the reason; cancelled → the run stops with a clear error; expired → as
//!   [`OnExpiry`] says. Which calls: [`Gated`] (all, by name, by a predicate; read-only tools
//!   pass).
//! - [`Gate::wrap`]: [`ApprovalRequired<T>`], the same for one tool without the hook.
//! - [`Gate::pause_after`] with [`Gate::run`] and [`Gate::resume`]: a run stops at a gated
//!   batch, is saved ([`PausedRun::encode`]), and resumes in another process once the human
//!   answered; the batch then runs once — a second resume runs nothing
//!   ([`GateError::AlreadyResumed`]).
//! - [`Gate::ask_human`]: the tool `ask_human`, for a model that needs information only a human
//!   has.
//!
//! ```no_run
//! use std::sync::Arc;
//! use gohumanloop::interrupt::{Interrupts, Local};
//! use gohumanloop::TerminalProvider;
//! use gohumanloop_rig::{Gate, Gated};
//! # async fn demo(agent: rig_agent::Agent) -> Result<(), Box<dyn std::error::Error>> {
//! let terminal = Arc::new(TerminalProvider::new("terminal"));
//! let gate = Gate::new(Interrupts::new(Arc::new(Local::new(terminal))))
//!     .gated(Gated::named(["delete_file"]));
//! let response = agent.prompt("Clean up /tmp/build").add_hook(gate.hook()).await?;
//! # Ok(()) }
//! ```

mod ask;
mod ask_human;
mod error;
mod gate;
mod hook;
mod pause;
mod tools;
mod verdict;
mod wrapper;

pub use ask::Asked;
pub use ask_human::{AskHuman, Question};
pub use error::GateError;
pub use gate::{Gate, Outcome};
pub use hook::ApprovalHook;
pub use pause::PausedRun;
pub use tools::Gated;
pub use verdict::{information, verdict, OnExpiry, Verdict};
pub use wrapper::{ApprovalRequired, StopOnAbort};
