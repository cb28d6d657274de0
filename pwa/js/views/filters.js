// The gallery's filters, shared by the gallery, the map and the exports.
import { loadCatalog } from '../catalog.js';
import { statusLabel, t } from '../i18n.js';
import { download } from '../api.js';
import { h, toast } from '../ui.js';

const STATUSES = ['submitted', 'dispatched', 'accepted', 'resolved', 'closed', 'rejected'];

function select(id, label, options) {
  const el = h('select', { id, name: id }, h('option', { value: '' }, t('all')), ...options.map(([v, text]) => h('option', { value: v }, text)));
  return h('div', { class: 'filter' }, h('label', { for: id }, label), el);
}

// A form whose values become query parameters; onChange(params) runs on every change.
export async function filterForm(onChange, initial = {}) {
  const doc = await loadCatalog();
  const form = h('form', { class: 'filters', 'aria-label': t('filters') },
    select('f-action', t('action'), (doc?.actions || []).map((a) => [a.id, a.name])),
    select('f-category', t('category'), (doc?.categories || []).map((c) => [c.code, c.name])),
    select('f-unit', t('unit'), (doc?.units || []).filter((u) => u.code !== 'cwb').map((u) => [u.code, u.name])),
    select('f-status', t('statusLabel'), STATUSES.map((s) => [s, statusLabel(s)])),
    select('f-source', t('sourceLabel'), [['inspector', t('sourceInspector')], ['covert', t('covert')], ['public', t('sourcePublic')]]),
    select('f-flag', t('flags'), [['exif_gps_far', t('flagGps')], ['exif_time_far', t('flagTime')], ['recurrence', t('flagRecurrence')]]),
    h('div', { class: 'filter' }, h('label', { for: 'f-from' }, t('fromDate')), h('input', { id: 'f-from', type: 'date' })),
    h('div', { class: 'filter' }, h('label', { for: 'f-to' }, t('toDate')), h('input', { id: 'f-to', type: 'date' })),
    h('label', { class: 'inline' }, h('input', { id: 'f-overdue', type: 'checkbox' }), t('overdueOnly')));
  for (const [key, value] of Object.entries(initial)) {
    const el = form.querySelector(`#f-${key}`);
    if (el) el.value = value;
  }
  const params = () => {
    const p = new URLSearchParams();
    for (const key of ['action', 'category', 'unit', 'status', 'source', 'flag']) {
      const v = form.querySelector(`#f-${key}`).value;
      if (v) p.set(key, v);
    }
    const from = form.querySelector('#f-from').value;
    const to = form.querySelector('#f-to').value;
    if (from) p.set('from', new Date(`${from}T00:00:00+08:00`).toISOString());
    if (to) p.set('to', new Date(new Date(`${to}T00:00:00+08:00`).getTime() + 86400000).toISOString());
    if (form.querySelector('#f-overdue').checked) p.set('overdue', 'true');
    return p;
  };
  form.addEventListener('change', () => onChange(params()));
  form.addEventListener('submit', (e) => e.preventDefault());
  return { form, params };
}

// Exports of what the filters select.
export function exportButtons(params) {
  const get = (path, name) => download(`${path}?${params()}`, name).catch((err) => toast(err.message));
  return h('div', { class: 'exports' },
    ...[['xlsx', 'Excel'], ['csv', 'CSV'], ['geojson', 'GeoJSON']].map(([ext, label]) =>
      h('button', { type: 'button', onclick: () => get(`/api/exports/cases.${ext}`, `cases.${ext}`) }, label)),
    h('button', { type: 'button', onclick: () => get('/api/exports/evidence.zip', 'evidence.zip') }, t('evidencePack')));
}
