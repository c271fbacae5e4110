// The README's pictures are not stale: each docs/img/*.png that `make screenshots` writes is
// rendered again the same way (tests/docs/shots.mjs: the CAS login page under `wrangler dev`,
// the inspector with an example decoded, light and dark) and compared with the committed file
// pixel by pixel on a canvas in Chromium. At most 0.5 % of the pixels may differ by more than
// 24/255 in a channel (antialiasing noise); more, or another size, fails with
// "docs/img/X.png is stale: run make screenshots" and the share of pixels that differ.
// The picture rendered now is left in target/docs-img/ when it differs, to look at.
// Needs the built Worker and page (`make test-docs` builds them first).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FONTS, OUT, VIEWS, comparePng, start } from './shots.mjs';
import { ROOT } from './lib.mjs';

for (const need of ['worker/build/index.js', 'www/pkg/casplus_bg.wasm']) {
  assert.ok(existsSync(join(ROOT, need)), `${need} is missing: run make build-worker www (make test-docs does)`);
}

let shots;
before(async () => { shots = await start(); });
after(async () => { await shots?.close(); });

for (const view of VIEWS) {
  test(`docs/img/${view.file} matches the page as it renders now`, async () => {
    const { png, fonts } = await shots.render(view);
    const odd = fonts.filter((f) => !FONTS.includes(f));
    assert.deepEqual(odd, [], `docs/img/${view.file}: the page is drawn with ${odd.join(', ')}, the pictures with ${FONTS.join(', ')} (install Debian fonts-dejavu-core)`);
    const r = await comparePng(shots.browser, readFileSync(join(OUT, view.file)), png);
    const how = r.size.join('×') === r.other.join('×')
      ? `${(r.ratio * 100).toFixed(2)} % of the pixels differ`
      : `${r.size.join('×')} committed, ${r.other.join('×')} now`;
    console.log(`docs/img/${view.file}: ${how}`);
    if (!r.same) {
      mkdirSync(join(ROOT, 'target/docs-img'), { recursive: true });
      writeFileSync(join(ROOT, 'target/docs-img', view.file), png);
    }
    assert.ok(r.same, `docs/img/${view.file} is stale: run make screenshots (${how}; at most 0.50 % may differ; as rendered now: target/docs-img/${view.file})`);
  });
}
