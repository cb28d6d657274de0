// When to sync: on start, when the network returns, on a backoff timer, on demand, and when the
// service worker relays a Background Sync event (Chromium only; every browser gets the timer).
import { ApiError } from './api.js';
import { syncAll, unsentItems } from './outbox.js';

const BASE_DELAY_MS = 5000;
const MAX_DELAY_MS = 5 * 60 * 1000;
let running = null;
let again = false;
let failures = 0;
let timer = null;
const state = { syncing: false, lastError: null, authExpired: false };
const listeners = new Set();

export function onSyncState(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function syncState() { return { ...state }; }
function emit() { for (const fn of listeners) fn(syncState()); }

// Two tabs must not send the same item at once (the server would cope, but it wastes the link).
function withLock(fn) {
  if (navigator.locks?.request) return navigator.locks.request('xuncha-outbox', fn);
  return fn();
}

function schedule(summary) {
  clearTimeout(timer);
  if (!summary || (summary.retry === 0)) { failures = 0; return; }
  failures += 1;
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (failures - 1));
  timer = setTimeout(() => requestSync('timer'), delay);
}

export function requestSync(reason = 'manual') {
  // Offline, an attempt cannot succeed: wait for the online event instead of growing the backoff.
  if (!navigator.onLine) return Promise.resolve(null);
  if (running) { again = true; return running; }
  running = (async () => {
    let summary = null;
    state.syncing = true; emit();
    try {
      do {
        again = false;
        summary = await withLock(() => syncAll());
      } while (again);
      state.lastError = null;
      state.authExpired = false;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) state.authExpired = true;
      state.lastError = err.message || String(err);
      summary = { retry: 1 };
    } finally {
      state.syncing = false;
      running = null;
      emit();
    }
    if (!state.authExpired) schedule(summary);
    return summary;
  })();
  running.reason = reason;
  return running;
}

export async function registerBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    if (reg?.sync) await reg.sync.register('xuncha-outbox');
  } catch { /* not offered by this browser: the in-page loop covers it */ }
}

export function startSyncTriggers() {
  window.addEventListener('online', () => { failures = 0; requestSync('online'); });
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type === 'sync') requestSync('background-sync');
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') requestSync('visible');
  });
  // A slow heartbeat catches anything the events missed (e.g. a captive portal that cleared).
  setInterval(async () => {
    if (!running && navigator.onLine && (await unsentItems()).some((i) => !i.permanent)) requestSync('heartbeat');
  }, 60000);
  requestSync('start');
}
