//! Imports of contact files kept in the uploads store: a direct upload (the
//! file came with the request), or a presigned upload (the client PUT the
//! file at `uploads/<campaign>/<import id>.<ext>`). Each import has a record
//! at `imports/<campaign>/<import id>.json` in the same store, which is what
//! clients poll.
//!
//! Status lifecycle: `awaiting_upload` → `importing` → `completed` |
//! `failed` (a machine code and a message: an unreadable file, a campaign
//! that no longer takes contacts...). A failed import may be run again.
//!
//! Runs are safe under at-least-once delivery (S3 events through SQS, a
//! manual re-trigger, the local server's background run): before importing,
//! a run *claims* the record's attempt number with a conditional write
//! ([`Counters::mark_seen`] on `import-claim/<campaign>/<id>/<attempt>`), so
//! two concurrent runs never both import. The record then says `importing`
//! with a lease; a run that crashed leaves it so, and once the lease has
//! passed the next run claims the next attempt number and takes over. A run
//! for an import already `completed` does nothing.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::ids::CampaignId;
use crate::import::{DedupRule, FileFormat, ImportError, ImportOptions, ImportSummary, InvalidRow};
use crate::phone::PhoneParser;
use crate::ports::{
    AuditLog, AuditRecord, BlacklistStore, CampaignStore, ContactStore, Counters, ObjectStore,
    PortError,
};

use super::contacts::ImportContacts;
use super::{UseCaseError, UseCaseResult};

/// Most row errors kept in an import's record (the summary counts them all).
pub const MAX_ERRORS_KEPT: usize = 1000;

/// The XLSX media type.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Where presigned contact files are uploaded.
pub const UPLOADS_PREFIX: &str = "uploads/";

/// How long claim marks are kept (far beyond any retry of the same event).
const CLAIM_TTL_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    AwaitingUpload,
    Importing,
    Completed,
    Failed,
}

/// How to read the file, fixed when the import is created (a run started by
/// an event has nobody to ask).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSettings {
    /// Region for numbers without a country code (ISO 3166).
    pub region: String,
    pub dedup: DedupRule,
}

impl ImportSettings {
    pub fn options(&self) -> Result<ImportOptions, String> {
        Ok(ImportOptions {
            parser: PhoneParser::new(&self.region).map_err(|e| format!("region: {e}"))?,
            dedup: self.dedup.clone(),
        })
    }
}

/// Why a whole file could not be imported, in the API's error shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportFailure {
    /// A stable machine code: `unreadable_file`, `unsupported_format`,
    /// `campaign_finished`, `campaign_not_found`, `invalid_settings`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ImportFailure {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// An unreadable file, with the line or the headers found when known.
    pub fn from_import_error(e: &ImportError) -> Self {
        let mut f = Self::new("unreadable_file", e.to_string());
        f.details = match e {
            ImportError::Csv { line, .. } => Some(serde_json::json!({ "line": line })),
            ImportError::NoPhoneColumn { headers } => {
                Some(serde_json::json!({ "headers": headers }))
            }
            ImportError::UnsupportedFormat => {
                f.code = "unsupported_format".into();
                None
            }
            _ => None,
        };
        f
    }
}

/// An import and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub import_id: String,
    pub campaign_id: CampaignId,
    pub status: ImportStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// When the latest run began.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Runs begun so far (a run taking over a crashed one counts again).
    #[serde(default)]
    pub attempts: u32,
    /// While `importing`: until when the running attempt owns the import.
    #[serde(default)]
    pub lease_until: Option<DateTime<Utc>>,
    /// Where a presigned upload puts the file.
    pub file_key: Option<String>,
    pub content_type: Option<String>,
    #[serde(default)]
    pub settings: Option<ImportSettings>,
    pub summary: Option<ImportSummary>,
    /// Contacts new to the campaign.
    pub stored: Option<usize>,
    /// Imported numbers already on the do-not-call list.
    pub blacklisted: Option<usize>,
    /// Rejected rows with their row numbers (the header is row 1).
    pub errors: Vec<InvalidRow>,
    pub errors_truncated: bool,
    /// Why the whole file failed.
    pub failure: Option<ImportFailure>,
}

impl ImportRecord {
    /// A new import awaiting its file.
    pub fn new(
        import_id: String,
        campaign_id: CampaignId,
        created_by: String,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            import_id,
            campaign_id,
            status: ImportStatus::AwaitingUpload,
            created_at: at,
            created_by,
            started_at: None,
            finished_at: None,
            attempts: 0,
            lease_until: None,
            file_key: None,
            content_type: None,
            settings: None,
            summary: None,
            stored: None,
            blacklisted: None,
            errors: Vec::new(),
            errors_truncated: false,
            failure: None,
        }
    }
}

