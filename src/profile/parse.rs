//! The line grammar of one shared config or credentials file, as the AWS SDKs' common spec (the
//! SEP suite) defines it: `[section]` headers, `key = value`, indented continuation lines and
//! sub-properties, `#`/`;` comments. It only sorts sections into buckets; which bucket wins
//! (`[profile default]` over `[default]`, credentials over config) is decided in `mod.rs`.

use super::{Origin, Profile, Property};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The spec's whitespace is only space and tab (`trim()` would also eat `\r`, `\u{a0}`, ...).
const WS: &[char] = &[' ', '\t'];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Config,
    Credentials,
}

/// What one file holds, before files are merged.
#[derive(Default, Debug)]
pub(super) struct Parsed {
    pub profiles: BTreeMap<String, Profile>,
    /// `[default]` in the config file: used only if no `[profile default]` exists there.
    pub bare_default: Option<Profile>,
    pub sso_sessions: BTreeMap<String, Profile>,
    pub services: BTreeMap<String, Profile>,
}

/// Where the lines under a header go. `Skip`ped sections (invalid names, `[foo]` in the config
/// file, ...) are still parsed, so a syntax error is an error wherever it is.
enum Slot {
    Profile(String),
    BareDefault,
    SsoSession(String),
    Services(String),
    Skip,
}

/// The setting that indented lines belong to. `key` is `None` for an invalid (dropped) key.
struct Open {
    key: Option<String>,
    /// `key =` with nothing after it: indented lines are `sub = value` pairs, not continuations.
    subs: bool,
}

/// Profile, sso-session and property names: the spec's identifier characters.
fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// Cut a trailing comment. In headers any `#`/`;` starts one; in `key = value` lines only one
/// after whitespace does, so `secret=ab;cd` keeps its `;` (the suites require both).
fn strip_comment(line: &str, needs_space: bool) -> &str {
    let mut prev_space = false;
    for (i, c) in line.char_indices() {
        if (c == '#' || c == ';') && (prev_space || !needs_space) {
            return line.get(..i).unwrap_or(line).trim_matches(WS);
        }
        prev_space = WS.contains(&c);
    }
    line.trim_matches(WS)
}

fn classify(kind: Kind, header: &str) -> Slot {
    let ident = |n: &str, slot: fn(String) -> Slot| {
        if is_ident(n) {
            slot(n.to_string())
        } else {
            Slot::Skip
        }
    };
    if kind == Kind::Credentials {
        // Every credentials section is a bare profile name; `[profile x]` has a space: invalid.
        return ident(header, Slot::Profile);
    }
    if header == "default" {
        return Slot::BareDefault;
    }
    // A prefix must be followed by whitespace: `[profilefoo]` is not profile `foo`.
    let Some((prefix, name)) = header.split_once(WS) else {
        return Slot::Skip;
    };
    let name = name.trim_matches(WS);
    match prefix {
        "profile" => ident(name, Slot::Profile),
        "sso-session" => ident(name, Slot::SsoSession),
        "services" => ident(name, Slot::Services),
        _ => Slot::Skip,
    }
}

impl Parsed {
    /// The section a slot names, created on first sight (an empty `[profile x]` still exists).
    fn section(&mut self, slot: &Slot) -> Option<&mut Profile> {
        let (map, name) = match slot {
            Slot::Profile(n) => (&mut self.profiles, n),
            Slot::SsoSession(n) => (&mut self.sso_sessions, n),
            Slot::Services(n) => (&mut self.services, n),
            Slot::BareDefault => {
                return Some(
                    self.bare_default
                        .get_or_insert_with(|| Profile::named("default")),
                )
            }
            Slot::Skip => return None,
        };
        if !map.contains_key(name) {
            map.insert(name.clone(), Profile::named(name));
        }
        map.get_mut(name)
    }
}

/// Why a `key = value` text is not one.
enum Bad {
    NoEquals,
    NoName,
}

/// `key = value` → (the key lower-cased, or `None` if it is not a valid name; the value).
/// Keys are case-insensitive (suite: `Name` then `name` is one key); invalid ones are dropped.
fn setting(text: &str) -> std::result::Result<(Option<String>, &str), Bad> {
    let (k, v) = text.split_once('=').ok_or(Bad::NoEquals)?;
    let k = k.trim_matches(WS);
    if k.is_empty() {
        return Err(Bad::NoName);
    }
    Ok((
        is_ident(k).then(|| k.to_ascii_lowercase()),
        v.trim_matches(WS),
    ))
}

