// Tiny DOM helpers: build elements without innerHTML, so server text can never become markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A view that awaited the network must not draw over the view the user has moved on to.
export function stillHere() {
  const hash = location.hash;
  return () => location.hash === hash;
}

export function mount(...nodes) {
  const view = document.getElementById('view');
  view.replaceChildren(...nodes);
  return view;
}

let toastTimer;
export function toast(message, ms = 4000) {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

export function banner(message, action) {
  const el = document.getElementById('banner');
  if (!message) { el.hidden = true; el.replaceChildren(); return; }
  el.replaceChildren(h('span', {}, message), action || '');
  el.hidden = false;
}
