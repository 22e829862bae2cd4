//! Diagnostics on stderr: warnings always, `--debug` lines when asked. Callers pass what they
//! log already stripped of secrets (an access key id is fine; a secret key, session token or
//! MFA code never is); tests capture it.

use std::cell::RefCell;
use std::fmt::Display;

/// A debug log: silent, to stderr, or captured (tests).
#[derive(Debug, Default)]
pub struct Log {
    enabled: bool,
    captured: Option<RefCell<Vec<String>>>,
}

impl Log {
    pub fn stderr(enabled: bool) -> Log {
        Log {
            enabled,
            captured: None,
        }
    }

    pub fn capture(debug: bool) -> Log {
        Log {
            enabled: debug,
            captured: Some(RefCell::new(Vec::new())),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn debug(&self, msg: impl Display) {
        if self.enabled {
            self.emit(format!("debug: {msg}"));
        }
    }

    /// Something the user should fix, though we carried on.
    pub fn warn(&self, msg: impl Display) {
        self.emit(format!("warning: {msg}"));
    }

    fn emit(&self, line: String) {
        match &self.captured {
            Some(lines) => lines.borrow_mut().push(line),
            None => eprintln!("eks-token: {line}"),
        }
    }

    /// Captured lines (empty unless built with `capture`).
    pub fn lines(&self) -> Vec<String> {
        self.captured
            .as_ref()
            .map(|c| c.borrow().clone())
            .unwrap_or_default()
    }
}
