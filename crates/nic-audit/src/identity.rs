//! Client identities for the audit log: who asked, without giving the token away.
//!
//! A client that presents an API token is recorded as `tok:` followed by the first 16 hex
//! digits of HMAC-SHA256(key, token). The key is 32 bytes from the operating system's RNG,
//! made once per data directory and kept in `<data_dir>/audit.key` (mode 0600, 64 hex
//! digits). It sits next to the `audit/` directory, not inside it, so handing the audit log
//! to a reviewer does not hand over the key.
//!
//! Why keyed: a bare SHA-256 prefix of the token (what the log held before) lets anyone who
//! can read the log test token guesses offline, and tokens are often short or human-chosen.
//! Without the key an id says nothing about its token, yet the same token still maps to the
//! same id across restarts, so a reviewer can follow one client through the log.

use crate::error::AuditError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The key file's name under the data directory.
pub const KEY_FILE: &str = "audit.key";
/// Key length in bytes (the SHA-256 output size, as RFC 2104 recommends).
const KEY_BYTES: usize = 32;
/// Hex digits of the MAC kept in an id: 64 bits, the length the log has always used.
pub const ID_HEX_DIGITS: usize = 16;
/// The prefix of a token-derived id (`ip:` ids name a peer address instead).
pub const TOKEN_ID_PREFIX: &str = "tok:";

type HmacSha256 = Hmac<Sha256>;

/// The per-data-directory key that turns tokens into client ids.
#[derive(Clone)]
pub struct ClientKey {
    mac: HmacSha256,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("ClientKey")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The path of the key file under a data directory.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

fn key_error(path: &Path, reason: impl Into<String>) -> AuditError {
    AuditError::Key {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn mac_for(key: &[u8], path: &Path) -> Result<HmacSha256, AuditError> {
    // HMAC takes keys of any length; the error cannot happen, but is not unwrapped.
    HmacSha256::new_from_slice(key).map_err(|e| key_error(path, e.to_string()))
}

fn parse_key(text: &str, path: &Path) -> Result<Vec<u8>, AuditError> {
    let t = text.trim();
    if t.len() != KEY_BYTES * 2 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(key_error(
            path,
            format!(
                "malformed: expected {} hex digits, found {} characters",
                KEY_BYTES * 2,
                t.chars().count()
            ),
        ));
    }
    hex::decode(t).map_err(|e| key_error(path, format!("malformed: {e}")))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::metadata(path) {
        let mode = m.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "the audit key is readable by other users; run `chmod 600` on it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Writes a fresh key to a private temporary file, then links it into place; linking fails
/// when the key already exists, so two processes starting together agree on one key and a
/// crash never leaves a half-written key behind.
fn create_key(data_dir: &Path, path: &Path) -> Result<(), AuditError> {
    use rand::RngCore;
    let io = |source| AuditError::Io {
        path: data_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let tmp = data_dir.join(format!(
        ".{KEY_FILE}.tmp-{}-{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 4]>())
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            if let Ok(d) = std::fs::File::open(data_dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

impl ClientKey {
    /// Reads `<data_dir>/audit.key`, creating it (from the OS RNG, mode 0600) when absent.
    ///
    /// Errors: [`AuditError::Key`] when the file exists but cannot be read or is not 64 hex
    /// digits (the message says how to recover); [`AuditError::Io`] when it is absent and
    /// cannot be created (a read-only data directory).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, AuditError> {
        let path = key_path(data_dir);
        for _ in 0..2 {
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let key = parse_key(&text, &path)?;
                    warn_if_readable_by_others(&path);
                    return Ok(Self {
                        mac: mac_for(&key, &path)?,
                        path: Some(path),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    create_key(data_dir, &path)?;
                }
                Err(e) => return Err(key_error(&path, format!("cannot be read: {e}"))),
            }
        }
        Err(key_error(&path, "was created but cannot be read back"))
    }

    /// A key that lives only as long as the process (ids are stable until restart). For a
    /// data directory where the key file cannot be created.
    pub fn ephemeral() -> Self {
        use rand::RngCore;
        let mut key = [0u8; KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let mac = HmacSha256::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self { mac, path: None }
    }

    /// The key file this key was read from (`None` for an ephemeral key).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The client id of a presented token: `tok:` + 16 hex digits of HMAC-SHA256.
    pub fn client_id(&self, token: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut id = hex::encode(digest);
        id.truncate(ID_HEX_DIGITS);
        format!("{TOKEN_ID_PREFIX}{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_schema_format() {
        let k = ClientKey::ephemeral();
        let id = k.client_id("secret");
        assert_eq!(id.len(), TOKEN_ID_PREFIX.len() + ID_HEX_DIGITS, "{id}");
        assert!(id.starts_with("tok:"));
        assert!(id[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, k.client_id("secret"));
        assert_ne!(id, k.client_id("secret2"));
        assert!(!format!("{k:?}").contains(&id[4..]));
    }
}
