//! What the AWS suites do not cover: line endings, BOM, origins, our comment rule, error texts
//! (located, value-free), file location and loading, and totality on garbage.

use super::*;
use std::collections::HashMap;
use std::io;

const CONFIG: &str = include_str!("../../testdata/profile/config");
const CREDENTIALS: &str = include_str!("../../testdata/profile/credentials");
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn cfg(text: &str) -> Result<ProfileSet> {
    parse(Some((Path::new("/h/.aws/config"), text)), None)
}

fn fixture() -> ProfileSet {
    parse(
        Some((Path::new("/h/.aws/config"), CONFIG)),
        Some((Path::new("/h/.aws/credentials"), CREDENTIALS)),
    )
    .unwrap()
}

fn line_of(e: Error) -> (PathBuf, usize, String) {
    match e {
        Error::ConfigFile { path, line, why } => (path, line, why),
        other => panic!("not a ConfigFile error: {other:?}"),
    }
}

#[test]
fn fixture_reads_as_the_docs_describe() {
    let set = fixture();
    let default = &set.profiles["default"];
    assert_eq!(default.get("region"), Some("us-west-2"));
    assert_eq!(default.get("aws_access_key_id"), Some("AKIDEXAMPLE"));
    let dev = &set.profiles["dev"];
    assert_eq!(dev.get("services"), Some("local-endpoints")); // indented comment not appended
    assert_eq!(dev.get("region"), Some("eu-west-1")); // from credentials
    assert_eq!(
        set.sso_sessions["my-sso"].get("sso_region"),
        Some("us-east-1")
    );
    let svc = &set.services["local-endpoints"];
    assert_eq!(
        svc.sub("sts", "endpoint_url"),
        Some("http://localhost:4566")
    );
    assert_eq!(svc.sub("S3", "Addressing_Style"), Some("path"));
    assert_eq!(
        svc.sub_keys("s3").unwrap().collect::<Vec<_>>(),
        ["addressing_style", "endpoint_url"]
    );
    assert!(svc.sub_keys("nope").is_none() && dev.sub_keys("services").is_none());
    // Quotes and backslashes are data, not syntax (rust-ini unescaped them).
    assert_eq!(
        set.profiles["admin"].get("credential_process"),
        Some(r#"/opt/bin/creds --arg "quoted \value""#)
    );
    assert_eq!(
        set.profiles.keys().collect::<Vec<_>>(),
        ["admin", "default", "dev"]
    );
}

#[test]
fn origins_point_at_the_defining_line_and_credentials_win() {
    let set = fixture();
    let default = &set.profiles["default"];
    let at = |p: &str, l| {
        Some(Origin {
            path: p.into(),
            line: l,
        })
    };
    assert_eq!(default.origin("region").cloned(), at("/h/.aws/config", 3));
    assert_eq!(
        default.origin("AWS_SECRET_ACCESS_KEY").cloned(),
        at("/h/.aws/credentials", 3)
    );
    assert_eq!(
        set.services["local-endpoints"].origin("s3").cloned(),
        at("/h/.aws/config", 22)
    );
    let both = parse(
        Some((Path::new("c"), "[profile p]\nregion = a\n")),
        Some((Path::new("k"), "\n[p]\nregion = b\n")),
    )
    .unwrap();
    assert_eq!(both.profiles["p"].get("region"), Some("b"));
    assert_eq!(both.profiles["p"].origin("region").cloned(), at("k", 3));
}

#[test]
fn crlf_and_bom_read_like_plain_lf() {
    let lf = fixture();
    let crlf = |t: &str| t.replace('\n', "\r\n");
    let bom = |t: &str| format!("\u{feff}{t}");
    for (c, k) in [
        (crlf(CONFIG), crlf(CREDENTIALS)),
        (bom(CONFIG), bom(CREDENTIALS)),
        (bom(&crlf(CONFIG)), crlf(CREDENTIALS)),
    ] {
        let got = parse(
            Some((Path::new("/h/.aws/config"), &c)),
            Some((Path::new("/h/.aws/credentials"), &k)),
        )
        .unwrap();
        assert_eq!(got, lf);
    }
    // A final line with CR and no LF, and a BOM before a comment.
    let set = cfg("\u{feff}# c\r\n[profile a]\r\nk = v\r").unwrap();
    assert_eq!(set.profiles["a"].get("k"), Some("v"));
}

#[test]
fn indented_comments_are_comments_everywhere() {
    let set =
        cfg("[profile a]\n  # note\nk = v\n\t; note\n  more\n  # note\ns3 =\n  # n\n  x = 1\n")
            .unwrap();
    let a = &set.profiles["a"];
    assert_eq!(a.get("k"), Some("v\nmore"));
    assert_eq!(a.sub("s3", "x"), Some("1"));
}

#[test]
fn errors_name_file_line_and_fix_but_never_values() {
    let cases = [
        ("k = v", 1, "add a [profile NAME] line"),
        ("[profile a]\n\n[profile b", 3, "must end with ']'"),
        ("[profile a] trailing", 1, "must end with ']'"),
        ("[profile a]\n  cont", 2, "remove its leading whitespace"),
        (
            "[profile a]\nk = v\n[profile a]\n  cont",
            4,
            "continues no setting",
        ),
        ("[profile a]\nSECRETSECRET", 2, "expected 'key = value'"),
        ("[profile a]\n= SECRETSECRET", 2, "no key before '='"),
        (
            "[profile a]\ns3 =\n  SECRETSECRET",
            3,
            "under 's3 =' are its sub-settings",
        ),
        (
            "[profile a]\ns3 =\n  = SECRETSECRET",
            3,
            "sub-setting has no name",
        ),
        ("[ignored]\nSECRETSECRET", 2, "expected 'key = value'"), // even in skipped sections
    ];
    for (text, line, fix) in cases {
        let e = cfg(text).unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("/h/.aws/config:{line}: ")),
            "{shown}"
        );
        assert!(shown.contains(fix), "{shown}");
        assert!(
            !shown.contains("SECRET") && !format!("{e:?}").contains("SECRET"),
            "{shown}"
        );
    }
    let e = parse(None, Some((Path::new("/h/creds"), "k = v"))).unwrap_err();
    assert_eq!(
        line_of(e),
        (
            "/h/creds".into(),
            1,
            "line is outside any section; add a [NAME] line above it".into()
        )
    );
}

