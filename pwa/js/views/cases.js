// My cases: the inspector's synced cases, cached for offline viewing.
import { request } from '../api.js';
import { withDb } from '../db.js';
import { formatTime, statusLabel, t } from '../i18n.js';
import { h, mount, stillHere } from '../ui.js';

async function cachedCases() {
  const all = await withDb((d) => d.getAll('cases'));
  return all.sort((a, b) => (b.received_at || '').localeCompare(a.received_at || ''));
}

function caseRow(c) {
  return h('li', { class: 'case' },
    h('div', { class: 'case-head' },
      h('strong', {}, c.number || ''), ' ',
      h('span', { class: `status status-${c.status}` }, statusLabel(c.status))),
    h('div', {}, c.category_name || c.category),
    h('div', { class: 'muted' }, c.lead_unit?.name || ''),
    c.due_at ? h('div', { class: 'muted' }, t('due', { at: formatTime(c.due_at) })) : null);
}

export async function renderCases() {
  const note = h('p', { class: 'muted', id: 'cases-note' });
  const list = h('ul', { class: 'cases', 'aria-label': t('casesTitle') });
  const refresh = h('button', { type: 'button', onclick: () => load() }, t('refresh'));
  mount(h('section', { class: 'card' }, h('h1', {}, t('casesTitle')), refresh, note, list));

  async function show(cases) {
    list.replaceChildren(...(cases.length ? cases.map(caseRow) : [h('li', { class: 'muted' }, t('casesEmpty'))]));
  }

  const here = stillHere();
  async function load() {
    if (!here()) return;
    await show(await cachedCases());
    try {
      const { data } = await request('/api/reports?limit=100');
      await withDb(async (d) => {
        const tx = d.transaction(['cases', 'kv'], 'readwrite');
        for (const c of data.items) tx.objectStore('cases').put(c);
        tx.objectStore('kv').put(new Date().toISOString(), 'cases_fetched_at');
        await tx.done;
      });
      if (!here()) return;
      note.textContent = '';
      await show(await cachedCases());
    } catch {
      const at = await withDb((d) => d.get('kv', 'cases_fetched_at'));
      note.textContent = t('casesOffline', { at: at ? formatTime(at) : '—' });
    }
  }
  await load();
}
