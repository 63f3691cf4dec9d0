//! Logging for Lambda: one JSON object per line (CloudWatch Logs Insights
//! reads the fields), every line carrying the fields of the spans it is in —
//! the runtime's invocation span has `requestId`, and [`invocation_span`]
//! adds `request_id` and the function name for handlers called directly (tests,
//! `cargo lambda invoke`).
//!
//! Phone numbers never reach the log in clear. Fields that hold a number are
//! written through [`Masked`]; as a safety net for everything else (error
//! messages, ids that embed a number), the writer passes every line through
//! [`scrub`], which masks any number of 8 or more digits to its last three,
//! also when it is written in groups (`050-234-5678`, `+972 50 234 5678`,
//! `(212) 555.0123`).

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use campaign_core::phone::{PhoneNumber, mask};
use lambda_runtime::Context;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Fewest digits treated as a phone number by [`scrub`]. The shortest
/// E.164 numbers in use have 8 digits; timestamps and counters in our logs
/// are split by `:` or `T` into shorter groups.
pub const MIN_PHONE_DIGITS: usize = 8;

/// Most digits a number written in groups has (E.164's limit). A longer
/// grouped sequence (an id such as `cmp-000001-972502345678`) is masked run
/// by run instead, which keeps its short parts readable.
pub const MAX_PHONE_DIGITS: usize = 15;

/// Characters people put between the digit groups of a phone number.
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'/')
}

/// Masks phone numbers in free text to their last three digits, keeping the
/// text's length and its separators ([`campaign_core::phone::mask`]):
///
/// - any run of at least [`MIN_PHONE_DIGITS`] digits (with a `+` before it);
/// - digit groups joined by up to two separators (space, `-`, `.`, `(`,
///   `)`, `/`) holding [`MIN_PHONE_DIGITS`]..=[`MAX_PHONE_DIGITS`] digits in
///   all, except an ISO date (`2026-03-02`) and a dotted IPv4 address, which
///   are not numbers anyone dials.
pub fn scrub(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            // Copy one whole UTF-8 character.
            let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + ch_len]);
            i += ch_len;
            continue;
        }
        if i > 0 && bytes[i - 1] == b'*' {
            // The tail of a number masked already (a line scrubbed twice).
            let run_end = i + bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            out.push_str(&text[i..run_end]);
            i = run_end;
            continue;
        }
        if let Some(len) = iso_date_at(bytes, i) {
            out.push_str(&text[i..i + len]);
            i += len;
            continue;
        }
        let end = grouped_end(bytes, i);
        let candidate = &text[i..end];
        let digits = candidate.bytes().filter(u8::is_ascii_digit).count();
        let grouped = end > i && candidate.bytes().any(is_separator);
        // A group of 8+ digits is masked on its own below, which keeps the
        // short parts of an id such as `cmp-1-972502345678` readable.
        let long_run = candidate
            .split(|c: char| !c.is_ascii_digit())
            .any(|r| r.len() >= MIN_PHONE_DIGITS);
        if is_dotted_quad(candidate) {
            out.push_str(candidate);
        } else if grouped && !long_run && (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits) {
            out.push_str(&mask(candidate));
        } else {
            // One run of digits only; what follows is scanned again.
            let run_end = i + bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let run = &text[i..run_end];
            if run.len() >= MIN_PHONE_DIGITS {
                out.push_str(&mask(run));
            } else {
                out.push_str(run);
            }
            i = run_end;
            continue;
        }
        i = end;
    }
    out
}

/// Where a sequence of digit groups starting at `start` (a digit) ends: after
/// its last digit, groups joined by one or two separators.
fn grouped_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    let mut i = start;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        end = end.max(i);
        let mut gap = 0;
        while i < bytes.len() && is_separator(bytes[i]) && gap < 2 {
            i += 1;
            gap += 1;
        }
        if gap == 0 || i >= bytes.len() || !bytes[i].is_ascii_digit() {
            return end;
        }
    }
}

