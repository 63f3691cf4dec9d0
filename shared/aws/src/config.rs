//! Building the AWS clients once, from the environment.
//!
//! The SDK reads its usual settings (`AWS_REGION` / `AWS_DEFAULT_REGION`,
//! credentials, and `AWS_ENDPOINT_URL` for a local emulator). Every call
//! gets a time limit through the SDK's timeout config, and the standard
//! retry mode (with its own backoff for throttling and 5xx). When an
//! endpoint is set (an emulator), S3 uses path-style addressing
//! (`http://host/bucket/key`), because `bucket.127.0.0.1` does not resolve.
//!
//! TLS is rustls with the `ring` provider (the SDK's default, aws-lc, takes
//! much longer to build and brings nothing these adapters need).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// Time limits and retries for every AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    /// Whole operation, retries included.
    pub operation_timeout: Duration,
    /// One attempt.
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
    /// Attempts per operation (the SDK's standard retry mode, with backoff).
    pub max_attempts: u32,
    /// Region when the environment names none.
    pub fallback_region: String,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            operation_timeout: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            max_attempts: 3,
            fallback_region: "us-east-1".into(),
        }
    }
}

impl AwsConfig {
    /// The SDK configuration: the environment's settings with these limits.
    pub async fn sdk_config(&self) -> SdkConfig {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        // The default chain (environment, profile, instance metadata) runs
        // inside the loader, which gives it this HTTP client.
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(self.operation_timeout)
                    .operation_attempt_timeout(self.attempt_timeout)
                    .connect_timeout(self.connect_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_attempts.max(1)))
            .load()
            .await;
        if sdk.region().is_some() {
            return sdk;
        }
        sdk.into_builder()
            .region(aws_config::Region::new(self.fallback_region.clone()))
            .build()
    }

    /// Every client, built once (a Lambda builds them at start-up and keeps
    /// them for every invocation).
    pub async fn clients(&self) -> Clients {
        Clients::new(&self.sdk_config().await)
    }
}

/// The clients of every service the adapters use. Cheap to clone (each
/// client is a handle to shared state).
#[derive(Debug, Clone)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub polly: aws_sdk_polly::Client,
    /// The endpoint override (`AWS_ENDPOINT_URL`), if any.
    pub endpoint: Option<String>,
}

impl Clients {
    pub fn new(sdk: &SdkConfig) -> Self {
        let endpoint = sdk.endpoint_url().map(str::to_owned);
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(endpoint.is_some())
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(s3),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            polly: aws_sdk_polly::Client::new(sdk),
            endpoint,
        }
    }

    /// Clients from the environment with the default limits.
    pub async fn from_env() -> Self {
        AwsConfig::default().clients().await
    }
}

/// The variable that lets a test run skip the emulator tests on purpose.
pub const SKIP_EMULATOR_TESTS: &str = "SKIP_EMULATOR_TESTS";

/// The emulator's endpoint for a test that needs it. Without
/// `AWS_ENDPOINT_URL` the test fails, so a green run always means the
/// emulator tests ran; `SKIP_EMULATOR_TESTS=1` skips them explicitly (the
/// test returns early with a note).
///
/// # Panics
///
/// When neither variable is set: that is the failure this exists for.
pub fn emulator_endpoint(test: &str) -> Option<String> {
    let url = std::env::var("AWS_ENDPOINT_URL").ok();
    let skip = std::env::var(SKIP_EMULATOR_TESTS).ok();
    match emulator_decision(url.as_deref(), skip.as_deref()) {
        Ok(Some(url)) => Some(url),
        Ok(None) => {
            eprintln!("note: {test} skipped on purpose ({SKIP_EMULATOR_TESTS}=1)");
            None
        }
        Err(why) => panic!("{test} needs the local AWS emulator: {why}"),
    }
}

/// [`emulator_endpoint`]'s rule on the two variables' values.
fn emulator_decision(url: Option<&str>, skip: Option<&str>) -> Result<Option<String>, String> {
    match (url, skip) {
        (Some(url), _) if !url.is_empty() => Ok(Some(url.to_owned())),
        (_, Some("1")) => Ok(None),
        _ => Err(format!(
            "AWS_ENDPOINT_URL is not set. Start it (AWS_ENDPOINT_URL=$(tests/emulator start), \
             as tests/run does) or skip the emulator tests explicitly with {SKIP_EMULATOR_TESTS}=1"
        )),
    }
}

#[cfg(test)]
mod emulator_tests {
    use super::emulator_decision;

    #[test]
    fn without_the_emulator_a_test_fails_unless_skipping_is_asked_for() {
        assert!(emulator_decision(None, None).is_err());
        assert!(emulator_decision(Some(""), None).is_err());
        assert!(emulator_decision(None, Some("0")).is_err());
        assert_eq!(emulator_decision(None, Some("1")), Ok(None));
        assert_eq!(
            emulator_decision(Some("http://127.0.0.1:5000"), Some("1")),
            Ok(Some("http://127.0.0.1:5000".into()))
        );
    }
}