#[test]
fn debug_output_has_names_not_values() {
    let shown = format!("{:?}", fixture());
    assert!(shown.contains("aws_secret_access_key"));
    assert!(!shown.contains(SECRET) && !shown.contains("AKIDEXAMPLE"));
}

/// Parsing is total: any bytes give a set or a located error, never a panic or a line 0.
#[test]
fn garbage_never_panics() {
    let check = |text: &str| {
        if let Err(e) = cfg(text) {
            assert!(line_of(e).1 >= 1);
        }
        let _ = parse(None, Some((Path::new("k"), text)));
    };
    // Every prefix of the fixture (on char boundaries) and of its CRLF form.
    for t in [CONFIG.to_string(), CONFIG.replace('\n', "\r\n")] {
        for (i, _) in t.char_indices() {
            check(&t[..i]);
        }
    }
    // Random bytes over an alphabet rich in syntax, plus arbitrary UTF-8 (xorshift: no dep).
    let alphabet =
        b"[]=#; \t\r\n\\\"'profile default sso-session services ab\xef\xbb\xbf\xf0\x9f\x98\x82";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3000 {
        let mut bytes = vec![];
        for _ in 0..(x % 200) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let r = (x >> 32) as usize;
            bytes.push(if r.is_multiple_of(4) {
                (r >> 8) as u8
            } else {
                alphabet[r % alphabet.len()]
            });
        }
        check(&String::from_utf8_lossy(&bytes));
    }
    // Huge: long lines, many continuations, many sections.
    let mut big = String::from("[profile a]\nk = ");
    big.push_str(&"x".repeat(1 << 20));
    big.push_str(&"\n  more".repeat(50_000));
    big.push_str(&"\n[profile b]\ns =\n  y = 1".repeat(20_000));
    let set = cfg(&big).unwrap();
    assert_eq!(
        set.profiles["a"].get("k").map(str::len),
        Some((1 << 20) + 50_000 * 5)
    );
}

