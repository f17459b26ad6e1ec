// The standalone mode's web chat, on the TypeScript SDK (@pigeonhole/client, bundled in vendor/) and nothing else.
// Hand-written ES module, no build step: ./pigeonhole serves this directory as it is.
//
// Where things come from:
// - history: the SDK's local store (IndexedDB), read once at start (store.entriesAfter), so a reload offline shows it;
// - new entries: the SDK's listener (at least once: everything here is idempotent, keyed by message identity);
// - queued messages: client.pending() at start, then our own sends; the 'send' event says accepted / rejected; a
//   message's own copy (own: true, docs/protocol.md) replaces it once the server's inbox hands it back;
// - delivered / read marks: receipt entries (they are in the store too); read markers go out with client.markRead;
// - groups: the gateway's HTTP API (/v1/groups), the last answer kept in localStorage for offline reloads.
// Identity: the dev identity (?user=&device=), which only the standalone mode accepts.
import { IdbStore, PigeonholeClient } from './vendor/pigeonhole-client.js';

const ID = /^[A-Za-z0-9._@-]{1,64}$/;
const $ = (id) => document.getElementById(id);
const phone = matchMedia('(max-width: 720px)');

if ('serviceWorker' in navigator) {
  // keeps the page's files for a reload while offline (sw.js); the chat works without it, online
  navigator.serviceWorker.register('/sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then(() => { document.documentElement.dataset.offlineReady = 'true'; })
    .catch((e) => console.warn('service worker not registered', e));
}


// ---------------------------------------------------------------------------------------------------------- sign-in

function signIn() {
  $('signin').hidden = false;
  const userInput = $('signin-user');
  const deviceInput = $('signin-device');
  userInput.value = ID.test(user) ? user : '';
  deviceInput.value = ID.test(device) ? device : browserDevice();
  const recent = recentIdentities();
  if (recent.length > 0) {
    $('signin-recent').hidden = false;
    $('signin-recent-list').replaceChildren(...recent.map((r) => {
      const a = el('a', { href: chatUrl(r.user, r.device) }, `${r.user} (${r.device})`);
      return el('li', {}, a);
    }));
  }
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const u = userInput.value.trim();
    const d = deviceInput.value.trim();
    const bad = !ID.test(u) ? userInput : !ID.test(d) ? deviceInput : null;
    if (bad) {
      $('signin-error').textContent = `${bad === userInput ? 'User' : 'Device'}: 1–64 letters, digits, . _ @ -`;
      bad.setAttribute('aria-invalid', 'true');
      bad.focus();
      return;
    }
    location.assign(chatUrl(u, d));
  });
  userInput.focus();
}

function chatUrl(u, d) {
  return `/?${new URLSearchParams({ user: u, device: d })}`;
}

/** A device name for this browser, made once: two browsers of one user must not share one (they displace each other). */
function browserDevice() {
  let d = localStorage.getItem('pigeonhole.device');
  if (!d) {
    d = `web-${Math.random().toString(36).slice(2, 6)}`;
    localStorage.setItem('pigeonhole.device', d);
  }
  return d;
}

function recentIdentities() {
  try {
    return JSON.parse(localStorage.getItem('pigeonhole.recent') ?? '[]').filter((r) => ID.test(r.user) && ID.test(r.device));
  } catch {
    return [];
  }
}

function rememberIdentity(u, d) {
  const list = [{ user: u, device: d }, ...recentIdentities().filter((r) => r.user !== u || r.device !== d)].slice(0, 6);
  localStorage.setItem('pigeonhole.recent', JSON.stringify(list));
}

// ------------------------------------------------------------------------------------------------------------- chat

function Chat(user, device) {
  this.user = user;
  this.device = device;
  this.prefix = `pigeonhole.${user}.${device}.`;
  /** key → message; key is the message's identity: `own:<device>:<id>` or `in:<user>:<device>:<id>`. */
  this.messages = new Map();
  /** client message id → {delivered: Set<user>, read: Set<user>} for what this user sent. */
  this.receipts = new Map();
  /** client message id → reason, for sends a recipient's inbox dropped unread. */
  this.undelivered = new Map();
  /** 'send' answers that arrived before send() resolved here. */
  this.early = new Map();
  this.maxSeq = 0;
  this.readSent = 0;
  this.ord = 0;
  this.current = null;
  this.elements = new Map();
  this.renderQueued = false;
  this.stopped = null;
}

