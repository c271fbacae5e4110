// "Copy link": the capture, deflated (CompressionStream) and base64url-encoded, in the URL
// fragment — which browsers never send to a server. Never the key.
//   #v1.t.<data>   text capture (UTF-8)       #v1.b.<data>   binary capture (pcap, pcapng)
//   optional suffix .f.<form> when the input form was forced

export const MAX_LINK = 1_500_000; // characters; browsers accept ~2 MB URLs

async function pipe(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64Url(bytes) {
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** The fragment (without '#') for a capture. */
export async function encodeFragment(bytes, isText, form) {
  const packed = await pipe(bytes, new CompressionStream('deflate-raw'));
  let frag = `v1.${isText ? 't' : 'b'}.${toBase64Url(packed)}`;
  if (form && form !== 'auto') frag += `.f.${form}`;
  return frag;
}

/** {bytes, isText, form} from a fragment, or null when it holds no capture. Throws on damage. */
export async function decodeFragment(hash) {
  const frag = hash.replace(/^#/, '');
  const m = /^v1\.([tb])\.([A-Za-z0-9_-]*)(?:\.f\.([a-z0-9]+))?$/.exec(frag);
  if (!m) return null;
  const bytes = await pipe(fromBase64Url(m[2]), new DecompressionStream('deflate-raw'));
  return { bytes, isText: m[1] === 't', form: m[3] || 'auto' };
}

/** Offers `text` as a file download (a blob: URL, nothing leaves the browser). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
