// Service worker: precache the versioned app shell, answer navigations from it (offline too),
// drop old caches on activation, update on the user's tap, relay Background Sync to the page.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const PREFIX = 'xuncha-shell-';
const CACHE = PREFIX + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // API calls go to the network: the page keeps its own data in IndexedDB.
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/open311/')) return;
  if (req.mode === 'navigate') {
    // The app lives at '/' (views are #hashes); other pages such as /public go to the network.
    if (url.pathname === '/' || url.pathname === '/index.html') {
      event.respondWith(caches.match('/', { cacheName: CACHE }).then((hit) => hit || fetch(req)));
    }
    return;
  }
  event.respondWith(caches.match(req, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit || fetch(req)));
});

// Chromium's Background Sync: wake an open page to run its sync loop.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'xuncha-outbox') return;
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((clients) => {
    for (const client of clients) client.postMessage({ type: 'sync' });
  }));
});
