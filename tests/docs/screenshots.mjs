// `make screenshots`: the pictures of README.md, made by the browser-test machinery so they are
// redone, not redrawn, when the pages change. Writes docs/img/login.png and login-dark.png (the
// CAS login page of `wrangler dev` with the development configuration) and docs/img/
// inspector.png and inspector-dark.png (the packet inspector with the "login" example decoded,
// one PDU opened). Needs the built Worker (`make build-worker`) and page (`make www`).
// The rendering is tests/docs/shots.mjs's, which `make test-docs` repeats to catch a stale one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FONTS, OUT, VIEWS, start } from './shots.mjs';

mkdirSync(OUT, { recursive: true });
const shots = await start();
try {
  for (const view of VIEWS) {
    const { png, fonts } = await shots.render(view);
    const odd = fonts.filter((f) => !FONTS.includes(f));
    if (odd.length) throw new Error(`${view.file}: drawn with ${odd.join(', ')}; the pictures are made with ${FONTS.join(', ')} (Debian fonts-dejavu-core)`);
    writeFileSync(join(OUT, view.file), png);
  }
} finally {
  await shots.close();
}
console.log(`screenshots written to ${OUT}: ${VIEWS.map((v) => v.file).join(', ')}`);