/// The record's key in the uploads store.
pub fn record_key(campaign: &CampaignId, import_id: &str) -> String {
    format!("imports/{campaign}/{import_id}.json")
}

/// Where a presigned upload of this import puts its file.
pub fn upload_key(campaign: &CampaignId, import_id: &str, extension: &str) -> String {
    format!("{UPLOADS_PREFIX}{campaign}/{import_id}.{extension}")
}

/// Ids we issue are `imp-…` of letters, digits and dashes.
pub fn valid_import_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The campaign and import id of an uploaded file's key
/// (`uploads/<campaign>/<import id>.<ext>`); `None` for any other key.
pub fn parse_upload_key(key: &str) -> Option<(CampaignId, String)> {
    let rest = key.strip_prefix(UPLOADS_PREFIX)?;
    let (campaign, file) = rest.split_once('/')?;
    let (id, _ext) = file.rsplit_once('.')?;
    let campaign_ok = !campaign.is_empty()
        && campaign
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (campaign_ok && valid_import_id(id)).then(|| (CampaignId::new(campaign), id.to_owned()))
}

/// Why a media type is not one we import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the file is neither CSV nor XLSX")]
    Undetected,
    #[error("expected text/csv or {XLSX_TYPE}, got {0}")]
    MediaType(String),
}

/// CSV or XLSX from the media type (or, for a generic or missing one, the
/// file name and content).
pub fn file_format(
    media_type: Option<&str>,
    file_name: Option<&str>,
    bytes: &[u8],
) -> Result<FileFormat, FormatError> {
    match media_type {
        Some("text/csv" | "application/csv" | "text/plain" | "text/tab-separated-values") => {
            Ok(FileFormat::Csv)
        }
        Some(XLSX_TYPE) => Ok(FileFormat::Xlsx),
        Some("application/octet-stream") | None => {
            FileFormat::detect(file_name, bytes).ok_or(FormatError::Undetected)
        }
        Some(other) => Err(FormatError::MediaType(other.to_owned())),
    }
}

/// Who asked for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The upload's storage event (S3 notification, the local server's PUT):
    /// a failed import stays failed (a duplicate event must not redo it).
    Upload,
    /// A person (`POST .../run`): a failed import is run again.
    Manual,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// Imported: the record is `completed` or `failed`.
    Ran(ImportRecord),
    /// Nothing to do: completed before (or failed, for an upload event).
    AlreadyDone(ImportRecord),
    /// Another run owns it (its lease has not passed).
    InProgress(ImportRecord),
    /// No file at the record's upload key yet.
    NotUploaded(ImportRecord),
    /// No such import.
    Unknown,
}

pub struct UploadedImports<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub contacts: &'a dyn ContactStore,
    pub blacklist: &'a dyn BlacklistStore,
    /// The uploads store: files and import records.
    pub uploads: &'a dyn ObjectStore,
    /// For the claims.
    pub counters: &'a dyn Counters,
    pub audit: &'a dyn AuditLog,
    pub clock: &'a dyn Clock,
    /// How long a run owns an import (at least the longest a run can take:
    /// the function's timeout).
    pub lease: Duration,
}

