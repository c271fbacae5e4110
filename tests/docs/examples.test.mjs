// The command examples of README.md and docs/*.md that show output are run, and their output
// compared with what the page shows. An example is a ```console block: lines starting with
// "$ " are commands (run by bash in the repository root, with the built `casplus` first on the
// PATH), the lines up to the next "$ " are the output they print (stdout, then stderr).
// In the shown output "[..]" stands for any text within one line (a random salt), and a line
// "..." for any number of lines. A command must exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fencedBlocks, pages, read } from './lib.mjs';

const BIN_DIR = process.env.CASPLUS_BIN_DIR || join(ROOT, 'target/debug');

/** The examples of a page: [{where, command, output}] ("page:line" of the command). */
export function examples(page, text) {
  const out = [];
  for (const b of fencedBlocks(text).filter((b) => b.lang === 'console')) {
    let cur = null;
    b.code.split('\n').forEach((l, i) => {
      if (l.startsWith('$ ')) {
        cur = { where: `${page}:${b.line + 1 + i}`, command: l.slice(2), output: [] };
        out.push(cur);
      } else if (cur) {
        cur.output.push(l);
      } else if (l.trim() !== '') {
        throw new Error(`${page}:${b.line + 1 + i}: a console block must start with a "$ " command`);
      }
    });
  }
  for (const e of out) {
    while (e.output.length && e.output[e.output.length - 1] === '') e.output.pop();
  }
  return out;
}

function lineMatches(want, got) {
  if (!want.includes('[..]')) return want === got;
  const re = new RegExp(`^${want.split('[..]').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(got);
}

/** Does the actual output (lines) match the shown output, with "[..]" and "..." wildcards? */
export function outputMatches(want, got) {
  const go = (w, g) => {
    if (w === want.length) return g === got.length;
    if (want[w] === '...') {
      for (let k = g; k <= got.length; k++) if (go(w + 1, k)) return true;
      return false;
    }
    return g < got.length && lineMatches(want[w], got[g]) && go(w + 1, g + 1);
  };
  return go(0, 0);
}

/** Runs one example: null when it holds, else why not. */
export function check(example) {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', example.command], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${BIN_DIR}:${process.env.PATH}` },
  });
  const got = `${r.stdout}${r.stderr}`.replace(/\n+$/, '').split('\n');
  if (r.status !== 0) return `${example.where}: \`${example.command}\` exited with ${r.status}:\n${got.join('\n')}`;
  if (outputMatches(example.output, got)) return null;
  const first = example.output.findIndex((w, i) => w === '...' || !lineMatches(w, got[i] ?? ''));
  return `${example.where}: \`${example.command}\` printed something else` +
    (first >= 0 ? ` (first difference at output line ${first + 1}:\n  shown: ${JSON.stringify(example.output[first])}\n  got:   ${JSON.stringify(got[first])})` : ` (${got.length} lines, ${example.output.length} shown)`) +
    `\n--- got ---\n${got.join('\n')}`;
}

test('every console example of README.md and docs/*.md prints what the page shows', () => {
  assert.ok(existsSync(join(BIN_DIR, 'casplus')), `${BIN_DIR}/casplus is missing: cargo build --bin casplus`);
  const all = pages().flatMap((p) => examples(p, read(p)));
  assert.ok(all.length >= 5, `only ${all.length} examples found`);
  const problems = all.map(check).filter(Boolean);
  if (problems.length) assert.fail(`stale examples:\n${problems.join('\n\n')}`);
});

test('the wildcards match what they should and nothing else', () => {
  assert.ok(outputMatches(['$pbkdf2-sha256$i=50000$[..]$[..]'], ['$pbkdf2-sha256$i=50000$abc$def']));
  assert.ok(!outputMatches(['$pbkdf2-sha256$i=50000$[..]$[..]'], ['$pbkdf2-sha256$i=1$abc$def']));
  assert.ok(outputMatches(['a', '...', 'z'], ['a', 'b', 'c', 'z']));
  assert.ok(!outputMatches(['a', 'z'], ['a', 'b', 'z']));
  assert.ok(!outputMatches(['a'], ['a', 'b']));
  assert.match(check({ where: 'x:1', command: 'echo hello', output: ['goodbye'] }), /printed something else/);
  assert.match(check({ where: 'x:1', command: 'false', output: [] }), /exited with 1/);
});
