import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../dist/index.js';

test('full jitter: the n-th wait is below min * 2^n, capped at max, and reset starts over', () => {
  const top = new Backoff(250, 5000, () => 0.999999);
  const ceilings = [250, 500, 1000, 2000, 4000, 5000, 5000];
  for (const c of ceilings) {
    const w = top.next();
    assert.ok(w < c && w >= c - 1, `wait ${w} for ceiling ${c}`);
  }
  top.reset();
  assert.ok(top.next() < 250);
  const bottom = new Backoff(250, 5000, () => 0);
  assert.equal(bottom.next(), 0, 'full jitter reaches 0');
});

test('with Math.random every wait stays within [0, max] and varies', () => {
  const b = new Backoff(100, 1000);
  const waits = Array.from({ length: 200 }, () => b.next());
  assert.ok(waits.every((w) => w >= 0 && w <= 1000));
  assert.ok(new Set(waits).size > 10);
});
