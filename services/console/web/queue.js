// queue.js — the alert queue: newest first, severity, title, time, state, and the workflow
// buttons (Acknowledge, Assign, Close; Reopen for closed alerts).
//
// Each alert owns one <li>, built once and updated in place; render() runs once per
// animation frame and only touches what changed, so a burst of alerts does not rebuild the
// list. Workflow answers and alert_update messages (from any console) go through upsert().
import { SEVERITIES, formatTime, severityOf } from './model.js';

const MAX_ALERTS = 500;
const MAX_FRESH = 8; // cards that flash on arrival; in a burst only the newest few do
// docs/console-api.md "Alert workflow": the moves allowed from each state
const MOVES = {
  new: ['acknowledge', 'assign', 'close'],
  acknowledged: ['assign', 'close'],
  assigned: ['assign', 'close'],
  closed: ['reopen'],
};
const BUTTONS = [['acknowledge', 'Acknowledge'], ['assign', 'Assign…'], ['close', 'Close'], ['reopen', 'Reopen']];

function s_el(tag, className, testid) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (testid) el.dataset.testid = testid;
  return el;
}

export class AlertQueue {
  // onAction(alertId, action) performs a workflow action; onSelect(alertId) shows it on the map.
  constructor(list, counter, { onAction, onSelect }) {
    this.list = list;
    this.counter = counter;
    this.onAction = onAction;
    this.onSelect = onSelect;
    this.items = new Map(); // alert_id → {alert, li, dirty, shown, receivedMs, renderedMs}
    this.orderDirty = false;
    this.fresh = []; // the <li>s flashing now, oldest first
    list.addEventListener('click', (e) => this.s_click(e));
    list.addEventListener('keydown', (e) => this.s_key(e));
  }

  // Adds or merges an alert (stream payload, alert_update or query Feature, flattened).
  // receivedMs: when a live alert reached the page (kept from its first arrival); filters
  // decide whether it is shown. Returns the merged alert.
  // A raise (an "alert" stream message) always says state "new": for an alert already held
  // (wf-alert republished it after a restart) it must not undo the workflow.
  upsert(alert, receivedMs, filters, { raise = false } = {}) {
    if (!alert || !alert.alert_id) return null;
    let item = this.items.get(alert.alert_id);
    if (!item) {
      item = { alert: { state: 'new', ...alert }, li: null, dirty: true, shown: true, receivedMs: receivedMs || null, renderedMs: null, busy: false };
      this.items.set(alert.alert_id, item);
      this.orderDirty = true;
    } else if (raise) {
      const { state, assigned_to: assignedTo, state_changed_at: changedAt } = item.alert;
      item.alert = { ...item.alert, ...alert, state, assigned_to: assignedTo, state_changed_at: changedAt };
      if (receivedMs && !item.receivedMs) item.receivedMs = receivedMs;
      item.dirty = true;
    } else {
      item.alert = { ...item.alert, ...alert };
      if (receivedMs && !item.receivedMs) item.receivedMs = receivedMs;
      item.dirty = true;
    }
    const key = Date.parse(item.alert.raised_at) || item.receivedMs || 0; // parsed once, here
    const rank = SEVERITIES.indexOf(severityOf(item.alert)) >>> 0; // unknown (-1) sorts last
    if (key !== item.key || rank !== item.rank) this.orderDirty = true;
    item.key = key;
    item.rank = rank;
    item.shown = filters.matchesAlert(item.alert);
    return item.alert;
  }

  get(alertId) {
    const item = this.items.get(alertId);
    return item ? item.alert : null;
  }

  setBusy(alertId, busy) {
    const item = this.items.get(alertId);
    if (!item) return;
    item.busy = busy;
    item.dirty = true;
  }

  applyFilters(filters) {
    for (const item of this.items.values()) {
      item.shown = filters.matchesAlert(item.alert);
      item.dirty = true;
    }
  }

  // Past the cap, drops the oldest closed alerts first, then the oldest of any state; once
  // per frame, so a burst costs one sort. Returns the remaining alerts, newest first.
  s_trimmed() {
    // newest first; raised together (one event, several rules): the most severe first
    const sorted = [...this.items.values()].sort((a, b) => b.key - a.key || a.rank - b.rank ||
      (a.alert.alert_id < b.alert.alert_id ? 1 : a.alert.alert_id > b.alert.alert_id ? -1 : 0));
    let excess = sorted.length - MAX_ALERTS;
    if (excess <= 0) return sorted;
    const drop = new Set();
    for (let i = sorted.length - 1; i >= 0 && drop.size < excess; i--)
      if (sorted[i].alert.state === 'closed') drop.add(sorted[i]);
    for (let i = sorted.length - 1; i >= 0 && drop.size < excess; i--) drop.add(sorted[i]);
    for (const item of drop) {
      if (item.li) item.li.remove();
      this.items.delete(item.alert.alert_id);
    }
    return sorted.filter((item) => !drop.has(item));
  }