/// The length of an ISO date (`YYYY-MM-DD`) at `i`, not inside a longer
/// digit run.
fn iso_date_at(bytes: &[u8], i: usize) -> Option<usize> {
    let d = |k: usize| bytes.get(i + k).is_some_and(u8::is_ascii_digit);
    let shape = (0..4).all(d)
        && bytes.get(i + 4) == Some(&b'-')
        && d(5)
        && d(6)
        && bytes.get(i + 7) == Some(&b'-')
        && d(8)
        && d(9)
        && !d(10);
    let fresh = i == 0 || !bytes[i - 1].is_ascii_digit();
    (shape && fresh).then_some(10)
}

/// `a.b.c.d` with 1–3 digits each: an IPv4 address.
fn is_dotted_quad(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A phone number as it may appear in a log field: `+*********678`.
#[derive(Debug, Clone, Copy)]
pub struct Masked<'a>(pub &'a PhoneNumber);

impl std::fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.masked())
    }
}

/// Where a capture keeps the lines as they were before scrubbing (tests
/// only: it is how they show that the scrubber is what cleans them).
pub type RawTap = Arc<Mutex<Vec<u8>>>;

/// A writer that scrubs each buffer before passing it on. The fmt layer
/// writes one whole line per call, so a number is never split across calls.
pub struct ScrubbingWriter<W> {
    inner: W,
    raw: Option<RawTap>,
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(raw) = &self.raw {
            raw.lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
        }
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Wraps a [`MakeWriter`] so every line it writes is scrubbed.
#[derive(Debug, Clone)]
pub struct Scrubbing<M> {
    inner: M,
    raw: Option<RawTap>,
}

impl<M> Scrubbing<M> {
    pub fn new(inner: M) -> Self {
        Self { inner, raw: None }
    }

    /// Also copies each line, unscrubbed, into `raw`.
    pub fn with_raw_tap(inner: M, raw: RawTap) -> Self {
        Self {
            inner,
            raw: Some(raw),
        }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter {
            inner: self.inner.make_writer(),
            raw: self.raw.clone(),
        }
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
    subscriber_on(Scrubbing::new(writer), filter)
}

/// [`json_subscriber`] that also keeps every line as it was before
/// scrubbing in `raw` (the test capture).
pub fn json_subscriber_tapped<W>(
    writer: W,
    raw: RawTap,
    filter: EnvFilter,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    subscriber_on(Scrubbing::with_raw_tap(writer, raw), filter)
}

fn subscriber_on<W>(
    writer: Scrubbing<W>,
    filter: EnvFilter,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
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
    }

    #[test]
    fn scrub_masks_numbers_written_in_groups() {
        for (raw, masked) in [
            ("call 050-234-5678 now", "call ***-***-*678 now"),
            ("to +972 50 234 5678.", "to +*** ** *** *678."),
            ("us (212) 555-0123 ok", "us (***) ***-*123 ok"),
            ("+1 (212) 555-0123", "+* (***) ***-*123"),
            ("dots 212.555.0123", "dots ***.***.*123"),
            ("slash 050/2345678", "slash ***/****678"),
            ("\"050 234 5678\"", "\"*** *** *678\""),
        ] {
            assert_eq!(scrub(raw), masked, "{raw}");
        }
    }

    #[test]
    fn scrub_leaves_dates_times_addresses_and_small_numbers() {
        for text in [
            "at 2026-03-02T08:00:00Z id 1234567",
            "at 2026-03-02 08:00:00 attempt 2 of 3",
            "host 192.168.100.200 port 8080",
            "took 12.5 ms, 3 of 10 calls, 1 234 567",
            "rate 0.55 pace 20",
            "masked +*********678 10.0.0.12",
        ] {
            assert_eq!(scrub(text), text);
        }
        // A long grouped id keeps its short parts.
        assert_eq!(scrub("cmp-000001-972502345678"), "cmp-000001-*********678");
        assert_eq!(scrub(""), "");
    }

    #[test]
    fn masked_phone_keeps_last_three_digits() {
        let phone = PhoneNumber::from_e164("+972502345678").expect("valid");
        assert_eq!(Masked(&phone).to_string(), "+*********678");
    }
}
