//! Helpers for handler tests (feature `testing`): capture the JSON log lines
//! a handler writes (through the same subscriber and scrubbing as in
//! Lambda), check that no phone number got through, and build contexts.

use std::io;
use std::sync::{Arc, Mutex};

use lambda_runtime::{Context, LambdaEvent};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::logging::json_subscriber;

/// A shared in-memory log.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Each line parsed as JSON (a line that is not JSON fails the test).
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(self.0.clone())
    }
}

/// Installs the Lambda JSON subscriber (level `debug`) writing to a buffer
/// for the current thread until the guard drops. Use with a current-thread
/// runtime (`#[tokio::test]`'s default) so every task logs here.
pub fn capture_logs() -> (tracing::subscriber::DefaultGuard, LogBuffer) {
    let buffer = LogBuffer::default();
    let subscriber = json_subscriber(buffer.clone(), EnvFilter::new("debug"));
    (tracing::subscriber::set_default(subscriber), buffer)
}

/// The first run of 8 or more consecutive digits in `text`, if any: a phone
/// number in clear.
pub fn clear_phone_number(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= 8 {
                    return Some(&text[s..i]);
                }
                start = None;
            }
            _ => {}
        }
    }
    start.filter(|s| bytes.len() - s >= 8).map(|s| &text[s..])
}

/// Fails the test when a log line holds a number in clear.
pub fn assert_no_clear_phone_numbers(logs: &LogBuffer) {
    let text = logs.text();
    if let Some(run) = clear_phone_number(&text) {
        panic!("a phone number ({run}) appears unmasked in the logs:\n{text}");
    }
}

/// A Lambda context with this request id.
pub fn context(request_id: &str) -> Context {
    let mut ctx = Context::default();
    ctx.request_id = request_id.to_owned();
    ctx
}

/// A Lambda event with a context named after the fixture.
pub fn lambda_event<T>(payload: T, request_id: &str) -> LambdaEvent<T> {
    LambdaEvent::new(payload, context(request_id))
}

/// Reads `events/<function>/<name>` from the workspace root as JSON.
pub fn fixture(manifest_dir: &str, function: &str, name: &str) -> serde_json::Value {
    let path = std::path::Path::new(manifest_dir)
        .join("../../events")
        .join(function)
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()))
}

/// Every fixture file name of a function, sorted.
pub fn fixture_names(manifest_dir: &str, function: &str) -> Vec<String> {
    let dir = std::path::Path::new(manifest_dir)
        .join("../../events")
        .join(function);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_runs_of_eight_digits() {
        assert_eq!(
            clear_phone_number("a +972502345678 b"),
            Some("972502345678")
        );
        assert_eq!(clear_phone_number("ends 12345678"), Some("12345678"));
        assert_eq!(clear_phone_number("2026-03-02 1234567 +*********678"), None);
    }

    #[test]
    fn captured_lines_are_scrubbed_json_with_the_span_fields() {
        let (_guard, logs) = capture_logs();
        let ctx = context("req-1");
        let span = crate::invocation_span("test", &ctx);
        let _entered = span.enter();
        tracing::info!(phone = "+972502345678", "hello");
        let lines = logs.lines();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["phone"], "+*********678");
        assert_eq!(lines[0]["spans"][0]["request_id"], "req-1");
        assert_no_clear_phone_numbers(&logs);
    }
}

/// Seeded scenarios on the embedded adapters, shared by the functions' tests.
pub mod scenario {
    use campaign_core::campaign::{Campaign, CampaignKind, CampaignSettings};
    use campaign_core::import::{FileFormat, ImportOptions};
    use campaign_core::usecases::lifecycle::NewCampaign;
    use campaign_embedded::runtime::{Local, LocalConfig};

    pub use campaign_embedded::testing::monday_morning;

    /// A runtime of embedded adapters whose clock stands at `monday_morning()`.
    pub fn local() -> Local {
        Local::new(LocalConfig::default(), monday_morning())
    }

    pub use campaign_embedded::testing::settings;

    /// `phone,first_name` CSV text: `n` mobile numbers `052-345-0000`, … and
    /// the Jerusalem landline `02-6234567` when `landline`.
    pub fn contacts_csv(n: usize, landline: bool) -> String {
        let mut csv = String::from("phone,first_name\n");
        for i in 0..n {
            csv.push_str(&format!("052345{i:04},Friend{i}\n"));
        }
        if landline {
            csv.push_str("02-6234567,Landline\n");
        }
        csv
    }

    /// Creates a draft voice campaign with these contacts (ids are
    /// `cmp-000001`, `cmp-000002`, … in creation order).
    pub async fn draft_campaign(local: &Local, name: &str, csv: &str) -> Campaign {
        draft_with(local, name, csv, settings()).await
    }

    pub async fn draft_with(
        local: &Local,
        name: &str,
        csv: &str,
        settings: CampaignSettings,
    ) -> Campaign {
        let campaign = local
            .lifecycle()
            .create(
                NewCampaign {
                    name: name.into(),
                    kind: CampaignKind::Voice,
                    settings,
                },
                "tester",
            )
            .await
            .unwrap_or_else(|e| panic!("create: {e}"));
        local
            .import_contacts()
            .run(
                &campaign.id,
                csv.as_bytes(),
                FileFormat::Csv,
                &ImportOptions::default(),
            )
            .await
            .unwrap_or_else(|e| panic!("import: {e}"));
        campaign
    }

    /// A draft campaign, started.
    pub async fn started_campaign(local: &Local, name: &str, csv: &str) -> Campaign {
        let c = draft_campaign(local, name, csv).await;
        local
            .lifecycle()
            .start(&c.id, "tester")
            .await
            .unwrap_or_else(|e| panic!("start: {e}"))
    }

    /// A started campaign whose due contacts were dispatched (claimed and
    /// queued as dial tasks, not dialled).
    pub async fn dispatched_campaign(local: &Local, name: &str, csv: &str) -> Campaign {
        let c = started_campaign(local, name, csv).await;
        local
            .dispatch()
            .run(&c.id, 100)
            .await
            .unwrap_or_else(|e| panic!("dispatch: {e}"));
        c
    }

    /// A started campaign whose contacts were all dispatched and dialled
    /// (call records `originated`); the clock has not moved, so no call
    /// event has happened yet.
    pub async fn dialled_campaign(local: &Local, name: &str, csv: &str) -> Campaign {
        let c = started_campaign(local, name, csv).await;
        // The first step dispatches, the second drains the queue through
        // the enricher and the dialer.
        for _ in 0..2 {
            local.step().await.unwrap_or_else(|e| panic!("step: {e}"));
        }
        c
    }
}
