// Administration (office/admin): accounts (create, deactivate, reset password, sign out a lost phone,
// last sync), the liaison roster export, category deadlines and units, and the audit log.
import { download, request } from '../api.js';
import { loadCatalog, refreshCatalog } from '../catalog.js';
import { formatTime, roleLabel, t } from '../i18n.js';
import { h, mount, toast } from '../ui.js';

function userRow(u, redraw) {
  const act = async (path, body, method = 'PATCH') => {
    const { data } = await request(path, { method, json: body });
    if (data?.password) toast(t('newPassword', { user: u.username, password: data.password }), 15000);
    redraw();
  };
  return h('tr', { class: u.active ? '' : 'inactive' },
    h('td', {}, u.username), h('td', {}, u.display_name || ''), h('td', {}, roleLabel(u.role)), h('td', {}, u.unit?.name || ''),
    h('td', {}, u.last_sync_at ? formatTime(u.last_sync_at) : '—'),
    h('td', { class: 'row-actions' },
      h('button', { type: 'button', onclick: () => act(`/api/users/${u.id}`, { active: !u.active }) }, u.active ? t('deactivate') : t('activate')),
      h('button', { type: 'button', onclick: () => act(`/api/users/${u.id}`, { reset_password: true }) }, t('resetPassword')),
      h('button', { type: 'button', onclick: () => act(`/api/users/${u.id}/revoke-tokens`, undefined, 'POST') }, t('revokeTokens'))));
}

function createForm(doc, redraw) {
  const username = h('input', { id: 'new-username', required: true, autocomplete: 'off' });
  const name = h('input', { id: 'new-name' });
  const role = h('select', { id: 'new-role' }, h('option', { value: 'inspector' }, roleLabel('inspector')), h('option', { value: 'liaison' }, roleLabel('liaison')));
  const unit = h('select', { id: 'new-unit' }, h('option', { value: '' }, '—'), ...(doc?.units || []).filter((u) => u.code !== 'cwb').map((u) => h('option', { value: u.code }, u.name)));
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'filters' },
    h('div', { class: 'filter' }, h('label', { for: 'new-username' }, t('username')), username),
    h('div', { class: 'filter' }, h('label', { for: 'new-name' }, t('displayName')), name),
    h('div', { class: 'filter' }, h('label', { for: 'new-role' }, t('role')), role),
    h('div', { class: 'filter' }, h('label', { for: 'new-unit' }, t('unit')), unit),
    h('button', { type: 'submit', class: 'primary' }, t('createAccount')), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const { data } = await request('/api/users', { method: 'POST', json: { username: username.value.trim(), role: role.value, unit: unit.value || null, display_name: name.value.trim() || null } });
      toast(t('newPassword', { user: data.username, password: data.password }), 15000);
      redraw();
    } catch (err) {
      error.textContent = [err.message, ...Object.values(err.errors || {}).flat()].join(' ');
    }
  });
  return form;
}

function categoryRow(c, doc, redraw) {
  const value = h('input', { type: 'number', min: 1, value: c.deadline.value, 'aria-label': `${c.name} ${t('deadlineValue')}` });
  const kind = h('select', { 'aria-label': `${c.name} ${t('deadlineKind')}` },
    h('option', { value: 'hours', selected: c.deadline.kind === 'hours' }, t('hoursUnit')),
    h('option', { value: 'workdays', selected: c.deadline.kind === 'workdays' }, t('workdaysUnit')));
  const lead = h('select', { 'aria-label': `${c.name} ${t('unit')}` }, ...doc.units.filter((u) => u.code !== 'cwb')
    .map((u) => h('option', { value: u.code, selected: u.code === c.lead_unit.code }, u.name)));
  const auto = h('input', { type: 'checkbox', checked: c.auto_dispatch, 'aria-label': `${c.name} ${t('autoDispatch')}` });
  const coop = h('select', { multiple: true, size: 3, 'aria-label': `${c.name} ${t('cooperatingUnits')}` }, ...doc.units.filter((u) => u.code !== 'cwb')
    .map((u) => h('option', { value: u.code, selected: c.cooperating_units.some((x) => x.code === u.code) }, u.name)));
  const save = h('button', { type: 'button', onclick: async () => {
    await request(`/api/catalog/categories/${c.code}`, { method: 'PATCH', json: {
      deadline_value: Number(value.value), deadline_kind: kind.value, lead_unit: lead.value, auto_dispatch: auto.checked,
      cooperating_units: [...coop.selectedOptions].map((o) => o.value) } });
    await refreshCatalog();
    toast(t('saved2'));
    redraw();
  } }, t('save'));
  return h('tr', {}, h('td', {}, c.name), h('td', { class: 'deadline' }, value, kind), h('td', {}, lead), h('td', {}, coop), h('td', {}, auto), h('td', {}, save));
}

