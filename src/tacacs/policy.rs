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
//!     {"network": "10.0.0.0/8", "key": "other"}  // longest prefix wins
//!   ],
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

use core::fmt;
use core::net::IpAddr;
use std::collections::BTreeMap;

use md5::{Digest as _, Md5};
use regex_lite::Regex;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::acct::{AcctReply, AcctRequest};
use super::authen::{AuthenContinue, AuthenReply, AuthenStart, ChapData};
use super::author::{AuthorRequest, AuthorResponse, AvPair};
use super::enums::{
    AcctRecordKind, AcctStatus, AuthenAction, AuthenService, AuthenStatus, AuthenType,
    AuthorStatus, ReplyFlags,
};
use super::obfuscate::{Key, KeyError};
use super::session::{Server, ServerEvent, SessionConfig};
use super::text::escape;
use crate::password::{MAX_PASSWORD_LEN, MIN_ITERATIONS, PasswordHash, hash_password};
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
// Client networks

/// An IPv4 or IPv6 network in CIDR notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix` or a bare address (a host route). Host bits must be zero.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{a:?} is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix {p:?} is not 0..={max}"))?,
        };
        let net = Self { addr, prefix };
        if net.masked(addr) != Some(bits(addr)) {
            return Err(format!("{s} has host bits set"));
        }
        Ok(net)
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// `addr` with the host bits cleared, when it is of the network's family.
    fn masked(&self, addr: IpAddr) -> Option<u128> {
        let (b, width) = match (self.addr, addr) {
            (IpAddr::V4(_), IpAddr::V4(a)) => (u128::from(u32::from(a)), 32u32),
            (IpAddr::V6(_), IpAddr::V6(a)) => (u128::from(a), 128u32),
            _ => return None,
        };
        let host = width - u32::from(self.prefix);
        let mask = if host >= 128 { 0 } else { u128::MAX << host };
        let mask = if width == 32 {
            mask & u128::from(u32::MAX)
        } else {
            mask
        };
        Some(b & mask)
    }

    /// True when `addr` is in this network. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`)
    /// match IPv4 networks.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.masked(addr) == Some(bits(self.addr))
    }
}

fn bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

// ---------------------------------------------------------------------------------------
// Raw (serde) configuration

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
    #[serde(default = "yes")]
    single_connect: bool,
    #[serde(default)]
    clients: Vec<RawClient>,
    #[serde(default)]
    groups: BTreeMap<String, RawRules>,
    #[serde(default)]
    users: BTreeMap<String, RawUser>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
    network: String,
    key: Option<String>,
    key_hex: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
    #[serde(default)]
    services: Vec<RawService>,
    #[serde(default)]
    commands: Vec<RawCommand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
    login: Option<String>,
    pap: Option<String>,
    enable: Option<String>,
    chap: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    services: Vec<RawService>,
    #[serde(default)]
    commands: Vec<RawCommand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
    service: String,
    protocol: Option<String>,
    #[serde(default)]
    args: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum RawCommand {
    Permit(String),
    Deny(String),
}

// ---------------------------------------------------------------------------------------
// Validated policy

#[derive(Clone, Debug)]
struct ClientNet {
    net: Cidr,
    key: Key,
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
}

fn parse_hash(path: String, s: &Option<String>) -> Result<Option<PasswordHash>, ConfigError> {
    s.as_deref()
        .map(|s| PasswordHash::parse(s).map_err(|e| ConfigError::new(path, e.to_string())))
        .transpose()
}

/// Splits a configured argument at its first `=` / `*` (§6.1) and checks that it encodes.
fn parse_arg(path: &str, arg: &str) -> Result<(String, String, bool), ConfigError> {
    let av = AvPair::split(arg.as_bytes());
    if av.separator.is_none() || av.name.is_empty() {
        return Err(ConfigError::new(
            path,
            format!("{arg:?} is not name=value or name*value (§6.1)"),
        ));
    }
    if arg.len() > 255 {
        return Err(ConfigError::new(
            path,
            "an argument is at most 255 bytes on the wire",
        ));
    }
    Ok((
        String::from_utf8_lossy(av.name).into_owned(),
        String::from_utf8_lossy(av.value).into_owned(),
        av.is_mandatory(),
    ))
}

