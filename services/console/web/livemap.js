// livemap.js — the live map: jurisdiction polygons, event dots, near-repeat links, alerts.
//
// No tile layer (air-gapped, and a street map would drown the data on a dark screen): the
// beats and districts from /api/v1/boundaries are the map. Thousands of event dots and links
// go to canvas renderers; the few alerts and the polygons are SVG so they can pulse, take
// hover labels, and be found by the browser test (data-testid on each path). Everything is
// bounded: the oldest dots, links and alert markers are dropped past their caps.
/* global L */
import { latLng, severityOf } from './model.js';

const MAX_EVENTS = 4000;
const MAX_LINKS = 1500;
const MAX_ALERT_MARKERS = 600;
const FADE = [0.95, 0.75, 0.55, 0.4, 0.25]; // fill opacity by age band, newest first
const PULSE_MS = 10 * 60 * 1000; // a new alert pulses this long after it arrived, unless handled
const MAX_PULSING = 20; // and only the newest few: hundreds of animated paths would stall the page
const SEVERITY_RADIUS = { extreme: 9, severe: 7, moderate: 6, minor: 5, unknown: 5 };
const SEVERITY_COLOUR = {
  extreme: '#ff4040', severe: '#ff9a1f', moderate: '#ffe14d', minor: '#5cc8ff', unknown: '#b8c4d0',
};

function s_label(lines) {
  const box = document.createElement('div');
  for (const line of lines.filter(Boolean)) {
    const div = document.createElement('div');
    div.textContent = line;
    box.append(div);
  }
  return box;
}

export class LiveMap {
  // onAlertClick(alertId) is called when an alert marker is clicked.
  constructor(element, { onAlertClick }) {
    this.onAlertClick = onAlertClick;
    this.map = L.map(element, { attributionControl: false, zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
    this.map.setView([0, 0], 3);
    // one pane per severity, so an extreme alert is never hidden under a lesser one
    const panes = [['beats', 400, true], ['districts', 405, true], ['events', 410, false],
      ['links', 415, false], ['alerts-unknown', 420, true], ['alerts-minor', 421, true],
      ['alerts-moderate', 422, true], ['alerts-severe', 423, true], ['alerts-extreme', 424, true]];
    for (const [name, z, interactive] of panes) {
      const pane = this.map.createPane(name);
      pane.style.zIndex = z;
      if (!interactive) pane.style.pointerEvents = 'none';
    }
    this.eventRenderer = L.canvas({ pane: 'events' });
    this.linkRenderer = L.canvas({ pane: 'links' });
    this.eventLayer = L.layerGroup().addTo(this.map);
    this.linkLayer = L.layerGroup().addTo(this.map);
    this.alertLayer = L.layerGroup().addTo(this.map);
    this.events = []; // {marker, event, band, shown}, oldest first
    this.eventsById = new Map(); // event_id → entry (for signals that name only ids)
    this.links = []; // {signalId, lines, signal}, oldest first
    this.linksBySignal = new Map();
    this.alerts = new Map(); // alert_id → {marker, alert, liveSince}
    this.beatLayer = null;
    this.districtLayer = null;
    this.pulsing = new Set(); // alert items whose marker pulses (chosen in fade())
  }

  // Draws the two boundary layers (GeoJSON FeatureCollections); returns the path counts.
  setBoundaries(beats, districts) {
    if (this.beatLayer) this.beatLayer.remove();
    if (this.districtLayer) this.districtLayer.remove();
    const hover = (layer, on) => layer.setStyle({ fillOpacity: on ? 0.55 : 0.25, weight: on ? 2 : 0.8 });
    this.beatLayer = L.geoJSON(beats, {
      pane: 'beats',
      style: { color: '#6f88a3', weight: 0.8, fillColor: '#1c2a38', fillOpacity: 0.25 },
      onEachFeature: (feature, layer) => {
        const p = feature.properties || {};
        const district = p.district || p.parent_code;
        layer.bindTooltip(s_label([`Beat ${p.code}`, p.name && p.name !== p.code ? p.name : '',
          district ? `District ${district}` : '']), { sticky: true, direction: 'top' });
        layer.on('mouseover', () => hover(layer, true));
        layer.on('mouseout', () => hover(layer, false));
      },
    }).addTo(this.map);
    // fill: false leaves only the bold outline hoverable, so inside a district the beat's
    // label shows and on its border the district's
    this.districtLayer = L.geoJSON(districts, {
      pane: 'districts',
      style: { color: '#c5d8ec', weight: 3, fill: false },
      onEachFeature: (feature, layer) => {
        const p = feature.properties || {};
        layer.bindTooltip(s_label([`District ${p.code}`, p.name && p.name !== p.code ? p.name : '']),
          { sticky: true, direction: 'top' });
      },
    }).addTo(this.map);
    const tag = (group, testid) => group.eachLayer((layer) => {
      const el = layer.getElement && layer.getElement();
      if (!el) return;
      el.setAttribute('data-testid', testid);
      el.setAttribute('data-code', (layer.feature.properties || {}).code || '');
    });
    tag(this.beatLayer, 'beat-path');
    tag(this.districtLayer, 'district-path');
    const bounds = this.districtLayer.getBounds().isValid() ? this.districtLayer.getBounds() : this.beatLayer.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [10, 10] });
    return { beats: this.beatLayer.getLayers().length, districts: this.districtLayer.getLayers().length };
  }

