// What the TACACS+ fields and values mean (RFC 8907), for the detail tree. Presentation only:
// the values themselves come decoded from the core.

export const TYPE_NAMES = { 1: 'AUTHEN', 2: 'AUTHOR', 3: 'ACCT' };

export const BODY_TITLES = {
  authen_start: ['Authentication START', '§5.1'],
  authen_reply: ['Authentication REPLY', '§5.2'],
  authen_continue: ['Authentication CONTINUE', '§5.3'],
  author_request: ['Authorization REQUEST', '§6.1'],
  author_response: ['Authorization RESPONSE', '§6.2'],
  acct_request: ['Accounting REQUEST', '§7.1'],
  acct_reply: ['Accounting REPLY', '§7.2'],
  unknown: ['Unknown body', '§4.1'],
};

export const HEADER_FIELDS = {
  version: 'Major version 0xc; minor 0 (default) or 1 (PAP, CHAP, MS-CHAP) (§4.1)',
  type: 'Packet type: authentication, authorization or accounting (§4.1)',
  seq_no: 'Sequence number in the session: odd from the client, even from the server; starts at 1 (§4.1)',
  flags: 'Header flags: UNENCRYPTED (0x01, body in clear, §4.5), SINGLE_CONNECT (0x04, §4.3)',
  session_id: 'Identifies the session; chosen at random by the client (§4.1)',
  length: 'Length of the body in bytes, not counting the 12-byte header (§4.1)',
};

export const FIELDS = {
  action: 'Authentication action (§5.1)',
  priv_lvl: 'Privilege level, 0 (lowest) to 15 (highest) (§5.1, §9)',
  authen_type: 'Authentication type (§5.1)',
  authen_service: 'Service requesting the authentication (§5.1)',
  authen_method: 'How the user was authenticated before this request (§6.1)',
  user: 'User name (may be empty: the server asks for it) (§5.1)',
  user_len: 'Length of user',
  port: 'Client port the user is on, e.g. tty10 (§5.1)',
  port_len: 'Length of port',
  rem_addr: 'Where the user connects from (§5.1)',
  rem_addr_len: 'Length of rem_addr',
  data: 'Data: PAP password, CHAP response, or other authentication data (§5.1, §5.2)',
  data_len: 'Length of data',
  status: 'Result or next step',
  server_msg: 'Message to show to the user (§5.2)',
  server_msg_len: 'Length of server_msg',
  user_msg: 'The user\'s answer to the server\'s prompt (§5.3)',
  user_msg_len: 'Length of user_msg',
  arg_cnt: 'Number of arguments (§6.1)',
  args: 'Attribute-value pairs, "name=value" (mandatory) or "name*value" (optional) (§6.1, §8)',
  record: 'Accounting record kind from the flags (§7.1, §7.2)',
  acct: 'Accounting arguments (§8.3)',
  chap: 'CHAP/MS-CHAP data: id, challenge, response (§5.4.2.3-5)',
};

const V = {
  action: { LOGIN: 'user login', CHPASS: 'change password', SENDAUTH: 'outbound authentication', SENDPASS: 'removed from the protocol' },
  authen_method: {
    NOT_SET: 'not set', NONE: 'no authentication', KRB5: 'Kerberos 5', LINE: 'line password', ENABLE: 'enable password',
    LOCAL: 'local user database', TACACSPLUS: 'TACACS+', GUEST: 'guest', RADIUS: 'RADIUS', KRB4: 'Kerberos 4', RCMD: 'r-command',
  },
  authen_type: {
    ASCII: 'interactive: the server prompts, the client answers', PAP: 'password in the START data',
    CHAP: 'CHAP id + response in the data', MSCHAP: 'MS-CHAP v1', MSCHAPV2: 'MS-CHAP v2', ARAP: 'ARAP (deprecated)',
    NOT_SET: 'not set (authorization/accounting only)',
  },
  authen_service: { LOGIN: 'login', ENABLE: 'enable (privilege change)', PPP: 'PPP', PT: 'PT', RCMD: 'rcmd', X25: 'X.25', NASI: 'NASI', FWPROXY: 'firewall proxy', NONE: 'none' },
  status_authen_reply: {
    PASS: 'authentication succeeded', FAIL: 'authentication failed', GETDATA: 'server asks for data',
    GETUSER: 'server asks for the user name', GETPASS: 'server asks for the password',
    RESTART: 'start again with another authentication type', ERROR: 'server error', FOLLOW: 'use another server (deprecated)',
  },
  status_author_response: {
    PASS_ADD: 'authorized: add these arguments to the request\'s', PASS_REPL: 'authorized: use these arguments instead',
    FAIL: 'not authorized', ERROR: 'server error', FOLLOW: 'use another server (deprecated)',
  },
  status_acct_reply: { SUCCESS: 'record accepted', ERROR: 'record not accepted', FOLLOW: 'use another server (deprecated)' },
  flags_authen_reply: { NOECHO: 'do not echo the user\'s answer (a password)' },
  flags_authen_continue: { ABORT: 'the client aborts the session' },
  flags_acct_request: { START: 'task started', STOP: 'task ended', WATCHDOG: 'task still running (update)', MORE: 'deprecated' },
  header_flags: { UNENCRYPTED: 'body in clear (not obfuscated)', SINGLE_CONNECT: 'several sessions on this connection' },
  type: { AUTHEN: 'authentication (§5)', AUTHOR: 'authorization (§6)', ACCT: 'accounting (§7)' },
};

/** Meaning of `value` in field `name` of a body of `kind` (or the header for kind 'header'). */
export function meaning(kind, name, value) {
  const list = Array.isArray(value) ? value : [value];
  let table;
  if (kind === 'header') table = name === 'flags' ? V.header_flags : V[name];
  else if (name === 'status') table = V[`status_${kind}`];
  else if (name === 'flags') table = V[`flags_${kind}`];
  else table = V[name];
  if (!table) return '';
  return list.map((v) => table[v]).filter(Boolean).join('; ');
}

export const BODY_STATE = {
  clear: 'sent in clear (UNENCRYPTED flag)',
  deobfuscated: 'de-obfuscated',
  obfuscated: 'obfuscated — no key given',
  wrong_key: 'no key fits: the field lengths do not add up (probably wrong key)',
};

export const ROLE_BASIS = {
  port: 'the server uses port 49',
  seq_parity: 'seq_no parity (odd from the client)',
  seq_parity_and_port: 'seq_no parity and port 49',
  syn: 'the side that sent SYN',
  first_seen: 'the side seen first (nothing better)',
};

export const FORM_NAMES = {
  raw: 'raw bytes', hex: 'hex stream', base64: 'base64', tcpdump: 'tcpdump text', hexdump: 'Wireshark/tshark hex dump',
  pcap: 'pcap file', pcapng: 'pcapng file',
};