impl UploadedImports<'_> {
    pub async fn load(
        &self,
        campaign: &CampaignId,
        import_id: &str,
    ) -> UseCaseResult<Option<ImportRecord>> {
        if !valid_import_id(import_id) {
            return Ok(None);
        }
        match self.uploads.get(&record_key(campaign, import_id)).await? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                PortError::Other(format!("import record {import_id} is unreadable: {e}")).into()
            }),
        }
    }

    pub async fn save(&self, record: &ImportRecord) -> UseCaseResult<()> {
        let bytes = serde_json::to_vec(record)
            .map_err(|e| PortError::Other(format!("encoding import record: {e}")))?;
        self.uploads
            .put(
                &record_key(&record.campaign_id, &record.import_id),
                bytes,
                "application/json",
            )
            .await?;
        Ok(())
    }

    /// Claims the record's next attempt (the compare-and-set that keeps two
    /// runs apart) and saves it as `importing` under a lease.
    async fn claim(&self, record: &mut ImportRecord) -> UseCaseResult<bool> {
        let now = self.clock.now();
        let key = format!(
            "import-claim/{}/{}/{}",
            record.campaign_id, record.import_id, record.attempts
        );
        if !self
            .counters
            .mark_seen(&key, now, Duration::days(CLAIM_TTL_DAYS))
            .await?
        {
            return Ok(false);
        }
        record.status = ImportStatus::Importing;
        record.attempts += 1;
        record.started_at = Some(now);
        record.finished_at = None;
        record.lease_until = Some(now + self.lease);
        record.failure = None;
        self.save(record).await?;
        Ok(true)
    }

    /// Imports `bytes` for a new record (a direct upload): claims it, runs
    /// it, and leaves it `completed` or `failed` (saved and audited).
    pub async fn import_direct(
        &self,
        record: &mut ImportRecord,
        bytes: &[u8],
        format: FileFormat,
        options: &ImportOptions,
        actor: &str,
    ) -> UseCaseResult<()> {
        if !self.claim(record).await? {
            return Err(PortError::Conflict(format!(
                "import {} is being run elsewhere",
                record.import_id
            ))
            .into());
        }
        self.import_claimed(record, bytes, Ok(format), Ok(options.clone()), actor)
            .await
    }

    /// Runs the uploaded file of an import, if it needs running (see
    /// [`RunOutcome`]). `options` overrides the record's settings.
    pub async fn run(
        &self,
        campaign: &CampaignId,
        import_id: &str,
        trigger: Trigger,
        options: Option<ImportOptions>,
        actor: &str,
    ) -> UseCaseResult<RunOutcome> {
        let Some(mut record) = self.load(campaign, import_id).await? else {
            return Ok(RunOutcome::Unknown);
        };
        let now = self.clock.now();
        match record.status {
            ImportStatus::Completed => return Ok(RunOutcome::AlreadyDone(record)),
            ImportStatus::Failed if trigger == Trigger::Upload => {
                return Ok(RunOutcome::AlreadyDone(record));
            }
            ImportStatus::Importing if record.lease_until.is_some_and(|until| now < until) => {
                return Ok(RunOutcome::InProgress(record));
            }
            _ => {}
        }
        let Some(key) = record.file_key.clone() else {
            return Ok(RunOutcome::NotUploaded(record));
        };
        let Some(bytes) = self.uploads.get(&key).await? else {
            return Ok(RunOutcome::NotUploaded(record));
        };
        if !self.claim(&mut record).await? {
            return Ok(RunOutcome::InProgress(record));
        }
        let format = file_format(record.content_type.as_deref(), Some(&key), &bytes);
        let options = match options {
            Some(o) => Ok(o),
            None => match &record.settings {
                Some(s) => s.options(),
                None => Ok(ImportOptions::default()),
            },
        };
        self.import_claimed(&mut record, &bytes, format, options, actor)
            .await?;
        Ok(RunOutcome::Ran(record))
    }

    /// The import proper, on a claimed record. A transient failure gives the
    /// lease back (the record stays `importing`, but the next run may take
    /// over at once) and is returned for a retry.
    async fn import_claimed(
        &self,
        record: &mut ImportRecord,
        bytes: &[u8],
        format: Result<FileFormat, FormatError>,
        options: Result<ImportOptions, String>,
        actor: &str,
    ) -> UseCaseResult<()> {
        let result = match (format, options) {
            (Err(e), _) => Err(ImportFailure::new("unsupported_format", e.to_string())),
            (_, Err(e)) => Err(ImportFailure::new("invalid_settings", e)),
            (Ok(format), Ok(options)) => {
                let use_case = ImportContacts {
                    campaigns: self.campaigns,
                    contacts: self.contacts,
                    blacklist: self.blacklist,
                };
                match use_case
                    .run(&record.campaign_id, bytes, format, &options)
                    .await
                {
                    Ok(out) => Ok(out),
                    Err(UseCaseError::Import(e)) => Err(ImportFailure::from_import_error(&e)),
                    Err(UseCaseError::Invalid(problems)) => {
                        Err(ImportFailure::new("campaign_finished", problems.join("; ")))
                    }
                    Err(UseCaseError::NotFound { what, id }) => Err(ImportFailure::new(
                        "campaign_not_found",
                        format!("{what} {id} not found"),
                    )),
                    Err(e) => {
                        record.lease_until = Some(self.clock.now());
                        if let Err(save) = self.save(record).await {
                            tracing::warn!(import_id = %record.import_id, error = %save, "could not give the import's lease back");
                        }
                        return Err(e);
                    }
                }
            }
        };
        record.finished_at = Some(self.clock.now());
        record.lease_until = None;
        match result {
            Ok(out) => {
                record.status = ImportStatus::Completed;
                record.summary = Some(out.report.summary);
                record.stored = Some(out.stored);
                record.blacklisted = Some(out.blacklisted);
                record.errors_truncated = out.report.errors.len() > MAX_ERRORS_KEPT;
                record.errors = out
                    .report
                    .errors
                    .into_iter()
                    .take(MAX_ERRORS_KEPT)
                    .collect();
                record.failure = None;
            }
            Err(failure) => {
                record.status = ImportStatus::Failed;
                record.failure = Some(failure);
            }
        }
        self.save(record).await?;
        self.audit
            .append(&AuditRecord::change(
                self.clock.now(),
                actor,
                "contacts.import",
                format!("campaign/{}", record.campaign_id),
                None,
                Some(&*record),
            ))
            .await?;
        Ok(())
    }
}
