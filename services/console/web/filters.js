// filters.js — agency, kind and time filters: applied in the page to the live view, and
// passed to the query API (same meaning: kind is exact or "prefix*") when loading history.
//
// Times are entered in the browser's local time (the watch floor's) and sent as RFC 3339
// UTC. Events are filtered on when they occurred, alerts on when they were raised, as the
// query API does.

export class Filters {
  constructor(form, onChange) {
    this.form = form;
    this.agency = '';
    this.kind = '';
    this.fromMs = null;
    this.toMs = null;
    const changed = () => {
      this.read();
      onChange();
    };
    form.addEventListener('change', changed);
    form.addEventListener('input', () => {
      clearTimeout(this.typing);
      this.typing = setTimeout(changed, 250); // refilter thousands of dots once per pause
    });
    form.addEventListener('reset', () => setTimeout(changed, 0)); // after the fields clear
    form.addEventListener('submit', (e) => e.preventDefault());
    this.read();
  }

  read() {
    const f = this.form.elements;
    this.agency = f.agency.value.trim();
    this.kind = f.kind.value.trim();
    this.fromMs = f.from.value ? new Date(f.from.value).getTime() : null;
    this.toMs = f.to.value ? new Date(f.to.value).getTime() : null;
  }

  isActive() {
    return Boolean(this.agency || this.kind || this.fromMs !== null || this.toMs !== null);
  }

  s_kindMatches(kind) {
    if (!this.kind) return true;
    if (!kind) return false;
    if (this.kind.endsWith('*')) return kind.startsWith(this.kind.slice(0, -1));
    return kind === this.kind;
  }

  s_timeMatches(iso) {
    if (this.fromMs === null && this.toMs === null) return true;
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return false;
    return (this.fromMs === null || t >= this.fromMs) && (this.toMs === null || t < this.toMs);
  }

  matchesEvent(event) {
    return (!this.agency || event.agency === this.agency) && this.s_kindMatches(event.kind) &&
      this.s_timeMatches(event.occurred_at);
  }

  matchesAlert(alert) {
    return (!this.agency || alert.agency === this.agency) && this.s_kindMatches(alert.kind) &&
      this.s_timeMatches(alert.raised_at);
  }

  // Query parameters for GET /api/v1/events (from/to are occurred time there).
  eventParams() {
    return {
      agency: this.agency,
      kind: this.kind,
      from: this.fromMs !== null ? new Date(this.fromMs).toISOString() : '',
      to: this.toMs !== null ? new Date(this.toMs).toISOString() : '',
    };
  }

  // Query parameters for GET /api/v1/alerts (raised time; agency and kind are filtered here).
  alertParams() {
    const p = this.eventParams();
    return { from: p.from, to: p.to };
  }
}

// Offers the agencies seen so far in the agency field's suggestion list.
export function rememberAgency(datalist, seen, agency) {
  if (!agency || seen.has(agency)) return;
  seen.add(agency);
  const option = document.createElement('option');
  option.value = agency;
  datalist.append(option);
}
