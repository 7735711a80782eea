/* main.c — wf-console: the operator gateway (web UI, live streams, query API).
 *
 * Arguments and configuration go through the common service scaffolding; this file builds
 * the service, moves bus messages into the stream hub until SIGINT/SIGTERM and tears down.
 */
#include <stddef.h>

#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "console_service.h"

static const char s_usage[] =
    "wf-console: serves the operator web UI, SSE/WebSocket streams of events, signals and\n"
    "alerts, and the REST/GeoJSON query API (console.listen; docs/console-api.md).\n"
    "Every /api request needs a token from `wf-admin token create`.\n";

int main(int argc, char **argv)
{
    wf_service_t svc;
    int rc = wf_service_init(&svc, "console", s_usage, argc, argv);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return 2;

    char errbuf[512];
    console_service_t *service = console_service_new(&svc, errbuf, sizeof errbuf);
    if (!service) {
        wf_log_error("cannot start error=\"%s\"", errbuf);
        wf_service_fini(&svc);
        return 1;
    }
    int status = 0;
    while (!wf_service_stopping()) {
        rc = console_service_step(service);
        if (rc != WF_OK && rc != WF_EINTR) {
            wf_log_error("stopping: cannot continue safely error=\"%s\"", wf_strerror(rc));
            status = 1;
            break;
        }
        wf_service_tick(&svc);
    }
    console_service_destroy(&service);
    wf_service_fini(&svc);
    return status;
}
