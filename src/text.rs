//! Text from outside (servers, helper programs, files) made fit for our one stderr line, and
//! the small readers the JSON credential sources share.

/// `: code: message`, `: code` or `: message` to end an error line; empty with neither.
pub(crate) fn code_and_message(code: Option<String>, message: Option<String>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!(": {c}: {m}"),
        (Some(c), None) => format!(": {c}"),
        (None, Some(m)) => format!(": {m}"),
        (None, None) => String::new(),
    }
}

/// One line, printable, at most 200 characters.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect()
}

/// A JSON field as text: absent, `null` and `""` all mean unset; `Err(())` when it is not a
/// string, for the caller to name in its own words.
pub(crate) fn json_text(
    field: Option<&serde_json::Value>,
) -> std::result::Result<Option<&str>, ()> {
    match field {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.is_empty())),
        Some(_) => Err(()),
    }
}
