/* enrich_reference.h — the reference tables enrich classifies and matches with, kept current.
 *
 * Holds the NIBRS tables (enrich_nibrs) and the unexpired hot-list entries (enrich_hotlist) read
 * from PostGIS over a connection of its own. They are loaded at start and reloaded when they
 * change: every enrich.reference_poll, one query reads the two counters of reference_versions,
 * which statement triggers bump on every change to the tables (wf-admin or plain SQL), and a
 * group whose counter moved is read again in one repeatable-read transaction and swapped in
 * whole between two batches. Polling rather than LISTEN: the counter survives what a
 * notification does not (a lost connection, an enrich that was down during the change), a
 * missed poll is caught up by the next one, and the cost is one single-row query every few
 * seconds. A failed reload keeps the tables in use and is retried at the next poll.
 *
 * Thread: enrich's one thread.
 */
#ifndef ENRICH_REFERENCE_H
#define ENRICH_REFERENCE_H

#include <stddef.h>

#include <wf/config.h>
#include <wf/stats.h>

#include "enrich_hotlist.h"
#include "enrich_nibrs.h"

typedef struct enrich_reference_t enrich_reference_t;

/* Connects with pg.conninfo and loads both groups. stats is borrowed (reload counters).
 * Returns NULL with a reason in errbuf when the database or the tables (migration 0005) are
 * missing or the tables are inconsistent; empty tables are only a warning. */
enrich_reference_t *enrich_reference_new(const wf_config_t *config, wf_stats_t *stats, char *errbuf,
                                         size_t errlen);

/* Closes the connection and frees the tables; sets *self_p to NULL. NULL-safe. */
void enrich_reference_destroy(enrich_reference_t **self_p);

/* Polls the version counters when enrich.reference_poll has passed since the last poll and
 * reloads what changed. Never fails: problems are logged and retried at the next poll. Call
 * between batches: a reload frees the tables the previous batch's hits borrowed from. */
void enrich_reference_refresh(enrich_reference_t *self);

/* The tables in use (borrowed until the next refresh). */
const enrich_nibrs_t *enrich_reference_nibrs(const enrich_reference_t *self);
const enrich_hotlist_t *enrich_reference_hotlist(const enrich_reference_t *self);

#endif
