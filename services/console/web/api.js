// api.js — calls to wf-console's HTTP API (docs/console-api.md).
//
// The browser authenticates with the wf_token cookie that POST /api/v1/session sets from the
// bearer token (EventSource cannot send headers); every other call relies on that cookie.
// Errors become ApiError with the server's JSON error body and its Retry-After.

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && (body.message || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter; // seconds, or null when the server did not send one
  }
}

let unauthorizedHandler = null;

// Called (once per failing request) when the server answers 401: the token expired, was
// revoked, or the console forgot the session.
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

async function s_request(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const header = res.headers.get('Retry-After');
    const retryAfter = header !== null && /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) : null;
    if (res.status === 401 && unauthorizedHandler && !path.startsWith('/api/v1/session'))
      unauthorizedHandler();
    throw new ApiError(res.status, typeof data === 'object' ? data : { message: data }, retryAfter);
  }
  return data;
}

export function get(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {}))
    if (value !== undefined && value !== null && value !== '') query.set(key, value);
  const qs = query.toString();
  return s_request(qs ? `${path}?${qs}` : path);
}

// Exchanges the bearer token for the session cookie.
export function login(token) {
  return s_request('/api/v1/session', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
}

export function logout() {
  return s_request('/api/v1/session', { method: 'DELETE' }).catch(() => null);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A workflow action (acknowledge, assign, close, reopen) on one alert; resolves to the
// updated alert Feature. The alert reaches the stream before wf-alert has stored it, so an
// action can meet 409 + Retry-After ("not stored yet"): wait as told and try again. A 409
// without Retry-After is a move the workflow does not allow, and is not retried.
export async function alertAction(alertId, action, body, { attempts = 8 } = {}) {
  const path = `/api/v1/alerts/${encodeURIComponent(alertId)}/${action}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await s_request(path, { method: 'POST', body: body || {} });
    } catch (err) {
      const retriable = err instanceof ApiError && (err.status === 409 || err.status === 503) &&
        err.retryAfter !== null;
      if (!retriable || attempt >= attempts) throw err;
      await sleep(Math.min(Math.max(err.retryAfter, 0.2), 10) * 1000);
    }
  }
}
