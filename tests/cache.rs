//! The credential cache on a real file system (temp folders): where it lives, what it refuses to
//! trust, and that concurrent writers and readers — threads and processes — never see a torn entry.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use eks_token::credentials::cache::{self, cache_dir, Cache, CacheError, CacheKey, MIN_REMAINING};
use eks_token::credentials::Credentials;
use eks_token::env::Env;
use eks_token::log::Log;
use eks_token::secret::Secret;
use eks_token::Error;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2024-05-01 12:00:00 UTC);
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENsecretpart";

fn creds(expiry: Option<OffsetDateTime>) -> Credentials {
    Credentials {
        access_key_id: "ASIAEXAMPLEACCESSKEY".into(),
        secret_access_key: Secret::new(SECRET),
        session_token: Some(Secret::new(TOKEN)),
        expiry,
        source: "assume role arn:aws:iam::123456789012:role/dev".into(),
    }
}

fn key(profile: &str) -> CacheKey {
    CacheKey::new([
        ("kind", "assume-role"),
        ("profile", profile),
        ("role_arn", "arn:aws:iam::123456789012:role/dev"),
    ])
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().mode() & 0o777
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// A temp folder closed to 0700, as the cache wants an existing folder (tempfile leaves the
/// umask's mode).
fn tempdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    chmod(tmp.path(), 0o700);
    tmp
}

/// A fresh cache in a temp folder, with an entry for `key("dev")` expiring in an hour.
fn cache_with_entry() -> (tempfile::TempDir, Cache, PathBuf) {
    let tmp = tempdir();
    let cache = Cache::open(tmp.path().join("c")).unwrap();
    cache
        .put(&key("dev"), &creds(Some(NOW + Duration::hours(1))))
        .unwrap();
    let path = cache.path(&key("dev"));
    (tmp, cache, path)
}

fn assert_no_secret(text: &str) {
    assert!(
        !text.contains(SECRET) && !text.contains("wJalrXUtnFEMI"),
        "secret key leaked: {text}"
    );
    assert!(
        !text.contains(TOKEN) && !text.contains("SESSIONTOKEN"),
        "session token leaked: {text}"
    );
}

#[test]
fn round_trip_with_private_permissions() {
    let tmp = tempdir();
    let dir = tmp.path().join("a/b/eks-token");
    let cache = Cache::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    let stored = creds(Some(NOW + Duration::hours(1)));
    cache.put(&key("dev"), &stored).unwrap();
    let file = cache.path(&key("dev"));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        fs::metadata(&file).unwrap().uid(),
        fs::metadata(&dir).unwrap().uid()
    );
    // Only the entry is left: the temp file was renamed, not copied.
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, [format!("{}.json", key("dev").hash())]);

    let got = cache.get(&key("dev"), NOW).unwrap().unwrap();
    assert_eq!(got.access_key_id, stored.access_key_id);
    assert_eq!(got.secret_access_key.expose(), SECRET);
    assert_eq!(got.session_token.as_ref().unwrap().expose(), TOKEN);
    assert_eq!(got.expiry, stored.expiry);
    assert_eq!(got.source, format!("{} (cached)", stored.source));

    // The file holds what the issue lists, with an RFC 3339 expiry and the format version.
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["key"], key("dev").hash());
    assert_eq!(json["expiration"], "2024-05-01T13:00:00Z");
    assert_eq!(json["secret_access_key"], SECRET);
}

#[test]
fn missing_entry_is_a_plain_miss() {
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    assert_eq!(cache.get(&key("dev"), NOW), Ok(None));
}

