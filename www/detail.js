// Detail tree and hex view of one PDU, linked both ways: selecting a field highlights its
// bytes; clicking (or moving the cursor to) a byte selects the field that holds it.
import { BODY_STATE, BODY_TITLES, FIELDS, HEADER_FIELDS, ROLE_BASIS, TYPE_NAMES, meaning } from './fields.js';

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

export function hexToBytes(hex) {
  const n = hex.length >> 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

const ep = (e) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
const hex2 = (b) => b.toString(16).padStart(2, '0');
const hex8 = (v) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

// ---------------------------------------------------------------------------------------
// Tree
// ---------------------------------------------------------------------------------------

/** A tree node: {label, value?, meaning?, span?: [start, end), children?, open?, cls?}. */
export class Tree {
  constructor(root, { onSelect }) {
    this.root = root;
    this.onSelect = onSelect;
    this.nodes = []; // flat, in document order: {node, li}
    this.current = null;
    root.addEventListener('keydown', (e) => this.onKey(e));
    root.addEventListener('click', (e) => {
      const li = e.target.closest('[role=treeitem]');
      if (!li) return;
      const entry = this.nodes[Number(li.dataset.n)];
      if (e.target.closest('.twisty')) this.toggle(entry);
      this.select(entry, true);
    });
  }

  empty(text) {
    this.root.replaceChildren(el('p', 'empty', text));
    this.nodes = [];
    this.current = null;
    this.root.removeAttribute('aria-activedescendant');
  }

  show(nodes) {
    // The tree of a newly selected packet comes from the engine a moment after the selection.
    // A keyboard user may already be moving in the tree by then: their place (the selected
    // field, the open and closed branches, matched by position and label) is kept in the new
    // tree, so keys typed in between are not lost.
    const keep = this.root.contains(document.activeElement) ? this.place() : null;
    this.nodes = [];
    this.current = null;
    const ul = el('ul');
    ul.setAttribute('role', 'none');
    nodes.forEach((n, i) => ul.append(this.item(n, 1, `${i}:${n.label}`)));
    this.root.replaceChildren(ul);
    this.root.removeAttribute('aria-activedescendant');
    if (keep) this.restore(keep);
  }

  /** Where the user is: the selected node's key and each branch's open state. */
  place() {
    const open = new Map();
    for (const e of this.nodes) if (e.group) open.set(e.key, !e.group.hidden);
    return { current: this.current && this.current.key, open };
  }

  restore({ current, open }) {
    for (const e of this.nodes) if (e.group && open.has(e.key)) this.toggle(e, open.get(e.key));
    const entry = current && this.nodes.find((e) => e.key === current);
    if (entry) this.select(entry, true);
  }

  item(node, level, key) {
    const li = el('li');
    li.setAttribute('role', 'treeitem');
    li.setAttribute('aria-level', String(level));
    li.setAttribute('aria-selected', 'false');
    const n = this.nodes.length;
    li.dataset.n = String(n);
    li.id = `tn${n}`;
    const entry = { node, li, level, key, parent: null, group: null };
    this.nodes.push(entry);
    const line = el('div', `node${node.cls ? ` ${node.cls}` : ''}`);
    const tw = el('span', 'twisty');
    tw.setAttribute('aria-hidden', 'true');
    line.append(tw);
    line.append(el('span', 'k', node.label));
    const vm = el('span', 'vm');
    if (node.value !== undefined && node.value !== null && node.value !== '') {
      vm.append(el('span', 'sep', ': '), el('span', 'v', String(node.value)));
    }
    if (node.meaning) vm.append(el('span', 'm', ` — ${node.meaning}`));
    line.append(vm);
    if (node.help) line.title = node.help;
    if (node.span && node.span[1] > node.span[0]) {
      const [s, e] = node.span;
      line.append(el('span', 'off', e - s === 1 ? `[${s}]` : `[${s}–${e - 1}]`));
    }
    li.append(line);
    if (node.children && node.children.length) {
      li.setAttribute('aria-expanded', node.open ? 'true' : 'false');
      const group = el('ul');
      group.setAttribute('role', 'group');
      group.hidden = !node.open;
      for (const [i, c] of node.children.entries()) {
        const child = this.item(c, level + 1, `${key}/${i}:${c.label}`);
        this.nodes[Number(child.dataset.n)].parent = entry;
        group.append(child);
      }
      entry.group = group;
      li.append(group);
    }
    return li;
  }

  toggle(entry, open = !(entry.li.getAttribute('aria-expanded') === 'true')) {
    if (!entry.group) return;
    entry.li.setAttribute('aria-expanded', open ? 'true' : 'false');
    entry.group.hidden = !open;
  }

  visible() {
    return this.nodes.filter((e) => {
      for (let p = e.parent; p; p = p.parent) if (p.group && p.group.hidden) return false;
      return true;
    });
  }

  select(entry, notify = true) {
    if (!entry) return;
    for (let p = entry.parent; p; p = p.parent) this.toggle(p, true);
    if (this.current) this.current.li.setAttribute('aria-selected', 'false');
    this.current = entry;
    entry.li.setAttribute('aria-selected', 'true');
    this.root.setAttribute('aria-activedescendant', entry.li.id);
    entry.li.firstChild.scrollIntoView({ block: 'nearest' });
    if (notify && this.onSelect) this.onSelect(entry.node);
  }

  /** Selects the node with the smallest span holding byte `offset` (deepest on ties). */
  selectAt(offset) {
    let best = null;
    for (const e of this.nodes) {
      const s = e.node.span;
      if (!s || !(s[0] <= offset && offset < s[1]) || e.node.noPick) continue;
      const len = s[1] - s[0];
      if (!best || len < best.len || (len === best.len && e.level > best.e.level)) best = { e, len };
    }
    if (best) this.select(best.e, true);
    return best ? best.e.node : null;
  }

  onKey(e) {
    const vis = this.visible();
    if (!vis.length) return;
    const i = this.current ? vis.indexOf(this.current) : -1;
    const cur = this.current;
    switch (e.key) {
      case 'ArrowDown': this.select(vis[Math.min(vis.length - 1, i + 1)]); break;
      case 'ArrowUp': this.select(vis[Math.max(0, i - 1)]); break;
      case 'Home': this.select(vis[0]); break;
      case 'End': this.select(vis[vis.length - 1]); break;
      case 'ArrowRight':
        if (!cur) this.select(vis[0]);
        else if (cur.group && cur.group.hidden) this.toggle(cur, true);
        else if (cur.group) this.select(vis[i + 1]);
        break;
      case 'ArrowLeft':
        if (cur && cur.group && !cur.group.hidden) this.toggle(cur, false);
        else if (cur && cur.parent) this.select(cur.parent);
        break;
      case 'Enter':
      case ' ':
        if (cur) this.toggle(cur);
        else this.select(vis[0]);
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}

// ---------------------------------------------------------------------------------------
// Hex view
// ---------------------------------------------------------------------------------------

export class HexView {
  constructor(root, { onPick }) {
    this.root = root;
    this.onPick = onPick;
    this.cells = [];
    this.chars = [];
    this.lit = [];
    this.cursor = -1;
    root.addEventListener('click', (e) => {
      const c = e.target.closest('[data-i]');
      if (!c) return;
      this.moveCursor(Number(c.dataset.i));
    });
    root.addEventListener('keydown', (e) => this.onKey(e));
  }

  empty(text) {
    this.root.replaceChildren(el('p', 'empty', text));
    this.cells = [];
    this.chars = [];
    this.lit = [];
    this.cursor = -1;
    this.root.removeAttribute('aria-activedescendant');
  }

  /**
   * @param {Uint8Array} bytes header + body as shown
   * @param {object} o {bodyStart, missing: bytes not captured, obfuscated: body shown is obfuscated}
   */
  show(bytes, o) {
    this.bytes = bytes;
    this.cells = new Array(bytes.length);
    this.chars = new Array(bytes.length);
    this.lit = [];
    this.cursor = -1;
    const frag = document.createDocumentFragment();
    const rows = Math.ceil(bytes.length / 16);
    for (let r = 0; r < rows; r++) {
      const row = el('div', 'hrow');
      row.setAttribute('role', 'row');
      const off = el('span', 'hoff', (r * 16).toString(16).padStart(4, '0'));
      off.setAttribute('role', 'rowheader');
      row.append(off);
      const hexPart = el('span', 'hbytes');
      hexPart.setAttribute('role', 'none');
      const ascPart = el('span', 'hasc');
      ascPart.setAttribute('aria-hidden', 'true');
      for (let c = 0; c < 16; c++) {
        const i = r * 16 + c;
        if (i >= bytes.length) break;
        const b = bytes[i];
        const cell = el('span', i < o.bodyStart ? 'b hdr' : 'b', hex2(b));
        cell.setAttribute('role', 'gridcell');
        cell.id = `hb${i}`;
        cell.dataset.i = String(i);
        cell.setAttribute('aria-label', `byte ${i}: 0x${hex2(b)}`);
        hexPart.append(cell);
        this.cells[i] = cell;
        const ch = el('span', 'a', b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');
        ch.dataset.i = String(i);
        ascPart.append(ch);
        this.chars[i] = ch;
      }
      row.append(hexPart, ascPart);
      frag.append(row);
    }
    const notes = [];
    if (o.obfuscated) notes.push('Body shown as captured (obfuscated).');
    if (o.missing > 0) notes.push(`${o.missing} byte${o.missing === 1 ? '' : 's'} of this PDU were not captured.`);
    const head = el('p', 'hex-note', notes.join(' '));
    head.hidden = notes.length === 0;
    this.root.replaceChildren(head, frag);
    this.root.removeAttribute('aria-activedescendant');
  }

  highlight(span) {
    for (const i of this.lit) {
      this.cells[i].classList.remove('hl');
      this.chars[i].classList.remove('hl');
    }
    this.lit = [];
    if (!span) return;
    const [s, e] = span;
    for (let i = Math.max(0, s); i < Math.min(e, this.cells.length); i++) {
      this.cells[i].classList.add('hl');
      this.chars[i].classList.add('hl');
      this.lit.push(i);
    }
    if (this.lit.length) this.cells[this.lit[0]].scrollIntoView({ block: 'nearest' });
  }

  moveCursor(i) {
    if (!this.cells.length) return;
    i = Math.max(0, Math.min(this.cells.length - 1, i));
    if (this.cursor >= 0 && this.cells[this.cursor]) this.cells[this.cursor].classList.remove('cur');
    this.cursor = i;
    this.cells[i].classList.add('cur');
    this.root.setAttribute('aria-activedescendant', this.cells[i].id);
    this.cells[i].scrollIntoView({ block: 'nearest' });
    if (this.onPick) this.onPick(i);
  }

  onKey(e) {
    if (!this.cells.length) return;
    const c = this.cursor < 0 ? 0 : this.cursor;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 16, ArrowUp: -16, PageDown: 256, PageUp: -256 };
    if (e.key in moves) this.moveCursor(this.cursor < 0 ? 0 : c + moves[e.key]);
    else if (e.key === 'Home') this.moveCursor(e.ctrlKey ? 0 : c - (c % 16));
    else if (e.key === 'End') this.moveCursor(e.ctrlKey ? this.cells.length - 1 : c - (c % 16) + 15);
    else return;
    e.preventDefault();
  }
}

// ---------------------------------------------------------------------------------------
// From the core's objects to tree nodes
// ---------------------------------------------------------------------------------------

const sp = (s) => (s ? [s.start, s.end] : null);

// fields holding text from the wire: shown quoted (escapes as the core made them)
const TEXT = new Set(['user', 'port', 'rem_addr', 'data', 'server_msg', 'user_msg', 'arg', 'name', 'value']);

function fmtValue(v, name = '') {
  if (Array.isArray(v)) return v.length ? v.join(', ') : '(none)';
  if (typeof v === 'string') return TEXT.has(name) ? `"${v}"` : v;
  if (v === null || v === undefined) return '—';
  return String(v);
}

function readLen(bytes, span) {
  if (!span || span[1] > bytes.length) return '?';
  if (span[1] - span[0] > 4) return [...bytes.subarray(span[0], span[1])].map(hex2).join('');
  let v = 0;
  for (let i = span[0]; i < span[1]; i++) v = v * 256 + bytes[i];
  return v;
}

function bodyNodes(kind, body, bytes) {
  const spans = body.spans || {};
  const out = [];
  const used = new Set(['kind', 'spans', 'data_hex', 'av_pairs']);
  for (const [name, s] of Object.entries(spans)) {
    if (name === 'args' && Array.isArray(s)) {
      const args = body.args || [];
      const avs = body.av_pairs || [];
      const children = s.map((a, i) => {
        const av = avs[i];
        const kids = [{ label: 'length', value: readLen(bytes, sp(a.len)), span: sp(a.len) }];
        if (av) {
          kids.push({ label: 'name', value: fmtValue(av.name, 'name'), span: null });
          kids.push({ label: 'value', value: fmtValue(av.value, 'value'), span: null });
          kids.push({
            label: 'mandatory', span: null,
            value: av.mandatory === null ? 'no separator' : av.mandatory ? 'yes (=)' : 'no (*)',
          });
        }
        const value = a.value;
        const span = [Math.min(a.len.start, value.start), Math.max(a.len.end, value.end)];
        return {
          label: `arg ${i + 1}`, value: fmtValue(args[i] ?? '', 'arg'), span: sp(value), spanAll: span, children: kids,
        };
      });
      out.push({ label: 'args', value: `${args.length} argument${args.length === 1 ? '' : 's'}`, help: FIELDS.args, span: null, children, open: true });
      used.add('args');
      continue;
    }
    const span = sp(s);
    if (name in body) {
      used.add(name);
      const node = { label: name, value: fmtValue(body[name], name), span, meaning: meaning(kind, name, body[name]), help: FIELDS[name] };
      if (name === 'data' && body.data_hex) node.children = [{ label: 'hex', value: body.data_hex, span }];
      if (name === 'flags' && body.record) {
        node.children = [{ label: 'record', value: body.record, help: FIELDS.record, span }];
        used.add('record');
      }
      if (name === 'data' && body.chap) {
        used.add('chap');
        node.children = (node.children || []).concat([{
          label: 'chap', help: FIELDS.chap, span, open: true,
          children: Object.entries(body.chap).map(([k, v]) => ({ label: k, value: fmtValue(v), span })),
        }]);
      }
      out.push(node);
    } else if (`${name}_hex` in body) {
      used.add(`${name}_hex`);
      out.push({ label: name, value: body[`${name}_hex`] || '(empty)', span, help: FIELDS[name] || '' });
    } else {
      // a length or count field: its value is on the wire
      out.push({ label: name, value: readLen(bytes, span), span, help: FIELDS[name] || '' });
    }
  }
  for (const [name, v] of Object.entries(body)) {
    if (used.has(name)) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      out.push({
        label: name, help: FIELDS[name], span: null, open: true,
        children: Object.entries(v).map(([k, x]) => ({ label: k, value: fmtValue(x), span: null })),
      });
    } else {
      out.push({ label: name, value: fmtValue(v), span: null, help: FIELDS[name] });
    }
  }
  return out;
}

/**
 * Tree nodes for one PDU.
 * @param {object} c {pdu (capture), decoded (codec JSON or null), overview, row: {no, time, src, dst}, bytes}
 */
export function buildNodes(c) {
  const { pdu, decoded, overview, row, bytes } = c;
  const nodes = [];
  const conn = pdu.conn !== null ? overview.connections[pdu.conn] : null;
  const where = [];
  where.push({ label: 'PDU', value: `${pdu.index + 1} of ${overview.pdus}`, span: null });
  where.push({
    label: pdu.frame === pdu.last_frame ? 'Frame' : 'Frames',
    value: pdu.frame === pdu.last_frame ? pdu.frame : `${pdu.frame}–${pdu.last_frame}`, span: null,
  });
  if (row.time) where.push({ label: 'Time', value: row.time, span: null });
  if (conn) {
    where.push({
      label: 'Connection', value: `#${conn.id + 1}: client ${ep(conn.client)} ↔ server ${ep(conn.server)}`,
      help: `Client and server roles decided by ${ROLE_BASIS[conn.role_basis] || conn.role_basis}`, span: null,
    });
  }
  where.push({ label: 'Direction', value: pdu.direction === 'to_server' ? 'client → server' : 'server → client', span: null });
  if (row.src) where.push({ label: 'Source → Destination', value: `${row.src} → ${row.dst}`, span: null });
  where.push({ label: 'Stream bytes', value: `${pdu.stream_span.start}–${pdu.stream_span.end - 1}`, meaning: `stream ${pdu.stream + 1}`, span: null });
  const segs = pdu.segments.map((s) => ({
    label: `frame ${s.frame}`,
    value: `${s.len} byte${s.len === 1 ? '' : 's'} at frame offset ${s.frame_offset}`,
    meaning: `PDU bytes ${s.pdu_offset}–${s.pdu_offset + s.len - 1}, input offset ${s.input.start}`,
    span: [s.pdu_offset, s.pdu_offset + s.len],
    noPick: true,
  }));
  if (segs.length) where.push({ label: 'Segments', value: segs.length, span: null, children: segs, open: segs.length > 1 });
  if (pdu.segments.length) where.push({ label: 'Input offset', value: pdu.segments[0].input.start, help: 'Where the PDU starts in what you pasted or opened', span: null });
  nodes.push({ label: 'Capture', span: null, children: where, open: true });

  const h = decoded ? decoded.header : null;
  const hs = h ? h.spans : {};
  const typeName = TYPE_NAMES[pdu.header.type] || pdu.header.type;
  nodes.push({
    label: 'Header', value: `${typeName} seq_no ${pdu.header.seq_no}, ${pdu.header.length} byte body`, span: [0, Math.min(12, bytes.length)], open: true,
    children: [
      { label: 'version', value: `0x${hex2(pdu.header.major << 4 | pdu.header.minor)} (major ${pdu.header.major}, minor ${pdu.header.minor})`, span: sp(hs.version) || [0, 1], help: HEADER_FIELDS.version },
      { label: 'type', value: h ? h.type : typeName, span: sp(hs.type) || [1, 2], meaning: meaning('header', 'type', h ? h.type : typeName), help: HEADER_FIELDS.type },
      { label: 'seq_no', value: pdu.header.seq_no, span: sp(hs.seq_no) || [2, 3], help: HEADER_FIELDS.seq_no },
      { label: 'flags', value: `0x${hex2(pdu.header.flags)} ${h ? fmtValue(h.flags) : ''}`, span: sp(hs.flags) || [3, 4], meaning: h ? meaning('header', 'flags', h.flags) : '', help: HEADER_FIELDS.flags },
      { label: 'session_id', value: `${hex8(pdu.header.session_id)} (${pdu.header.session_id})`, span: sp(hs.session_id) || [4, 8], help: HEADER_FIELDS.session_id },
      { label: 'length', value: pdu.header.length, span: sp(hs.length) || [8, 12], help: HEADER_FIELDS.length },
    ],
  });

  const state = pdu.body_state;
  const keyNote = state === 'deobfuscated' && pdu.key_index !== null ? `de-obfuscated with key ${pdu.key_index + 1}` : BODY_STATE[state];
  if (decoded && decoded.body && state !== 'obfuscated') {
    const [title, sec] = BODY_TITLES[decoded.body.kind] || [decoded.body.kind, ''];
    nodes.push({
      label: 'Body', value: `${title} (${sec})`, meaning: keyNote, span: [12, Math.max(12, bytes.length)], open: true,
      cls: state === 'wrong_key' ? 'bad' : '',
      children: bodyNodes(decoded.body.kind, decoded.body, bytes),
    });
  } else {
    nodes.push({ label: 'Body', value: `${pdu.header.length} bytes`, meaning: keyNote, span: [12, Math.max(12, bytes.length)], cls: 'warn' });
  }

  const diags = (decoded ? decoded.diagnostics : pdu.codec_diagnostics) || [];
  const capDiags = overview.diagnostics.filter((d) => d.pdu === pdu.index);
  if (diags.length || capDiags.length || !pdu.complete) {
    const children = diags.map((d) => ({
      label: d.severity, value: d.message, meaning: `${d.code}, at byte ${d.offset}`, span: [d.offset, d.offset + 1], cls: `sev-${d.severity}`, noPick: true,
    }));
    for (const d of capDiags) children.push({ label: d.severity, value: d.message, meaning: d.code, span: null, cls: `sev-${d.severity}` });
    nodes.push({ label: 'Diagnostics', value: children.length, span: null, children, open: true, cls: 'diag-node' });
  }
  return nodes;
}

/** The bytes to show: header as on the wire, then the body de-obfuscated (or as captured). */
export function pduBytes(pdu, decoded, view) {
  const wire = hexToBytes(pdu.wire);
  if (view === 'wire' || !decoded || !decoded.body_clear_hex || pdu.body_state === 'obfuscated') {
    return { bytes: wire, obfuscated: pdu.body_state !== 'clear' };
  }
  const body = hexToBytes(decoded.body_clear_hex);
  const out = new Uint8Array(Math.min(12, wire.length) + body.length);
  out.set(wire.subarray(0, 12));
  out.set(body, Math.min(12, wire.length));
  return { bytes: out, obfuscated: false };
}
