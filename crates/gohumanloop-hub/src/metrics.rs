//! The hub's Prometheus metrics (`GET /metrics`): one recorder for the process, installed by the
//! first hub that starts; every hub of the process records into it. Names and labels:
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `ghl_requests_created_total` | counter | `loop_type`, `channel` |
//! | `ghl_decisions_total` | counter | `status` (the new one), `channel` |
//! | `ghl_decision_latency_seconds` | histogram | `loop_type`: from the request's creation to the change |
//! | `ghl_waiters` | gauge | agents waiting for an answer on this node now |
//! | `ghl_deliveries_total` | counter | `channel`, `outcome` (`delivered`, `updated`, `failed`, `gave_up`, `skipped`) |
//! | `ghl_db_seconds` | histogram | `op`: the store's write batches (`write_batch`) |
//!
//! Counts are this node's: with several nodes, sum them in Prometheus.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets (seconds): database time and decisions taken at once, up to decisions that
/// took a day.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; `None` if the embedding program installed one of its
/// own first, whose metrics are then the hub's too).
pub(crate) fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// The metrics' help texts; the gauge at 0, so that a scrape shows it before anyone waits.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "ghl_requests_created_total",
        "Requests created, by loop type and channel"
    );
    describe_counter!(
        "ghl_decisions_total",
        "Status changes applied, by new status and channel"
    );
    describe_histogram!(
        "ghl_decision_latency_seconds",
        Unit::Seconds,
        "From a request's creation to its status change, by loop type"
    );
    describe_gauge!("ghl_waiters", "Agents waiting for an answer on this node");
    describe_counter!(
        "ghl_deliveries_total",
        "Channel delivery attempts, by channel and outcome"
    );
    describe_histogram!(
        "ghl_db_seconds",
        Unit::Seconds,
        "Database time, by operation"
    );
    metrics::gauge!("ghl_waiters").increment(0.0);
}

/// Everything recorded so far, in Prometheus' text format (`None`: no recorder of ours).
pub(crate) fn render() -> Option<String> {
    install().map(PrometheusHandle::render)
}

/// A request was created.
pub(crate) fn created(loop_type: &'static str, channel: &str) {
    metrics::counter!("ghl_requests_created_total", "loop_type" => loop_type, "channel" => channel.to_owned())
        .increment(1);
}

/// A request changed to `status` by way of `channel`, `age` after it was created.
pub(crate) fn decided(status: &'static str, channel: &str, loop_type: &'static str, age: Duration) {
    metrics::counter!("ghl_decisions_total", "status" => status, "channel" => channel.to_owned())
        .increment(1);
    metrics::histogram!("ghl_decision_latency_seconds", "loop_type" => loop_type)
        .record(age.as_secs_f64());
}

/// An agent waits for an answer until the guard is dropped.
pub(crate) fn waiting() -> WaiterGuard {
    metrics::gauge!("ghl_waiters").increment(1.0);
    WaiterGuard(())
}

/// Counts one waiting agent while it lives.
pub(crate) struct WaiterGuard(());

impl Drop for WaiterGuard {
    fn drop(&mut self) {
        metrics::gauge!("ghl_waiters").decrement(1.0);
    }
}

/// A channel's attempt on a delivery ended with `outcome` (`delivered`, `updated`, `failed`,
/// `gave_up`, `skipped`).
pub(crate) fn delivery(channel: &str, outcome: &'static str) {
    metrics::counter!("ghl_deliveries_total", "channel" => channel.to_owned(), "outcome" => outcome)
        .increment(1);
}

/// The database took `took` for `op`.
pub(crate) fn db_time(op: &'static str, took: Duration) {
    metrics::histogram!("ghl_db_seconds", "op" => op).record(took.as_secs_f64());
}
