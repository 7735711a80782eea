/* alert_webhook_service.c — starting wf-alert's webhook sender and publishing its counters.
 *
 * Glue between the service (configuration, PostGIS, stats) and alert_webhook.c: outcomes have
 * nowhere to go before migration 0007, so wf-alert refuses to start rather than deliver without
 * a record.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/err.h>
#include <wf/log.h>

#include "alert_webhook_service.h"

static bool s_has_deliveries_table(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT to_regclass('webhook_deliveries') IS NOT NULL");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
              strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return ok;
}

int alert_webhook_service_open(const wf_config_t *config, void *conn, const char *conninfo,
                               const alert_cap_config_t *cap, alert_webhook_t **webhook_p,
                               char *errbuf, size_t errlen)
{
    *webhook_p = NULL;
    alert_webhook_config_t webhook_config;
    int rc = alert_webhook_config_load(&webhook_config, config, errbuf, errlen);
    if (rc != WF_OK || webhook_config.n_urls == 0)
        return rc;
    if (!s_has_deliveries_table(conn)) {
        snprintf(errbuf, errlen,
                 "alert.webhook.urls is set but table webhook_deliveries is missing: run "
                 "wf-admin migrate");
        return WF_EINVAL;
    }
    webhook_config.conninfo = conninfo;
    webhook_config.cap = *cap;
    *webhook_p = alert_webhook_new(&webhook_config, errbuf, errlen);
    if (!*webhook_p)
        return WF_EINVAL;
    wf_log_notice("webhooks on endpoints=%zu format=%s min_severity=%s", webhook_config.n_urls,
                  wf_config_string(config, "alert.webhook.format"),
                  wf_config_string(config, "alert.webhook.min_severity"));
    return WF_OK;
}

void alert_webhook_service_stats(const alert_webhook_t *webhook, wf_stats_t *stats)
{
    alert_webhook_counters_t counters; /* cumulative, kept by the sender thread */
    alert_webhook_counters(webhook, &counters);
    wf_stats_set(stats, "webhook_sent", (int64_t)counters.sent);
    wf_stats_set(stats, "webhook_retried", (int64_t)counters.retried);
    wf_stats_set(stats, "webhook_failed", (int64_t)counters.failed);
    wf_stats_set(stats, "webhook_dropped_queue_full", (int64_t)counters.dropped_queue_full);
    wf_stats_set(stats, "webhook_recorded", (int64_t)counters.recorded);
    wf_stats_set(stats, "webhook_unrecorded", (int64_t)counters.unrecorded);
    wf_stats_set(stats, "webhook_queued", (int64_t)counters.queued);
}
