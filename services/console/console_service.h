/* console_service.h — wf-console: the HTTP server and the feed from the bus into the hub. */
#ifndef WF_CONSOLE_SERVICE_H
#define WF_CONSOLE_SERVICE_H
#include <stddef.h>

#include <wf/service.h>

typedef struct console_service_t console_service_t;

/* Connects to PostgreSQL, subscribes to the enriched, signals and alerts topics and starts
 * listening. NULL and a reason on failure. */
console_service_t *console_service_new(wf_service_t *svc, char *errbuf, size_t errlen);

/* Moves what arrived on the bus into the hub. Returns WF_OK, WF_EINTR or a fatal WF_E…. */
int console_service_step(console_service_t *self);

void console_service_destroy(console_service_t **self_p);

#endif
