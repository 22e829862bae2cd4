//! The ureq transport against real sockets on 127.0.0.1: bodies of every status, retries,
//! timeouts, refused ports, proxies and CA bundles.

mod support;

use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

use eks_token::env::Env;
use eks_token::http::{Http, HttpRequest};
use eks_token::transport::{send_with_retries, RetryPolicy, Transport};
use support::{closed_port, Reply, Server};

fn transport() -> Transport {
    Transport::new(&Env::default(), None).unwrap()
}

fn get(url: &str, timeout_ms: u64) -> HttpRequest {
    let mut req = HttpRequest::new("GET", url);
    req.timeout = Duration::from_millis(timeout_ms);
    req
}

#[test]
fn get_200_with_body_and_headers() {
    let server = Server::start(vec![Reply::Respond {
        status: 200,
        headers: vec![("X-Reply".into(), "yes".into())],
        body: b"hello".to_vec(),
    }]);
    let req =
        get(&server.url("/latest/meta-data?x=1"), 2000).header("X-Aws-Ec2-Metadata-Token", "tok");
    let resp = transport().send(&req).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello");
    assert_eq!(resp.header("x-reply"), Some("yes"));

    let got = &server.requests()[0];
    assert_eq!(got.method, "GET");
    assert_eq!(got.target, "/latest/meta-data?x=1");
    assert_eq!(
        got.header("host"),
        Some(format!("127.0.0.1:{}", server.port()).as_str())
    );
    assert_eq!(got.header("x-aws-ec2-metadata-token"), Some("tok"));
    assert!(got.header("user-agent").unwrap().starts_with("eks-token/"));
    assert!(got.body.is_empty());
}

#[test]
fn post_sends_body_and_caller_host_header() {
    let server = Server::start(vec![Reply::text(200, "ok")]);
    let mut req = HttpRequest::new("POST", server.url("/"))
        .header("Host", "sts.us-east-1.amazonaws.com")
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
    req.body = b"Action=GetCallerIdentity&Version=2011-06-15".to_vec();
    let resp = transport().send(&req).unwrap();
    assert_eq!(resp.status, 200);
    let got = &server.requests()[0];
    assert_eq!(got.method, "POST");
    // The Host we signed is the Host that goes on the wire, once.
    assert_eq!(got.header("host"), Some("sts.us-east-1.amazonaws.com"));
    assert_eq!(
        got.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("host"))
            .count(),
        1
    );
    assert_eq!(got.header("content-length"), Some("43"));
    assert_eq!(
        got.body_text(),
        "Action=GetCallerIdentity&Version=2011-06-15"
    );
}

#[test]
fn put_with_empty_body() {
    // IMDSv2 fetches its token with a bodiless PUT.
    let server = Server::start(vec![Reply::text(200, "token")]);
    let req = HttpRequest::new("PUT", server.url("/latest/api/token"))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "21600");
    assert_eq!(transport().send(&req).unwrap().text(), "token");
    let got = &server.requests()[0];
    assert_eq!(got.method, "PUT");
    assert!(got.body.is_empty());
}

#[test]
fn error_statuses_keep_their_body() {
    for (status, body) in [(403, "<Error>denied</Error>"), (404, "nope"), (500, "boom")] {
        let server = Server::start(vec![Reply::text(status, body)]);
        let resp = transport().send(&get(&server.url("/"), 2000)).unwrap();
        assert_eq!((resp.status, resp.text().as_str()), (status, body));
    }
}

#[test]
fn redirects_are_not_followed() {
    let server = Server::start(vec![Reply::Respond {
        status: 302,
        headers: vec![("Location".into(), "http://127.0.0.1:1/".into())],
        body: vec![],
    }]);
    let resp = transport().send(&get(&server.url("/"), 2000)).unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(server.count(), 1);
}

fn with_retries(server: &Server, timeout_ms: u64) -> (Result<u16, String>, Vec<u128>) {
    let slept = RefCell::new(vec![]);
    let out = send_with_retries(
        &transport(),
        &get(&server.url("/"), timeout_ms),
        RetryPolicy::default(),
        &|d| slept.borrow_mut().push(d.as_millis()),
    );
    (out.map(|r| r.status).map_err(|e| e.0), slept.into_inner())
}

