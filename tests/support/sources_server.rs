//! Test-only HTTP plumbing for the credential-source tests: a tiny HTTP/1.1 server on
//! 127.0.0.1 (one thread per connection, `Connection: close`) and a minimal `Http` client over
//! `std::net::TcpStream`, until the real transport is merged.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eks_token::http::{Http, HttpError, HttpRequest, HttpResponse};

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    Send(u16, String),
    /// Keep the connection open without answering, then drop it.
    Hang(Duration),
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (handler, seen) = (handler.clone(), seen2.clone());
                std::thread::spawn(move || serve(conn, &*handler, &seen));
            }
        });
        Server {
            addr,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    seen.lock().unwrap().push(req.clone());
    match handler(&req) {
        Reply::Send(status, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body.as_bytes());
        }
        Reply::Hang(d) => std::thread::sleep(d),
    }
}

fn read_request(conn: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8(buf).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
    })
}

/// A minimal HTTP/1.1 client for tests: plain http only, `Connection: close`, whole exchange
/// bounded by the request's timeout.
pub struct TcpHttp;

impl Http for TcpHttp {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let err = |e: &dyn std::fmt::Display| HttpError(format!("{}: {e}", req.url));
        let rest = req
            .url
            .strip_prefix("http://")
            .ok_or_else(|| err(&"only http:// in tests"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let hostport = if authority
            .rsplit(':')
            .next()
            .is_some_and(|p| p.parse::<u16>().is_ok())
            && !authority.ends_with(']')
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let deadline = Instant::now() + req.timeout;
        let addr = hostport
            .to_socket_addrs()
            .map_err(|e| err(&e))?
            .next()
            .ok_or_else(|| err(&"no address"))?;
        let mut conn = TcpStream::connect_timeout(&addr, req.timeout).map_err(|e| err(&e))?;
        let mut head = format!(
            "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
            req.method,
            req.body.len()
        );
        for (k, v) in &req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes()).map_err(|e| err(&e))?;
        conn.write_all(&req.body).map_err(|e| err(&e))?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(err(&"timed out"));
            }
            conn.set_read_timeout(Some(left)).map_err(|e| err(&e))?;
            match conn.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(err(&e)),
            }
        }
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| err(&"no header end"))?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err(&"bad status line"))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Ok(HttpResponse {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        })
    }
}

/// Replays a smithy-rs `http-traffic.json` recording: each request is matched (method and URL)
/// to the first unused recorded one, whose headers that matter must agree. The recordings
/// predate IMDS's extended credentials API, so unrecorded `…-extended/` requests get a 404 (what
/// an instance without that API answers).
pub struct Replay {
    exchanges: Mutex<Vec<(Exchange, bool)>>,
    pub problems: Mutex<Vec<String>>,
    sent: Mutex<Vec<HttpRequest>>,
}

#[derive(Clone, Debug)]
struct Exchange {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    status: u16,
    body: String,
}

const CHECKED_HEADERS: &[&str] = &[
    "authorization",
    "x-aws-ec2-metadata-token",
    "x-aws-ec2-metadata-token-ttl-seconds",
];

impl Replay {
    pub fn from_file(path: &std::path::Path) -> Replay {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut by_conn: std::collections::BTreeMap<u64, Exchange> = Default::default();
        for ev in v["events"].as_array().unwrap() {
            let id = ev["connection_id"].as_u64().unwrap();
            let x = by_conn.entry(id).or_insert_with(|| Exchange {
                method: String::new(),
                uri: String::new(),
                headers: vec![],
                status: 0,
                body: String::new(),
            });
            let action = &ev["action"];
            if let Some(r) = action.get("Request") {
                let r = &r["request"];
                x.method = r["method"].as_str().unwrap().to_string();
                x.uri = r["uri"].as_str().unwrap().to_string();
                for (k, vals) in r["headers"].as_object().unwrap() {
                    x.headers
                        .push((k.to_lowercase(), vals[0].as_str().unwrap().to_string()));
                }
            } else if let Some(r) = action.get("Response") {
                x.status = r["response"]["Ok"]["status"].as_u64().unwrap() as u16;
            } else if let Some(d) = action.get("Data") {
                if d["direction"] == "Response" {
                    x.body.push_str(d["data"]["Utf8"].as_str().unwrap());
                }
            }
        }
        Replay {
            exchanges: Mutex::new(by_conn.into_values().map(|x| (x, false)).collect()),
            problems: Mutex::new(vec![]),
            sent: Mutex::new(vec![]),
        }
    }

    /// The value of header `name` in each request sent, in order.
    pub fn seen_header(&self, name: &str) -> Vec<Option<String>> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                r.headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            })
            .collect()
    }

    /// Recorded exchanges never asked for.
    pub fn unused(&self) -> Vec<String> {
        self.exchanges
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, used)| !used)
            .map(|(x, _)| format!("{} {}", x.method, x.uri))
            .collect()
    }
}

impl Http for Replay {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        self.sent.lock().unwrap().push(req.clone());
        let mut exchanges = self.exchanges.lock().unwrap();
        let found = exchanges
            .iter_mut()
            .find(|(x, used)| !used && x.method == req.method && x.uri == req.url);
        let Some((x, used)) = found else {
            if req.url.contains("/security-credentials-extended/") {
                return Ok(HttpResponse {
                    status: 404,
                    headers: vec![],
                    body: vec![],
                });
            }
            self.problems
                .lock()
                .unwrap()
                .push(format!("unrecorded {} {}", req.method, req.url));
            return Err(HttpError("unrecorded request".into()));
        };
        *used = true;
        for name in CHECKED_HEADERS {
            // Only recorded headers are checked: some recordings leave Authorization out.
            let Some(want) = x
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
            else {
                continue;
            };
            let got = req
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str());
            if Some(want) != got {
                self.problems.lock().unwrap().push(format!(
                    "{} {}: header {name} {got:?}, recorded {want:?}",
                    req.method, req.url
                ));
            }
        }
        Ok(HttpResponse {
            status: x.status,
            headers: vec![],
            body: x.body.clone().into_bytes(),
        })
    }
}
