//! `api-handler`: API Gateway (HTTP API, payload v2) → the `campaign-api`
//! router. Glue only: read the [`Config`], build the AWS adapters once
//! ([`build_state`]), and per request put the claims API Gateway's JWT
//! authorizer validated into the request ([`GatewayClaims`]) and run the
//! router ([`handle`]).
//!
//! Adapters built here beside `campaign-aws`'s: [`S3Uploads`] (presigned
//! PUT links and listings on a bucket), [`SfnWorkflows`] (Step Functions
//! `StartExecution`, one execution per campaign) and [`RandomIds`].

use std::convert::Infallible;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use campaign_api::auth::{Authenticator, GatewayClaims};
use campaign_api::{ApiConfig, ApiState};
use campaign_aws::{
    Clients, DynamoAuditLog, DynamoBlacklistStore, DynamoCallRecordStore, DynamoCampaignStore,
    DynamoContactStore, DynamoCounters, S3Objects, SecretsManagerSecrets, SqsDialQueue, TableNames,
};
use campaign_core::clock::{Clock, SystemClock};
use campaign_core::messages::WorkflowInput;
use campaign_core::phone::PhoneParser;
use campaign_core::ports::{
    IdGenerator, ObjectInfo, Page, PageRequest, PortError, PortResult, UploadStore, WorkflowStarter,
};
use chrono::Duration;
use lambda_http::{RequestExt, request::RequestContext};
use lambda_kit::FunctionError;
use lambda_kit::config::{env_lookup, parsed, required};
use tower::ServiceExt;

pub const FUNCTION: &str = "api-handler";

/// Every environment variable [`Config::from_lookup`] reads.
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "DIAL_QUEUE_URL",
    "REPORTS_BUCKET",
    "REPORT_LINK_TTL_SECS",
    "AUDIO_BUCKET",
    "UPLOADS_BUCKET",
    "CALL_MANAGER_TOKEN_SECRET_ID",
    "STATE_MACHINE_ARN",
];

/// Longest link S3 signs (SigV4: 7 days).
pub const MAX_LINK_TTL_SECS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table_prefix: String,
    /// For the queue depth in live metrics, and v1 calls.
    pub dial_queue_url: String,
    pub reports_bucket: String,
    pub report_link_ttl_secs: i64,
    pub audio_bucket: String,
    /// Contact files uploaded through presigned links, and import records.
    pub uploads_bucket: String,
    /// Secrets Manager id of the call-manager v1 token.
    pub call_manager_token_secret_id: String,
    pub state_machine_arn: String,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let report_link_ttl_secs = parsed(lookup, "REPORT_LINK_TTL_SECS", 12 * 3600)?;
        if !(60..=MAX_LINK_TTL_SECS).contains(&report_link_ttl_secs) {
            return Err(FunctionError::Config(format!(
                "REPORT_LINK_TTL_SECS must be between 60 and {MAX_LINK_TTL_SECS}"
            )));
        }
        Ok(Self {
            table_prefix: required(lookup, "CAMPAIGN_TABLE_PREFIX")?,
            dial_queue_url: required(lookup, "DIAL_QUEUE_URL")?,
            reports_bucket: required(lookup, "REPORTS_BUCKET")?,
            report_link_ttl_secs,
            audio_bucket: required(lookup, "AUDIO_BUCKET")?,
            uploads_bucket: required(lookup, "UPLOADS_BUCKET")?,
            call_manager_token_secret_id: required(lookup, "CALL_MANAGER_TOKEN_SECRET_ID")?,
            state_machine_arn: required(lookup, "STATE_MACHINE_ARN")?,
        })
    }

    /// The API's settings from this configuration.
    pub fn api_config(&self) -> ApiConfig {
        ApiConfig {
            call_manager_token_secret: self.call_manager_token_secret_id.clone(),
            report_link_ttl: Duration::seconds(self.report_link_ttl_secs),
            audio_location_prefix: format!("s3://{}/", self.audio_bucket),
            // API Gateway's HTTP API buffers a Lambda's whole response: the
            // metrics streams answer 501 and the console polls instead.
            streaming: false,
            ..ApiConfig::default()
        }
    }
}

// ---------------------------------------------------------------- adapters

/// Random ids (`prefix-` and 20 hex digits): unique across every Lambda
/// instance without coordination.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_id(&self, prefix: &str) -> String {
        let n: u128 = rand::random();
        format!("{prefix}-{:020x}", n >> 48)
    }
}

