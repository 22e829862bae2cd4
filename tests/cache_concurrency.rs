//! Many kubectl processes start the plugin at once. Twenty concurrent runs of the binary with a
//! credential source that expires (a `credential_process`, so no network is involved) must all
//! print valid tokens, run the process once (the others wait on the cache lock and find its
//! entry), and leave one private, complete cache entry and no temp files.

use eks_token::credentials::Credentials;
use eks_token::token;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[test]
fn twenty_concurrent_runs_share_one_cache_entry() {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    let counter = home.path().join("runs");
    let script = home.path().join("creds.sh");
    let expiry = (OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&Rfc3339)
        .unwrap();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> {}\necho '{{\"Version\":1,\"AccessKeyId\":\"ASIAPROCESS\",\
             \"SecretAccessKey\":\"procsecret\",\"SessionToken\":\"proctoken\",\"Expiration\":\"{expiry}\"}}'\n",
            counter.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        aws.join("config"),
        format!("[profile p]\ncredential_process = {}\n", script.display()),
    )
    .unwrap();
    let cache = home.path().join("cache");

    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_eks-token"))
            .args([
                "-c",
                "c",
                "--region",
                "us-east-1",
                "--profile",
                "p",
                "--cache-dir",
            ])
            .arg(&cache)
            .env_clear()
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..20).map(|_| spawn()).collect();
    let mut creds = Credentials::new("ASIAPROCESS", "procsecret");
    creds.session_token = Some("proctoken".into());
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        token::verify(
            v["status"]["token"].as_str().unwrap(),
            "c",
            Some(&creds),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    }
    // One complete, private entry; no temp files left behind.
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let meta = std::fs::metadata(&entries[0]).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o777, 0o700);
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entries[0]).unwrap()).unwrap();
    assert!(entry.is_object());

    // The runs that missed together waited on the cache lock: one fetched, the rest found its
    // entry. The next run is a hit too: the process does not run again.
    let before = std::fs::read_to_string(&counter).unwrap().lines().count();
    assert_eq!(
        before, 1,
        "credential_process ran {before} times for 20 concurrent runs"
    );
    let out = spawn().wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        before,
        "served from the cache"
    );
}
