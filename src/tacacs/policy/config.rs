//! The policy's configuration: client networks, the JSON form (serde), and its
//! validation into a [`Policy`].

use core::fmt;
use core::net::IpAddr;
use std::collections::BTreeMap;

use regex_lite::Regex;
use serde::Deserialize;

use super::{ChapSecret, ClientNet, CommandRule, ConfigError, Policy, Rules, ServiceRule, User};
use crate::password::PasswordHash;
use crate::tacacs::author::AvPair;
use crate::tacacs::obfuscate::{Key, KeyError};

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
    #[serde(default)]
    tls: Option<Box<super::TlsSettings>>,
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
                (Some(k), None) => Some(Key::from_text(k)),
                (None, Some(h)) => Some(Key::from_hex(h).map_err(|e: KeyError| {
                    ConfigError::new(format!("{p}.key_hex"), e.to_string())
                })?),
                // A network without a key connects over TLS only (RFC 9887).
                (None, None) if raw.tls.is_some() => None,
                _ => {
                    return Err(ConfigError::new(
                        p,
                        "give exactly one of key / key_hex (none only with a tls section)",
                    ));
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
            users.insert(name.clone(), user);
        }
        // Unknown users cost the one fixed default, never the highest count configured.
        let dummy = PasswordHash::unknown_user();
        Ok(Self {
            single_connect: raw.single_connect,
            clients,
            groups,
            users,
            dummy,
            tls: raw.tls,
        })
    }
}