/// Presigned PUT links and listings on one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Uploads {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Uploads {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl UploadStore for S3Uploads {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires_in: Duration,
    ) -> PortResult<String> {
        let secs = expires_in.num_seconds();
        if !(1..=MAX_LINK_TTL_SECS).contains(&secs) {
            return Err(PortError::Invalid(format!(
                "s3.presign_put: a link must last between 1 second and 7 days, not {secs} s"
            )));
        }
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(
            std::time::Duration::from_secs(secs.unsigned_abs()),
        )
        .map_err(|e| PortError::Invalid(format!("s3.presign_put: {e}")))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(|e| PortError::Other(format!("s3.presign_put: {e}")))?;
        Ok(request.uri().to_owned())
    }

    async fn list(&self, prefix: &str, page: PageRequest) -> PortResult<Page<ObjectInfo>> {
        let limit = i32::try_from(page.limit.clamp(1, 1000)).unwrap_or(1000);
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(limit)
            .set_continuation_token(page.cursor.clone())
            .send()
            .await
            .map_err(campaign_aws::error::port_err("s3.list"))?;
        let items = out
            .contents()
            .iter()
            .map(|o| ObjectInfo {
                key: o.key().unwrap_or_default().to_owned(),
                size_bytes: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                last_modified: o
                    .last_modified()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
            })
            .collect();
        Ok(Page {
            items,
            next: out.next_continuation_token().map(str::to_owned),
        })
    }
}

/// Starts the campaign workflow (Step Functions), one execution per
/// campaign: the execution is named after the campaign, so a repeated start
/// finds it running (`ExecutionAlreadyExists`) and changes nothing.
#[derive(Debug, Clone)]
pub struct SfnWorkflows {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl SfnWorkflows {
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }
}

/// An execution name from a campaign id (Step Functions allows 1–80 of
/// letters, digits, `-` and `_`).
pub fn execution_name(campaign: &str) -> String {
    let name: String = campaign
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if name.is_empty() {
        "campaign".into()
    } else {
        name
    }
}

#[async_trait]
impl WorkflowStarter for SfnWorkflows {
    async fn start(&self, input: &WorkflowInput) -> PortResult<()> {
        use campaign_core::messages::Message;
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(execution_name(input.campaign_id.as_str()))
            .input(input.encode())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_execution_already_exists()) =>
            {
                Ok(())
            }
            Err(e) => {
                let transient = e.as_service_error().is_none()
                    || e.raw_response().is_some_and(|r| r.status().as_u16() >= 500);
                let message = format!(
                    "sfn.start_execution: {}",
                    aws_sdk_sfn::error::DisplayErrorContext(&e)
                );
                Err(if transient {
                    PortError::Unavailable(message)
                } else {
                    PortError::Other(message)
                })
            }
        }
    }
}

// ---------------------------------------------------------------- wiring

/// The API's state on the AWS adapters.
pub async fn build_state(config: &Config) -> anyhow::Result<ApiState> {
    // One SDK configuration (region, credentials, time limits) for every client.
    let sdk = campaign_aws::AwsConfig::default().sdk_config().await;
    let clients = Clients::new(&sdk);
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let tables = TableNames::with_prefix(&config.table_prefix);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ddb = clients.dynamodb.clone();
    let store_contacts = Arc::new(DynamoContactStore::new(
        ddb.clone(),
        &tables.contacts,
        &tables.counters,
    ));
    let uploads = Arc::new(S3Uploads::new(clients.s3.clone(), &config.uploads_bucket));
    Ok(ApiState {
        campaigns: Arc::new(DynamoCampaignStore::new(ddb.clone(), &tables.campaigns)),
        contacts: store_contacts,
        blacklist: Arc::new(DynamoBlacklistStore::new(ddb.clone(), &tables.blacklist)),
        calls: Arc::new(DynamoCallRecordStore::new(
            ddb.clone(),
            &tables.call_records,
        )),
        counters: Arc::new(DynamoCounters::new(ddb.clone(), &tables.counters)),
        audit: Arc::new(DynamoAuditLog::new(ddb, &tables.audit)),
        queue: Arc::new(SqsDialQueue::new(
            clients.sqs.clone(),
            &config.dial_queue_url,
        )),
        reports: Arc::new(S3Objects::new(clients.s3.clone(), &config.reports_bucket)),
        uploads: Arc::new(S3Objects::new(clients.s3.clone(), &config.uploads_bucket)),
        upload_links: uploads,
        audio: Arc::new(S3Uploads::new(clients.s3.clone(), &config.audio_bucket)),
        audio_files: Arc::new(S3Objects::new(clients.s3.clone(), &config.audio_bucket)),
        report_index: Arc::new(S3Uploads::new(clients.s3.clone(), &config.reports_bucket)),
        workflows: Arc::new(SfnWorkflows::new(sfn, &config.state_machine_arn)),
        secrets: Arc::new(SecretsManagerSecrets::new(
            clients.secrets.clone(),
            clock.clone(),
            Duration::minutes(5),
        )),
        ids: Arc::new(RandomIds),
        clock,
        auth: Authenticator::Gateway,
        config: config.api_config(),
        parser: PhoneParser::default(),
    })
}