Chat.prototype.start = async function () {
  document.title = `${this.user} — Pigeonhole chat`;
  $('chat').hidden = false;
  $('me-user').textContent = this.user;
  $('me-device').textContent = this.device;
  rememberIdentity(this.user, this.device);
  this.readSeq = this.load('read', {});
  this.sent = this.load('sent', {});
  this.opened = this.load('opened', []);
  this.groups = new Map(this.load('groups', []).map((g) => [g.id, g]));
  this.groupInfo = this.load('group-info', {});
  this.wire();

  this.store = await IdbStore.open(`pigeonhole-${this.user}-${this.device}`);
  // everything this device received, from its own store: shown offline too
  for (let after = 0; ;) {
    const batch = await this.store.entriesAfter(after, 500);
    if (batch.length === 0) break;
    for (const entry of batch) this.entry(entry.kind, entry.frame);
    after = batch[batch.length - 1].local;
  }
  const ws = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  // the page's online events, and the "Retry now" button: a reconnect waiting out its backoff happens at once
  this.hints = new EventTarget();
  addEventListener('online', () => this.hints.dispatchEvent(new Event('online')));
  this.client = new PigeonholeClient({
    server: ws,
    user: this.user,
    device: this.device,
    store: this.store,
    hints: this.hints,
    // one local server, not a fleet behind a load balancer: back within 5 s of a restart rather than up to 30 s
    backoffMaxMs: 5_000,
    listener: {
      onMessage: (f) => this.entry('message', f),
      onReceipt: (f) => this.entry('receipt', f),
      onUndelivered: (f) => this.entry('undelivered', f),
      onGap: (from, to, reason) => this.entry('gap', { from, to, reason }),
    },
  });
  // accepted before the last reload, own copy not back yet
  for (const [id, s] of Object.entries(this.sent)) {
    if (!this.messages.has(this.ownKey(id))) this.put({ ...this.ownMessage(id, s.to, s.text, s.at), state: 'sent' });
  }
  for (const out of await this.client.pending()) {
    if (!this.messages.has(this.ownKey(out.id))) this.put(this.ownMessage(out.id, out.to, textOf(out.body), out.queuedAt));
  }
  this.client.on('state', () => this.onState());
  this.client.on('send', (s) => this.onSend(s));
  this.client.on('refused', (r) => this.onRefused(r));
  this.client.on('resync', () => { this.readSent = 0; });
  this.client.on('error', (e) => console.warn('pigeonhole', e));
  // which tab of this device holds the sockets (several tabs: one leader, the others send and receive through it)
  this.client.on('role', (r) => { document.documentElement.dataset.tabRole = r; });
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash && this.validConv(hash)) this.open(hash, { focus: false });
  this.render();
  await this.client.start();
  this.refreshGroups();
  setInterval(() => {
    if (this.client.connectionState === 'online' && document.visibilityState === 'visible') this.refreshGroups();
  }, 10_000);
};

Chat.prototype.wire = function () {
  $('new-chat').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('new-chat-to');
    const to = input.value.trim();
    if (!ID.test(to)) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    input.value = '';
    if (!this.opened.includes(to)) this.opened.push(to);
    this.save('opened', this.opened);
    this.open(to);
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    this.sendTyped();
  });
  $('composer-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.sendTyped();
    }
  });
  $('composer-input').addEventListener('input', (e) => autosize(e.target));
  $('back').addEventListener('click', () => {
    document.body.dataset.pane = 'list';
    this.render();
    this.refreshGroups();
    const item = this.current && document.querySelector(`#conversations [data-conv="${CSS.escape(this.current)}"] button`);
    (item ?? $('new-chat-to')).focus();
  });
  $('new-group').addEventListener('click', () => this.groupDialog());
  $('retry').addEventListener('click', () => this.hints?.dispatchEvent(new Event('online')));
  $('invite-accept').addEventListener('click', () => this.answerInvite(true));
  $('invite-decline').addEventListener('click', () => this.answerInvite(false));
  document.addEventListener('visibilitychange', () => {
    this.render();
    if (document.visibilityState === 'visible') this.refreshGroups();
  });
  addEventListener('online', () => this.onState());
  addEventListener('offline', () => this.onState());
  phone.addEventListener('change', () => this.render());
};

