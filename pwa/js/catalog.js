// The catalog (actions, units, categories, zones, limits), cached in IndexedDB for offline capture.
import { request } from './api.js';
import { kvGet, kvSet } from './db.js';

let current = null;

export async function loadCatalog() {
  if (!current) current = (await kvGet('catalog')) || null;
  return current?.doc || null;
}

// Ask the server for a newer catalog; keep the cached one when offline or unchanged (304).
export async function refreshCatalog() {
  await loadCatalog();
  try {
    const headers = current?.etag ? { 'If-None-Match': current.etag } : {};
    const { status, data, resp } = await request('/api/catalog', { headers });
    if (status === 200) {
      current = { etag: resp.headers.get('ETag'), doc: data, fetched_at: new Date().toISOString() };
      await kvSet('catalog', current);
    }
  } catch { /* offline: the cached copy serves */ }
  return current?.doc || null;
}

function inRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function contains(geometry, lat, lon) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates]
    : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polys.some((rings) => inRing(lon, lat, rings[0]) && !rings.slice(1).some((hole) => inRing(lon, lat, hole)));
}

// The same rule as the server's routing: the highest-priority zone covering the point, else the category.
export function receivingUnit(doc, category, point) {
  if (point && doc?.zones?.length) {
    const zones = [...doc.zones].sort((a, b) => b.priority - a.priority);
    for (const zone of zones) {
      const scoped = (zone.action == null || zone.action === category.action)
        && (!zone.categories?.length || zone.categories.includes(category.code));
      if (scoped && contains(zone.geometry, point.lat, point.lon)) return { unit: zone.lead_unit, zone };
    }
  }
  return { unit: category.lead_unit, zone: null };
}
