/* console_auth.h — bearer-token checks against api_tokens, with a short cache.
 *
 * A token is looked up by the SHA-256 of its text. Answers are cached for console.token_cache
 * so a busy console does not query PostgreSQL per request; a revocation therefore takes
 * effect within that time for new requests (open streams were checked when they opened).
 */
#ifndef WF_CONSOLE_AUTH_H
#define WF_CONSOLE_AUTH_H
#include <stdbool.h>
#include <stdint.h>

#include "console_db.h"

#define CONSOLE_MAX_AGENCIES 16

/* Who is asking: the token's record. */
typedef struct {
    char token_id[37];
    char name[101];
    char role[16]; /* viewer | operator | supervisor | admin */
    char agencies[CONSOLE_MAX_AGENCIES][33];
    size_t nagencies; /* 0: every agency */
} console_principal_t;

typedef enum {
    CONSOLE_AUTH_OK,
    CONSOLE_AUTH_MISSING,    /* no token presented */
    CONSOLE_AUTH_INVALID,    /* malformed, unknown, revoked or expired */
    CONSOLE_AUTH_UNAVAILABLE /* the database could not be asked */
} console_auth_result_t;

typedef struct console_auth_t console_auth_t;

console_auth_t *console_auth_new(console_db_t *db, int64_t cache_us);
void console_auth_destroy(console_auth_t **self_p);

/* Checks token (NULL or "" = missing) and fills *who when it is valid. Thread-safe. */
console_auth_result_t console_auth_check(console_auth_t *self, const char *token,
                                         console_principal_t *who);

/* May this principal change alerts (acknowledge, assign, close)? */
bool console_principal_may_act(const console_principal_t *who);

/* May this principal see records of agency? (Scoping by agency is stored on the token; a
 * token without agencies sees every agency.) */
bool console_principal_sees_agency(const console_principal_t *who, const char *agency);

#endif
