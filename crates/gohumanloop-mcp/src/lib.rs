//! # gohumanloop-mcp
//!
//! MCP for GoHumanLoop, on rmcp (pinned):
//!
//! - [`AskServer`]: ask-a-human tools for any MCP client — `request_approval`,
//!   `request_information`, `start_conversation` / `continue_conversation`, `check_request`,
//!   `cancel_request` — answered through the hub's channels and, where the client can elicit,
//!   by the client's own user (the first answer wins). Served over stdio (`ghl mcp`) and over
//!   streamable HTTP by the hub itself at `/mcp` ([`http::service`]).
//! - [`gateway`]: an approval gateway in front of any MCP server: a call to a tool that needs
//!   approval waits for a human; approved calls are forwarded (with edited arguments),
//!   rejected ones never reach the server.

mod ask;
mod elicit;
/// Entry points for `fuzz/` and its corpus replay test only (not an API).
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
pub mod http;
mod humans;
mod outcome;

pub use ask::{AskOptions, AskServer};
pub use humans::PLATFORM;
