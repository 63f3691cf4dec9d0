//! `campaign token --role ROLE`: prints a development JWT that `campaign
//! serve` accepts. Both read the signing key from `CAMPAIGN_JWT_SECRET`
//! (at least 32 characters) when it is set, else from a key file (created
//! with 32 random bytes, owner-only, on first use; `CAMPAIGN_JWT_SECRET_FILE`
//! names it, default `<temp dir>/campaign-serve-jwt.key`), so a token made
//! in one shell works against a server started in another.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use campaign_api::auth::{DevJwt, Role};
use clap::ValueEnum;
use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Administrator,
    CampaignManager,
    Analyst,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Administrator => Role::Administrator,
            RoleArg::CampaignManager => Role::CampaignManager,
            RoleArg::Analyst => Role::Analyst,
        }
    }
}

/// Where the key is kept when `CAMPAIGN_JWT_SECRET` is not set.
pub fn key_file() -> PathBuf {
    std::env::var_os("CAMPAIGN_JWT_SECRET_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("campaign-serve-jwt.key"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The development signing key (see the module docs).
pub fn signing_key() -> anyhow::Result<Vec<u8>> {
    if let Ok(secret) = std::env::var("CAMPAIGN_JWT_SECRET") {
        anyhow::ensure!(
            secret.len() >= 32,
            "CAMPAIGN_JWT_SECRET must be at least 32 characters"
        );
        return Ok(secret.into_bytes());
    }
    let path = key_file();
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 64 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!("{} is not a key this command wrote", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let text = hex(&key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut f) => {
            f.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(text.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok(text.trim().as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

pub fn run(role: RoleArg, hours: u32) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((1..=24 * 30).contains(&hours), "--hours must be 1..720");
    let jwt = DevJwt::new(signing_key()?);
    let token = jwt.issue(
        role.into(),
        chrono::Utc::now(),
        chrono::Duration::hours(i64::from(hours)),
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
