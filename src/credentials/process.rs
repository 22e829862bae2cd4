//! `credential_process`: run a helper command and read credentials from its standard output.
//!
//! The command line is split like the AWS CLI does on Linux and macOS (Python's `shlex.split`:
//! whitespace separates words, single quotes are literal, double quotes allow `\"` and `\\`,
//! a backslash outside quotes escapes the next character) and run directly, with no shell.
//! Standard input is closed, standard error goes straight to ours (the helper's prompts and
//! errors stay visible), standard output is captured up to [`MAX_OUTPUT`] bytes. A helper that
//! runs past its timeout is killed (only the helper itself: without a process group, children it
//! started may live on). Errors name the profile and never echo the output: it holds secrets.

use std::io::{self, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::text::{clean, json_text};
use crate::timestamp::rfc3339;

/// Long enough for a helper that asks for MFA or opens a browser; short enough that a hung
/// helper does not hang kubectl for good.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Credentials JSON is well under 4 KiB; more than this is not a credentials document.
pub const MAX_OUTPUT: usize = 64 * 1024;

fn source(profile: &str) -> String {
    format!("credential_process in profile '{profile}'")
}

/// Runs `command` (the profile's `credential_process`) and parses what it prints.
pub fn resolve(
    profile: &str,
    command: &str,
    timeout: Duration,
    now: OffsetDateTime,
) -> Result<Credentials> {
    let fail = |why: String| Error::credentials(source(profile), why);
    let argv =
        split_command(command).map_err(|why| fail(format!("cannot parse the command: {why}")))?;
    let Some((program, args)) = argv.split_first() else {
        return Err(fail("the command is empty".into()));
    };
    let output = run(program, args, timeout).map_err(fail)?;
    parse_output(profile, &output, now)
}

/// Runs the helper; `Err` is a finished message.
fn run(program: &str, args: &[String], timeout: Duration) -> std::result::Result<Vec<u8>, String> {
    let spawn = || {
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
    };
    // "Text file busy" (ETXTBSY): the helper was just written and another process still holds
    // it open for writing (an update, or a fork racing the write). It clears within moments.
    let mut attempt = spawn();
    for _ in 0..10 {
        match &attempt {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(Duration::from_millis(20));
                attempt = spawn();
            }
            _ => break,
        }
    }
    let mut child = attempt.map_err(|e| format!("cannot run '{program}': {e}"))?;
    // Capped so that no flag value can overflow the clock arithmetic.
    let deadline = Instant::now() + timeout.min(Duration::from_secs(24 * 3600));
    let (tx, rx) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let _ = tx.send(read_capped(stdout, MAX_OUTPUT));
        });
    }
    let status =
        wait_until(&mut child, deadline).map_err(|e| format!("waiting for '{program}': {e}"))?;
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "'{program}' did not finish within {} s and was stopped",
            timeout.as_secs_f64()
        ));
    };
    if !status.success() {
        return Err(format!(
            "'{program}' failed ({}); its error output, if any, is above",
            describe_status(status)
        ));
    }
    // The helper has exited; a background child of it could still hold the pipe open.
    let wait = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(500));
    match rx.recv_timeout(wait) {
        Ok(Ok(Captured::All(out))) => Ok(out),
        Ok(Ok(Captured::TooLong)) => Err(format!(
            "'{program}' printed more than {} KiB; a credentials document is far smaller",
            MAX_OUTPUT / 1024
        )),
        Ok(Err(e)) => Err(format!("cannot read the output of '{program}': {e}")),
        Err(_) => Err(format!(
            "'{program}' exited but its output stayed open (a process it started still holds it)"
        )),
    }
}

/// Polls the child until it exits (`Some`) or the deadline passes (`None`).
fn wait_until(
    child: &mut std::process::Child,
    deadline: Instant,
) -> io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => format!("{status}"),
    }
}

enum Captured {
    All(Vec<u8>),
    TooLong,
}

/// Reads everything, keeping at most `cap` bytes. Past the cap it keeps draining, so the helper
/// is not left blocked on a full pipe.
fn read_capped(mut r: impl Read, cap: usize) -> io::Result<Captured> {
    let mut out = Vec::new();
    (&mut r).take(cap as u64 + 1).read_to_end(&mut out)?;
    if out.len() <= cap {
        return Ok(Captured::All(out));
    }
    io::copy(&mut r, &mut io::sink())?;
    Ok(Captured::TooLong)
}

/// Parses the helper's output: `{"Version": 1, "AccessKeyId", "SecretAccessKey",
/// "SessionToken"?, "Expiration"?, "AccountId"?}`. Credentials that have expired are an error.
pub fn parse_output(profile: &str, stdout: &[u8], now: OffsetDateTime) -> Result<Credentials> {
    let fail = |why: String| Error::credentials(source(profile), why);
    let v: serde_json::Value = serde_json::from_slice(stdout).map_err(|e| {
        fail(format!(
            "its output is not valid JSON (line {}, column {}); expected {{\"Version\": 1, \
             \"AccessKeyId\": …, \"SecretAccessKey\": …}}",
            e.line(),
            e.column()
        ))
    })?;
    if !v.is_object() {
        return Err(fail("its output is not a JSON object".into()));
    }
    match v.get("Version") {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(1) => {}
        None => return Err(fail("its output has no \"Version\" (must be 1)".into())),
        Some(serde_json::Value::Number(n)) => {
            return Err(fail(format!(
                "unsupported Version {n} (only 1 is supported)"
            )))
        }
        Some(_) => return Err(fail("\"Version\" must be the number 1".into())),
    }
    let text = |name: &str| {
        json_text(v.get(name))
            .map_err(|()| fail(format!("\"{name}\" in its output is not a string")))
    };
    let required = |name: &str| -> Result<&str> {
        text(name)?.ok_or_else(|| fail(format!("its output has no \"{name}\"")))
    };
    let access_key_id = required("AccessKeyId")?;
    let secret = required("SecretAccessKey")?;
    let mut creds = Credentials::new(access_key_id, secret);
    creds.session_token = text("SessionToken")?.map(Secret::new);
    if let Some(expiration) = text("Expiration")? {
        let expiry = OffsetDateTime::parse(expiration, &Rfc3339).map_err(|_| {
            fail(format!(
                "\"Expiration\" '{}' is not an RFC 3339 time like 2024-01-31T12:00:00Z",
                clean(expiration)
            ))
        })?;
        if expiry <= now {
            return Err(fail(format!(
                "it returned credentials that expired at {}",
                rfc3339(expiry)
            )));
        }
        creds.expiry = Some(expiry);
    }
    text("AccountId")?;
    creds.source = source(profile);
    Ok(creds)
}