#[test]
fn credentials_without_expiry_are_not_written() {
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    cache.put(&key("dev"), &creds(None)).unwrap();
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn open_group_or_world_writable_folder_is_refused_and_left_alone() {
    for m in [0o777, 0o770, 0o702] {
        let tmp = tempdir();
        chmod(tmp.path(), m);
        let err = Cache::open(tmp.path()).unwrap_err();
        assert!(matches!(err, CacheError::NotPrivate { .. }), "{err:?}");
        assert!(err.is_warning());
        assert!(err.to_string().contains("chmod 700"), "{err}");
        assert_eq!(mode(tmp.path()), m, "must not chmod a folder it refused");
    }
}

#[test]
fn open_or_report_logs_why_the_cache_is_off() {
    let log = Log::capture(true);
    assert!(cache::open_or_report(None, &log).is_none());
    assert!(log.lines().is_empty());
    let tmp = tempdir();
    assert!(cache::open_or_report(Some(tmp.path().join("c")), &log).is_some());
    chmod(tmp.path(), 0o777);
    let log = Log::capture(false);
    assert!(cache::open_or_report(Some(tmp.path().to_path_buf()), &log).is_none());
    assert_eq!(log.lines().len(), 1);
    assert!(
        log.lines()[0].starts_with("warning: credential cache"),
        "{:?}",
        log.lines()
    );
}

#[test]
fn existing_folder_others_may_read_is_refused_and_left_alone() {
    // As with `--cache-dir $HOME`: a folder we did not create is never chmodded.
    for m in [0o755, 0o750, 0o705, 0o710, 0o701] {
        let tmp = tempdir();
        chmod(tmp.path(), m);
        let err = Cache::open(tmp.path()).unwrap_err();
        assert!(matches!(err, CacheError::NotPrivate { .. }), "{err:?}");
        assert!(err.is_warning());
        assert!(
            err.to_string().contains(&format!("mode {m:o}"))
                && err.to_string().contains("chmod 700"),
            "{err}"
        );
        assert_eq!(
            mode(tmp.path()),
            m,
            "must not chmod a folder it did not create"
        );
    }
}

#[test]
fn folder_it_creates_is_0700_and_its_open_parent_is_left_alone() {
    let tmp = tempdir();
    chmod(tmp.path(), 0o755);
    let dir = tmp.path().join("eks-token");
    Cache::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(tmp.path()), 0o755);
    // Opened again, it is the existing private folder it made.
    Cache::open(&dir).unwrap();
}

#[test]
fn a_file_in_place_of_the_folder_is_refused() {
    let tmp = tempdir();
    let f = tmp.path().join("f");
    fs::write(&f, "x").unwrap();
    assert!(Cache::open(&f).is_err());
    assert!(Cache::open(f.join("sub")).is_err());
}

/// Needs root to make a folder and a file owned by someone else; skipped otherwise.
#[test]
fn folder_or_entry_owned_by_another_uid_is_refused() {
    let tmp = tempdir();
    if fs::metadata(tmp.path()).unwrap().uid() != 0 {
        eprintln!("SKIPPED: folder_or_entry_owned_by_another_uid_is_refused needs root to chown");
        return;
    }
    let other = tmp.path().join("other");
    fs::create_dir(&other).unwrap();
    chmod(&other, 0o700);
    std::os::unix::fs::chown(&other, Some(65534), Some(65534)).unwrap();
    let err = Cache::open(&other).unwrap_err();
    assert!(
        matches!(err, CacheError::NotPrivate { .. }) && err.to_string().contains("uid 65534"),
        "{err}"
    );

    let (_t, cache, path) = cache_with_entry();
    std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
    let err = cache.get(&key("dev"), NOW).unwrap_err();
    assert!(matches!(err, CacheError::NotPrivate { .. }), "{err:?}");
}

#[test]
fn entry_readable_by_others_is_ignored_then_replaced() {
    let (_t, cache, path) = cache_with_entry();
    chmod(&path, 0o644);
    let err = cache.get(&key("dev"), NOW).unwrap_err();
    assert!(matches!(err, CacheError::NotPrivate { .. }), "{err:?}");
    assert!(err.to_string().contains("mode 644"), "{err}");
    cache
        .put(&key("dev"), &creds(Some(NOW + Duration::hours(1))))
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    assert!(cache.get(&key("dev"), NOW).unwrap().is_some());
}

