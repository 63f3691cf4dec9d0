//! The [`Secrets`] contract.

use crate::ports::{PortError, SecretVersion, Secrets};

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

/// The versions of a secret that was rotated once (`current` replaced
/// `previous`) and of one never rotated (`fresh`, holding `fresh_value`):
/// both stages of the first read their values, the second has no previous
/// version.
pub async fn secret_versions(
    secrets: &dyn Secrets,
    rotated: (&str, &str, &str),
    fresh: (&str, &str),
) {
    let (name, current, previous) = rotated;
    assert_eq!(
        secrets
            .get_version(name, SecretVersion::Current)
            .await
            .expect("current version"),
        Some(current.to_owned()),
        "{name}: AWSCURRENT"
    );
    assert_eq!(
        secrets
            .get_version(name, SecretVersion::Previous)
            .await
            .expect("previous version"),
        Some(previous.to_owned()),
        "{name}: AWSPREVIOUS"
    );
    let (fresh_name, fresh_value) = fresh;
    assert_eq!(
        secrets
            .get_version(fresh_name, SecretVersion::Current)
            .await
            .expect("current version"),
        Some(fresh_value.to_owned())
    );
    assert_eq!(
        secrets
            .get_version(fresh_name, SecretVersion::Previous)
            .await
            .expect("a missing previous version is not an error"),
        None,
        "{fresh_name} was never rotated"
    );
}
