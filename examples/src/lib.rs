//! Runnable examples live beside this crate as `[[example]]` targets; this library holds what
//! they share.

use std::error::Error;
use std::process::ExitCode;

/// Turns an example's outcome into its exit code. An error is printed as a message with its
/// causes (`error: …: …`), not in the `Debug` form a `main` returning `Result` would print.
pub fn exit_code(outcome: Result<(), Box<dyn Error>>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = format!("error: {e}");
            let mut cause = e.source();
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The user guide's chapter on the library: its Rust blocks run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/library.md")]
pub struct GuideLibrary;

/// The user guide's chapter on rig agents: its Rust blocks compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/rig.md")]
pub struct GuideRig;

/// The user guide's chapter on email: its Rust block runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/channels/email.md")]
pub struct GuideEmail;
