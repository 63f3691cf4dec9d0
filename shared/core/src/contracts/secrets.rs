//! The [`Secrets`] contract.

use crate::ports::{PortError, Secrets};

/// A known secret reads its value; an unknown name is `NotFound`.
pub async fn secrets(secrets: &dyn Secrets, known: (&str, &str), namespace: &str) {
    let (name, value) = known;
    match secrets.get(name).await {
        Ok(v) => assert_eq!(v, value, "secret {name} must read its stored value"),
        Err(e) => panic!("secret {name} must be readable, got {e}"),
    }
    let missing = format!("{namespace}-no-such-secret");
    match secrets.get(&missing).await {
        Err(PortError::NotFound(_)) => {}
        r => panic!("an unknown secret must be NotFound, got {r:?}"),
    }
}
