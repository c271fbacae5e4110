//! `casplus decode`: TACACS+ PDUs (RFC 8907) from raw bytes or hex text, as a tree or JSON Lines.

use std::ffi::OsString;
use std::io::Write;

use casplus::capture::{self, InputFormat};
use casplus::tacacs::{self, DecodeOptions, Key, Pdu};

use crate::{CliError, Io, write_error};

/// Help text of `casplus decode`.
pub const USAGE: &str = "\
Decode TACACS+ (RFC 8907) PDUs

Usage: casplus decode [OPTIONS] [FILE|-]

Reads FILE (or standard input when FILE is `-` or absent): raw PDU bytes, or hex text
(whitespace, `:` and `,` separators, `0x` prefixes and `#` comments are tolerated). Several
concatenated PDUs are decoded one after the other. Captures are recognised too: pcap, pcapng,
`tcpdump -x/-xx/-X/-XX` text, Wireshark/tshark hex dumps and base64; their TCP streams are
reassembled and TACACS+ is found on any port (each PDU then also shows frame, time, addresses
and a one-line summary, and the session flows are listed at the end).

Options:
  -k, --key KEY          Shared secret to de-obfuscate bodies (RFC 8907 §4.5); repeat to try
                         several keys: `key_index` tells which one fitted. ADDRESS=KEY (e.g.
                         10.0.0.5=secret) is the key of one peer: tried first on connections
                         with that address at either end, never on the others
      --key-hex HEX      The same, for a key given as hex (any bytes)
      --key-file PATH    Keys from a file, one per line, KEY or ADDRESS=KEY (keeps them out of
                         the process list)
      --keylog FILE      TLS secrets (NSS key log, as SSLKEYLOGFILE writes it) to decrypt TLS 1.3
                         connections in a capture (TACACS+ over TLS, RFC 9887) and decode the
                         PDUs inside; without it TLS connections show their handshake only
      --json             One JSON object per PDU (JSON Lines) instead of a tree
      --summary          One line per PDU instead of a tree, like a packet list: frame, time,
                         source → destination, session_id, seq_no, summary (type, user,
                         status); `-` where the input has no such thing
      --max-length N     Largest body length accepted (default 65536)
      --input-format F   Force the input form: raw, hex, base64, tcpdump, hexdump, pcap, pcapng
  -h, --help             Print help

Exit status: 0 when the input was read (whatever the diagnostics say), 1 when it could not be
read, 2 for a usage error.
";

/// What the command line asked for.
#[derive(Debug, Default)]
struct Args {
    keys: Vec<Key>,
    peer_keys: Vec<capture::PeerKey>,
    json: bool,
    summary: bool,
    max_length: Option<u32>,
    input_format: Option<InputFormat>,
    keylog: Option<OsString>,
    file: Option<OsString>,
    help: bool,
}

impl Args {
    /// A key as given: `ADDRESS=SECRET` is the key of one peer ([`capture::PeerKey`]), anything
    /// else a key for every connection.
    fn push_key(&mut self, given: &[u8]) {
        let peer = std::str::from_utf8(given)
            .ok()
            .and_then(capture::PeerKey::split);
        match peer {
            Some((peer, secret)) => {
                self.peer_keys.push(capture::PeerKey {
                    peer,
                    key: self.keys.len(),
                });
                self.keys.push(Key::new(secret.as_bytes().to_vec()));
            }
            None => self.keys.push(Key::new(given.to_vec())),
        }
    }
}

