// Boot and routing: service worker, session, catalog, sync triggers, the outbox badge, views by #hash.
import { request } from './api.js';
import { refreshCatalog } from './catalog.js';
import { currentLang, setLang, t } from './i18n.js';
import { onOutboxChange, unsentItems } from './outbox.js';
import { clearSession, getSession } from './session.js';
import { onSyncState, startSyncTriggers } from './sync.js';
import { banner, h } from './ui.js';
import { renderCapture } from './views/capture.js';
import { renderAdmin } from './views/admin.js';
import { renderCaseDetail } from './views/casedetail.js';
import { renderCases } from './views/cases.js';
import { renderBulletin, renderEvaluation } from './views/evaluation.js';
import { renderGallery } from './views/gallery.js';
import { renderMap } from './views/map.js';
import { renderLogin } from './views/login.js';
import { renderOutbox } from './views/outbox.js';
import { LISTS, renderWorklist } from './views/worklist.js';

let syncStarted = false;

async function updateBadge() {
  const n = (await unsentItems()).length;
  const badge = document.getElementById('outbox-badge');
  badge.textContent = t('badge', { n });
  badge.classList.toggle('has-items', n > 0);
}

function translateStatic() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const lang = document.getElementById('lang-switch');
  lang.textContent = t('langSwitch');
  lang.setAttribute('aria-label', t('langSwitchLabel'));
  document.title = `${t('appName')} Xuncha`;
}

async function signOut() {
  try { await request('/api/auth/token', { method: 'DELETE' }); } catch { /* offline: the token expires anyway */ }
  await clearSession();
  route();
}

async function route() {
  const session = await getSession();
  document.querySelector('.topnav').hidden = !session;
  document.body.classList.toggle('bulletin-page', location.hash.startsWith('#/bulletin'));
  if (!session) {
    renderLogin(async () => { location.hash = ''; await start(); route(); });
    return;
  }
  const role = session.user.role;
  const home = { liaison: 'inbox', office: 'triage', admin: 'triage' }[role] || 'capture';
  const [page, arg, arg2] = (location.hash.replace(/^#\/?/, '') || home).split('/');
  for (const a of document.querySelectorAll('.topnav a')) {
    const roles = a.dataset.roles?.split(' ');
    a.hidden = Boolean(roles && !roles.includes(role));
    a.toggleAttribute('aria-current', a.getAttribute('href') === `#/${page}`);
  }
  const notifyPage = role === 'inspector' ? 'cases' : home;
  showNewItems(notifyPage, page === notifyPage);
  if (page === 'outbox') await renderOutbox({ onSignOut: signOut });
  else if (page === 'cases') await renderCases();
  else if (page === 'case' && arg) await renderCaseDetail(arg);
  else if (page === 'gallery' && role !== 'inspector' && role !== 'liaison') await renderGallery();
  else if (page === 'map' && role !== 'inspector' && role !== 'liaison') await renderMap();
  else if (page === 'evaluation' && role !== 'inspector' && role !== 'liaison') await renderEvaluation(arg, arg2);
  else if (page === 'bulletin' && arg && arg2) await renderBulletin(arg, arg2);
  else if (page === 'admin' && role !== 'inspector' && role !== 'liaison') await renderAdmin();
  else if (page in LISTS) await renderWorklist(page);
  else if (page === 'capture' && role !== 'liaison') await renderCapture();
  else await renderWorklist('inbox');
  updateBadge();
}

// The in-app count of cases that changed since the user last opened their home list.
async function showNewItems(notifyPage, atHome) {
  const homeLink = document.querySelector(`.topnav a[href="#/${notifyPage}"]`);
  if (!homeLink) return;
  homeLink.querySelector('.new-count')?.remove();
  try {
    const { data } = await request(atHome ? '/api/notifications/seen' : '/api/notifications', { method: atHome ? 'POST' : 'GET' });
    if (data.count > 0) homeLink.append(h('span', { class: 'new-count', 'aria-label': t('newItems', { n: data.count }) }, String(data.count)));
  } catch { /* offline */ }
}

function showConnectivity() {
  banner(navigator.onLine ? null : t('offline'));
}

async function start() {
  if (!(await getSession()) || syncStarted) return;
  syncStarted = true;
  await refreshCatalog();
  startSyncTriggers();
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  let updateRequested = false;
  // Reload once, and only after the user tapped "update" (not when the first worker claims the page).
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!updateRequested) return;
    updateRequested = false;
    location.reload();
  });
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then((reg) => {
    const offer = (worker) => {
      if (!worker || !navigator.serviceWorker.controller) return;  // first install: nothing to update
      banner(t('updateReady'), h('button', { type: 'button', class: 'primary', onclick: () => {
        updateRequested = true;
        worker.postMessage({ type: 'SKIP_WAITING' });
      } }, t('updateNow')));
    };
    if (reg.waiting) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker?.addEventListener('statechange', () => { if (worker.state === 'installed') offer(worker); });
    });
  }).catch(() => { /* no service worker (e.g. plain HTTP): the app still works online */ });
}

async function boot() {
  setLang(currentLang());
  translateStatic();
  document.getElementById('lang-switch').addEventListener('click', () => {
    setLang(currentLang() === 'zh' ? 'en' : 'zh');
    translateStatic();
    route();
  });
  registerServiceWorker();
  onOutboxChange(updateBadge);
  onSyncState((s) => {
    if (s.authExpired) banner(t('sessionExpired'), h('button', { type: 'button', onclick: async () => { await clearSession(); route(); } }, t('login')));
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('online', showConnectivity);
  window.addEventListener('offline', showConnectivity);
  showConnectivity();
  await start();
  await route();
}

boot();
