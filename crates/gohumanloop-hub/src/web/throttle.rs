//! Slows down password guessing: after a few failed sign-ins for one account name, that name is
//! refused for a while (doubling with every further failure, up to a cap), before any password
//! is checked. A success clears the record.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before the first pause.
const FREE_FAILURES: u32 = 5;

/// The first pause; each further failure doubles it.
const FIRST_PAUSE: Duration = Duration::from_secs(30);

/// The longest pause.
const MAX_PAUSE: Duration = Duration::from_secs(15 * 60);

/// Records older than this are forgotten.
const MEMORY: Duration = Duration::from_secs(60 * 60);

/// How many names are remembered at most (older records are dropped first).
const MAX_NAMES: usize = 10_000;

/// How much of a name is kept: enough to tell accounts apart (`ghl users` allows 64 bytes),
/// never a memory burden however long the names an attacker sends.
const NAME_BYTES: usize = 64;

/// The record's key for a name.
fn key(name: &str) -> &str {
    let mut end = name.len().min(NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// Until when this name is refused.
    fn paused_until(self) -> Option<Instant> {
        let over = self.count.checked_sub(FREE_FAILURES)?;
        let pause = FIRST_PAUSE
            .checked_mul(1 << over.min(16))
            .unwrap_or(MAX_PAUSE)
            .min(MAX_PAUSE);
        Some(self.last + pause)
    }
}

/// Failed sign-ins per account name (in memory: a restart forgets them).
#[derive(Debug, Default)]
pub struct Throttle {
    names: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// How long `name` must still wait before it may try again (`None`: it may try now).
    pub fn wait(&self, name: &str, now: Instant) -> Option<Duration> {
        let names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        let until = names.get(key(name))?.paused_until()?;
        until.checked_duration_since(now).filter(|d| !d.is_zero())
    }

    /// Records a failed attempt.
    pub fn failed(&self, name: &str, now: Instant) {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if names.len() >= MAX_NAMES {
            names.retain(|_, f| now.duration_since(f.last) < MEMORY);
            if names.len() >= MAX_NAMES {
                names.clear();
            }
        }
        let entry = names.entry(key(name).to_owned()).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.duration_since(entry.last) >= MEMORY {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
    }

    /// Forgets the failures of a name that signed in.
    pub fn succeeded(&self, name: &str) {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        names.remove(key(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_pauses_double_up_to_the_cap() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.wait("alice", t0), None);
            throttle.failed("alice", t0);
        }
        assert_eq!(throttle.wait("alice", t0), Some(FIRST_PAUSE));
        assert_eq!(
            throttle.wait("bob", t0),
            None,
            "other names are not affected"
        );
        let later = t0 + FIRST_PAUSE;
        assert_eq!(throttle.wait("alice", later), None);
        throttle.failed("alice", later);
        assert_eq!(throttle.wait("alice", later), Some(FIRST_PAUSE * 2));
        for _ in 0..30 {
            throttle.failed("alice", later);
        }
        assert_eq!(throttle.wait("alice", later), Some(MAX_PAUSE));
        throttle.succeeded("alice");
        assert_eq!(throttle.wait("alice", later), None);
    }

    #[test]
    fn long_names_are_kept_short() {
        let throttle = Throttle::default();
        let long = "é".repeat(1_000);
        for _ in 0..FREE_FAILURES + 1 {
            throttle.failed(&long, Instant::now());
        }
        let names = throttle.names.lock().unwrap();
        assert!(names.keys().all(|k| k.len() <= NAME_BYTES));
        drop(names);
        assert!(throttle.wait(&long, Instant::now()).is_some());
    }

    #[test]
    fn old_failures_are_forgotten() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES + 3 {
            throttle.failed("alice", t0);
        }
        let much_later = t0 + MEMORY + Duration::from_secs(1);
        assert_eq!(throttle.wait("alice", much_later), None);
        throttle.failed("alice", much_later);
        assert_eq!(
            throttle.wait("alice", much_later),
            None,
            "counting starts again"
        );
    }
}
