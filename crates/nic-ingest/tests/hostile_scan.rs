//! Scanning a hostile root: symlinks that leave the root are not followed (reported per
//! path), links inside it are; names with control characters are reported escaped.
#![cfg(unix)]

use nic_ingest::scan_roots;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

fn touch(root: &Path, rel: &str, body: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

#[test]
fn links_out_of_the_root_are_reported_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    touch(
        outside.path(),
        "passwd.txt",
        b"root:x:0:0:root:/root:/bin/bash\n",
    );
    touch(outside.path(), "secrets/keys.md", b"secret\n");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(root, "hvac/guide.txt", b"Check the filter.\n");
    symlink(
        outside.path().join("passwd.txt"),
        root.join("hvac/passwd.txt"),
    )
    .unwrap();
    symlink(outside.path().join("secrets"), root.join("hvac/secrets")).unwrap();
    symlink("/etc/passwd", root.join("etc-passwd.txt")).unwrap();
    // `..` escapes are resolved before the check.
    symlink("../../../../../../../../etc", root.join("hvac/up")).unwrap();

    let (files, errors) = scan_roots(&[root.to_path_buf()]);
    let docs: Vec<&str> = files.iter().map(|f| f.doc.as_str()).collect();
    assert_eq!(docs, vec!["hvac/guide.txt"], "{errors:?}");
    let mut reported: Vec<String> = errors
        .iter()
        .filter(|e| e.reason.contains("leads outside the ingest root"))
        .map(|e| {
            e.path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    reported.sort();
    assert_eq!(
        reported,
        vec![
            "etc-passwd.txt",
            "hvac/passwd.txt",
            "hvac/secrets",
            "hvac/up"
        ],
        "{errors:?}"
    );
}

#[test]
fn links_inside_the_root_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(root, "shared/wiring.md", b"# Wiring\n");
    symlink(
        root.join("shared/wiring.md"),
        root.join("vehicle-wiring.md"),
    )
    .unwrap();
    fs::create_dir_all(root.join("hvac")).unwrap();
    symlink("../shared", root.join("hvac/common")).unwrap();
    let (files, errors) = scan_roots(&[root.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let docs: Vec<&str> = files.iter().map(|f| f.doc.as_str()).collect();
    // Each real folder is walked once: through the first path that reaches it.
    assert_eq!(docs, vec!["hvac/common/wiring.md", "vehicle-wiring.md"]);
}

#[test]
fn a_root_given_through_a_symlink_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "real/hvac/a.txt", b"a\n");
    symlink(dir.path().join("real"), dir.path().join("alias")).unwrap();
    let (files, errors) = scan_roots(&[dir.path().join("alias")]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].doc, "hvac/a.txt");
}

#[test]
fn dangling_links_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    symlink(dir.path().join("gone.txt"), dir.path().join("dangling.txt")).unwrap();
    let (files, errors) = scan_roots(&[dir.path().to_path_buf()]);
    assert!(files.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].reason.contains("dangling symbolic link"),
        "{errors:?}"
    );
}

#[test]
fn names_with_control_characters_are_reported_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(root, "hvac/ok.txt", b"ok\n");
    touch(root, "hvac/bad\x1b[2Jname.txt", b"x\n");
    touch(root, "evil\nfolder/inside.txt", b"x\n");
    let (files, errors) = scan_roots(&[root.to_path_buf()]);
    let docs: Vec<&str> = files.iter().map(|f| f.doc.as_str()).collect();
    assert_eq!(docs, vec!["hvac/ok.txt"]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for e in &errors {
        let shown = format!("{}: {}", e.path.display(), e.reason);
        assert!(
            !shown.chars().any(|c| c.is_control()),
            "raw control character in {shown:?}"
        );
        assert!(e.reason.contains("control characters"), "{shown}");
    }
    let shown: Vec<String> = errors
        .iter()
        .map(|e| e.path.display().to_string())
        .collect();
    assert!(
        shown.iter().any(|s| s.contains(r"bad\u{1b}[2Jname.txt")),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|s| s.contains(r"evil\nfolder")),
        "{shown:?}"
    );
}