/// Splits a command line the way Python's `shlex.split` does (POSIX mode, no comments).
pub fn split_command(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(next) => word.push(next),
                    None => return Err("it ends with a lone backslash".into()),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err("a single quote (') is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // Inside double quotes a backslash escapes only `"` and `\`.
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err("a double quote (\") is not closed".into()),
                        },
                        Some(x) => word.push(x),
                        None => return Err("a double quote (\") is not closed".into()),
                    }
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-01-01 00:00 UTC);

    fn split(s: &str) -> Vec<String> {
        split_command(s).unwrap()
    }

    #[test]
    fn splitting_matches_python_shlex() {
        // Expected values are what Python 3's shlex.split returns for each input.
        assert_eq!(
            split("aws-vault export --format=json dev"),
            ["aws-vault", "export", "--format=json", "dev"]
        );
        assert_eq!(split("  a \t b\n"), ["a", "b"]);
        assert_eq!(
            split(r#""/opt/my tools/helper" --x"#),
            ["/opt/my tools/helper", "--x"]
        );
        assert_eq!(split(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(
            split(r#"echo 'it''s' "q\"uote" "back\\slash" "keep\n""#),
            ["echo", "its", "q\"uote", "back\\slash", "keep\\n"]
        );
        assert_eq!(split(r"a\ b c\\d \x"), ["a b", "c\\d", "x"]);
        assert_eq!(split(r#"a "" ''"#), ["a", "", ""]);
        assert_eq!(
            split("'single \"keeps\" \\ all'"),
            ["single \"keeps\" \\ all"]
        );
        assert_eq!(split("a#b # c"), ["a#b", "#", "c"]);
        assert_eq!(split(""), Vec::<String>::new());
    }

    #[test]
    fn splitting_errors() {
        assert!(split_command("a 'b").unwrap_err().contains("single quote"));
        assert!(split_command("a \"b").unwrap_err().contains("double quote"));
        assert!(split_command("a \"b\\")
            .unwrap_err()
            .contains("double quote"));
        assert!(split_command("a b\\").unwrap_err().contains("backslash"));
    }

    #[test]
    fn parses_the_documented_shape() {
        let out = br#"{"Version": 1, "AccessKeyId": "AKIDP", "SecretAccessKey": "sekritP",
            "SessionToken": "tokP", "Expiration": "2024-01-01T01:00:00+00:00", "AccountId": "123456789012"}"#;
        let c = parse_output("dev", out, NOW).unwrap();
        assert_eq!(c.access_key_id, "AKIDP");
        assert_eq!(c.secret_access_key.expose(), "sekritP");
        assert_eq!(c.session_token.unwrap().expose(), "tokP");
        assert_eq!(c.expiry, Some(datetime!(2024-01-01 01:00 UTC)));
        assert_eq!(c.source, "credential_process in profile 'dev'");

        let c = parse_output(
            "dev",
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}"#,
            NOW,
        )
        .unwrap();
        assert_eq!((c.session_token, c.expiry), (None, None));
    }

    #[test]
    fn bad_output_errors_name_the_profile_and_hide_the_output() {
        let cases: &[(&str, &str)] = &[
            ("sekrit", "not valid JSON"),
            ("[\"sekrit\"]", "not a JSON object"),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":"sekrit"}"#,
                "no \"Version\"",
            ),
            (
                r#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"sekrit"}"#,
                "unsupported Version 2",
            ),
            (
                r#"{"Version":"1","AccessKeyId":"A","SecretAccessKey":"sekrit"}"#,
                "must be the number 1",
            ),
            (
                r#"{"Version":1,"SecretAccessKey":"sekrit"}"#,
                "no \"AccessKeyId\"",
            ),
            (
                r#"{"Version":1,"AccessKeyId":"sekrit"}"#,
                "no \"SecretAccessKey\"",
            ),
            (
                r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":7}"#,
                "not a string",
            ),
            (
                r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"sekrit","Expiration":"tomorrow"}"#,
                "not an RFC 3339",
            ),
            (
                r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"sekrit","Expiration":"2023-12-31T23:59:59Z"}"#,
                "expired at 2023-12-31T23:59:59Z",
            ),
        ];
        for (out, want) in cases {
            let err = parse_output("work", out.as_bytes(), NOW)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("credential_process in profile 'work': "),
                "{err}"
            );
            assert!(err.contains(want), "{out}: {err}");
            assert!(!err.contains("sekrit"), "{err}");
        }
    }

    #[test]
    fn capped_reading() {
        let data = [b'x'; 100];
        assert!(matches!(read_capped(&data[..], 100).unwrap(), Captured::All(v) if v.len() == 100));
        assert!(matches!(
            read_capped(&data[..], 99).unwrap(),
            Captured::TooLong
        ));
    }
}
