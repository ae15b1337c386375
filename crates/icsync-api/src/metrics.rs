//! `/metrics` in Prometheus' text format: HTTP requests and latency (counted in process), and
//! per workspace the Intercom requests, 429s and pacer waits, records and runs per stream and
//! their durations (summed from `sync_runs`), writeback figures (from the injected service)
//! and export figures (the export's status, as the API answers it). Names follow
//! `icsync_<name>_<unit>`.

use crate::state::ApiState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default)]
struct Route {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

/// Requests and latency by method and route (the route's template, so ids do not multiply
/// series).
#[derive(Debug, Default)]
pub(crate) struct HttpMetrics {
    routes: Mutex<HashMap<(String, String), Route>>,
}

impl HttpMetrics {
    fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let entry = routes
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *entry.by_status.entry(status).or_default() += 1;
        for (bucket, bound) in entry.buckets.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *bucket += 1;
            }
        }
        entry.count += 1;
        entry.sum_secs += secs;
    }

    fn render(&self, out: &mut Text) {
        let Ok(routes) = self.routes.lock() else {
            return;
        };
        let mut keys: Vec<_> = routes.keys().collect();
        keys.sort();
        out.header(
            "icsync_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route and status.",
        );
        for key in &keys {
            let route = &routes[*key];
            for (status, count) in &route.by_status {
                let status = status.to_string();
                out.sample(
                    "icsync_http_requests_total",
                    &[("method", &key.0), ("route", &key.1), ("status", &status)],
                    *count as f64,
                );
            }
        }
        out.header(
            "icsync_http_request_duration_seconds",
            "histogram",
            "Time to answer an HTTP request, by method and route.",
        );
        for key in &keys {
            let route = &routes[*key];
            let labels = [("method", key.0.as_str()), ("route", key.1.as_str())];
            for (count, bound) in route.buckets.iter().zip(BUCKETS) {
                let le = bound.to_string();
                out.sample(
                    "icsync_http_request_duration_seconds_bucket",
                    &[labels[0], labels[1], ("le", &le)],
                    *count as f64,
                );
            }
            out.sample(
                "icsync_http_request_duration_seconds_bucket",
                &[labels[0], labels[1], ("le", "+Inf")],
                route.count as f64,
            );
            out.sample(
                "icsync_http_request_duration_seconds_sum",
                &labels,
                route.sum_secs,
            );
            out.sample(
                "icsync_http_request_duration_seconds_count",
                &labels,
                route.count as f64,
            );
        }
    }
}

