//! The [`SmsGateway`] contract.

use crate::ports::SmsGateway;

use super::ns_phone;

/// A send to an SMS-capable number succeeds with a message id, and a
/// repeated idempotency key does not fail. Run against a gateway configured
/// to accept the namespace's numbers (no failure injection).
pub async fn sms_gateway(sms: &dyn SmsGateway, namespace: &str) {
    let to = ns_phone(namespace, 11);
    let key = format!("{namespace}-sms-1");
    let first = match sms.send(&to, "Thank you for your support", &key).await {
        Ok(r) => r,
        Err(e) => panic!("a send to a capable number must succeed, got {e}"),
    };
    assert!(
        !first.message_id.is_empty(),
        "a receipt must carry a message id"
    );
    match sms.send(&to, "Thank you for your support", &key).await {
        Ok(r) => assert!(
            !r.message_id.is_empty(),
            "a repeated send must carry a message id"
        ),
        Err(e) => panic!("a repeated idempotency key must not fail, got {e}"),
    }
    let other_key = format!("{namespace}-sms-2");
    match sms.send(&to, "A second message", &other_key).await {
        Ok(r) => assert_ne!(
            r.message_id, first.message_id,
            "a different idempotency key is a different message"
        ),
        Err(e) => panic!("a second message must succeed, got {e}"),
    }
}
