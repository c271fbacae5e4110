//! The Worker's log lines (README "Audit log"): audit events and faults, one JSON object
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
/// id and the time (README "Audit log").
pub fn audit(request_id: &str, now: Timestamp, events: &[AuditEvent]) {
    for event in events {
        let mut line = event.to_json();
        if let Some(map) = line.as_object_mut() {
            map.insert("request_id".to_owned(), request_id.into());
            map.insert("time".to_owned(), now.to_rfc3339().into());
        }
        worker::console_log!("{line}");
    }
}

/// A fault line of the log (README "Audit log"), with the request's id.
pub fn fault(request_id: &str, endpoint: &str, error: &str) {
    worker::console_error!(
        "{}",
        serde_json::json!({ "event": "fault", "endpoint": endpoint, "error": error,
            "request_id": request_id })
    );
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
}
