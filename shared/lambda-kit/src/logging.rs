//! Logging for Lambda: one JSON object per line (CloudWatch Logs Insights
//! reads the fields), every line carrying the fields of the spans it is in —
//! the runtime's invocation span has `requestId`, and [`invocation_span`]
//! adds `request_id` and the function name for handlers called directly (tests,
//! `cargo lambda invoke`).
//!
//! Phone numbers never reach the log in clear. Fields that hold a number are
//! written through [`Masked`]; as a safety net for everything else (error
//! messages, ids that embed a number), the writer passes every line through
//! [`scrub`], which masks any run of 8 or more digits to its last three.

use std::io::{self, Write};

use campaign_core::phone::{PhoneNumber, mask};
use lambda_runtime::Context;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Shortest run of digits treated as a phone number by [`scrub`]. The
/// shortest E.164 numbers in use have 8 digits; timestamps and counters in
/// our logs are split by punctuation into shorter runs.
pub const MIN_PHONE_DIGITS: usize = 8;

/// Masks every run of at least [`MIN_PHONE_DIGITS`] ASCII digits (and a `+`
/// right before it) to its last three digits, with
/// [`campaign_core::phone::mask`]. The length of the text is kept.
pub fn scrub(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let run = &text[start..i];
            if run.len() >= MIN_PHONE_DIGITS {
                out.push_str(&mask(run));
            } else {
                out.push_str(run);
            }
        } else {
            // Copy one whole UTF-8 character.
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

/// A phone number as it may appear in a log field: `+*********678`.
#[derive(Debug, Clone, Copy)]
pub struct Masked<'a>(pub &'a PhoneNumber);

impl std::fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.masked())
    }
}

/// A writer that scrubs each buffer before passing it on. The fmt layer
/// writes one whole line per call, so a number is never split across calls.
pub struct ScrubbingWriter<W>(W);

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Wraps a [`MakeWriter`] so every line it writes is scrubbed.
#[derive(Debug, Clone)]
pub struct Scrubbing<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter(self.0.make_writer())
    }
}

/// The log level filter: `RUST_LOG` if set, else Lambda's advanced logging
/// control level (`AWS_LAMBDA_LOG_LEVEL`), else `info`.
pub fn env_filter() -> EnvFilter {
    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| "info".to_owned());
    EnvFilter::try_new(level.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The JSON subscriber writing to `writer` (scrubbed). `init_json_tracing`
/// installs it on stdout; tests install it on a buffer.
pub fn json_subscriber<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(Scrubbing(writer))
        .with_ansi(false)
        .flatten_event(true)
        // The whole span list, so a record's span still shows the request id
        // of the invocation it runs in.
        .with_current_span(false)
        .with_span_list(true)
        .with_target(true)
        .without_time()
        .finish()
}

/// Installs the JSON subscriber on stdout for the whole process. CloudWatch
/// stamps each line with its own time, so the lines carry none.
pub fn init_json_tracing() {
    let subscriber = json_subscriber(io::stdout, env_filter());
    // A second call (tests, or a main run twice) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The span a handler runs in: the function's name and the request id.
pub fn invocation_span(function: &'static str, context: &Context) -> tracing::Span {
    tracing::info_span!("invocation", function, request_id = %context.request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_masks_long_digit_runs_only() {
        assert_eq!(scrub("to +972502345678 ok"), "to +*********678 ok");
        assert_eq!(
            scrub("contact cmp-000001-972502345678"),
            "contact cmp-000001-*********678"
        );
        // Dates, times and short ids stay readable.
        assert_eq!(
            scrub("at 2026-03-02T08:00:00Z id 1234567"),
            "at 2026-03-02T08:00:00Z id 1234567"
        );
        assert_eq!(scrub("שלום 12345678"), "שלום *****678");
        assert_eq!(scrub(""), "");
    }

    #[test]
    fn masked_phone_keeps_last_three_digits() {
        let phone = PhoneNumber::from_e164("+972502345678").expect("valid");
        assert_eq!(Masked(&phone).to_string(), "+*********678");
    }
}
