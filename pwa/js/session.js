// The signed-in session, kept in IndexedDB so it survives reloads and offline use until it expires.
import { kvDelete, kvGet, kvSet } from './db.js';

let cached;

export async function getSession() {
  if (cached === undefined) cached = (await kvGet('session')) || null;
  if (cached && new Date(cached.expires_at) <= new Date()) return null;
  return cached;
}

export async function saveSession(session) {
  cached = session;
  await kvSet('session', session);
}

export async function clearSession() {
  cached = null;
  await kvDelete('session');
}
