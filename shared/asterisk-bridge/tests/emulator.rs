//! The SQS glue against the local AWS emulator (moto): a command sent to
//! the originate queue is received, dialled through the ARI double and
//! deleted; an unreadable one is left for the dead-letter queue. Fails when
//! `AWS_ENDPOINT_URL` is unset, unless `SKIP_EMULATOR_TESTS=1`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use asterisk_bridge::ari::{AriClient, AriEndpoint};
use asterisk_bridge::media::PlainMedia;
use asterisk_bridge::stream::{self, Backoff};
use asterisk_bridge::{Bridge, BridgeSettings, channel_id_for, queue};
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use campaign_aws::AwsConfig;
use campaign_core::clock::SystemClock;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::messages::{CallPurpose, MESSAGE_VERSION, Message, OriginateCommand};
use campaign_core::phone::PhoneNumber;
use campaign_embedded::bus::MemoryBus;
use campaign_embedded::counters::MemoryCounters;
use support::double::{AriDouble, PASSWORD, USER};
use support::stores::{seeded_store, stores};
use tokio::sync::watch;

#[tokio::test]
async fn a_queued_command_is_dialled_and_deleted_and_a_bad_one_is_left() {
    if campaign_aws::config::emulator_endpoint(
        "a_queued_command_is_dialled_and_deleted_and_a_bad_one_is_left",
    )
    .is_none()
    {
        return;
    }
    let clients = AwsConfig::default().clients().await;
    let name = format!("originate-{}", chrono::Utc::now().timestamp_millis());
    let url = clients
        .sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("url");

    let ari = AriDouble::start("voice-campaign").await;
    let bridge = Bridge::new(
        BridgeSettings::default(),
        AriClient::new(AriEndpoint {
            base_url: ari.url.clone(),
            username: USER.into(),
            password: PASSWORD.into(),
        }),
        Arc::new(MemoryBus::new()),
        Arc::new(MemoryCounters::new()),
        Arc::new(SystemClock),
        Arc::new(PlainMedia),
        stores(&seeded_store("camp-sqs", &["k-sqs"]).await),
    );
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(stream::run(
        bridge.clone(),
        Backoff::default(),
        stop.clone(),
    ));
    assert!(bridge.wait_connected(Duration::from_secs(5)).await);

    let contact = ContactId::new("k-sqs");
    let command = OriginateCommand {
        version: MESSAGE_VERSION,
        call_id: CallId::for_attempt(&contact, 1),
        campaign_id: CampaignId::new("camp-sqs"),
        contact_id: contact,
        phone_number: PhoneNumber::from_e164("+972501234567").unwrap(),
        purpose: CallPurpose::Campaign,
        caller_id: None,
        ring_timeout_secs: 30,
        audio: Some("sound:hello".into()),
        ivr: None,
        not_after: None,
    };
    let attr = |v: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(v)
            .build()
            .unwrap()
    };
    clients
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body(command.encode())
        .message_attributes(queue::COMMAND_ATTRIBUTE, attr("originate"))
        .send()
        .await
        .expect("send");
    clients
        .sqs
        .send_message()
        .queue_url(&url)
        .message_body("{not json")
        .message_attributes(queue::COMMAND_ATTRIBUTE, attr("originate"))
        .send()
        .await
        .expect("send");

    let poller = tokio::spawn(queue::run(
        bridge.clone(),
        clients.sqs.clone(),
        url.clone(),
        stop,
    ));
    ari.wait_originated(&channel_id_for(&command.call_id)).await;
    // Give the poller a moment to settle both messages.
    let mut left = (0, 0);
    for _ in 0..50 {
        let attrs = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("attributes");
        let get = |n: QueueAttributeName| {
            attrs
                .attributes()
                .and_then(|a| a.get(&n))
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        };
        left = (
            get(QueueAttributeName::ApproximateNumberOfMessages),
            get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        );
        if left == (0, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        left,
        (0, 1),
        "the good command deleted, the bad one in flight for the DLQ"
    );
    assert_eq!(ari.violations(), Vec::<String>::new());
    let _ = stop_tx.send(true);
    let _ = poller.await;
    let _ = clients.sqs.delete_queue().queue_url(&url).send().await;
}
