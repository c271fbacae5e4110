// A Node ESM consumer, checked with `tsc --noEmit` against the shipped node.d.ts.
import { decode, version } from 'casplus';
import { encodePacket, obfuscate } from 'casplus/encode';
import type { PacketInput } from 'casplus/encode';
import type {
  Body, DecodeOptions, DecodeResult, Pdu, Session,
} from 'casplus';
import { parseCasResponse } from 'casplus/cas';
import type { CasValidation } from 'casplus/cas';

const opts: DecodeOptions = { keys: ['k', new Uint8Array([1, 2])], inputFormat: 'pcap' };
const r: DecodeResult = decode(new Uint8Array(0), opts);
decode('c0 01 01 00');
const first: Pdu | undefined = r.pdus[0];
if (first) {
  const body: Body = first.body;
  if (body.kind === 'authen_start') {
    const user: string = body.user;
    const challenge: string | undefined = body.chap?.challenge_hex;
    void [user, challenge];
  } else if (body.kind === 'acct_request') {
    const task: string | undefined = body.acct.task_id;
    const mandatory: boolean | null | undefined = body.av_pairs[0]?.mandatory;
    void [task, mandatory];
  }
  const bytes: Uint8Array = encodePacket(first, 'k'); // a decoded PDU is a packet
  obfuscate(bytes, 'k');
  obfuscate(bytes.subarray(12), new Uint8Array([1]), first.header);
  const sid: number = first.header.session_id;
  const key: number | null = first.key_index;
  const state: 'clear' | 'deobfuscated' | 'obfuscated' | 'wrong_key' = first.body_state;
  void [sid, key, state];
}
const packet: PacketInput = {
  header: { type: 'AUTHEN', seq_no: 1, session_id: 1, minor: 1 },
  body: { kind: 'authen_start', action: 'LOGIN', priv_lvl: 1, authen_type: 'PAP', authen_service: 'LOGIN', user: 'alice', data: 'pw' },
};
encodePacket(packet, new Uint8Array([1]));
const cas: CasValidation = parseCasResponse('yes\nalice\n');
const groups: string[] | undefined = cas.attributes['memberOf'];
const failure: string | undefined = cas.failure?.code;
const v: string = version();
const outcomes: (string | null)[] = r.sessions.map((s: Session) => s.outcome);
const severities: ('info' | 'warning' | 'error')[] = r.diagnostics.map((d) => d.severity);
void [groups, failure, v, outcomes, severities];

// The declarations are precise, not `any`: each line below must be refused.
// @ts-expect-error input is bytes or text
decode(42);
// @ts-expect-error unknown option
decode('', { key: 'typo' });
// @ts-expect-error an authen_start body needs action, priv_lvl, authen_type, authen_service
encodePacket({ header: { type: 'AUTHEN', seq_no: 1, session_id: 1 }, body: { kind: 'authen_start' } });
// @ts-expect-error no such body kind
encodePacket({ header: { type: 1, seq_no: 1, session_id: 1 }, body: { kind: 'authen_stop' } });
// @ts-expect-error a CAS result has no field usr
void cas.usr;
// @ts-expect-error parseCasResponse takes text
parseCasResponse(new Uint8Array(1));
