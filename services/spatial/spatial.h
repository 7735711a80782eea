/* spatial.h — wf-spatial's private header: the service object main.c drives.
 *
 * The service consumes enriched events, runs near-repeat detection on them, publishes one
 * NEAR_REPEAT signal per event that has related events and persists it in `signals`. Only
 * main.c and spatial_service.c include this header.
 */
#ifndef SPATIAL_H
#define SPATIAL_H

#include <stddef.h>

#include <wf/service.h>

typedef struct spatial_service_t spatial_service_t;

/* Builds the detector from svc's configuration, connects the transport (group "spatial") and
 * the PostGIS writers. svc is borrowed and must outlive the service. Returns NULL and a reason
 * in errbuf when something cannot be set up. */
spatial_service_t *spatial_service_new(wf_service_t *svc, char *errbuf, size_t errlen);

/* Flushes what is pending (without acknowledging unwritten work) and frees everything.
 * NULL-safe; sets *self_p to NULL. */
void spatial_service_destroy(spatial_service_t **self_p);

/* Runs the receive → detect → persist → publish → acknowledge loop until wf_service_stopping().
 * Returns 0 on a requested stop, or a negative WF_E… after a failure that a restart (replaying
 * from the last acknowledgement) has to resolve. */
int spatial_service_run(spatial_service_t *self);

#endif
