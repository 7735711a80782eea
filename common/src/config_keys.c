/* config_keys.c — every configuration key Watchfloor understands, in one table.
 *
 * The loader validates against this table, `wf-admin config example` generates
 * deploy/watchfloor.example.yaml from it, and a unit test checks that the committed example is
 * the generated one. Keys are grouped by section; a section's keys are contiguous.
 */
#include <stddef.h>

#include <wf/config.h>

#define NO_RANGE 1, 0 /* min > max: unbounded */

static const wf_config_key_t s_keys[] = {
    /* logging */
    {"log.level", WF_CONF_STRING, "info", NO_RANGE, "error | warn | notice | info | debug"},
    {"log.debug", WF_CONF_LIST, "", NO_RANGE,
     "debug categories to enable at debug level: transport, pg, rules, … or all"},
    {"log.syslog", WF_CONF_BOOL, "false", NO_RANGE, "also send log lines to syslog (daemon)"},
    {"state_dir", WF_CONF_PATH, ".wf/state", NO_RANGE,
     "where services keep stats snapshots and transport checkpoints"},
    {"instance", WF_CONF_STRING, "", NO_RANGE,
     "name of this copy when one service runs as several (Kafka consumer group): its stats "
     "file is <service>@<instance>.stats"},

    /* transport */
    {"transport.backend", WF_CONF_STRING, "zmq", NO_RANGE,
     "zmq (one machine, no broker) | kafka (scale-out)"},
    {"transport.batch_max", WF_CONF_INT, "512", 1, 65536,
     "most envelopes moved in one frame / returned by one receive"},
    {"transport.shutdown_grace", WF_CONF_DURATION, "5s", 0, 600,
     "how long a stopping service keeps trying to deliver what it has queued"},
    {"topics.normalized", WF_CONF_STRING, "events.normalized", NO_RANGE,
     "topic of normalised events (ingest → enrich)"},
    {"topics.enriched", WF_CONF_STRING, "events.enriched", NO_RANGE,
     "topic of enriched events (enrich → spatial, alert)"},
    {"topics.signals", WF_CONF_STRING, "signals", NO_RANGE,
     "topic of spatial signals (spatial → alert)"},
    {"topics.alerts", WF_CONF_STRING, "alerts", NO_RANGE, "topic of alerts (alert → consoles)"},
    {"topics.deadletters", WF_CONF_STRING, "deadletters", NO_RANGE,
     "topic of dead letters (every stage → feed health)"},

    /* ZeroMQ back end */
    {"zmq.dir", WF_CONF_PATH, ".wf/run/zmq", NO_RANGE,
     "directory of the ipc:// endpoints (one per topic and consumer group)"},
    /* libzmq 4.3.4 drops the last frames of a closing connection when the receiving queue is full
     * and holds 16 frames or fewer (reproduced with plain PUSH/PULL); 64 never lost one here */
    {"zmq.hwm", WF_CONF_INT, "256", 64, 1000000,
     "frames queued per consumer before the producer blocks (each frame ≤ batch_max envelopes)"},
    {"zmq.consumers.normalized", WF_CONF_LIST, "enrich", NO_RANGE,
     "consumer groups that receive topics.normalized"},
    {"zmq.consumers.enriched", WF_CONF_LIST, "spatial,alert,console", NO_RANGE,
     "consumer groups that receive topics.enriched"},
    {"zmq.consumers.signals", WF_CONF_LIST, "alert,console", NO_RANGE,
     "consumer groups that receive topics.signals"},
    {"zmq.consumers.alerts", WF_CONF_LIST, "console", NO_RANGE,
     "consumer groups that receive topics.alerts"},
    {"zmq.consumers.deadletters", WF_CONF_LIST, "", NO_RANGE,
     "consumer groups that receive topics.deadletters"},
    /* a console that is down or slow must not stop alerts from being raised and stored */
    {"zmq.observers", WF_CONF_LIST, "console", NO_RANGE,
     "consumer groups that never hold producers back: when one is down or slow, frames beyond "
     "zmq.observer_hwm are dropped for it (counted as transport.observer_dropped; it sees the "
     "gap) instead of blocking the pipeline"},
    {"zmq.observer_hwm", WF_CONF_INT, "64", 1, 1000000,
     "frames queued per observer group before frames for it are dropped"},

    /* Console (wf-console) */
    {"console.listen", WF_CONF_STRING, "127.0.0.1:8470", NO_RANGE,
     "address:port the console listens on (port 0: any free port; the URL is written to "
     "<state_dir>/console.url)"},
    {"console.web_root", WF_CONF_PATH, "services/console/web", NO_RANGE,
     "directory of the operator web UI's files"},
    {"console.threads", WF_CONF_INT, "64", 4, 1024,
     "HTTP worker threads; every open SSE stream or WebSocket holds one"},
    {"console.stream_buffer", WF_CONF_INT, "200000", 100, 10000000,
     "stream messages held for clients that reconnect (Last-Event-ID); older ones mean resync"},
    {"console.db_connections", WF_CONF_INT, "4", 1, 64,
     "PostgreSQL connections shared by the HTTP workers"},
    {"console.token_cache", WF_CONF_DURATION, "30s", 0, 3600,
     "how long a token check is reused (a revocation takes effect within this time)"},

    /* Kafka back end */
    {"kafka.brokers", WF_CONF_STRING, "", NO_RANGE,
     "bootstrap servers, host:port,… (scripts/demo --kafka starts a mock cluster when empty)"},
    {"kafka.group_prefix", WF_CONF_STRING, "watchfloor.", NO_RANGE,
     "consumer group id = prefix + service group (\"watchfloor.enrich\")"},
    {"kafka.observers", WF_CONF_LIST, "console", NO_RANGE,
     "consumer groups that, with no committed position yet, start at the newest messages "
     "instead of the oldest retained: a new console shows what happens now (history is in "
     "PostGIS) rather than replaying days of log"},
    {"kafka.create_topics", WF_CONF_BOOL, "true", NO_RANGE,
     "create the topics.* topics at start when they do not exist"},
    {"kafka.partitions", WF_CONF_INT, "12", 1, 10000,
     "partitions of a topic created at start (the most copies of a service that share work)"},
    {"kafka.replication_factor", WF_CONF_INT, "-1", -1, 32,
     "replicas of a topic created at start; -1: the broker's default"},
    {"kafka.retention", WF_CONF_DURATION, "30d", 3600, 315360000,
     "retention of a topic created at start; must exceed the longest state window (replay on "
     "rebalance reads it back)"},
    {"kafka.fetch_wait", WF_CONF_DURATION, "100ms", 0.001, 60,
     "longest a consumer's fetch waits for data (fetch.wait.max.ms); brokers answer at once when "
     "data arrives, librdkafka's mock cluster only when this runs out (10ms there)"},
    {"kafka.security_protocol", WF_CONF_STRING, "plaintext", NO_RANGE,
     "plaintext | ssl | sasl_plaintext | sasl_ssl"},
    {"kafka.sasl_mechanism", WF_CONF_STRING, "SCRAM-SHA-512", NO_RANGE,
     "SCRAM-SHA-256 | SCRAM-SHA-512 | PLAIN"},
    {"kafka.sasl_username", WF_CONF_STRING, "", NO_RANGE, "SASL user name"},
    {"kafka.sasl_password", WF_CONF_STRING, "", NO_RANGE,
     "SASL password (better given as WF_KAFKA_SASL_PASSWORD than in the file)"},
    {"kafka.ssl_ca_location", WF_CONF_PATH, "", NO_RANGE, "CA certificate file (PEM) for TLS"},
    {"kafka.ssl_certificate_location", WF_CONF_PATH, "", NO_RANGE,
     "client certificate (PEM) for mutual TLS"},
    {"kafka.ssl_key_location", WF_CONF_PATH, "", NO_RANGE, "client private key (PEM)"},
    {"kafka.ssl_key_password", WF_CONF_STRING, "", NO_RANGE, "password of the client key"},
    {"kafka.properties", WF_CONF_LIST, "", NO_RANGE,
     "further librdkafka properties, name=value, passed through verbatim"},

    /* PostGIS */
    {"pg.conninfo", WF_CONF_STRING, "dbname=watchfloor", NO_RANGE,
     "libpq connection string of the PostGIS database"},
    {"pg.batch_rows", WF_CONF_INT, "5000", 1, 1000000, "rows per COPY batch at most"},
    {"pg.flush_interval", WF_CONF_DURATION, "50ms", 0, 60,
     "longest time a row waits in a writer's buffer"},
    {"pg.retry_max_backoff", WF_CONF_DURATION, "5s", 0.01, 300,
     "longest pause between retries while PostGIS is unreachable"},

    /* jurisdiction */
    {"jurisdiction.name", WF_CONF_STRING, "Chicago", NO_RANGE, "name of the jurisdiction served"},
    {"jurisdiction.bbox", WF_CONF_LIST, "-87.95,41.62,-87.50,42.05", NO_RANGE,
     "min lon, min lat, max lon, max lat (WGS84): located records outside are dead-lettered"},

    /* ingest */
    {"ingest.max_record_bytes", WF_CONF_INT, "1048576", 1024, 1073741824,
     "longest record accepted; longer ones are dead-lettered without being buffered whole"},
    {"ingest.dead_letter_raw_bytes", WF_CONF_INT, "65536", 64, 16777216,
     "how many raw bytes of a rejected record the dead letter keeps"},

    /* enrich */
    {"enrich.boundary_set", WF_CONF_STRING, "", NO_RANGE,
     "boundary set to assign districts/beats from; empty = latest effective_from"},
    {"enrich.snap_tolerance_m", WF_CONF_DOUBLE, "30", 0, 5000,
     "a point in no polygon is assigned to one within this many metres"},
    {"enrich.persist", WF_CONF_BOOL, "true", NO_RANGE,
     "write events to PostGIS (false only for benchmarks)"},
    {"enrich.reference_poll", WF_CONF_DURATION, "5s", 0.1, 3600,
     "how often enrich checks whether the NIBRS tables or hot lists changed (then reloads them)"},
    {"enrich.hotlist.max_substitutions", WF_CONF_INT, "1", 0, 3,
     "OCR-confusable characters (0/O/Q/D, 1/I/L, 8/B, 5/S, 2/Z, 6/G) a plate hit may differ by"},
    {"enrich.hotlist.plate_fields", WF_CONF_LIST,
     "plate,license_plate,licence_plate,plate_number,plate_no,plate_text,lpr_plate,tag,"
     "tag_number,vehicle_plate",
     NO_RANGE, "attributes read as licence plates (names compared without case)"},
    {"enrich.hotlist.person_fields", WF_CONF_LIST,
     "person_name,full_name,subject_name,suspect_name,driver_name,owner_name,registered_owner",
     NO_RANGE, "attributes read as person names, matched exactly after normalisation"},

    /* spatial */
    {"spatial.near_repeat.kinds", WF_CONF_LIST, "burglary.residential", NO_RANGE,
     "event kinds checked for near repeats"},
    {"spatial.near_repeat.distance_m", WF_CONF_DOUBLE, "400", 1, 100000,
     "near-repeat distance D in metres"},
    {"spatial.near_repeat.window", WF_CONF_DURATION, "14d", 1, 31536000,
     "near-repeat time window T"},
    {"spatial.near_repeat.lateness", WF_CONF_DURATION, "3d", 0, 315360000,
     "how late (behind the newest event time) an event may arrive and still be kept; a backfill "
     "of old records needs their whole span (memory stays bounded by max_events)"},
    {"spatial.near_repeat.max_events", WF_CONF_INT, "1000000", 1, 100000000,
     "hard cap on events held; the oldest are evicted first (counted)"},
    {"spatial.near_repeat.max_related", WF_CONF_INT, "16", 1, 1000,
     "related events listed in one signal (nearest first)"},
    {"spatial.cell_m", WF_CONF_DOUBLE, "400", 10, 100000,
     "side of the metric grid cell that identifies a hotspot"},

    /* alert */
    {"alert.rules", WF_CONF_PATH, "deploy/rules.yaml", NO_RANGE, "YAML file of alert rules"},
    {"alert.cell_m", WF_CONF_DOUBLE, "400", 10, 100000,
     "grid cell side for rules throttled by cell (events without a signal)"},
    {"alert.cap_sender", WF_CONF_STRING, "watchfloor@localhost", NO_RANGE,
     "CAP 1.2 sender of every alert (no spaces), e.g. watchfloor@cpd.example.org"},
    {"alert.console_url", WF_CONF_STRING, "", NO_RANGE,
     "the operator console's URL as recipients reach it (CAP <web> links to the alert there); "
     "empty: no link"},
    {"alert.cap_radius_m", WF_CONF_DOUBLE, "400", 10, 100000,
     "radius of the CAP area circle around an alert's point"},
    {"alert.lateness", WF_CONF_DURATION, "3d", 0, 31536000,
     "how long a throttle window is remembered after the newest event time passes it"},
    {"alert.max_throttle_entries", WF_CONF_INT, "1000000", 1, 100000000,
     "hard cap on remembered throttle windows (oldest evicted first, counted)"},
    {"alert.webhook.urls", WF_CONF_LIST, "", NO_RANGE,
     "http(s) endpoints that receive every alert as an HTTP POST (none: no webhooks); each has its "
     "own queue, so a dead one delays no other and never the alert path"},
    {"alert.webhook.format", WF_CONF_STRING, "json", NO_RANGE,
     "json (the alert's fields, application/json) | cap (its CAP 1.2 document, "
     "application/cap+xml)"},
    {"alert.webhook.min_severity", WF_CONF_STRING, "minor", NO_RANGE,
     "alerts below this severity are not posted: minor | moderate | severe | extreme"},
    {"alert.webhook.timeout", WF_CONF_DURATION, "10s", 0.01, 600,
     "longest one POST may take, connecting included; then it counts as a failed attempt"},
    {"alert.webhook.retries", WF_CONF_INT, "5", 0, 100,
     "attempts after the first on a network error, a timeout, 408, 425, 429 or 5xx (other 4xx "
     "answers are final)"},
    {"alert.webhook.backoff", WF_CONF_DURATION, "500ms", 0.001, 3600,
     "pause before the first retry; doubled for each further one, with random jitter (half to "
     "all of it); a Retry-After on 429/503 is waited for when longer"},
    {"alert.webhook.backoff_max", WF_CONF_DURATION, "60s", 0.001, 86400,
     "longest pause between attempts, Retry-After included"},
    {"alert.webhook.queue", WF_CONF_INT, "1000", 1, 1000000,
     "alerts waiting per endpoint; when full, further alerts are not sent there (counted as "
     "webhook_dropped_queue_full and recorded in webhook_deliveries as dropped)"},
    {"alert.webhook.concurrency", WF_CONF_INT, "4", 1, 64,
     "deliveries per endpoint in progress at once (retries waiting for their pause included)"},
    {"alert.webhook.shutdown_grace", WF_CONF_DURATION, "2s", 0, 600,
     "how long a stopping wf-alert lets deliveries in progress finish; the rest are recorded as "
     "failed (not delivered)"},
    {"alert.webhook.bearer_token", WF_CONF_STRING, "", NO_RANGE,
     "sent as Authorization: Bearer <token> when set (better given as "
     "WF_ALERT_WEBHOOK_BEARER_TOKEN than in the file)"},
    {"alert.webhook.secret", WF_CONF_STRING, "", NO_RANGE,
     "when set, every POST carries X-Watchfloor-Timestamp (Unix seconds) and "
     "X-Watchfloor-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\" with this "
     "secret> (better given as WF_ALERT_WEBHOOK_SECRET)"},

    {NULL, WF_CONF_STRING, NULL, 0, 0, NULL},
};

const wf_config_key_t *wf_config_keys(void)
{
    return s_keys;
}
