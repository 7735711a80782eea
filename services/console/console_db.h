/* console_db.h — a small pool of PostgreSQL connections for the HTTP worker threads.
 *
 * libpq connections are not shared between threads; each request borrows one for its
 * duration. A connection found broken is reset before it is lent again, so a PostgreSQL
 * restart costs the requests in flight (answered 503) and nothing after.
 */
#ifndef WF_CONSOLE_DB_H
#define WF_CONSOLE_DB_H
#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

typedef struct console_db_t console_db_t;

/* Opens size connections with conninfo. Returns NULL and a reason when the first fails. */
console_db_t *console_db_new(const char *conninfo, size_t size, char *errbuf, size_t errlen);
void console_db_destroy(console_db_t **self_p);

/* Borrows a connection, waiting up to timeout_ms for one to be free. NULL: none free in time,
 * or the database is unreachable. */
PGconn *console_db_acquire(console_db_t *self, int timeout_ms);

/* Returns a borrowed connection. */
void console_db_release(console_db_t *self, PGconn *conn);

#endif