fn parse_rules(
    path: &str,
    services: &[RawService],
    commands: &[RawCommand],
) -> Result<Rules, ConfigError> {
    let mut rules = Rules::default();
    for (i, s) in services.iter().enumerate() {
        let p = format!("{path}.services[{i}]");
        if s.service.is_empty() {
            return Err(ConfigError::new(p, "service is empty"));
        }
        let args = s
            .args
            .iter()
            .enumerate()
            .map(|(j, a)| parse_arg(&format!("{p}.args[{j}]"), a))
            .collect::<Result<Vec<_>, _>>()?;
        rules.services.push(ServiceRule {
            service: s.service.clone(),
            protocol: s.protocol.clone(),
            args,
        });
    }
    for (i, c) in commands.iter().enumerate() {
        let (permit, pat) = match c {
            RawCommand::Permit(p) => (true, p),
            RawCommand::Deny(p) => (false, p),
        };
        let pattern = Regex::new(&format!("^(?:{pat})$")).map_err(|e| {
            ConfigError::new(format!("{path}.commands[{i}]"), format!("bad regex: {e}"))
        })?;
        rules.commands.push(CommandRule { permit, pattern });
    }
    Ok(rules)
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
    /// Loads and validates a JSON configuration (see the module docs).
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| ConfigError::new("$", e.to_string()))?;
        let mut clients = Vec::with_capacity(raw.clients.len());
        for (i, c) in raw.clients.iter().enumerate() {
            let p = format!("clients[{i}]");
            let net =
                Cidr::parse(&c.network).map_err(|m| ConfigError::new(format!("{p}.network"), m))?;
            let key = match (&c.key, &c.key_hex) {
                (Some(k), None) => Key::from_text(k),
                (None, Some(h)) => Key::from_hex(h).map_err(|e: KeyError| {
                    ConfigError::new(format!("{p}.key_hex"), e.to_string())
                })?,
                _ => {
                    return Err(ConfigError::new(p, "give exactly one of key / key_hex"));
                }
            };
            clients.push(ClientNet { net, key });
        }
        let mut groups = BTreeMap::new();
        for (name, g) in &raw.groups {
            let rules = parse_rules(&format!("groups.{name}"), &g.services, &g.commands)?;
            groups.insert(name.clone(), rules);
        }
        let mut users = BTreeMap::new();
        let mut max_iterations = MIN_ITERATIONS;
        for (name, u) in &raw.users {
            let p = format!("users.{name}");
            if name.is_empty() || name.len() > 255 {
                return Err(ConfigError::new(p, "a user name is 1 to 255 bytes"));
            }
            for g in &u.groups {
                if !groups.contains_key(g) {
                    return Err(ConfigError::new(
                        format!("{p}.groups"),
                        format!("no group {g:?}"),
                    ));
                }
            }
            let user = User {
                login: parse_hash(format!("{p}.login"), &u.login)?,
                pap: parse_hash(format!("{p}.pap"), &u.pap)?,
                enable: parse_hash(format!("{p}.enable"), &u.enable)?,
                chap: u.chap.as_ref().map(|s| ChapSecret(s.as_bytes().to_vec())),
                groups: u.groups.clone(),
                rules: parse_rules(&p, &u.services, &u.commands)?,
            };
            for h in [&user.login, &user.pap, &user.enable].into_iter().flatten() {
                max_iterations = max_iterations.max(h.iterations());
            }
            users.insert(name.clone(), user);
        }
        let dummy = PasswordHash::parse(&hash_password("", &[0x5a; 16], max_iterations))
            .map_err(|e| ConfigError::new("$", e.to_string()))?;
        Ok(Self {
            single_connect: raw.single_connect,
            clients,
            groups,
            users,
            dummy,
        })
    }

    /// Whether Single Connection Mode is granted to clients that ask (§4.3).
    pub fn single_connect(&self) -> bool {
        self.single_connect
    }

    /// The shared secret for a client address: the configured network with the longest
    /// prefix that contains it, `None` when no network does (the connection is refused).
    pub fn key_for(&self, client: IpAddr) -> Option<&Key> {
        self.clients
            .iter()
            .filter(|c| c.net.contains(client))
            .max_by_key(|c| c.net.prefix())
            .map(|c| &c.key)
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

// ---------------------------------------------------------------------------------------
// One server connection, sans-IO

/// What one call to [`ServerConnection::handle_input`] produced.
#[derive(Default)]
pub struct ServerOutput {
    /// Bytes to write to the client, in order.
    pub send: Vec<u8>,
    /// Close the connection once `send` is written.
    pub close: bool,
    /// One operator log line per request (never a password or key).
    pub log: Vec<String>,
    /// Accounting records to store ([`Policy::account`]), one JSON Lines line each.
    pub records: Vec<serde_json::Value>,
}

impl fmt::Debug for ServerOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOutput")
            .field("send", &format_args!("<{} bytes>", self.send.len()))
            .field("close", &self.close)
            .field("log", &self.log)
            .field("records", &self.records.len())
            .finish()
    }
}