// ---- entries (history and listener alike; each may come twice)

Chat.prototype.entry = function (kind, f) {
  if (typeof f.seq === 'number') this.maxSeq = Math.max(this.maxSeq, f.seq);
  if (kind === 'message') {
    const own = f.own === true;
    const key = own ? this.ownKey(f.id, f.fromDevice) : `in:${f.from}:${f.fromDevice}:${f.id}`;
    const before = this.messages.get(key);
    this.put({
      key, conv: this.convOf(f), seq: f.seq, id: String(f.id), from: String(f.from), own,
      text: textOf(f.body), at: Number(f.sentAt), state: own ? 'sent' : 'in', ord: before?.ord ?? ++this.ord,
      files: Array.isArray(f.attachments) ? f.attachments : [],
    });
    if (own && f.fromDevice === this.device && this.sent[f.id]) {
      delete this.sent[f.id];
      this.save('sent', this.sent);
    }
  } else if (kind === 'receipt') {
    for (const m of Array.isArray(f.messages) ? f.messages : []) {
      const r = this.receipts.get(m.id) ?? { delivered: new Set(), read: new Set() };
      r.delivered.add(String(f.by));
      if (f.status === 'read') r.read.add(String(f.by));
      this.receipts.set(m.id, r);
    }
  } else if (kind === 'undelivered') {
    for (const m of Array.isArray(f.messages) ? f.messages : []) this.undelivered.set(m.id, `${f.reason} at ${f.recipient}`);
  } else if (kind === 'gap' && f.reason !== 'superseded') {
    console.warn(`entries ${f.from}–${f.to} are gone from the server (${f.reason})`);
  }
  this.render();
};

Chat.prototype.ownKey = function (id, fromDevice = this.device) {
  return `own:${fromDevice}:${id}`;
};

Chat.prototype.ownMessage = function (id, to, text, at) {
  return { key: this.ownKey(id), conv: to, seq: null, id, from: this.user, own: true, text, at, state: 'queued', ord: ++this.ord, files: [] };
};

Chat.prototype.put = function (m) {
  this.messages.set(m.key, m);
  this.render();
};

Chat.prototype.convOf = function (f) {
  const to = String(f.to);
  if (to.startsWith('group:')) return to;
  return f.own === true ? to : String(f.from);
};

Chat.prototype.validConv = function (conv) {
  return ID.test(conv.startsWith('group:') ? conv.slice(6) : conv);
};

// ---- sending

Chat.prototype.sendTyped = async function () {
  const input = $('composer-input');
  const text = input.value;
  const to = this.current;
  if (!to || text.trim() === '' || input.disabled || !this.client) return;
  input.value = '';
  autosize(input);
  let id;
  try {
    id = await this.client.send(to, { text });
  } catch (e) {
    input.value = text;
    showProblem(`Not stored, not sent: ${e?.message ?? e}`);
    return;
  }
  if (!this.messages.has(this.ownKey(id))) this.put(this.ownMessage(id, to, text, Date.now()));
  const early = this.early.get(id);
  if (early) {
    this.early.delete(id);
    this.onSend(early);
  }
  this.stickToBottom = true;
};

Chat.prototype.onSend = function (s) {
  const m = this.messages.get(this.ownKey(s.id));
  if (!m) {
    this.early.set(s.id, s);
    return;
  }
  if (s.state === 'accepted') {
    if (m.state === 'queued') m.state = 'sent';
    if (m.seq === null) {
      this.sent[m.id] = { to: m.conv, text: m.text, at: m.at };
      this.save('sent', this.sent);
    }
  } else {
    m.state = 'rejected';
    m.error = `${s.code}${s.message ? `: ${s.message}` : ''}`;
  }
  this.render();
};

// ---- connection

