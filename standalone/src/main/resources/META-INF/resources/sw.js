// The web chat's service worker: keeps the page's own files (the app shell) so that a reload while offline still
// shows the chat, its history (IndexedDB) and its queue. Cache first for the shell, refreshed in the background on
// every load, so a new ./pigeonhole's files are used from the next load on. The API (/v1/*), the dev endpoints
// (/dev/*) and everything else are never cached: they go to the network as if this worker did not exist.
const CACHE = 'pigeonhole-chat-1';
const SHELL = ['/', '/app.js', '/chat.css', '/icon.svg', '/vendor/pigeonhole-client.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((u) => new Request(u, { cache: 'reload' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('pigeonhole-chat-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  // the page at / with any query (?user=&device=) is the shell's '/'
  const path = request.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html') ? '/' : url.pathname;
  if (!SHELL.includes(path)) return; // /v1/*, /dev/*, anything else: the network, never cached
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const cached = await cache.match(path);
    const fresh = fetch(new Request(path, { cache: 'no-cache' }))
      .then((response) => {
        if (response.ok) return cache.put(path, response.clone()).then(() => response);
        return response;
      });
    if (cached) {
      event.waitUntil(fresh.catch(() => undefined)); // refresh for the next load; offline: keep the copy
      return cached;
    }
    return fresh;
  }));
});
