/* main.c — wf-enrich: district, beat, NIBRS offense and hot-list hits of every normalised event.
 *
 * Arguments and configuration come through the common service scaffolding; the work is in
 * enrich_service.c. Exit status: 0 after a requested stop, 1 when the service could not start or
 * could not continue, 2 for a usage or configuration error.
 */
#include <stdio.h>

#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "enrich.h"

static const char s_usage[] =
    "Usage: wf-enrich [options]\n"
    "\n"
    "Consumes normalised events (topics.normalized), assigns district and beat from the boundary\n"
    "set in PostGIS (enrich.boundary_set; empty = the latest), the NIBRS offense (wf-admin nibrs)\n"
    "and hot-list hits (wf-admin hotlist), stores them in the events table and publishes\n"
    "enriched events (topics.enriched). Keys: enrich.snap_tolerance_m, enrich.persist,\n"
    "enrich.reference_poll, enrich.hotlist.*, pg.conninfo, transport.*.\n";

int main(int argc, char **argv)
{
    wf_service_t svc;
    int rc = wf_service_init(&svc, "enrich", s_usage, argc, argv);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return 2;
    if (svc.argc > 1) {
        fprintf(stderr, "wf-enrich: unexpected argument '%s'\n\n%s", svc.argv[1], s_usage);
        wf_service_fini(&svc);
        return 2;
    }

    char err[512] = "";
    enrich_service_t *enrich = enrich_service_new(&svc, err, sizeof err);
    if (!enrich) {
        wf_log_error("cannot start: %s", err);
        wf_service_fini(&svc);
        return 1;
    }
    wf_log_notice("running");

    int status = 0;
    while (!wf_service_stopping()) {
        rc = enrich_service_step(enrich);
        if (rc != WF_OK) {
            wf_log_error("stopping on error=%s", wf_strerror(rc));
            status = 1;
            break;
        }
        wf_service_tick(&svc);
    }

    enrich_service_destroy(&enrich);
    wf_service_fini(&svc);
    return status;
}