/// Middleware: counts every request and its latency.
pub(crate) async fn track(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics().observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Prometheus text, built family by family.
#[derive(Debug, Default)]
pub(crate) struct Text(String);

impl Text {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{key}=\"{}\"", escape(value));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// One family with one sample per labelled value.
    fn family(&mut self, name: &str, kind: &str, help: &str, samples: &[(Vec<(&str, &str)>, f64)]) {
        self.header(name, kind, help);
        for (labels, value) in samples {
            self.sample(name, labels, *value);
        }
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<ApiState>) -> Response {
    let mut text = Text::default();
    state.metrics().render(&mut text);
    let up = match store_metrics(&state, &mut text).await {
        Ok(()) => 1.0,
        Err(error) => {
            tracing::warn!(error = %error, "metrics: store figures unavailable");
            0.0
        }
    };
    text.family(
        "icsync_metrics_store_up",
        "gauge",
        "1 when the store answered the metrics queries.",
        &[(Vec::new(), up)],
    );
    let mut response = text.0.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn store_metrics(state: &ApiState, text: &mut Text) -> Result<(), crate::ApiError> {
    let store = state.store();
    let workspaces = store.workspaces().await?;
    let names: HashMap<i64, &str> = workspaces
        .iter()
        .map(|w| (w.id.0, w.name.as_str()))
        .collect();
    let totals = store.run_totals().await?;
    let name_of = |id: i64| names.get(&id).copied().unwrap_or("(deleted)");

    // Per workspace: Intercom traffic summed over its streams.
    let mut per_workspace: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for t in &totals {
        let entry = per_workspace.entry(name_of(t.workspace.0)).or_default();
        entry.0 += t.requests;
        entry.1 += t.rate_limited;
        entry.2 += t.pacer_wait_ms;
    }
    let by_ws = |pick: fn(&(i64, i64, i64)) -> f64| -> Vec<(Vec<(&str, &str)>, f64)> {
        per_workspace
            .iter()
            .map(|(ws, v)| (vec![("workspace", *ws)], pick(v)))
            .collect()
    };
    text.family(
        "icsync_intercom_requests_total",
        "counter",
        "Requests sync runs sent to Intercom, by workspace (finished runs).",
        &by_ws(|v| v.0 as f64),
    );
    text.family(
        "icsync_intercom_rate_limited_total",
        "counter",
        "Intercom answers 429 Too Many Requests met by sync runs, by workspace.",
        &by_ws(|v| v.1 as f64),
    );
    text.family(
        "icsync_intercom_pacer_wait_seconds_total",
        "counter",
        "Time sync runs waited in the workspace's pacer for Intercom's rate limit.",
        &by_ws(|v| v.2 as f64 / 1000.0),
    );
    let per_stream = |pick: fn(&icsync_store::RunTotals) -> f64| -> Vec<(Vec<(&str, &str)>, f64)> {
        totals
            .iter()
            .map(|t| {
                (
                    vec![
                        ("workspace", name_of(t.workspace.0)),
                        ("stream", t.stream.as_str()),
                    ],
                    pick(t),
                )
            })
            .collect()
    };
    text.family(
        "icsync_sync_records_total",
        "counter",
        "Records sync runs wrote (inserted or changed), by workspace and stream.",
        &per_stream(|t| t.records as f64),
    );
    text.family(
        "icsync_sync_runs_total",
        "counter",
        "Sync runs, by workspace and stream.",
        &per_stream(|t| t.runs as f64),
    );
    text.family(
        "icsync_sync_runs_failed_total",
        "counter",
        "Sync runs that failed, by workspace and stream.",
        &per_stream(|t| t.failed_runs as f64),
    );
    text.family(
        "icsync_sync_run_duration_seconds_total",
        "counter",
        "Time spent in sync runs, by workspace and stream (divide by icsync_sync_runs_total for the mean).",
        &per_stream(|t| t.duration_ms as f64 / 1000.0),
    );

    let mut pending = Vec::new();
    let mut failed = Vec::new();
    let mut oldest = Vec::new();
    for workspace in &workspaces {
        match state.services().writeback.status(workspace).await {
            Ok(figures) => {
                let labels = vec![("workspace", workspace.name.as_str())];
                pending.push((labels.clone(), figures.pending as f64));
                failed.push((labels.clone(), figures.failed as f64));
                oldest.push((labels, figures.oldest_pending_age_secs.unwrap_or(0) as f64));
            }
            Err(error) => {
                tracing::warn!(workspace = %workspace.name, error = %error, "metrics: writeback status unavailable");
            }
        }
    }
    text.family(
        "icsync_writeback_pending_rows",
        "gauge",
        "CS attribute rows waiting to be pushed to Intercom, by workspace.",
        &pending,
    );
    text.family(
        "icsync_writeback_failed_rows",
        "gauge",
        "CS attribute rows whose last push failed, by workspace.",
        &failed,
    );
    text.family(
        "icsync_writeback_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest CS attribute row waiting to be pushed, by workspace (0 when none).",
        &oldest,
    );
    export_metrics(state, &workspaces, text).await?;
    let connected = workspaces.iter().filter(|w| w.is_connected()).count();
    text.family(
        "icsync_workspaces",
        "gauge",
        "Workspaces known to icsync, by state.",
        &[
            (vec![("state", "connected")], connected as f64),
            (
                vec![("state", "disconnected")],
                (workspaces.len() - connected) as f64,
            ),
        ],
    );
    Ok(())
}

/// One figure of an export's status.
type Figure = fn(&crate::model::ExportStatusView) -> u64;

/// Per workspace with an export configured: its records by where they stand and the age of
/// the oldest waiting one, from the same status the API answers (`GET /v1/export/status`).
async fn export_metrics(
    state: &ApiState,
    workspaces: &[icsync_domain::Workspace],
    text: &mut Text,
) -> Result<(), crate::ApiError> {
    let now = chrono::Utc::now();
    let mut statuses = Vec::new();
    for workspace in workspaces {
        let status = crate::routes::export::export_status(state.store(), workspace).await?;
        if status.configured {
            statuses.push(status);
        }
    }
    let families: [(&str, &str, Figure); 7] = [
        (
            "icsync_export_pending_records",
            "Host records waiting to be exported to Intercom (due, in backoff or in flight), by workspace.",
            |s| s.pending,
        ),
        (
            "icsync_export_failed_records",
            "Waiting host records whose last export attempt failed (retried with backoff), by workspace.",
            |s| s.failing,
        ),
        (
            "icsync_export_exported_records",
            "Host records Intercom holds as the host wants, by workspace.",
            |s| s.exported,
        ),
        (
            "icsync_export_removed_records",
            "Removed host records whose removal is done (archived, deleted, or left in additive mode), by workspace.",
            |s| s.removed,
        ),
        (
            "icsync_export_rejected_records",
            "Host records Intercom or the checks refused, not retried until the host changes them, by workspace.",
            |s| s.rejected,
        ),
        (
            "icsync_export_skipped_records",
            "Host records skipped in enrich mode (no such contact in Intercom), by workspace.",
            |s| s.skipped,
        ),
        (
            "icsync_export_records",
            "Host records the export holds, by workspace.",
            |s| s.records,
        ),
    ];
    for (name, help, pick) in families {
        let samples: Vec<(Vec<(&str, &str)>, f64)> = statuses
            .iter()
            .map(|s| (vec![("workspace", s.workspace.as_str())], pick(s) as f64))
            .collect();
        text.family(name, "gauge", help, &samples);
    }
    let oldest: Vec<(Vec<(&str, &str)>, f64)> = statuses
        .iter()
        .map(|s| {
            let age = s
                .oldest_pending_since
                .map_or(0, |since| (now - since).num_seconds().max(0));
            (vec![("workspace", s.workspace.as_str())], age as f64)
        })
        .collect();
    text.family(
        "icsync_export_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest host record waiting to be exported, by workspace (0 when none).",
        &oldest,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_lands_in_every_bucket_at_or_above_it_and_labels_are_escaped() {
        let metrics = HttpMetrics::default();
        metrics.observe("GET", "/v1/x", 200, 0.02);
        metrics.observe("GET", "/v1/x", 404, 3.0);
        let mut text = Text::default();
        metrics.render(&mut text);
        let text = text.0;
        assert!(
            text.contains(
                r#"icsync_http_requests_total{method="GET",route="/v1/x",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"icsync_http_request_duration_seconds_bucket{method="GET",route="/v1/x",le="0.01"} 0"#), "{text}");
        assert!(text.contains(r#"icsync_http_request_duration_seconds_bucket{method="GET",route="/v1/x",le="0.025"} 1"#), "{text}");
        assert!(text.contains(r#"icsync_http_request_duration_seconds_bucket{method="GET",route="/v1/x",le="5"} 2"#), "{text}");
        assert!(
            text.contains(
                r#"icsync_http_request_duration_seconds_count{method="GET",route="/v1/x"} 2"#
            ),
            "{text}"
        );
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