Chat.prototype.onState = function () {
  const s = this.stopped ? 'stopped' : this.client?.connectionState ?? 'connecting';
  const conn = $('conn');
  conn.dataset.state = s;
  const text = { online: 'Online', connecting: 'Connecting…', offline: 'Offline, retrying', stopped: 'Stopped' }[s];
  $('conn-text').textContent = text + (navigator.onLine ? '' : ' · no network');
  $('retry').hidden = s !== 'offline';
  if (s === 'online') {
    this.readSent = 0; // a new connection: give the read marker again (it may have been lost with the last one)
    this.refreshGroups();
  }
  this.render();
};

Chat.prototype.onRefused = function (r) {
  const why = {
    4100: 'the server did not accept this identity — this chat needs the dev identity of the standalone mode',
    4103: 'this device was opened in another tab or window, which took over',
    4104: 'this device was removed',
    4105: 'this user has too many devices: pick another device name after removing one',
  }[r.code] ?? `the server refused the connection (${r.code})`;
  this.stopped = `${why}${r.reason ? ` (${r.reason})` : ''}`;
  const p = showProblem(`Stopped: ${this.stopped}. `);
  if (r.code === 4103) {
    const again = el('button', { type: 'button' }, 'Use it here again');
    again.addEventListener('click', () => location.reload());
    p.append(again);
  }
  this.onState();
};

// ---- groups (HTTP)