  addEvent(event, filters) {
    const at = latLng(event.location);
    if (!at) return false;
    const known = this.eventsById.get(event.event_id);
    if (known) { // a revision: move the dot, keep its place in the age order
      known.event = event;
      known.marker.setLatLng(at);
      this.s_show(known, filters.matchesEvent(event));
      return true;
    }
    const marker = L.circleMarker(at, {
      renderer: this.eventRenderer, radius: 3, stroke: false, fillColor: '#cfe3f7',
      fillOpacity: FADE[0], interactive: false,
    });
    const entry = { marker, event, band: 0, shown: false };
    this.events.push(entry);
    if (event.event_id) this.eventsById.set(event.event_id, entry);
    this.s_show(entry, filters.matchesEvent(event));
    return true;
  }

  // Drops the oldest dots past the cap (once per frame: one splice, not one per event).
  s_trimEvents() {
    if (this.events.length <= MAX_EVENTS) return;
    for (const old of this.events.splice(0, this.events.length - MAX_EVENTS)) {
      if (old.shown) this.eventLayer.removeLayer(old.marker);
      if (this.eventsById.get(old.event.event_id) === old) this.eventsById.delete(old.event.event_id);
    }
  }

  s_show(entry, show) {
    if (show === entry.shown) return;
    entry.shown = show;
    if (show) this.eventLayer.addLayer(entry.marker);
    else this.eventLayer.removeLayer(entry.marker);
  }

  // Once per frame: trims, dims dots by their age rank (only the few that cross a band
  // boundary are restyled), and lets only the newest unhandled alerts pulse.
  fade() {
    this.s_trimEvents();
    const n = this.events.length;
    for (let i = 0; i < n; i++) {
      const entry = this.events[i];
      const band = Math.min(FADE.length - 1, Math.floor(((n - 1 - i) / MAX_EVENTS) * FADE.length));
      if (band !== entry.band) {
        entry.band = band;
        entry.marker.setStyle({ fillOpacity: FADE[band] });
      }
    }
    const now = Date.now();
    const pulsing = [...this.alerts.values()].filter((item) => this.s_wantsPulse(item, now))
      .sort((a, b) => b.liveSince - a.liveSince).slice(0, MAX_PULSING);
    this.pulsing = new Set(pulsing);
    for (const item of this.alerts.values()) this.s_pulse(item);
  }

  s_wantsPulse(item, now) {
    return item.alert.state === 'new' && item.liveSince > 0 && now - item.liveSince < PULSE_MS;
  }

  // A near-repeat: a line from the signal's event to each related earlier event.
  addSignal(signal, filters) {
    const from = latLng(signal.location) || this.s_eventLatLng(signal.event_id);
    if (!from || !Array.isArray(signal.related)) return;
    const id = signal.signal_id || signal.event_id;
    const previous = this.linksBySignal.get(id); // a revised signal lists more partners
    if (previous) previous.lines.forEach((line) => this.linkLayer.removeLayer(line));
    const lines = [];
    for (const related of signal.related) {
      const to = latLng(related.location) || this.s_eventLatLng(related.event_id);
      if (!to) continue;
      lines.push(L.polyline([from, to], {
        renderer: this.linkRenderer, color: '#e08cff', weight: 2, opacity: 0.85, interactive: false,
      }));
    }
    const entry = previous || { signalId: id, lines: [], signal };
    entry.lines = lines;
    entry.signal = signal;
    if (!previous) {
      this.links.push(entry);
      this.linksBySignal.set(id, entry);
    }
    if (filters.matchesEvent(signal)) lines.forEach((line) => this.linkLayer.addLayer(line));
    while (this.links.length > MAX_LINKS) {
      const old = this.links.shift();
      old.lines.forEach((line) => this.linkLayer.removeLayer(line));
      this.linksBySignal.delete(old.signalId);
    }
  }

