//! `campaign token --role ROLE`: prints a development JWT that `campaign
//! serve` accepts. Both read the signing key from `CAMPAIGN_JWT_SECRET`
//! (at least 32 characters) when it is set, else from a key file (created
//! with 32 random bytes, owner-only, on first use; `CAMPAIGN_JWT_SECRET_FILE`
//! names it, default `<temp dir>/campaign-serve-jwt.key`), so a token made
//! in one shell works against a server started in another. An existing key
//! file is refused unless it is a regular file of the current user that
//! nobody else can read or write: in a shared temp directory another user
//! could have planted a key of theirs (and signed any role with it) or read
//! ours.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
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
    key_from_file(&key_file())
}

/// The key kept in `path`, created there on first use (mode 0600).
pub fn key_from_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    match read_private(path) {
        Ok(Some(text)) if text.trim().len() >= 64 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(Some(_)) => anyhow::bail!("{} is not a key this command wrote", path.display()),
        Ok(None) => {}
        Err(e) => return Err(e),
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
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(text.into_bytes())
        }
        // Another process created it first: use theirs, once it passes the
        // same checks.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match read_private(path)? {
            Some(text) => Ok(text.trim().as_bytes().to_vec()),
            None => anyhow::bail!("{} vanished while being created", path.display()),
        },
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// The key file's text, `None` if it does not exist; an error if it is not
/// private to this user. The checks are made on the opened file (no link
/// followed), so the file checked is the file read.
fn read_private(path: &Path) -> anyhow::Result<Option<String>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => anyhow::bail!(
            "{} is a symbolic link, not a key file this command wrote: delete it (a new key is made on the next start)",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    #[cfg(unix)]
    {
        let meta = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        check_private(path, &meta, uid)?;
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Some(text))
}

/// Refuses a key file that is not a regular file owned by `uid` with no
/// group or other permissions.
#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata, uid: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let shown = path.display();
    anyhow::ensure!(
        meta.file_type().is_file(),
        "{shown} is not a regular file: delete it (a new key is made on the next start)"
    );
    anyhow::ensure!(
        meta.uid() == uid,
        "{shown} belongs to another user (uid {}, you are {uid}): whoever wrote it can sign tokens \
         this server would accept. Delete it (a new key is made on the next start), or set \
         CAMPAIGN_JWT_SECRET_FILE to a path of your own",
        meta.uid()
    );
    let mode = meta.permissions().mode() & 0o777;
    anyhow::ensure!(
        mode & 0o077 == 0,
        "{shown} can be read or written by other users (mode {mode:03o}): `chmod 600 {shown}`, \
         or delete it for a new key"
    );
    Ok(())
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn key_file_with_mode(dir: &tempfile::TempDir, mode: u32) -> PathBuf {
        let path = dir.path().join("campaign-serve-jwt.key");
        std::fs::write(&path, "ab".repeat(32)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn a_new_key_file_is_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let first = key_from_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(key_from_file(&path).unwrap(), first);
    }

    #[test]
    fn a_key_file_others_can_read_or_write_is_refused_with_the_fix() {
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o666] {
            // GIVEN a key file of ours that the group or others can open
            let dir = tempfile::tempdir().unwrap();
            let path = key_file_with_mode(&dir, mode);
            // WHEN the server or `campaign token` reads it
            let err = key_from_file(&path).unwrap_err().to_string();
            // THEN it is refused, saying how to fix it
            assert!(err.contains("chmod 600"), "{mode:o}: {err}");
            assert!(err.contains(&format!("{mode:03o}")), "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(key_from_file(&key_file_with_mode(&dir, 0o600)).is_ok());
        assert!(key_from_file(&key_file_with_mode(&dir, 0o400)).is_ok());
    }

    #[test]
    fn a_key_file_of_another_user_is_refused() {
        // GIVEN a private key file (tests cannot chown it away without
        // root, so the check is asked as if we were another uid)
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_with_mode(&dir, 0o600);
        let meta = std::fs::metadata(&path).unwrap();
        let err = check_private(&path, &meta, meta.uid() + 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("belongs to another user"), "{err}");
        assert!(err.contains("Delete it"), "{err}");
        assert!(check_private(&path, &meta, meta.uid()).is_ok());
    }

    #[test]
    fn a_link_in_place_of_the_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = key_file_with_mode(&dir, 0o600);
        let link = dir.path().join("link.key");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = key_from_file(&link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
    }
}
