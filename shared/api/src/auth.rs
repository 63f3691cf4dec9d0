//! Who is calling and what they may do.
//!
//! Dashboard routes take a JWT. On AWS, API Gateway's JWT authorizer has
//! validated it (Cognito) before the function runs and hands the claims over
//! in the request context; the Lambda glue puts them in the request as
//! [`GatewayClaims`] and [`Authenticator::Gateway`] reads them. Locally,
//! `campaign serve` issues and checks its own HS256 development tokens
//! ([`DevJwt`]) with the same claims. Either way the role comes from the
//! `cognito:groups` claim ([`role_from_groups`]); the highest group wins.
//!
//! Roles: `administrator` (everything), `campaign-manager` (campaigns,
//! contacts, audio, adding to the blacklist; reading metrics and reports),
//! `analyst` (reading metrics and reports only). A route states the roles it
//! admits in its type ([`Allowed`]), so the check runs before the body is
//! read: a caller without the role gets 403 whatever it sent.
//!
//! The call-manager v1 API uses a shared token instead (`X-Auth-Token`),
//! compared in constant time ([`token_matches`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::ApiState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Analyst,
    CampaignManager,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Administrator, Role::CampaignManager, Role::Analyst];

    /// The group name in Cognito and in `--role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::CampaignManager => "campaign-manager",
            Role::Analyst => "analyst",
        }
    }

    /// The role of a Cognito group name, matched exactly: only the three
    /// names Terraform creates (infra/modules/auth). An alias such as `admin`
    /// or `Administrators` would make an administrator the MFA trigger does
    /// not know (it requires TOTP of the `administrator` group only).
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// This role's bit in an [`Allowed`] mask.
    pub const fn bit(self) -> u8 {
        match self {
            Role::Administrator => ADMIN,
            Role::CampaignManager => MANAGER,
            Role::Analyst => ANALYST,
        }
    }
}

/// Role bits for [`Allowed`].
pub const ADMIN: u8 = 1;
pub const MANAGER: u8 = 2;
pub const ANALYST: u8 = 4;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject (Cognito user id, or `dev-<role>` locally).
    pub subject: String,
    /// The name shown in the audit log (`username` / `email` claim, else the subject).
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.name, self.role.as_str())
    }
}

/// The highest role among a token's groups. Accepts the forms the groups
/// arrive in: a JSON array (a raw token), or one string such as
/// `[administrator analyst]` or `administrator,analyst` (API Gateway
/// flattens array claims to strings).
pub fn role_from_groups(value: &serde_json::Value) -> Option<Role> {
    let names: Vec<String> = match value {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        serde_json::Value::String(s) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split([' ', ',', '"'])
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    names.iter().filter_map(|n| Role::parse(n)).max()
}

/// Claims API Gateway's JWT authorizer passed on (a flat string map).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayClaims(pub HashMap<String, String>);

/// How dashboard requests are authenticated.
#[derive(Clone)]
pub enum Authenticator {
    /// Behind API Gateway: the claims it validated, in [`GatewayClaims`].
    Gateway,
    /// `campaign serve`: our own HS256 tokens in `Authorization: Bearer`.
    Dev(Arc<DevJwt>),
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authenticator::Gateway => f.write_str("Gateway"),
            Authenticator::Dev(_) => f.write_str("Dev(..)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("bad token signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("the token carries no known role (cognito:groups)")]
    NoRole,
}

/// The claims of a development token (the subset of Cognito's we use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevClaims {
    pub sub: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(rename = "cognito:groups")]
    pub groups: Vec<String>,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// HS256 JSON Web Tokens for local use. The key is 32 random bytes chosen by
/// `campaign serve` (or given in its environment); tokens it did not sign,
/// expired ones, and any algorithm but HS256 are refused.
pub struct DevJwt {
    key: Vec<u8>,
}

/// The issuer written into and required of development tokens.
pub const DEV_ISSUER: &str = "campaign-serve";

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

impl DevJwt {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// A token for `role`, valid for `ttl` from `now`.
    pub fn issue(&self, role: Role, now: DateTime<Utc>, ttl: Duration) -> String {
        let claims = DevClaims {
            sub: format!("dev-{}", role.as_str()),
            username: Some(format!("dev-{}", role.as_str())),
            groups: vec![role.as_str().to_owned()],
            iss: DEV_ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
        };
        let body = serde_json::to_vec(&claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(body)
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = mac.finalize().into_bytes();
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Checks signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Principal, AuthError> {
        let mut parts = token.trim().split('.');
        let (Some(h), Some(b), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let sig = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| AuthError::Malformed)?;
        let mut mac = self.mac();
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(b.as_bytes());
        // Constant-time comparison inside `verify_slice`.
        mac.verify_slice(&sig)
            .map_err(|_| AuthError::BadSignature)?;
        let header: serde_json::Value = URL_SAFE_NO_PAD
            .decode(h)
            .ok()
            .and_then(|v| serde_json::from_slice(&v).ok())
            .ok_or(AuthError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(AuthError::Malformed);
        }
        let claims: DevClaims = URL_SAFE_NO_PAD
            .decode(b)
            .ok()
            .and_then(|v| serde_json::from_slice(&v).ok())
            .ok_or(AuthError::Malformed)?;
        if claims.iss != DEV_ISSUER {
            return Err(AuthError::Malformed);
        }
        if now.timestamp() >= claims.exp {
            return Err(AuthError::Expired);
        }
        let role = role_from_groups(&serde_json::json!(claims.groups)).ok_or(AuthError::NoRole)?;
        Ok(Principal {
            name: claims
                .username
                .clone()
                .unwrap_or_else(|| claims.sub.clone()),
            subject: claims.sub,
            role,
        })
    }
}

/// The principal from API Gateway's claims.
pub fn principal_from_claims(claims: &GatewayClaims) -> Result<Principal, AuthError> {
    let sub = claims.0.get("sub").cloned().ok_or(AuthError::Missing)?;
    let groups = claims
        .0
        .get("cognito:groups")
        .map(|g| {
            // A JSON array written as a string, or API Gateway's `[a b]`.
            serde_json::from_str::<serde_json::Value>(g)
                .ok()
                .filter(|v| v.is_array())
                .unwrap_or_else(|| serde_json::Value::String(g.clone()))
        })
        .unwrap_or(serde_json::Value::Null);
    let role = role_from_groups(&groups).ok_or(AuthError::NoRole)?;
    let name = ["username", "cognito:username", "email"]
        .iter()
        .find_map(|k| claims.0.get(*k).cloned())
        .unwrap_or_else(|| sub.clone());
    Ok(Principal {
        subject: sub,
        name,
        role,
    })
}

/// Authenticates a request's parts.
pub fn authenticate(state: &ApiState, parts: &Parts) -> Result<Principal, ApiError> {
    let result = match &state.auth {
        Authenticator::Gateway => match parts.extensions.get::<GatewayClaims>() {
            Some(claims) => principal_from_claims(claims),
            None => Err(AuthError::Missing),
        },
        Authenticator::Dev(jwt) => {
            let header = parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match header.and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            }) {
                Some(token) => jwt.verify(token, state.clock.now()),
                None => Err(AuthError::Missing),
            }
        }
    };
    result.map_err(|e| match e {
        AuthError::NoRole => ApiError::forbidden("the token carries no role this API knows"),
        other => ApiError::unauthorized(other.to_string()),
    })
}