  render() {
    const now = performance.timeOrigin + performance.now();
    for (const item of this.items.values()) {
      if (!item.dirty) continue;
      item.dirty = false;
      if (!item.li) {
        item.li = this.s_build(item);
        item.renderedMs = now;
        item.li.dataset.renderedMs = now.toFixed(1);
        this.orderDirty = true;
      }
      this.s_update(item);
    }
    if (this.orderDirty) {
      this.orderDirty = false;
      let at = this.list.firstElementChild;
      for (const item of this.s_trimmed()) {
        if (item.li !== at) this.list.insertBefore(item.li, at);
        else at = at.nextElementSibling;
      }
    }
    let open = 0;
    let shown = 0;
    for (const item of this.items.values()) {
      open += item.alert.state !== 'closed' ? 1 : 0;
      shown += item.shown ? 1 : 0;
    }
    this.counter.textContent = `${open} open · ${shown} shown`;
  }

  s_build(item) {
    const a = item.alert;
    const li = s_el('li', 'alert', 'alert-item');
    li.tabIndex = 0;
    li.dataset.alertId = a.alert_id;
    if (a.rule_id) li.dataset.ruleId = a.rule_id;
    if (a.ingest_ts_us) li.dataset.ingestTsUs = String(a.ingest_ts_us);
    if (item.receivedMs) {
      li.dataset.receivedMs = item.receivedMs.toFixed(1);
      li.classList.add('fresh'); // arrived live: draw the eye for a few seconds
      this.fresh.push(li);
      while (this.fresh.length > MAX_FRESH) this.fresh.shift().classList.remove('fresh');
    }
    const head = s_el('div', 'head');
    head.append(s_el('span', 'sev', 'alert-severity'), s_el('span', 'title', 'alert-title'));
    const meta = s_el('div', 'meta');
    meta.append(s_el('time', 'when', 'alert-time'), s_el('span', 'occurred', 'alert-occurred'),
      s_el('span', 'state', 'alert-state'),
      s_el('span', 'assignee', 'alert-assignee'), s_el('span', 'where', 'alert-where'));
    const actions = s_el('div', 'actions');
    for (const [action, label] of BUTTONS) {
      const button = s_el('button', '', `alert-${action}`);
      button.type = 'button';
      button.dataset.action = action;
      button.textContent = label;
      actions.append(button);
    }
    li.append(head, meta, actions);
    return li;
  }

  s_update(item) {
    const a = item.alert;
    const li = item.li;
    const severity = severityOf(a);
    li.hidden = !item.shown;
    li.dataset.severity = severity;
    li.dataset.state = a.state || 'new';
    li.setAttribute('aria-label', `${severity} alert: ${a.title || a.rule_id}, ${a.state}`);
    li.querySelector('.sev').textContent = severity;
    li.querySelector('.title').textContent = a.title || a.rule_id || a.alert_id;
    const when = li.querySelector('.when');
    when.textContent = formatTime(a.raised_at || a.occurred_at);
    when.dateTime = a.raised_at || a.occurred_at || '';
    // a late report or a replay: say when it happened, not only when it was raised
    const late = Math.abs(Date.parse(a.raised_at) - Date.parse(a.occurred_at)) > 3600 * 1000;
    li.querySelector('.occurred').textContent = late ? `occurred ${formatTime(a.occurred_at)}` : '';
    li.querySelector('.state').textContent = (a.state || 'new') + (a.last_actor ? ` by ${a.last_actor}` : '');
    li.querySelector('.assignee').textContent = a.assigned_to ? `→ ${a.assigned_to}` : '';
    li.querySelector('.state').title = a.state_changed_at ? `since ${formatTime(a.state_changed_at)}` : '';
    li.querySelector('.where').textContent = [a.district && `D${a.district}`, a.beat && `beat ${a.beat}`].filter(Boolean).join(' ');
    const allowed = MOVES[a.state] || MOVES.new;
    for (const button of li.querySelectorAll('button[data-action]')) {
      button.hidden = !allowed.includes(button.dataset.action);
      button.disabled = item.busy;
    }
    if (a.state !== 'new') li.classList.remove('fresh');
  }

  s_click(e) {
    const li = e.target.closest('li.alert');
    if (!li) return;
    const button = e.target.closest('button[data-action]');
    if (button) this.onAction(li.dataset.alertId, button.dataset.action);
    else this.onSelect(li.dataset.alertId);
  }

  // Enter on an alert shows it on the map; arrow keys move between alerts.
  s_key(e) {
    const li = e.target.closest('li.alert');
    if (!li || e.target !== li) return;
    if (e.key === 'Enter') {
      this.onSelect(li.dataset.alertId);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      let next = e.key === 'ArrowDown' ? li.nextElementSibling : li.previousElementSibling;
      while (next && next.hidden) next = e.key === 'ArrowDown' ? next.nextElementSibling : next.previousElementSibling;
      if (next) next.focus();
      e.preventDefault();
    }
  }

  focus(alertId) {
    const item = this.items.get(alertId);
    if (item && item.li && !item.li.hidden) {
      item.li.scrollIntoView({ block: 'nearest' });
      item.li.focus();
    }
  }

  clear() {
    for (const item of this.items.values()) if (item.li) item.li.remove();
    this.items.clear();
    this.render();
  }
}
