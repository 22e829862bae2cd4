//! The binary against a real STS: moto's server (`moto[server]` from PyPI, set up by
//! tests/scripts/ci-venv.sh) on 127.0.0.1. Every scenario runs `eks-token` end to end with a
//! clean environment and `AWS_ENDPOINT_URL_STS` pointing at moto, then checks the token against
//! what moto itself recorded (`/moto-api/data.json`: the access key, secret and session token it
//! issued for each role session), so the expected values come from moto, not from our output.
//!
//! moto_server is found at `EKS_TOKEN_MOTO_SERVER`, else `target/ci-venv/bin/moto_server`, else
//! on PATH; without it every test prints a loud SKIPPED note, or fails when
//! `EKS_TOKEN_REQUIRE_MOTO=1` (CI sets it, so a broken venv cannot pass as a skip).
//!
//! Two limits of moto shape the scenarios: it checks SigV4 only when its IAM authentication is
//! switched on (one dedicated server, `sigv4_checked_by_moto`), and its multi-service server
//! routes a request by its `Authorization` header, so a presigned GET (the token's URL) is
//! replayed against moto's STS application served alone (`token_url_replays_…`).

use eks_token::credentials::Credentials;
use eks_token::secret::Secret;
use eks_token::token;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const ACCOUNT: &str = "123456789012";
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The source secret: moto accepts any keys until IAM authentication is on.
const SECRET: &str = "m0to/S0urce/S3cret/never-printed-EXAMPLEKEY";
/// Looks like a service account token; AssumeRoleWithWebIdentity is unsigned, moto takes any.
const JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im1vdG8ifQ.\
                   eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDphcHAifQ.\
                   c2lnbmF0dXJlLW5ldmVyLXByaW50ZWQ";
const START_TIMEOUT: Duration = Duration::from_secs(15);

fn role(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

// ---------------------------------------------------------------------------------------------
// Finding and running moto
// ---------------------------------------------------------------------------------------------

fn find_moto_server() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EKS_TOKEN_MOTO_SERVER").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("moto_server"))
        .find(|p| p.is_file())
}

/// moto_server's path, or `None` after a loud note (a failure when moto is required).
fn moto_server_or_skip() -> Option<PathBuf> {
    if let Some(p) = find_moto_server() {
        return Some(p);
    }
    let required = std::env::var("EKS_TOKEN_REQUIRE_MOTO").is_ok_and(|v| v == "1" || v == "true");
    assert!(
        !required,
        "moto_server not found (EKS_TOKEN_MOTO_SERVER={:?}) and EKS_TOKEN_REQUIRE_MOTO is set: \
         run tests/scripts/ci-venv.sh",
        std::env::var_os("EKS_TOKEN_MOTO_SERVER")
    );
    // Straight to stderr, once: libtest captures `eprintln!` of passing tests.
    static NOTE: Once = Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: moto_server not found (run tests/scripts/ci-venv.sh) ***\n"
        );
    });
    None
}

