/* console_api_int.h — what the query API's handler files share: parameter checks that answer
 * 400 themselves, the database borrow that answers 503, the agency scope of a token, and the
 * FeatureCollection page writer. Only console_api*.c include it.
 */
#ifndef WF_CONSOLE_API_INT_H
#define WF_CONSOLE_API_INT_H
#include <stdbool.h>
#include <stddef.h>

#include <civetweb.h>

#include "console.h"
#include "console_params.h"

/* Per-file registration, called by console_api_register. */
void console_api_events_register(struct mg_context *ctx, console_t *console);
void console_api_alerts_register(struct mg_context *ctx, console_t *console);
void console_api_health_register(struct mg_context *ctx, console_t *console);

/* The alert workflow (console_api_workflow.c): POST /api/v1/alerts/{id}/{action}. action is
 * the last path segment; answers every outcome itself and returns the status. */
int console_api_workflow(console_t *console, struct mg_connection *conn,
                         const console_principal_t *who, const char *alert_id, const char *action);

/* Answers for an alert id the database does not have (or not in who's scope): 409
 * not_stored_yet with Retry-After when this console streamed it to who (wf-alert stores in
 * batches, so it is about to be stored), else 404. Returns the status. */
int console_api_alert_absent(console_t *console, struct mg_connection *conn,
                             const console_principal_t *who, const char *alert_id);

/* Answers 400 and returns false when the query string holds a parameter not in allowed
 * (NULL-terminated), one given twice, or one that is not name=value; so typos are caught. */
bool console_api_check_names(struct mg_connection *conn, const char *const *allowed);

/* The statuses below: 1 present (out filled), 0 absent (out empty), -1 bad: answered 400. */

/* A free-text filter (console_params_is_clean_text with max_chars). */
int console_api_text(struct mg_connection *conn, const char *name, char *out, size_t len,
                     size_t max_chars);

/* An RFC 3339 time, written to out as PostgreSQL-ready UTC text. */
int console_api_time(struct mg_connection *conn, const char *name,
                     char out[CONSOLE_PARAMS_TIME_LEN]);

/* limit (default CONSOLE_PARAMS_LIMIT_DEFAULT when absent). Returns false when answered 400. */
bool console_api_limit(struct mg_connection *conn, int *limit);

/* cursor of list kind ('e', 'a'): the page key as a time text and a UUID text. */
int console_api_cursor(struct mg_connection *conn, char kind, char time[CONSOLE_PARAMS_TIME_LEN],
                       char uuid[CONSOLE_PARAMS_UUID_LEN]);

/* The token's agencies as a PostgreSQL text[] literal in out, or NULL when the token sees
 * every agency (the queries then skip the agency = ANY($n) condition). */
const char *console_api_scope(const console_principal_t *who, char *out, size_t len);

/* Borrows a database connection; NULL after answering 503. */
PGconn *console_api_db(console_t *console, struct mg_connection *conn);

/* Answers 200 with a FeatureCollection of res's rows, newest first: column 0 is a Feature's
 * JSON text, columns 1 and 2 the page key (µs since the epoch, UUID). res holds up to
 * limit + 1 rows; when it holds more than limit, the last is left out and "next" is the
 * cursor of list kind that continues after the last one sent. Returns the status. */
int console_api_send_page(struct mg_connection *conn, const PGresult *res, int limit, char kind);

/* Answers status with body as content_type (no-store). */
void console_api_send_text(struct mg_connection *conn, int status, const char *content_type,
                           const char *body, size_t len);

/* Answers 503 for a failed query (logged once here with the query's error). */
int console_api_query_failed(struct mg_connection *conn, PGconn *pg, const char *what);

#endif
