// Evaluation (综合考评) for a period, with charts, and the printable bulletin (通报).
import { download, request } from '../api.js';
import { formatTime, t } from '../i18n.js';
import { thumbImg } from '../thumbs.js';
import { h, mount } from '../ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const pct = (r) => (r == null ? '—' : `${(r * 100).toFixed(1)}%`);

function stages(year) {
  return [[t('stagePlanning'), `${year}-04-01`, `${year}-05-31`], [t('stagePush'), `${year}-05-01`, `${year}-09-30`],
    [t('stageEvaluation'), `${year}-10-01`, `${year}-12-31`], [t('wholeYear'), `${year}-01-01`, `${year}-12-31`]];
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

function barChart(units) {
  const rows = units.filter((u) => u.score != null);
  const height = rows.length * 26 + 10;
  const chart = svg('svg', { viewBox: `0 0 640 ${height}`, class: 'chart', role: 'img', 'aria-label': t('scoreChart') });
  rows.forEach((u, i) => {
    const y = i * 26 + 5;
    chart.append(svg('text', { x: 0, y: y + 15, class: 'chart-label' }, u.unit.name),
      svg('rect', { x: 190, y, width: Math.max(1, u.score * 4), height: 18, class: u.ranked ? 'bar' : 'bar unranked' }),
      svg('text', { x: 196 + u.score * 4, y: y + 15, class: 'chart-value' }, String(u.score)));
  });
  return chart;
}

function trendChart(trend) {
  const max = Math.max(1, ...trend.map((w) => Math.max(w.found, w.closed)));
  const step = trend.length > 1 ? 600 / (trend.length - 1) : 0;
  const line = (key) => trend.map((w, i) => `${20 + i * step},${190 - (w[key] / max) * 170}`).join(' ');
  return svg('svg', { viewBox: '0 0 640 210', class: 'chart', role: 'img', 'aria-label': t('trendChart') },
    svg('polyline', { points: line('found'), class: 'line found' }), svg('polyline', { points: line('closed'), class: 'line closed' }),
    svg('text', { x: 20, y: 206, class: 'chart-label' }, `${trend[0]?.week || ''} … ${trend[trend.length - 1]?.week || ''}`),
    svg('text', { x: 420, y: 14, class: 'chart-label found' }, t('found')), svg('text', { x: 520, y: 14, class: 'chart-label closed' }, t('closedLabel')));
}

const FULL = ['rank', 'unit', 'assigned', 'closed', 'closed_on_time', 'open_overdue', 'returned', 'extended',
  'closure_rate', 'on_time_rate', 'rework_rate', 'overdue_rate', 'extension_rate', 'median_hours_to_resolve', 'score'];
// An A4 page has room for the figures the management committee reads first.
const COMPACT = ['rank', 'unit', 'assigned', 'closed', 'closure_rate', 'on_time_rate', 'rework_rate', 'overdue_rate', 'score'];

function unitTable(units, head = FULL) {
  return h('table', { class: 'ranking' },
    h('thead', {}, h('tr', {}, ...head.map((k) => h('th', { scope: 'col' }, t(`col_${k}`))))),
    h('tbody', {}, ...units.map((u) => h('tr', { class: u.ranked ? '' : 'unranked' }, ...head.map((k) => {
      if (k === 'unit') return h('th', { scope: 'row' }, u.unit.name);
      if (k === 'rank') return h('td', {}, u.rank ?? t('notRanked'));
      return h('td', {}, k.endsWith('_rate') ? pct(u[k]) : (u[k] ?? '—'));
    })))));
}

export async function renderEvaluation(from, to) {
  const year = new Date().getFullYear();
  from = from || `${year}-01-01`;
  to = to || `${year}-12-31`;
  const { data } = await request(`/api/evaluation?from=${from}&to=${to}`);
  const exportXlsx = () => download(`/api/exports/evaluation.xlsx?from=${from}&to=${to}`, `evaluation-${from}-${to}.xlsx`);
  mount(h('section', { class: 'card wide' }, h('h1', {}, t('evaluationTitle')),
    h('nav', { class: 'periods' }, ...stages(year).map(([label, f, e]) => h('a', { href: `#/evaluation/${f}/${e}` }, label))),
    h('p', {}, t('period', { from, to }), ' · ', t('minCases', { n: data.min_cases })),
    h('p', { class: 'actions-row' }, h('button', { type: 'button', onclick: exportXlsx }, t('exportXlsx')),
      h('a', { href: `#/bulletin/${from}/${to}`, class: 'button' }, t('bulletin'))),
    h('h2', {}, t('scoreChart')), barChart(data.units), h('h2', {}, t('trendChart')), trendChart(data.trend),
    h('h2', {}, t('unitRanking')), unitTable(data.units),
    h('h2', {}, t('byAction')), h('table', { class: 'ranking' }, h('tbody', {}, ...data.actions.map((a) => h('tr', {},
      h('th', { scope: 'row' }, a.action.name), h('td', {}, a.assigned), h('td', {}, pct(a.closure_rate)), h('td', {}, pct(a.on_time_rate)), h('td', {}, a.score)))))));
}

export async function renderBulletin(from, to) {
  const [{ data }, overdue, covert] = await Promise.all([
    request(`/api/evaluation?from=${from}&to=${to}`),
    request('/api/reports?overdue=true&order=due&limit=8'),
    request(`/api/reports?source=covert&from=${new Date(`${from}T00:00:00+08:00`).toISOString()}&limit=200`),
  ]);
  const totals = data.totals;
  mount(h('article', { class: 'bulletin' },
    h('header', {}, h('p', { class: 'issuer' }, t('bulletinIssuer')), h('h1', {}, t('bulletinTitle', { from, to })),
      h('p', { class: 'muted' }, t('printedAt', { at: formatTime(new Date().toISOString()) }))),
    h('section', {}, h('h2', {}, t('summary')), h('p', {}, t('bulletinSummary', {
      assigned: totals.assigned, closed: totals.closed, closure: pct(totals.closure_rate), onTime: pct(totals.on_time_rate),
      overdue: totals.open_overdue, returned: totals.returned }))),
    h('section', {}, h('h2', {}, t('unitRanking')), unitTable(data.units, COMPACT)),
    h('section', {}, h('h2', {}, t('worstOverdue')), overdue.data.items.length ? h('ol', { class: 'overdue-cases' }, ...overdue.data.items.map((c) => {
      const before = c.photos.find((p) => p.role === 'before' && p.received);
      const after = c.photos.filter((p) => p.role === 'after' && p.received).pop();
      return h('li', {}, h('div', { class: 'pair' }, thumbImg(h, before, t('beforePhotos')), after ? thumbImg(h, after, t('afterPhotos')) : null),
        h('p', {}, h('strong', {}, `${c.number} ${c.category_name}`), ` · ${c.lead_unit.name} · ${t('due', { at: formatTime(c.due_at) })}`));
    })) : h('p', {}, t('none'))),
    h('section', {}, h('h2', {}, t('covertFindings')), h('p', {}, t('covertCount', { n: covert.data.items.length })),
      h('ul', {}, ...Object.entries(covert.data.items.reduce((acc, c) => { acc[c.category_name] = (acc[c.category_name] || 0) + 1; return acc; }, {}))
        .map(([name, n]) => h('li', {}, `${name}：${n}`)))),
    h('p', { class: 'no-print' }, h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, t('print')))));
}
