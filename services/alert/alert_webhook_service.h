/* alert_webhook_service.h — wf-alert's webhook sender as the service starts and watches it.
 *
 * Reads alert.webhook.*, checks that PostGIS has somewhere to record outcomes, starts the sender
 * (alert_webhook.h) and copies its counters into the service's stats. alert_service.c calls
 * these; the sender itself knows nothing of the service.
 *
 * Thread: the alert loop's.
 */
#ifndef ALERT_WEBHOOK_SERVICE_H
#define ALERT_WEBHOOK_SERVICE_H

#include <stddef.h>

#include <wf/config.h>
#include <wf/stats.h>

#include "alert_cap.h"
#include "alert_webhook.h"

/* Starts the webhook sender when alert.webhook.urls names endpoints, into *webhook_p (left
 * NULL when it names none). conn (a PGconn *, void so callers need no libpq) is used once, to
 * check that table webhook_deliveries exists; conninfo is for the sender's own connection; cap
 * renders CAP bodies. Returns 0, or WF_EINVAL with the reason in errbuf (bad setting, bad URL,
 * table missing, database unreachable). */
int alert_webhook_service_open(const wf_config_t *config, void *conn, const char *conninfo,
                               const alert_cap_config_t *cap, alert_webhook_t **webhook_p,
                               char *errbuf, size_t errlen);

/* Sets the webhook_* gauges of stats from the sender's cumulative counters. */
void alert_webhook_service_stats(const alert_webhook_t *webhook, wf_stats_t *stats);

#endif
