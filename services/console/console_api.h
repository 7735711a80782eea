/* console_api.h — the REST/GeoJSON query API and the alert workflow (docs/console-api.md). */
#ifndef WF_CONSOLE_API_H
#define WF_CONSOLE_API_H
#include <civetweb.h>

#include "console.h"

/* Registers every /api/v1 query and workflow handler. */
void console_api_register(struct mg_context *ctx, console_t *console);

#endif
