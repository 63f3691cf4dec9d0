//! The Connect adapter against a mocked Connect (`aws-smithy-mocks`:
//! Connect is not in the emulator): the request's shape, idempotency,
//! pacing, throttling and the error mapping.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_connect::error::ErrorMetadata;
use aws_sdk_connect::operation::start_outbound_voice_contact::{
    StartOutboundVoiceContactError, StartOutboundVoiceContactInput, StartOutboundVoiceContactOutput,
};
use aws_sdk_connect::operation::stop_contact::StopContactOutput;
use aws_sdk_connect::types::TrafficType;
use aws_sdk_connect::types::error::{
    DestinationNotAllowedException, InternalServiceException, InvalidParameterException,
    LimitExceededException, OutboundContactNotPermittedException, ResourceNotFoundException,
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use campaign_connect::{ConnectConfig, ConnectTelephony};
use campaign_core::clock::ManualClock;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::ivr::IvrFlow;
use campaign_core::messages::{CallPurpose, MESSAGE_VERSION, OriginateCommand};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{Telephony, TelephonyError};
use campaign_embedded::counters::MemoryCounters;

fn client(rules: &[&Rule]) -> aws_sdk_connect::Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    aws_sdk_connect::Client::from_conf(
        aws_sdk_connect::Config::builder()
            .behavior_version(aws_sdk_connect::config::BehaviorVersion::latest())
            .region(aws_sdk_connect::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_connect::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .retry_config(aws_sdk_connect::config::retry::RetryConfig::disabled())
            .interceptor(interceptor)
            .build(),
    )
}

fn config() -> ConnectConfig {
    ConnectConfig {
        instance_id: "inst-1".into(),
        contact_flow_id: "flow-1".into(),
        source_phone_number: Some("+97235551234".into()),
        queue_id: None,
        requests_per_second: 50,
        answering_machine_detection: false,
        connect_campaign_id: None,
    }
}

fn command(contact: &str) -> OriginateCommand {
    let contact_id = ContactId::new(contact);
    OriginateCommand {
        version: MESSAGE_VERSION,
        call_id: CallId::for_attempt(&contact_id, 2),
        campaign_id: CampaignId::new("camp-1"),
        contact_id,
        phone_number: PhoneNumber::from_e164("+972501234567").expect("e164"),
        purpose: CallPurpose::Campaign,
        caller_id: None,
        ring_timeout_secs: 90,
        audio: Some("https://cdn.example.org/message.wav".into()),
        ivr: Some(IvrFlow::standard("https://cdn.example.org/message.wav")),
        not_after: None,
    }
}

fn started(id: &'static str) -> impl Fn() -> StartOutboundVoiceContactOutput + Send + Sync {
    move || {
        StartOutboundVoiceContactOutput::builder()
            .contact_id(id)
            .build()
    }
}

#[tokio::test]
async fn given_a_call_then_the_request_carries_flow_caller_token_timeout_and_ids() {
    let seen: Arc<Mutex<Option<StartOutboundVoiceContactInput>>> = Arc::default();
    let capture = seen.clone();
    let rule = mock!(aws_sdk_connect::Client::start_outbound_voice_contact)
        .match_requests(move |req| {
            *capture.lock().unwrap() = Some(req.clone());
            true
        })
        .then_output(started("contact-1"));
    let connect = ConnectTelephony::new(client(&[&rule]), config());
    let ack = connect.originate(&command("k-1")).await.expect("placed");
    assert_eq!(ack.carrier_call_id, "contact-1");
    assert!(!ack.duplicate);

    let req = seen.lock().unwrap().clone().expect("a request");
    assert_eq!(req.instance_id(), Some("inst-1"));
    assert_eq!(req.contact_flow_id(), Some("flow-1"));
    assert_eq!(req.destination_phone_number(), Some("+972501234567"));
    assert_eq!(req.source_phone_number(), Some("+97235551234"));
    assert_eq!(
        req.client_token(),
        Some("k-1-a2"),
        "ClientToken = call attempt id"
    );
    assert_eq!(
        req.ring_timeout_in_seconds(),
        Some(60),
        "clamped to Connect's 60 s"
    );
    assert_eq!(req.traffic_type(), Some(&TrafficType::General));
    assert!(req.answer_machine_detection_config().is_none());
    let attrs = req.attributes().expect("attributes");
    assert_eq!(attrs["call_id"], "k-1-a2");
    assert_eq!(attrs["campaign_id"], "camp-1");
    assert_eq!(attrs["contact_id"], "k-1");
    assert_eq!(attrs["purpose"], "campaign");
    assert_eq!(attrs["audio"], "https://cdn.example.org/message.wav");
}

#[tokio::test]
async fn given_amd_then_the_traffic_type_is_campaign_with_detection_on() {
    let rule = mock!(aws_sdk_connect::Client::start_outbound_voice_contact)
        .match_requests(|req| {
            req.traffic_type() == Some(&TrafficType::Campaign)
                && req.campaign_id() == Some("connect-campaign-1")
                && req
                    .answer_machine_detection_config()
                    .is_some_and(|a| a.enable_answer_machine_detection())
        })
        .then_output(started("contact-2"));
    let connect = ConnectTelephony::new(
        client(&[&rule]),
        ConnectConfig {
            answering_machine_detection: true,
            connect_campaign_id: Some("connect-campaign-1".into()),
            ..config()
        },
    );
    connect.originate(&command("k-2")).await.expect("placed");
    assert_eq!(rule.num_calls(), 1, "the request had the AMD shape");
}

#[tokio::test]
async fn given_a_repeated_command_then_connect_is_asked_once() {
    let rule = mock!(aws_sdk_connect::Client::start_outbound_voice_contact)
        .then_output(started("contact-3"));
    let connect = ConnectTelephony::new(client(&[&rule]), config());
    let first = connect.originate(&command("k-3")).await.unwrap();
    let again = connect.originate(&command("k-3")).await.unwrap();
    assert!(again.duplicate && !first.duplicate);
    assert_eq!(again.carrier_call_id, "contact-3");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn connect_errors_map_to_the_ports_errors() {
    type Make = fn() -> StartOutboundVoiceContactError;
    type Expect = fn(&TelephonyError) -> bool;
    let cases: Vec<(&str, Make, Expect)> = vec![
        (
            "throttling",
            || {
                StartOutboundVoiceContactError::generic(
                    ErrorMetadata::builder()
                        .code("ThrottlingException")
                        .message("Rate exceeded")
                        .build(),
                )
            },
            |e| matches!(e, TelephonyError::Throttled(_)),
        ),
        (
            "limit exceeded",
            || {
                StartOutboundVoiceContactError::LimitExceededException(
                    LimitExceededException::builder()
                        .message("too many calls")
                        .build(),
                )
            },
            |e| matches!(e, TelephonyError::Throttled(_)),
        ),
        (
            "destination not allowed",
            || {
                StartOutboundVoiceContactError::DestinationNotAllowedException(
                    DestinationNotAllowedException::builder()
                        .message("no")
                        .build(),
                )
            },
            |e| matches!(e, TelephonyError::Rejected(_)),
        ),
        (
            "outbound not permitted",
            || {
                StartOutboundVoiceContactError::OutboundContactNotPermittedException(
                    OutboundContactNotPermittedException::builder()
                        .message("no")
                        .build(),
                )
            },
            |e| matches!(e, TelephonyError::Rejected(_)),
        ),
        (
            "invalid parameter",
            || {
                StartOutboundVoiceContactError::InvalidParameterException(
                    InvalidParameterException::builder().message("bad").build(),
                )
            },
            |e| matches!(e, TelephonyError::Rejected(_)),
        ),
        (
            "internal",
            || {
                StartOutboundVoiceContactError::InternalServiceException(
                    InternalServiceException::builder().message("oops").build(),
                )
            },
            |e| matches!(e, TelephonyError::Unavailable(_)),
        ),
        (
            "flow missing",
            || {
                StartOutboundVoiceContactError::ResourceNotFoundException(
                    ResourceNotFoundException::builder().message("flow").build(),
                )
            },
            |e| matches!(e, TelephonyError::Unavailable(_)),
        ),
    ];
    for (name, make, expected) in cases {
        let rule = mock!(aws_sdk_connect::Client::start_outbound_voice_contact).then_error(make);
        let connect = ConnectTelephony::new(client(&[&rule]), config());
        let err = connect
            .originate(&command(&format!("k-{name}").replace(' ', "-")))
            .await
            .expect_err(name);
        assert!(expected(&err), "{name}: got {err:?}");
    }
}

#[tokio::test]
async fn the_shared_rate_holds_across_instances_and_a_full_second_is_throttled() {
    let rule = mock!(aws_sdk_connect::Client::start_outbound_voice_contact)
        .then_output(started("contact-x"));
    let counters = Arc::new(MemoryCounters::new());
    // Time stands still: the one-second bucket never turns over.
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-03-02T08:00:00.250Z")
            .unwrap()
            .to_utc(),
    ));
    // Two "Lambda instances" sharing one limit of 2 requests a second.
    let make = || {
        ConnectTelephony::new(
            client(&[&rule]),
            ConnectConfig {
                requests_per_second: 2,
                ..config()
            },
        )
        .with_shared_rate(counters.clone(), clock.clone(), Duration::from_millis(300))
    };
    let (a, b) = (make(), make());
    a.originate(&command("a-1"))
        .await
        .expect("first of the second");
    b.originate(&command("b-1"))
        .await
        .expect("second of the second");
    assert!(matches!(
        a.originate(&command("a-2")).await,
        Err(TelephonyError::Throttled(_))
    ));
    assert!(matches!(
        b.originate(&command("b-2")).await,
        Err(TelephonyError::Throttled(_))
    ));
    assert_eq!(rule.num_calls(), 2, "Connect saw only what the rate allows");

    // The next second has room again.
    clock.advance(chrono::Duration::seconds(1));
    a.originate(&command("a-2")).await.expect("next second");
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn a_hang_up_stops_the_contact_this_process_started() {
    let start = mock!(aws_sdk_connect::Client::start_outbound_voice_contact)
        .then_output(started("contact-9"));
    let stop = mock!(aws_sdk_connect::Client::stop_contact)
        .match_requests(|req| {
            req.contact_id() == Some("contact-9") && req.instance_id() == Some("inst-1")
        })
        .then_output(|| StopContactOutput::builder().build());
    let connect = ConnectTelephony::new(client(&[&start, &stop]), config());
    let cmd = command("k-9");
    connect.originate(&cmd).await.unwrap();
    connect.hang_up(&cmd.call_id).await.expect("stopped");
    assert_eq!(stop.num_calls(), 1);
    assert!(matches!(
        connect.hang_up(&CallId::new("unknown")).await,
        Err(TelephonyError::Rejected(_))
    ));
}
