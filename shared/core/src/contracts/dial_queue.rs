//! The [`DialQueue`] / [`DialQueueConsumer`] contract.

use std::collections::{BTreeSet, HashSet};

use chrono::Duration;

use crate::ids::{CallId, CampaignId, ContactId};
use crate::messages::{DialTask, MESSAGE_VERSION};
use crate::ports::{DialQueue, DialQueueConsumer, Received};

use super::{Timeline, base_time, ns_phone, ok};

/// Sends 25 tasks and checks batched receipt, acks, redelivery after the
/// visibility timeout with a growing receive count, `retry_later` delays
/// and depth. Needs an empty queue; `time` supplies `now` and lets time pass
/// (virtual for embedded queues, real for SQS: the suite then waits about
/// five seconds).
pub async fn dial_queue(
    queue: &dyn DialQueue,
    consumer: &dyn DialQueueConsumer,
    time: &dyn Timeline,
    namespace: &str,
) {
    let visibility = Duration::seconds(2);
    let delay = Duration::seconds(4);
    let camp = CampaignId::new(format!("{namespace}-q"));
    assert_eq!(
        ok("depth of empty queue", queue.depth().await),
        0,
        "the suite needs an empty queue"
    );
    let tasks: Vec<DialTask> = (0..25u32)
        .map(|i| {
            let contact = ContactId::new(format!("{namespace}-qc{i:02}"));
            DialTask {
                version: MESSAGE_VERSION,
                campaign_id: camp.clone(),
                call_id: CallId::for_attempt(&contact, 1),
                contact_id: contact,
                attempt: 1,
                phone_number: ns_phone(namespace, i),
                queued_at: base_time(),
                settings: None,
            }
        })
        .collect();
    ok("send 25 tasks", queue.send(&tasks).await);
    assert_eq!(
        ok("depth after send", queue.depth().await),
        25,
        "depth must count every message sent"
    );

    // Receive everything in batches of at most 10.
    let t = time.now();
    let mut batches: Vec<Vec<Received<DialTask>>> = Vec::new();
    for _ in 0..5 {
        let batch = ok("receive", consumer.receive(10, t, visibility).await);
        assert!(
            batch.len() <= 10,
            "receive must return at most `max` messages"
        );
        if batch.is_empty() {
            break;
        }
        batches.push(batch);
    }
    let received: Vec<&Received<DialTask>> = batches.iter().flatten().collect();
    assert_eq!(
        received.len(),
        25,
        "every message must be received once while none is settled"
    );
    let ids: BTreeSet<&CallId> = received.iter().map(|r| &r.message.call_id).collect();
    let sent: BTreeSet<&CallId> = tasks.iter().map(|t| &t.call_id).collect();
    assert_eq!(
        ids, sent,
        "the messages received must be the tasks sent, each once"
    );
    for r in &received {
        let original = tasks.iter().find(|t| t.call_id == r.message.call_id);
        assert_eq!(
            original,
            Some(&r.message),
            "a message must arrive unchanged"
        );
        assert_eq!(r.receive_count, 1, "a first delivery has receive_count 1");
    }
    let receipts: HashSet<&str> = received.iter().map(|r| r.receipt.as_str()).collect();
    assert_eq!(
        receipts.len(),
        25,
        "every delivery must have its own receipt"
    );
    assert!(
        ok(
            "receive while all in flight",
            consumer.receive(10, t, visibility).await
        )
        .is_empty(),
        "messages in flight must not be received again before their visibility ends"
    );

    // Settle: ack 15, leave 8 un-acked, retry 2 later.
    let (acked, rest) = received.split_at(15);
    let (retried, abandoned) = rest.split_at(2);
    for r in acked {
        ok("ack", consumer.ack(&r.receipt).await);
    }
    ok("ack twice", consumer.ack(&acked[0].receipt).await);
    for r in retried {
        ok(
            "retry_later",
            consumer.retry_later(&r.receipt, t, delay).await,
        );
    }
    assert_eq!(
        ok("depth after acks", queue.depth().await),
        10,
        "acked messages leave the queue"
    );

    // After the visibility timeout the un-acked ones come back (not the delayed ones).
    time.wait(visibility + Duration::seconds(1)).await;
    let t1 = time.now();
    let again = ok(
        "receive after visibility",
        consumer.receive(10, t1, visibility).await,
    );
    let again_ids: BTreeSet<&CallId> = again.iter().map(|r| &r.message.call_id).collect();
    let abandoned_ids: BTreeSet<&CallId> = abandoned.iter().map(|r| &r.message.call_id).collect();
    assert_eq!(
        again_ids, abandoned_ids,
        "exactly the un-acked messages must reappear after their visibility timeout \
         (messages retried later stay hidden for their delay)"
    );
    for r in &again {
        assert_eq!(r.receive_count, 2, "a redelivery must count 2 receives");
        assert!(
            !receipts.contains(r.receipt.as_str()),
            "a redelivery must carry a new receipt"
        );
        ok("ack redelivered", consumer.ack(&r.receipt).await);
    }

    // After the delay, the retried ones come back.
    time.wait(delay - visibility).await;
    let t2 = time.now();
    let late = ok(
        "receive after delay",
        consumer.receive(10, t2, visibility).await,
    );
    let late_ids: BTreeSet<&CallId> = late.iter().map(|r| &r.message.call_id).collect();
    let retried_ids: BTreeSet<&CallId> = retried.iter().map(|r| &r.message.call_id).collect();
    assert_eq!(
        late_ids, retried_ids,
        "messages retried later must reappear after their delay"
    );
    for r in &late {
        assert_eq!(
            r.receive_count, 2,
            "a retried message's next delivery counts 2 receives"
        );
        ok("ack retried", consumer.ack(&r.receipt).await);
    }
    assert_eq!(
        ok("final depth", queue.depth().await),
        0,
        "every message was acked"
    );
    assert!(
        ok(
            "receive from empty queue",
            consumer.receive(10, t2, visibility).await
        )
        .is_empty(),
        "an empty queue delivers nothing"
    );
}
