//! [`ConnectTelephony`]: places a call with `StartOutboundVoiceContact`.
//!
//! Request: the instance, the contact flow, the destination (E.164), the
//! source number or queue, `ClientToken` = the call attempt id (Connect
//! returns the first contact for a repeated token for 7 days, so a repeat
//! never dials twice), `RingTimeoutInSeconds` (Connect accepts 15–60), and
//! the attributes the flow and the hooks read: `call_id`, `campaign_id`,
//! `contact_id`, `purpose`, and `audio` when there is one. With
//! answering-machine detection on, the traffic type is `CAMPAIGN` (Connect
//! refuses AMD otherwise) and the Connect campaign id is passed.
//!
//! Errors → the port's errors (and, through the dial use case, outcomes):
//!
//! | Connect error | port error | what happens |
//! |---|---|---|
//! | `ThrottlingException`, `TooManyRequestsException`, `LimitExceededException` (concurrent calls quota) | `Throttled` | the dial task waits and is retried |
//! | `InternalServiceException`, 5xx, time-outs, `ResourceNotFoundException` (instance / flow misconfigured) | `Unavailable` | retried later; no attempt is used up |
//! | `DestinationNotAllowedException`, `OutboundContactNotPermittedException`, `InvalidParameterException`, `InvalidRequestException` | `Rejected` | the attempt ends `failed` |

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_connect::Client;
use aws_sdk_connect::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_connect::operation::start_outbound_voice_contact::StartOutboundVoiceContactError;
use aws_sdk_connect::types::{AnswerMachineDetectionConfig, TrafficType};
use campaign_core::ids::CallId;
use campaign_core::messages::{CallPurpose, OriginateCommand};
use campaign_core::ports::{OriginateAck, Telephony, TelephonyError};

use crate::config::ConnectConfig;
use crate::pacing::{Pacer, SharedRate};

/// Connect's bounds for `RingTimeoutInSeconds`.
pub const RING_TIMEOUT_RANGE: (u32, u32) = (15, 60);

/// Contacts placed by this process, kept for duplicates and hang-ups.
const REMEMBERED: usize = 10_000;

pub struct ConnectTelephony {
    client: Client,
    config: ConnectConfig,
    pacer: Pacer,
    shared: Option<SharedRate>,
    placed: Mutex<HashMap<CallId, String>>,
}

impl std::fmt::Debug for ConnectTelephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectTelephony")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Maps a `StartOutboundVoiceContact` failure to the port's error.
pub fn classify<R>(err: &SdkError<StartOutboundVoiceContactError, R>) -> TelephonyError
where
    R: std::fmt::Debug,
{
    let text = aws_sdk_connect::error::DisplayErrorContext(err).to_string();
    let service = match err {
        SdkError::ServiceError(e) => e.err(),
        // Dispatch failures, time-outs, unreadable responses: try again later.
        _ => return TelephonyError::Unavailable(text),
    };
    match service {
        StartOutboundVoiceContactError::LimitExceededException(_) => {
            TelephonyError::Throttled(text)
        }
        StartOutboundVoiceContactError::InternalServiceException(_)
        | StartOutboundVoiceContactError::ResourceNotFoundException(_) => {
            TelephonyError::Unavailable(text)
        }
        StartOutboundVoiceContactError::DestinationNotAllowedException(_)
        | StartOutboundVoiceContactError::OutboundContactNotPermittedException(_)
        | StartOutboundVoiceContactError::InvalidParameterException(_)
        | StartOutboundVoiceContactError::InvalidRequestException(_) => {
            TelephonyError::Rejected(text)
        }
        other => match other.code() {
            Some("ThrottlingException" | "TooManyRequestsException" | "Throttling") => {
                TelephonyError::Throttled(text)
            }
            Some("AccessDeniedException" | "ValidationException") => TelephonyError::Rejected(text),
            _ => TelephonyError::Unavailable(text),
        },
    }
}

impl ConnectTelephony {
    pub fn new(client: Client, config: ConnectConfig) -> Self {
        Self {
            pacer: Pacer::per_second(config.requests_per_second),
            client,
            config,
            shared: None,
            placed: Mutex::new(HashMap::new()),
        }
    }

    /// Adds the fleet-wide rate limit (scope `connect-api/<instance>`),
    /// waiting up to `max_wait` for a free second.
    pub fn with_shared_rate(
        mut self,
        counters: Arc<dyn campaign_core::ports::Counters>,
        clock: Arc<dyn campaign_core::clock::Clock>,
        max_wait: std::time::Duration,
    ) -> Self {
        self.shared = Some(SharedRate {
            counters,
            clock,
            scope: format!("connect-api/{}", self.config.instance_id),
            rate: self.config.requests_per_second,
            max_wait,
        });
        self
    }

