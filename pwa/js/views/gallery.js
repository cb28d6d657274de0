// The evidence gallery (office): before/after pairs, filters, cursor paging, and a viewer with the
// original, its EXIF, SHA-256, the device fix and the integrity flags; ←/→ move, Esc closes.
import { request } from '../api.js';
import { formatTime, statusLabel, t } from '../i18n.js';
import { thumbImg, thumbUrl } from '../thumbs.js';
import { h, mount } from '../ui.js';
import { exportButtons, filterForm } from './filters.js';

const pairOf = (c) => [c.photos.find((p) => p.role === 'before' && p.received), c.photos.filter((p) => p.role === 'after' && p.received).pop()];

function card(c, index, open) {
  const [before, after] = pairOf(c);
  return h('li', { class: 'tile' }, h('button', { type: 'button', class: 'tile-button', dataset: { index }, onclick: () => open(index) },
    h('div', { class: after ? 'pair' : 'single' }, thumbImg(h, before, t('beforePhotos')), after ? thumbImg(h, after, t('afterPhotos')) : null),
    h('div', { class: 'tile-text' }, h('strong', {}, c.category_name), ' ', h('span', { class: `status status-${c.status}` }, statusLabel(c.status)),
      h('div', { class: 'muted' }, `${c.number} · ${c.lead_unit.name}`),
      c.flags?.length ? h('div', { class: 'flag-mark' }, `⚠ ${c.flags.length}`) : null)));
}

function exifRows(p) {
  const e = p.exif || {};
  const rows = [['SHA-256', p.sha256], [t('size'), `${p.width}×${p.height} · ${Math.round(p.size / 1024)} KB`],
    [t('device'), [e.make, e.model].filter(Boolean).join(' ') || '—'], [t('takenAt'), e.taken_at_text || '—'],
    ['EXIF GPS', e.lat != null ? `${e.lat}, ${e.lon}` : '—']];
  return h('table', { class: 'exif' }, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
}

function viewer(cases) {
  const dlg = h('dialog', { class: 'viewer gallery-viewer', 'aria-label': t('viewer') });
  let index = 0;
  const show = () => {
    const c = cases[index];
    const photos = c.photos.filter((p) => p.received);
    dlg.replaceChildren(
      h('header', {}, h('strong', {}, `${c.number} ${c.category_name}`), ' ', statusLabel(c.status),
        h('button', { type: 'button', class: 'close', 'aria-label': t('close'), onclick: () => dlg.close() }, '×')),
      h('div', { class: 'viewer-photos' }, ...photos.map((p) => {
        const link = h('a', { target: '_blank', rel: 'noopener' }, t('original'));
        thumbUrl(p.sha256, 'original').then((url) => { if (url) link.href = url; });
        return h('figure', {}, thumbImg(h, p, `${t(p.role === 'before' ? 'beforePhotos' : p.role === 'after' ? 'afterPhotos' : 'verifyPhotos')}`, 'medium'),
          h('figcaption', {}, t(p.role === 'before' ? 'beforePhotos' : p.role === 'after' ? 'afterPhotos' : 'verifyPhotos'), ' · ', link), exifRows(p));
      })),
      h('p', {}, `${t('deviceFix')}: ${c.location.lat}, ${c.location.lon} ± ${c.location.accuracy_m ?? '?'} m (${c.location.source}) · ${formatTime(c.captured_at)}`),
      c.flags?.length ? h('ul', { class: 'flags' }, ...c.flags.map((f) => h('li', {}, f.message))) : h('p', { class: 'muted' }, t('noFlags')),
      h('p', {}, h('a', { href: `#/case/${c.id}` }, t('openCase')), ' · ', t('keyboardHint')));
    dlg.querySelector('.close').focus();  // the old content took the focus with it
  };
  dlg.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' && index < cases.length - 1) { index += 1; show(); }
    if (e.key === 'ArrowLeft' && index > 0) { index -= 1; show(); }
  });
  dlg.addEventListener('close', () => dlg.remove());
  return { open(i) { index = i; show(); document.body.append(dlg); dlg.showModal(); } };
}

export async function renderGallery() {
  const grid = h('ul', { class: 'gallery', 'aria-label': t('galleryTitle') });
  const more = h('button', { type: 'button', hidden: true }, t('loadMore'));
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  let cases = [];
  let cursor = null;
  let params = new URLSearchParams();
  const open = (i) => viewer(cases).open(i);
  async function load(reset) {
    if (reset) { cases = []; cursor = null; grid.replaceChildren(); }
    const p = new URLSearchParams(params);
    p.set('limit', '48');
    if (cursor) p.set('cursor', cursor);
    const { data } = await request(`/api/reports?${p}`);
    const start = cases.length;
    cases.push(...data.items);
    grid.append(...data.items.map((c, i) => card(c, start + i, open)));
    cursor = data.next_cursor;
    more.hidden = !cursor;
    count.textContent = t('shown', { n: cases.length });
  }
  more.addEventListener('click', () => load(false));
  const filters = await filterForm((p) => { params = p; load(true); });
  params = filters.params();
  mount(h('section', { class: 'card wide' }, h('h1', {}, t('galleryTitle')), filters.form, exportButtons(filters.params), count, grid, more));
  await load(true);
}
