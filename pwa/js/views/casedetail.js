// One case: its photos (before, after, verify), details, history, and the actions the viewer may take.
// Actions go through the outbox, so a liaison can accept and resolve with after-photos offline.
import { request } from '../api.js';
import { loadCatalog } from '../catalog.js';
import { kvGet, withDb } from '../db.js';
import { camelKey, formatTime, statusLabel, t } from '../i18n.js';
import { enqueueTransition } from '../outbox.js';
import { preparePhoto, uuid } from '../photos.js';
import { requestSync } from '../sync.js';
import { thumbImg, thumbUrl } from '../thumbs.js';
import { h, mount, stillHere, toast } from '../ui.js';
import { LISTS, mapLink, markPending, timeLeft } from './worklist.js';

// What each action asks for, beyond the button.
const NEEDS = {
  accept: {}, verify: {}, resolve: { note: true, photos: 'after' },
  request_transfer: { note: true }, extend: { note: true, due: true }, return: { note: true },
  reject: { note: true, duplicate: true }, dispatch: { unit: true }, grant_extension: { due: true },
  reopen: { note: true },
};
const NEXT_STATUS = { accept: 'accepted', resolve: 'resolved', request_transfer: 'submitted', verify: 'closed',
  return: 'accepted', dispatch: 'dispatched', reject: 'rejected' };

async function findCase(id) {
  try {
    const { data } = await request(`/api/reports/${id}`);
    await withDb((d) => d.put('cases', data));
    return data;
  } catch {
    const cached = await withDb((d) => d.get('cases', id));
    if (cached) return cached;
    for (const name of Object.keys(LISTS)) {
      const hit = (await kvGet(`list:${name}`))?.items.find((c) => c.id === id);
      if (hit) return hit;
    }
    return null;
  }
}

function photoStrip(c, role, title) {
  const photos = c.photos.filter((p) => p.role === role);
  if (!photos.length) return null;
  return h('section', { class: 'photos' }, h('h2', {}, title),
    h('div', { class: 'strip' }, ...photos.map((p, i) => h('a', { href: '#', onclick: (e) => { e.preventDefault(); openLarge(p); } },
      thumbImg(h, p, `${title} ${i + 1}`)))));
}

function openLarge(photo) {
  const dlg = h('dialog', { class: 'viewer' }, thumbImg(h, photo, '', 'medium'),
    h('form', { method: 'dialog' }, h('button', { class: 'primary' }, '×')));
  document.body.append(dlg);
  dlg.addEventListener('close', () => dlg.remove());
  dlg.showModal();
}

function historyList(c) {
  if (!c.events?.length) return null;
  return h('section', {}, h('h2', {}, t('history')), h('ol', { class: 'history' }, ...c.events.map((e) => h('li', {},
    h('strong', {}, t(camelKey('event', e.kind))), ' ', h('span', { class: 'muted' }, formatTime(e.at)), ' ',
    h('span', { class: 'muted' }, e.actor.role === 'system' ? t('system') : [e.actor.unit, e.actor.display_name || e.actor.username].filter(Boolean).join(' · ')),
    e.note ? h('div', {}, e.note) : null))));
}

