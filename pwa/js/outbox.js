// The outbox: cases captured on the phone wait here, with their photo Blobs, until the server has them.
//
// Protocol (DESIGN.md §5): PUT the case JSON; PUT each photo the server lists as missing; mark the
// case synced and free its Blobs only when the server's manifest shows every photo received.
// A 4xx that retrying cannot fix stays visible with its reason; anything else is retried later.
import { ApiError, NetworkError, request } from './api.js';
import { withDb } from './db.js';

const listeners = new Set();
export function onOutboxChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed() { for (const fn of listeners) fn(); }

// Write an item and all its photo Blobs in one transaction: both are stored, or neither.
async function storeItem(item, photos) {
  await withDb(async (d) => {
    const tx = d.transaction(['outbox', 'blobs'], 'readwrite');
    tx.objectStore('outbox').add(item);
    for (const p of photos) tx.objectStore('blobs').add({ id: p.id, case_id: item.id, blob: p.blob });
    await tx.done;
  });
  changed();
  return item;
}

export async function enqueueCase(body, photos) {
  const { id, ...caseBody } = body;
  caseBody.photos = photos.map((p) => ({ id: p.id, sha256: p.sha256, size: p.size, content_type: p.content_type }));
  const item = {
    id, body: caseBody, state: 'queued', error: null, permanent: false, attempts: 0,
    created_at: new Date().toISOString(), uploaded: [], result: null,
  };
  return storeItem(item, photos);
}

// A lifecycle action (accept, resolve with after-photos, …) waits here like a case does.
export async function enqueueTransition(caseId, transition, photos, label) {
  const item = {
    id: transition.id, kind: 'transition', case_id: caseId, label,
    body: { ...transition, photos: photos.map((p) => p.id) },
    photos: photos.map((p) => ({ id: p.id, sha256: p.sha256, size: p.size, content_type: p.content_type, role: p.role })),
    state: 'queued', error: null, permanent: false, attempts: 0,
    created_at: new Date().toISOString(), uploaded: [], result: null,
  };
  return storeItem(item, photos);
}

export const listOutbox = () => withDb((d) => d.getAllFromIndex('outbox', 'created_at'));

export async function unsentItems() {
  return (await listOutbox()).filter((i) => i.state !== 'synced');
}

async function update(id, patch) {
  await withDb(async (d) => {
    const tx = d.transaction('outbox', 'readwrite');
    const item = await tx.store.get(id);
    if (item) await tx.store.put({ ...item, ...patch });
    await tx.done;
  });
  changed();
}

// The user gave up on an item the server refused: drop it and its photos together.
export async function deleteItem(id) {
  await withDb(async (d) => {
    const tx = d.transaction(['outbox', 'blobs'], 'readwrite');
    const keys = await tx.objectStore('blobs').index('case_id').getAllKeys(id);
    for (const key of keys) tx.objectStore('blobs').delete(key);
    tx.objectStore('outbox').delete(id);
    await tx.done;
  });
  changed();
}

function photosOf(item) {
  return item.kind === 'transition' ? item.photos : item.body.photos;
}

async function markSynced(item, caseJson) {
  await withDb(async (d) => {
    const tx = d.transaction(['outbox', 'blobs', 'cases'], 'readwrite');
    for (const p of photosOf(item)) tx.objectStore('blobs').delete(p.id);
    tx.objectStore('cases').put(caseJson);
    const current = await tx.objectStore('outbox').get(item.id);
    tx.objectStore('outbox').put({
      ...current, state: 'synced', error: null, permanent: false,
      synced_at: new Date().toISOString(), uploaded: photosOf(item).map((p) => p.id),
      result: { number: caseJson.number, status: caseJson.status, lead_unit: caseJson.lead_unit, due_at: caseJson.due_at },
    });
    await tx.done;
  });
  changed();
}

async function uploadPhoto(caseId, photo) {
  // Read the Blob in its own transaction: never await the network inside one.
  const record = await withDb((d) => d.get('blobs', photo.id));
  if (!record) throw new ApiError(410, { code: 'photo_lost', message: '本机照片已丢失' });
  const role = photo.role || 'before';
  await request(`/api/reports/${caseId}/photos/${photo.id}?role=${role}`, {
    method: 'PUT', body: record.blob,
    headers: { 'Content-Type': photo.content_type, 'X-Content-SHA256': photo.sha256 },
  });
}

// After- or verify-photos first (each PUT is idempotent), then the transition by its own id.
async function sendTransition(item) {
  const uploaded = [...item.uploaded];
  for (const photo of item.photos.filter((p) => !uploaded.includes(p.id))) {
    await uploadPhoto(item.case_id, photo);
    uploaded.push(photo.id);
    await update(item.id, { uploaded: [...uploaded] });
  }
  const { data } = await request(`/api/reports/${item.case_id}/transitions`, { method: 'POST', json: item.body });
  return data;
}

// Send one item as far as it goes. Returns 'synced', 'retry' or 'failed'; throws on 401.
export async function syncItem(item) {
  try {
    await update(item.id, { state: 'uploading', attempts: item.attempts + 1 });
    if (item.kind === 'transition') {
      await markSynced(item, await sendTransition(item));
      return 'synced';
    }
    let { data: caseJson } = await request(`/api/reports/${item.id}`, { method: 'PUT', json: item.body });
    const missing = new Set(caseJson.missing_photos);
    const uploaded = item.body.photos.filter((p) => !missing.has(p.id)).map((p) => p.id);
    await update(item.id, { uploaded: [...uploaded] });
    for (const photo of item.body.photos.filter((p) => missing.has(p.id))) {
      await uploadPhoto(item.id, photo);
      uploaded.push(photo.id);
      await update(item.id, { uploaded: [...uploaded] });
    }
    // Only the server's own manifest may free the Blobs.
    ({ data: caseJson } = await request(`/api/reports/${item.id}`));
    if (caseJson.missing_photos.length) {
      await update(item.id, { state: 'queued', error: '服务器尚缺照片', permanent: false });
      return 'retry';
    }
    await markSynced(item, caseJson);
    return 'synced';
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      await update(item.id, { state: 'queued' });
      throw err;
    }
    if (err instanceof ApiError && err.permanent) {
      await update(item.id, { state: 'failed', error: describe(err), permanent: true });
      return 'failed';
    }
    await update(item.id, { state: 'queued', error: err.message || String(err), permanent: false });
    if (err instanceof NetworkError || err instanceof ApiError) return 'retry';
    throw err;
  }
}

function describe(err) {
  const fields = Object.entries(err.errors || {}).map(([k, v]) => `${k}: ${[].concat(v).join('; ')}`);
  return [err.message, ...fields].join(' — ');
}

// One pass over every unsent item that can still succeed. Permanent failures do not block others.
export async function syncAll() {
  const summary = { synced: 0, retry: 0, failed: 0 };
  for (const item of await unsentItems()) {
    if (item.permanent) continue;
    summary[await syncItem(item)] += 1;
  }
  return summary;
}
