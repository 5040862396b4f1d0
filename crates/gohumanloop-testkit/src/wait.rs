//! Waiting for a condition with a deadline, instead of sleeping for a guessed time.
//!
//! The condition is checked at once, then every [`STEP`] until it holds or the deadline passes;
//! the deadline only bounds a test that would otherwise hang, so it is generous (a loaded 2-core
//! machine must never reach it), and no assertion depends on how fast the condition came true.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is checked again.
pub const STEP: Duration = Duration::from_millis(10);

/// Waits until `check` gives `Some`, and returns it; panics naming `what` if it has not after
/// `limit`. `check` is async (an HTTP call, a query); it runs at least once.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "waited {limit:?} for {what}, in vain"
        );
        tokio::time::sleep(STEP).await;
    }
}

/// [`until`] for a blocking check, outside an async runtime.
pub fn until_blocking<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "waited {limit:?} for {what}, in vain"
        );
        std::thread::sleep(STEP);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn returns_what_the_check_found_once_it_holds() {
        let calls = AtomicU32::new(0);
        let found = until("the third call", Duration::from_secs(60), || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            (n == 3).then_some(n)
        })
        .await;
        assert_eq!(found, 3);
    }

    #[test]
    #[should_panic(expected = "waited 50ms for nothing, in vain")]
    fn panics_with_what_it_awaited_at_the_deadline() {
        until_blocking("nothing", Duration::from_millis(50), || None::<()>);
    }
}