// datetime-local wants the local wall time without a zone.
function toLocalInput(iso) {
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

async function actionForm(c, action, doc) {
  const need = NEEDS[action];
  const fields = [];
  const note = h('textarea', { rows: 2, id: `note-${action}`, 'aria-label': t(action === 'resolve' ? 'resolveNote' : 'note') });
  if (need.note || action === 'dispatch' || action === 'verify') fields.push(h('label', { for: `note-${action}` }, t(action === 'resolve' ? 'resolveNote' : 'note')), note);
  const photoInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, id: `photos-${action}` });
  const chosen = [];
  if (need.photos) {
    photoInput.addEventListener('change', async () => {
      for (const file of photoInput.files) {
        const p = await preparePhoto(file, doc?.limits);
        if (!p.error) chosen.push({ ...p, role: need.photos });
      }
    });
    fields.push(h('label', { for: `photos-${action}` }, t('afterPhotos')), photoInput);
  }
  const due = h('input', { type: 'datetime-local', id: `due-${action}` });
  if (need.due) {
    if (c.extension_request?.due_at) due.value = toLocalInput(c.extension_request.due_at);
    fields.push(h('label', { for: `due-${action}` }, t('newDueAt')), due);
  }
  const unit = h('select', { id: `unit-${action}` });
  if (need.unit) {
    for (const u of (doc?.units || []).filter((x) => x.code !== 'cwb')) unit.append(h('option', { value: u.code, selected: u.code === c.lead_unit.code }, u.name));
    fields.push(h('label', { for: `unit-${action}` }, t('unit')), unit);
  }
  const duplicate = h('select', { id: `dup-${action}` }, h('option', { value: '' }, t('noDuplicate')));
  if (need.duplicate) {
    fields.push(h('label', { for: `dup-${action}` }, t('duplicateOf')), duplicate);
    request(`/api/reports/${c.id}/nearby`).then(({ data }) => {
      for (const n of data) duplicate.append(h('option', { value: n.id }, t('markDuplicate', { number: n.number, m: n.distance_m })));
    }).catch(() => {});
  }
  const error = h('p', { class: 'error', role: 'alert' });
  const label = t(camelKey('act', action));
  const button = h('button', { type: 'submit', class: 'primary' }, label);
  const form = h('form', { class: 'action', novalidate: true }, ...fields, error, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (need.note && !note.value.trim()) { error.textContent = t('reasonNeeded'); return; }
    if (need.photos && !chosen.length) { error.textContent = t('photoNeeded'); return; }
    const transition = { id: uuid(), action, note: note.value.trim() };
    if (need.unit) transition.unit = unit.value;
    if (need.due && due.value) transition.due_at = new Date(due.value).toISOString();
    if (need.duplicate && duplicate.value) transition.duplicate_of = duplicate.value;
    button.disabled = true;
    await enqueueTransition(c.id, transition, chosen, `${c.number} ${label}`);
    if (NEXT_STATUS[action]) await markPending(c.id, { status: NEXT_STATUS[action] });
    toast(t('queued', { label }));
    requestSync('transition');
    history.back();
  });
  return h('details', { class: 'action-box', open: ['accept', 'verify'].includes(action) },
    h('summary', {}, label), form);
}

// For the office: open cases of the same kind within 100 m, with their photos, before dispatching.
function nearbyCases(c) {
  if (!(c.allowed_actions || []).includes('reject')) return null;
  const list = h('ul', { class: 'nearby' });
  const section = h('section', { hidden: true }, h('h2', {}, t('possibleDuplicates')), list);
  request(`/api/reports/${c.id}/nearby`).then(async ({ data }) => {
    if (!data.length) return;
    section.hidden = false;
    for (const n of data) {
      const img = h('img', { alt: n.number, class: 'thumb' });
      const sha = n.thumb?.split('/')[3];
      if (sha) thumbUrl(sha).then((url) => { if (url) img.src = url; });
      list.append(h('li', {}, h('a', { href: `#/case/${n.id}` }, img,
        h('span', {}, `${n.number} · ${statusLabel(n.status)} · ${n.distance_m} 米`))));
    }
  }).catch(() => {});
  return section;
}

export async function renderCaseDetail(id) {
  const here = stillHere();
  const [c, doc] = [await findCase(id), await loadCatalog()];
  if (!here()) return;
  if (!c) { mount(h('p', { class: 'card' }, t('listEmpty'))); return; }
  const sourceKey = camelKey('source', c.source);
  const actions = await Promise.all((c.allowed_actions || []).map((a) => actionForm(c, a, doc)));
  // The user may have moved on while the forms were built: never mount over the next view.
  if (!here()) return;
  mount(h('article', { class: 'card wide case-detail' },
    h('h1', {}, t('caseTitle', { number: c.number })),
    h('p', {}, h('strong', {}, c.category_name), ' ', h('span', { class: `status status-${c.status}` }, statusLabel(c.status)), ' ', timeLeft(c)),
    h('p', { class: 'muted' }, `${t(sourceKey)} · ${formatTime(c.received_at)} · ${c.lead_unit.name}`),
    c.description ? h('p', {}, c.description) : null,
    h('p', {}, mapLink(c)),
    c.status === 'submitted' ? h('p', { class: 'muted' }, c.routing.reason) : null,
    c.extension_request ? h('p', { class: 'warning' }, t('extensionAsked', { at: formatTime(c.extension_request.due_at), note: c.extension_request.note })) : null,
    c.rework_count ? h('p', { class: 'muted' }, t('reworkCount', { n: c.rework_count })) : null,
    c.flags?.length ? h('ul', { class: 'flags', 'aria-label': t('flags') }, ...c.flags.map((f) => h('li', {}, f.message))) : null,
    nearbyCases(c),
    photoStrip(c, 'before', t('beforePhotos')), photoStrip(c, 'after', t('afterPhotos')), photoStrip(c, 'verify', t('verifyPhotos')),
    actions.length ? h('section', { class: 'actions' }, ...actions) : null,
    historyList(c)));
}
