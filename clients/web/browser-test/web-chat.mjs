// The standalone's web chat in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser).
// Run by standalone/src/test/java/dev/pigeonhole/standalone/WebChatIT.java, which starts the standalone, reads this
// script's output and stops and starts the server when asked:
//
//   node browser-test/web-chat.mjs --base http://127.0.0.1:PORT --out DIR [--scenario chat|tabs] [--chromium PATH]
//
// Control lines (stdout → the IT, answered on stdin): "@@ stop-server" → "@@ stop-server done", "@@ start-server" →
// "@@ start-server done". Progress: "STEP <name> ok (<ms>)"; the last line of a pass is "WEB CHAT OK <scenario>".
// Screenshots of every step (and of every page on a failure) go to --out.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    out: { type: 'string', default: 'target/web-chat' },
    scenario: { type: 'string', default: 'chat' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
  },
});
assert.ok(opt.base, '--base http://127.0.0.1:PORT is required');
mkdirSync(opt.out, { recursive: true });

// As the machine notes say: headless, no sandbox (root), and nothing that reaches for the network on its own.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const PHONE = { viewport: { width: 390, height: 760 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1000, height: 700 } };
const WAIT = 30_000;

// ---- the IT on the other end of stdin/stdout

const answers = [];
createInterface({ input: process.stdin }).on('line', (line) => answers.shift()?.(line));
async function server(command) {
  const answer = new Promise((resolve) => answers.push(resolve));
  console.log(`@@ ${command}`);
  assert.equal(await answer, `@@ ${command} done`);
}

// ---- pages

const pages = [];
const pageErrors = [];
let browser;

/** A page of `user` on `device`: straight to the chat's URL, or (signIn) through the page's user picker at `/`. */
async function open(user, device, options, { context, signIn = false } = {}) {
  context ??= await browser.newContext(options);
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
  // the page's Content-Security-Policy must not block anything it does (a blocked load is a console error)
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageErrors.push(`${user}: ${m.text()}`);
  });
  const p = { user, device, context, page };
  pages.push(p);
  if (signIn) {
    await page.goto(`${opt.base}/`);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Device').fill(device);
    await screenshot(p, `${user}-sign-in`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.waitForURL(`${opt.base}/?user=${user}&device=${device}`);
  } else {
    await page.goto(`${opt.base}/?user=${user}&device=${device}`);
  }
  await waitState(p, 'online');
  await page.waitForFunction(() => document.documentElement.dataset.offlineReady === 'true', null, { timeout: WAIT });
  return p;
}

async function screenshot(p, name) {
  const file = join(opt.out, `${name}.png`);
  await p.page.screenshot({ path: file });
  return file;
}

async function waitFor(p, what, fn, arg, timeout = WAIT) {
  try {
    await p.page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`${p.user}: ${what} (${e.message.split('\n')[0]})`);
  }
}

function waitState(p, state, timeout = WAIT) {
  return waitFor(p, `connection state ${state}, shown: ${state}`,
    (s) => document.getElementById('conn')?.dataset.state === s, state, timeout);
}

/** The texts of the open conversation, in screen order. */
function texts(p) {
  return p.page.locator('#messages li .text').allTextContents();
}

async function waitTexts(p, expected, timeout = WAIT) {
  try {
    await p.page.waitForFunction((exp) => {
      const shown = [...document.querySelectorAll('#messages li .text')].map((e) => e.textContent);
      return JSON.stringify(shown) === JSON.stringify(exp);
    }, expected, { timeout, polling: 100 });
  } catch {
    assert.deepEqual(await texts(p), expected, `${p.user}: the conversation on screen`);
  }
}

/** The conversation shows `before`, then `a` and `b` interleaved in some way, each in its own order. */
async function waitInterleaved(p, before, a, b, timeout = WAIT) {
  const all = [...before, ...a, ...b];
  try {
    await p.page.waitForFunction((n) => document.querySelectorAll('#messages li .text').length === n, all.length,
      { timeout, polling: 100 });
  } catch {
    // the assertions below say what is on screen
  }
  const shown = await texts(p);
  assert.deepEqual(shown.slice(0, before.length), before, `${p.user}: the conversation on screen`);
  const rest = shown.slice(before.length);
  assert.deepEqual(rest.filter((t) => a.includes(t)), a, `${p.user}: the conversation on screen: ${JSON.stringify(rest)}`);
  assert.deepEqual(rest.filter((t) => b.includes(t)), b, `${p.user}: the conversation on screen: ${JSON.stringify(rest)}`);
  assert.equal(rest.length, a.length + b.length, `${p.user}: the conversation on screen: ${JSON.stringify(rest)}`);
}

