//! The API on the embedded runtime (`Local`, virtual time), with helpers to
//! send requests and drive the pipeline.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use campaign_api::auth::{Authenticator, DevJwt, Role};
use campaign_api::routes::v1::token_secret_string;
use campaign_api::{ApiConfig, ApiState};
use campaign_core::clock::Clock;
use campaign_core::phone::PhoneParser;
use campaign_embedded::providers::{MapSecrets, MemoryObjects};
use campaign_embedded::runtime::{Local, LocalConfig};
use campaign_embedded::testing::monday_morning;
use campaign_embedded::uploads::LocalUploads;
use campaign_embedded::workflows::LocalWorkflows;

pub const V1_TOKEN: &str = "test-call-manager-token-0123456789";

pub struct Harness {
    pub local: Arc<Local>,
    pub state: Arc<ApiState>,
    pub app: Router,
    pub jwt: DevJwt,
    pub workflows: Arc<LocalWorkflows>,
    pub files: Arc<MemoryObjects>,
    pub uploads: Arc<LocalUploads>,
    /// The v1 token lives here (`call-manager-token`); tests rotate it.
    pub secrets: Arc<MapSecrets>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::with_config(ApiConfig::default())
    }

    pub fn with_config(config: ApiConfig) -> Self {
        let reports = Arc::new(MemoryObjects::new());
        let local = Arc::new(Local::with_objects(
            LocalConfig {
                dispatch_interval_secs: 5,
                ..LocalConfig::default()
            },
            monday_morning(),
            reports.clone(),
        ));
        let clock: Arc<dyn Clock> = local.clock.clone();
        let files = Arc::new(MemoryObjects::new());
        let uploads = Arc::new(LocalUploads::new(
            files.clone(),
            "http://test/local-uploads",
            [3; 32],
            clock.clone(),
        ));
        let report_index = Arc::new(LocalUploads::new(
            reports,
            "http://test/local-reports",
            [4; 32],
            clock.clone(),
        ));
        let workflows = Arc::new(LocalWorkflows::new());
        let secrets = Arc::new(MapSecrets::new([(
            "call-manager-token",
            token_secret_string(V1_TOKEN),
        )]));
        let key = vec![5u8; 32];
        let state = Arc::new(ApiState {
            campaigns: local.store.clone(),
            contacts: local.store.clone(),
            blacklist: local.store.clone(),
            calls: local.store.clone(),
            counters: local.counters.clone(),
            audit: local.store.clone(),
            queue: local.queue.clone(),
            reports: local.objects.clone(),
            uploads: files.clone(),
            upload_links: uploads.clone(),
            audio: uploads.clone(),
            audio_files: uploads.clone(),
            report_index,
            workflows: workflows.clone(),
            secrets: secrets.clone(),
            ids: local.ids.clone(),
            clock,
            auth: Authenticator::Dev(Arc::new(DevJwt::new(key.clone()))),
            config: ApiConfig {
                call_manager_token_secret: "call-manager-token".into(),
                ..config
            },
            parser: PhoneParser::default(),
        });
        let app = campaign_api::router(state.clone());
        Self {
            local,
            state,
            app,
            jwt: DevJwt::new(key),
            workflows,
            files,
            uploads,
            secrets,
        }
    }

    pub fn token(&self, role: Role) -> String {
        self.jwt.issue(role, self.local.now(), Duration::hours(1))
    }

    pub fn admin(&self) -> String {
        self.token(Role::Administrator)
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let streaming = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let bytes = if streaming {
            // An event stream never ends: its first frame only.
            let mut body = response.into_body();
            match tokio::time::timeout(std::time::Duration::from_secs(5), body.frame()).await {
                Ok(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
                _ => Bytes::new(),
            }
        } else {
            response
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default()
        };
        Reply {
            status,
            headers,
            bytes,
        }
    }

    /// A request with an optional bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET))
            .uri(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap_or_default()).await
    }

    pub async fn as_admin(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let t = self.admin();
        self.call(method, path, Some(&t), body).await
    }

    /// A raw body with a content type.
    pub async fn upload(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST))
            .uri(path)
            .header("content-type", content_type);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        self.send(b.body(Body::from(bytes)).unwrap_or_default())
            .await
    }

    /// A v1 call with the call-manager token.
    pub async fn v1(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Reply {
        let mut b = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST))
            .uri(path)
            .header("content-type", "application/json");
        if let Some(t) = token {
            b = b.header("x-auth-token", t);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap_or_default())
            .await
    }

    /// A valid create body (voice, all day, 10 cps, 20 at once).
    pub fn campaign_body(name: &str) -> Value {
        json!({
            "name": name,
            "kind": "voice",
            "settings": {
                "audio": "sound:test-message",
                "sms_template": "Thanks {{first_name}}: https://give.example.org/x",
                "schedule": {
                    "timezone": "Asia/Jerusalem",
                    "windows": [{"days": ["sun","mon","tue","wed","thu","fri","sat"], "start": "08:00", "end": "22:00"}]
                },
                "pace": {"calls_per_second": 10, "max_concurrent": 20}
            }
        })
    }

    /// Creates a draft campaign through the API; its id.
    pub async fn create_campaign(&self, name: &str) -> String {
        let r = self
            .as_admin("POST", "/api/campaigns", Some(Self::campaign_body(name)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_str().unwrap_or_default().to_owned()
    }

    /// Creates a campaign, uploads `csv` and starts it.
    pub async fn running_campaign(&self, csv: &str) -> String {
        let id = self.create_campaign("Running").await;
        let t = self.admin();
        let r = self
            .upload(
                "POST",
                &format!("/api/campaigns/{id}/contacts"),
                Some(&t),
                "text/csv",
                csv.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let r = self
            .as_admin("POST", &format!("/api/campaigns/{id}/start"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        id
    }

    /// Drives the pipeline in virtual time for `secs` seconds.
    pub async fn run_for(&self, secs: i64) {
        let end = self.local.now() + Duration::seconds(secs);
        loop {
            self.local.step().await.expect("pipeline step");
            let now = self.local.now();
            if now >= end {
                return;
            }
            let next = self
                .local
                .next_wakeup()
                .max(now + Duration::seconds(1))
                .min(end);
            self.local.clock.set(next);
        }
    }

    pub async fn audit_actions(&self, target: &str) -> Vec<String> {
        use campaign_core::ports::AuditLog;
        let log: &dyn AuditLog = &*self.local.store;
        log.for_target(target)
            .await
            .expect("audit")
            .into_iter()
            .map(|r| r.action)
            .collect()
    }
}

/// A contact file of `n` Israeli mobile numbers and one bad row.
pub fn contacts_csv(n: usize) -> String {
    let mut s = String::from("phone,first_name\n");
    for i in 0..n {
        s.push_str(&format!("0502{:06},Person{i}\n", 345_678 + i));
    }
    s.push_str("not-a-number,Broken\n");
    s
}
