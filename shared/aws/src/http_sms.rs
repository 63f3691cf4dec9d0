//! An HTTP SMS provider: the Twilio Messages API (or any service that speaks
//! it), for accounts where SNS SMS is not the right sender (a country's
//! sender-id rules, price, or an existing provider contract).
//!
//! The credentials live in Secrets Manager as one JSON secret
//! ([`HttpSmsCredentials`]) read through the `Secrets` port on every send, so
//! a rotated key is picked up when the secret cache's TTL runs out. The send
//! is `POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`,
//! form-encoded `To`, `From` (or `MessagingServiceSid`), `Body`, with HTTP
//! basic auth. Answers map to the port's errors:
//!
//! | provider answer | `SmsError` |
//! |---|---|
//! | 2xx with a `sid` | (receipt) |
//! | error code 21614 (not a mobile number), 21407 (not SMS capable) | `NotSmsCapable`: fall back to TTS |
//! | 429, 5xx, connection failure, time-out | `Unavailable` (retried with backoff, counted by the breaker) |
//! | any other 4xx | `Rejected` (no retry) |
//!
//! Repeated sends with the same idempotency key within the adapter's memory
//! return the first receipt (the follow-up ledger in the core is the durable
//! guard; this one covers a retry inside one invocation).

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{Secrets, SmsError, SmsGateway, SmsReceipt};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

use crate::resilience::{Resilience, ResilienceError};
use crate::sns::SentReceipts;

/// Provider error codes that mean "this number cannot take SMS".
const NOT_SMS_CAPABLE_CODES: [u64; 2] = [21614, 21407];

/// The secret's JSON.
#[derive(Clone, Deserialize)]
pub struct HttpSmsCredentials {
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number or alphanumeric sender id.
    #[serde(default)]
    pub from: Option<String>,
    /// A messaging service instead of `from`.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// `https://api.twilio.com` unless set (tests point it at a local double).
    #[serde(default)]
    pub base_url: Option<String>,
}

impl std::fmt::Debug for HttpSmsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("HttpSmsCredentials")
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ProviderAnswer {
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    code: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

pub struct HttpSms {
    client: HttpsClient,
    secrets: Arc<dyn Secrets>,
    secret_id: String,
    resilience: Arc<Resilience>,
    sent: SentReceipts,
}

impl std::fmt::Debug for HttpSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSms")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

impl HttpSms {
    /// `secret_id` names the Secrets Manager secret holding [`HttpSmsCredentials`].
    pub fn new(
        secrets: Arc<dyn Secrets>,
        secret_id: impl Into<String>,
        resilience: Arc<Resilience>,
    ) -> Result<Self, SmsError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|e| SmsError::Unavailable(format!("TLS roots: {e}")))?
            // http only for a local provider double; the credentials' base
            // URL decides, and the default is https.
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            secrets,
            secret_id: secret_id.into(),
            resilience,
            sent: SentReceipts::default(),
        })
    }

    async fn credentials(&self) -> Result<HttpSmsCredentials, SmsError> {
        let raw = self
            .secrets
            .get(&self.secret_id)
            .await
            .map_err(|e| SmsError::Unavailable(format!("SMS provider secret: {e}")))?;
        serde_json::from_str(&raw).map_err(|e| {
            SmsError::Rejected(format!(
                "SMS provider secret {} is not valid JSON credentials: {e}",
                self.secret_id
            ))
        })
    }

    async fn send_once(
        &self,
        creds: &HttpSmsCredentials,
        to: &PhoneNumber,
        text: &str,
    ) -> Result<SmsReceipt, SmsError> {
        let base = creds
            .base_url
            .as_deref()
            .unwrap_or("https://api.twilio.com")
            .trim_end_matches('/');
        let url = format!(
            "{base}/2010-04-01/Accounts/{}/Messages.json",
            creds.account_sid
        );
        let form = form_body(creds, to, text)?;
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", creds.account_sid, creds.auth_token));
        let request = hyper::Request::post(&url)
            .header("authorization", format!("Basic {auth}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from(form)))
            .map_err(|e| SmsError::Rejected(format!("SMS request: {e}")))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| SmsError::Unavailable(format!("SMS provider: {e}")))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| SmsError::Unavailable(format!("SMS provider body: {e}")))?
            .to_bytes();
        let answer: Option<ProviderAnswer> = serde_json::from_slice(&body).ok();
        classify_answer(status.as_u16(), answer)
    }
}

