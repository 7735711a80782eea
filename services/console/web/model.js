// model.js — one shape for what the stream and the query API send.
//
// The stream sends flat JSON objects with a "location": [lon, lat]; the query API sends
// GeoJSON Features with the same fields as properties. Both become a flat object with
// location, so the map and the queue handle live and historical items alike.

export function flatten(item) {
  if (!item || typeof item !== 'object') return null;
  if (item.type === 'Feature') {
    const flat = { ...(item.properties || {}) };
    const g = item.geometry;
    if (g && g.type === 'Point' && Array.isArray(g.coordinates)) flat.location = g.coordinates;
    return flat;
  }
  return item;
}

// [lat, lng] for Leaflet, or null when the item has no usable point.
export function latLng(location) {
  if (!Array.isArray(location) || location.length < 2) return null;
  const [lon, lat] = location.map(Number);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
  if (lon === 0 && lat === 0) return null;
  return [lat, lon];
}

export const SEVERITIES = ['extreme', 'severe', 'moderate', 'minor'];

export function severityOf(alert) {
  const s = String(alert.severity || '').toLowerCase();
  return SEVERITIES.includes(s) ? s : 'unknown';
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});

// Local clock time for today, date and time otherwise; '' for a missing time.
export function formatTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t);
  return d.toDateString() === new Date().toDateString() ? timeOnly.format(d) : dateTime.format(d);
}

// "12 s", "4 min", "3 h" — for lags and ages.
export function formatSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(Number(s))) return '–';
  s = Number(s);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

// "1 event", "3 events".
export function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
