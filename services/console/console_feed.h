/* console_feed.h — bus messages as the JSON the console streams to browsers.
 *
 * The field names are those of docs/console-api.md and of the query API's GeoJSON
 * properties, so a client treats a live message and a queried row alike.
 */
#ifndef WF_CONSOLE_FEED_H
#define WF_CONSOLE_FEED_H
#include <stddef.h>

#include <jansson.h>

#include <wf/watchfloor.pb-c.h>

#include "console_hub.h"

/* Renders envelope. Returns the JSON object (caller frees) and sets *type and *agency
 * (borrowed from envelope); NULL when the message is not for consoles (a context-only copy,
 * a body type consoles do not show). */
json_t *console_feed_render(const Wf__Envelope *envelope, console_msg_type_t *type,
                            const char **agency);

/* "2014-03-15T05:00:00.000000Z" for µs since the epoch; JSON null for 0 (unknown). */
json_t *console_json_time(int64_t us);

/* Lower-case names as stored in PostGIS ("law_enforcement", "severe"). */
const char *console_dissemination_name(int value);
const char *console_severity_name(int value);

#endif
