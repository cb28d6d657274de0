// Sign-in: needs the network once; afterwards the session works offline until it expires.
import { ApiError, request } from '../api.js';
import { t } from '../i18n.js';
import { saveSession } from '../session.js';
import { h, mount } from '../ui.js';

export function renderLogin(onSignedIn) {
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, t('login'));
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', {}, t('appName')),
    h('label', { for: 'username' }, t('username')), username,
    h('label', { for: 'password' }, t('password')), password,
    error, button,
    h('p', { class: 'hint' }, t('loginNeedsNetwork')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    button.disabled = true;
    button.textContent = t('loggingIn');
    try {
      const { data } = await request('/api/auth/token', {
        method: 'POST', json: { username: username.value.trim(), password: password.value },
      });
      await saveSession({ token: data.token, expires_at: data.expires_at, user: data.user });
      onSignedIn(data.user);
    } catch (err) {
      error.textContent = t('loginFailed', { reason: err instanceof ApiError ? err.message : t('loginNeedsNetwork') });
    } finally {
      button.disabled = false;
      button.textContent = t('login');
    }
  });
  mount(form);
  username.focus();
}
