// Photo thumbnails need the bearer token, so they are fetched by script and kept in IndexedDB
// (by sha256, immutable) for work lists that must show photos offline.
import { withDb } from './db.js';
import { getSession } from './session.js';

const urls = new Map();

export async function thumbUrl(sha256, variant = 'thumb') {
  const key = `${sha256}-${variant}`;
  if (urls.has(key)) return urls.get(key);
  let blob = await withDb((d) => d.get('thumbs', key));
  if (!blob) {
    const session = await getSession();
    try {
      const resp = await fetch(`/api/photos/${sha256}/${variant}`, { headers: { Authorization: `Bearer ${session?.token}` } });
      if (!resp.ok) return null;
      blob = await resp.blob();
      await withDb((d) => d.put('thumbs', blob, key));
    } catch {
      return null;  // offline and not cached
    }
  }
  const url = URL.createObjectURL(blob);
  urls.set(key, url);
  return url;
}

// An <img> that fills in when its thumbnail arrives.
export function thumbImg(h, photo, alt, variant = 'thumb') {
  const img = h('img', { alt, class: 'thumb', loading: 'lazy' });
  if (photo?.received) thumbUrl(photo.sha256, variant).then((url) => { if (url) img.src = url; });
  return img;
}
