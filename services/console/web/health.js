// health.js — the per-feed health panel from GET /api/v1/health, refreshed every few seconds:
// rate (events in the last 5 and 60 minutes), how long since the feed last delivered and its
// lag, and dead letters (24 h and total). A feed silent for 15 minutes is marked stale.
import { get } from './api.js';
import { formatSeconds, formatTime } from './model.js';

const REFRESH_MS = 5000;
const STALE_S = 15 * 60;

// The first field of obj that is present among names (tolerates naming across versions).
function s_pick(obj, names) {
  for (const name of names) if (obj && obj[name] !== undefined && obj[name] !== null) return obj[name];
  return null;
}

function s_cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '–' : String(text);
  if (className) td.className = className;
  row.append(td);
}

export class HealthPanel {
  constructor(box, ageLabel) {
    this.box = box;
    this.ageLabel = ageLabel;
    this.timer = null;
    this.lastOk = null;
  }

  start() {
    this.stop();
    const tick = async () => {
      await this.refresh();
      this.timer = setTimeout(tick, REFRESH_MS);
    };
    tick();
  }

  stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async refresh() {
    try {
      this.render(await get('/api/v1/health'));
      this.lastOk = Date.now();
      this.ageLabel.textContent = `updated ${formatTime(new Date().toISOString())}`;
      this.box.dataset.state = 'ok';
    } catch (err) {
      this.box.dataset.state = 'error';
      this.ageLabel.textContent = `not updated: ${err.message}`;
    }
  }

  render(health) {
    const feeds = s_pick(health, ['feeds', 'sources']) || [];
    const table = document.createElement('table');
    table.className = 'health';
    table.dataset.testid = 'health-table';
    const head = table.createTHead().insertRow();
    for (const title of ['Feed', '5 min', '60 min', 'Last', 'Lag', 'Dead 24 h', 'Dead total']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = title;
      head.append(th);
    }
    const body = table.createTBody();
    for (const feed of feeds) {
      const row = body.insertRow();
      row.dataset.testid = 'health-feed';
      const source = s_pick(feed, ['source', 'name', 'feed']);
      row.dataset.source = source || '';
      const lastAt = s_pick(feed, ['last_ingested_at', 'last_ingested', 'last_at']);
      const lag = s_pick(feed, ['lag_s', 'lag_seconds', 'lag']);
      const dead24 = s_pick(feed, ['dead_letters_24h', 'dead_letters_last_24h']);
      const sinceLast = lastAt ? (Date.now() - Date.parse(lastAt)) / 1000 : null;
      row.classList.toggle('stale', sinceLast !== null && sinceLast > STALE_S);
      row.classList.toggle('dead', Number(dead24) > 0);
      s_cell(row, source);
      s_cell(row, s_pick(feed, ['events_5m', 'events_last_5m', 'last_5m']));
      s_cell(row, s_pick(feed, ['events_60m', 'events_last_60m', 'last_60m']));
      s_cell(row, lastAt ? formatTime(lastAt) : null);
      s_cell(row, lag === null ? null : formatSeconds(lag));
      s_cell(row, dead24, 'dl');
      s_cell(row, s_pick(feed, ['dead_letters_total', 'dead_letters']));
    }
    if (!feeds.length) {
      const row = body.insertRow();
      const td = row.insertCell();
      td.colSpan = 7;
      td.textContent = 'No feed has delivered yet.';
    }
    this.box.replaceChildren(table);
  }
}