// Routing zones: a polygon (GeoJSON, WGS-84) inside which another unit leads.
function zoneForm(doc, redraw) {
  const code = h('input', { id: 'zone-code', required: true, pattern: '[a-z0-9-]+' });
  const name = h('input', { id: 'zone-name', required: true });
  const lead = h('select', { id: 'zone-lead' }, ...doc.units.filter((u) => u.code !== 'cwb').map((u) => h('option', { value: u.code }, u.name)));
  const priority = h('input', { id: 'zone-priority', type: 'number', value: 0 });
  const geometry = h('textarea', { id: 'zone-geometry', rows: 4, placeholder: '{"type": "Polygon", "coordinates": [[[109.48, 24.36], …]]}' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'filters' },
    h('div', { class: 'filter' }, h('label', { for: 'zone-code' }, t('zoneCode')), code),
    h('div', { class: 'filter' }, h('label', { for: 'zone-name' }, t('zoneName')), name),
    h('div', { class: 'filter' }, h('label', { for: 'zone-lead' }, t('unit')), lead),
    h('div', { class: 'filter' }, h('label', { for: 'zone-priority' }, t('priority')), priority),
    h('div', { class: 'filter wide-field' }, h('label', { for: 'zone-geometry' }, 'GeoJSON'), geometry),
    h('button', { type: 'submit', class: 'primary' }, t('saveZone')), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await request(`/api/catalog/zones/${encodeURIComponent(code.value.trim())}`, { method: 'PUT', json: {
        name: name.value.trim(), lead_unit: lead.value, priority: Number(priority.value), geometry: JSON.parse(geometry.value) } });
      await refreshCatalog();
      toast(t('saved2'));
      redraw();
    } catch (err) {
      error.textContent = [err.message, ...Object.values(err.errors || {}).flat()].join(' ');
    }
  });
  return h('div', {}, h('ul', {}, ...(doc.zones || []).map((z) => h('li', {}, `${z.code} ${z.name} → ${z.lead_unit.name}`))), form);
}

export async function renderAdmin() {
  const doc = await loadCatalog();
  const users = h('tbody');
  const audit = h('ol', { class: 'history' });
  const redraw = async () => {
    const { data } = await request('/api/users');
    users.replaceChildren(...data.map((u) => userRow(u, redraw)));
    const log = await request('/api/audit');
    audit.replaceChildren(...log.data.slice(0, 30).map((e) => h('li', {}, `${formatTime(e.at)} ${e.actor || ''} ${e.action} ${e.target}`)));
  };
  const roster = () => download('/api/exports/liaisons.xlsx', 'liaisons.xlsx');
  mount(h('section', { class: 'card wide' }, h('h1', {}, t('adminTitle')),
    h('h2', {}, t('accounts')), createForm(doc, redraw),
    h('p', {}, h('button', { type: 'button', onclick: roster }, t('liaisonRoster'))),
    h('table', { class: 'ranking users' }, h('thead', {}, h('tr', {}, ...['username', 'displayName', 'role', 'unit', 'lastSync', 'actions'].map((k) => h('th', {}, t(k))))), users),
    h('h2', {}, t('categoriesTitle')),
    h('table', { class: 'ranking categories' }, h('thead', {}, h('tr', {}, ...['category', 'deadline', 'unit', 'cooperatingUnits', 'autoDispatch', 'save'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, ...(doc?.categories || []).map((c) => categoryRow(c, doc, redraw)))),
    h('h2', {}, t('zonesTitle')), zoneForm(doc, redraw),
    h('h2', {}, t('auditTitle')), audit));
  await redraw();
}
