//! TACACS+ server policy (RFC 8907), pure: who may log in, what they may do, and what an
//! accounting record looks like. No I/O: [`ServerConnection`] joins the policy to one
//! [`super::session::Server`] connection machine, and the adapter (`casplus tacacs-server`)
//! only moves its bytes.
//!
//! # Configuration (JSON)
//!
//! ```text
//! {
//!   "comment": "any object may carry a \"comment\" string; it is ignored",
//!   "single_connect": true,                      // grant Single Connection Mode (§4.3)
//!   "clients": [                                 // shared secret per client network (§4.5)
//!     {"network": "127.0.0.1/32", "key": "tac-test-key"},
//!     {"network": "::1", "key_hex": "74 61 63"}, // bare address = /32 or /128
//!     {"network": "10.0.0.0/8", "key": "other"}, // longest prefix wins
//!     {"network": "192.0.2.0/24"}                // no key: TLS only (needs "tls" below)
//!   ],
//!   "tls": {                                     // TACACS+ over TLS 1.3 (RFC 9887)
//!     "cert": "server.pem", "key": "server.key", // PEM; relative to this file
//!     "client_ca": "ca.pem",                     // mutual TLS (RFC 9887 §3.3); optional
//!     "listen": "0.0.0.0:300"                    // default port 300 (RFC 9887 §7)
//!   },
//!   "groups": {
//!     "netops": {
//!       "services": [                            // authorization by service (§6, §8.2)
//!         {"service": "casplus", "args": ["groups=netops", "priv-lvl=15"]},
//!         {"service": "ppp", "protocol": "ip", "args": ["addr*10.1.1.1"]}
//!       ],
//!       "commands": [{"permit": "show .*"}, {"deny": "reload"}]  // shell commands
//!     }
//!   },
//!   "users": {
//!     "alice": {
//!       "login": "$pbkdf2-sha256$i=50000$<salt>$<hash>",  // ASCII login (§5.4.2.1)
//!       "pap": "$pbkdf2-sha256$…",                         // PAP (§5.4.2.2); default: login
//!       "enable": "$pbkdf2-sha256$…",                      // enable requests (§5.4.2.6)
//!       "chap": "cleartext CHAP secret",                   // CHAP (§5.4.2.3)
//!       "groups": ["netops"],
//!       "services": [{"service": "casplus", "args": ["mail=alice@example.net"]}],
//!       "commands": [{"permit": "configure terminal"}]
//!     }
//!   }
//! }
//! ```
//!
//! **Secrets.** `login`, `pap` and `enable` are salted PBKDF2-HMAC-SHA256 hashes in the PHC
//! string form `$pbkdf2-sha256$i=N$<salt, base64>$<hash, base64>` (standard alphabet, no
//! padding, 32-byte hash, salt 8–64 bytes, 1 000 ≤ N ≤ 10 000 000) — the
//! [`crate::password::PasswordHash`] the CAS user store uses too, made by `casplus
//! hash-password`. A `chap`
//! secret is **cleartext by nature**: the server must compute `MD5(id ‖ secret ‖
//! challenge)` (RFC 1994) itself, so it has to know the secret; protect the configuration
//! file accordingly. Keys are cleartext too (`key` as UTF-8 text, or `key_hex`).
//!
//! **Authentication** (§5.4.2): ASCII login asks GETUSER (when the START has no user)
//! and GETPASS (NOECHO), then checks `login`; PAP checks `pap` (or `login`); CHAP checks the
//! response against `chap`; an enable request (service ENABLE) checks `enable`. MS-CHAP,
//! CHPASS and SENDAUTH are answered FAIL with a message. Unknown users cost the same PBKDF2
//! work as known ones and get the same FAIL message (the log note differs).
//!
//! **Authorization** (§6.1, §6.2, §8.2): the request must carry `service`. For
//! `service=shell` with a non-empty `cmd`, the command line (`cmd` and every `cmd-arg`
//! except `<cr>`, joined by single spaces) is matched against the user's `commands`, then
//! each group's, in order; the first rule whose regular expression matches the *whole* line
//! decides (`permit` → PASS_ADD, `deny` → FAIL); no match → FAIL. Otherwise a service rule
//! whose `service` (and `protocol`, when the rule has one) matches must exist for the user
//! or one of its groups, else FAIL. The granted AV pairs are, per attribute name, the
//! user's values when the user's rules name it, else the values of all matching group
//! rules (in group order, duplicates dropped). If a granted attribute also appears in the
//! request with a different value, the answer is PASS_REPL with the request's other
//! arguments plus the granted ones (§6.2: the response replaces the request's arguments);
//! otherwise PASS_ADD with the granted pairs the request did not already carry.
//!
//! **Accounting** (§7, §8.3): every valid record is acknowledged with SUCCESS and turned
//! into a JSON object (see [`Policy::account`]); an invalid flag combination gets ERROR.
//!
//! **Limits.** At most [`MAX_OPEN_DIALOGUES`] ASCII dialogues per connection; the session
//! machine closes a connection whose packet declares a body over 2^16 bytes (§4.1).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod config;
mod connection;
#[cfg(test)]
mod tests;

