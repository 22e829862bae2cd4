//! Many kubectl processes start the plugin at once. Twenty concurrent runs of the binary with a
//! credential source that expires (a `credential_process`, so no network is involved) must all
//! print valid tokens, run the process once (the others wait on the entry's lock and find its
//! entry), and leave one private, complete cache entry and no temp files. Runs for different
//! profiles never wait for each other.

use eks_token::credentials::Credentials;
use eks_token::token;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A credential_process script printing credentials that expire in an hour, after `before`
/// (shell lines).
fn script(home: &Path, name: &str, before: &str) -> PathBuf {
    let expiry = (OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&Rfc3339)
        .unwrap();
    let path = home.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{before}\necho '{{\"Version\":1,\"AccessKeyId\":\"ASIAPROCESS\",\
             \"SecretAccessKey\":\"procsecret\",\"SessionToken\":\"proctoken\",\"Expiration\":\"{expiry}\"}}'\n",
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// HOME with `~/.aws/config` holding `config`.
fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    std::fs::write(aws.join("config"), config).unwrap();
    home
}

fn spawn(home: &Path, profile: &str, cache: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eks-token"))
        .args(["-c", "c", "--region", "us-east-1", "--profile", profile])
        .arg("--cache-dir")
        .arg(cache)
        .env_clear()
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child`; it must have printed a token signed with the scripts' credentials.
fn assert_token(child: Child) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut creds = Credentials::new("ASIAPROCESS", "procsecret");
    creds.session_token = Some("proctoken".into());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    token::verify(
        v["status"]["token"].as_str().unwrap(),
        "c",
        Some(&creds),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
}

/// The cache folder's entries (`*.json`); no temp file left, every file private.
fn entries(cache: &Path) -> Vec<PathBuf> {
    assert_eq!(std::fs::metadata(cache).unwrap().mode() & 0o777, 0o700);
    let mut json = Vec::new();
    for e in std::fs::read_dir(cache).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            name.ends_with(".json") || name.ends_with(".lock"),
            "temp or foreign file left: {name}"
        );
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file(), "{name}");
        assert_eq!(meta.mode() & 0o777, 0o600, "{name}");
        if name.ends_with(".json") {
            json.push(path);
        }
    }
    json
}

#[test]
fn twenty_concurrent_runs_share_one_cache_entry() {
    let home = home_with("");
    let counter = home.path().join("runs");
    let script = script(
        home.path(),
        "creds.sh",
        &format!("echo run >> {}", counter.display()),
    );
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile p]\ncredential_process = {}\n", script.display()),
    )
    .unwrap();
    let cache = home.path().join("cache");

    let children: Vec<_> = (0..20).map(|_| spawn(home.path(), "p", &cache)).collect();
    for child in children {
        assert_token(child);
    }
    // One complete, private entry; no temp files left behind.
    let entries = entries(&cache);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&entries[0]).unwrap()).unwrap();
    assert!(entry.is_object());

    // The runs that missed together waited on the entry's lock: one fetched, the rest found
    // its entry. The next run is a hit too: the process does not run again.
    let before = std::fs::read_to_string(&counter).unwrap().lines().count();
    assert_eq!(
        before, 1,
        "credential_process ran {before} times for 20 concurrent runs"
    );
    let out = spawn(home.path(), "p", &cache).wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap().lines().count(),
        before,
        "served from the cache"
    );
}

#[test]
fn runs_for_two_profiles_fetch_at_the_same_time() {
    // Each profile's credential_process (think: a slow helper, an MFA prompt) finishes only once
    // the other's has started; it gives up after 20 s. If one run held a lock the other waited
    // on, neither could finish in time.
    let home = home_with("");
    let (a, b) = (home.path().join("a-started"), home.path().join("b-started"));
    let waiting_for = |mine: &Path, other: &Path| {
        format!(
            "touch {}\ni=0\nwhile [ ! -e {o} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done\n\
             [ -e {o} ] || {{ echo 'the other run never started' >&2; exit 1; }}",
            mine.display(),
            o = other.display()
        )
    };
    let sa = script(home.path(), "a.sh", &waiting_for(&a, &b));
    let sb = script(home.path(), "b.sh", &waiting_for(&b, &a));
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile a]\ncredential_process = {}\n[profile b]\ncredential_process = {}\n",
            sa.display(),
            sb.display()
        ),
    )
    .unwrap();
    let cache = home.path().join("cache");
    let runs = [
        spawn(home.path(), "a", &cache),
        spawn(home.path(), "b", &cache),
    ];
    for child in runs {
        assert_token(child);
    }
    assert_eq!(entries(&cache).len(), 2);
}
