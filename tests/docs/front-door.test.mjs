// README.md stays a front door (issue 19): at most ~250 lines; each product's section (the
// four the opening list links to) starts with its two-minute quick start, behind at most one
// picture, so a reader finds it within the first screen of the section; the Documentation
// table lists every docs/*.md page and only those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, anchors, prose, read, slug } from './lib.mjs';

const README = read('README.md');
const MAX_LINES = 250;
/** Source lines of a section before its quick start: a heading, one picture (a <picture> or a
 * Mermaid block of a few lines) and blank lines, as tall as a screen's first third. */
const QUICK_START_WITHIN = 14;

/** The sections of a Markdown text at a heading level: [{title, lines}] (lines after the heading). */
export function sections(text, level = 2) {
  const out = [];
  const src = text.split('\n');
  const plain = prose(text).split('\n');
  plain.forEach((l, i) => {
    const m = new RegExp(`^#{${level}}\\s+(.*?)\\s*$`).exec(l);
    if (m) out.push({ title: m[1], start: i + 1 });
  });
  return out.map((s, k) => ({ ...s, lines: src.slice(s.start, k + 1 < out.length ? out[k + 1].start - 1 : src.length) }));
}

/** The product sections: the in-page links of the README's opening list, in order. */
function products() {
  const intro = README.split(/^## /m)[0];
  return [...intro.matchAll(/^- \*\*\[[^\]]+\]\(#([^)]+)\)\*\*/gm)].map((m) => m[1]);
}

test(`README.md has at most ${MAX_LINES} lines`, () => {
  const n = README.replace(/\n$/, '').split('\n').length;
  assert.ok(n <= MAX_LINES, `README.md has ${n} lines: move reference material to docs/`);
});

test('the opening list links the four products, each to a section of the README', () => {
  const ids = products();
  assert.equal(ids.length, 4, `products in the opening list: ${ids.join(', ')}`);
  const have = anchors(README);
  for (const id of ids) assert.ok(have.has(id), `README.md: no section #${id}`);
});

test('each product section starts with its quick start (first screen)', () => {
  const bySlug = new Map(sections(README).map((s) => [slug(s.title), s]));
  for (const id of products()) {
    const s = bySlug.get(id);
    const at = s.lines.findIndex((l) => /\*\*Two-minute quick start\b/.test(l));
    assert.ok(at >= 0, `README.md "## ${s.title}": no "**Two-minute quick start" paragraph`);
    assert.ok(at <= QUICK_START_WITHIN,
      `README.md "## ${s.title}": the quick start is ${at} lines into the section (at most ${QUICK_START_WITHIN}: a picture, then the quick start)`);
    const before = s.lines.slice(0, at).join('\n');
    const pictures = (before.match(/<picture>|```mermaid|!\[/g) ?? []).length;
    const prose = before.replace(/<picture>[\s\S]*?<\/picture>|```mermaid[\s\S]*?```/g, '').trim();
    assert.ok(pictures <= 1 && prose === '', `README.md "## ${s.title}": only one picture may come before the quick start, found:\n${before}`);
  }
});

test('the Documentation table lists every docs/*.md page, and only those', () => {
  const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`).sort();
  const table = sections(README).find((s) => s.title === 'Documentation');
  assert.ok(table, 'README.md has no "## Documentation" section');
  const listed = table.lines.flatMap((l) => [...l.matchAll(/^\| \[[^\]]*\]\((docs\/[^)#]+\.md)\)/g)].map((m) => m[1])).sort();
  assert.deepEqual(listed, docs, 'README.md "## Documentation" table vs the files in docs/');
});
