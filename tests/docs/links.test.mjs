// Every relative link of README.md and docs/*.md resolves: the file (or directory) exists,
// and a #anchor names a heading of the page it points to. Markdown links, and the src/srcset of
// the HTML <img>/<source> tags the README uses for screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { ROOT, anchors, pages, prose, read } from './lib.mjs';

/** [{target, line}] of the relative links of a page's prose (code blocks and spans excluded). */
export function links(text) {
  const out = [];
  prose(text).split('\n').forEach((l, i) => {
    const line = l.replace(/`[^`]*`/g, 'code');
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1], line: i + 1 });
    for (const m of line.matchAll(/\b(?:src|srcset|href)="([^"]+)"/g)) out.push({ target: m[1], line: i + 1 });
  });
  return out.filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Problems of one page's links: "page:line: target: why". */
export function brokenLinks(page, text) {
  const problems = [];
  for (const { target, line } of links(text)) {
    const [path, anchor] = target.split('#');
    const file = path === '' ? page : normalize(join(dirname(page), decodeURIComponent(path)));
    const where = `${page}:${line}: ${target}`;
    if (file.startsWith('..') || !existsSync(join(ROOT, file))) {
      problems.push(`${where}: ${file} does not exist`);
      continue;
    }
    if (anchor !== undefined) {
      if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) {
        problems.push(`${where}: an anchor into ${file}, which is not a Markdown page`);
      } else if (!anchors(read(file)).has(anchor)) {
        problems.push(`${where}: ${file} has no heading with the anchor #${anchor}`);
      }
    }
  }
  return problems;
}

test('every relative link and anchor of README.md and docs/*.md resolves', () => {
  let count = 0;
  const problems = [];
  for (const page of pages()) {
    const text = read(page);
    count += links(text).length;
    problems.push(...brokenLinks(page, text));
  }
  assert.ok(count > 30, `only ${count} relative links found: is the link reader broken?`);
  if (problems.length) assert.fail(`broken links:\n  ${problems.join('\n  ')}`);
});

test('the link checker sees a broken file, a broken anchor and a good anchor', () => {
  const text = '[a](docs/no-such.md) [b](docs/tickets.md#no-such-heading) [c](docs/tickets.md#the-ticket-chain) `[d](x.md)`';
  const problems = brokenLinks('README.md', text);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /docs\/no-such\.md does not exist/);
  assert.match(problems[1], /no heading with the anchor #no-such-heading/);
});