/** States (data-state) of the open conversation's messages whose text matches. */
function states(p, prefix) {
  return p.page.$$eval('#messages li', (lis, pre) => lis.filter((li) => li.querySelector('.text').textContent.startsWith(pre))
    .map((li) => li.dataset.state), prefix);
}

async function waitStates(p, prefix, allowed, count, timeout = WAIT) {
  await waitFor(p, `${count} messages "${prefix}…" in state ${allowed}`, ([pre, ok, n]) => {
    const lis = [...document.querySelectorAll('#messages li')].filter((li) => li.querySelector('.text').textContent.startsWith(pre));
    return lis.length === n && lis.every((li) => ok.includes(li.dataset.state));
  }, [prefix, allowed, count], timeout);
}

/** Opens a conversation from the list (on a phone: back to the list first). */
async function openConversation(p, conv) {
  const back = p.page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  await p.page.locator(`#conversations li[data-conv="${conv}"] button`).click();
  await waitFor(p, `conversation ${conv} open`, (c) => location.hash === `#${encodeURIComponent(c)}`, conv);
}

async function startChat(p, to) {
  const back = p.page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  await p.page.getByLabel('Chat with').fill(to);
  await p.page.getByLabel('Chat with').press('Enter');
  await p.page.getByRole('log', { name: `Messages with ${to}` }).waitFor();
}

async function say(p, text) {
  const box = p.page.getByRole('textbox', { name: /^Message to / });
  await box.fill(text);
  await box.press('Enter');
}

function unread(p, conv) {
  return p.page.locator(`#conversations li[data-conv="${conv}"]`).getAttribute('data-unread');
}

/** What the page's IndexedDB holds: the texts of the stored one-to-one messages from `from`, in store order. */
function storedFrom(p, from) {
  return p.page.evaluate(([db, who, me]) => new Promise((resolve, reject) => {
    const req = indexedDB.open(db);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const all = req.result.transaction('inbox').objectStore('inbox').getAll();
      all.onsuccess = () => {
        resolve(all.result.filter((e) => e.kind === 'message' && e.frame.from === who && e.frame.to === me).map((e) => e.frame.body.text));
        req.result.close();
      };
      all.onerror = () => reject(all.error);
    };
  }), [`pigeonhole-${p.user}-${p.device}`, from, p.user]);
}

const range = (n, f) => Array.from({ length: n }, (_, i) => f(i + 1));

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`STEP ${name} ok (${Date.now() - t0} ms)`);
}

// ---- scenarios