#[test]
fn corrupt_or_truncated_entries_are_ignored_without_leaking() {
    let (_t, cache, path) = cache_with_entry();
    let good = fs::read(&path).unwrap();
    let cuts = [good.len() / 2, good.len() - 1, 0];
    let bad: Vec<Vec<u8>> = cuts
        .iter()
        .map(|&n| good[..n].to_vec())
        .chain([
            b"not json".to_vec(),
            b"{\"version\":1}".to_vec(),
            vec![0xff, 0xfe, b'{'],
        ])
        .chain([br#"{"version":"wJalrXUtnFEMI"}"#.to_vec()])
        .collect();
    for bytes in bad {
        fs::write(&path, &bytes).unwrap();
        let err = cache.get(&key("dev"), NOW).unwrap_err();
        assert!(matches!(err, CacheError::Invalid { .. }), "{err:?}");
        assert_no_secret(&err.to_string());
        assert_no_secret(&format!("{err:?}"));
    }
}

#[test]
fn other_format_version_is_ignored() {
    let (_t, cache, path) = cache_with_entry();
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    json["version"] = 2.into();
    fs::write(&path, json.to_string()).unwrap();
    let err = cache.get(&key("dev"), NOW).unwrap_err();
    assert!(
        matches!(err, CacheError::Invalid { .. }) && err.to_string().contains("format version 2"),
        "{err}"
    );
}

#[test]
fn entry_for_another_key_is_ignored() {
    // As if someone renamed or linked one profile's entry onto another's name.
    let (_t, cache, path) = cache_with_entry();
    fs::copy(&path, cache.path(&key("prod"))).unwrap();
    let err = cache.get(&key("prod"), NOW).unwrap_err();
    assert!(
        matches!(err, CacheError::Invalid { .. }) && err.to_string().contains("another key"),
        "{err}"
    );
}

#[test]
fn reused_only_with_at_least_15_minutes_left() {
    assert_eq!(MIN_REMAINING, Duration::minutes(15));
    let (_t, cache, _) = cache_with_entry(); // expires at NOW + 1h
    assert!(cache
        .get(&key("dev"), NOW + Duration::minutes(45))
        .unwrap()
        .is_some());
    for late in [
        Duration::minutes(45) + Duration::seconds(1),
        Duration::hours(2),
    ] {
        let err = cache.get(&key("dev"), NOW + late).unwrap_err();
        assert!(matches!(err, CacheError::Expiring { .. }), "{err:?}");
        assert!(!err.is_warning());
        assert!(err.to_string().contains("2024-05-01T13:00:00Z"), "{err}");
    }
}

#[test]
fn different_keys_never_collide() {
    let parts: Vec<Vec<(&str, &str)>> = vec![
        vec![("profile", "dev")],
        vec![("profile", "prod")],
        vec![("profile", "dev"), ("region", "eu-west-1")],
        vec![("profile", "dev"), ("region", "")],
        vec![("region", "eu-west-1"), ("profile", "dev")],
        vec![("profile", "dev,region=eu-west-1")],
        vec![("profile", "d"), ("ev", "")],
        vec![("source_access_key_id", "AKIA1")],
        vec![("source_access_key_id", "AKIA2")],
    ];
    let keys: Vec<CacheKey> = parts
        .iter()
        .map(|p| CacheKey::new(p.iter().copied()))
        .collect();
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(k.hash().len(), 64);
        assert!(k.hash().bytes().all(|b| b.is_ascii_hexdigit()));
        let mut c = creds(Some(NOW + Duration::hours(1)));
        c.access_key_id = format!("ASIA{i}");
        cache.put(k, &c).unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(
            cache.get(k, NOW).unwrap().unwrap().access_key_id,
            format!("ASIA{i}")
        );
    }
    // File names are hashes only: nothing readable about the profile leaks.
    for e in fs::read_dir(tmp.path()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains("dev") && !name.contains("AKIA"), "{name}");
    }
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), keys.len());
}

#[test]
fn debug_and_display_show_no_secret() {
    let (_t, cache, path) = cache_with_entry();
    let got = cache.get(&key("dev"), NOW).unwrap().unwrap();
    assert_no_secret(&format!("{got:?} {cache:?} {:?}", key("dev")));
    chmod(&path, 0o640);
    let err = cache.get(&key("dev"), NOW).unwrap_err();
    assert_no_secret(&format!("{err} {err:?}"));
}