use core::fmt;
use core::net::IpAddr;
use std::collections::BTreeMap;

use md5::{Digest as _, Md5};
use regex_lite::Regex;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

pub use config::Cidr;
pub use connection::{ServerConnection, ServerOutput};

use super::acct::{AcctReply, AcctRequest};
use super::authen::{AuthenContinue, AuthenReply, AuthenStart, ChapData};
use super::author::{AuthorRequest, AuthorResponse, AvPair};
use super::enums::{
    AcctRecordKind, AcctStatus, AuthenAction, AuthenService, AuthenStatus, AuthenType,
    AuthorStatus, ReplyFlags,
};
use super::obfuscate::Key;
use super::text::escape;
use crate::password::{MAX_PASSWORD_LEN, PasswordHash};
use crate::time::Timestamp;

/// How many GETUSER prompts an ASCII login gets before it fails.
pub const MAX_USER_PROMPTS: u8 = 3;
/// Most ASCII dialogues open at once on one connection (single-connect lets a client
/// start sessions side by side, §4.3); further STARTs are answered ERROR.
pub const MAX_OPEN_DIALOGUES: usize = 32;

const FAIL_MSG: &[u8] = b"Authentication failed";

/// A configuration that cannot be used, with the JSON path of the culprit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// Where: `users.alice.login`, `clients[2].network`, … (`$` for the document).
    pub path: String,
    /// What is wrong (never contains a secret).
    pub message: String,
}

impl ConfigError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Validated policy

#[derive(Clone, Debug)]
struct ClientNet {
    net: Cidr,
    /// `None`: the network may connect over TLS only (RFC 9887).
    key: Option<Key>,
}

#[derive(Clone, Debug)]
struct ServiceRule {
    service: String,
    protocol: Option<String>,
    /// `(name, value, mandatory)` as configured.
    args: Vec<(String, String, bool)>,
}

#[derive(Clone, Debug)]
struct CommandRule {
    permit: bool,
    pattern: Regex,
}

#[derive(Clone, Debug, Default)]
struct Rules {
    services: Vec<ServiceRule>,
    commands: Vec<CommandRule>,
}

/// A CHAP secret (cleartext by nature). `Debug` never shows it.
#[derive(Clone)]
struct ChapSecret(Vec<u8>);

impl fmt::Debug for ChapSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChapSecret(<redacted>)")
    }
}

#[derive(Clone, Debug)]
struct User {
    login: Option<PasswordHash>,
    pap: Option<PasswordHash>,
    enable: Option<PasswordHash>,
    chap: Option<ChapSecret>,
    groups: Vec<String>,
    rules: Rules,
}

/// A loaded, validated server policy. `Debug` never shows secrets.
#[derive(Clone, Debug)]
pub struct Policy {
    single_connect: bool,
    clients: Vec<ClientNet>,
    groups: BTreeMap<String, Rules>,
    users: BTreeMap<String, User>,
    /// Verified against when the user is unknown, so that timing does not tell.
    dummy: PasswordHash,
    tls: Option<Box<TlsSettings>>,
}

