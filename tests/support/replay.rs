//! Replays a smithy-rs `http-traffic.json` recording as an `Http`, for whole-chain tests.
//!
//! Unlike `sources_server::Replay` (exact URL match, one source at a time), this one matches
//! URLs the way an HTTP client sees them: scheme and host case-insensitively, an empty path as
//! `/`, query parameters in any order; so a recorded `http://aws.global-env-override` matches our
//! `http://aws.global-env-override/`. Each request takes the first unused recorded exchange with
//! the same method and URL. IMDS `…-extended/` requests, which the recordings predate, get a 404
//! (an instance without that API); any other unrecorded request is a connection error, as on a
//! machine with no such endpoint. Mismatched headers or STS form fields are noted in `problems`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use eks_token::http::{Http, HttpError, HttpRequest, HttpResponse};

/// Headers whose recorded value must be sent as recorded. `authorization` only when it is not a
/// SigV4 signature (the container token is; a signature depends on the recording's clock).
const CHECKED_HEADERS: &[&str] = &[
    "authorization",
    "x-aws-ec2-metadata-token",
    "x-aws-ec2-metadata-token-ttl-seconds",
    "x-amz-sso_bearer_token",
];

/// STS form fields that must agree with the recording when recorded. Not `RoleSessionName`
/// (each SDK makes up its own default) nor `RoleArn` (the web identity recordings were made
/// with other roles than their config files now name).
const CHECKED_FORM_FIELDS: &[&str] = &["Action", "ExternalId"];

#[derive(Clone, Debug, Default)]
struct Exchange {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    request_body: String,
    status: u16,
    response_headers: Vec<(String, String)>,
    body: String,
}

pub struct Recording {
    exchanges: Mutex<Vec<(Exchange, bool)>>,
    problems: Mutex<Vec<String>>,
    unrecorded: Mutex<Vec<String>>,
}

impl Recording {
    pub fn from_file(path: &Path) -> Recording {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut by_conn: BTreeMap<u64, Exchange> = BTreeMap::new();
        for ev in v["events"].as_array().unwrap() {
            let x = by_conn
                .entry(ev["connection_id"].as_u64().unwrap())
                .or_default();
            let action = &ev["action"];
            if let Some(r) = action.get("Request") {
                let r = &r["request"];
                x.method = r["method"].as_str().unwrap().to_string();
                x.uri = r["uri"].as_str().unwrap().to_string();
                x.headers = first_values(&r["headers"]);
            } else if let Some(r) = action.get("Response") {
                let ok = &r["response"]["Ok"];
                x.status = ok["status"].as_u64().unwrap() as u16;
                x.response_headers = first_values(&ok["headers"]);
            } else if let Some(d) = action.get("Data") {
                let text = d["data"]["Utf8"].as_str().unwrap_or_default();
                if d["direction"] == "Response" {
                    x.body.push_str(text);
                } else {
                    x.request_body.push_str(text);
                }
            }
        }
        Recording {
            exchanges: Mutex::new(by_conn.into_values().map(|x| (x, false)).collect()),
            problems: Mutex::new(vec![]),
            unrecorded: Mutex::new(vec![]),
        }
    }

    /// Every recorded response body, for picking a clock that predates what they hold.
    pub fn response_bodies(&self) -> Vec<String> {
        let xs = self.exchanges.lock().unwrap();
        xs.iter().map(|(x, _)| x.body.clone()).collect()
    }

    /// Requests that differed from the recording in a checked header or form field.
    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().unwrap().clone()
    }

    /// Requests nothing was recorded for (answered with a connection error).
    pub fn unrecorded(&self) -> Vec<String> {
        self.unrecorded.lock().unwrap().clone()
    }

    /// Recorded exchanges never asked for.
    pub fn unused(&self) -> Vec<String> {
        let xs = self.exchanges.lock().unwrap();
        xs.iter()
            .filter(|(_, used)| !used)
            .map(|(x, _)| format!("{} {}", x.method, x.uri))
            .collect()
    }
}

fn first_values(headers: &serde_json::Value) -> Vec<(String, String)> {
    headers
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, vals)| Some((k.to_lowercase(), vals.get(0)?.as_str()?.to_string())))
        .collect()
}

/// `(scheme://host[:port] lowercased, path or "/", sorted query pairs)`.
pub fn normalize_url(url: &str) -> (String, String, Vec<String>) {
    let (before_query, query) = url.split_once('?').unwrap_or((url, ""));
    let (scheme, rest) = before_query.split_once("://").unwrap_or(("", before_query));
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    pairs.sort();
    (
        format!("{}://{}", scheme.to_lowercase(), authority.to_lowercase()),
        path.to_string(),
        pairs,
    )
}

fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Http for Recording {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let want = normalize_url(&req.url);
        let mut exchanges = self.exchanges.lock().unwrap();
        let found = exchanges
            .iter_mut()
            .find(|(x, used)| !used && x.method == req.method && normalize_url(&x.uri) == want);
        let Some((x, used)) = found else {
            if req.url.contains("/security-credentials-extended/") {
                return Ok(HttpResponse {
                    status: 404,
                    headers: vec![],
                    body: vec![],
                });
            }
            self.unrecorded
                .lock()
                .unwrap()
                .push(format!("{} {}", req.method, req.url));
            return Err(HttpError(format!(
                "{}: connection refused (unrecorded)",
                req.url
            )));
        };
        *used = true;
        let mut problems = self.problems.lock().unwrap();
        for name in CHECKED_HEADERS {
            let Some(recorded) = header(&x.headers, name) else {
                continue;
            };
            if *name == "authorization" && recorded.starts_with("AWS4-HMAC-SHA256") {
                continue;
            }
            let sent = header(&req.headers, name);
            if sent != Some(recorded) {
                problems.push(format!(
                    "{} {}: header {name} {sent:?}, recorded {recorded:?}",
                    req.method, req.url
                ));
            }
        }
        if x.request_body.contains("Action=") {
            let recorded = form(&x.request_body);
            let sent = form(&String::from_utf8_lossy(&req.body));
            for field in CHECKED_FORM_FIELDS {
                let get = |f: &[(String, String)]| {
                    f.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone())
                };
                if get(&recorded) != get(&sent) {
                    problems.push(format!(
                        "{} {}: form field {field} {:?}, recorded {:?}",
                        req.method,
                        req.url,
                        get(&sent),
                        get(&recorded)
                    ));
                }
            }
        }
        Ok(HttpResponse {
            status: x.status,
            headers: x.response_headers.clone(),
            body: x.body.clone().into_bytes(),
        })
    }
}