async function chat() {
  let alice;
  let bob;
  await step('alice (phone-sized) and bob (desktop, through the user picker) online, pages kept for offline use', async () => {
    [alice, bob] = await Promise.all([open('alice', 'phone', PHONE), open('bob', 'laptop', DESKTOP, { signIn: true })]);
    // served with a policy that keeps it out of other sites' frames and its scripts to its own origin
    const csp = (await fetch(`${opt.base}/`)).headers.get('content-security-policy') ?? '';
    for (const directive of ["frame-ancestors 'none'", "default-src 'self'", "object-src 'none'"]) {
      assert.ok(csp.includes(directive), `the page's Content-Security-Policy has ${directive}: ${csp}`);
    }
  });

  const [a1, b1, a2] = ['Are you on the train yet?', 'Just boarded. The tunnel is coming, so I may drop out.',
    'No problem, write when you can.'];
  await step('one-to-one with delivered and read marks, unread counts, keyboard only', async () => {
    await startChat(alice, 'bob');
    await say(alice, a1);
    // Bob's page is open, so his device receives (and acks) it: delivered; he has not opened the conversation: unread
    await waitFor(bob, 'alice in the list with 1 unread',
      () => document.querySelector('#conversations li[data-conv="alice"]')?.dataset.unread === '1');
    await waitStates(alice, a1, ['delivered'], 1);
    assert.equal(await bob.page.locator('#conversations li[data-conv="alice"] .badge').textContent(), '1 unread');
    await screenshot(bob, 'bob-unread');
    await openConversation(bob, 'alice');
    await waitTexts(bob, [a1]);
    await waitStates(alice, a1, ['read'], 1);
    assert.equal(await unread(bob, 'alice'), '0');
    // opening a conversation puts the focus in the message box: the keyboard alone replies
    await bob.page.keyboard.type(b1);
    await bob.page.keyboard.press('Enter');
    await waitTexts(alice, [a1, b1]);
    await waitStates(bob, b1, ['read'], 1); // Alice has the conversation open
    await say(alice, a2);
    await waitTexts(bob, [a1, b1, a2]);
    await waitStates(alice, a2, ['read'], 1);
    await screenshot(alice, 'alice-one-to-one');
  });

  const bobDown = ['In the tunnel now.', 'This waits on my laptop until the server is back,', 'then goes out once, in order.'];
  const aliceDown = 'See you at six!';
  let history; // each one's screen after the restart (how the two sides interleave is up to who reconnected first)
  await step('the server stops mid-chat, messages queue on both sides, it starts again: each arrives once, in order', async () => {
    await server('stop-server');
    for (const p of [alice, bob]) await waitFor(p, 'offline once the server is gone',
      () => ['offline', 'connecting'].includes(document.getElementById('conn').dataset.state));
    for (const text of bobDown) await say(bob, text);
    await say(alice, aliceDown);
    await waitStates(bob, bobDown[0], ['queued'], 1);
    await waitStates(alice, aliceDown, ['queued'], 1);
    await waitFor(bob, '"3 queued" shown', () => document.getElementById('queue').textContent === '3 queued');
    await readmePicture(alice, bob);
    await screenshot(bob, 'bob-server-down');

    await server('start-server');
    for (const p of [alice, bob]) await waitState(p, 'online', 60_000);
    for (const p of [alice, bob]) await waitInterleaved(p, [a1, b1, a2], bobDown, [aliceDown]);
    assert.deepEqual(await storedFrom(alice, 'bob'), [b1, ...bobDown], 'Alice\'s device stored Bob\'s messages once, in order');
    assert.deepEqual(await storedFrom(bob, 'alice'), [a1, a2, aliceDown], 'Bob\'s device stored Alice\'s messages once, in order');
    for (const text of bobDown) await waitStates(bob, text, ['read'], 1);
    await waitStates(alice, aliceDown, ['read'], 1);
    history = { alice: await texts(alice), bob: await texts(bob) };
    await screenshot(alice, 'alice-after-restart');
  });

  await step('a group: create, invitation, join, messages both ways', async () => {
    await bob.page.getByRole('button', { name: 'New group…' }).click();
    const dialog = bob.page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('team');
    await dialog.getByLabel('Members').fill('alice');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await bob.page.getByRole('log', { name: 'Messages with # team' }).waitFor();
    await openConversation(alice, 'group:team'); // the list is refreshed when Alice goes back to it
    await alice.page.getByRole('button', { name: 'Join' }).click();
    await waitFor(alice, 'the message box enabled after joining', () => !document.getElementById('composer-input').disabled);
    await say(bob, 'welcome to the team');
    await waitTexts(alice, ['welcome to the team']);
    assert.equal(await alice.page.locator('#messages li .from').first().textContent(), 'bob: ', 'the sender is named');
    await say(alice, 'glad to be here');
    await waitTexts(bob, ['welcome to the team', 'glad to be here']);
    await waitStates(bob, 'welcome', ['read'], 1);
    await screenshot(alice, 'alice-group');
  });

  const burst = range(50, (i) => `offline ${String(i).padStart(2, '0')}`);
  await step('Alice offline: 50 messages queued, page reloaded offline, back online: each arrives once, in order', async () => {
    await openConversation(alice, 'bob');
    await openConversation(bob, 'group:team'); // Bob looks elsewhere: Alice's messages count as unread
    await alice.context.setOffline(true);
    for (const text of burst) await say(alice, text);
    await waitStates(alice, 'offline ', ['queued'], 50);
    await waitFor(alice, '"50 queued" shown', () => document.getElementById('queue').textContent === '50 queued');
    await screenshot(alice, 'alice-offline-50-queued');

    await alice.page.reload(); // the service worker serves the page; history and queue come from IndexedDB
    await waitFor(alice, 'the chat back after an offline reload', () => document.querySelectorAll('#messages li').length > 0);
    await waitTexts(alice, [...history.alice, ...burst]);
    await waitStates(alice, 'offline ', ['queued'], 50);
    await waitFor(alice, 'not online while offline', () => document.getElementById('conn').dataset.state !== 'online');
    assert.deepEqual(await storedFrom(bob, 'alice'), [a1, a2, aliceDown], 'nothing of the burst reached Bob while Alice was offline');
    await screenshot(alice, 'alice-reloaded-offline');

    await alice.context.setOffline(false);
    await waitState(alice, 'online');
    await waitStates(alice, 'offline ', ['sent', 'delivered', 'read'], 50);
    await waitFor(alice, 'nothing queued', () => document.getElementById('queue').hidden);
    await waitFor(bob, '50 unread from alice',
      () => document.querySelector('#conversations li[data-conv="alice"]')?.dataset.unread === '50');
    await openConversation(bob, 'alice');
    await waitTexts(bob, [...history.bob, ...burst]);
    assert.deepEqual(await storedFrom(bob, 'alice'), [a1, a2, aliceDown, ...burst], 'Bob\'s device stored each message once, in order');
    await waitStates(alice, 'offline ', ['read'], 50);
    await waitTexts(alice, [...history.alice, ...burst]);
    assert.deepEqual(await storedFrom(alice, 'bob'), [b1, ...bobDown], 'Alice\'s device stored Bob\'s messages once');
    await screenshot(bob, 'bob-got-the-burst');
  });
}