fn parse_args(parser: &mut lexopt::Parser) -> Result<Args, CliError> {
    use lexopt::prelude::*;
    let mut args = Args::default();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('k') | Long("key") => {
                let v = parser.value()?;
                let text = v.to_str().ok_or_else(|| {
                    CliError::Usage("--key must be valid UTF-8 (use --key-hex)".into())
                })?;
                args.push_key(text.as_bytes());
            }
            Long("key-hex") => {
                let v = parser.value()?;
                let key = v
                    .to_str()
                    .and_then(|t| Key::from_hex(t).ok())
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| {
                        CliError::Usage("--key-hex: expected hex digits (e.g. 00ff3d)".into())
                    })?;
                args.keys.push(key);
            }
            Long("key-file") => {
                let path = parser.value()?;
                let text = std::fs::read(&path).map_err(|e| {
                    CliError::Failed(format!(
                        "cannot read key file {}: {e}",
                        path.to_string_lossy()
                    ))
                })?;
                let before = args.keys.len();
                for line in text.split(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if !line.is_empty() {
                        args.push_key(line);
                    }
                }
                if args.keys.len() == before {
                    return Err(CliError::Usage(format!(
                        "--key-file: no key in {}",
                        path.to_string_lossy()
                    )));
                }
            }
            Long("keylog") => args.keylog = Some(parser.value()?),
            Long("json") => args.json = true,
            Long("summary") => args.summary = true,
            Long("max-length") => {
                let v = parser.value()?;
                args.max_length = Some(v.parse().map_err(|_| {
                    CliError::Usage(format!(
                        "--max-length: expected a number up to {}, got {:?}",
                        u32::MAX,
                        v.to_string_lossy()
                    ))
                })?);
            }
            Long("input-format") => {
                let v = parser.value()?;
                args.input_format =
                    Some(v.to_str().and_then(InputFormat::from_name).ok_or_else(|| {
                        CliError::Usage(format!(
                            "--input-format: unknown form {:?} (raw, hex, base64, tcpdump, \
                             hexdump, pcap, pcapng)",
                            v.to_string_lossy()
                        ))
                    })?);
            }
            Short('h') | Long("help") => args.help = true,
            Value(v) if args.file.is_none() => args.file = Some(v),
            Value(v) => {
                return Err(CliError::Usage(format!(
                    "decode takes one input file, got another: {:?}",
                    v.to_string_lossy()
                )));
            }
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(args)
}

/// Runs `casplus decode` with the rest of the command line in `parser`.
pub fn run(parser: &mut lexopt::Parser, io: &mut Io<'_>) -> Result<(), CliError> {
    let args = parse_args(parser)?;
    if args.help {
        return io
            .stdout
            .write_all(USAGE.as_bytes())
            .map_err(|e| write_error(&e));
    }
    if args.json && args.summary {
        return Err(CliError::Usage(
            "--json and --summary are alternatives".into(),
        ));
    }
    let (name, raw) = read_input(args.file.as_ref(), io)?;
    let form = args.input_format.or_else(|| capture::detect(&raw));
    if args.keylog.is_some() || !matches!(form, None | Some(InputFormat::Raw | InputFormat::Hex)) {
        return run_capture(&args, form, &name, &raw, io);
    }
    let (bytes, _format) = capture::paste::read_pdus(&raw, args.input_format)
        .map_err(|e| CliError::Failed(format!("{name}: {e}")))?;
    let opts = DecodeOptions {
        keys: args.keys,
        max_length: args.max_length.unwrap_or(tacacs::DEFAULT_MAX_LENGTH),
        ..DecodeOptions::default()
    };
    let pdus = tacacs::decode_all(&bytes, &opts);
    for (i, pdu) in pdus.iter().enumerate() {
        if args.summary {
            let h = &pdu.header;
            writeln!(
                io.stdout,
                "{:>6}  -  -  {:#010x} {:>3}  {}",
                i + 1,
                h.session_id,
                h.seq_no,
                capture::pdu_summary(pdu)
            )
            .map_err(|e| write_error(&e))?;
        } else if args.json {
            write_json(pdu, io.stdout)?;
        } else {
            let mut buf = Vec::new();
            if i > 0 {
                buf.push(b'\n');
            }
            crate::tree::write_tree(i, pdu, &mut buf).map_err(|e| write_error(&e))?;
            io.stdout.write_all(&buf).map_err(|e| write_error(&e))?;
        }
    }
    Ok(())
}

