// Every ```mermaid block of README.md and docs/*.md renders: mermaid (npm, from node_modules)
// in Debian Chromium through playwright-core (tests/browser/lib.mjs) turns it into an SVG
// without a parse error, and the SVG shows every participant of a sequence diagram and every
// node label of a flowchart. Needs `tests/tools/setup.sh npm chromium`; fails when they are
// missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, launch } from '../browser/lib.mjs';
import { ROOT, fencedBlocks, pages, read } from './lib.mjs';

const MERMAID = join(ROOT, 'node_modules/mermaid/dist/mermaid.min.js');

/** What the SVG must show: the participants' names, or the flowchart's node labels. */
export function expectedLabels(code) {
  const kind = code.trim().split(/\s/)[0];
  const labels = [];
  if (kind === 'sequenceDiagram') {
    for (const m of code.matchAll(/^\s*(?:participant|actor)\s+(\S+)(?:\s+as\s+(.+))?$/gm)) labels.push((m[2] ?? m[1]).trim());
  } else if (kind === 'flowchart' || kind === 'graph') {
    for (const m of code.matchAll(/\w\[("?)([^\]"]+)\1\]/g)) labels.push(m[2].trim());
  }
  return { kind, labels };
}

const diagrams = pages().flatMap((page) =>
  fencedBlocks(read(page)).filter((b) => b.lang === 'mermaid').map((b) => ({ ...b, where: `${page}:${b.line}` })));

let browser;
let page;
before(async () => {
  assert.ok(existsSync(MERMAID), `${MERMAID} is missing: run tests/tools/setup.sh npm`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run tests/tools/setup.sh chromium`);
  browser = await launch();
  page = await browser.context.newPage();
  await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: MERMAID });
  await page.evaluate(() => globalThis.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
});
after(async () => { await browser?.close(); });

/** Renders one diagram in the page: {svg: bool, text} or {error}. */
async function render(code, n) {
  return page.evaluate(async ({ code, n }) => {
    try {
      await globalThis.mermaid.parse(code);
      const { svg } = await globalThis.mermaid.render(`d${n}`, code);
      const out = document.getElementById('out');
      out.innerHTML = svg;
      const el = out.querySelector('svg');
      return { svg: !!el, text: out.textContent, syntaxError: /Syntax error/i.test(out.textContent) };
    } catch (e) {
      return { error: String(e?.message ?? e) };
    }
  }, { code, n });
}

test('README.md and docs/ have the diagrams this test is about', () => {
  const kinds = diagrams.map((d) => expectedLabels(d.code).kind);
  assert.ok(kinds.filter((k) => k === 'sequenceDiagram').length >= 2, `sequence diagrams: ${kinds}`);
  assert.ok(diagrams.some((d) => d.code.includes('architecture') || d.where.startsWith('docs/architecture.md')));
});

test('every mermaid block renders to an SVG with its participants', async () => {
  const problems = [];
  let n = 0;
  for (const d of diagrams) {
    const { kind, labels } = expectedLabels(d.code);
    assert.ok(labels.length > 0, `${d.where}: no participants or node labels found in a ${kind}`);
    const r = await render(d.code, n++);
    if (r.error) { problems.push(`${d.where}: ${r.error.split('\n').slice(0, 4).join(' ')}`); continue; }
    if (!r.svg || r.syntaxError) { problems.push(`${d.where}: no SVG, or mermaid's error picture`); continue; }
    const text = r.text.replace(/\s+/g, ' ');
    for (const l of labels) if (!text.includes(l.replace(/\s+/g, ' '))) problems.push(`${d.where}: the SVG does not show "${l}"`);
  }
  if (problems.length) assert.fail(`diagrams that do not render:\n  ${problems.join('\n  ')}`);
});

test('a broken diagram is reported', async () => {
  const r = await render('sequenceDiagram\n  participant A as Alice\n  A->>: no target', 999);
  assert.ok(r.error, `expected a parse error, got ${JSON.stringify(r).slice(0, 200)}`);
});