/// The server end of one TCP connection: [`super::session::Server`] plus this policy.
/// The adapter reads bytes, calls [`ServerConnection::handle_input`] and writes
/// [`ServerOutput::send`]; every protocol decision is made here.
#[derive(Debug)]
pub struct ServerConnection {
    server: Server,
    flows: BTreeMap<u32, AuthenFlow>,
    client: IpAddr,
}

impl ServerConnection {
    /// A connection from `client`, with the key of its network (§4.5); `None` when no
    /// configured network contains `client` (refuse the connection).
    pub fn new(policy: &Policy, client: IpAddr) -> Option<Self> {
        let key = policy.key_for(client)?.clone();
        let mut cfg = SessionConfig::new(key);
        cfg.single_connect = policy.single_connect;
        Some(Self {
            server: Server::new(cfg),
            flows: BTreeMap::new(),
            client,
        })
    }

    /// True once the connection should be closed.
    pub fn is_closing(&self) -> bool {
        self.server.is_closing()
    }

    fn send(
        out: &mut ServerOutput,
        result: Result<super::session::Transmit, super::session::SessionError>,
    ) {
        match result {
            Ok(t) => {
                out.send.extend_from_slice(&t.bytes);
                out.close |= t.close_after;
            }
            Err(e) => {
                out.log.push(format!("cannot reply: {e}"));
                out.close = true;
            }
        }
    }