/// A capture (pcap, pcapng, tcpdump or hex-dump text, base64): TCP reassembly and sessions
/// by `casplus::capture`, then every PDU as in the plain path plus where it was captured.
fn run_capture(
    args: &Args,
    form: Option<InputFormat>,
    name: &str,
    raw: &[u8],
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let (keylog, keylog_errors) = match &args.keylog {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| {
                CliError::Failed(format!(
                    "cannot read key log {}: {e}",
                    path.to_string_lossy()
                ))
            })?;
            capture::tls::KeyLog::parse(&text)
        }
        None => Default::default(),
    };
    let opts = capture::Options {
        format: args.input_format,
        keys: args.keys.clone(),
        peer_keys: args.peer_keys.clone(),
        max_pdu_len: args.max_length.unwrap_or(tacacs::DEFAULT_MAX_LENGTH),
        keylog,
        // The trees and JSON lines show the decode the analysis made for the sessions: kept,
        // not redone (issue 18: the second decode with its MD5 pads was a fifth of the tree
        // time); `--summary` needs only the summaries.
        keep_decoded: !args.summary,
        ..capture::Options::default()
    };
    // Not dropped: `casplus decode` ends once it is written, and the system takes the memory
    // back at once, where freeing the analysis (tens of thousands of PDUs, and with the trees
    // their decodes) one allocation at a time took a tenth of the tree's time (issue 18).
    let analysis = std::mem::ManuallyDrop::new(capture::analyze(raw, &opts));
    if analysis.pdus.is_empty() && analysis.frames.is_empty() {
        let why = analysis
            .diagnostics
            .first()
            .map_or_else(|| "no TACACS+ found".to_owned(), |d| d.message.clone());
        let form = form.map_or("unknown", InputFormat::name);
        return Err(CliError::Failed(format!("{name}: read as {form}: {why}")));
    }
    let out = &mut *io.stdout;
    if args.summary {
        return write_summary(&analysis, out);
    }
    if args.json {
        for line in analysis.pdu_lines(&opts) {
            serde_json::to_writer(&mut *out, &line).map_err(|e| match e.io_error_kind() {
                Some(kind) => write_error(&kind.into()),
                None => CliError::Failed(format!("cannot render JSON: {e}")),
            })?;
            out.write_all(b"\n").map_err(|e| write_error(&e))?;
        }
        return Ok(());
    }
    // The trees are written into one buffer, handed to the output in large pieces; each PDU
    // shows the decode the analysis kept (`keep_decoded`), as `Analysis::pdu_lines` would.
    let ends = connection_ends(&analysis);
    let mut buf: Vec<u8> = Vec::with_capacity(OUT_CHUNK * 2);
    let mut i = 0;
    for p in &analysis.pdus {
        let again;
        let pdu = match &p.decoded {
            Some(d) => &**d,
            None => {
                again = analysis.decode(p, &opts);
                match &again {
                    Some(d) => d,
                    None => continue,
                }
            }
        };
        if i > 0 {
            buf.push(b'\n');
        }
        let time = analysis.frame(p.last_frame).and_then(|f| f.time);
        frame_line(&mut buf, p, time, ends_of(&ends, p)).map_err(|e| write_error(&e))?;
        crate::tree::write_tree(i, pdu, &mut buf).map_err(|e| write_error(&e))?;
        i += 1;
        if buf.len() >= OUT_CHUNK {
            out.write_all(&buf).map_err(|e| write_error(&e))?;
            buf.clear();
        }
    }
    epilogue(&mut buf, out, &analysis, &keylog_errors).map_err(|e| write_error(&e))
}

/// Bytes of tree text gathered before they are handed to the output.
const OUT_CHUNK: usize = 1 << 16;

/// Each connection's client and server as text, written once for all the lines.
fn connection_ends(analysis: &capture::Analysis) -> Vec<[String; 2]> {
    analysis
        .connections
        .iter()
        .map(|c| [c.client.to_string(), c.server.to_string()])
        .collect()
}

/// The PDU's sender and receiver as text, when it came over a connection.
fn ends_of<'e>(ends: &'e [[String; 2]], p: &capture::Pdu) -> Option<(&'e str, &'e str)> {
    let [c, s] = ends.get(p.conn? as usize)?;
    Some(match p.direction {
        tacacs::Direction::ClientToServer => (c, s),
        tacacs::Direction::ServerToClient => (s, c),
    })
}

/// `Frame N[ at TIME][, SRC → DST]: SUMMARY`, the line above a PDU's tree.
fn frame_line(
    out: &mut Vec<u8>,
    p: &capture::Pdu,
    time: Option<capture::FrameTime>,
    ends: Option<(&str, &str)>,
) -> std::io::Result<()> {
    out.extend_from_slice(b"Frame ");
    crate::tree::num(out, p.last_frame.into());
    if let Some(t) = time {
        write!(out, " at {t}")?;
    }
    if let Some((src, dst)) = ends {
        out.extend_from_slice(b", ");
        arrow(out, src, dst);
    }
    out.extend_from_slice(b": ");
    out.extend_from_slice(p.summary.as_bytes());
    out.push(b'\n');
    Ok(())
}

