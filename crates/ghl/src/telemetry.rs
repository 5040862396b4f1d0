//! `ghl serve`'s logs (standard error, filtered by `--log-level`) and, with `--otlp-endpoint`,
//! its traces: a span per HTTP request — `GET /api/v1/requests/{id}`, with the method, the
//! route and the status — sent to an OpenTelemetry collector over OTLP/HTTP (protobuf) in
//! batches, along with the warnings and errors logged while it was served.

use anyhow::Context;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use reqwest::Url;
use tracing::Instrument;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The target of the request spans.
const HTTP: &str = "ghl::http";

/// The installed logging, and the traces' exporter when there is one.
pub(crate) struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

/// `--otlp-endpoint`: an `http` or `https` URL; a collector's base URL (`http://otel:4318`)
/// gets OTLP's path for traces, `/v1/traces`.
pub(crate) fn otlp_endpoint(text: &str) -> Result<Url, String> {
    let mut url: Url = text
        .parse()
        .map_err(|e| format!("'{text}' is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("'{text}' is not an http:// or https:// URL"));
    }
    if url.path() == "/" {
        url.set_path("/v1/traces");
    }
    Ok(url)
}

/// Installs the process's logging — and its traces' exporter to `otlp`, when given.
pub(crate) fn init(log_level: &str, otlp: Option<&Url>) -> anyhow::Result<Telemetry> {
    let filter =
        EnvFilter::try_new(log_level).with_context(|| format!("bad --log-level '{log_level}'"))?;
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(gohumanloop::providers::terminal::colour_for(
            &std::io::stderr(),
        ))
        .with_filter(filter);
    let traces = otlp.map(provider).transpose()?;
    let exported = traces.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("ghl"))
            .with_filter(filter_fn(|meta| {
                meta.target() == HTTP || (meta.is_event() && *meta.level() <= tracing::Level::WARN)
            }))
    });
    tracing_subscriber::registry()
        .with(logs)
        .with(exported)
        .init();
    Ok(Telemetry { traces })
}

/// A batch exporter to `endpoint`, as the service `ghl`.
fn provider(endpoint: &Url) -> anyhow::Result<SdkTracerProvider> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint.as_str())
        .build()
        .context("cannot set up the OTLP exporter")?;
    let resource = Resource::builder().with_service_name("ghl").build();
    Ok(SdkTracerProvider::builder()
        .with_resource(resource)
        .with_batch_exporter(exporter)
        .build())
}

impl Telemetry {
    /// `app` with a span per request when traces are exported; as it is otherwise.
    pub(crate) fn traced(&self, app: Router) -> Router {
        if self.traces.is_some() {
            app.layer(axum::middleware::from_fn(span_per_request))
        } else {
            app
        }
    }

    /// Sends the spans not sent yet (at shutdown).
    pub(crate) async fn flush(self) {
        let Some(provider) = self.traces else { return };
        // The exporter's HTTP client blocks: off the runtime's threads.
        let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(e)) = done {
            eprintln!("ghl: the last traces were not sent: {e}");
        }
    }
}

/// Serves `request` inside a span named after its route (`POST /api/v1/requests/{id}/approve`:
/// no ids in span names), recording the status.
async fn span_per_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unknown route", MatchedPath::as_str)
        .to_owned();
    let span = tracing::info_span!(
        target: HTTP,
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response
}
