//! What the routes run on: the ports (AWS or embedded adapters, chosen by
//! whoever builds the state), the authenticator and the settings.

use std::sync::Arc;

use chrono::Duration;

use campaign_core::clock::Clock;
use campaign_core::phone::PhoneParser;
use campaign_core::ports::{
    AuditLog, BlacklistStore, CallRecordStore, CampaignStore, ContactStore, Counters, DialQueue,
    IdGenerator, ObjectStore, Secrets, UploadStore, WorkflowStarter,
};
use campaign_core::usecases::blacklist_admin::BlacklistAdmin;
use campaign_core::usecases::call_manager::CallManager;
use campaign_core::usecases::campaign_edit::EditCampaign;
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::lifecycle::Lifecycle;
use campaign_core::usecases::metrics_query::MetricsQuery;
use campaign_core::usecases::optout::Blacklisting;
use campaign_core::usecases::report::GenerateReport;
use campaign_core::usecases::uploaded_import::UploadedImports;

use crate::auth::Authenticator;

/// Settings of the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The secret (Secrets Manager id, or the local map's key) holding the
    /// call-manager v1 token.
    pub call_manager_token_secret: String,
    /// How long report links work.
    pub report_link_ttl: Duration,
    /// How long presigned upload links work.
    pub upload_link_ttl: Duration,
    /// Region for numbers written without a country code.
    pub phone_region: String,
    /// Prefix turning an audio object key into the reference a campaign's
    /// `audio` setting takes (`s3://<audio bucket>/` on AWS).
    pub audio_location_prefix: String,
    /// Largest JSON body.
    pub max_json_bytes: usize,
    /// Largest file sent directly (contacts, blacklist imports); bigger ones
    /// go through a presigned upload.
    pub max_upload_bytes: usize,
    /// How long a contact import run owns its import before another run may
    /// take over (longer than any run: Lambda's 15-minute limit).
    pub import_lease: Duration,
    /// Whether the metrics streams (Server-Sent Events) can run here. Off
    /// in Lambda behind API Gateway's HTTP API, which buffers a whole
    /// response: the stream routes then answer 501 `streaming_unavailable`
    /// and the console polls the plain metrics routes instead.
    pub streaming: bool,
    /// How often a metrics stream sends a fresh snapshot.
    pub stream_interval: std::time::Duration,
    /// How long an audio file's `play_url` works.
    pub audio_play_ttl: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            call_manager_token_secret: "call-manager-token".into(),
            report_link_ttl: Duration::hours(12),
            upload_link_ttl: Duration::minutes(15),
            phone_region: "IL".into(),
            audio_location_prefix: "audio://".into(),
            max_json_bytes: 256 * 1024,
            // API Gateway and Lambda take 6 MB; base64 adds a third.
            max_upload_bytes: 4 * 1024 * 1024,
            import_lease: Duration::minutes(15),
            streaming: true,
            stream_interval: std::time::Duration::from_secs(1),
            audio_play_ttl: Duration::hours(1),
        }
    }
}

/// Every port the routes use.
pub struct ApiState {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
    pub calls: Arc<dyn CallRecordStore>,
    pub counters: Arc<dyn Counters>,
    pub audit: Arc<dyn AuditLog>,
    pub queue: Arc<dyn DialQueue>,
    /// The reports bucket.
    pub reports: Arc<dyn ObjectStore>,
    /// The uploads bucket: contact files and import summaries.
    pub uploads: Arc<dyn ObjectStore>,
    /// Presigned links into the uploads bucket.
    pub upload_links: Arc<dyn UploadStore>,
    /// The audio bucket: presigned links and listings.
    pub audio: Arc<dyn UploadStore>,
    /// The audio bucket again, for the presigned GETs the console plays
    /// files with (`play_url`).
    pub audio_files: Arc<dyn ObjectStore>,
    /// The reports bucket's listing (a campaign's reports).
    pub report_index: Arc<dyn UploadStore>,
    pub workflows: Arc<dyn WorkflowStarter>,
    pub secrets: Arc<dyn Secrets>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub auth: Authenticator,
    pub config: ApiConfig,
    pub parser: PhoneParser,
}

impl ApiState {
    pub fn lifecycle(&self) -> Lifecycle<'_> {
        Lifecycle {
            campaigns: &*self.campaigns,
            audit: &*self.audit,
            ids: &*self.ids,
            clock: &*self.clock,
        }
    }

    pub fn edit(&self) -> EditCampaign<'_> {
        EditCampaign {
            campaigns: &*self.campaigns,
            audit: &*self.audit,
            ids: &*self.ids,
            clock: &*self.clock,
        }
    }

    pub fn import_contacts(&self) -> ImportContacts<'_> {
        ImportContacts {
            campaigns: &*self.campaigns,
            contacts: &*self.contacts,
            blacklist: &*self.blacklist,
        }
    }

    /// Import records and runs in the uploads store.
    pub fn uploaded_imports(&self) -> UploadedImports<'_> {
        UploadedImports {
            campaigns: &*self.campaigns,
            contacts: &*self.contacts,
            blacklist: &*self.blacklist,
            uploads: &*self.uploads,
            counters: &*self.counters,
            audit: &*self.audit,
            clock: &*self.clock,
            lease: self.config.import_lease,
        }
    }

    pub fn blacklisting(&self) -> Blacklisting<'_> {
        Blacklisting {
            blacklist: &*self.blacklist,
            contacts: &*self.contacts,
            audit: &*self.audit,
            clock: &*self.clock,
        }
    }

    pub fn blacklist_admin(&self) -> BlacklistAdmin<'_> {
        BlacklistAdmin {
            blacklist: &*self.blacklist,
        }
    }

    pub fn metrics(&self) -> MetricsQuery<'_> {
        MetricsQuery {
            campaigns: &*self.campaigns,
            contacts: &*self.contacts,
            calls: &*self.calls,
            counters: &*self.counters,
            queue: &*self.queue,
            clock: &*self.clock,
        }
    }

    pub fn report(&self) -> GenerateReport<'_> {
        GenerateReport {
            campaigns: &*self.campaigns,
            contacts: &*self.contacts,
            calls: &*self.calls,
            objects: &*self.reports,
            clock: &*self.clock,
        }
    }

    pub fn call_manager(&self) -> CallManager<'_> {
        CallManager {
            campaigns: &*self.campaigns,
            contacts: &*self.contacts,
            blacklist: &*self.blacklist,
            calls: &*self.calls,
            counters: &*self.counters,
            queue: &*self.queue,
            audit: &*self.audit,
            clock: &*self.clock,
            parser: &self.parser,
        }
    }
}