/// The form-encoded request body (built apart from the async send: the
/// serializer is not `Send`).
fn form_body(creds: &HttpSmsCredentials, to: &PhoneNumber, text: &str) -> Result<String, SmsError> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", to.as_str());
    match (&creds.messaging_service_sid, &creds.from) {
        (Some(service), _) => form.append_pair("MessagingServiceSid", service),
        (None, Some(from)) => form.append_pair("From", from),
        (None, None) => {
            return Err(SmsError::Rejected(
                "SMS provider secret has neither from nor messaging_service_sid".into(),
            ));
        }
    };
    form.append_pair("Body", text);
    Ok(form.finish())
}

fn classify_answer(status: u16, answer: Option<ProviderAnswer>) -> Result<SmsReceipt, SmsError> {
    let code = answer.as_ref().and_then(|a| a.code);
    let message = answer
        .as_ref()
        .and_then(|a| a.message.clone())
        .unwrap_or_default();
    match status {
        200..=299 => match answer.and_then(|a| a.sid).filter(|s| !s.is_empty()) {
            Some(sid) => Ok(SmsReceipt { message_id: sid }),
            None => Err(SmsError::Unavailable(
                "SMS provider accepted but returned no message sid".into(),
            )),
        },
        _ if code.is_some_and(|c| NOT_SMS_CAPABLE_CODES.contains(&c)) => {
            Err(SmsError::NotSmsCapable)
        }
        429 | 500..=599 => Err(SmsError::Unavailable(format!(
            "SMS provider answered {status}: {message}"
        ))),
        _ => Err(SmsError::Rejected(format!(
            "SMS provider answered {status} (code {}): {message}",
            code.map_or_else(|| "none".to_owned(), |c| c.to_string())
        ))),
    }
}

#[async_trait]
impl SmsGateway for HttpSms {
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<SmsReceipt, SmsError> {
        if let Some(receipt) = self.sent.get(idempotency_key) {
            return Ok(receipt);
        }
        let creds = self.credentials().await?;
        let receipt = self
            .resilience
            .call(|| self.send_once(&creds, to, text))
            .await
            .map_err(|e| match e {
                ResilienceError::Inner(e) => e,
                other => SmsError::Unavailable(other.to_string()),
            })?;
        self.sent.remember(idempotency_key, &receipt);
        Ok(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> Option<ProviderAnswer> {
        serde_json::from_str(json).ok()
    }

    #[test]
    fn provider_answers_map_to_the_ports_errors() {
        assert_eq!(
            classify_answer(201, answer(r#"{"sid":"SM1","status":"queued"}"#)),
            Ok(SmsReceipt {
                message_id: "SM1".into()
            })
        );
        assert_eq!(
            classify_answer(400, answer(r#"{"code":21614,"message":"not a mobile"}"#)),
            Err(SmsError::NotSmsCapable)
        );
        assert!(matches!(
            classify_answer(429, answer(r#"{"code":20429,"message":"too many"}"#)),
            Err(SmsError::Unavailable(_))
        ));
        assert!(matches!(
            classify_answer(503, None),
            Err(SmsError::Unavailable(_))
        ));
        assert!(matches!(
            classify_answer(400, answer(r#"{"code":21211,"message":"invalid To"}"#)),
            Err(SmsError::Rejected(m)) if m.contains("21211")
        ));
        assert!(matches!(
            classify_answer(200, answer("{}")),
            Err(SmsError::Unavailable(_))
        ));
    }
}
