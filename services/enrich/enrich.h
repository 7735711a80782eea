/* enrich.h — the enrich service's private interface between main.c and its glue.
 *
 * wf-enrich consumes NormalizedEvents (topics.normalized), assigns district and beat from the
 * boundary set in PostGIS, the NIBRS offense and hot-list hits from the reference tables
 * (enrich_reference.h), persists each event into the events table and publishes an
 * EnrichedEvent (topics.enriched). main.c only creates the service, steps it until a stop is
 * requested, and destroys it; everything that touches the transport or PostGIS is in
 * enrich_service.c.
 */
#ifndef ENRICH_H
#define ENRICH_H

#include <stddef.h>

#include <wf/service.h>

typedef struct enrich_service_t enrich_service_t;

/* Loads the boundary set from PostGIS (enrich.boundary_set, or the latest one) and the NIBRS
 * tables and hot lists, connects the events and dead-letter writers and the transport, and
 * subscribes to topics.normalized. svc is
 * borrowed (configuration and counters) and must outlive the service. Returns NULL with a
 * reason in errbuf when something is missing (no boundaries, no database, no transport). */
enrich_service_t *enrich_service_new(wf_service_t *svc, char *errbuf, size_t errlen);

/* Flushes nothing (unacknowledged input is replayed after a restart), frees everything, sets
 * *self_p to NULL. NULL-safe. */
void enrich_service_destroy(enrich_service_t **self_p);

/* One loop iteration: receive a batch (waiting up to 100 ms), enrich, persist, publish, flush,
 * acknowledge. PostGIS outages are waited out here with backoff, without acknowledging.
 * Returns 0 (also when a stop interrupted the batch: it is replayed later) or a negative WF_E…
 * the service cannot continue after. */
int enrich_service_step(enrich_service_t *self);

#endif
