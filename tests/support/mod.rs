//! A tiny HTTP/1.1 server on 127.0.0.1 for integration tests: it records every request and
//! answers from a script or a handler. It also plays a CONNECT proxy (answering `200` to
//! `CONNECT` and serving the tunnelled plain-HTTP request itself). Stopped when dropped.
//!
//! ```ignore
//! mod support;
//! let server = support::Server::start(vec![support::Reply::text(200, "hello")]);
//! // ... send to server.url("/path") ...
//! assert_eq!(server.requests()[0].method, "GET");
//! ```
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    /// The request-target as sent: `/path?q`, `http://host/path` (absolute form) or
    /// `host:port` (CONNECT).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        self.body_text()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (form_decode(k), form_decode(v))
            })
            .collect()
    }

    /// One form field's decoded value.
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// What to do with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with this status, extra headers and body (`Content-Length` and
    /// `Connection: close` are added).
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request, then never answer (the connection stays open until the server stops).
    Hang,
    /// Close the connection without a word.
    Close,
    /// For a `CONNECT`: answer `200 Connection established` and serve the tunnelled request.
    Tunnel,
}

impl Reply {
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    /// An XML answer (`Content-Type: text/xml`), as STS sends.
    pub fn xml(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), "text/xml".into())],
            body: body.as_bytes().to_vec(),
        }
    }
}

type Handler = dyn Fn(&Received, usize) -> Reply + Send + Sync;

/// The server. `Drop` stops it.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Answer the n-th request with `replies[n]`; the last reply repeats. `CONNECT` requests
    /// are tunnelled without using up a reply.
    pub fn start(replies: Vec<Reply>) -> Server {
        assert!(!replies.is_empty(), "give at least one reply");
        Server::with_handler(move |req, n| {
            if req.method == "CONNECT" {
                Reply::Tunnel
            } else {
                replies[n.min(replies.len() - 1)].clone()
            }
        })
    }

    /// Answer with `handler(request, n)`, where `n` counts the non-CONNECT requests from 0.
    pub fn with_handler(
        handler: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let requests = requests.clone();
            let stop = stop.clone();
            std::thread::spawn(move || serve(listener, requests, stop, handler))
        };
        Server {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything received so far, CONNECTs included, in order.
    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn serve(
    listener: TcpListener,
    requests: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    handler: Arc<Handler>,
) {
    // Hung connections are parked here so they stay open until the server stops.
    let mut parked = Vec::new();
    let mut served = 0usize;
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        if let Some(s) = connection(stream, &requests, &handler, &mut served) {
            parked.push(s);
        }
    }
}

/// Serve one connection; returns it when it must be kept open unanswered.
fn connection(
    stream: TcpStream,
    requests: &Mutex<Vec<Received>>,
    handler: &Arc<Handler>,
    served: &mut usize,
) -> Option<TcpStream> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut writer = stream;
    loop {
        let req = read_request(&mut reader)?;
        requests.lock().unwrap().push(req.clone());
        let reply = handler(&req, *served);
        if req.method != "CONNECT" {
            *served += 1;
        }
        match reply {
            Reply::Tunnel => {
                writer
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .ok()?;
                // The tunnelled request follows on the same connection.
            }
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                ));
                let _ = writer.write_all(head.as_bytes());
                let _ = writer.write_all(&body);
                let _ = writer.flush();
                return None;
            }
            Reply::Hang => return Some(writer),
            Reply::Close => return None,
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    if method.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
