// app.js — the console page: sign-in, the live stream, and the map, queue and health panels.
//
// Messages from the stream are queued and applied once per animation frame (with a timer as
// a fallback while the tab is hidden), so a burst of thousands of events costs one redraw,
// not thousands. Past MAX_PENDING, the oldest not-yet-drawn *events* are dropped (the map
// keeps only the last few thousand anyway); alerts, updates and signals never are.
import * as api from './api.js';
import { Filters, rememberAgency } from './filters.js';
import { HealthPanel } from './health.js';
import { LiveMap } from './livemap.js';
import { flatten, plural } from './model.js';
import { AlertQueue } from './queue.js';
import { openStream } from './stream.js';

const TOKEN_KEY = 'wf_token'; // sessionStorage only: gone when the tab closes
const MAX_PENDING = 8000;
const HISTORY_PAGES = 4; // of 1000 events, the map's capacity

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), login: $('login'), loginForm: $('login-form'), token: $('login-token'),
  loginError: $('login-error'), logout: $('logout'), toast: $('toast'), counts: $('event-count'),
  agencies: $('agency-list'), history: $('history'),
};

let map;
let queue;
let health;
let filters;
let stream = null;
let pending = [];
let frameRequested = false;
let dropped = 0;
let resyncs = 0;
const seenAgencies = new Set();

function setStatus(state) {
  ui.status.dataset.state = state;
  ui.status.textContent = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…', offline: 'offline', 'signed-out': 'signed out' }[state] || state;
}

let toastTimer = null;
function toast(text) {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 6000);
}

function enqueue(type, payload, receivedMs) {
  pending.push({ type, payload, receivedMs });
  if (pending.length > MAX_PENDING) { // down to half at once: one pass per thousands, not per message
    const before = pending.length;
    let excess = before - MAX_PENDING / 2;
    pending = pending.filter((m) => !(excess > 0 && m.type === 'event' && excess--));
    dropped += before - pending.length;
  }
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(flush);
    setTimeout(flush, 500); // rAF does not run in a hidden tab
  }
}

function flush() {
  if (!frameRequested) return;
  frameRequested = false;
  const batch = pending;
  pending = [];
  let resync = false;
  for (const { type, payload, receivedMs } of batch) {
    const item = flatten(payload);
    if (!item) continue;
    switch (type) {
      case 'event':
        rememberAgency(ui.agencies, seenAgencies, item.agency);
        map.addEvent(item, filters);
        break;
      case 'signal':
        map.addSignal(item, filters);
        break;
      case 'alert': {
        const alert = queue.upsert(item, receivedMs, filters, { raise: true });
        if (alert) map.upsertAlert(alert, true, filters);
        break;
      }
      case 'alert_update': { // {alert_id, action, from_state, state, assigned_to, actor, at, note}
        if (!queue.get(item.alert_id)) break; // not in this queue: nothing shown to update
        const alert = queue.upsert({ alert_id: item.alert_id, state: item.state, assigned_to: item.assigned_to,
          state_changed_at: item.at, last_actor: item.actor }, null, filters);
        map.upsertAlert(alert, false, filters);
        break;
      }
      case 'resync':
        resync = true;
        break;
    }
  }
  map.fade();
  queue.render();
  renderCounts();
  if (resync) {
    resyncs += 1;
    document.body.dataset.resyncs = resyncs; // how many times the stream said "reload"
    reloadAlerts();
  }
}

function renderCounts() {
  const n = map.events.length;
  const events = filters.isActive() ? `${map.shownEvents()} of ${plural(n, 'event')}` : plural(n, 'event');
  ui.counts.textContent = `${events} · ${plural(map.links.length, 'near-repeat')}` +
    (dropped ? ` · ${dropped} not drawn` : '');
  ui.counts.dataset.events = n; // for the browser test: held dots and near-repeat lines
  ui.counts.dataset.lines = map.lineCount();
}

// The queue as the database has it (first load, resync, or after a reconnect).
async function reloadAlerts() {
  try {
    const fc = await api.get('/api/v1/alerts', { limit: 200, ...filters.alertParams() });
    for (const feature of fc.features || []) {
      const alert = queue.upsert(flatten(feature), null, filters);
      if (alert) map.upsertAlert(alert, false, filters);
    }
    queue.render();
  } catch (err) {
    toast(`Could not load the alert queue: ${err.message}`);
  }
}

async function loadHistory() {
  ui.history.disabled = true;
  try {
    let cursor = null;
    let count = 0;
    for (let page = 0; page < HISTORY_PAGES; page++) {
      const fc = await api.get('/api/v1/events', { ...filters.eventParams(), bbox: map.bbox(), limit: 1000, cursor });
      for (const feature of fc.features || []) count += map.addEvent(flatten(feature), filters) ? 1 : 0;
      cursor = fc.next;
      if (!cursor) break;
    }
    await reloadAlerts();
    map.fade();
    renderCounts();
    toast(`History: ${plural(count, 'event')} drawn`);
  } catch (err) {
    toast(`History query failed: ${err.message}`);
  } finally {
    ui.history.disabled = false;
  }
}

