//! `contact-importer`: imports presigned contact uploads by itself. S3 sends
//! an `ObjectCreated` notification for every object under `uploads/` in the
//! uploads bucket to the import queue; this function consumes that queue
//! (`ReportBatchItemFailures`) and runs the core's
//! `UploadedImports::run` for the import the key names
//! (`uploads/<campaign>/<import id>.<ext>`): the import record goes
//! `importing`, then `completed` or `failed`, and the API's
//! `GET .../imports/{import_id}` shows it.
//!
//! Each record's body is an S3 event notification (keys URL-encoded, as S3
//! sends them) or the `s3:TestEvent` S3 sends when the notification is set
//! up (acknowledged and ignored). Delivery is at least once: a duplicate for
//! an import already done is a no-op, and the core's claim keeps two
//! deliveries from both importing. What cannot be understood (a malformed
//! body) or must wait (another run holds the import, the file is not there,
//! a store is down) is reported as a batch item failure; the queue's
//! dead-letter queue takes it after three receives. A key that names no
//! import (not one we issued) is logged and dropped.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_core::clock::Clock;
use campaign_core::ports::{
    AuditLog, BlacklistStore, CampaignStore, ContactStore, Counters, ObjectStore,
};
use campaign_core::usecases::uploaded_import::{
    RunOutcome, Trigger, UPLOADS_PREFIX, UploadedImports, parse_upload_key,
};
use chrono::Duration;
use lambda_kit::FunctionError;
use lambda_kit::config::{env_lookup, parsed, required, table_prefix};
use lambda_kit::sqs::{RecordResult, run_items};
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use tracing::Instrument;

use campaign_aws::AwsPorts;

pub const FUNCTION: &str = "contact-importer";

/// The actor the audit log names for imports started by an upload.
pub const ACTOR: &str = "contact-importer (upload event)";

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "UPLOADS_BUCKET",
    "IMPORT_LEASE_SECS",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
    /// `UPLOADS_BUCKET` (required): the files and the import records.
    pub uploads_bucket: String,
    /// `IMPORT_LEASE_SECS` (900, 60..=3600): how long a run owns an import
    /// before another delivery may take over; at least the function's
    /// timeout, so a live run is never taken over.
    pub lease_secs: i64,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let lease_secs = parsed(lookup, "IMPORT_LEASE_SECS", 900)?;
        if !(60..=3600).contains(&lease_secs) {
            return Err(FunctionError::Config(
                "IMPORT_LEASE_SECS must be between 60 and 3600".into(),
            ));
        }
        Ok(Self {
            table_prefix: table_prefix(lookup),
            uploads_bucket: required(lookup, "UPLOADS_BUCKET")?,
            lease_secs,
        })
    }
}

pub struct Deps {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
    /// The uploads bucket.
    pub uploads: Arc<dyn ObjectStore>,
    pub counters: Arc<dyn Counters>,
    pub audit: Arc<dyn AuditLog>,
    pub clock: Arc<dyn Clock>,
}

/// The AWS adapters (DynamoDB stores, the uploads bucket, the system clock),
/// built once per container.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    Ok(Deps {
        campaigns: aws.campaigns(),
        contacts: aws.contacts(),
        blacklist: aws.blacklist(),
        uploads: aws.objects(&config.uploads_bucket),
        counters: aws.counters(),
        audit: aws.audit(),
        clock: aws.clock.clone(),
    })
}

// ---------------------------------------------------------------- S3 notifications

/// The parts of an S3 event notification we use.
#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Vec<NotificationRecord>,
}

#[derive(Debug, Deserialize)]
struct NotificationRecord {
    #[serde(rename = "eventName")]
    event_name: String,
    s3: S3Entity,
}

#[derive(Debug, Deserialize)]
struct S3Entity {
    bucket: S3Bucket,
    object: S3Object,
}

#[derive(Debug, Deserialize)]
struct S3Bucket {
    name: String,
}

#[derive(Debug, Deserialize)]
struct S3Object {
    key: String,
}

/// What S3 sends once when a notification is configured.
#[derive(Debug, Deserialize)]
struct TestEvent {
    #[serde(rename = "Event")]
    event: String,
}

/// A queue message, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// `s3:TestEvent`: nothing to do.
    Test,
    /// Objects created: (bucket, decoded key) each.
    Created(Vec<(String, String)>),
}

/// Decodes a record body: an S3 event notification or S3's test event.
pub fn decode(body: Option<&str>) -> Result<Upload, String> {
    let body = body.ok_or("record has no body")?;
    if let Ok(test) = serde_json::from_str::<TestEvent>(body)
        && test.event == "s3:TestEvent"
    {
        return Ok(Upload::Test);
    }
    let n: Notification =
        serde_json::from_str(body).map_err(|e| format!("not an S3 event notification: {e}"))?;
    let mut created = Vec::with_capacity(n.records.len());
    for r in n.records {
        if !r.event_name.starts_with("ObjectCreated:") {
            continue;
        }
        let key = url_decode(&r.s3.object.key)
            .ok_or_else(|| format!("object key is not URL-encoded UTF-8: {}", r.s3.object.key))?;
        created.push((r.s3.bucket.name, key));
    }
    Ok(Upload::Created(created))
}

/// S3 notifications carry keys form-encoded: `+` for a space, `%XX` for
/// other bytes.
pub fn url_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).ok()
}

// ---------------------------------------------------------------- handler

