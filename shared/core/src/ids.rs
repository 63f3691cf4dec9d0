//! Identifier newtypes. A call attempt's id is derived from the contact and
//! the attempt number, so a duplicated dial task names the same attempt and
//! the exactly-once origination check can catch it.

//!
//! Ids are shared (`Arc<str>`): they are copied into every record, message
//! and event of a call, and a clone is a reference count, not an allocation.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            pub fn new(s: impl Into<Arc<str>>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A campaign.
    CampaignId
);
id_type!(
    /// A contact within a campaign.
    ContactId
);
id_type!(
    /// One call attempt: `{contact id}-a{attempt number}`.
    CallId
);

impl CallId {
    /// The id of attempt `attempt` (1-based) to `contact`.
    pub fn for_attempt(contact: &ContactId, attempt: u32) -> CallId {
        CallId(format!("{}-a{}", contact.0, attempt).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_ids_are_deterministic_and_distinct_per_attempt() {
        let c = ContactId::new("c-42");
        assert_eq!(CallId::for_attempt(&c, 1), CallId::for_attempt(&c, 1));
        assert_ne!(CallId::for_attempt(&c, 1), CallId::for_attempt(&c, 2));
    }
}
