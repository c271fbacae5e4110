//! Collecting diagnostics with a bound: a hostile capture can repeat one problem a million times,
//! the report keeps the first [`Diags::PER_CODE`] of each code and counts the rest.

use super::model::{Diagnostic, Severity};

impl Diagnostic {
    /// A diagnostic with no location yet.
    pub(crate) fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            offset: None,
            frame: None,
            conn: None,
            stream: None,
            pdu: None,
        }
    }

    /// At this input offset.
    pub(crate) fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// About this frame.
    pub(crate) fn frame(mut self, frame: u32) -> Self {
        self.frame = Some(frame);
        self
    }

    /// About this connection.
    pub(crate) fn conn(mut self, conn: Option<u32>) -> Self {
        self.conn = conn;
        self
    }

    /// About this stream.
    pub(crate) fn stream(mut self, stream: u32) -> Self {
        self.stream = Some(stream);
        self
    }

    /// About this PDU.
    pub(crate) fn pdu(mut self, pdu: u32) -> Self {
        self.pdu = Some(pdu);
        self
    }
}

/// A bounded list of diagnostics.
#[derive(Debug, Default)]
pub(crate) struct Diags {
    list: Vec<Diagnostic>,
    /// Count per code (a handful of codes: a vector is smaller than a map in wasm).
    per_code: Vec<(&'static str, u32)>,
    dropped: u64,
}

impl Diags {
    /// How many diagnostics of one code are kept.
    pub(crate) const PER_CODE: u32 = 200;

    pub(crate) fn push(&mut self, d: Diagnostic) {
        let n = match self.per_code.iter_mut().find(|(c, _)| *c == d.code) {
            Some((_, n)) => {
                *n = n.saturating_add(1);
                *n
            }
            None => {
                self.per_code.push((d.code, 1));
                1
            }
        };
        if n <= Self::PER_CODE {
            self.list.push(d);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Number of diagnostics with this code so far (kept or not).
    #[cfg(test)]
    pub(crate) fn count(&self, code: &str) -> u32 {
        self.per_code
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, n)| *n)
    }

    /// The kept diagnostics plus one summary per code that overflowed, and the number dropped.
    pub(crate) fn finish(mut self) -> (Vec<Diagnostic>, u64) {
        for (code, n) in &self.per_code {
            if *n > Self::PER_CODE {
                self.list.push(Diagnostic::new(
                    "diagnostics_truncated",
                    Severity::Info,
                    format!(
                        "{} more `{code}` diagnostics not listed ({n} in total)",
                        n - Self::PER_CODE
                    ),
                ));
            }
        }
        (self.list, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_codes_are_capped_and_summarised() {
        let mut d = Diags::default();
        for _ in 0..(Diags::PER_CODE + 5) {
            d.push(Diagnostic::new("x", Severity::Warning, "m"));
        }
        d.push(Diagnostic::new("y", Severity::Info, "m"));
        assert_eq!(d.count("x"), Diags::PER_CODE + 5);
        let (list, dropped) = d.finish();
        assert_eq!(dropped, 5);
        assert_eq!(list.len() as u32, Diags::PER_CODE + 2);
        assert!(
            list.iter()
                .any(|d| d.code == "diagnostics_truncated" && d.message.starts_with("5 more `x`"))
        );
    }
}