#[test]
fn a_500_then_200_is_retried() {
    let server = Server::start(vec![Reply::text(500, "oops"), Reply::text(200, "ok")]);
    let (out, slept) = with_retries(&server, 2000);
    assert_eq!(out, Ok(200));
    assert_eq!(slept, [100]);
    assert_eq!(server.count(), 2);
}

#[test]
fn a_400_is_not_retried() {
    let body = "<ErrorResponse><Error><Code>ValidationError</Code></Error></ErrorResponse>";
    let server = Server::start(vec![Reply::xml(400, body), Reply::text(200, "ok")]);
    let (out, slept) = with_retries(&server, 2000);
    assert_eq!(out, Ok(400));
    assert!(slept.is_empty());
    assert_eq!(server.count(), 1);
}

#[test]
fn sts_throttling_in_a_400_is_retried() {
    let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                <Message>Rate exceeded</Message></Error></ErrorResponse>";
    let server = Server::start(vec![Reply::xml(400, body), Reply::text(200, "ok")]);
    assert_eq!(with_retries(&server, 2000).0, Ok(200));
    assert_eq!(server.count(), 2);
}

#[test]
fn a_silent_server_times_out_on_time() {
    let server = Server::start(vec![Reply::Hang]);
    let start = Instant::now();
    let err = transport().send(&get(&server.url("/"), 300)).unwrap_err();
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(err.0.contains("timed out after 300ms"), "{err}");
    assert!(
        err.0.starts_with(&format!("GET {}", server.url("/"))),
        "{err}"
    );
}

#[test]
fn retries_never_multiply_a_timeout() {
    let server = Server::start(vec![Reply::Hang]);
    let start = Instant::now();
    let (out, _) = with_retries(&server, 300);
    assert!(out.unwrap_err().contains("timed out"));
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn a_refused_port_fails_fast() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let start = Instant::now();
    let err = transport().send(&get(&url, 5000)).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(err.0.contains("connection refused"), "{err}");
}

#[test]
fn a_dropped_connection_is_an_error() {
    let server = Server::start(vec![Reply::Close]);
    assert!(transport().send(&get(&server.url("/"), 2000)).is_err());
}

#[test]
fn error_text_never_shows_the_query() {
    let url = format!(
        "http://127.0.0.1:{}/x?X-Amz-Signature=deadbeef",
        closed_port()
    );
    let err = transport().send(&get(&url, 2000)).unwrap_err();
    assert!(!err.0.contains("deadbeef"), "{err}");
    let req = get("http://127.0.0.1:1/", 2000).header("Authorization", "Bearer s3cr3t\n");
    let err = transport().send(&req).unwrap_err();
    assert!(
        err.0.contains("invalid value for header 'Authorization'"),
        "{err}"
    );
    assert!(!err.0.contains("s3cr3t"), "{err}");
}

fn proxied(vars: &[(&str, String)]) -> Transport {
    let env = Env::from_pairs(vars.iter().map(|(k, v)| (*k, v.clone())));
    Transport::new(&env, None).unwrap()
}

#[test]
fn http_urls_go_through_http_proxy() {
    // The fake proxy accepts the CONNECT and answers the tunnelled request itself, so the
    // target name is never resolved.
    let proxy = Server::start(vec![Reply::text(200, "via proxy")]);
    let t = proxied(&[("HTTP_PROXY", proxy.url(""))]);
    let resp = t
        .send(&get("http://sts.example.test:8080/path?q=1", 2000))
        .unwrap();
    assert_eq!(resp.text(), "via proxy");
    let got = proxy.requests();
    assert_eq!(got[0].method, "CONNECT");
    assert_eq!(got[0].target, "sts.example.test:8080");
    assert_eq!(
        (got[1].method.as_str(), got[1].target.as_str()),
        ("GET", "/path?q=1")
    );
    assert_eq!(got[1].header("host"), Some("sts.example.test:8080"));
}

#[test]
fn https_urls_go_through_https_proxy_with_credentials() {
    let proxy = Server::with_handler(|_, _| Reply::text(407, "no"));
    let url = proxy.url("").replace("http://", "http://alice:pa%40ss@");
    let t = proxied(&[
        ("HTTP_PROXY", "http://127.0.0.1:1".into()),
        ("https_proxy", url),
    ]);
    let err = t
        .send(&get("https://sts.us-west-2.amazonaws.com/", 2000))
        .unwrap_err();
    assert!(err.0.contains("proxy"), "{err}");
    assert!(
        !err.0.contains("pa@ss") && !err.0.contains("pa%40ss"),
        "{err}"
    );
    let got = proxy.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "CONNECT");
    assert_eq!(got[0].target, "sts.us-west-2.amazonaws.com:443");
    // alice:pa@ss
    assert_eq!(
        got[0].header("proxy-authorization"),
        Some("Basic YWxpY2U6cGFAc3M=")
    );
}

