/* main.c — wf-alert: rules over enriched events and spatial signals → alerts.
 *
 * Arguments and configuration go through the common service scaffolding; this file only
 * builds the service, runs its loop until SIGINT/SIGTERM, reloads the rules on SIGHUP and
 * tears down in reverse order.
 */
#include <signal.h>
#include <stddef.h>

#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "alert_service.h"

static const char s_usage[] =
    "wf-alert: evaluates the rules of alert.rules over topics.enriched and topics.signals,\n"
    "writes alerts to PostGIS and publishes them on topics.alerts.\n"
    "Send SIGHUP to reload the rule file (the running rules stay if the new file is bad).\n";

static volatile sig_atomic_t s_reload_requested;

static void s_on_sighup(int signum)
{
    (void)signum;
    s_reload_requested = 1;
}

static void s_catch_sighup(void)
{
    struct sigaction action = {0};
    action.sa_handler = s_on_sighup;
    sigemptyset(&action.sa_mask);
    sigaction(SIGHUP, &action, NULL);
}

int main(int argc, char **argv)
{
    wf_service_t svc;
    int rc = wf_service_init(&svc, "alert", s_usage, argc, argv);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return 2;

    char errbuf[512];
    alert_service_t *service = alert_service_new(&svc, errbuf, sizeof errbuf);
    if (!service) {
        wf_log_error("cannot start error=\"%s\"", errbuf);
        wf_service_fini(&svc);
        return 1;
    }
    s_catch_sighup();

    int status = 0;
    while (!wf_service_stopping()) {
        if (s_reload_requested) {
            s_reload_requested = 0;
            alert_service_reload(service);
        }
        rc = alert_service_step(service);
        if (rc != WF_OK && rc != WF_EINTR) {
            wf_log_error("stopping: cannot continue safely error=\"%s\"", wf_strerror(rc));
            status = 1;
            break;
        }
        wf_service_tick(&svc);
    }

    alert_service_destroy(&service);
    wf_service_fini(&svc);
    return status;
}