pub async fn handler(
    deps: &Deps,
    config: &Config,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    let use_case = UploadedImports {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        blacklist: &*deps.blacklist,
        uploads: &*deps.uploads,
        counters: &*deps.counters,
        audit: &*deps.audit,
        clock: &*deps.clock,
        lease: Duration::seconds(config.lease_secs),
    };
    let use_case = &use_case;
    let mut items = Vec::with_capacity(event.payload.records.len());
    for record in event.payload.records {
        match record.message_id.as_deref() {
            Some(id) if !id.is_empty() => items.push((id.to_owned(), record.body)),
            // It could not be named in the response: fail the whole batch.
            _ => return Err(FunctionError::invalid("an SQS record has no messageId")),
        }
    }
    // One at a time: imports are heavy, and a duplicate later in the batch
    // then finds the import done.
    let summary = run_items(items, 1, |body: Option<String>| async move {
        let upload = decode(body.as_deref()).map_err(|e| {
            tracing::error!(error = %lambda_kit::logging::scrub(&e), "malformed record");
            FunctionError::invalid(format!("malformed S3 notification: {e}"))
        })?;
        let created = match upload {
            Upload::Test => {
                tracing::info!("S3 test event acknowledged");
                return Ok(RecordResult::Done);
            }
            Upload::Created(created) => created,
        };
        let mut retry = None;
        // Only the uploads bucket may send to the queue (its policy), so the
        // bucket name is logged, not checked: fixtures and emulator buckets
        // carry other names.
        for (bucket, key) in created {
            tracing::debug!(%bucket, "object created");
            if let Some(reason) = import_one(use_case, &key).await? {
                retry = Some(reason);
            }
        }
        Ok(match retry {
            Some(reason) => RecordResult::Retry(reason),
            None => RecordResult::Done,
        })
    })
    .instrument(span)
    .await;
    Ok(summary.response())
}

/// Runs the import `key` names; `Some(reason)` when the message must come
/// back later.
async fn import_one(
    use_case: &UploadedImports<'_>,
    key: &str,
) -> Result<Option<String>, FunctionError> {
    let Some((campaign, import_id)) = parse_upload_key(key) else {
        tracing::warn!(
            %key,
            prefix = UPLOADS_PREFIX,
            "object is not a contact upload; ignored"
        );
        return Ok(None);
    };
    let outcome = use_case
        .run(&campaign, &import_id, Trigger::Upload, None, ACTOR)
        .await?;
    Ok(match outcome {
        RunOutcome::Ran(r) => {
            tracing::info!(
                campaign_id = %campaign,
                %import_id,
                status = ?r.status,
                stored = r.stored,
                invalid_rows = r.summary.as_ref().map(|s| s.invalid),
                failure = r.failure.as_ref().map(|f| f.code.as_str()),
                "import ran"
            );
            None
        }
        RunOutcome::AlreadyDone(r) => {
            tracing::info!(campaign_id = %campaign, %import_id, status = ?r.status, "import already done; duplicate delivery");
            None
        }
        RunOutcome::Unknown => {
            tracing::warn!(campaign_id = %campaign, %import_id, "no such import; upload ignored");
            None
        }
        RunOutcome::InProgress(r) => Some(format!(
            "import {import_id} is being run elsewhere (lease until {:?})",
            r.lease_until
        )),
        RunOutcome::NotUploaded(_) => Some(format!("no file at {key} yet")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_exactly_its_env_vars() {
        let values = [
            ("CAMPAIGN_TABLE_PREFIX", "t-"),
            ("UPLOADS_BUCKET", "up"),
            ("IMPORT_LEASE_SECS", "120"),
        ];
        let (c, asked) = lambda_kit::config::names_read(&values, |l| Config::from_lookup(l));
        let c = c.expect("config");
        assert_eq!(c.uploads_bucket, "up");
        assert_eq!(c.lease_secs, 120);
        for name in &asked {
            assert!(ENV_VARS.contains(&name.as_str()), "{name} not in ENV_VARS");
        }
        assert_eq!(asked.len(), ENV_VARS.len());
    }

    #[test]
    fn config_needs_the_bucket_and_a_sane_lease() {
        let (c, _) = lambda_kit::config::names_read(&[], |l| Config::from_lookup(l));
        assert_eq!(c.expect_err("no bucket").error_type(), "ConfigError");
        let (c, _) = lambda_kit::config::names_read(
            &[("UPLOADS_BUCKET", "up"), ("IMPORT_LEASE_SECS", "5")],
            |l| Config::from_lookup(l),
        );
        assert_eq!(c.expect_err("short lease").error_type(), "ConfigError");
    }

    #[test]
    fn keys_are_url_decoded_as_s3_encodes_them() {
        assert_eq!(
            url_decode("uploads/cmp-1/imp-a.csv").as_deref(),
            Some("uploads/cmp-1/imp-a.csv")
        );
        assert_eq!(url_decode("a+b%2Fc%C3%A9").as_deref(), Some("a b/cé"));
        assert_eq!(url_decode("bad%zz"), None);
        assert_eq!(url_decode("cut%4"), None);
    }

    #[test]
    fn the_test_event_and_notifications_decode() {
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-22T01:00:00.000Z","Bucket":"up","RequestId":"R","HostId":"H"}"#;
        assert_eq!(decode(Some(test)), Ok(Upload::Test));
        let n = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"up"},"object":{"key":"uploads/cmp-1/imp-a%2Bb.csv","size":10}}},{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"up"},"object":{"key":"x"}}}]}"#;
        assert_eq!(
            decode(Some(n)),
            Ok(Upload::Created(vec![(
                "up".into(),
                "uploads/cmp-1/imp-a+b.csv".into()
            )]))
        );
        assert!(decode(Some("not json")).is_err());
        assert!(decode(Some(r#"{"Records":"x"}"#)).is_err());
        assert!(decode(None).is_err());
    }
}