#[test]
fn loopback_and_no_proxy_bypass_the_proxy() {
    let proxy = Server::start(vec![Reply::text(200, "via proxy")]);
    let target = Server::start(vec![Reply::text(200, "direct")]);
    let t = proxied(&[
        ("HTTP_PROXY", proxy.url("")),
        ("NO_PROXY", "other.example".into()),
    ]);
    let resp = t.send(&get(&target.url("/"), 2000)).unwrap();
    assert_eq!(resp.text(), "direct");
    assert_eq!((proxy.count(), target.count()), (0, 1));
    // `localhost` is loopback too, whatever NO_PROXY says.
    let t = proxied(&[("HTTP_PROXY", proxy.url(""))]);
    let url = format!("http://localhost:{}/", target.port());
    let _ = t.send(&get(&url, 2000));
    assert_eq!(proxy.count(), 0);
}

#[test]
fn a_bad_proxy_variable_is_named() {
    let t = proxied(&[("HTTPS_PROXY", "http://[oops".into())]);
    let err = t
        .send(&get("https://sts.amazonaws.com/", 2000))
        .unwrap_err();
    assert!(
        err.0.starts_with("HTTPS_PROXY is not a valid proxy URL"),
        "{err}"
    );
}

#[test]
fn a_garbage_ca_bundle_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.pem");
    std::fs::write(&path, "this is not a certificate\n").unwrap();
    let pem = std::fs::read(&path).unwrap();
    let err = Transport::new(&Env::default(), Some((&path, &pem))).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("no PEM certificate"), "{text}");
    let err = Transport::new(&Env::default(), Some((Path::new("/b.pem"), b""))).unwrap_err();
    assert!(err.to_string().starts_with("CA bundle /b.pem: "), "{err}");
}

mod tls {
    //! HTTPS to a local rustls server whose certificate comes from a CA made at test time.
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::Arc;

    struct Pki {
        ca_pem: String,
        server: Arc<rustls::ServerConfig>,
    }

    fn pki() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .unwrap();
        Pki {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }

    /// Serves one HTTPS connection with `200 secure`; returns the port.
    fn serve_once(config: Arc<rustls::ServerConfig>) -> (u16, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = rustls::ServerConnection::new(config).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut reader = BufReader::new(&mut tls);
            let mut line = String::new();
            // A failed handshake shows up here as an error: nothing more to do.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = tls.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure",
            );
            let _ = tls.flush();
        });
        (port, handle)
    }

    #[test]
    fn a_ca_bundle_replaces_the_roots() {
        let pki = pki();
        let (port, done) = serve_once(pki.server.clone());
        let t = Transport::new(
            &Env::default(),
            Some((Path::new("ca.pem"), pki.ca_pem.as_bytes())),
        )
        .unwrap();
        let resp = t
            .send(&get(&format!("https://127.0.0.1:{port}/"), 5000))
            .unwrap();
        assert_eq!(resp.text(), "secure");
        done.join().unwrap();
    }

    #[test]
    fn without_the_bundle_the_embedded_roots_reject_it() {
        let pki = pki();
        let (port, done) = serve_once(pki.server.clone());
        let err = transport()
            .send(&get(&format!("https://127.0.0.1:{port}/"), 5000))
            .unwrap_err();
        assert!(err.0.contains("TLS failed"), "{err}");
        assert!(err.0.contains("AWS_CA_BUNDLE"), "{err}");
        done.join().unwrap();
    }
}

#[test]
fn a_dead_proxy_is_named_in_the_error_without_its_password() {
    let url = format!("http://bob:hunter2secret@127.0.0.1:{}", closed_port());
    let t = proxied(&[("HTTPS_PROXY", url)]);
    let err = t
        .send(&get("https://sts.us-west-2.amazonaws.com/", 2000))
        .unwrap_err();
    assert!(err.0.contains("via the proxy in HTTPS_PROXY"), "{err}");
    assert!(!err.0.contains("hunter2secret"), "{err}");
}
