//! [`Secrets`] from Secrets Manager (`GetSecretValue`, the string value),
//! cached in memory for a time-to-live measured on an injected [`Clock`],
//! so a warm Lambda does not call Secrets Manager on every invocation but
//! still sees a rotated secret within the TTL. Misses are not cached, except
//! a missing previous version (`AWSPREVIOUS`), so a flood of wrong tokens
//! does not turn into a flood of calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use campaign_core::clock::Clock;
use campaign_core::ports::{PortError, PortResult, SecretVersion, Secrets};
use chrono::{DateTime, Duration, Utc};

use crate::error::{AwsError, classify};

pub struct SecretsManagerSecrets {
    client: Client,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
    previous: Mutex<HashMap<String, Fetched<Option<String>>>>,
}

/// A value and when it was fetched.
type Fetched<T> = (T, DateTime<Utc>);

impl std::fmt::Debug for SecretsManagerSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("SecretsManagerSecrets")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl SecretsManagerSecrets {
    /// Values are kept for `ttl` (e.g. five minutes).
    pub fn new(client: Client, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            client,
            clock,
            ttl,
            cache: Mutex::new(HashMap::new()),
            previous: Mutex::new(HashMap::new()),
        }
    }

    /// The `AWSPREVIOUS` version, cached (its absence too) for the TTL.
    async fn previous(&self, name: &str) -> PortResult<Option<String>> {
        const OP: &str = "secrets.get_previous";
        let now = self.clock.now();
        if let Some((v, _)) = self
            .previous
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .filter(|(_, fetched)| now < *fetched + self.ttl)
        {
            return Ok(v.clone());
        }
        let value = match self
            .client
            .get_secret_value()
            .secret_id(name)
            .version_stage(SecretVersion::Previous.stage())
            .send()
            .await
        {
            Ok(out) => out.secret_string().map(str::to_owned),
            // No version carries the label: never rotated.
            Err(e) => match classify(OP, e) {
                AwsError::NotFound { .. } => None,
                other => return Err(other.into()),
            },
        };
        self.previous
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), (value.clone(), now));
        Ok(value)
    }

    fn cached(&self, name: &str, now: DateTime<Utc>) -> Option<String> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(name)
            .filter(|(_, fetched)| now < *fetched + self.ttl)
            .map(|(v, _)| v.clone())
    }
}

#[async_trait]
impl Secrets for SecretsManagerSecrets {
    async fn get(&self, name: &str) -> PortResult<String> {
        const OP: &str = "secrets.get";
        let now = self.clock.now();
        if let Some(v) = self.cached(name, now) {
            return Ok(v);
        }
        let out = self
            .client
            .get_secret_value()
            .secret_id(name)
            .send()
            .await
            .map_err(|e| match classify(OP, e) {
                AwsError::NotFound { .. } => PortError::NotFound(format!("secret {name}")),
                other => other.into(),
            })?;
        let value = out
            .secret_string()
            .ok_or_else(|| PortError::Invalid(format!("{OP}: secret {name} has no string value")))?
            .to_owned();
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), (value.clone(), now));
        Ok(value)
    }

    async fn get_version(&self, name: &str, version: SecretVersion) -> PortResult<Option<String>> {
        match version {
            SecretVersion::Current => self.get(name).await.map(Some),
            SecretVersion::Previous => self.previous(name).await,
        }
    }
}
