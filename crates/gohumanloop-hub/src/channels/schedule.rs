//! When failed deliveries are tried again: a schedule of delays, with jitter so that many
//! deliveries that failed together do not come back together.

use std::time::Duration;

/// The default delays after each failure in a row: about a day in all, then give up.
pub const DEFAULT_RETRY_SCHEDULE: [Duration; 10] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(4 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(8 * 3600),
];

/// The default schedule's delay after `failures` failed attempts (`None`: give up).
pub fn default_retry_delay(failures: u32) -> Option<Duration> {
    from_schedule(&DEFAULT_RETRY_SCHEDULE, failures)
}

/// A schedule's delay after `failures` failed attempts (the first failure takes the first
/// delay; `None` past the end or with no failure).
pub(crate) fn from_schedule(schedule: &[Duration], failures: u32) -> Option<Duration> {
    let index = usize::try_from(failures).ok()?.checked_sub(1)?;
    schedule.get(index).copied()
}

/// `delay` moved by up to a fifth either way, at random.
pub(crate) fn jittered(delay: Duration) -> Duration {
    let fifth = delay.as_millis() as u64 / 5;
    if fifth == 0 {
        return delay;
    }
    let random = (uuid::Uuid::new_v4().as_u128() % u128::from(2 * fifth + 1)) as u64;
    (delay + Duration::from_millis(random)).saturating_sub(Duration::from_millis(fifth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_runs_out_and_jitter_stays_within_a_fifth() {
        assert_eq!(default_retry_delay(0), None);
        assert_eq!(default_retry_delay(1), Some(Duration::from_secs(5)));
        assert_eq!(default_retry_delay(10), Some(Duration::from_secs(8 * 3600)));
        assert_eq!(default_retry_delay(11), None);
        let total: Duration = DEFAULT_RETRY_SCHEDULE.iter().sum();
        assert!(total > Duration::from_secs(23 * 3600) && total < Duration::from_secs(26 * 3600));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = jittered(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
            seen.insert(d);
        }
        assert!(seen.len() > 10, "the delays differ");
    }
}
