//! Scanning roots: sorted, supported files only, hidden skipped, domains, errors per path.

use nic_ingest::scan_roots;
use std::fs;
use std::path::PathBuf;

fn touch(root: &std::path::Path, rel: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, b"x").unwrap();
}

#[test]
fn walks_sorted_with_domains() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "vehicle/manual.PDF",
        "vehicle/sub/b.html",
        "vehicle/sub/a.htm",
        "hvac/guide.txt",
        "hvac/notes.docx",
        "readme.md",
        ".git/config.txt",
        "hvac/.hidden.txt",
        "vehicle/.cache/x.pdf",
    ] {
        touch(root, rel);
    }
    let (files, errors) = scan_roots(&[root.to_path_buf()]);
    assert!(errors.is_empty(), "{errors:?}");
    let got: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.doc.as_str(), f.domain.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("hvac/guide.txt", "hvac"),
            ("readme.md", "general"),
            ("vehicle/manual.PDF", "vehicle"),
            ("vehicle/sub/a.htm", "vehicle"),
            ("vehicle/sub/b.html", "vehicle"),
        ]
    );
    assert!(files
        .iter()
        .all(|f| f.size == 1 && f.path.starts_with(root)));
}

#[test]
fn missing_root_is_an_error_and_others_still_scan() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "hvac/a.txt");
    let missing = PathBuf::from("/definitely/not/here");
    let (files, errors) = scan_roots(&[missing.clone(), dir.path().to_path_buf()]);
    assert_eq!(files.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, missing);
    assert!(errors[0].reason.contains("no such"));
}

#[test]
fn empty_root_gives_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (files, errors) = scan_roots(&[dir.path().to_path_buf()]);
    assert!(files.is_empty() && errors.is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_loops_terminate() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "hvac/a.txt");
    std::os::unix::fs::symlink(dir.path().join("hvac"), dir.path().join("hvac/loop")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("hvac/up")).unwrap();
    let (files, _errors) = scan_roots(&[dir.path().to_path_buf()]);
    let docs: Vec<&str> = files.iter().map(|f| f.doc.as_str()).collect();
    assert_eq!(docs, vec!["hvac/a.txt"]);
}

#[cfg(unix)]
#[test]
fn unreadable_folder_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "ok/a.txt");
    touch(dir.path(), "locked/b.txt");
    let locked = dir.path().join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = fs::read_dir(&locked).is_ok(); // root ignores permissions
    let (files, errors) = scan_roots(&[dir.path().to_path_buf()]);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if readable_anyway {
        eprintln!("skipping the error check: running as root");
        return;
    }
    assert_eq!(files.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].reason.contains("cannot list folder"));
}

#[test]
fn a_single_file_root() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "one.md");
    let (files, errors) = scan_roots(&[dir.path().join("one.md")]);
    assert!(errors.is_empty());
    assert_eq!(
        (files[0].doc.as_str(), files[0].domain.as_str()),
        ("one.md", "general")
    );
}