/// The claims API Gateway's JWT authorizer validated (none on routes
/// without an authorizer, such as the v1 API and `/health`).
pub fn claims_of(request: &lambda_http::Request) -> Option<GatewayClaims> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => {
            let jwt = ctx.authorizer.as_ref()?.jwt.as_ref()?;
            Some(GatewayClaims(jwt.claims.clone()))
        }
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// One request through the router.
pub async fn handle(
    router: Router,
    request: lambda_http::Request,
) -> Result<axum::response::Response, Infallible> {
    let claims = claims_of(&request);
    let mut request = request.map(|body| axum::body::Body::from(body.to_vec()));
    if let Some(claims) = claims {
        request.extensions_mut().insert(claims);
    }
    router.oneshot(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    fn full() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("CAMPAIGN_TABLE_PREFIX", "campaign-dev-"),
            ("DIAL_QUEUE_URL", "https://sqs.example/dial"),
            ("REPORTS_BUCKET", "reports"),
            ("AUDIO_BUCKET", "audio"),
            ("UPLOADS_BUCKET", "uploads"),
            ("CALL_MANAGER_TOKEN_SECRET_ID", "call-manager-token"),
            (
                "STATE_MACHINE_ARN",
                "arn:aws:states:eu-west-1:1:stateMachine:campaign",
            ),
        ])
    }

    #[test]
    fn every_variable_read_is_listed_in_env_vars() {
        let asked = RefCell::new(Vec::new());
        let vars = full();
        let lookup = |name: &str| {
            asked.borrow_mut().push(name.to_owned());
            vars.get(name).map(|v| (*v).to_owned())
        };
        let config = Config::from_lookup(&lookup).expect("config");
        assert_eq!(config.report_link_ttl_secs, 12 * 3600);
        for name in asked.borrow().iter() {
            assert!(
                ENV_VARS.contains(&name.as_str()),
                "{name} is read but not in ENV_VARS"
            );
        }
        for name in ENV_VARS {
            assert!(
                asked.borrow().iter().any(|a| a == name),
                "{name} is listed but never read"
            );
        }
    }

    #[test]
    fn the_lambda_api_does_not_stream() {
        // API Gateway's HTTP API buffers a Lambda's whole response, so the
        // metrics streams must answer 501 rather than hang until the timeout.
        let vars = full();
        let lookup = |name: &str| vars.get(name).map(|v| (*v).to_owned());
        let config = Config::from_lookup(&lookup).expect("config").api_config();
        assert!(!config.streaming);
        assert!(ApiConfig::default().streaming, "campaign serve streams");
    }

    #[test]
    fn a_missing_bucket_is_a_config_error() {
        let vars = full();
        let lookup = |name: &str| {
            (name != "UPLOADS_BUCKET")
                .then(|| vars.get(name).map(|v| (*v).to_owned()))
                .flatten()
        };
        let err = Config::from_lookup(&lookup).expect_err("missing");
        assert_eq!(err.error_type(), "ConfigError");
    }

    #[test]
    fn execution_names_are_what_step_functions_accepts() {
        assert_eq!(execution_name("cmp-0001"), "cmp-0001");
        assert_eq!(execution_name("a b/c"), "a_b_c");
        assert_eq!(execution_name(&"x".repeat(100)).len(), 80);
    }

    #[test]
    fn random_ids_differ() {
        assert_ne!(RandomIds.next_id("cmp"), RandomIds.next_id("cmp"));
        assert!(RandomIds.next_id("cmp").starts_with("cmp-"));
    }
}