/// A Python process serving moto on 127.0.0.1, stopped when dropped.
///
/// It runs under `sh`, which stops it when our end of its stdin closes: on drop, and also when
/// the test process dies without unwinding (a timeout's SIGKILL), so no server outlives us.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// moto_server itself: every service, routed by each request's signature.
    fn moto(moto_server: &Path) -> Server {
        Server::start(moto_server, &["-H", "127.0.0.1", "-p", "0"])
    }

    /// moto's STS application alone, as moto_server builds it per service: every request goes
    /// to STS, including an unsigned-header GET such as the token's presigned URL.
    fn sts_only(moto_server: &Path) -> Server {
        let script = "from moto.moto_server.werkzeug_app import create_backend_app\n\
                      from werkzeug.serving import run_simple\n\
                      run_simple('127.0.0.1', 0, create_backend_app('sts'), threaded=True)\n";
        Server::start(&python_beside(moto_server), &["-c", script])
    }

    fn start(program: &Path, args: &[&str]) -> Server {
        let started = Instant::now();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec 2>&1; "$@" & pid=$!; read _; kill $pid 2>/dev/null; wait $pid"#)
            .arg("sh")
            .arg(program)
            .args(args)
            .env("PYTHONUNBUFFERED", "1")
            .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sh for {}: {e}", program.display()));
        let stdin = child.stdin.take();
        let out = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let thread_log = log.clone();
        // Drain the output for the server's whole life: a full pipe would block it.
        std::thread::spawn(move || {
            const MARK: &str = "Running on http://127.0.0.1:";
            for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                if let Some(rest) = line.split(MARK).nth(1) {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(digits.parse::<u16>().ok());
                }
                let mut log = thread_log.lock().unwrap_or_else(|e| e.into_inner());
                if log.len() < 256 * 1024 {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let mut server = Server {
            child,
            stdin,
            port: 0,
            log,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(port)) => server.port = port,
            _ => panic!(
                "{} did not start within {START_TIMEOUT:?}:\n{}",
                program.display(),
                server.log()
            ),
        }
        // It listens once it prints the port; wait until the application answers too.
        while http(server.port, "GET", "/moto-api/data.json", &[], "").is_err() {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "{} does not answer on port {}:\n{}",
                program.display(),
                server.port,
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "moto: {} up on 127.0.0.1:{} in {:.2?}",
            program.display(),
            server.port,
            started.elapsed()
        );
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// moto's state: every role session it issued, with the keys it handed out.
    fn assumed_roles(&self) -> Vec<Value> {
        let (status, body) = http(self.port, "GET", "/moto-api/data.json", &[], "").unwrap();
        assert_eq!(status, 200, "{body}");
        let data: Value = serde_json::from_str(&body).unwrap();
        data["sts"]["AssumedRole"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The role session moto issued `access_key_id` for.
    fn session_of(&self, access_key_id: &str) -> Value {
        self.assumed_roles()
            .into_iter()
            .find(|r| r["access_key_id"] == access_key_id)
            .unwrap_or_else(|| panic!("moto issued no role session with key {access_key_id}"))
    }

    /// The one session moto issued for `role_arn` (roles are unique per scenario).
    fn session_for_role(&self, role_arn: &str) -> Value {
        let found: Vec<Value> = self
            .assumed_roles()
            .into_iter()
            .filter(|r| r["role_arn"] == role_arn)
            .collect();
        assert_eq!(found.len(), 1, "sessions for {role_arn}: {found:?}");
        found.into_iter().next().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take()); // sh reads EOF, stops the server and exits
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python that runs moto_server: its `#!` interpreter (a venv's entry point), else the
/// `python3` beside it (a pyenv shim), else PATH's.
fn python_beside(moto_server: &Path) -> PathBuf {
    let first_line = std::fs::read(moto_server)
        .ok()
        .and_then(|b| b.split(|&c| c == b'\n').next().map(|l| l.to_vec()))
        .map(|l| String::from_utf8_lossy(&l).into_owned())
        .unwrap_or_default();
    if let Some(interp) = first_line
        .strip_prefix("#!")
        .and_then(|s| s.split_whitespace().next())
        .map(PathBuf::from)
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("python"))
        })
    {
        return interp;
    }
    let beside = moto_server.with_file_name("python3");
    if beside.is_file() {
        beside
    } else {
        PathBuf::from("python3")
    }
}

/// The moto_server shared by the tests that neither stop nor reconfigure it, started by the
/// first of them. A static is never dropped: it is stopped when the test process exits and
/// the kernel closes our end of its stdin (see [`Server`]).
fn shared_moto() -> Option<&'static Server> {
    static SHARED: OnceLock<Server> = OnceLock::new();
    let path = moto_server_or_skip()?;
    Some(SHARED.get_or_init(|| Server::moto(&path)))
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client (std only), as the EKS control plane replays a token
// ---------------------------------------------------------------------------------------------

/// One request on a fresh connection (`Connection: close`); the status and body.
fn http(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    http_to(&format!("127.0.0.1:{port}"), method, target, headers, body)
}

fn http_to(
    host: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let bad = || std::io::Error::other(format!("not an HTTP response: {text:?}"));
    let (head, rest) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    Ok((
        status,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
    ))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

/// `application/x-www-form-urlencoded` (RFC 3986 unreserved characters kept).
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The text of the first `<tag>` in `xml`.
fn xml_field(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = xml[start..].find('<').unwrap() + start;
    xml[start..end].to_string()
}

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

struct Run {
    out: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8(self.out.stdout.clone()).unwrap()
    }
    fn stderr(&self) -> String {
        String::from_utf8(self.out.stderr.clone()).unwrap()
    }
    /// The token of a successful run, printed as an ExecCredential or alone (`--token-only`).
    fn token(&self) -> String {
        assert_eq!(
            self.out.status.code(),
            Some(0),
            "stdout: {} stderr: {}",
            self.stdout(),
            self.stderr()
        );
        let out = self.stdout();
        if out.starts_with(token::PREFIX) {
            return out.trim_end().to_string();
        }
        let v: Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out}"));
        assert_eq!(v["kind"], "ExecCredential");
        v["status"]["token"].as_str().unwrap().to_string()
    }
    /// A failure as kubectl sees it: exit 1, nothing on stdout, one line on stderr.
    fn failed(&self) -> String {
        assert_eq!(
            self.out.status.code(),
            Some(1),
            "stdout: {} stderr: {}",
            self.stdout(),
            self.stderr()
        );
        assert_eq!(self.stdout(), "", "stdout must be empty on failure");
        let err = self.stderr();
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        err
    }
}

fn run(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_eks-token"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        // Never ask this machine's metadata address: tests stay off the network.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run { out }
}

/// A HOME with ~/.aws/config and ~/.aws/credentials.
fn home_with(config: &str, credentials: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".aws/config"), config).unwrap();
    std::fs::write(home.path().join(".aws/credentials"), credentials).unwrap();
    home
}

