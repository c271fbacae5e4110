// Shared helpers of the documentation tests (`make test-docs`): which pages are documentation,
// their fenced blocks, and the GitHub-style anchors of their headings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** README.md and every docs/*.md, as paths relative to the repository root. */
export function pages() {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => `docs/${f}`)];
}

export function read(page) {
  return readFileSync(join(ROOT, page), 'utf8');
}

/**
 * The fenced code blocks of a Markdown text: [{lang, code, line}] (line: 1-based line of the
 * opening fence). Fences of three or more backticks; a block ends at a fence at least as long.
 */
export function fencedBlocks(text) {
  const out = [];
  const lines = text.split('\n');
  let open = null;
  lines.forEach((l, i) => {
    const m = /^\s*(`{3,})\s*([^`\s]*)/.exec(l);
    if (!open) {
      if (m) open = { fence: m[1].length, lang: m[2], line: i + 1, body: [] };
    } else if (m && m[1].length >= open.fence && m[2] === '') {
      out.push({ lang: open.lang, code: open.body.join('\n'), line: open.line });
      open = null;
    } else {
      open.body.push(l);
    }
  });
  return out;
}

/** The text without its fenced blocks (each replaced by as many empty lines). */
export function prose(text) {
  const lines = text.split('\n');
  let fence = 0;
  return lines.map((l) => {
    const m = /^\s*(`{3,})/.exec(l);
    if (fence === 0 && m) { fence = m[1].length; return ''; }
    if (fence && m && m[1].length >= fence) { fence = 0; return ''; }
    return fence ? '' : l;
  }).join('\n');
}

/** GitHub's anchor of a heading text: lower case, punctuation dropped, spaces → '-'. */
export function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a page defines: its headings (duplicates get -1, -2, … as on GitHub). */
export function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const l of prose(text).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}
