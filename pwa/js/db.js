// IndexedDB through idb. Stores: kv (session, catalog), outbox (cases to send), blobs (their photos),
// cases (the last synced cases, for offline viewing), thumbs (photo thumbnails by sha256).
import { openDB } from '../vendor/idb/index.js';

const NAME = 'xuncha';
const VERSION = 2;
let dbPromise = null;

function open() {
  return openDB(NAME, VERSION, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('kv');
        const outbox = db.createObjectStore('outbox', { keyPath: 'id' });
        outbox.createIndex('created_at', 'created_at');
        const blobs = db.createObjectStore('blobs', { keyPath: 'id' });
        blobs.createIndex('case_id', 'case_id');
        db.createObjectStore('cases', { keyPath: 'id' });
      }
      if (oldVersion < 2) {
        db.createObjectStore('thumbs');  // sha256 → Blob, so work lists show photos offline
      }
    },
    // iOS may close the connection under memory pressure: forget it so the next call reopens.
    terminated() { dbPromise = null; },
  });
}

export function db() {
  if (!dbPromise) dbPromise = open().catch((err) => { dbPromise = null; throw err; });
  return dbPromise;
}

// Run fn(db); if the connection was closed under us, reopen once and try again.
export async function withDb(fn) {
  try {
    return await fn(await db());
  } catch (err) {
    if (err?.name !== 'InvalidStateError') throw err;
    dbPromise = null;
    return fn(await db());
  }
}

export const kvGet = (key) => withDb((d) => d.get('kv', key));
export const kvSet = (key, value) => withDb((d) => d.put('kv', value, key));
export const kvDelete = (key) => withDb((d) => d.delete('kv', key));