#[test]
fn locate_follows_env_and_expands_tilde() {
    let env = |pairs: &[(&str, &str)]| Env::from_pairs(pairs.iter().copied());
    let files = |c: &str, k: &str| Files {
        config: c.into(),
        credentials: k.into(),
    };
    let home = [("HOME", "/home/u")];
    assert_eq!(
        locate(&env(&home)).unwrap(),
        files("/home/u/.aws/config", "/home/u/.aws/credentials")
    );
    let e = env(&[
        ("HOME", "/home/u"),
        ("AWS_CONFIG_FILE", "~/c"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~"),
    ]);
    assert_eq!(locate(&e).unwrap(), files("/home/u/c", "/home/u"));
    // `~user/` and a `~` inside the path are not ours to expand.
    let e = env(&[
        ("AWS_CONFIG_FILE", "~bob/c"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/a/~/k"),
    ]);
    assert_eq!(locate(&e).unwrap(), files("~bob/c", "/a/~/k"));
    // USERPROFILE stands in for HOME; empty HOME counts as unset.
    let e = env(&[("HOME", ""), ("USERPROFILE", "/p")]);
    assert_eq!(
        locate(&e).unwrap(),
        files("/p/.aws/config", "/p/.aws/credentials")
    );
    // No home and a path that needs one: say which, and how to fix it.
    let e = locate(&env(&[("AWS_CONFIG_FILE", "/c")])).unwrap_err();
    assert!(matches!(e, Error::Invalid { .. }));
    assert_eq!(
        e.to_string(),
        "~/.aws/credentials: needs the home folder, but HOME is not set; set HOME, or set \
         AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE to full paths"
    );
}

/// An in-memory `Fs`: a path maps to a text, or to an I/O error kind.
struct MemFs(HashMap<PathBuf, std::result::Result<String, io::ErrorKind>>);

impl Fs for MemFs {
    fn read_to_string(&self, path: &Path) -> io::Result<Option<String>> {
        match self.0.get(path) {
            None => Ok(None),
            Some(Ok(t)) => Ok(Some(t.clone())),
            Some(Err(k)) => Err(io::Error::from(*k)),
        }
    }
}

#[test]
fn load_reads_both_missing_is_empty_unreadable_is_io() {
    let env = Env::from_pairs([("HOME", "/h")]);
    let fs = |files: Vec<(&str, std::result::Result<&str, io::ErrorKind>)>| {
        MemFs(
            files
                .into_iter()
                .map(|(p, t)| (p.into(), t.map(String::from)))
                .collect(),
        )
    };
    let both = fs(vec![
        ("/h/.aws/config", Ok(CONFIG)),
        ("/h/.aws/credentials", Ok(CREDENTIALS)),
    ]);
    let loaded = load(&env, &both).unwrap();
    let files = loaded.files.clone().unwrap();
    assert_eq!(files.credentials, PathBuf::from("/h/.aws/credentials"));
    assert_eq!(
        ProfileSet {
            files: None,
            ..loaded
        },
        fixture()
    );
    let empty = load(&env, &fs(vec![])).unwrap();
    assert_eq!(
        ProfileSet {
            files: None,
            ..empty
        },
        ProfileSet::default()
    );
    // No home folder: no files, and no error (environment keys still work).
    let none = load(&Env::default(), &both).unwrap();
    assert_eq!(none, ProfileSet::default());
    assert!(none.describe_files().contains("HOME is not set"));
    let only_creds = fs(vec![("/h/.aws/credentials", Ok(CREDENTIALS))]);
    assert_eq!(
        load(&env, &only_creds).unwrap().profiles["dev"].get("region"),
        Some("eu-west-1")
    );
    let denied = fs(vec![(
        "/h/.aws/credentials",
        Err(io::ErrorKind::PermissionDenied),
    )]);
    match load(&env, &denied).unwrap_err() {
        Error::Io { path, .. } => assert_eq!(path, PathBuf::from("/h/.aws/credentials")),
        other => panic!("{other:?}"),
    }
    let broken = fs(vec![("/h/.aws/config", Ok("[profile x"))]);
    assert_eq!(line_of(load(&env, &broken).unwrap_err()).1, 1);
}
