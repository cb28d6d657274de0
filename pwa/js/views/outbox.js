// The outbox: what waits on the phone, each item's state, sync on demand, storage, sign-out.
import { loadCatalog } from '../catalog.js';
import { formatBytes, formatTime, roleLabel, statusLabel, t } from '../i18n.js';
import { deleteItem, listOutbox, onOutboxChange, unsentItems } from '../outbox.js';
import { getSession } from '../session.js';
import { onSyncState, requestSync, syncState } from '../sync.js';
import { h, mount } from '../ui.js';

const OLD_MS = 3 * 24 * 3600 * 1000;

function stateText(item) {
  if (item.state === 'synced') {
    const r = item.result || {};
    if (item.kind === 'transition') return `${t('stateSynced')} · ${r.number} · ${statusLabel(r.status || 'submitted')}`;
    return `${t('stateSynced')} · ${t('syncedAs', { number: r.number, unit: r.lead_unit?.name || '' })}`;
  }
  if (item.state === 'uploading') return t('stateUploading', { done: item.uploaded.length, total: (item.photos || item.body.photos).length });
  if (item.state === 'failed') return `${t('stateFailed')}：${item.error}`;
  return item.error ? `${t('stateQueued')} · ${t('retryIn', { reason: item.error })}` : t('stateQueued');
}

export async function renderOutbox({ onSignOut }) {
  const doc = await loadCatalog();
  const names = Object.fromEntries((doc?.categories || []).map((c) => [c.code, c.name]));
  const list = h('ul', { class: 'outbox', 'aria-label': t('outboxTitle') });
  const warning = h('p', { class: 'warning', role: 'alert', hidden: true });
  const storage = h('p', { class: 'muted', id: 'storage' });
  const syncButton = h('button', { type: 'button', class: 'primary', id: 'sync-now', onclick: () => requestSync('manual') }, t('syncNow'));
  const accountNote = h('p', { class: 'error', role: 'alert' });
  const session = await getSession();
  const account = h('section', { class: 'account' },
    h('p', {}, t('signedInAs', { name: session?.user?.display_name || session?.user?.username || '', role: roleLabel(session?.user?.role || 'inspector') })),
    h('button', { type: 'button', onclick: async () => {
      const unsent = await unsentItems();
      if (unsent.length) { accountNote.textContent = t('logoutBlocked', { n: unsent.length }); return; }
      onSignOut();
    } }, t('logout')),
    accountNote);

  async function draw() {
    const items = (await listOutbox()).reverse();
    list.replaceChildren(...(items.length ? items.map((item) => h('li', { class: `item item-${item.state}`, dataset: { id: item.id } },
      h('div', { class: 'item-head' }, h('strong', {}, item.kind === 'transition' ? item.label : (names[item.body.category] || item.body.category)), ' ',
        h('span', { class: 'muted' }, formatTime(item.created_at))),
      h('div', { class: 'item-state' }, stateText(item)),
      item.state === 'failed' ? h('button', { type: 'button', class: 'link danger', onclick: async () => {
        if (confirm(t('confirmDelete'))) await deleteItem(item.id);
      } }, t('deleteItem')) : null)) : [h('li', { class: 'muted' }, t('emptyOutbox'))]));
    const old = items.filter((i) => i.state !== 'synced' && Date.now() - new Date(i.created_at) > OLD_MS);
    warning.hidden = !old.length;
    warning.textContent = old.length ? t('oldItems', { n: old.length }) : '';
    const s = syncState();
    syncButton.disabled = s.syncing;
    syncButton.textContent = s.syncing ? t('syncing') : t('syncNow');
  }

  async function drawStorage() {
    const parts = [];
    if (navigator.storage?.estimate) {
      const { usage, quota } = await navigator.storage.estimate();
      parts.push(t('storageUse', { used: formatBytes(usage), quota: formatBytes(quota) }));
    }
    if (navigator.storage?.persisted) parts.push((await navigator.storage.persisted()) ? t('persisted') : t('notPersisted'));
    storage.textContent = parts.join(' ');
  }

  mount(h('section', { class: 'card' }, h('h1', {}, t('outboxTitle')), warning, syncButton, list, storage, account));
  const offA = onOutboxChange(draw);
  const offB = onSyncState(draw);
  window.addEventListener('hashchange', () => { offA(); offB(); }, { once: true });
  await draw();
  await drawStorage();
}
