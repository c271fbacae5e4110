//! The Worker's log lines (docs/audit-log.md): audit events and faults, one JSON object
//! per line, each stamped with the request's id.

use casplus::cas::audit::AuditEvent;
use casplus::cas::ticket::random_token;
use casplus::time::Timestamp;

use crate::platform::Csprng;

/// The request id of the audit log: the `cf-ray` header (Cloudflare's id of the request,
/// also in `wrangler tail`), else 16 random hex digits.
pub fn request_id(cf_ray: Option<&str>) -> String {
    match cf_ray {
        Some(ray) if !ray.is_empty() && ray.len() <= 64 && ray.is_ascii() => ray.to_owned(),
        // A broken generator is refused by `Csprng::check` before anything is issued.
        _ => match Csprng::check() {
            Ok(mut rng) => random_token(&mut rng, "", 8),
            Err(_) => "0".repeat(16),
        },
    }
}

/// Logs `events` for the audit trail: one JSON object per line, stamped with the request
/// id and the time (docs/audit-log.md).
pub fn audit(request_id: &str, now: Timestamp, events: &[AuditEvent]) {
    if events.is_empty() {
        return;
    }
    let time = now.to_rfc3339();
    for event in events {
        worker::console_log!("{}", audit_line(event, request_id, &time));
    }
}

/// An audit event as one JSON line, with the request's id and time added to its fields.
fn audit_line(event: &AuditEvent, request_id: &str, time: &str) -> String {
    match serde_json::to_string(event) {
        // An event is an object with at least its `event` field: `{"event":…}`.
        Ok(mut out) if out.ends_with('}') => {
            out.pop();
            for (key, value) in [("request_id", request_id), ("time", time)] {
                out.push(',');
                push_json_str(&mut out, key);
                out.push(':');
                push_json_str(&mut out, value);
            }
            out.push('}');
            out
        }
        _ => line(&[
            ("event", "fault"),
            ("endpoint", "audit"),
            ("request_id", request_id),
        ]),
    }
}

/// A fault line of the log (docs/audit-log.md), with the request's id.
pub fn fault(request_id: &str, endpoint: &str, error: &str) {
    worker::console_error!(
        "{}",
        line(&[
            ("event", "fault"),
            ("endpoint", endpoint),
            ("error", error),
            ("request_id", request_id),
        ])
    );
}

/// One log line: a JSON object of text fields, in the order given.
pub fn line(fields: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(&mut out, key);
        out.push(':');
        push_json_str(&mut out, value);
    }
    out.push('}');
    out
}

/// `s` as a JSON string (serde_json's escaping).
fn push_json_str(out: &mut String, s: &str) {
    // Serializing a string cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_come_from_cf_ray_or_are_random_hex() {
        assert_eq!(
            request_id(Some("8f1c2a3b4d5e6f70-AMS")),
            "8f1c2a3b4d5e6f70-AMS"
        );
        for bad in [None, Some(""), Some("é"), Some(&*"x".repeat(65))] {
            let id = request_id(bad);
            assert_eq!(id.len(), 16, "{bad:?}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn log_lines_are_json_objects_with_escaped_fields() {
        let text = line(&[("event", "fault"), ("error", "a \"quoted\"\nline\u{7}")]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["event"], "fault");
        assert_eq!(v["error"], "a \"quoted\"\nline\u{7}");
        assert_eq!(v.as_object().unwrap().len(), 2);
    }

    #[test]
    fn audit_lines_are_the_event_with_request_id_and_time() {
        let event = AuditEvent::Logout {
            principal: Some("ca\"suser".to_owned()),
            tgt: None,
            single_logouts: 2,
        };
        let text = audit_line(&event, "ray-1", "2026-12-07T11:00:00Z");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut want = event.to_json();
        want["request_id"] = "ray-1".into();
        want["time"] = "2026-12-07T11:00:00Z".into();
        assert_eq!(v, want);
    }
}