/// A caller whose role is in `MASK` (bits [`ADMIN`], [`MANAGER`],
/// [`ANALYST`]): 401 without a valid token, 403 with another role.
#[derive(Debug, Clone)]
pub struct Allowed<const MASK: u8>(pub Principal);

/// Administrators only.
pub type AdminOnly = Allowed<ADMIN>;
/// Administrators and campaign managers.
pub type Managers = Allowed<{ ADMIN | MANAGER }>;
/// Every role (reading metrics and reports).
pub type Readers = Allowed<{ ADMIN | MANAGER | ANALYST }>;

impl<const MASK: u8> FromRequestParts<Arc<ApiState>> for Allowed<MASK> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Self::Rejection> {
        let principal = authenticate(state, parts)?;
        if principal.role.bit() & MASK == 0 {
            return Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                principal.role.as_str()
            )));
        }
        Ok(Allowed(principal))
    }
}

/// Whether `given` is the call-manager token, in time independent of where
/// they differ (the lengths are compared first, and may leak).
pub fn token_matches(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_438_400, 0).unwrap_or_default()
    }

    #[test]
    fn a_dev_token_round_trips_and_expires() {
        let jwt = DevJwt::new(vec![1; 32]);
        let token = jwt.issue(Role::CampaignManager, at(), Duration::hours(1));
        let p = jwt.verify(&token, at()).expect("valid");
        assert_eq!(p.role, Role::CampaignManager);
        assert_eq!(
            jwt.verify(&token, at() + Duration::hours(2)),
            Err(AuthError::Expired)
        );
    }

    #[test]
    fn a_token_signed_with_another_key_or_tampered_is_refused() {
        let token = DevJwt::new(vec![1; 32]).issue(Role::Analyst, at(), Duration::hours(1));
        let other = DevJwt::new(vec![2; 32]);
        assert_eq!(other.verify(&token, at()), Err(AuthError::BadSignature));
        // Swap the claims for an administrator's, keeping the signature.
        let admin = DevJwt::new(vec![9; 32]).issue(Role::Administrator, at(), Duration::hours(1));
        let mut parts: Vec<&str> = token.split('.').collect();
        let admin_body = admin.split('.').nth(1).unwrap_or_default();
        parts[1] = admin_body;
        let forged = parts.join(".");
        assert_eq!(
            DevJwt::new(vec![1; 32]).verify(&forged, at()),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn groups_in_every_form_map_to_the_highest_role() {
        use serde_json::json;
        assert_eq!(
            role_from_groups(&json!(["analyst", "administrator"])),
            Some(Role::Administrator)
        );
        assert_eq!(
            role_from_groups(&json!("[analyst campaign-manager]")),
            Some(Role::CampaignManager)
        );
        assert_eq!(role_from_groups(&json!("analyst")), Some(Role::Analyst));
        assert_eq!(role_from_groups(&json!("[guests]")), None);
        assert_eq!(
            role_from_groups(&json!("administrator,analyst")),
            Some(Role::Administrator)
        );
        assert_eq!(role_from_groups(&json!(null)), None);
    }

    #[test]
    fn only_the_exact_group_names_carry_a_role() {
        use serde_json::json;
        // GIVEN groups that look like a role but are not the group Terraform
        // creates (the MFA trigger requires TOTP of `administrator` only)
        for near in [
            "admin",
            "admins",
            "administrators",
            "Administrator",
            " administrator",
            "campaign_manager",
            "manager",
            "analysts",
        ] {
            // THEN they carry no role at all
            assert_eq!(Role::parse(near), None, "{near}");
            assert_eq!(role_from_groups(&json!([near])), None, "{near}");
        }
        // AND each role is its own group name exactly
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(token_matches("s3cret-token", "s3cret-token"));
        assert!(!token_matches("s3cret-tokeN", "s3cret-token"));
        assert!(!token_matches("s3cret", "s3cret-token"));
        assert!(!token_matches("", "s3cret-token"));
    }
}
