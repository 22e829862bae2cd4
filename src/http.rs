//! The one seam between eks-token and the network. Credential sources build an [`HttpRequest`]
//! and hand it to an [`Http`]; the real implementation (ureq, with timeouts, retries, proxies
//! and CA bundles) lives in `transport`, and tests pass fakes or point at 127.0.0.1 servers.
//! Minting the token itself never uses this.

use std::fmt;
use std::time::Duration;

/// An HTTP request. `timeout` bounds the whole exchange (connect + response).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

impl HttpRequest {
    pub fn new(method: &str, url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: method.to_string(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout: Duration::from_secs(5),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

// Headers carry signatures and tokens: Debug shows their names only.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.split('?').next().unwrap_or(""))
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// An HTTP response of any status: 4xx and 5xx bodies are kept (STS explains itself in them).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

// Bodies carry credentials: Debug shows the status and size only.
impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why no response came back (connection refused, timeout, TLS, proxy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError(pub String);

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sends one request, once. Retries are the caller's policy (see `transport::send_with_retries`).
pub trait Http {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError>;
}
