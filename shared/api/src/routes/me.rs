//! `GET /api/me`: who the caller is and what the console may offer them.
//! The console hides what `can` denies; the routes still refuse it.

use serde::Serialize;

use crate::auth::{Allowed, Readers, Role};

/// What a role may do, in the console's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Campaigns, contacts, audio, IVR and retry-rule checks, adding to the
    /// blacklist (administrators and campaign managers).
    pub manage_campaigns: bool,
    /// Blacklist imports, exports, look-ups and removals (administrators).
    pub administer_blacklist: bool,
}

impl Capabilities {
    /// Mirrors the route table's role sets (`MANAGERS`, `ADMIN`).
    pub fn of(role: Role) -> Self {
        Self {
            manage_campaigns: matches!(role, Role::Administrator | Role::CampaignManager),
            administer_blacklist: role == Role::Administrator,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub subject: String,
    pub role: Role,
    pub can: Capabilities,
}

/// `GET /api/me`.
pub async fn me(Allowed(who): Readers) -> axum::Json<Me> {
    axum::Json(Me {
        can: Capabilities::of(who.role),
        subject: who.subject,
        role: who.role,
    })
}
