/* console.h — what the parts of wf-console share: the database pool, token checks, the stream
 * hub and the settings. One console_t lives for the process; HTTP worker threads read it.
 */
#ifndef WF_CONSOLE_H
#define WF_CONSOLE_H
#include <stdbool.h>
#include <stdint.h>

#include <wf/config.h>

#include "console_auth.h"
#include "console_db.h"
#include "console_hub.h"

typedef struct {
    const wf_config_t *config; /* borrowed from the service */
    console_db_t *db;          /* connection pool */
    console_auth_t *auth;      /* token checks (cached) */
    console_hub_t *hub;        /* recent stream messages, for SSE/WebSocket and resume */
    const char *state_dir;     /* where the services' stats snapshots are (feed health) */
    volatile bool stopping;    /* set at shutdown: streaming handlers return */
} console_t;

#endif
