//! A role with `mfa_serial`, in process (so the prompt can be answered): the code is asked once
//! when kubectl says the session is interactive, sent to STS as TokenCode, never printed, and not
//! asked again while the cached role session lasts; without interactivity it fails at once.

mod support;

use eks_token::env::{Env, RealFs};
use eks_token::log::Log;
use std::cell::RefCell;
use support::{Reply, Server};
use time::macros::datetime;

const CODE: &str = "864213";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

fn exec_info(interactive: bool) -> String {
    format!(
        r#"{{"apiVersion":"client.authentication.k8s.io/v1","spec":{{"interactive":{interactive},
        "cluster":{{"config":{{"clusterName":"prod","profile":"admin","region":"us-west-2"}}}}}}}}"#
    )
}

struct Outcome {
    result: eks_token::Result<String>,
    prompts: Vec<String>,
    log: Vec<String>,
}

fn run(home: &std::path::Path, server: &Server, interactive: bool) -> Outcome {
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/config"),
        format!(
            "[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = basesecret\n\
             [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n\
             mfa_serial = {SERIAL}\nrole_session_name = alice\n"
        ),
    )
    .unwrap();
    let env = Env::from_pairs([
        ("HOME", home.display().to_string()),
        ("AWS_ENDPOINT_URL_STS", server.url("")),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "EKS_TOKEN_CACHE_DIR",
            home.join("cache").display().to_string(),
        ),
        ("KUBERNETES_EXEC_INFO", exec_info(interactive)),
    ]);
    let prompts = RefCell::new(Vec::new());
    let prompt = |text: &str| {
        prompts.borrow_mut().push(text.to_string());
        Ok(format!("{CODE}\n"))
    };
    let log = Log::capture(true);
    let stdin = || Ok(String::new());
    let world = eks_token::World {
        env: &env,
        fs: &RealFs,
        now: datetime!(2019-11-09 12:00 UTC),
        log: &log,
        stdin: &stdin,
        terminal: false,
        prompt: &prompt,
        http: None,
    };
    let result = eks_token::run(&["--debug".to_string()], &world);
    Outcome {
        result,
        prompts: prompts.into_inner(),
        log: log.lines(),
    }
}

#[test]
fn mfa_code_is_asked_once_sent_to_sts_and_never_shown() {
    let home = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/sts/assume-role.xml"
    ))
    .unwrap();
    let server = Server::start(vec![Reply::xml(200, &xml)]);

    let first = run(home.path(), &server, true);
    let out = first.result.unwrap();
    assert_eq!(first.prompts, vec![format!("MFA code for {SERIAL}: ")]);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].form_field("Action").as_deref(), Some("AssumeRole"));
    assert_eq!(reqs[0].form_field("SerialNumber").as_deref(), Some(SERIAL));
    assert_eq!(reqs[0].form_field("TokenCode").as_deref(), Some(CODE));
    assert_eq!(
        reqs[0].form_field("RoleSessionName").as_deref(),
        Some("alice")
    );
    // The token is signed with the role's keys, not the base profile's.
    let token = serde_json::from_str::<serde_json::Value>(&out).unwrap()["status"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let d = eks_token::token::decode(&token).unwrap();
    assert!(d
        .param("X-Amz-Credential")
        .unwrap()
        .starts_with("ASIAIOSFODNN7EXAMPLE/"));
    let all = format!("{out}\n{}", first.log.join("\n"));
    for secret in [
        CODE,
        "basesecret",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    ] {
        assert!(!all.contains(secret), "{secret} leaked into output or log");
    }
    assert!(
        first.log.iter().any(|l| l.contains("cached")),
        "{:?}",
        first.log
    );

    // Served from the cache: no prompt, no STS call.
    let second = run(home.path(), &server, true);
    assert!(second.result.is_ok());
    assert!(second.prompts.is_empty());
    assert_eq!(server.requests().len(), 1);
    assert!(
        second.log.iter().any(|l| l.contains("cache hit")),
        "{:?}",
        second.log
    );
}

#[test]
fn without_interactivity_mfa_fails_at_once_with_the_way_out() {
    let home = tempfile::tempdir().unwrap();
    let server = Server::start(vec![Reply::text(500, "must not be called")]);
    let o = run(home.path(), &server, false);
    let err = o.result.unwrap_err().to_string();
    assert!(
        err.contains(SERIAL) && err.contains("interactiveMode"),
        "{err}"
    );
    assert!(o.prompts.is_empty());
    assert_eq!(server.requests().len(), 0);
}
