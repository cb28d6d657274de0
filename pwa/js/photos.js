// Photo checks on the phone: real type from the first bytes, size limit, SHA-256 with SubtleCrypto.
const SIGNATURES = [
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'image/webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { type: 'image/heic', test: (b) => ascii(b, 4, 8) === 'ftyp' && /^(heic|heix|mif1|msf1|heim|heis|hevc|hevx)$/.test(ascii(b, 8, 12)) },
];

function ascii(bytes, start, end) {
  return String.fromCharCode(...bytes.subarray(start, end));
}

// crypto.randomUUID exists only in newer browsers; getRandomValues everywhere.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sniffType(bytes) {
  return SIGNATURES.find((s) => s.test(bytes))?.type || null;
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Read a chosen file once: its bytes become the stored Blob, its digest and real type the declaration.
export async function preparePhoto(file, limits) {
  const buffer = await file.arrayBuffer();
  const type = sniffType(new Uint8Array(buffer, 0, Math.min(16, buffer.byteLength)));
  if (!type) return { error: 'photoNotImage' };
  if (limits && buffer.byteLength > limits.photo_max_bytes) return { error: 'photoTooBig' };
  return {
    id: uuid(),
    name: file.name,
    blob: new Blob([buffer], { type }),
    sha256: await sha256Hex(buffer),
    size: buffer.byteLength,
    content_type: type,
  };
}
