// The public complaint form (no sign-in) and the complainant's status page (#/status/<number>/<receipt>).
import { currentLang, formatTime, setLang, t } from './i18n.js';
import { watchLocation } from './location.js';
import { h, mount } from './ui.js';

async function categories() {
  const resp = await fetch('/open311/v2/services.json');
  const services = await resp.json();
  const groups = new Map();
  for (const s of services) {
    if (!groups.has(s.group)) groups.set(s.group, []);
    groups.get(s.group).push(s);
  }
  return groups;
}

async function renderForm() {
  const groups = await categories();
  let fix = null;
  const photo = h('input', { id: 'photo', name: 'photo', type: 'file', accept: 'image/*', capture: 'environment', multiple: true, required: true });
  const category = h('select', { id: 'category', name: 'category', required: true },
    h('option', { value: '' }, t('chooseCategory')),
    ...[...groups].map(([group, list]) => h('optgroup', { label: group }, ...list.map((s) => h('option', { value: s.service_code }, s.service_name)))));
  const description = h('textarea', { id: 'description', name: 'description', rows: 3, maxlength: 2000 });
  const locStatus = h('p', { class: 'muted', 'aria-live': 'polite' }, t('locating'));
  const lat = h('input', { id: 'lat', type: 'number', step: 'any', inputmode: 'decimal' });
  const lon = h('input', { id: 'lon', type: 'number', step: 'any', inputmode: 'decimal' });
  const address = h('input', { id: 'address', name: 'address', maxlength: 255 });
  const name = h('input', { id: 'name', name: 'name', maxlength: 40, autocomplete: 'name' });
  const phone = h('input', { id: 'phone', name: 'phone', maxlength: 30, type: 'tel', autocomplete: 'tel' });
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary big' }, t('publicSubmit'));
  watchLocation(({ fix: f, final, error: e }) => {
    if (f) { fix = f; locStatus.textContent = final ? t('locationFix', { m: Math.round(f.accuracy_m) }) : t('locationFixRefining', { m: Math.round(f.accuracy_m) }); }
    else if (e) locStatus.textContent = t('locationNone', { reason: e });
  });
  const form = h('form', { class: 'card', novalidate: true },
    h('h1', {}, t('publicTitle')), h('p', { class: 'muted' }, t('publicIntro')),
    h('div', { class: 'field' }, h('label', { for: 'photo', class: 'field-name' }, t('photos')), photo),
    h('div', { class: 'field' }, h('label', { for: 'category', class: 'field-name' }, t('category')), category),
    h('div', { class: 'field' }, h('label', { for: 'description', class: 'field-name' }, t('description')), description),
    h('fieldset', { class: 'field' }, h('legend', { class: 'field-name' }, t('location')), locStatus,
      h('details', { class: 'manual' }, h('summary', {}, t('locationManual')),
        h('label', { for: 'lat' }, t('latitude')), lat, h('label', { for: 'lon' }, t('longitude')), lon),
      h('label', { for: 'address' }, t('address')), address),
    h('div', { class: 'field' }, h('label', { for: 'name' }, t('contactName')), name, h('label', { for: 'phone' }, t('contactPhone')), phone),
    error, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const point = fix || (lat.value && lon.value ? { lat: Number(lat.value), lon: Number(lon.value) } : null);
    const problems = [];
    if (!photo.files.length) problems.push(t('photoNeeded'));
    if (!category.value) problems.push(t('chooseCategory'));
    if (!point) problems.push(t('locationRequired'));
    if (problems.length) { error.textContent = problems.join('；'); return; }
    const body = new FormData();
    for (const f of photo.files) body.append('photo', f);
    body.append('category', category.value);
    body.append('description', description.value.trim());
    body.append('lat', point.lat);
    body.append('lon', point.lon);
    if (fix) { body.append('accuracy_m', fix.accuracy_m); body.append('location_source', 'device'); }
    for (const [k, el] of [['address', address], ['name', name], ['phone', phone]]) if (el.value.trim()) body.append(k, el.value.trim());
    submit.disabled = true;
    submit.textContent = t('sending');
    try {
      const resp = await fetch('/api/public/reports', { method: 'POST', body });
      const data = await resp.json();
      if (!resp.ok) throw new Error(data.message || `HTTP ${resp.status}`);
      mount(h('section', { class: 'card', role: 'status' }, h('p', { id: 'receipt' }, t('publicDone', data)),
        h('a', { href: data.status_url, class: 'primary' }, t('publicStatusLink'))));
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
      submit.textContent = t('publicSubmit');
    }
  });
  mount(form);
}

async function renderStatus(number, receipt) {
  const resp = await fetch(`/api/public/reports/${encodeURIComponent(number)}?receipt=${encodeURIComponent(receipt)}`);
  if (!resp.ok) { mount(h('p', { class: 'card error' }, t('publicNotFound'))); return; }
  const s = await resp.json();
  mount(h('section', { class: 'card' }, h('h1', {}, t('publicStatusTitle', { number: s.number })),
    h('p', {}, h('strong', {}, s.category), ' ', h('span', { class: `status status-${s.status}` }, s.status_label)),
    s.lead_unit ? h('p', {}, t('handledBy', { unit: s.lead_unit })) : null,
    h('ol', { class: 'history' }, ...s.history.map((e) => h('li', {}, `${formatTime(e.at)} ${e.label}`)))));
}

function route() {
  const [page, number, receipt] = location.hash.replace(/^#\/?/, '').split('/');
  if (page === 'status' && number && receipt) renderStatus(decodeURIComponent(number), decodeURIComponent(receipt));
  else renderForm();
}

function translate() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const lang = document.getElementById('lang-switch');
  lang.textContent = t('langSwitch');
  lang.setAttribute('aria-label', t('langSwitchLabel'));
}

setLang(currentLang());
translate();
document.getElementById('lang-switch').addEventListener('click', () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); translate(); route(); });
window.addEventListener('hashchange', route);
route();
