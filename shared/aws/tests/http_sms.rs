//! The HTTP SMS provider adapter against `FakeSmsProviderServer`, a local
//! stand-in for the provider's API (a boundary we cannot reach from here): it
//! records each request and answers from a script.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use campaign_aws::http_sms::HttpSms;
use campaign_aws::{CircuitBreaker, Resilience, RetryPolicy};
use campaign_core::clock::SystemClock;
use campaign_core::contracts;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{PortError, PortResult, Secrets, SmsError, SmsGateway};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    authorization: String,
    body: String,
}

/// Answers each request with the next scripted `(status, json)`, or 201 with
/// a fresh `sid` once the script is used up.
struct FakeSmsProviderServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeSmsProviderServer {
    async fn start(script: Vec<(u16, &'static str)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let log = seen.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while let Ok((mut socket, _)) = listener.accept().await {
                n += 1;
                let Some(seen) = read_request(&mut socket).await else {
                    continue;
                };
                log.lock().unwrap().push(seen);
                let (status, body) = script.lock().unwrap().pop_front().map_or_else(
                    || (201, format!(r#"{{"sid":"SM{n:04}","status":"queued"}}"#)),
                    |(s, b)| (s, b.to_owned()),
                );
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                return Some(Seen {
                    request_line: head.lines().next().unwrap_or_default().to_owned(),
                    authorization: header("authorization"),
                    body: text[end + 4..end + 4 + length].to_owned(),
                });
            }
        }
    }
}

/// The credentials as Secrets Manager would hold them.
struct OneSecret(String);

#[async_trait]
impl Secrets for OneSecret {
    async fn get(&self, name: &str) -> PortResult<String> {
        if name == "sms/provider" {
            Ok(self.0.clone())
        } else {
            Err(PortError::NotFound(name.to_owned()))
        }
    }
}

fn adapter(server: &FakeSmsProviderServer, breaker_after: u32) -> HttpSms {
    let secret = format!(
        r#"{{"account_sid":"AC123","auth_token":"s3cret","from":"+15005550006","base_url":"{}"}}"#,
        server.url
    );
    let clock = Arc::new(SystemClock);
    let resilience = Resilience::new(clock.clone())
        .with_timeout(std::time::Duration::from_secs(5))
        .with_retry(RetryPolicy {
            max_attempts: 3,
            base_delay: std::time::Duration::from_millis(5),
            max_delay: std::time::Duration::from_millis(20),
        })
        .with_breaker(CircuitBreaker::new(
            breaker_after,
            chrono::Duration::seconds(60),
            clock,
        ));
    HttpSms::new(
        Arc::new(OneSecret(secret)),
        "sms/provider",
        Arc::new(resilience),
    )
    .expect("adapter")
}

fn phone() -> PhoneNumber {
    PhoneNumber::from_e164("+972521234567").expect("valid")
}

#[tokio::test]
async fn passes_the_sms_gateway_contract_and_sends_a_repeat_once() {
    let server = FakeSmsProviderServer::start(vec![]).await;
    let sms = adapter(&server, 5);
    contracts::sms_gateway(&sms, "http-sms").await;
    // Three sends, one of them a repeated idempotency key: two requests.
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn the_request_is_the_providers_messages_call_with_basic_auth() {
    let server = FakeSmsProviderServer::start(vec![]).await;
    let receipt = adapter(&server, 5)
        .send(&phone(), "Thank you & see https://x.org/?a=1", "k-1")
        .await
        .expect("sent");
    assert_eq!(receipt.message_id, "SM0001");
    let seen = server.seen();
    assert_eq!(
        seen[0].request_line,
        "POST /2010-04-01/Accounts/AC123/Messages.json HTTP/1.1"
    );
    // base64("AC123:s3cret")
    assert_eq!(seen[0].authorization, "Basic QUMxMjM6czNjcmV0");
    let form: Vec<(String, String)> = form_urlencoded::parse(seen[0].body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        form,
        vec![
            ("To".into(), "+972521234567".into()),
            ("From".into(), "+15005550006".into()),
            ("Body".into(), "Thank you & see https://x.org/?a=1".into()),
        ]
    );
}

#[tokio::test]
async fn a_landline_answer_means_not_sms_capable_without_retry() {
    let server =
        FakeSmsProviderServer::start(vec![(400, r#"{"code":21614,"message":"not a mobile"}"#)])
            .await;
    let r = adapter(&server, 5).send(&phone(), "hi", "k-1").await;
    assert_eq!(r, Err(SmsError::NotSmsCapable));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_a_server_error_is() {
    let server =
        FakeSmsProviderServer::start(vec![(400, r#"{"code":21211,"message":"invalid To"}"#)]).await;
    let r = adapter(&server, 5).send(&phone(), "hi", "k-1").await;
    assert!(matches!(r, Err(SmsError::Rejected(m)) if m.contains("21211")));
    assert_eq!(server.seen().len(), 1);

    let server = FakeSmsProviderServer::start(vec![
        (503, r#"{"message":"down"}"#),
        (429, r#"{"code":20429,"message":"slow down"}"#),
    ])
    .await;
    let r = adapter(&server, 5).send(&phone(), "hi", "k-1").await;
    assert_eq!(r.expect("third attempt succeeds").message_id, "SM0003");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn an_open_breaker_stops_calling_the_provider() {
    let server = FakeSmsProviderServer::start(vec![(503, "{}"); 10]).await;
    let sms = adapter(&server, 2);
    let first = sms.send(&phone(), "hi", "k-1").await;
    assert!(matches!(first, Err(SmsError::Unavailable(_))));
    let calls = server.seen().len();
    assert_eq!(calls, 2, "the breaker opened after two failures");
    let second = sms.send(&phone(), "hi", "k-2").await;
    assert!(matches!(second, Err(SmsError::Unavailable(_))));
    assert_eq!(server.seen().len(), calls, "no request while open");
}

#[tokio::test]
async fn a_secret_that_is_not_credentials_is_a_clear_refusal() {
    let sms = HttpSms::new(
        Arc::new(OneSecret("not json".into())),
        "sms/provider",
        Arc::new(Resilience::new(Arc::new(SystemClock))),
    )
    .expect("adapter");
    let r = sms.send(&phone(), "hi", "k-1").await;
    assert!(matches!(r, Err(SmsError::Rejected(m)) if m.contains("sms/provider")));
}
