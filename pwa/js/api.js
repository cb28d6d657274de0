// The server's JSON API. Errors carry the server's envelope {code, message, errors}.
import { getSession } from './session.js';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || 'http_error';
    this.errors = body?.errors || {};
  }

  // A 4xx other than these cannot be fixed by sending the same thing again.
  get permanent() {
    return this.status >= 400 && this.status < 500 && ![401, 408, 425, 429].includes(this.status);
  }
}

export class NetworkError extends Error {}

export async function request(path, { method = 'GET', json, body, headers = {}, signal } = {}) {
  const session = await getSession();
  const h = { Accept: 'application/json', ...headers };
  if (session?.token) h.Authorization = `Bearer ${session.token}`;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body, signal, cache: 'no-store' });
  } catch (err) {
    throw new NetworkError(err.message || 'network error');
  }
  if (resp.status === 204 || resp.status === 304) return { status: resp.status, data: null, resp };
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    if (resp.status >= 500) throw new NetworkError(`HTTP ${resp.status}`);
    throw new ApiError(resp.status, data);
  }
  // Every 2xx of ours is JSON: anything else (a captive portal's page, a cut answer) did not come
  // from the server, so this item is retried later and the rest of the pass goes on.
  if (data === null) throw new NetworkError('unreadable answer');
  return { status: resp.status, data, resp };
}

// Downloads need the bearer token, so they go through fetch and a temporary link.
export async function download(path, filename) {
  const session = await getSession();
  const resp = await fetch(path, { headers: { Authorization: `Bearer ${session?.token}` } });
  if (!resp.ok) throw new ApiError(resp.status, await resp.json().catch(() => null));
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