fn base_credentials() -> String {
    format!("[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n")
}

/// The access key id that signed the token.
fn signer_of(d: &token::Decoded) -> String {
    let credential = d.param("X-Amz-Credential").expect("X-Amz-Credential");
    credential.split('/').next().unwrap().to_string()
}

/// The token checks out against the credentials moto issued for `session`: same key, moto's
/// session token in the URL, and the signature recomputed with moto's secret.
fn assert_signed_by_session(tok: &str, cluster: &str, session: &Value) -> token::Decoded {
    let d = token::decode(tok).unwrap();
    let akid = session["access_key_id"].as_str().unwrap();
    assert!(
        akid.starts_with("ASIA"),
        "moto's role keys are ASIA…: {akid}"
    );
    assert_eq!(signer_of(&d), akid);
    assert_eq!(
        d.param("X-Amz-Security-Token"),
        session["session_token"].as_str(),
        "the URL carries moto's session token"
    );
    let mut creds = Credentials::new(akid, session["secret_access_key"].as_str().unwrap());
    creds.session_token = session["session_token"].as_str().map(Secret::from);
    token::verify(tok, cluster, Some(&creds), OffsetDateTime::now_utc())
        .unwrap_or_else(|e| panic!("token does not verify with moto's credentials: {e}"));
    d
}

