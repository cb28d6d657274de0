// Work lists: a liaison's inbox (their unit's open cases, soonest due first), the office's
// triage queue (submitted) and review queue (resolved). Cached for offline use.
import { request } from '../api.js';
import { kvGet, kvSet } from '../db.js';
import { duration, formatTime, statusLabel, t } from '../i18n.js';
import { thumbImg } from '../thumbs.js';
import { h, mount, stillHere } from '../ui.js';

export const LISTS = {
  inbox: { title: 'inboxTitle', query: 'status=dispatched,accepted&order=due&limit=200' },
  triage: { title: 'triageTitle', query: 'status=submitted&limit=100' },
  review: { title: 'reviewTitle', query: 'status=resolved&limit=100' },
};

export function mapLink(c) {
  if (c.location?.lat == null) return null;
  // AMap's URI API takes WGS-84 with coordinate=wgs84 and opens the app when installed.
  const href = `https://uri.amap.com/marker?position=${c.location.lon},${c.location.lat}&coordinate=wgs84&callnative=1&name=${encodeURIComponent(c.category_name)}`;
  return h('a', { href, target: '_blank', rel: 'noopener', class: 'map-link' }, c.location.address || t('openMap'));
}

export function timeLeft(c) {
  if (!c.due_at || !['dispatched', 'accepted'].includes(c.status)) return null;
  const ms = new Date(c.due_at) - Date.now();
  return h('span', { class: ms < 0 ? 'due overdue' : 'due' },
    ms < 0 ? t('overdueBy', { d: duration(ms) }) : t('timeLeft', { d: duration(ms) }));
}

function row(c) {
  const before = c.photos.find((p) => p.role === 'before' && p.received);
  return h('li', { class: 'work-item' },
    h('a', { href: `#/case/${c.id}`, class: 'work-link' },
      thumbImg(h, before, c.category_name),
      h('div', { class: 'work-body' },
        h('div', {}, h('strong', {}, c.category_name), ' ', h('span', { class: `status status-${c.status}` }, statusLabel(c.status)),
          c.pending ? h('span', { class: 'pending' }, ` · ${t('pendingSync')}`) : null),
        h('div', { class: 'muted' }, `${c.number} · ${formatTime(c.received_at)}`),
        c.status === 'submitted' ? h('div', { class: 'muted' }, t('suggestion', { unit: c.lead_unit.name })) : h('div', { class: 'muted' }, c.lead_unit.name),
        timeLeft(c))),
    mapLink(c));
}

export async function renderWorklist(name) {
  const spec = LISTS[name];
  const here = stillHere();
  const note = h('p', { class: 'muted' });
  const list = h('ul', { class: 'work', 'aria-label': t(spec.title) });
  mount(h('section', { class: 'card wide' }, h('h1', {}, t(spec.title)), note, list));
  const show = (cases) => list.replaceChildren(...(cases.length ? cases.map(row) : [h('li', { class: 'muted' }, t('listEmpty'))]));
  const cached = await kvGet(`list:${name}`);
  if (cached) show(cached.items);
  try {
    const { data } = await request(`/api/reports?${spec.query}`);
    await kvSet(`list:${name}`, { items: data.items, at: new Date().toISOString() });
    if (!here()) return;
    note.textContent = '';
    show(data.items);
  } catch {
    note.textContent = t('listOffline', { at: cached ? formatTime(cached.at) : '—' });
  }
}

// After an action is queued offline, show it in the cached lists at once.
export async function markPending(caseId, patch) {
  for (const name of Object.keys(LISTS)) {
    const cached = await kvGet(`list:${name}`);
    if (!cached) continue;
    const items = cached.items.map((c) => (c.id === caseId ? { ...c, ...patch, pending: true } : c));
    await kvSet(`list:${name}`, { ...cached, items });
  }
}
