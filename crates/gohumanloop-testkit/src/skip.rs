//! Skips that cannot go unseen.
//!
//! libtest captures what a test prints with `print!`/`eprint!` and shows it only when the test
//! fails, so a skip printed that way looks exactly like a pass. [`skip`] writes to the process's
//! standard error directly, which the harness does not capture, a line starting with
//! [`MARKER`]. `scripts/test.sh` counts those lines, reports them in its closing line
//! (`all tests: N passed, M failed, K skipped`) and fails the run when there is any.

use std::fmt::Display;
use std::io::Write;

/// What every skip line starts with (after a line break: tests run in parallel, so the line
/// may follow another test's half-written status).
pub const MARKER: &str = "SKIPPED:";

/// Reports that the running test skips its checks, and why; the caller then returns.
///
/// The line names the test (libtest names each test's thread after it).
pub fn skip(why: impl Display) {
    let thread = std::thread::current();
    let line = line(thread.name().unwrap_or("a test"), &why);
    // Uncaptured on purpose (see the module's docs); nothing to do if stderr is gone.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The value of the environment variable `var` when set and not empty; otherwise the test is
/// reported skipped (with `how`, the way to provide it) and `None` comes back.
pub fn env_or_skip(var: &str, how: &str) -> Option<String> {
    let value = set_value(var);
    if value.is_none() {
        skip(format_args!("{var} is not set ({how})"));
    }
    value
}

/// The skip line for `test`.
fn line(test: &str, why: &dyn Display) -> String {
    format!("\n{MARKER} {test}: {why}\n")
}

/// `var`'s value, if set and not empty.
fn set_value(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Only the parts: a real skip here would be counted by scripts/test.sh as one.
    #[test]
    fn the_line_starts_on_a_line_of_its_own_with_the_marker_and_the_test() {
        assert_eq!(line("a::b", &"no server"), "\nSKIPPED: a::b: no server\n");
    }

    #[test]
    fn a_variable_counts_as_set_only_with_a_value() {
        // PATH is set wherever tests run; this name is set nowhere.
        assert!(set_value("PATH").is_some());
        assert_eq!(set_value("GHL_TESTKIT_NEVER_SET_9F2"), None);
    }
}
