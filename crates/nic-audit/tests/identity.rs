//! Client ids in the audit log are a keyed hash (HMAC-SHA256) of the token under a key made
//! once per data directory: stable across restarts, different between installations, and
//! not the bare SHA-256 prefix a log reader could test token guesses against.

use nic_audit::identity::{key_path, ClientKey, ID_HEX_DIGITS, KEY_FILE};
use nic_audit::AuditError;
use sha2::{Digest, Sha256};

const TOKEN: &str = "s3cret-token";

#[test]
fn same_token_same_id_across_restarts_with_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let first = ClientKey::load_or_create(dir.path()).unwrap();
    let id = first.client_id(TOKEN);
    assert!(key_path(dir.path()).is_file());
    assert_eq!(first.path(), Some(key_path(dir.path()).as_path()));
    // "Restart": a new key object from the same directory.
    drop(first);
    let again = ClientKey::load_or_create(dir.path()).unwrap();
    assert_eq!(again.client_id(TOKEN), id);
    assert_ne!(again.client_id("another-token"), id);
}

#[test]
fn different_data_dirs_give_different_ids() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ka = ClientKey::load_or_create(a.path()).unwrap();
    let kb = ClientKey::load_or_create(b.path()).unwrap();
    assert_ne!(ka.client_id(TOKEN), kb.client_id(TOKEN));
    assert_ne!(
        std::fs::read_to_string(key_path(a.path())).unwrap(),
        std::fs::read_to_string(key_path(b.path())).unwrap()
    );
}

#[test]
fn id_keeps_the_schema_format_but_is_not_the_bare_sha256_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let id = ClientKey::load_or_create(dir.path())
        .unwrap()
        .client_id(TOKEN);
    // What the log held before: `tok:` + the first 16 hex digits of SHA-256(token).
    let old = format!(
        "tok:{}",
        &hex::encode(Sha256::digest(TOKEN.as_bytes()))[..16]
    );
    assert_eq!(id.len(), old.len(), "{id}");
    assert!(id.starts_with("tok:"), "{id}");
    assert_eq!(id.len(), 4 + ID_HEX_DIGITS);
    assert!(id[4..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert_ne!(id, old);
}

#[test]
fn key_file_is_private_and_holds_64_hex_digits() {
    let dir = tempfile::tempdir().unwrap();
    // The data dir does not exist yet: the key creates it.
    let data = dir.path().join("data");
    ClientKey::load_or_create(&data).unwrap();
    let text = std::fs::read_to_string(data.join(KEY_FILE)).unwrap();
    assert_eq!(text.trim().len(), 64, "{text:?}");
    assert!(text.trim().bytes().all(|b| b.is_ascii_hexdigit()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![KEY_FILE.to_string()]);
}

#[test]
fn a_malformed_key_file_is_a_clear_error_and_is_left_alone() {
    for bad in [
        "",
        "not hex at all",
        "abcd",
        &"zz".repeat(32),
        &"ab".repeat(33),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(key_path(dir.path()), bad).unwrap();
        let err = ClientKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, AuditError::Key { .. }), "{bad:?}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains("audit.key"), "{msg}");
        assert!(msg.contains("malformed"), "{msg}");
        assert!(msg.contains("delete it"), "{msg}");
        // Never silently replaced: ids would change without anyone deciding so.
        assert_eq!(std::fs::read_to_string(key_path(dir.path())).unwrap(), bad);
    }
}

#[test]
fn concurrent_first_starts_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let ids: Vec<String> = (0..8)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || ClientKey::load_or_create(&p).unwrap().client_id(TOKEN))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
}