#[test]
fn cache_dir_precedence() {
    let all = Env::from_pairs([
        ("EKS_TOKEN_CACHE_DIR", "/env/cache"),
        ("XDG_CACHE_HOME", "/xdg"),
        ("HOME", "/home/u"),
    ]);
    let p = |s: &str| Some(PathBuf::from(s));
    assert_eq!(cache_dir(Some("/flag"), false, &all), p("/flag"));
    assert_eq!(cache_dir(None, false, &all), p("/env/cache"));
    assert_eq!(cache_dir(Some(""), false, &all), p("/env/cache"));
    let mut env = all.clone();
    env.remove("EKS_TOKEN_CACHE_DIR");
    assert_eq!(cache_dir(None, false, &env), p("/xdg/eks-token"));
    env.set("XDG_CACHE_HOME", "relative/xdg"); // the XDG spec says to ignore it
    assert_eq!(cache_dir(None, false, &env), p("/home/u/.cache/eks-token"));
    env.remove("XDG_CACHE_HOME");
    assert_eq!(cache_dir(None, false, &env), p("/home/u/.cache/eks-token"));
    assert_eq!(
        cache_dir(None, false, &Env::from_pairs([("USERPROFILE", "/up")])),
        p("/up/.cache/eks-token")
    );
    assert_eq!(
        cache_dir(None, false, &Env::from_pairs([("HOME", "rel")])),
        None
    );
    assert_eq!(cache_dir(None, false, &Env::default()), None);
    assert_eq!(cache::cache_dir_problem(Some("/flag"), false, &all), None);
    assert_eq!(cache::cache_dir_problem(None, false, &Env::default()), None);
    // Turned off: the flag or the variable win over any folder.
    assert_eq!(cache_dir(Some("/flag"), true, &all), None);
    for on in ["1", "true", "TRUE"] {
        let mut off = all.clone();
        off.set("EKS_TOKEN_NO_CACHE", on);
        assert_eq!(
            cache_dir(Some("/flag"), false, &off),
            None,
            "EKS_TOKEN_NO_CACHE={on}"
        );
    }
    for not in ["0", "", "false"] {
        let mut off = all.clone();
        off.set("EKS_TOKEN_NO_CACHE", not);
        assert_eq!(
            cache_dir(None, false, &off),
            p("/env/cache"),
            "EKS_TOKEN_NO_CACHE={not}"
        );
    }
}

#[test]
fn relative_cache_dir_turns_the_cache_off_with_a_reason() {
    // kubectl's working folder is anyone's guess: secrets must not land there.
    let env = Env::from_pairs([("EKS_TOKEN_CACHE_DIR", "eks-cache"), ("HOME", "/home/u")]);
    assert_eq!(cache_dir(None, false, &env), None);
    let why = cache::cache_dir_problem(None, false, &env).unwrap();
    assert!(
        why.contains("EKS_TOKEN_CACHE_DIR")
            && why.contains("eks-cache")
            && why.contains("absolute"),
        "{why}"
    );
    for flag in ["eks-cache", "./c", "../c", "~/c"] {
        let all = Env::from_pairs([("EKS_TOKEN_CACHE_DIR", "/env/cache"), ("HOME", "/home/u")]);
        // No falling back to the variable or HOME: the user's choice is off, and told so.
        assert_eq!(cache_dir(Some(flag), false, &all), None, "{flag}");
        let why = cache::cache_dir_problem(Some(flag), false, &all).unwrap();
        assert!(why.contains("--cache-dir") && why.contains(flag), "{why}");
    }
    // Turned off anyway: nothing to warn about.
    assert_eq!(cache::cache_dir_problem(Some("rel"), true, &env), None);
}

/// `dir`'s entries (`*.json`), and no temp file left behind.
fn json_entries(dir: &Path) -> usize {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "temp files left: {names:?}"
    );
    names.iter().filter(|n| n.ends_with(".json")).count()
}

