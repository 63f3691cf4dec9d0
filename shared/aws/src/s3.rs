//! [`ObjectStore`] on one S3 bucket: reports, audio, the speech cache.
//! Links are SigV4 presigned GETs (at most 7 days, S3's limit). Against an
//! emulator the client uses path-style addressing (see [`crate::config`]).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use campaign_core::ports::{ObjectStore, PortError, PortResult};
use chrono::Duration;

use crate::error::{classify, port_err};

/// S3 refuses presigned links longer than a week.
const MAX_PRESIGN_SECS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone)]
pub struct S3Objects {
    client: Client,
    bucket: String,
}

impl S3Objects {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// `s3://bucket/key`, the form the telephony side is given.
    pub fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(port_err("s3.put"))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        const OP: &str = "s3.get";
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if matches!(e.as_service_error(), Some(GetObjectError::NoSuchKey(_))) => {
                return Ok(None);
            }
            Err(e) => return Err(classify(OP, e).into()),
        };
        let bytes =
            out.body.collect().await.map_err(|e| {
                PortError::Unavailable(format!("{OP}: reading the body failed: {e}"))
            })?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    async fn presign_get(&self, key: &str, expires_in: Duration) -> PortResult<String> {
        const OP: &str = "s3.presign_get";
        let secs = expires_in.num_seconds();
        if !(1..=MAX_PRESIGN_SECS).contains(&secs) {
            return Err(PortError::Invalid(format!(
                "{OP}: a link must last between 1 second and 7 days, not {secs} s"
            )));
        }
        let config =
            PresigningConfig::expires_in(std::time::Duration::from_secs(secs.unsigned_abs()))
                .map_err(|e| PortError::Invalid(format!("{OP}: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(port_err(OP))?;
        Ok(request.uri().to_owned())
    }
}
