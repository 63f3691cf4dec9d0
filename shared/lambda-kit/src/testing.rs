//! Helpers for handler tests (feature `testing`): capture the JSON log lines
//! a handler writes (through the same subscriber and scrubbing as in
//! Lambda, keeping each line as it was before scrubbing too), check that no
//! phone number got through, and build contexts.

use std::io;
use std::sync::{Arc, Mutex};

use lambda_runtime::{Context, LambdaEvent};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::logging::{RawTap, json_subscriber_tapped};

/// A shared in-memory log: what the subscriber wrote (scrubbed, as Lambda
/// would print it) and the same lines before scrubbing.
#[derive(Clone, Default)]
pub struct LogBuffer {
    written: Arc<Mutex<Vec<u8>>>,
    raw: RawTap,
}

impl LogBuffer {
    /// The log as written (after the scrubber).
    pub fn text(&self) -> String {
        let bytes = self
            .written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The same lines before the scrubber saw them.
    pub fn raw_text(&self) -> String {
        let bytes = self.raw.lock().unwrap_or_else(|p| p.into_inner()).clone();
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
        LogWriter(self.written.clone())
    }
}

/// Installs the Lambda JSON subscriber (level `debug`) writing to a buffer
/// for the current thread until the guard drops. Use with a current-thread
/// runtime (`#[tokio::test]`'s default) so every task logs here.
pub fn capture_logs() -> (tracing::subscriber::DefaultGuard, LogBuffer) {
    let buffer = LogBuffer::default();
    let subscriber =
        json_subscriber_tapped(buffer.clone(), buffer.raw.clone(), EnvFilter::new("debug"));
    (tracing::subscriber::set_default(subscriber), buffer)
}

/// The first phone number in clear in `text`: 8 or more digits, in one run
/// or in groups joined by one or two of ` -.()/` (as people write numbers).
/// Written apart from the scrubber on purpose, so a gap in it shows here.
/// Not numbers: an ISO date at the start of a sequence (`2026-03-02`, then
/// the rest is looked at again) and a dotted IPv4 address.
pub fn clear_phone_number(text: &str) -> Option<&str> {
    let joins = |c: char| " -.()/".contains(c);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        // A digit after `*` is the tail of a masked number.
        if !chars[k].1.is_ascii_digit()
            || (k > 0 && (chars[k - 1].1.is_ascii_digit() || chars[k - 1].1 == '*'))
        {
            k += 1;
            continue;
        }
        // The sequence from here: digits, gaps of one or two join characters.
        let (mut end, mut j, mut digits) = (k, k, 0);
        while j < chars.len() {
            if chars[j].1.is_ascii_digit() {
                digits += 1;
                end = j;
                j += 1;
                continue;
            }
            let gap = chars[j..].iter().take_while(|(_, c)| joins(*c)).count();
            if (1..=2).contains(&gap) && chars.get(j + gap).is_some_and(|(_, c)| c.is_ascii_digit())
            {
                j += gap;
            } else {
                break;
            }
        }
        let from = chars[k].0;
        let to = chars[end].0 + 1;
        let seq = &text[from..to];
        let date = seq.len() >= 10
            && seq.as_bytes()[4] == b'-'
            && seq.as_bytes()[7] == b'-'
            && seq[..10].bytes().filter(u8::is_ascii_digit).count() == 8
            && !seq.as_bytes().get(10).is_some_and(u8::is_ascii_digit);
        if date {
            k += 10;
            continue;
        }
        let quad = seq.split('.').count() == 4
            && seq
                .split('.')
                .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
        if digits >= 8 && !quad {
            return Some(seq);
        }
        k = end + 1;
    }
    None
}

/// Fails the test when a log line, as written, holds a number in clear.
pub fn assert_no_clear_phone_numbers(logs: &LogBuffer) {
    let text = logs.text();
    if let Some(run) = clear_phone_number(&text) {
        panic!("a phone number ({run}) appears unmasked in the logs:\n{text}");
    }
}

/// Fails unless the lines held a phone number before scrubbing and none
/// after it: the scrubber, not luck, is what made them clean.
pub fn assert_scrubber_masked_numbers(logs: &LogBuffer) {
    let raw = logs.raw_text();
    assert!(
        clear_phone_number(&raw).is_some(),
        "expected a phone number in the unscrubbed lines:\n{raw}"
    );
    assert_no_clear_phone_numbers(logs);
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
    fn finds_numbers_in_runs_and_in_groups() {
        assert_eq!(
            clear_phone_number("a +972502345678 b"),
            Some("972502345678")
        );
        assert_eq!(clear_phone_number("ends 12345678"), Some("12345678"));
        assert_eq!(clear_phone_number("x 050-234-5678."), Some("050-234-5678"));
        assert_eq!(
            clear_phone_number("+972 50 234 5678"),
            Some("972 50 234 5678")
        );
        assert_eq!(clear_phone_number("(212) 555.0123"), Some("212) 555.0123"));
        assert_eq!(
            clear_phone_number("2026-03-02 08:00, 1234567 +*********678 10.0.0.12"),
            None
        );
        assert_eq!(
            clear_phone_number("on 2026-03-02 050 234 5678"),
            Some("050 234 5678")
        );
    }

    #[test]
    #[should_panic(expected = "appears unmasked")]
    fn the_check_fails_on_a_grouped_number_in_clear() {
        let logs = LogBuffer::default();
        logs.written
            .lock()
            .unwrap()
            .extend_from_slice(b"{\"message\":\"calling 050-234-5678\"}\n");
        assert_no_clear_phone_numbers(&logs);
    }

    #[test]
    fn numbers_logged_in_every_written_form_reach_the_output_masked() {
        // GIVEN a capture through the Lambda subscriber
        let (_guard, logs) = capture_logs();
        // WHEN a message holds numbers as people write them
        for n in [
            "+972502345678",
            "050-234-5678",
            "+972 50 234 5678",
            "(212) 555-0123",
            "212.555.0123",
        ] {
            tracing::warn!("could not reach {n}");
            tracing::info!(error = %format!("provider refused {n}"), "sms failed");
        }
        // THEN they were there before scrubbing and are masked after it
        assert_scrubber_masked_numbers(&logs);
        assert_eq!(logs.lines().len(), 10);
        assert!(logs.text().contains("***-***-*678"), "{}", logs.text());
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