#[test]
fn symlinked_entry_is_ignored_even_when_it_looks_valid_then_replaced() {
    // A valid entry for the same key, ours and 0600, in another folder; linked into the cache.
    let (_t, elsewhere, target) = cache_with_entry();
    let before = fs::read(&target).unwrap();
    assert!(elsewhere.get(&key("dev"), NOW).unwrap().is_some());
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    let path = cache.path(&key("dev"));
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let err = cache.get(&key("dev"), NOW).unwrap_err();
    assert!(
        matches!(err, CacheError::Invalid { .. }) && err.to_string().contains("symbolic link"),
        "{err:?}"
    );

    let log = Log::capture(true);
    let mut fresh = creds(Some(NOW + Duration::hours(2)));
    fresh.access_key_id = "ASIAFRESH".into();
    let got =
        cache::get_or_fetch(Some(&cache), &key("dev"), NOW, &log, || Ok(fresh.clone())).unwrap();
    assert_eq!(
        got.access_key_id, "ASIAFRESH",
        "fetched, not read through the link"
    );
    // The link itself was replaced by our entry; the file it pointed to is untouched.
    assert!(fs::symlink_metadata(&path).unwrap().file_type().is_file());
    assert_eq!(fs::read(&target).unwrap(), before);
    assert_eq!(
        cache.get(&key("dev"), NOW).unwrap().unwrap().access_key_id,
        "ASIAFRESH"
    );

    // A dangling link: ignored too, and nothing is created where it points.
    let nowhere = tmp.path().join("nowhere");
    let prod = cache.path(&key("prod"));
    std::os::unix::fs::symlink(&nowhere, &prod).unwrap();
    let err = cache.get(&key("prod"), NOW).unwrap_err();
    assert!(matches!(err, CacheError::Invalid { .. }), "{err:?}");
    assert!(!nowhere.exists());
}

#[test]
fn lock_file_is_private_per_key_and_never_followed() {
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    let log = Log::capture(true);
    let fresh = creds(Some(NOW + Duration::hours(1)));
    cache::get_or_fetch(Some(&cache), &key("dev"), NOW, &log, || Ok(fresh.clone())).unwrap();
    let lock = cache.lock_path(&key("dev"));
    assert_eq!(lock, tmp.path().join(format!("{}.lock", key("dev").hash())));
    assert_eq!(mode(&lock), 0o600);
    assert_eq!(fs::metadata(&lock).unwrap().len(), 0, "holds nothing");
    assert_ne!(cache.lock_path(&key("prod")), lock);

    // A lock file that is a symlink (here dangling) is not followed, nor created through:
    // the run goes on without the lock.
    let nowhere = tmp.path().join("nowhere");
    std::os::unix::fs::symlink(&nowhere, cache.lock_path(&key("prod"))).unwrap();
    let log = Log::capture(true);
    let got =
        cache::get_or_fetch(Some(&cache), &key("prod"), NOW, &log, || Ok(fresh.clone())).unwrap();
    assert_eq!(got, fresh);
    assert!(!nowhere.exists(), "created a file through the symlink");
    let lines = log.lines().join("\n");
    assert!(lines.contains("fetching without it"), "{lines}");
    assert!(
        cache.get(&key("prod"), NOW).unwrap().is_some(),
        "still cached"
    );
}

#[test]
fn different_keys_fetch_at_the_same_time() {
    // Key a's fetch (a slow credential_process, an MFA prompt) waits until key b's fetch runs:
    // if b had to wait for a's lock, a's wait would time out instead.
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let cache = &cache;
    std::thread::scope(|s| {
        let a = s.spawn(move || {
            let log = Log::capture(true);
            let mut released = false;
            cache::get_or_fetch(Some(cache), &key("a"), NOW, &log, || {
                started_tx.send(()).unwrap();
                released = release_rx.recv_timeout(StdDuration::from_secs(10)).is_ok();
                Ok(creds(Some(NOW + Duration::hours(1))))
            })
            .unwrap();
            released
        });
        started_rx.recv().unwrap();
        let log = Log::capture(true);
        cache::get_or_fetch(Some(cache), &key("b"), NOW, &log, || {
            let _ = release_tx.send(());
            Ok(creds(Some(NOW + Duration::hours(1))))
        })
        .unwrap();
        assert!(
            a.join().unwrap(),
            "key b's fetch ran only after key a's had finished"
        );
    });
    assert_eq!(json_entries(tmp.path()), 2);
}

#[test]
fn same_key_fetches_once_while_others_wait() {
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let first = creds(Some(NOW + Duration::hours(1)));
    let (cache, first) = (&cache, &first);
    std::thread::scope(|s| {
        let a = s.spawn(move || {
            let log = Log::capture(true);
            cache::get_or_fetch(Some(cache), &key("dev"), NOW, &log, || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                Ok(first.clone())
            })
            .unwrap()
        });
        started_rx.recv().unwrap();
        let b = s.spawn(|| {
            let log = Log::capture(true);
            let got = cache::get_or_fetch(Some(cache), &key("dev"), NOW, &log, || {
                panic!("fetched while another run was fetching the same key")
            })
            .unwrap();
            (got, log.lines().join("\n"))
        });
        // Give b the time to reach the lock before a finishes (not needed to pass).
        std::thread::sleep(StdDuration::from_millis(200));
        release_tx.send(()).unwrap();
        assert_eq!(&a.join().unwrap(), first);
        let (got, lines) = b.join().unwrap();
        assert_eq!(got.access_key_id, first.access_key_id);
        assert!(lines.contains("after waiting"), "{lines}");
    });
}

