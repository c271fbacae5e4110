// The sequence diagram of one session: client and server lanes, one arrow per PDU
// (START → REPLY → CONTINUE …), the outcome at the end. Each arrow is a button that selects
// its packet; Up/Down move between arrows.
import { TYPE_NAMES } from './fields.js';

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

export class FlowView {
  constructor(root, { onPick }) {
    this.root = root;
    this.onPick = onPick;
    root.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-pdu]');
      if (b) this.onPick(Number(b.dataset.pdu));
    });
    root.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      const buttons = [...root.querySelectorAll('button[data-pdu]')];
      const i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      e.preventDefault();
      const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
      next.focus();
    });
  }

  empty(text) {
    this.root.replaceChildren(el('p', 'empty', text));
  }

  /** Marks the arrow of PDU `pdu` as the current one (same session, no re-render). */
  markCurrent(pdu) {
    for (const b of this.root.querySelectorAll('button[data-pdu]')) {
      if (Number(b.dataset.pdu) === pdu) {
        b.setAttribute('aria-current', 'true');
        b.scrollIntoView({ block: 'nearest' });
      } else {
        b.removeAttribute('aria-current');
      }
    }
  }

  /**
   * @param {object} s the core's Session
   * @param {object} ctx {conn (Connection or null), summary(i), time(i), frame(i), current: pdu index}
   */
  show(s, ctx) {
    const wrap = el('div', 'seq');
    const title = el('p', 'seq-title');
    const type = typeof s.type === 'string' ? s.type : TYPE_NAMES[s.type] || s.type;
    title.append(el('strong', '', `Session 0x${(s.session_id >>> 0).toString(16).padStart(8, '0')}`), ` · ${type} · ${s.steps.length} packet${s.steps.length === 1 ? '' : 's'}`);
    if (s.concurrent) title.append(el('span', 'tag', 'concurrent'));
    wrap.append(title);

    const head = el('div', 'lanes');
    const c = el('div', 'lane client');
    c.append(el('strong', '', 'Client'), el('span', 'addr', ctx.conn ? ctx.conn.client : 'NAS'));
    const sv = el('div', 'lane server');
    sv.append(el('strong', '', 'Server'), el('span', 'addr', ctx.conn ? ctx.conn.server : 'TACACS+ server'));
    head.append(c, sv);
    wrap.append(head);

    const ol = el('ol', 'steps');
    ol.setAttribute('aria-label', `Packets of session 0x${(s.session_id >>> 0).toString(16)}`);
    let currentButton = null;
    for (const st of s.steps) {
      const li = el('li', st.direction === 'to_server' ? 'to-server' : 'to-client');
      const b = el('button', 'step');
      b.type = 'button';
      b.dataset.pdu = String(st.pdu);
      const who = st.direction === 'to_server' ? 'client to server' : 'server to client';
      b.setAttribute('aria-label', `seq_no ${st.seq_no}, ${who}: ${ctx.summary(st.pdu)}, frame ${ctx.frame(st.pdu)}`);
      const arrow = el('span', 'arrow');
      arrow.setAttribute('aria-hidden', 'true');
      arrow.append(el('span', 'label', ctx.summary(st.pdu)));
      const meta = el('span', 'meta', `${st.seq_no}`);
      meta.setAttribute('aria-hidden', 'true');
      const when = el('span', 'when', `#${ctx.frame(st.pdu)} ${ctx.time(st.pdu)}`);
      when.setAttribute('aria-hidden', 'true');
      b.append(meta, arrow, when);
      if (st.pdu === ctx.current) {
        b.setAttribute('aria-current', 'true');
        currentButton = b;
      }
      li.append(b);
      ol.append(li);
    }
    wrap.append(ol);
    const end = el('p', `outcome ${s.outcome ? `o-${s.outcome.toLowerCase()}` : ''}`);
    if (s.outcome) end.textContent = `Outcome: ${s.outcome}${s.finished ? '' : ' (session not finished)'}`;
    else end.textContent = s.finished ? 'Session ended' : 'Session not finished in the capture';
    wrap.append(end);
    this.root.replaceChildren(wrap);
    if (currentButton) currentButton.scrollIntoView({ block: 'nearest' });
  }
}