    pub fn config(&self) -> &ConnectConfig {
        &self.config
    }

    fn remembered(&self, call: &CallId) -> Option<String> {
        self.placed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call)
            .cloned()
    }

    fn remember(&self, call: &CallId, contact: &str) {
        let mut placed = self.placed.lock().unwrap_or_else(|p| p.into_inner());
        if placed.len() >= REMEMBERED {
            placed.clear();
        }
        placed.insert(call.clone(), contact.to_owned());
    }
}

#[async_trait]
impl Telephony for ConnectTelephony {
    async fn originate(&self, command: &OriginateCommand) -> Result<OriginateAck, TelephonyError> {
        if let Some(contact) = self.remembered(&command.call_id) {
            return Ok(OriginateAck {
                carrier_call_id: contact,
                duplicate: true,
            });
        }
        if let Some(shared) = &self.shared {
            match shared.take().await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(TelephonyError::Throttled(
                        "Connect request rate reached".into(),
                    ));
                }
                Err(e) => return Err(TelephonyError::Unavailable(format!("rate counter: {e}"))),
            }
        }
        self.pacer.wait().await;

        let c = &self.config;
        let (lo, hi) = RING_TIMEOUT_RANGE;
        let purpose = match command.purpose {
            CallPurpose::Campaign => "campaign",
            CallPurpose::TtsFallback => "tts_fallback",
        };
        let mut request = self
            .client
            .start_outbound_voice_contact()
            .instance_id(&c.instance_id)
            .contact_flow_id(&c.contact_flow_id)
            .destination_phone_number(command.phone_number.as_str())
            .client_token(command.call_id.as_str())
            .ring_timeout_in_seconds(command.ring_timeout_secs.clamp(lo, hi) as i32)
            .attributes("call_id", command.call_id.as_str())
            .attributes("campaign_id", command.campaign_id.as_str())
            .attributes("contact_id", command.contact_id.as_str())
            .attributes("purpose", purpose)
            .set_source_phone_number(c.source_phone_number.clone())
            .set_queue_id(c.queue_id.clone());
        if let Some(audio) = &command.audio {
            request = request.attributes("audio", audio);
        }
        if c.answering_machine_detection {
            request = request
                .traffic_type(TrafficType::Campaign)
                .set_campaign_id(c.connect_campaign_id.clone())
                .answer_machine_detection_config(
                    AnswerMachineDetectionConfig::builder()
                        .enable_answer_machine_detection(true)
                        .await_answer_machine_prompt(true)
                        .build(),
                );
        } else {
            request = request.traffic_type(TrafficType::General);
        }
        match request.send().await {
            Ok(out) => {
                let contact = out.contact_id().unwrap_or_default().to_owned();
                self.remember(&command.call_id, &contact);
                tracing::info!(call_id = %command.call_id, contact_id = contact, "Connect contact started");
                Ok(OriginateAck {
                    carrier_call_id: contact,
                    duplicate: false,
                })
            }
            Err(e) => {
                let mapped = classify(&e);
                tracing::warn!(call_id = %command.call_id, error = %mapped, "StartOutboundVoiceContact failed");
                Err(mapped)
            }
        }
    }

    /// Stops the contact this process started for `call_id`. A call this
    /// process did not place cannot be found (Connect needs its contact
    /// id): that is refused, not ignored.
    async fn hang_up(&self, call_id: &CallId) -> Result<(), TelephonyError> {
        let Some(contact) = self.remembered(call_id) else {
            return Err(TelephonyError::Rejected(format!(
                "no Connect contact known for call {call_id}"
            )));
        };
        match self
            .client
            .stop_contact()
            .instance_id(&self.config.instance_id)
            .contact_id(&contact)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error().and_then(|s| s.code()) {
                // Already over: not an error.
                Some("ContactNotFoundException" | "ResourceNotFoundException") => Ok(()),
                Some("ThrottlingException" | "LimitExceededException") => {
                    Err(TelephonyError::Throttled(
                        aws_sdk_connect::error::DisplayErrorContext(&e).to_string(),
                    ))
                }
                _ => Err(TelephonyError::Unavailable(
                    aws_sdk_connect::error::DisplayErrorContext(&e).to_string(),
                )),
            },
        }
    }
}
