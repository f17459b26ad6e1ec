// The web chat's copy of the SDK (standalone/.../META-INF/resources/vendor/pigeonhole-client.js) is committed, so that
// ./pigeonhole builds without Node: it must be exactly what src/ builds to now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { bundle, target } from '../scripts/bundle.mjs';

test('the committed SDK bundle of the web chat equals a fresh build of src/', async () => {
  assert.ok(existsSync(target), `${target} is missing: run npm run bundle (in clients/web) and commit it`);
  const fresh = await bundle();
  const committed = readFileSync(target, 'utf8');
  assert.ok(committed === fresh,
    `${target} is not a build of the current clients/web/src: run npm run bundle (in clients/web) and commit it`);
});
