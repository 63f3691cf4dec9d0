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