/** One picture of both screens side by side (docs/img/web-chat.png is a copy of it). */
async function readmePicture(phoneUser, desktopUser) {
  for (const p of [phoneUser, desktopUser]) await p.page.evaluate(() => document.activeElement?.blur());
  const a = await phoneUser.page.screenshot({ type: 'png' });
  const b = await desktopUser.page.screenshot({ type: 'png' });
  const frame = await browser.newPage({ viewport: { width: 1440, height: 800 }, deviceScaleFactor: 1 });
  await frame.setContent(`<body style="margin:0;background:#e9edf2;display:flex;gap:28px;align-items:center;justify-content:center;height:100vh">
    <img src="data:image/png;base64,${a.toString('base64')}" style="width:390px;border-radius:28px;border:10px solid #1b1f24">
    <img src="data:image/png;base64,${b.toString('base64')}" style="width:960px;border-radius:8px;border:1px solid #b8c0cc;box-shadow:0 6px 24px rgba(0,0,0,.15)">
    </body>`);
  await frame.waitForFunction(() => [...document.images].every((i) => i.complete));
  await frame.screenshot({ path: join(opt.out, 'web-chat.png') });
  await frame.close();
}

/** The SDK's role of this tab: 'leader', 'follower' (several tabs of one device) or undefined before it says. */
function role(p) {
  return p.page.evaluate(() => document.documentElement.dataset.tabRole);
}

async function tabs() {
  // Both tabs share one IndexedDB database and device: the SDK elects one (Web Locks) to hold the sockets.
  const bob = await open('bob', 'laptop', DESKTOP);
  const first = await open('alice', 'phone', PHONE);
  await startChat(first, 'bob');
  await startChat(bob, 'alice');
  const second = await open('alice', 'phone', undefined, { context: first.context }); // a second tab, same profile
  await step('a second tab of the same device joins: both stay up, both show the conversation', async () => {
    await openConversation(second, 'bob');
    await say(bob, 'to both tabs');
    await waitTexts(first, ['to both tabs']);
    await waitTexts(second, ['to both tabs']);
    for (const p of [first, second]) {
      assert.equal(await p.page.locator('#problem').isVisible(), false, `${p.user}: no tab was displaced`);
    }
    assert.equal(await role(first), 'leader', 'the first tab holds the sockets');
    assert.equal(await role(second), 'follower', 'the second tab sends and receives through it');
  });
  await step('the leader tab closes while the other sends 20: each arrives once, in order; it carries on', async () => {
    const burst = Array.from({ length: 20 }, (_, i) => `burst ${i + 1}`);
    for (const [i, text] of burst.entries()) {
      await say(second, text);
      if (i === 9) {
        await first.page.close(); // mid-burst: some sent through the old leader, the rest through the next
        pages.splice(pages.indexOf(first), 1);
      }
    }
    await waitTexts(bob, ['to both tabs', ...burst]);
    await second.page.waitForFunction(() => document.documentElement.dataset.tabRole === 'leader', null,
      { timeout: WAIT });
    await say(bob, 'still there?');
    await waitTexts(second, ['to both tabs', ...burst, 'still there?']);
    await waitState(second, 'online');
  });
}

// ---- main

const scenarios = { chat, tabs };
const t0 = Date.now();
let failed = false;
try {
  assert.ok(scenarios[opt.scenario], `unknown scenario ${opt.scenario}`);
  browser = await chromium.launch({ executablePath: opt.chromium, headless: true, args: FLAGS });
  await scenarios[opt.scenario]();
  assert.deepEqual(pageErrors, [], 'uncaught errors in the pages');
  console.log(`WEB CHAT OK ${opt.scenario} (${Date.now() - t0} ms)`);
} catch (e) {
  failed = true;
  console.log(`WEB CHAT FAILED ${opt.scenario}: ${e.stack ?? e}`);
  if (pageErrors.length) console.log(`page errors: ${pageErrors.join('; ')}`);
  for (const [i, p] of pages.entries()) {
    try {
      await p.page.screenshot({ path: join(opt.out, `failure-${i + 1}-${p.user}-${p.device}.png`) });
    } catch {
      // a closed page
    }
  }
} finally {
  await browser?.close().catch(() => undefined);
}
process.exit(failed ? 1 : 0);
