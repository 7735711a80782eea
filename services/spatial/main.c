/* main.c — wf-spatial: near-repeat signals from the enriched event stream.
 *
 * Arguments → configuration → service → run until SIGINT/SIGTERM → destroy in reverse order.
 * Everything else is in spatial_service.c (glue) and the pure spatial_*.c files.
 */
#include <stdio.h>

#include <wf/log.h>
#include <wf/service.h>

#include "spatial.h"

static const char s_usage[] =
    "\n"
    "Consumes topics.enriched, publishes NEAR_REPEAT signals on topics.signals and writes them\n"
    "to the signals table. Detection is set by spatial.near_repeat.* and spatial.cell_m.\n";

int main(int argc, char **argv)
{
    wf_service_t svc;
    int rc = wf_service_init(&svc, "spatial", s_usage, argc, argv);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return 2;
    if (svc.argc > 1) {
        fprintf(stderr, "wf-spatial: unexpected argument '%s' (see --help)\n", svc.argv[1]);
        wf_service_fini(&svc);
        return 2;
    }
    char errbuf[512];
    spatial_service_t *service = spatial_service_new(&svc, errbuf, sizeof errbuf);
    if (!service) {
        wf_log_error("cannot start error=\"%s\"", errbuf);
        wf_service_fini(&svc);
        return 1;
    }
    wf_log_notice("started");
    rc = spatial_service_run(service);
    spatial_service_destroy(&service);
    wf_log_notice("stopped rc=%d", rc);
    wf_service_fini(&svc);
    return rc == 0 ? 0 : 1;
}
