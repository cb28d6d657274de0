// The map (office): Leaflet with clustered markers coloured by status, the gallery's filters,
// tiles from config (Tianditu WGS-84 or AMap GCJ-02), and markers on a plain background without tiles.
import { request } from '../api.js';
import { loadCatalog } from '../catalog.js';
import { statusLabel, t } from '../i18n.js';
import { h, mount } from '../ui.js';
import { filterForm } from './filters.js';

const COLOURS = { submitted: '#7a5af8', dispatched: '#f79009', accepted: '#2e90fa', resolved: '#12b76a', closed: '#667085', rejected: '#98a2b3' };
const CENTRE = [24.367, 109.49];  // 阳和工业新区

// Beside this module's own versioned URL, so the browser may cache Leaflet as long as the release.
const vendorUrl = (path) => new URL(`../../vendor/${path}`, import.meta.url).href;

function loadScript(src) {
  return new Promise((ok, fail) => {
    if (document.querySelector(`script[src="${src}"]`)) { ok(); return; }
    const s = h('script', { src });
    s.addEventListener('load', ok);
    s.addEventListener('error', fail);
    document.head.append(s);
  });
}

function loadCss(href) {
  if (!document.querySelector(`link[href="${href}"]`)) document.head.append(h('link', { rel: 'stylesheet', href }));
}

// WGS-84 → GCJ-02, for drawing on Chinese commercial tiles only; stored data stays WGS-84.
export function wgs84ToGcj02(lat, lon) {
  const a = 6378245.0;
  const ee = 0.00669342162296594323;
  const x = lon - 105.0;
  const y = lat - 35.0;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dLat += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  dLat += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  dLat += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dLon += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  dLon += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  dLon += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - ee * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((a * (1 - ee)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((a / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lat + dLat, lon + dLon];
}

export async function renderMap() {
  loadCss(vendorUrl('leaflet/leaflet.css'));
  loadCss(vendorUrl('markercluster/MarkerCluster.css'));
  loadCss(vendorUrl('markercluster/MarkerCluster.Default.css'));
  await loadScript(vendorUrl('leaflet/leaflet.js'));
  await loadScript(vendorUrl('markercluster/leaflet.markercluster.js'));
  const { L } = window;
  const doc = await loadCatalog();
  const cfg = doc?.map || {};
  const box = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('mapTitle') });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const legend = h('p', { class: 'legend' }, ...Object.entries(COLOURS).map(([s, c]) => h('span', { dataset: { colour: c } }, '● ', statusLabel(s))));
  const filters = await filterForm((p) => draw(p));
  mount(h('section', { class: 'card wide' }, h('h1', {}, t('mapTitle')), filters.form, legend, count, box));
  for (const span of legend.querySelectorAll('span')) span.style.color = span.dataset.colour;
  // Clustering needs a zoom range even when no tile layer brings one.
  const map = L.map(box, { minZoom: 3, maxZoom: 19 }).setView(CENTRE, 14);
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { attribution: cfg.attribution, subdomains: '01234567', maxZoom: 18 }).addTo(map);
  const project = (lat, lon) => (cfg.crs === 'gcj02' ? wgs84ToGcj02(lat, lon) : [lat, lon]);
  const cluster = L.markerClusterGroup({ chunkedLoading: true });
  map.addLayer(cluster);

  async function draw(params) {
    const { data } = await request(`/api/exports/cases.geojson?${params}`);
    cluster.clearLayers();
    const markers = data.features.map((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const m = L.circleMarker(project(lat, lon), { radius: 8, color: '#fff', weight: 2, fillOpacity: 0.9,
        fillColor: COLOURS[f.properties.status] || '#000', className: `marker marker-${f.properties.status}` });
      m.bindTooltip(`${f.properties.number} ${f.properties.category_name}`);
      m.on('click', () => { location.hash = `#/case/${f.id}`; });
      return m;
    });
    cluster.addLayers(markers);
    count.textContent = t('shown', { n: markers.length });
    if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 17 });
  }
  await draw(filters.params());
}