/// After the trees: the capture, its sessions step by step, TLS connections, key-log
/// warnings and the capture's diagnostics, gathered in `buf` and handed to `out` every
/// [`OUT_CHUNK`] bytes.
fn epilogue(
    buf: &mut Vec<u8>,
    out: &mut dyn Write,
    analysis: &capture::Analysis,
    keylog_errors: &[capture::tls::KeyLogError],
) -> std::io::Result<()> {
    writeln!(buf)?;
    writeln!(
        buf,
        "Capture: {} ({}), {} PDU(s), {} session(s)",
        analysis.format.form.name(),
        analysis.format.detail,
        analysis.pdus.len(),
        analysis.sessions.len()
    )?;
    for s in &analysis.sessions {
        // `  Session {id} (session_id {:#010x}):`, then `    {seq_no:>3}  {summary}` a step
        buf.extend_from_slice(b"  Session ");
        crate::tree::num(buf, s.id.into());
        buf.extend_from_slice(b" (session_id 0x");
        crate::tree::hex_num(buf, s.session_id.into(), 8);
        buf.extend_from_slice(b"):\n");
        for step in &s.steps {
            if let Some(p) = analysis.pdus.get(step.pdu as usize) {
                buf.extend_from_slice(b"    ");
                right(buf, step.seq_no.into(), 3);
                buf.extend_from_slice(b"  ");
                buf.extend_from_slice(p.summary.as_bytes());
                buf.push(b'\n');
            }
        }
        if buf.len() >= OUT_CHUNK {
            out.write_all(buf)?;
            buf.clear();
        }
    }
    for c in &analysis.connections {
        if let Some(t) = &c.tls {
            writeln!(buf, "  TLS {} → {}: {}", c.client, c.server, tls_line(t))?;
            if buf.len() >= OUT_CHUNK {
                out.write_all(buf)?;
                buf.clear();
            }
        }
    }
    for e in keylog_errors {
        writeln!(buf, "  warning [{}]: {e}", capture::codes::TLS_KEYLOG_LINE)?;
    }
    for d in &analysis.diagnostics {
        write!(buf, "  {} [{}]", d.severity, d.code)?;
        if let Some(o) = d.offset {
            write!(buf, " at offset {o}")?;
        }
        writeln!(buf, ": {}", d.message)?;
        if buf.len() >= OUT_CHUNK {
            out.write_all(buf)?;
            buf.clear();
        }
    }
    out.write_all(buf)
}

/// `--summary` on a capture: one line per PDU from the analysis as it stands (no second
/// decode): frame, time, endpoints, session_id, seq_no, summary, and `[TLS]` for a PDU
/// decrypted from TLS (RFC 9887). In frame order (the frame of a PDU's last byte, where a
/// dissector shows it), PDUs of one frame in stream order.
fn write_summary(analysis: &capture::Analysis, out: &mut dyn Write) -> Result<(), CliError> {
    let mut order: Vec<&capture::Pdu> = analysis.pdus.iter().collect();
    order.sort_by_key(|p| p.last_frame);
    let mut buf: Vec<u8> = Vec::with_capacity(OUT_CHUNK * 2);
    let ends = connection_ends(analysis);
    // frames are in number order, and so are the PDUs now: one walk finds each time
    let mut at = 0;
    for p in order {
        while analysis
            .frames
            .get(at)
            .is_some_and(|f| f.number < p.last_frame)
        {
            at += 1;
        }
        let time = analysis
            .frames
            .get(at)
            .filter(|f| f.number == p.last_frame)
            .and_then(|f| f.time);
        summary_line(&mut buf, ends_of(&ends, p), p, time).map_err(|e| write_error(&e))?;
        if buf.len() >= OUT_CHUNK {
            out.write_all(&buf).map_err(|e| write_error(&e))?;
            buf.clear();
        }
    }
    out.write_all(&buf).map_err(|e| write_error(&e))
}