/// No secret anywhere in `text`: the source secret, the web identity token, and every secret
/// and session token moto handed out.
fn assert_no_secret(text: &str, moto: &Server) {
    let mut secrets = vec![SECRET.to_string(), JWT.to_string()];
    for r in moto.assumed_roles() {
        for k in ["secret_access_key", "session_token"] {
            secrets.extend(r[k].as_str().map(str::to_string));
        }
    }
    for s in secrets {
        assert!(!text.contains(&s), "a secret leaked: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// a. `role_arn` + `source_profile` with static keys: one AssumeRole, the token signed with the
/// role's keys, and `--debug` tells which role without printing a secret.
#[test]
fn profile_role_with_static_source_keys() {
    let Some(moto) = shared_moto() else { return };
    let home = home_with(
        &format!(
            "[profile dev]\nrole_arn = {}\nsource_profile = base\nrole_session_name = dev-session\n\
             region = us-west-2\n",
            role("moto-a-dev")
        ),
        &base_credentials(),
    );
    let r = run(
        home.path(),
        &[("AWS_ENDPOINT_URL_STS", &moto.url())],
        &["--profile", "dev", "-c", "demo", "--debug", "--no-cache"],
    );
    let tok = r.token();
    let session = moto.session_for_role(&role("moto-a-dev"));
    assert_eq!(session["session_name"], "dev-session");
    let d = assert_signed_by_session(&tok, "demo", &session);
    assert_ne!(
        signer_of(&d),
        AKID,
        "signed with the role's keys, not the source's"
    );
    assert_eq!(d.host, format!("127.0.0.1:{}", moto.port));
    assert!(d
        .param("X-Amz-Credential")
        .unwrap()
        .contains("/us-west-2/sts/aws4_request"));
    let err = r.stderr();
    assert!(err.contains(&role("moto-a-dev")), "{err}");
    assert!(err.contains(signer_of(&d).as_str()), "names the key: {err}");
    assert_no_secret(&err, moto);
}

/// b. `--role-arn` on top of environment keys, with `--session-name` and `--external-id`.
#[test]
fn role_arn_flag_on_environment_keys() {
    let Some(moto) = shared_moto() else { return };
    let home = tempfile::tempdir().unwrap();
    let r = run(
        home.path(),
        &[
            ("AWS_ACCESS_KEY_ID", AKID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_REGION", "eu-central-1"),
            ("AWS_ENDPOINT_URL_STS", &moto.url()),
        ],
        &[
            "token",
            "-i",
            "prod",
            "--role-arn",
            &role("moto-b-x"),
            "--session-name",
            "s1",
            "--external-id",
            "ext-7",
            "--token-only",
            "--no-cache",
        ],
    );
    let tok = r.token();
    let session = moto.session_for_role(&role("moto-b-x"));
    assert_eq!(session["session_name"], "s1");
    assert_eq!(session["external_id"], "ext-7");
    let d = assert_signed_by_session(&tok, "prod", &session);
    assert!(d
        .param("X-Amz-Credential")
        .unwrap()
        .contains("/eu-central-1/sts/"));
    assert_eq!(r.stderr(), "", "nothing on stderr when all is well");
}

/// c. Web identity (IRSA): the token file and AWS_ROLE_ARN → AssumeRoleWithWebIdentity.
#[test]
fn web_identity_from_environment() {
    let Some(moto) = shared_moto() else { return };
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, format!("{JWT}\n")).unwrap();
    let r = run(
        home.path(),
        &[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
            ("AWS_ROLE_ARN", &role("moto-c-irsa")),
            ("AWS_ROLE_SESSION_NAME", "pod-7f9c"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL_STS", &moto.url()),
        ],
        &["-c", "demo", "--debug", "--no-cache"],
    );
    let tok = r.token();
    let session = moto.session_for_role(&role("moto-c-irsa"));
    assert_eq!(session["session_name"], "pod-7f9c");
    assert_signed_by_session(&tok, "demo", &session);
    let err = r.stderr();
    assert!(err.contains(&role("moto-c-irsa")), "{err}");
    assert_no_secret(&err, moto);
}

/// d. Chained roles: A's source is B, B's source is static keys — two AssumeRole calls, A's
/// made with the keys moto issued for B.
#[test]
fn chained_roles_assume_twice() {
    let Some(moto) = shared_moto() else { return };
    let home = home_with(
        &format!(
            "[profile a]\nrole_arn = {}\nsource_profile = b\nrole_session_name = sa\n\
             region = us-east-2\n\
             [profile b]\nrole_arn = {}\nsource_profile = base\nrole_session_name = sb\n",
            role("moto-d-a"),
            role("moto-d-b")
        ),
        &base_credentials(),
    );
    let r = run(
        home.path(),
        &[("AWS_ENDPOINT_URL_STS", &moto.url())],
        &["--profile", "a", "-c", "demo", "--debug", "--no-cache"],
    );
    let tok = r.token();
    let a = moto.session_for_role(&role("moto-d-a"));
    let b = moto.session_for_role(&role("moto-d-b"));
    assert_eq!(
        (&a["session_name"], &b["session_name"]),
        (&"sa".into(), &"sb".into())
    );
    assert_signed_by_session(&tok, "demo", &a);
    // The debug trail: B assumed with the source key, A with B's key (which moto issued).
    let err = r.stderr();
    let line_for = |arn: &str| -> String {
        err.lines()
            .find(|l| l.contains("assumed") && l.contains(arn))
            .unwrap_or_else(|| panic!("no 'assumed {arn}' line: {err}"))
            .to_string()
    };
    let b_key = b["access_key_id"].as_str().unwrap();
    let a_key = a["access_key_id"].as_str().unwrap();
    assert!(
        line_for(&role("moto-d-b")).contains(&format!("with {AKID}")),
        "{err}"
    );
    assert!(
        line_for(&role("moto-d-a")).contains(&format!("with {b_key}")),
        "{err}"
    );
    assert!(line_for(&role("moto-d-a")).contains(a_key), "{err}");
    assert_no_secret(&err, moto);
}

/// e. The cache: the second run is served from disk with moto gone, in a private folder.
#[test]
fn second_run_served_from_cache_without_network() {
    let Some(path) = moto_server_or_skip() else {
        return;
    };
    let moto = Server::moto(&path);
    let url = moto.url();
    let home = home_with(
        &format!(
            "[profile dev]\nrole_arn = {}\nsource_profile = base\nregion = us-west-2\n",
            role("moto-e-cached")
        ),
        &base_credentials(),
    );
    let cache = home.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let env = [("AWS_ENDPOINT_URL_STS", url.as_str())];
    let args = [
        "--profile",
        "dev",
        "-c",
        "demo",
        "--debug",
        "--cache-dir",
        cache_arg,
    ];
    let first = run(home.path(), &env, &args);
    let session = moto.session_for_role(&role("moto-e-cached"));
    assert_signed_by_session(&first.token(), "demo", &session);
    assert_no_secret(&first.stderr(), &moto);

    let port = moto.port;
    drop(moto);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "moto is gone"
    );
    let second = run(home.path(), &env, &args);
    let tok = second.token();
    assert!(second.stderr().contains("cache hit"), "{}", second.stderr());
    assert_signed_by_session(&tok, "demo", &session);
    for s in ["secret_access_key", "session_token"] {
        assert!(!second.stderr().contains(session[s].as_str().unwrap()));
    }
    // Without the cache the same run needs STS, which is down: so the cache is what served it.
    let mut no_cache = args.to_vec();
    no_cache.push("--no-cache");
    let down = run(home.path(), &env, &no_cache);
    assert_eq!(down.out.status.code(), Some(1));
    let err = down.stderr();
    assert!(
        err.contains(&format!("127.0.0.1:{port}: connection refused")),
        "{err}"
    );

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700, "cache folder");
    let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!entries.is_empty(), "an entry was written");
    for e in entries {
        assert_eq!(mode(&e), 0o600, "{}", e.display());
    }
}

/// f. `--forward-session-name`: GetCallerIdentity with the profile's role session, then
/// `--role-arn` assumed under that session's name.
#[test]
fn forward_session_name_calls_get_caller_identity_first() {
    let Some(moto) = shared_moto() else { return };
    let home = home_with(
        &format!(
            "[profile dev]\nrole_arn = {}\nsource_profile = base\n\
             role_session_name = alice-laptop\nregion = us-west-2\n",
            role("moto-f-src")
        ),
        &base_credentials(),
    );
    let r = run(
        home.path(),
        &[("AWS_ENDPOINT_URL_STS", &moto.url())],
        &[
            "--profile",
            "dev",
            "-c",
            "demo",
            "--role-arn",
            &role("moto-f-target"),
            "--forward-session-name",
            "--debug",
            "--no-cache",
        ],
    );
    let tok = r.token();
    let target = moto.session_for_role(&role("moto-f-target"));
    assert_eq!(target["session_name"], "alice-laptop");
    assert_signed_by_session(&tok, "demo", &target);
    // moto derived the caller from the key in our GetCallerIdentity's Authorization header.
    let caller = format!("arn:aws:sts::{ACCOUNT}:assumed-role/moto-f-src/alice-laptop");
    assert!(r.stderr().contains(&caller), "{}", r.stderr());
    assert_no_secret(&r.stderr(), moto);
}

/// g. The token replayed as the EKS control plane does: GET the presigned URL with the
/// `x-k8s-aws-id` header; STS answers GetCallerIdentity.
#[test]
fn token_url_replays_as_get_caller_identity() {
    let Some(path) = moto_server_or_skip() else {
        return;
    };
    let sts = Server::sts_only(&path);
    let home = tempfile::tempdir().unwrap();
    let r = run(
        home.path(),
        &[
            ("AWS_ACCESS_KEY_ID", AKID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_REGION", "us-west-2"),
            ("AWS_ENDPOINT_URL_STS", &sts.url()),
        ],
        &[
            "-c",
            "replayed",
            "--role-arn",
            &role("moto-g-replay"),
            "--session-name",
            "g1",
            "--no-cache",
        ],
    );
    let d = token::decode(&r.token()).unwrap();
    let target = d.url.strip_prefix(&format!("http://{}", d.host)).unwrap();
    assert!(target.starts_with("/?"), "{}", d.url);
    let (status, body) =
        http_to(&d.host, "GET", target, &[("x-k8s-aws-id", "replayed")], "").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<GetCallerIdentityResponse"), "{body}");
    assert!(
        xml_field(&body, "Arn").starts_with(&format!("arn:aws:sts::{ACCOUNT}:")),
        "{body}"
    );
    // A URL that is not a GetCallerIdentity request is not answered as one.
    let broken = target.replace("Action=GetCallerIdentity", "Action=NoSuchAction");
    let (status, body) = http_to(&d.host, "GET", &broken, &[], "").unwrap();
    assert_ne!(status, 200, "{body}");
}

/// h. An STS error (moto validates the session name's length): one line, exit 1, no stdout.
#[test]
fn sts_validation_error_is_one_line() {
    let Some(moto) = shared_moto() else { return };
    // A session name too long for STS, from a profile (a flag's is checked before any call).
    let long = "s".repeat(65);
    let home = home_with(
        &format!(
            "[profile h]\nrole_arn = {}\nsource_profile = base\nrole_session_name = {long}\n",
            role("moto-h-x")
        ),
        &base_credentials(),
    );
    let r = run(
        home.path(),
        &[
            ("AWS_REGION", "us-west-2"),
            ("AWS_ENDPOINT_URL_STS", &moto.url()),
        ],
        &["-c", "demo", "--profile", "h", "--no-cache"],
    );
    let err = r.failed();
    assert!(err.contains("ValidationError"), "{err}");
    assert!(err.contains("roleSessionName"), "{err}");
    assert!(err.contains(&role("moto-h-x")), "names the role: {err}");
    assert_no_secret(&err, moto);
}

/// i. moto's IAM authentication on: it recomputes every SigV4 header signature with botocore
/// and checks the session token of role keys, so AssumeRole and GetCallerIdentity signed by us
/// are accepted, a chained role is assumed with a session token, and wrong keys are refused.
#[test]
fn sigv4_checked_by_moto() {
    let Some(path) = moto_server_or_skip() else {
        return;
    };
    let moto = Server::moto(&path);
    // Set up while authentication is still off (any signature passes).
    let iam = |pairs: &[(&str, &str)]| -> String {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={AKID}/20260101/us-east-1/iam/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let mut all = vec![("Version", "2010-05-08")];
        all.extend_from_slice(pairs);
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let (status, body) = http(moto.port, "POST", "/", &headers, &form(&all)).unwrap();
        assert_eq!(status, 200, "{pairs:?}: {body}");
        body
    };
    let allow_assume = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    let trust = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    };
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/ci");
    iam(&[("Action", "CreateUser"), ("UserName", "ci")]);
    let key = iam(&[("Action", "CreateAccessKey"), ("UserName", "ci")]);
    let (akid, secret) = (
        xml_field(&key, "AccessKeyId"),
        xml_field(&key, "SecretAccessKey"),
    );
    iam(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "ci"),
        ("PolicyName", "assume"),
        ("PolicyDocument", allow_assume),
    ]);
    for (name, principal) in [
        ("ci-role", user_arn.as_str()),
        ("locked", "arn:aws:iam::999999999999:root"),
    ] {
        iam(&[
            ("Action", "CreateRole"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", &trust(principal)),
        ]);
    }
    iam(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "ci-role"),
        ("PolicyName", "assume"),
        ("PolicyDocument", allow_assume),
    ]);
    let (status, body) = http(
        moto.port,
        "POST",
        "/moto-api/reset-auth",
        &[("Content-Type", "text/plain")],
        "0",
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");

    let home = home_with(
        &format!(
            "[profile hop]\nrole_arn = {}\nsource_profile = ci\nrole_session_name = hop\n\
             [profile ci]\nrole_arn = {}\nsource_profile = keys\nrole_session_name = first\n",
            role("ci-hop"),
            role("ci-role")
        ),
        &format!("[keys]\naws_access_key_id = {akid}\naws_secret_access_key = {secret}\n"),
    );
    let env = |secret: &str| -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), akid.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), secret.into()),
            ("AWS_REGION".into(), "us-west-2".into()),
            ("AWS_ENDPOINT_URL_STS".into(), moto.url()),
        ]
    };
    let run_env = |env: &[(String, String)], args: &[&str]| {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(home.path(), &pairs, args)
    };

    // GetCallerIdentity (for --forward-session-name) and AssumeRole, both signature-checked.
    let ok = run_env(
        &env(&secret),
        &[
            "-c",
            "demo",
            "--role-arn",
            &role("ci-role"),
            "--forward-session-name",
            "--debug",
            "--no-cache",
        ],
    );
    let tok = ok.token();
    assert!(
        ok.stderr().contains(&format!("caller is {user_arn}")),
        "{}",
        ok.stderr()
    );
    assert_signed_by_session(
        &tok,
        "demo",
        &moto.session_of(&signer_of(&token::decode(&tok).unwrap())),
    );

    // A chain: the second AssumeRole is signed with role keys and carries the session token.
    let chained = run_env(
        &[("AWS_ENDPOINT_URL_STS".into(), moto.url())],
        &[
            "--profile",
            "hop",
            "-c",
            "demo",
            "--region",
            "us-west-2",
            "--no-cache",
        ],
    );
    let hop = moto.session_for_role(&role("ci-hop"));
    assert_eq!(hop["session_name"], "hop");
    assert_signed_by_session(&chained.token(), "demo", &hop);

    // Refusals, each one line naming the cause.
    let wrong = "wrong/secret/of/the/right/length/EXAMPLEKEY";
    let err = run_env(
        &env(wrong),
        &["-c", "demo", "--role-arn", &role("ci-role"), "--no-cache"],
    )
    .failed();
    assert!(err.contains("SignatureDoesNotMatch"), "{err}");
    assert!(err.contains("secret access key"), "the hint: {err}");
    assert!(!err.contains(wrong) && !err.contains(&secret), "{err}");

    let mut unknown = env(&secret);
    unknown[0].1 = "AKIAUNKNOWNKEY000000".into();
    let err = run_env(
        &unknown,
        &["-c", "demo", "--role-arn", &role("ci-role"), "--no-cache"],
    )
    .failed();
    assert!(err.contains("InvalidClientTokenId"), "{err}");

    let err = run_env(
        &env(&secret),
        &["-c", "demo", "--role-arn", &role("locked"), "--no-cache"],
    )
    .failed();
    assert!(err.contains("AccessDenied"), "{err}");
    assert!(!err.contains(&secret), "{err}");
}