Chat.prototype.api = async function (method, path, body) {
  const q = new URLSearchParams({ user: this.user, device: this.device });
  const res = await fetch(`${path}?${q}`, {
    method,
    cache: 'no-store',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  if (!res.ok) throw new Error(json?.message ?? `HTTP ${res.status}`);
  return json;
};

Chat.prototype.refreshGroups = async function () {
  try {
    const r = await this.api('GET', '/v1/groups');
    this.groups = new Map(r.groups.map((g) => [g.id, g]));
    this.save('groups', r.groups);
    if (this.current?.startsWith('group:')) await this.loadGroupInfo(this.current.slice(6));
    this.render();
  } catch {
    // offline or not ready: keep what we knew
  }
};

Chat.prototype.loadGroupInfo = async function (id) {
  try {
    const g = await this.api('GET', `/v1/groups/${encodeURIComponent(id)}`);
    this.groupInfo[id] = g.members;
    this.save('group-info', this.groupInfo);
    this.render();
  } catch {
    // keep the last known members
  }
};

Chat.prototype.groupDialog = function () {
  const dialog = $('group-dialog');
  const form = $('group-form');
  $('group-error').textContent = '';
  form.reset();
  const create = async (e) => {
    e.preventDefault();
    const id = $('group-id').value.trim();
    const members = $('group-members').value.split(/[\s,]+/).filter((m) => m !== '');
    const bad = [id, ...members].find((v) => v !== '' && !ID.test(v));
    if (bad !== undefined) {
      $('group-error').textContent = `"${bad}" is not a valid name (1–64 letters, digits, . _ @ -)`;
      return;
    }
    try {
      const g = await this.api('POST', '/v1/groups', { ...(id ? { id } : {}), members });
      dialog.close();
      await this.refreshGroups();
      this.open(`group:${g.id}`);
    } catch (err) {
      $('group-error').textContent = `Not created: ${err.message}${navigator.onLine ? '' : ' (offline: groups are created online)'}`;
    }
  };
  form.onsubmit = create;
  $('group-cancel').onclick = () => dialog.close();
  dialog.onclose = () => $('new-group').focus();
  dialog.showModal();
  $('group-id').focus();
};

Chat.prototype.answerInvite = async function (accept) {
  const id = this.current.slice(6);
  try {
    if (accept) await this.api('POST', `/v1/groups/${encodeURIComponent(id)}/accept`);
    else await this.api('DELETE', `/v1/groups/${encodeURIComponent(id)}/members/${encodeURIComponent(this.user)}`);
    await this.refreshGroups();
    if (accept) $('composer-input').focus();
    else {
      this.current = null;
      document.body.dataset.pane = 'list';
      this.render();
      $('new-chat-to').focus();
    }
  } catch (e) {
    showProblem(`Could not ${accept ? 'join' : 'decline'}: ${e.message}`);
  }
};

// ---- conversations

Chat.prototype.open = function (conv, { focus = true } = {}) {
  if (this.current !== conv) {
    this.current = conv;
    this.elements.clear();
    const list = $('messages');
    list.setAttribute('aria-live', 'off'); // switching is not news: only later additions are announced
    list.replaceChildren();
    setTimeout(() => list.setAttribute('aria-live', 'polite'), 0);
    this.stickToBottom = true;
    history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(conv)}`);
    if (conv.startsWith('group:')) this.loadGroupInfo(conv.slice(6));
  }
  document.body.dataset.pane = 'conversation';
  this.renderNow();
  if (focus) $('composer-input').disabled ? $('conv-title').focus() : $('composer-input').focus();
};

/** Conversation id → {conv, last message, unread count, group membership}. */
Chat.prototype.conversations = function () {
  const convs = new Map();
  const get = (conv) => {
    let c = convs.get(conv);
    if (!c) convs.set(conv, (c = { conv, last: null, unread: 0 }));
    return c;
  };
  for (const m of this.messages.values()) {
    const c = get(m.conv);
    if (!c.last || compare(c.last, m) < 0) c.last = m;
    if (!m.own && m.seq > (this.readSeq[m.conv] ?? 0)) c.unread++;
  }
  for (const g of this.groups.values()) get(`group:${g.id}`).group = g;
  for (const conv of this.opened) get(conv);
  if (this.current) get(this.current);
  return [...convs.values()].sort((a, b) =>
    (b.last?.at ?? 0) - (a.last?.at ?? 0) || a.conv.localeCompare(b.conv));
};

/** The current conversation is on screen: everything in it counts as read. */
Chat.prototype.visible = function () {
  return this.current !== null && document.visibilityState === 'visible' &&
    (!phone.matches || document.body.dataset.pane === 'conversation');
};

Chat.prototype.markRead = function () {
  if (this.visible()) {
    let top = this.readSeq[this.current] ?? 0;
    for (const m of this.messages.values()) if (m.conv === this.current && !m.own && m.seq > top) top = m.seq;
    if (top > (this.readSeq[this.current] ?? 0)) {
      this.readSeq[this.current] = top;
      this.save('read', this.readSeq);
    }
  }
  // the read marker is one number for the whole inbox (docs/protocol.md): everything up to it must have been seen,
  // so it stops before the first unread message of any conversation
  let firstUnread = Infinity;
  for (const m of this.messages.values()) {
    if (!m.own && m.seq > (this.readSeq[m.conv] ?? 0)) firstUnread = Math.min(firstUnread, m.seq);
  }
  const marker = firstUnread === Infinity ? this.maxSeq : firstUnread - 1;
  if (marker > this.readSent && this.client?.markRead(marker)) this.readSent = marker;
};

// ---- rendering

Chat.prototype.render = function () {
  if (this.renderQueued) return;
  this.renderQueued = true;
  setTimeout(() => this.renderNow(), 0);
};

Chat.prototype.renderNow = function () {
  this.renderQueued = false;
  this.markRead();
  const convs = this.conversations();
  let unread = 0;
  reconcile($('conversations'), convs, (c) => c.conv, (c) => this.conversationItem(c), (li, c) => this.updateConversationItem(li, c));
  for (const c of convs) unread += c.unread;
  $('no-conversations').hidden = convs.length > 0;
  document.title = `${unread > 0 ? `(${unread}) ` : ''}${this.user} — Pigeonhole chat`;

  let queued = 0;
  for (const m of this.messages.values()) if (m.state === 'queued') queued++;
  $('queue').hidden = queued === 0;
  $('queue').textContent = `${queued} queued`;

  const conv = this.current;
  const group = conv?.startsWith('group:') ? this.groups.get(conv.slice(6)) : undefined;
  const invited = group?.status === 'invited';
  $('conv-title').textContent = conv ? convName(conv) : 'No conversation open';
  $('conv-title').tabIndex = -1;
  $('conv-info').textContent = conv ? this.convInfo(conv, group) : 'Pick a conversation or start one.';
  $('invite').hidden = !invited;
  if (invited) $('invite-text').textContent = `${group.invitedBy ?? group.owner} invited you to this group. You receive its messages once you join.`;
  const input = $('composer-input');
  input.disabled = !conv || invited || this.stopped !== null;
  $('composer-send').disabled = input.disabled;
  $('composer-label').textContent = conv ? `Message to ${convName(conv)}` : 'Message';
  $('messages').setAttribute('aria-label', conv ? `Messages with ${convName(conv)}` : 'Messages');

  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const shown = conv ? [...this.messages.values()].filter((m) => m.conv === conv).sort(compare) : [];
  reconcile(list, shown, (m) => m.key, (m) => this.messageItem(m), (li, m) => this.updateMessageItem(li, m), this.elements);
  if (nearBottom || this.stickToBottom) list.scrollTop = list.scrollHeight;
  this.stickToBottom = false;
};

Chat.prototype.convInfo = function (conv, group) {
  if (!conv.startsWith('group:')) return 'Direct messages';
  const members = this.groupInfo[conv.slice(6)];
  if (members) {
    return `Group: ${members.map((m) => `${m.user}${m.user === this.user ? ' (you)' : ''}${m.status === 'invited' ? ' (invited)' : ''}`).join(', ')}`;
  }
  return group ? 'Group' : 'Group (not a member, or not loaded yet)';
};

Chat.prototype.conversationItem = function (c) {
  const button = el('button', { type: 'button' });
  button.addEventListener('click', () => this.open(c.conv));
  return el('li', { 'data-conv': c.conv }, button);
};

Chat.prototype.updateConversationItem = function (li, c) {
  const button = li.firstChild;
  const preview = c.last ? `${c.last.own ? 'You: ' : c.conv.startsWith('group:') ? `${c.last.from}: ` : ''}${c.last.text}` :
    c.group?.status === 'invited' ? 'Invitation: open to join' : 'No messages yet';
  const sig = `${c.conv}|${preview}|${c.unread}|${c.group?.status}`;
  if (button.dataset.sig !== sig) {
    button.dataset.sig = sig;
    const parts = [el('span', { class: 'name' }, convName(c.conv),
      c.conv.startsWith('group:') ? el('span', { class: 'visually-hidden' }, ' (group)') : '')];
    if (c.unread > 0) parts.push(el('span', { class: 'badge' }, String(c.unread), el('span', { class: 'visually-hidden' }, ' unread')));
    parts.push(el('span', { class: 'preview' }, preview));
    if (c.group?.status === 'invited') parts.push(el('span', { class: 'tag' }, 'invited'));
    button.replaceChildren(...parts);
  }
  li.dataset.unread = String(c.unread);
  if (c.conv === this.current) button.setAttribute('aria-current', 'true');
  else button.removeAttribute('aria-current');
};

Chat.prototype.messageItem = function (m) {
  return el('li', { class: 'msg', 'data-key': m.key });
};

Chat.prototype.updateMessageItem = function (li, m) {
  const [state, label] = this.status(m);
  const sig = `${m.seq}|${state}|${label}|${m.text}|${m.files.length}`;
  if (li.dataset.sig === sig) return;
  li.dataset.sig = sig;
  li.className = `msg${m.own ? ' own' : ''}${state === 'queued' ? ' queued' : ''}`;
  li.dataset.state = state;
  if (m.seq) li.dataset.seq = String(m.seq);
  const group = m.conv.startsWith('group:');
  const who = m.own ? el('span', { class: 'visually-hidden' }, 'You: ') :
    group ? el('span', { class: 'from' }, m.from, el('span', { class: 'visually-hidden' }, ': ')) :
      el('span', { class: 'visually-hidden' }, `${m.from}: `);
  const time = el('time', { datetime: new Date(m.at).toISOString() }, formatTime(m.at));
  const meta = el('span', { class: 'meta' }, time);
  if (m.own) meta.append(el('span', { class: 'status', 'data-state': state }, label));
  li.replaceChildren(who, el('p', { class: 'text' }, m.text));
  if (m.files.length > 0) li.append(this.fileList(m.files));
  li.append(meta);
};

/** Files sent with a message (e.g. by pigeonhole-cli send --file): links that download them with this identity. */
Chat.prototype.fileList = function (files) {
  const q = new URLSearchParams({ user: this.user, device: this.device });
  return el('ul', { class: 'files', 'aria-label': 'Attached files' }, ...files.map((f) => {
    const name = typeof f.name === 'string' ? f.name : String(f.ref).slice(7, 19);
    const link = el('a', { href: `/v1/blobs/${encodeURIComponent(f.ref)}?${q}`, download: name }, name);
    return el('li', {}, link, ` (${formatSize(Number(f.size))})`);
  }));
};

/** [state, label] of a message: queued, sent, delivered, read, rejected, undelivered (own) or in (received). */
Chat.prototype.status = function (m) {
  if (!m.own) return ['in', ''];
  if (m.state === 'queued') return ['queued', this.client?.connectionState === 'online' ? 'Sending…' : 'Queued'];
  if (m.state === 'rejected') return ['rejected', `Not sent (${m.error})`];
  const lost = this.undelivered.get(m.id);
  if (lost) return ['undelivered', `Not delivered (${lost})`];
  const r = this.receipts.get(m.id);
  const group = m.conv.startsWith('group:');
  if (r?.read.size) return ['read', group ? `✓✓ Read by ${[...r.read].join(', ')}` : '✓✓ Read'];
  if (r?.delivered.size) return ['delivered', group ? `✓✓ Delivered to ${r.delivered.size}` : '✓✓ Delivered'];
  return ['sent', '✓ Sent'];
};

Chat.prototype.load = function (name, fallback) {
  try {
    return JSON.parse(localStorage.getItem(this.prefix + name)) ?? fallback;
  } catch {
    return fallback;
  }
};

Chat.prototype.save = function (name, value) {
  localStorage.setItem(this.prefix + name, JSON.stringify(value));
};

// ---------------------------------------------------------------------------------------------------------- helpers

/** Order in a conversation: by inbox seq; what has none yet (sent, queued) after, in the order written. */
function compare(a, b) {
  if (a.seq && b.seq) return a.seq - b.seq;
  if (a.seq) return -1;
  if (b.seq) return 1;
  return a.at - b.at || a.ord - b.ord;
}

function textOf(body) {
  if (body && typeof body === 'object' && typeof body.text === 'string') return body.text;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function convName(conv) {
  return conv.startsWith('group:') ? `# ${conv.slice(6)}` : conv;
}

function formatTime(ms) {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) :
    d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function formatSize(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function autosize(textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 160)}px`;
}

function showProblem(text) {
  const p = $('problem');
  if (!p) return null;
  $('chat').hidden = false;
  p.hidden = false;
  p.textContent = text;
  return p;
}

/** An element with attributes and children (text children as text nodes: nothing here is parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== '' && c != null) e.append(c);
  return e;
}

/**
 * Makes `parent`'s children the items' elements in order, reusing each item's element by key (focus, scroll and
 * screen readers keep their place: only what is new is added).
 */
function reconcile(parent, items, keyOf, create, update, cache = new Map([...parent.children].map((c) => [c.dataset.key ?? c.dataset.conv, c]))) {
  let prev = null;
  const keep = new Set();
  for (const item of items) {
    const key = keyOf(item);
    let node = cache.get(key);
    if (!node) {
      node = create(item);
      cache.set(key, node);
    }
    keep.add(node);
    update(node, item);
    const at = prev ? prev.nextSibling : parent.firstChild;
    if (at !== node) parent.insertBefore(node, at);
    prev = node;
  }
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  for (const [key, node] of cache) if (!keep.has(node)) cache.delete(key);
}

// ------------------------------------------------------------------------------------------------------------ start

const params = new URLSearchParams(location.search);
const user = params.get('user') ?? '';
const device = params.get('device') ?? '';
if (!params.has('pick') && ID.test(user) && ID.test(device)) {
  new Chat(user, device).start().catch((e) => showProblem(`The chat could not start: ${e?.message ?? e}`));
} else {
  signIn();
}
