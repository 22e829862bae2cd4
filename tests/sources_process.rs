//! `credential_process`: real helper scripts in a temporary folder.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eks_token::credentials::process;
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2024-01-01 00:00 UTC);
const GOOD: &str = r#"{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "procSECRET", "SessionToken": "procTOKEN", "Expiration": "2024-01-01T01:00:00Z"}"#;

/// Writes an executable `/bin/sh` script.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn run(command: &str) -> eks_token::Result<eks_token::credentials::Credentials> {
    process::resolve("dev", command, Duration::from_secs(10), NOW)
}

#[test]
fn a_helper_in_a_folder_with_spaces_gets_its_arguments_unsplit() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("my tools");
    std::fs::create_dir(&sub).unwrap();
    // Prints the credentials only when called with exactly the two expected arguments.
    let helper = script(
        &sub,
        "helper",
        &format!(
            "[ \"$#\" = 2 ] && [ \"$1\" = 'a b' ] && [ \"$2\" = 'c\"d' ] || exit 3\ncat <<'JSON'\n{GOOD}\nJSON"
        ),
    );
    let command = format!("\"{}\" 'a b' \"c\\\"d\"", helper.display());
    let c = run(&command).unwrap();
    assert_eq!(c.access_key_id, "AKIDPROC");
    assert_eq!(c.secret_access_key.expose(), "procSECRET");
    assert_eq!(c.session_token.unwrap().expose(), "procTOKEN");
    assert_eq!(c.expiry, Some(datetime!(2024-01-01 01:00 UTC)));
    assert_eq!(c.source, "credential_process in profile 'dev'");
}

#[test]
fn stdin_is_closed_and_no_shell_interprets_the_line() {
    let dir = tempfile::tempdir().unwrap();
    // `read` fails at once on a closed stdin; a shell would have expanded `$HOME` and `;`.
    let helper = script(
        dir.path(),
        "h",
        &format!("if read line; then exit 4; fi\n[ \"$1\" = '$HOME;' ] || exit 5\necho '{GOOD}'"),
    );
    assert!(run(&format!("{} '$HOME;'", helper.display())).is_ok());
}

#[test]
fn failures_are_clear_and_never_echo_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"leakedSECRET\"}'; exit 2", "exit status 2"),
        ("echo 'leakedSECRET is not json'", "not valid JSON"),
        ("echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"leakedSECRET\"}'", "unsupported Version 2"),
        ("echo '{\"Version\":1,\"SecretAccessKey\":\"leakedSECRET\"}'", "no \"AccessKeyId\""),
        (
            "echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"leakedSECRET\",\"Expiration\":\"2020-01-01T00:00:00Z\"}'",
            "expired at 2020-01-01T00:00:00Z",
        ),
        ("head -c 70000 /dev/zero | tr '\\0' x", "more than 64 KiB"),
        ("kill -9 $$", "signal"),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let helper = script(dir.path(), &format!("h{i}"), body);
        let err = run(&helper.display().to_string()).unwrap_err().to_string();
        assert!(
            err.starts_with("credential_process in profile 'dev': "),
            "{err}"
        );
        assert!(err.contains(want), "{body}: {err}");
        assert!(!err.contains("leakedSECRET"), "{err}");
    }
}

#[test]
fn missing_program_and_bad_quoting() {
    let err = run("/nonexistent/helper --flag secret-arg")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot run '/nonexistent/helper'"), "{err}");
    assert!(
        !err.contains("secret-arg"),
        "only the program is named: {err}"
    );
    let err = run("helper \"unclosed").unwrap_err().to_string();
    assert!(err.contains("double quote"), "{err}");
    let err = run("   ").unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn a_hung_helper_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let helper = script(
        dir.path(),
        "slow",
        &format!("echo $$ > '{}'\nexec sleep 30", pid_file.display()),
    );
    let started = Instant::now();
    let err = process::resolve(
        "slow",
        &helper.display().to_string(),
        Duration::from_millis(300),
        NOW,
    )
    .unwrap_err()
    .to_string();
    let took = started.elapsed();
    assert!(err.contains("did not finish within 0.3 s"), "{err}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The helper is gone (killed and reaped), not left running.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists() || cfg!(not(target_os = "linux"))
    );
}

#[test]
fn the_helpers_stderr_is_not_captured() {
    let dir = tempfile::tempdir().unwrap();
    // Inherited: this line shows in the test's output (a pipe nobody read could block it).
    let helper = script(
        dir.path(),
        "noisy",
        &format!("echo 'sources_process: helper stderr passes through' >&2\necho '{GOOD}'"),
    );
    assert!(run(&helper.display().to_string()).is_ok());
}

#[test]
fn default_timeout_and_cap() {
    assert_eq!(process::DEFAULT_TIMEOUT, Duration::from_secs(60));
    assert_eq!(process::MAX_OUTPUT, 64 * 1024);
}
