/* ingest.h — wf-ingest's private header: the service object main.c builds and runs.
 *
 * wf-ingest reads incident files through mapping profiles and publishes one normalised event
 * per accepted record on topics.normalized; every other record becomes a dead letter (PostGIS
 * dead_letters and topics.deadletters). The pure stages live in ingest_<part>.c; the service
 * object in ingest_service.c wires them to the transport and the PostGIS writer.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>

#include <wf/service.h>

typedef enum {
    INGEST_ORDER_DEFAULT, /* time for files, file order when reading stdin */
    INGEST_ORDER_TIME,    /* read everything, publish sorted by occurred time (stable) */
    INGEST_ORDER_FILE,    /* publish in reading order, as records arrive */
} ingest_order_t;

/* One --profile group of the command line. */
typedef struct {
    const char *profile;      /* profile path */
    const char *const *files; /* files read through it ("-": stdin); borrowed from argv */
    size_t file_count;        /* entries in files */
} ingest_input_t;

typedef struct {
    double rate;                  /* events per second; 0: as fast as the pipeline takes them */
    ingest_order_t order;         /* --order */
    const ingest_input_t *inputs; /* --profile groups, in command-line order */
    size_t input_count;           /* entries in inputs */
} ingest_options_t;

typedef struct ingest_service_t ingest_service_t;

/* Loads the profiles, opens the transport and the dead-letter writer and records each feed in
 * the sources table. svc and options are borrowed and must outlive the service. Returns NULL and
 * a reason in errbuf when a profile is broken or PostGIS/the transport cannot be reached. */
ingest_service_t *ingest_service_new(wf_service_t *svc, const ingest_options_t *options,
                                     char *errbuf, size_t errlen);

/* Reads every file and publishes its events and dead letters, then flushes and logs a summary.
 * Returns 0 when all files were done or a stop was requested (SIGINT/SIGTERM), or a negative
 * WF_E… when the service could not go on (out of memory, transport failure). */
int ingest_service_run(ingest_service_t *self);

/* NULL-safe; sets *self_p to NULL. */
void ingest_service_destroy(ingest_service_t **self_p);

#endif