/// Parse one file. Never panics; the only errors are the spec's syntax errors, located by line.
/// Error texts name at most a key, never a value or a raw line (either may be a secret).
pub(super) fn parse_file(kind: Kind, path: &Path, text: &str) -> Result<Parsed> {
    let err = |line: usize, why: String| Error::ConfigFile {
        path: path.to_path_buf(),
        line,
        why,
    };
    // `under`: the setting whose indented sub-property block the line is in.
    let bad = |line: usize, under: Option<&str>, b: Bad| {
        let why = match (b, under) {
            (Bad::NoEquals, None) => "expected 'key = value' (# or ; starts a comment line)".into(),
            (Bad::NoEquals, Some(k)) => {
                format!(
                    "expected 'name = value': lines indented under '{k} =' are its sub-settings"
                )
            }
            (Bad::NoName, None) => "setting has no key before '='".into(),
            (Bad::NoName, Some(_)) => "sub-setting has no name before '='".into(),
        };
        err(line, format!("{why}; fix or delete this line"))
    };
    let header = match kind {
        Kind::Config => "[profile NAME]",
        Kind::Credentials => "[NAME]",
    };
    let mut out = Parsed::default();
    // The section lines go to (None before the first header), and the setting that indented
    // lines continue (None right after a header).
    let mut slot: Option<Slot> = None;
    let mut open: Option<Open> = None;
    // A BOM from Windows editors would otherwise make the first header an unknown line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_matches(WS);
        // Indented comments are comments too (as in the AWS CLI), not continuations that would
        // silently append "# note" to the previous value.
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            // In a header any `#`/`;` starts a comment; what is left must be `[...]`.
            let Some(inner) = strip_comment(line, false)
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
            else {
                return Err(err(
                    n,
                    "section header must end with ']' (a comment may follow it)".into(),
                ));
            };
            let s = classify(kind, inner.trim_matches(WS));
            out.section(&s);
            slot = Some(s);
            open = None;
            continue;
        }
        let Some(sec) = &slot else {
            return Err(err(
                n,
                format!("line is outside any section; add a {header} line above it"),
            ));
        };
        if !line.starts_with(WS) {
            let (key, value) = setting(strip_comment(line, true)).map_err(|b| bad(n, None, b))?;
            if let (Some(key), Some(p)) = (&key, out.section(sec)) {
                let origin = Origin {
                    path: path.to_path_buf(),
                    line: n,
                };
                let prop = Property {
                    value: value.to_string(),
                    subs: None,
                    origin,
                };
                p.props.insert(key.clone(), prop);
            }
            open = Some(Open {
                key,
                subs: value.is_empty(),
            });
            continue;
        }
        // An indented line continues the open setting or, when that was `key =` with nothing
        // after it, is a `name = value` of its sub-property block (whose values keep a trailing ` # text`).
        let Some(o) = &open else {
            return Err(err(
                n,
                "indented line continues no setting; remove its leading whitespace".into(),
            ));
        };
        let under = o.key.as_deref().unwrap_or("key");
        let sub = if o.subs {
            setting(trimmed).map_err(|b| bad(n, Some(under), b))?
        } else {
            (None, "")
        };
        if let Some(p) = o
            .key
            .as_ref()
            .and_then(|k| out.section(sec)?.props.get_mut(k))
        {
            // The raw text keeps every line: smithy-rs's view of a sub-property block.
            p.value.push('\n');
            p.value.push_str(trimmed);
            if o.subs {
                let map = p.subs.get_or_insert_with(BTreeMap::new);
                if let (Some(k), v) = sub {
                    map.insert(k, v.to_string());
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_need_whitespace_only_in_settings() {
        assert_eq!(strip_comment("a = b#c ;d", true), "a = b#c");
        assert_eq!(strip_comment("[profile x]#c", false), "[profile x]");
        assert_eq!(strip_comment("😂 ;x", true), "😂");
    }

    #[test]
    fn identifiers() {
        assert!(is_ident("a-b_c/d.e%f@g:h+1"));
        assert!(!is_ident("a b"));
        assert!(!is_ident("foo!bar"));
        assert!(!is_ident(""));
    }
}