/// The `tls` section of the server configuration (RFC 9887): where the TLS listener's
/// certificate and key are, and the CA that client certificates must chain to. Paths as
/// written (the adapter reads the files, relative to the configuration file's directory).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The server's certificate chain (PEM), leaf first.
    pub cert: String,
    /// The server's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: String,
    /// CA certificates (PEM) a client certificate must chain to; absent: no client
    /// certificate is asked for (RFC 9887 §3.3 requires mutual TLS unless so configured).
    #[serde(default)]
    pub client_ca: Option<String>,
    /// Where the TLS listener listens (default `0.0.0.0:300`, RFC 9887 §7).
    #[serde(default)]
    pub listen: Option<String>,
    /// Ignored, like every `comment`.
    #[serde(default)]
    pub comment: Option<String>,
}

/// The result of one authentication step (a START or a CONTINUE).
#[derive(Clone, Debug)]
pub struct AuthenStep {
    /// The REPLY to send.
    pub reply: AuthenReply,
    /// `Some` while the ASCII dialogue goes on: pass it to [`Policy::authen_continue`] with
    /// the next CONTINUE of the same session.
    pub flow: Option<AuthenFlow>,
    /// A short note for the operator log ("pass", "bad password", "unknown user", …);
    /// never a secret.
    pub note: &'static str,
}