#[test]
fn extreme_expiry_never_panics() {
    // In UTC this is year 10000, which `to_offset(UTC)` cannot represent and panics on.
    let far = datetime!(9999-12-31 23:00:00 -5);
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    cache.put(&key("dev"), &creds(Some(far))).unwrap();
    let got = cache.get(&key("dev"), NOW).unwrap().unwrap();
    assert_eq!(got.expiry, Some(far));
    // Close to it: ignored as expiring, and the message names the time.
    let err = cache
        .get(&key("dev"), datetime!(9999-12-31 22:50:00 -5))
        .unwrap_err();
    assert!(matches!(err, CacheError::Expiring { .. }), "{err:?}");
    assert!(
        err.to_string().contains("9999-12-31T23:00:00-05:00"),
        "{err}"
    );
    // Through get_or_fetch, whose debug lines show the expiry: a miss that caches, then a hit.
    let log = Log::capture(true);
    for k in ["a", "a"] {
        let c =
            cache::get_or_fetch(Some(&cache), &key(k), NOW, &log, || Ok(creds(Some(far)))).unwrap();
        assert_eq!(c.expiry, Some(far));
    }
    let lines = log.lines().join("\n");
    assert!(lines.contains("cache hit"), "{lines}");
}

#[test]
fn get_or_fetch_misses_then_hits() {
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    let log = Log::capture(true);
    let fresh = creds(Some(NOW + Duration::hours(1)));
    let first =
        cache::get_or_fetch(Some(&cache), &key("dev"), NOW, &log, || Ok(fresh.clone())).unwrap();
    assert_eq!(first, fresh);
    let second = cache::get_or_fetch(
        Some(&cache),
        &key("dev"),
        NOW + Duration::minutes(10),
        &log,
        || panic!("must not fetch on a hit"),
    )
    .unwrap();
    assert_eq!(second.secret_access_key.expose(), SECRET);
    let lines = log.lines().join("\n");
    assert!(
        lines.contains("cache miss") && lines.contains("cached in") && lines.contains("cache hit"),
        "{lines}"
    );
    assert_no_secret(&lines);

    // Near expiry: fetched again, and the new credentials replace the entry.
    let mut newer = creds(Some(NOW + Duration::hours(3)));
    newer.access_key_id = "ASIANEWER".into();
    let late = NOW + Duration::minutes(50);
    let third =
        cache::get_or_fetch(Some(&cache), &key("dev"), late, &log, || Ok(newer.clone())).unwrap();
    assert_eq!(third.access_key_id, "ASIANEWER");
    assert_eq!(
        cache.get(&key("dev"), late).unwrap().unwrap().access_key_id,
        "ASIANEWER"
    );
}

#[test]
fn get_or_fetch_without_cache_errors_and_unsafe_entries() {
    let log = Log::capture(true);
    // No cache: just fetch, errors pass through untouched.
    let err = Error::credentials("profile 'dev'", "AccessDenied");
    let got = cache::get_or_fetch(None, &key("dev"), NOW, &log, || Err(err.clone()));
    assert_eq!(got, Err(err.clone()));

    // An unsafe entry: a warning, then fetched and replaced.
    let (_t, cache, path) = cache_with_entry();
    chmod(&path, 0o604);
    let log = Log::capture(false);
    let c = cache::get_or_fetch(Some(&cache), &key("dev"), NOW, &log, || {
        Ok(creds(Some(NOW + Duration::hours(2))))
    })
    .unwrap();
    assert_eq!(c.expiry, Some(NOW + Duration::hours(2)));
    assert_eq!(log.lines().len(), 1, "{:?}", log.lines());
    assert!(
        log.lines()[0].starts_with("warning: credential cache"),
        "{:?}",
        log.lines()
    );
    assert_eq!(mode(&path), 0o600);

    // Credentials too close to expiry, or with none, are not written.
    let tmp = tempdir();
    let cache = Cache::open(tmp.path()).unwrap();
    for exp in [Some(NOW + Duration::minutes(14)), None] {
        cache::get_or_fetch(Some(&cache), &key("dev"), NOW, &log, || Ok(creds(exp))).unwrap();
        assert_eq!(json_entries(tmp.path()), 0);
    }
}