// A link to one alert (#/alerts/ID: CAP <web>, alert.console_url): show it in the queue and
// on the map, fetching it when it is older than the loaded queue.
async function openLinkedAlert() {
  const match = location.hash.match(/^#\/alerts\/([0-9a-fA-F-]{36})$/);
  if (!match) return;
  const id = match[1].toLowerCase();
  if (!queue.get(id)) {
    try {
      const alert = queue.upsert(flatten(await api.get(`/api/v1/alerts/${id}`)), null, filters);
      if (alert) map.upsertAlert(alert, false, filters);
    } catch (err) {
      toast(`Alert ${id}: ${err.message}`);
      return;
    }
  }
  queue.render();
  queue.focus(id);
  map.focusAlert(id);
}

function selectAlert(id) {
  history.replaceState(null, '', `#/alerts/${id}`); // the address bar links to it
  map.focusAlert(id);
}

async function act(alertId, action) {
  let body;
  if (action === 'assign') {
    const assignee = window.prompt('Assign to (unit or person):', queue.get(alertId)?.assigned_to || '');
    if (!assignee || !assignee.trim()) return;
    body = { assignee: assignee.trim() };
  }
  queue.setBusy(alertId, true);
  queue.render();
  try {
    const updated = flatten(await api.alertAction(alertId, action, body));
    const alert = queue.upsert(updated, null, filters);
    if (alert) map.upsertAlert(alert, false, filters);
  } catch (err) {
    toast(`${action} failed: ${err.message}`);
  } finally {
    queue.setBusy(alertId, false);
    queue.render();
  }
}

async function start() {
  ui.login.close();
  const [beats, districts] = await Promise.all([
    api.get('/api/v1/boundaries', { layer: 'beat' }),
    api.get('/api/v1/boundaries', { layer: 'district' }),
  ]);
  const drawn = map.setBoundaries(beats, districts);
  document.body.dataset.beats = drawn.beats;
  await reloadAlerts();
  openLinkedAlert();
  health.start();
  stream = openStream({
    onMessage: enqueue,
    onStatus: setStatus,
    beforeReconnect: relogin,
  });
}

function stop() {
  if (stream) stream.close();
  stream = null;
  health.stop();
  setStatus('signed-out');
}

// After the stream or a call was refused: sign in again with the token this tab holds.
async function relogin() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin('Signed out.');
  try {
    await api.login(token);
  } catch (err) {
    if (err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      stop();
      showLogin('The token was refused (expired or revoked).');
    }
  }
}

function showLogin(message) {
  ui.loginError.textContent = message || '';
  if (!ui.login.open) ui.login.showModal();
  ui.token.focus();
}

async function signIn(token) {
  try {
    await api.login(token);
  } catch (err) {
    showLogin(err.status === 401 ? 'Unknown, revoked or expired token.' : `Cannot sign in: ${err.message}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.token.value = '';
  try {
    await start();
  } catch (err) {
    toast(`Console failed to start: ${err.message}`);
  }
}

function main() {
  filters = new Filters($('filters'), () => {
    map.applyFilters(filters);
    queue.applyFilters(filters);
    queue.render();
    renderCounts();
  });
  map = new LiveMap($('map'), { onAlertClick: (id) => queue.focus(id) });
  queue = new AlertQueue($('queue'), $('queue-count'), { onAction: act, onSelect: selectAlert });
  health = new HealthPanel($('health'), $('health-age'));
  ui.history.addEventListener('click', loadHistory);
  window.addEventListener('hashchange', () => { if (stream) openLinkedAlert(); });
  ui.login.addEventListener('cancel', (e) => e.preventDefault()); // Esc must not skip sign-in
  ui.loginForm.addEventListener('submit', (e) => {
    e.preventDefault();
    signIn(ui.token.value.trim());
  });
  ui.logout.addEventListener('click', async () => {
    sessionStorage.removeItem(TOKEN_KEY);
    stop();
    await api.logout();
    queue.clear();
    showLogin('Signed out.');
  });
  let reloginAt = 0;
  api.onUnauthorized(() => {
    if (Date.now() - reloginAt < 10000) return; // one attempt per burst of refused calls
    reloginAt = Date.now();
    relogin();
  });
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
  else showLogin();
}

// leaflet.js is a deferred classic script; module scripts run after it, but be explicit
if (window.L) main();
else window.addEventListener('DOMContentLoaded', main);
