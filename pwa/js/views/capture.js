// Capture: photos, problem type (with the receiving unit, offline), description, location, covert switch.
// Submitting stores everything on the phone in one transaction and returns a fresh form at once.
import { loadCatalog, receivingUnit } from '../catalog.js';
import { t } from '../i18n.js';
import { watchLocation } from '../location.js';
import { enqueueCase } from '../outbox.js';
import { preparePhoto, uuid } from '../photos.js';
import { getSession } from '../session.js';
import { registerBackgroundSync, requestSync } from '../sync.js';
import { h, mount, toast } from '../ui.js';

function deadlineText(d) {
  return d.kind === 'workdays' ? t('workdays', { n: d.value }) : t('hours', { n: d.value });
}

function matches(category, query) {
  if (!query) return true;
  const q = query.trim().toLowerCase();
  return [category.name, category.name_en, category.keywords, category.initials, category.code]
    .some((text) => (text || '').toLowerCase().includes(q));
}

export async function renderCapture() {
  const doc = await loadCatalog();
  const session = await getSession();
  const state = { photos: [], fix: null, stopWatch: null };
  const limits = doc?.limits;

  // Photos
  const photoInput = h('input', { id: 'photo-input', type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'visually-hidden' });
  const photoLabel = h('label', { for: 'photo-input', class: 'photo-button' }, h('span', { class: 'field-name' }, t('photos')), h('span', { class: 'hint' }, t('addPhotos')));
  const previews = h('ul', { class: 'previews', 'aria-live': 'polite' });
  const photoError = h('p', { class: 'error', role: 'alert' });

  function drawPreviews() {
    previews.replaceChildren(...state.photos.map((p, i) => h('li', {},
      h('img', { src: p.url, alt: p.name || `${i + 1}` }),
      h('button', { type: 'button', class: 'remove', 'aria-label': t('removePhoto', { n: i + 1 }), onclick: () => {
        URL.revokeObjectURL(p.url);
        state.photos.splice(i, 1);
        drawPreviews();
      } }, '×'))));
  }

  photoInput.addEventListener('change', async () => {
    photoError.textContent = '';
    const problems = [];
    for (const file of photoInput.files) {
      if (limits && state.photos.length >= limits.photos_per_case) { problems.push(t('tooManyPhotos', { n: limits.photos_per_case })); break; }
      const prepared = await preparePhoto(file, limits);
      if (prepared.error) {
        problems.push(t(prepared.error, { name: file.name, mb: Math.floor((limits?.photo_max_bytes || 0) / 1048576) }));
        continue;
      }
      prepared.url = URL.createObjectURL(prepared.blob);
      state.photos.push(prepared);
    }
    photoInput.value = '';
    photoError.textContent = problems.join('；');
    drawPreviews();
  });

  // Category
  const search = h('input', { id: 'category-search', type: 'search', 'aria-label': t('categorySearch'), placeholder: t('categorySearch'), autocomplete: 'off' });
  const select = h('select', { id: 'category', name: 'category', required: true });
  const receiver = h('p', { id: 'receiver', class: 'receiver', 'aria-live': 'polite' });
  const categories = doc?.categories || [];

  function fillSelect() {
    const chosen = select.value;
    const groups = (doc?.actions || []).map((action) => {
      const options = categories.filter((c) => c.action === action.id && matches(c, search.value))
        .map((c) => h('option', { value: c.code, selected: c.code === chosen }, c.name));
      return options.length ? h('optgroup', { label: action.name }, ...options) : null;
    }).filter(Boolean);
    select.replaceChildren(h('option', { value: '' }, t('chooseCategory')), ...groups);
    if (categories.some((c) => c.code === chosen && matches(c, search.value))) select.value = chosen;
    else if (search.value && groups.length === 1 && groups[0].children.length === 1) select.value = groups[0].children[0].value;
    showReceiver();
  }

  function showReceiver() {
    const category = categories.find((c) => c.code === select.value);
    if (!category) { receiver.textContent = doc ? '' : t('noCatalog'); return; }
    const point = currentPoint();
    const { unit, zone } = receivingUnit(doc, category, point);
    receiver.textContent = `${zone ? t('routedToZone', { unit: unit.name, zone: zone.name }) : t('routedTo', { unit: unit.name })} · ${t('deadline', { d: deadlineText(category.deadline) })}`;
  }
  search.addEventListener('input', fillSelect);
  select.addEventListener('change', showReceiver);

  // Description
  const description = h('textarea', { id: 'description', name: 'description', rows: 3, maxlength: limits?.description_max || 2000, placeholder: t('descriptionHint') });

  // Location
  const locStatus = h('p', { id: 'location-status', class: 'muted', 'aria-live': 'polite' }, t('locating'));
  const lat = h('input', { id: 'lat', type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
  const lon = h('input', { id: 'lon', type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
  const address = h('input', { id: 'address', maxlength: 255 });
  const manual = h('details', { class: 'manual' }, h('summary', {}, t('locationManual')),
    h('label', { for: 'lat' }, t('latitude')), lat, h('label', { for: 'lon' }, t('longitude')), lon,
    h('label', { for: 'address' }, t('address')), address);
  const relocate = h('button', { type: 'button', class: 'link', onclick: () => startLocating() }, t('retryLocation'));

  function currentPoint() {
    if (state.fix) return state.fix;
    const la = parseFloat(lat.value);
    const lo = parseFloat(lon.value);
    return Number.isFinite(la) && Number.isFinite(lo) ? { lat: la, lon: lo } : null;
  }

  function startLocating() {
    state.stopWatch?.();
    locStatus.textContent = t('locating');
    state.stopWatch = watchLocation(({ fix, final, error }) => {
      if (fix) {
        state.fix = fix;
        const m = Math.round(fix.accuracy_m);
        locStatus.textContent = final ? t('locationFix', { m }) : t('locationFixRefining', { m });
        showReceiver();
      } else if (error) {
        locStatus.textContent = t('locationNone', { reason: error });
        manual.open = true;
      }
    });
  }

  // Covert switch (暗访)
  const covert = h('input', { id: 'covert', type: 'checkbox', role: 'switch' });

  const submit = h('button', { type: 'submit', class: 'primary big' }, t('submit'));
  const formError = h('p', { class: 'error', role: 'alert', id: 'form-error' });

  const form = h('form', { class: 'card capture', novalidate: true },
    h('div', { class: 'field' }, photoLabel, photoInput, previews, photoError),
    h('div', { class: 'field' }, h('label', { for: 'category', class: 'field-name' }, t('category')), search, select, receiver),
    h('div', { class: 'field' }, h('label', { for: 'description', class: 'field-name' }, t('description')), description),
    h('fieldset', { class: 'field' }, h('legend', { class: 'field-name' }, t('location')), locStatus, relocate, manual),
    ['inspector', 'office', 'admin'].includes(session?.user?.role)
      ? h('div', { class: 'field switch' }, covert, h('label', { for: 'covert' }, t('covert')), h('span', { class: 'hint' }, t('covertHint')))
      : null,
    formError, submit);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    const category = categories.find((c) => c.code === select.value);
    const point = currentPoint();
    const problems = [];
    if (!category) problems.push(t('chooseCategory'));
    if (category?.photo_required && !state.photos.length) problems.push(t('photoNeeded'));
    if (!point) problems.push(t('locationRequired'));
    if (problems.length) { formError.textContent = problems.join('；'); return; }
    submit.disabled = true;
    submit.textContent = t('saving');
    try {
      const body = {
        id: uuid(), category: category.code, description: description.value.trim(),
        location: {
          lat: point.lat, lon: point.lon, accuracy_m: state.fix ? Math.round(state.fix.accuracy_m * 10) / 10 : null,
          source: state.fix ? 'device' : 'manual', address: address.value.trim() || null,
        },
        captured_at: new Date().toISOString(), covert: covert.checked,
      };
      await enqueueCase(body, state.photos);
      toast(t('saved'));
      navigator.storage?.persist?.();
      registerBackgroundSync();
      requestSync('capture');
      for (const p of state.photos) URL.revokeObjectURL(p.url);
      renderCapture();  // a fresh form at once; the network is never awaited
    } catch (err) {
      formError.textContent = t('saveFailed', { reason: err.message || String(err) });
      submit.disabled = false;
      submit.textContent = t('submit');
    }
  });

  mount(form);
  fillSelect();
  startLocating();
  window.addEventListener('hashchange', () => state.stopWatch?.(), { once: true });
}
