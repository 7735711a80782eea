// health.js — the per-feed health panel from GET /api/v1/health, refreshed every few seconds:
// rate (events in the last 5 and 60 minutes), when the feed last delivered and its lag, dead
// letters (24 h and total), and whether each service is reporting. A feed silent for 15
// minutes is marked stale. Shape: docs/console-api.md, GET /api/v1/health.
import { get } from './api.js';
import { formatSeconds, formatTime } from './model.js';

const REFRESH_MS = 5000;
const STALE_S = 15 * 60;
const SERVICE_STALE_S = 10; // services write their stats snapshot every second

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
    const table = document.createElement('table');
    table.className = 'health';
    table.dataset.testid = 'health-table';
    const head = table.createTHead().insertRow();
    for (const title of ['Feed', '5 min', '1 h', 'Last', 'Lag', 'Dead 24 h', 'Dead total']) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = title;
      head.append(th);
    }
    const body = table.createTBody();
    for (const feed of health.feeds || []) {
      const row = body.insertRow();
      row.dataset.testid = 'health-feed';
      row.dataset.source = feed.source;
      row.dataset.events5m = feed.events_5m;
      row.classList.toggle('stale', feed.lag_s === null || feed.lag_s > STALE_S);
      row.classList.toggle('dead', feed.dead_letters_24h > 0);
      s_cell(row, feed.source);
      s_cell(row, feed.events_5m);
      s_cell(row, feed.events_60m);
      s_cell(row, feed.last_ingested_at ? formatTime(feed.last_ingested_at) : null);
      s_cell(row, feed.lag_s === null ? null : formatSeconds(feed.lag_s));
      s_cell(row, feed.dead_letters_24h, 'dl');
      s_cell(row, feed.dead_letters_total);
    }
    if (!(health.feeds || []).length) {
      const td = body.insertRow().insertCell();
      td.colSpan = 7;
      td.textContent = 'No feed has delivered yet.';
    }
    this.box.replaceChildren(table, this.s_services(health.services || []));
  }

  // One line of services: each name, green when its stats snapshot is fresh; a snapshot
  // older than a few seconds means the service is stopped or stuck.
  s_services(services) {
    const line = document.createElement('p');
    line.className = 'services';
    line.dataset.testid = 'health-services';
    for (const service of services) {
      const span = document.createElement('span');
      const age = service.age_s === null || service.age_s === undefined ? NaN : Number(service.age_s);
      const stale = !Number.isFinite(age) || age > SERVICE_STALE_S;
      span.className = stale ? 'service stale' : 'service';
      span.dataset.testid = 'health-service';
      span.dataset.service = service.service;
      span.textContent = `${span.dataset.service}${stale ? ` (${formatSeconds(age)} old)` : ''}`;
      span.title = Number.isFinite(age) ? `stats ${formatSeconds(age)} old` : 'no stats';
      line.append(span);
    }
    return line;
  }
}