// --- Concurrency: 20 threads, then 20 processes, writing and reading one entry at once. ---

const WORKERS: usize = 20;
const ROUNDS: usize = 100;
const CHILD_DIR: &str = "EKS_TOKEN_TEST_CACHE_CHILD_DIR";
const CHILD_ID: &str = "EKS_TOKEN_TEST_CACHE_CHILD_ID";
const CHILD_START: &str = "EKS_TOKEN_TEST_CACHE_CHILD_START_MS";

/// Worker `w`'s credentials; big (like real session tokens) so a torn write would show.
fn worker_creds(w: usize) -> Credentials {
    Credentials {
        access_key_id: format!("ASIAWORKER{w:02}"),
        secret_access_key: Secret::new(format!("secret-of-{w:02}")),
        session_token: Some(Secret::new(format!("{w:02}").repeat(2048))),
        expiry: Some(NOW + Duration::hours(1)),
        source: format!("worker {w}"),
    }
}

/// Writes and reads the shared entry; every read must be nothing or one worker's whole entry.
fn work(dir: &Path, w: usize) {
    let cache = Cache::open(dir).unwrap();
    let shared = CacheKey::new([("test", "concurrency")]);
    for round in 0..ROUNDS {
        if (round + w).is_multiple_of(2) {
            cache.put(&shared, &worker_creds(w)).unwrap();
        }
        match cache.get(&shared, NOW) {
            Ok(None) => {}
            Ok(Some(c)) => {
                let n: usize = c
                    .access_key_id
                    .trim_start_matches("ASIAWORKER")
                    .parse()
                    .unwrap();
                let want = worker_creds(n);
                assert_eq!(
                    c.secret_access_key, want.secret_access_key,
                    "worker {w} round {round}"
                );
                assert_eq!(
                    c.session_token, want.session_token,
                    "worker {w} round {round}"
                );
                assert_eq!(c.source, format!("{} (cached)", want.source));
            }
            Err(e) => panic!("worker {w} round {round}: {e}"),
        }
    }
}

fn assert_settled(dir: &Path) {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "temp files left behind: {names:?}");
    assert!(Cache::open(dir)
        .unwrap()
        .get(&CacheKey::new([("test", "concurrency")]), NOW)
        .unwrap()
        .is_some());
}

#[test]
fn concurrent_threads_never_see_a_torn_entry() {
    let tmp = tempdir();
    let dir = tmp.path().join("cache");
    let barrier = std::sync::Barrier::new(WORKERS);
    std::thread::scope(|s| {
        for w in 0..WORKERS {
            let (dir, barrier) = (&dir, &barrier);
            s.spawn(move || {
                barrier.wait();
                work(dir, w);
            });
        }
    });
    assert_settled(&dir);
}

#[test]
fn concurrent_processes_never_see_a_torn_entry() {
    let tmp = tempdir();
    let dir = tmp.path().join("cache");
    let exe = std::env::current_exe().unwrap();
    // Start together: each child waits for the same wall-clock moment.
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 500;
    let children: Vec<_> = (0..WORKERS)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "child_cache_worker",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_DIR, &dir)
                .env(CHILD_ID, w.to_string())
                .env(CHILD_START, start.to_string())
                .output_async()
        })
        .collect();
    for (w, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child {w} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("1 passed"),
            "child {w} did not run the worker: {text}"
        );
    }
    assert_settled(&dir);
}

/// The body of one process in `concurrent_processes_never_see_a_torn_entry`; does nothing unless
/// started by it (the variables below are set).
#[test]
fn child_cache_worker() {
    let (Ok(dir), Ok(w), Ok(start)) = (
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_ID),
        std::env::var(CHILD_START),
    ) else {
        return;
    };
    let start: u128 = start.parse().unwrap();
    while SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        < start
    {
        std::thread::sleep(StdDuration::from_millis(1));
    }
    work(Path::new(&dir), w.parse().unwrap());
}

trait SpawnPiped {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnPiped for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