    /// Feeds bytes from the client; `now` stamps accounting records.
    pub fn handle_input(&mut self, policy: &Policy, bytes: &[u8], now: Timestamp) -> ServerOutput {
        let mut out = ServerOutput::default();
        for ev in self.server.handle_input(bytes) {
            match ev {
                ServerEvent::AuthenStart { session_id, start } => {
                    if self.flows.len() >= MAX_OPEN_DIALOGUES {
                        out.log.push(format!(
                            "#{session_id:08x} authen refused: {MAX_OPEN_DIALOGUES} dialogues open -> ERROR"
                        ));
                        let r = reply(AuthenStatus::ERROR, b"Too many open sessions");
                        Self::send(&mut out, self.server.reply_authen(session_id, r));
                        continue;
                    }
                    let step = policy.authen_start(&start);
                    out.log.push(format!(
                        "#{session_id:08x} authen {} {} {} user={:?} -> {} ({})",
                        start.action,
                        start.authen_type,
                        start.authen_service,
                        escape(&start.user),
                        step.reply.status,
                        step.note
                    ));
                    if let Some(flow) = step.flow {
                        self.flows.insert(session_id, flow);
                    }
                    Self::send(&mut out, self.server.reply_authen(session_id, step.reply));
                }
                ServerEvent::AuthenContinue { session_id, cont } => {
                    let step = match self.flows.remove(&session_id) {
                        Some(flow) => {
                            let asked_user = flow.state == FlowState::AwaitUser;
                            let step = policy.authen_continue(flow, &cont);
                            out.log.push(format!(
                                "#{session_id:08x} authen continue{} -> {} ({})",
                                if asked_user {
                                    format!(" user={:?}", escape(&cont.user_msg))
                                } else {
                                    String::new()
                                },
                                step.reply.status,
                                step.note
                            ));
                            step
                        }
                        None => {
                            out.log.push(format!(
                                "#{session_id:08x} authen continue without a dialogue -> ERROR"
                            ));
                            AuthenStep {
                                reply: reply(AuthenStatus::ERROR, b""),
                                flow: None,
                                note: "no dialogue",
                            }
                        }
                    };
                    if let Some(flow) = step.flow {
                        self.flows.insert(session_id, flow);
                    }
                    Self::send(&mut out, self.server.reply_authen(session_id, step.reply));
                }
                ServerEvent::AuthenAbort { session_id, reason } => {
                    self.flows.remove(&session_id);
                    out.log.push(format!(
                        "#{session_id:08x} authen aborted by the client: {:?}",
                        escape(&reason)
                    ));
                }
                ServerEvent::AuthorRequest {
                    session_id,
                    request,
                } => {
                    let d = policy.authorize(&request);
                    // The request's arguments (§6.1) too: what a client asked for, e.g.
                    // the CAS service as an optional `cas-service*URL`.
                    let args: Vec<String> = request.args.iter().map(|a| escape(a)).collect();
                    out.log.push(format!(
                        "#{session_id:08x} author user={:?} -> {} ({}) args: {}",
                        escape(&request.user),
                        d.response.status,
                        d.note,
                        args.join(" ")
                    ));
                    Self::send(&mut out, self.server.respond_author(session_id, d.response));
                }
                ServerEvent::AcctRequest {
                    session_id,
                    request,
                } => {
                    let ctx = AcctContext {
                        client: self.client,
                        session_id,
                        now,
                    };
                    let d = policy.account(&request, &ctx);
                    out.log.push(format!(
                        "#{session_id:08x} acct {} user={:?} task_id={:?} -> {}",
                        d.record
                            .get("record")
                            .and_then(|r| r.as_str())
                            .unwrap_or("?"),
                        escape(&request.user),
                        request.acct_args().task_id.unwrap_or_default(),
                        d.reply.status
                    ));
                    out.records.push(d.record);
                    Self::send(&mut out, self.server.reply_acct(session_id, d.reply));
                }
                ServerEvent::Rejected {
                    session_id,
                    diagnostics,
                } => {
                    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
                    out.log.push(format!(
                        "#{:08x} rejected: {}",
                        session_id.unwrap_or_default(),
                        codes.join(", ")
                    ));
                    if let Some(id) = session_id {
                        self.flows.remove(&id);
                    }
                }
                ServerEvent::Send(t) => {
                    out.send.extend_from_slice(&t.bytes);
                    out.close |= t.close_after;
                }
                ServerEvent::Close => out.close = true,
            }
        }
        out.close |= self.server.is_closing();
        out
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::tacacs::enums::{AcctFlags, AuthenMethod, PrivLvl};

    const SALT: &[u8] = b"0123456789abcdef";

    fn config() -> String {
        let h = |pw: &str| hash_password(pw, SALT, 1000);
        serde_json::json!({
            "comment": "unit-test policy",
            "clients": [
                {"network": "127.0.0.0/8", "key": "wide"},
                {"network": "127.0.0.1", "key": "narrow"},
                {"network": "10.0.0.0/8", "key_hex": "0x6869"},
                {"network": "2001:db8::/32", "key": "six"}
            ],
            "groups": {
                "netops": {
                    "services": [
                        {"service": "casplus", "args": ["groups=netops", "priv-lvl=15"]},
                        {"service": "ppp", "protocol": "ip", "args": ["addr*10.0.0.9"]}
                    ],
                    "commands": [{"permit": "show .*"}, {"deny": "reload.*"}]
                },
                "audit": {
                    "services": [{"service": "casplus", "args": ["groups=audit", "priv-lvl=3"]}],
                    "commands": [{"permit": "reload in .*"}]
                }
            },
            "users": {
                "alice": {
                    "login": h("alice-pw"),
                    "enable": h("alice-enable"),
                    "chap": "alice-chap",
                    "groups": ["netops", "audit"],
                    "services": [{"service": "casplus", "args": ["mail=alice@example.net"]}],
                    "commands": [{"deny": "show secrets"}]
                },
                "bob": {"pap": h("bob-pap"), "groups": ["audit"],
                        "services": [{"service": "casplus", "args": ["priv-lvl=1"]}]},
                "carol": {"login": h("carol-pw")}
            }
        })
        .to_string()
    }

    fn policy() -> Policy {
        Policy::from_json(&config()).unwrap()
    }

    fn author(user: &str, args: &[&str]) -> AuthorRequest {
        AuthorRequest {
            authen_method: AuthenMethod::TACACSPLUS,
            priv_lvl: PrivLvl::USER,
            authen_type: AuthenType::PAP,
            authen_service: AuthenService::LOGIN,
            user: user.as_bytes().to_vec(),
            args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
            ..Default::default()
        }
    }

    fn args(r: &AuthorResponse) -> Vec<String> {
        r.args
            .iter()
            .map(|a| String::from_utf8(a.clone()).unwrap())
            .collect()
    }

    #[test]
    fn passwords_are_checked_against_the_cas_hash_format() {
        let p = Policy::from_json(
            &serde_json::json!({"users": {"u": {"pap": hash_password("pw", SALT, 1000)}}})
                .to_string(),
        )
        .unwrap();
        let pap = |pw: &[u8]| p.authen_start(&AuthenStart::pap(b"u", pw, b"", b"")).note;
        assert_eq!(pap(b"pw"), "pass");
        assert_eq!(pap(b"pW"), "bad password");
        assert_eq!(pap(b"pw\xff"), "bad password", "not UTF-8: cannot match");
        assert_eq!(pap(&[b'x'; MAX_PASSWORD_LEN + 1]), "over-long password");
    }

    #[test]
    fn bad_hashes_and_configs_are_refused_with_a_path() {
        for (bad, why) in [
            ("pw", "not a $pbkdf2"),
            (
                "$pbkdf2-sha256$i=10$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
                "iteration",
            ),
            ("$pbkdf2-sha256$i=1000$!!$AAAA", "salt"),
            (
                "$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
                "encoding",
            ),
        ] {
            let cfg = serde_json::json!({"users": {"u": {"login": bad}}}).to_string();
            let e = Policy::from_json(&cfg).unwrap_err();
            assert_eq!(e.path, "users.u.login");
            assert!(e.message.contains(why), "{e}");
        }
        let e = Policy::from_json(r#"{"users": {"u": {"groups": ["nope"]}}}"#).unwrap_err();
        assert_eq!(e.path, "users.u.groups");
        let e = Policy::from_json(r#"{"clients": [{"network": "10.0.0.1/8", "key": "k"}]}"#)
            .unwrap_err();
        assert!(e.message.contains("host bits"), "{e}");
        let e = Policy::from_json(r#"{"clients": [{"network": "10.0.0.0/8"}]}"#).unwrap_err();
        assert_eq!(e.path, "clients[0]");
        let e = Policy::from_json(
            r#"{"groups": {"g": {"services": [{"service": "x", "args": ["novalue"]}]}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "groups.g.services[0].args[0]");
        let e =
            Policy::from_json(r#"{"groups": {"g": {"commands": [{"permit": "("}]}}}"#).unwrap_err();
        assert_eq!(e.path, "groups.g.commands[0]");
        let e = Policy::from_json(r#"{"userz": {}}"#).unwrap_err();
        assert_eq!(e.path, "$");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let p = policy();
        let dbg = format!("{p:?}");
        for secret in ["alice-chap", "wide", "narrow", "six", "hi"] {
            assert!(!dbg.contains(&format!("\"{secret}\"")), "{secret} in {dbg}");
        }
        assert!(!dbg.contains("alice-chap"));
    }

    #[test]
    fn key_is_chosen_by_longest_prefix_per_client_network_4_5() {
        let p = policy();
        let k = |a: &str| p.key_for(a.parse().unwrap()).map(|k| k.as_bytes().to_vec());
        assert_eq!(k("127.0.0.1"), Some(b"narrow".to_vec()));
        assert_eq!(k("127.0.0.2"), Some(b"wide".to_vec()));
        assert_eq!(k("::ffff:127.0.0.2"), Some(b"wide".to_vec()), "v4-mapped");
        assert_eq!(k("10.200.0.1"), Some(b"hi".to_vec()));
        assert_eq!(k("2001:db8:1::7"), Some(b"six".to_vec()));
        assert_eq!(k("2001:db9::1"), None);
        assert_eq!(k("192.168.1.1"), None);
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            !Cidr::parse("::/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert_eq!(Cidr::parse("::1").unwrap().to_string(), "::1/128");
    }

    #[test]
    fn pap_checks_the_pap_secret_or_falls_back_to_login_5_4_2_2() {
        let p = policy();
        let pap = |u: &str, pw: &str| {
            p.authen_start(&AuthenStart::pap(u.as_bytes(), pw.as_bytes(), b"", b""))
        };
        assert_eq!(pap("bob", "bob-pap").reply.status, AuthenStatus::PASS);
        assert_eq!(
            pap("alice", "alice-pw").reply.status,
            AuthenStatus::PASS,
            "login fallback"
        );
        let bad = pap("bob", "nope");
        assert_eq!(bad.reply.status, AuthenStatus::FAIL);
        assert_eq!(bad.note, "bad password");
        let unknown = pap("mallory", "x");
        assert_eq!(unknown.reply.status, AuthenStatus::FAIL);
        assert_eq!(unknown.note, "unknown user");
        assert_eq!(
            unknown.reply.server_msg, bad.reply.server_msg,
            "unknown user and bad password look the same to the client"
        );
        assert!(bad.flow.is_none());
    }

    #[test]
    fn ascii_login_asks_user_then_password_without_echo_5_4_2_1() {
        let p = policy();
        let s = p.authen_start(&AuthenStart::ascii_login(b"", b"tty0", b"10.0.0.1"));
        assert_eq!(s.reply.status, AuthenStatus::GETUSER);
        assert!(!s.reply.flags.contains(ReplyFlags::NOECHO));
        let cont = |m: &str| AuthenContinue {
            user_msg: m.as_bytes().to_vec(),
            ..Default::default()
        };
        let s = p.authen_continue(s.flow.unwrap(), &cont("alice"));
        assert_eq!(s.reply.status, AuthenStatus::GETPASS);
        assert!(
            s.reply.flags.contains(ReplyFlags::NOECHO),
            "§5.4.2.1: no echo"
        );
        let flow = s.flow.unwrap();
        assert_eq!(
            p.authen_continue(flow.clone(), &cont("alice-pw"))
                .reply
                .status,
            AuthenStatus::PASS
        );
        assert_eq!(
            p.authen_continue(flow, &cont("wrong")).reply.status,
            AuthenStatus::FAIL
        );
        // With the user in the START, straight to GETPASS.
        let s = p.authen_start(&AuthenStart::ascii_login(b"carol", b"", b""));
        assert_eq!(s.reply.status, AuthenStatus::GETPASS);
        // bob has only a PAP secret: ASCII login fails.
        let s = p.authen_start(&AuthenStart::ascii_login(b"bob", b"", b""));
        assert_eq!(
            p.authen_continue(s.flow.unwrap(), &cont("bob-pap")).note,
            "no secret of this kind for the user"
        );
    }

    #[test]
    fn ascii_login_gives_up_after_empty_usernames() {
        let p = policy();
        let mut s = p.authen_start(&AuthenStart::ascii_login(b"", b"", b""));
        let mut prompts = 1;
        while s.reply.status == AuthenStatus::GETUSER {
            s = p.authen_continue(s.flow.unwrap(), &AuthenContinue::default());
            prompts += 1;
        }
        assert_eq!(s.reply.status, AuthenStatus::FAIL);
        assert_eq!(prompts, usize::from(MAX_USER_PROMPTS) + 1);
    }

    #[test]
    fn enable_request_checks_the_enable_secret_5_4_2_6() {
        let p = policy();
        let mut start = AuthenStart::ascii_login(b"alice", b"", b"");
        start.authen_service = AuthenService::ENABLE;
        let s = p.authen_start(&start);
        assert_eq!(s.reply.status, AuthenStatus::GETPASS);
        let cont = |m: &str| AuthenContinue {
            user_msg: m.as_bytes().to_vec(),
            ..Default::default()
        };
        let flow = s.flow.unwrap();
        assert_eq!(
            p.authen_continue(flow.clone(), &cont("alice-enable"))
                .reply
                .status,
            AuthenStatus::PASS
        );
        assert_eq!(
            p.authen_continue(flow, &cont("alice-pw")).reply.status,
            AuthenStatus::FAIL,
            "the login password is not the enable password"
        );
    }

    #[test]
    fn chap_response_is_md5_of_id_secret_challenge_5_4_2_3() {
        let p = policy();
        let challenge = b"0123456789abcdef";
        let response = |secret: &[u8]| -> [u8; 16] {
            let mut m = Md5::new();
            m.update([7u8]);
            m.update(secret);
            m.update(challenge);
            m.finalize().into()
        };
        let ok =
            AuthenStart::chap_login(b"alice", b"", b"", 7, challenge, &response(b"alice-chap"));
        assert_eq!(p.authen_start(&ok).reply.status, AuthenStatus::PASS);
        let bad = AuthenStart::chap_login(b"alice", b"", b"", 7, challenge, &response(b"alice-pw"));
        assert_eq!(p.authen_start(&bad).reply.status, AuthenStatus::FAIL);
        let no_secret = AuthenStart::chap_login(b"bob", b"", b"", 7, challenge, &response(b""));
        assert_eq!(p.authen_start(&no_secret).reply.status, AuthenStatus::FAIL);
        let mut short = ok.clone();
        short.data.truncate(10);
        assert_eq!(p.authen_start(&short).note, "malformed CHAP data");
    }

    #[test]
    fn unsupported_types_and_actions_fail_with_a_message() {
        let p = policy();
        let mut s = AuthenStart::pap(b"alice", b"alice-pw", b"", b"");
        s.authen_type = AuthenType::MSCHAPV2;
        let r = p.authen_start(&s);
        assert_eq!(r.reply.status, AuthenStatus::FAIL);
        assert!(String::from_utf8_lossy(&r.reply.server_msg).contains("MS-CHAP"));
        let mut s = AuthenStart::ascii_login(b"alice", b"", b"");
        s.action = AuthenAction::CHPASS;
        assert_eq!(p.authen_start(&s).note, "unsupported action");
    }

    #[test]
    fn service_authorization_merges_user_and_group_pairs_6_2() {
        let p = policy();
        let d = p.authorize(&author("alice", &["service=casplus"]));
        assert_eq!(d.response.status, AuthorStatus::PASS_ADD);
        assert_eq!(
            args(&d.response),
            [
                "mail=alice@example.net",
                "groups=netops",
                "priv-lvl=15",
                "groups=audit",
                "priv-lvl=3"
            ]
        );
        // The user's own priv-lvl hides the groups' values.
        let d = p.authorize(&author("bob", &["service=casplus"]));
        assert_eq!(args(&d.response), ["priv-lvl=1", "groups=audit"]);
        // carol has no rule for the service.
        let d = p.authorize(&author("carol", &["service=casplus"]));
        assert_eq!(d.response.status, AuthorStatus::FAIL);
        assert_eq!(
            p.authorize(&author("mallory", &["service=casplus"]))
                .response
                .status,
            AuthorStatus::FAIL
        );
        assert_eq!(
            p.authorize(&author("alice", &["protocol=ip"]))
                .response
                .status,
            AuthorStatus::FAIL,
            "no service"
        );
    }

    #[test]
    fn pass_add_omits_pairs_the_request_already_has_and_repl_replaces_6_2() {
        let p = policy();
        let d = p.authorize(&author("bob", &["service=casplus", "priv-lvl*1"]));
        assert_eq!(d.response.status, AuthorStatus::PASS_ADD);
        assert_eq!(args(&d.response), ["groups=audit"]);
        let d = p.authorize(&author(
            "bob",
            &["service=casplus", "priv-lvl*9", "cas-service*https://a"],
        ));
        assert_eq!(d.response.status, AuthorStatus::PASS_REPL);
        assert_eq!(
            args(&d.response),
            [
                "service=casplus",
                "cas-service*https://a",
                "priv-lvl=1",
                "groups=audit"
            ]
        );
    }

    #[test]
    fn protocol_must_match_when_the_rule_names_one_8_2() {
        let p = policy();
        let d = p.authorize(&author("alice", &["service=ppp", "protocol=ip"]));
        assert_eq!(d.response.status, AuthorStatus::PASS_ADD);
        assert_eq!(args(&d.response), ["addr*10.0.0.9"]);
        let d = p.authorize(&author("alice", &["service=ppp", "protocol=lcp"]));
        assert_eq!(d.response.status, AuthorStatus::FAIL);
    }

    #[test]
    fn shell_commands_first_matching_rule_decides_8_2() {
        let p = policy();
        let cmd = |u: &str, c: &[&str]| {
            let mut a = vec!["service=shell".to_string(), format!("cmd={}", c[0])];
            a.extend(c[1..].iter().map(|x| format!("cmd-arg={x}")));
            let refs: Vec<&str> = a.iter().map(String::as_str).collect();
            p.authorize(&author(u, &refs)).response.status
        };
        assert_eq!(
            cmd("alice", &["show", "version", "<cr>"]),
            AuthorStatus::PASS_ADD
        );
        assert_eq!(
            cmd("alice", &["show", "secrets"]),
            AuthorStatus::FAIL,
            "user rule first"
        );
        assert_eq!(cmd("alice", &["reload"]), AuthorStatus::FAIL, "netops deny");
        assert_eq!(
            cmd("alice", &["reload", "in", "5"]),
            AuthorStatus::FAIL,
            "netops 'reload.*' deny comes before audit's permit"
        );
        assert_eq!(cmd("bob", &["reload", "in", "5"]), AuthorStatus::PASS_ADD);
        assert_eq!(
            cmd("bob", &["show", "version"]),
            AuthorStatus::FAIL,
            "no match → deny"
        );
        assert_eq!(
            cmd("alice", &["xshow", "version"]),
            AuthorStatus::FAIL,
            "whole line"
        );
        // An empty cmd is a shell start request: service authorization.
        assert_eq!(
            p.authorize(&author("alice", &["service=shell", "cmd="]))
                .response
                .status,
            AuthorStatus::FAIL,
            "no shell service rule"
        );
    }

    #[test]
    fn server_connection_bounds_open_ascii_dialogues_4_3() {
        use crate::tacacs::session::{Client, ClientEvent};
        let p = policy();
        let mut sc = ServerConnection::new(&p, "127.0.0.1".parse().unwrap()).unwrap();
        let mut cfg = SessionConfig::new(Key::from_text("narrow"));
        cfg.single_connect = true;
        let mut c = Client::new(cfg);
        let mut statuses = Vec::new();
        for i in 0..(MAX_OPEN_DIALOGUES as u32 + 3) {
            let t = c
                .start_authen(&i.to_be_bytes(), AuthenStart::ascii_login(b"", b"", b""))
                .unwrap();
            let out = sc.handle_input(&p, &t.bytes, Timestamp(0));
            assert!(!out.close);
            for ev in c.handle_input(&out.send) {
                let ClientEvent::AuthenReply { reply, .. } = ev else {
                    panic!("{ev:?}")
                };
                statuses.push(reply.status);
            }
        }
        assert_eq!(statuses.len(), MAX_OPEN_DIALOGUES + 3);
        assert!(
            statuses[..MAX_OPEN_DIALOGUES]
                .iter()
                .all(|s| *s == AuthenStatus::GETUSER)
        );
        assert!(
            statuses[MAX_OPEN_DIALOGUES..]
                .iter()
                .all(|s| *s == AuthenStatus::ERROR)
        );
    }

    #[test]
    fn server_connection_logs_requests_without_secrets() {
        let p = policy();
        let mut sc = ServerConnection::new(&p, "127.0.0.1".parse().unwrap()).unwrap();
        assert!(ServerConnection::new(&p, "192.168.0.1".parse().unwrap()).is_none());
        let key = Key::from_text("narrow");
        let mut c = crate::tacacs::session::Client::new(SessionConfig::new(key));
        let t = c
            .start_authen(
                &[1, 2, 3, 4],
                AuthenStart::pap(b"bob", b"bob-pap", b"tty1", b"10.1.1.1"),
            )
            .unwrap();
        let out = sc.handle_input(&p, &t.bytes, Timestamp(0));
        assert_eq!(
            out.log,
            ["#01020304 authen LOGIN PAP LOGIN user=\"bob\" -> PASS (pass)"]
        );
        assert!(
            out.close,
            "no single-connect asked: close after the session (§4.3)"
        );
        assert!(!format!("{out:?}").contains("bob-pap"));
    }

    #[test]
    fn accounting_record_is_json_with_the_given_time_7_1_8_3() {
        let p = policy();
        let req = AcctRequest {
            flags: AcctFlags::START,
            authen_method: AuthenMethod::TACACSPLUS,
            priv_lvl: PrivLvl::USER,
            authen_type: AuthenType::PAP,
            authen_service: AuthenService::LOGIN,
            user: b"alice".to_vec(),
            port: b"casplus".to_vec(),
            rem_addr: b"192.0.2.1".to_vec(),
            args: vec![
                b"task_id=t1".to_vec(),
                b"start_time=1700000000".to_vec(),
                b"service=casplus".to_vec(),
            ],
            ..Default::default()
        };
        let ctx = AcctContext {
            client: "127.0.0.1".parse().unwrap(),
            session_id: 42,
            now: Timestamp(1_700_000_000_123),
        };
        let d = p.account(&req, &ctx);
        assert_eq!(d.reply.status, AcctStatus::SUCCESS);
        let r = &d.record;
        assert_eq!(r["time"], "2023-11-14T22:13:20.123Z");
        assert_eq!(r["record"], "start");
        assert_eq!(r["user"], "alice");
        assert_eq!(r["authen_type"], "PAP");
        assert_eq!(r["flags"], serde_json::json!(["START"]));
        assert_eq!(r["acct"]["task_id"], "t1");
        assert_eq!(r["acct"]["start_time"], "2023-11-14T22:13:20Z");
        assert_eq!(r["args"][2], "service=casplus");
        let mut bad = req;
        bad.flags = AcctFlags::START.with(AcctFlags::STOP);
        let d = p.account(&bad, &ctx);
        assert_eq!(
            d.reply.status,
            AcctStatus::ERROR,
            "§7.2: START|STOP is invalid"
        );
        assert_eq!(d.record["record"], "invalid");
    }
}