  s_eventLatLng(eventId) {
    const entry = eventId && this.eventsById.get(eventId);
    return entry ? entry.marker.getLatLng() : null;
  }

  // Adds or updates an alert's marker. live: it came on the stream (pulses while new).
  upsertAlert(alert, live, filters) {
    let item = this.alerts.get(alert.alert_id);
    const at = latLng(alert.location);
    if (!item) {
      if (!at) return;
      const severity = severityOf(alert);
      const colour = SEVERITY_COLOUR[severity];
      const marker = L.circleMarker(at, {
        pane: `alerts-${severity}`, radius: SEVERITY_RADIUS[severity], color: colour, weight: 2, fillColor: colour, fillOpacity: 0.7,
        className: `wf-alert wf-sev-${severity}`,
      });
      marker.bindTooltip(s_label([alert.title, alert.state]), { direction: 'top' });
      marker.on('click', () => this.onAlertClick(alert.alert_id));
      item = { marker, alert, liveSince: live ? Date.now() : 0, shown: false };
      this.alerts.set(alert.alert_id, item);
      this.s_trimAlerts();
    } else {
      item.alert = { ...item.alert, ...alert };
      item.marker.setTooltipContent(s_label([item.alert.title, item.alert.state]));
    }
    // a closed alert stays findable but recedes, so open ones stand out
    const closed = item.alert.state === 'closed';
    item.marker.setStyle({ opacity: closed ? 0.35 : 1, fillOpacity: closed ? 0.15 : 0.7 });
    this.s_showAlert(item, filters.matchesAlert(item.alert));
  }

  s_showAlert(item, show) {
    if (show !== item.shown) {
      item.shown = show;
      if (show) this.alertLayer.addLayer(item.marker);
      else this.alertLayer.removeLayer(item.marker);
    }
    const el = item.marker.getElement && item.marker.getElement();
    if (show && el) {
      el.setAttribute('data-testid', 'alert-marker');
      el.setAttribute('data-alert-id', item.alert.alert_id);
      el.setAttribute('data-state', item.alert.state || '');
      this.s_pulse(item);
    }
  }

  s_pulse(item) {
    const el = item.shown && item.marker.getElement();
    if (!el) return;
    el.classList.toggle('wf-new', this.pulsing.has(item) && item.alert.state === 'new');
  }

  s_trimAlerts() {
    if (this.alerts.size <= MAX_ALERT_MARKERS) return;
    const oldest = this.alerts.keys().next().value; // Map keeps insertion order
    this.alertLayer.removeLayer(this.alerts.get(oldest).marker);
    this.alerts.delete(oldest);
  }

  // Shows exactly what the filters let through.
  applyFilters(filters) {
    for (const entry of this.events) this.s_show(entry, filters.matchesEvent(entry.event));
    for (const entry of this.links) {
      const show = filters.matchesEvent(entry.signal);
      entry.lines.forEach((line) => (show ? this.linkLayer.addLayer(line) : this.linkLayer.removeLayer(line)));
    }
    for (const item of this.alerts.values()) this.s_showAlert(item, filters.matchesAlert(item.alert));
  }

  focusAlert(alertId) {
    const item = this.alerts.get(alertId);
    if (!item) return;
    this.map.setView(item.marker.getLatLng(), Math.max(this.map.getZoom(), 14));
    if (item.shown) item.marker.openTooltip();
  }

  // minlon,minlat,maxlon,maxlat of the current view, for the events query; clamped to the
  // earth, which the API requires (a zoomed-out view is wider than the world).
  bbox() {
    const b = this.map.getBounds();
    const clamp = (v, limit) => Math.min(limit, Math.max(-limit, v)).toFixed(5);
    return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180),
      clamp(b.getNorth(), 90)].join(',');
  }

  // Near-repeat lines held (drawn or filtered out).
  lineCount() {
    let n = 0;
    for (const entry of this.links) n += entry.lines.length;
    return n;
  }

  shownEvents() {
    let n = 0;
    for (const entry of this.events) n += entry.shown ? 1 : 0;
    return n;
  }
}