/// The state of an ASCII authentication dialogue (§5.4.2.1, §5.4.2.6) between packets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenFlow {
    state: FlowState,
    secret: SecretKind,
    user_prompts: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum FlowState {
    AwaitUser,
    AwaitPass { user: Vec<u8> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SecretKind {
    Login,
    Pap,
    Enable,
}

/// The result of an authorization request.
#[derive(Clone, Debug)]
pub struct AuthorDecision {
    /// The RESPONSE to send.
    pub response: AuthorResponse,
    /// A short note for the operator log.
    pub note: String,
}

/// Where and when an accounting record arrived (for [`Policy::account`]).
#[derive(Clone, Copy, Debug)]
pub struct AcctContext {
    /// The client's address.
    pub client: IpAddr,
    /// The session the record came in.
    pub session_id: u32,
    /// When it arrived.
    pub now: Timestamp,
}

/// The result of an accounting request.
#[derive(Clone, Debug)]
pub struct AcctDecision {
    /// The REPLY to send.
    pub reply: AcctReply,
    /// The record to store (one JSON Lines line).
    pub record: serde_json::Value,
}

fn reply(status: AuthenStatus, msg: &[u8]) -> AuthenReply {
    AuthenReply {
        status,
        server_msg: msg.to_vec(),
        ..Default::default()
    }
}

fn fail(msg: &[u8], note: &'static str) -> AuthenStep {
    AuthenStep {
        reply: reply(AuthenStatus::FAIL, msg),
        flow: None,
        note,
    }
}

fn prompt(status: AuthenStatus, flow: AuthenFlow) -> AuthenStep {
    let (msg, flags): (&[u8], _) = match status {
        AuthenStatus::GETUSER => (b"Username: ", ReplyFlags::EMPTY),
        _ => (b"Password: ", ReplyFlags::NOECHO),
    };
    AuthenStep {
        reply: AuthenReply {
            status,
            flags,
            server_msg: msg.to_vec(),
            ..Default::default()
        },
        flow: Some(flow),
        note: if status == AuthenStatus::GETUSER {
            "asked for the username"
        } else {
            "asked for the password"
        },
    }
}

impl Policy {
    /// Whether Single Connection Mode is granted to clients that ask (§4.3).
    pub fn single_connect(&self) -> bool {
        self.single_connect
    }

    /// The shared secret for a client address: the configured network with the longest
    /// prefix that contains it, `None` when no network does (the connection is refused).
    pub fn key_for(&self, client: IpAddr) -> Option<&Key> {
        self.client_for(client)?.key.as_ref()
    }

    /// The client entry of `client`: the configured network that contains it with the
    /// longest prefix. Over TLS (RFC 9887 §3.4.2, network-address-based validation) this is
    /// how a connection whose certificate was verified maps to a client entry.
    fn client_for(&self, client: IpAddr) -> Option<&ClientNet> {
        self.clients
            .iter()
            .filter(|c| c.net.contains(client))
            .max_by_key(|c| c.net.prefix())
    }

    /// True when a TLS connection (RFC 9887) from `client` is accepted: a configured network
    /// contains it, with or without a key (the key is not used inside TLS, RFC 9887 §4).
    pub fn accepts_tls(&self, client: IpAddr) -> bool {
        self.client_for(client).is_some()
    }

    /// The TLS listener's settings from the configuration file, when it has a `tls` section.
    pub fn tls(&self) -> Option<&TlsSettings> {
        self.tls.as_deref()
    }

    fn user(&self, name: &[u8]) -> Option<&User> {
        core::str::from_utf8(name)
            .ok()
            .and_then(|n| self.users.get(n))
    }

    /// Checks a password-like secret; unknown users and users without that secret cost the
    /// same PBKDF2 work.
    fn check_password(&self, user: &[u8], password: &[u8], kind: SecretKind) -> AuthenStep {
        if password.len() > MAX_PASSWORD_LEN {
            return fail(FAIL_MSG, "over-long password");
        }
        // Hashes are of UTF-8 passwords (`casplus hash-password`); other bytes cannot
        // match, but cost the same work.
        let (password, utf8) = match core::str::from_utf8(password) {
            Ok(p) => (p, true),
            Err(_) => ("", false),
        };
        let Some(u) = self.user(user) else {
            self.dummy.verify(password);
            return fail(FAIL_MSG, "unknown user");
        };
        let hash = match kind {
            SecretKind::Login => u.login.as_ref(),
            SecretKind::Pap => u.pap.as_ref().or(u.login.as_ref()),
            SecretKind::Enable => u.enable.as_ref(),
        };
        let Some(hash) = hash else {
            self.dummy.verify(password);
            return fail(FAIL_MSG, "no secret of this kind for the user");
        };
        if hash.verify(password) && utf8 {
            AuthenStep {
                reply: reply(AuthenStatus::PASS, b""),
                flow: None,
                note: "pass",
            }
        } else {
            fail(FAIL_MSG, "bad password")
        }
    }

    /// CHAP (§5.4.2.3): `data` = PPP id ‖ challenge ‖ MD5(id ‖ secret ‖ challenge).
    fn check_chap(&self, start: &AuthenStart) -> AuthenStep {
        let Some(chap) = ChapData::split(AuthenType::CHAP, &start.data) else {
            return fail(FAIL_MSG, "not CHAP");
        };
        if chap.size_problem().is_some() {
            return fail(FAIL_MSG, "malformed CHAP data");
        }
        let Some(secret) = self.user(&start.user).and_then(|u| u.chap.as_ref()) else {
            return fail(FAIL_MSG, "unknown user or no CHAP secret");
        };
        let mut md5 = Md5::new();
        md5.update([chap.id.unwrap_or_default()]);
        md5.update(&secret.0);
        md5.update(chap.challenge);
        let want = md5.finalize();
        if bool::from(want.as_slice().ct_eq(chap.response)) {
            AuthenStep {
                reply: reply(AuthenStatus::PASS, b""),
                flow: None,
                note: "pass",
            }
        } else {
            fail(FAIL_MSG, "bad CHAP response")
        }
    }

    /// Answers an authentication START (§5.1, flows of §5.4.2).
    pub fn authen_start(&self, start: &AuthenStart) -> AuthenStep {
        if start.action != AuthenAction::LOGIN {
            // CHPASS (§5.4.2.7), SENDAUTH: not offered by this server.
            return fail(
                b"Only login is supported by this server",
                "unsupported action",
            );
        }
        let enable = start.authen_service == AuthenService::ENABLE;
        match start.authen_type {
            AuthenType::ASCII => {
                let secret = if enable {
                    SecretKind::Enable
                } else {
                    SecretKind::Login
                };
                if start.user.is_empty() {
                    prompt(
                        AuthenStatus::GETUSER,
                        AuthenFlow {
                            state: FlowState::AwaitUser,
                            secret,
                            user_prompts: 1,
                        },
                    )
                } else {
                    prompt(
                        AuthenStatus::GETPASS,
                        AuthenFlow {
                            state: FlowState::AwaitPass {
                                user: start.user.clone(),
                            },
                            secret,
                            user_prompts: 0,
                        },
                    )
                }
            }
            AuthenType::PAP => self.check_password(
                &start.user,
                &start.data,
                if enable {
                    SecretKind::Enable
                } else {
                    SecretKind::Pap
                },
            ),
            AuthenType::CHAP => self.check_chap(start),
            AuthenType::MSCHAP | AuthenType::MSCHAPV2 => fail(
                b"MS-CHAP is not supported by this server",
                "unsupported authen_type",
            ),
            _ => fail(
                b"This authentication type is not supported",
                "unsupported authen_type",
            ),
        }
    }

    /// Answers a CONTINUE in an ASCII dialogue started by [`Policy::authen_start`].
    pub fn authen_continue(&self, flow: AuthenFlow, cont: &AuthenContinue) -> AuthenStep {
        match flow.state {
            FlowState::AwaitUser => {
                if cont.user_msg.is_empty() {
                    if flow.user_prompts >= MAX_USER_PROMPTS {
                        return fail(FAIL_MSG, "no username given");
                    }
                    return prompt(
                        AuthenStatus::GETUSER,
                        AuthenFlow {
                            user_prompts: flow.user_prompts.saturating_add(1),
                            ..flow
                        },
                    );
                }
                prompt(
                    AuthenStatus::GETPASS,
                    AuthenFlow {
                        state: FlowState::AwaitPass {
                            user: cont.user_msg.clone(),
                        },
                        ..flow
                    },
                )
            }
            FlowState::AwaitPass { user } => {
                self.check_password(&user, &cont.user_msg, flow.secret)
            }
        }
    }

    /// Answers an authorization REQUEST (§6.1, §6.2; see the module docs for the rules).
    pub fn authorize(&self, req: &AuthorRequest) -> AuthorDecision {
        let failed = |msg: &str, note: String| AuthorDecision {
            response: AuthorResponse {
                status: AuthorStatus::FAIL,
                server_msg: msg.as_bytes().to_vec(),
                ..Default::default()
            },
            note,
        };
        let pairs: Vec<AvPair<'_>> = req.av_pairs().collect();
        let get = |name: &[u8]| pairs.iter().find(|p| p.name == name).map(|p| p.value);
        let Some(service) = get(b"service") else {
            return failed(
                "No service argument",
                "request without service (§8.2)".into(),
            );
        };
        let service = String::from_utf8_lossy(service).into_owned();
        let Some(user) = self.user(&req.user) else {
            return failed("Not authorized", "unknown user".into());
        };
        let chain: Vec<&Rules> = core::iter::once(&user.rules)
            .chain(user.groups.iter().filter_map(|g| self.groups.get(g)))
            .collect();

        // Shell command authorization (§8.2 cmd / cmd-arg).
        if service == "shell"
            && let Some(cmd) = get(b"cmd").filter(|c| !c.is_empty())
        {
            let mut line = String::from_utf8_lossy(cmd).into_owned();
            for p in pairs.iter().filter(|p| p.name == b"cmd-arg") {
                if p.value != b"<cr>" {
                    line.push(' ');
                    line.push_str(&String::from_utf8_lossy(p.value));
                }
            }
            let verdict = chain
                .iter()
                .flat_map(|r| r.commands.iter())
                .find(|c| c.pattern.is_match(&line))
                .map(|c| c.permit);
            return match verdict {
                Some(true) => AuthorDecision {
                    response: AuthorResponse {
                        status: AuthorStatus::PASS_ADD,
                        ..Default::default()
                    },
                    note: format!("command {:?} permitted", escape(line.as_bytes())),
                },
                Some(false) => failed(
                    "Command not permitted",
                    format!("command {:?} denied by rule", escape(line.as_bytes())),
                ),
                None => failed(
                    "Command not permitted",
                    format!("command {:?} matches no rule", escape(line.as_bytes())),
                ),
            };
        }

        let protocol = get(b"protocol").map(|p| String::from_utf8_lossy(p).into_owned());
        let matches = |r: &&ServiceRule| {
            r.service == service
                && r.protocol
                    .as_ref()
                    .is_none_or(|p| protocol.as_deref() == Some(p.as_str()))
        };
        let user_rules: Vec<&ServiceRule> = user.rules.services.iter().filter(matches).collect();
        let group_rules: Vec<&ServiceRule> = chain
            .iter()
            .skip(1)
            .flat_map(|r| r.services.iter())
            .filter(matches)
            .collect();
        if user_rules.is_empty() && group_rules.is_empty() {
            return failed(
                "Not authorized",
                format!("no rule for service {:?}", escape(service.as_bytes())),
            );
        }
        // Per attribute name: the user's values if the user names it, else the groups'.
        let mut granted: Vec<(String, String, bool)> = Vec::new();
        let user_names: Vec<&str> = user_rules
            .iter()
            .flat_map(|r| r.args.iter().map(|a| a.0.as_str()))
            .collect();
        for a in user_rules.iter().flat_map(|r| r.args.iter()) {
            if !granted.contains(a) {
                granted.push(a.clone());
            }
        }
        for a in group_rules.iter().flat_map(|r| r.args.iter()) {
            if !user_names.contains(&a.0.as_str()) && !granted.contains(a) {
                granted.push(a.clone());
            }
        }
        let encode = |(n, v, m): &(String, String, bool)| {
            format!("{n}{}{v}", if *m { '=' } else { '*' }).into_bytes()
        };
        // §6.2: PASS_REPL when a granted attribute changes a requested one.
        let replaced = pairs.iter().any(|p| {
            granted
                .iter()
                .any(|g| g.0.as_bytes() == p.name && g.1.as_bytes() != p.value)
                && !granted
                    .iter()
                    .any(|g| g.0.as_bytes() == p.name && g.1.as_bytes() == p.value)
        });
        let (status, args) = if replaced {
            let mut args: Vec<Vec<u8>> = req
                .args
                .iter()
                .zip(&pairs)
                .filter(|(_, p)| !granted.iter().any(|g| g.0.as_bytes() == p.name))
                .map(|(a, _)| a.clone())
                .collect();
            args.extend(granted.iter().map(encode));
            (AuthorStatus::PASS_REPL, args)
        } else {
            let args = granted
                .iter()
                .filter(|g| {
                    !pairs
                        .iter()
                        .any(|p| p.name == g.0.as_bytes() && p.value == g.1.as_bytes())
                })
                .map(encode)
                .collect();
            (AuthorStatus::PASS_ADD, args)
        };
        let args: Vec<Vec<u8>> = args.into_iter().take(255).collect();
        AuthorDecision {
            note: format!(
                "service {:?}: {} with {} arg(s)",
                escape(service.as_bytes()),
                status,
                args.len()
            ),
            response: AuthorResponse {
                status,
                args,
                ..Default::default()
            },
        }
    }

    /// Answers an accounting REQUEST (§7) and renders the record as JSON:
    ///
    /// `{"time", "client", "session_id", "status": "SUCCESS"|"ERROR", "record":
    /// "start"|"stop"|"watchdog"|"watchdog_update"|"invalid", "flags", "user", "port",
    /// "rem_addr", "authen_method", "priv_lvl", "authen_type", "authen_service", "args",
    /// "acct"}` — `time` is `ctx.now` (RFC 3339, UTC, milliseconds), text fields escaped as
    /// in `casplus decode --json`, `acct` the typed §8.3 arguments.
    pub fn account(&self, req: &AcctRequest, ctx: &AcctContext) -> AcctDecision {
        let kind = req.flags.record_kind();
        let (status, record) = match kind {
            AcctRecordKind::Start => (AcctStatus::SUCCESS, "start"),
            AcctRecordKind::Stop => (AcctStatus::SUCCESS, "stop"),
            AcctRecordKind::Watchdog => (AcctStatus::SUCCESS, "watchdog"),
            AcctRecordKind::WatchdogUpdate => (AcctStatus::SUCCESS, "watchdog_update"),
            AcctRecordKind::Invalid => (AcctStatus::ERROR, "invalid"),
        };
        let json = serde_json::json!({
            "time": ctx.now.to_rfc3339_millis(),
            "client": ctx.client.to_string(),
            "session_id": ctx.session_id,
            "status": status,
            "record": record,
            "flags": req.flags,
            "user": escape(&req.user),
            "port": escape(&req.port),
            "rem_addr": escape(&req.rem_addr),
            "authen_method": req.authen_method,
            "priv_lvl": req.priv_lvl.0,
            "authen_type": req.authen_type,
            "authen_service": req.authen_service,
            "args": req.args.iter().map(|a| escape(a)).collect::<Vec<_>>(),
            "acct": req.acct_args(),
        });
        AcctDecision {
            reply: AcctReply {
                status,
                server_msg: if status == AcctStatus::ERROR {
                    b"Invalid accounting flags (section 7.2)".to_vec()
                } else {
                    Vec::new()
                },
                ..Default::default()
            },
            record: json,
        }
    }
}
