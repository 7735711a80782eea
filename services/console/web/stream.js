// stream.js — the live SSE stream (GET /api/v1/stream) with resume and a status callback.
//
// EventSource reconnects by itself and sends Last-Event-ID, so the console replays what was
// missed. When it gives up (the server refused the stream: 401, console down) we reconnect
// with backoff, passing the last id as last_event_id= so nothing is lost or doubled.

const TYPES = ['event', 'signal', 'alert', 'alert_update', 'resync'];

// Opens the stream. onMessage(type, payload, receivedMs, id) is called for each message,
// receivedMs being the wall-clock time (ms, sub-ms precision) it reached the page.
// onStatus(state) with state in connecting | live | reconnecting | offline.
// beforeReconnect() (async, optional) runs before a new connection after a failure (re-login).
export function openStream({ onMessage, onStatus, beforeReconnect }) {
  let source = null;
  let lastId = null;
  let retryMs = 1000;
  let timer = null;
  let closed = false;

  function connect() {
    timer = null;
    if (closed) return;
    const url = '/api/v1/stream' + (lastId ? `?last_event_id=${encodeURIComponent(lastId)}` : '');
    source = new EventSource(url);
    onStatus('connecting');
    source.onopen = () => {
      retryMs = 1000;
      onStatus('live');
    };
    for (const type of TYPES) {
      source.addEventListener(type, (message) => {
        const receivedMs = performance.timeOrigin + performance.now();
        if (message.lastEventId) lastId = message.lastEventId;
        let payload;
        try {
          payload = JSON.parse(message.data);
        } catch {
          return; // not ours to interpret; the server sends JSON only
        }
        onMessage(type, payload, receivedMs, message.lastEventId);
      });
    }
    source.onerror = () => {
      if (closed) return;
      if (source.readyState === EventSource.CONNECTING) {
        onStatus('reconnecting'); // the browser retries on its own
        return;
      }
      source.close();
      onStatus('offline');
      const wait = retryMs;
      retryMs = Math.min(retryMs * 2, 30000);
      timer = setTimeout(async () => {
        if (beforeReconnect) await beforeReconnect().catch(() => null);
        connect();
      }, wait);
    };
  }

  connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (source) source.close();
      onStatus('offline');
    },
  };
}
