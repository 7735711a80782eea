/* alert_service.h — wf-alert's glue: transport and PostGIS around the alert engine.
 *
 * One step receives a batch from topics.enriched and topics.signals, evaluates the rules,
 * writes raised alerts to the alerts table and publishes them on topics.alerts, dead-letters
 * what cannot be evaluated, and acknowledges the batch only once all of that is durable; then
 * it hands the batch's alerts to the webhook sender (alert_webhook.h), which never blocks it.
 *
 * Thread: everything runs on the thread that created the service, except the webhook sender's
 * own thread.
 */
#ifndef ALERT_SERVICE_H
#define ALERT_SERVICE_H

#include <stddef.h>

#include <wf/service.h>

typedef struct alert_service_t alert_service_t;

/* Loads the rules (alert.rules), connects to PostGIS and the transport and subscribes.
 * svc is borrowed (configuration and stats) and must outlive the service. Returns NULL and
 * a reason in errbuf on any failure. */
alert_service_t *alert_service_new(wf_service_t *svc, char *errbuf, size_t errlen);

/* Flushes what can be flushed and frees everything; NULL-safe, sets *self_p to NULL. */
void alert_service_destroy(alert_service_t **self_p);

/* One receive–evaluate–persist–publish–ack cycle (waits up to 100 ms for input). Returns 0,
 * WF_EINTR when a stop was requested mid-cycle (nothing acknowledged), or another negative
 * WF_E… when the service cannot continue safely (the caller exits; a restart replays from
 * the last acknowledgement). */
int alert_service_step(alert_service_t *self);

/* Reloads the rule file (SIGHUP). On any error the running rules stay and the reason is
 * logged. Returns 0 or WF_EINVAL. Call between steps. */
int alert_service_reload(alert_service_t *self);

#endif