/// One `--summary` line, written straight into `out` (as `{:>6}  {time}  {src} → {dst}
/// {session_id:#010x} {seq_no:>3}  {summary}` would, without `core::fmt` for the numbers);
/// `ends`: the PDU's sender and receiver as text.
fn summary_line(
    out: &mut Vec<u8>,
    ends: Option<(&str, &str)>,
    p: &capture::Pdu,
    time: Option<capture::FrameTime>,
) -> std::io::Result<()> {
    right(out, u64::from(p.last_frame), 6);
    out.extend_from_slice(b"  ");
    match time {
        Some(t) => write!(out, "{t}")?,
        None => out.push(b'-'),
    }
    out.extend_from_slice(b"  ");
    match ends {
        Some((src, dst)) => arrow(out, src, dst),
        None => out.push(b'-'),
    }
    out.extend_from_slice(b"  0x");
    crate::tree::hex_num(out, p.header.session_id.into(), 8);
    out.push(b' ');
    right(out, p.header.seq_no.into(), 3);
    out.extend_from_slice(b"  ");
    out.extend_from_slice(p.summary.as_bytes());
    if p.tls {
        out.extend_from_slice(b"  [TLS]");
    }
    out.push(b'\n');
    Ok(())
}

/// `n` right-aligned in `width` columns, as `{n:>width$}` writes it.
fn right(out: &mut Vec<u8>, n: u64, width: usize) {
    let digits = n.checked_ilog10().unwrap_or(0) as usize + 1;
    for _ in digits..width {
        out.push(b' ');
    }
    crate::tree::num(out, n);
}

/// `from → to`.
fn arrow(out: &mut Vec<u8>, from: &str, to: &str) {
    out.extend_from_slice(from.as_bytes());
    out.extend_from_slice(" → ".as_bytes());
    out.extend_from_slice(to.as_bytes());
}

/// One line about a TLS connection: what its handshake shows and what was decrypted.
fn tls_line(t: &capture::tls::TlsInfo) -> String {
    let mut parts = Vec::new();
    parts.push(t.version_name().unwrap_or_else(|| "version unknown".into()));
    if let Some(s) = t.cipher_suite {
        parts.push(
            s.name()
                .map_or_else(|| format!("suite 0x{:04x}", s.0), str::to_owned),
        );
    }
    if let Some(sni) = &t.sni {
        parts.push(format!("SNI {sni}"));
    }
    if !t.alpn.is_empty() {
        parts.push(format!("ALPN {}", t.alpn.join(",")));
    }
    for a in &t.alerts {
        parts.push(format!(
            "alert {} from the {}{}",
            a.name()
                .map_or_else(|| a.description.to_string(), str::to_owned),
            if a.from_client { "client" } else { "server" },
            if a.decrypted { " (decrypted)" } else { "" }
        ));
    }
    if t.key_updates > 0 {
        parts.push(format!("{} key update(s)", t.key_updates));
    }
    let [a, b] = t.decrypted;
    if a + b > 0 {
        parts.push(format!("decrypted {a} + {b} bytes"));
    } else {
        parts.push("not decrypted".into());
    }
    parts.join(", ")
}

fn read_input(file: Option<&OsString>, io: &mut Io<'_>) -> Result<(String, Vec<u8>), CliError> {
    match file {
        Some(f) if f != "-" => {
            let name = f.to_string_lossy().into_owned();
            let data = std::fs::read(f)
                .map_err(|e| CliError::Failed(format!("cannot read {name}: {e}")))?;
            Ok((name, data))
        }
        _ => {
            let mut data = Vec::new();
            io.stdin
                .read_to_end(&mut data)
                .map_err(|e| CliError::Failed(format!("cannot read standard input: {e}")))?;
            Ok(("standard input".into(), data))
        }
    }
}

fn write_json(pdu: &Pdu, out: &mut dyn Write) -> Result<(), CliError> {
    serde_json::to_writer(&mut *out, pdu).map_err(|e| match e.io_error_kind() {
        Some(kind) => write_error(&kind.into()),
        None => CliError::Failed(format!("cannot render JSON: {e}")),
    })?;
    out.write_all(b"\n").map_err(|e| write_error(&e))
}
