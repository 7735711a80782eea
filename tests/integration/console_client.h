/* console_client.h — integration tests of wf-console: start it on a scratch database, make
 * tokens with wf-admin, and talk to it over real HTTP (libcurl).
 */
#ifndef WF_TEST_CONSOLE_CLIENT_H
#define WF_TEST_CONSOLE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "harness.h"

/* What a deployment file needs for a test console: any free port, no token cache (so a
 * revocation shows at once), an empty web root in the scratch directory. */
#define CONSOLE_CLIENT_YAML "console:\n  listen: 127.0.0.1:0\n  web_root: web\n  token_cache: 0s\n"

typedef struct {
    long status; /* HTTP status, 0 when the request failed */
    char *body;  /* NUL-terminated; caller frees with console_response_clear */
    size_t len;
    char content_type[128];
    char retry_after[32];  /* "" when absent */
    bool www_authenticate; /* the header was sent */
} console_response_t;

/* Starts wf-console with the harness's deployment file and reads its URL (written to
 * <state_dir>/console.url). Returns false after printing why. */
bool console_client_start(harness_t *h, char *url, size_t len);

/* Runs wf-admin token create --name name --role role [--agency agency] and returns the token
 * it printed (static storage, overwritten by the next call), or NULL. */
const char *console_client_token(harness_t *h, const char *name, const char *role,
                                 const char *agency);

/* wf-admin token revoke name. */
bool console_client_revoke(harness_t *h, const char *name);

/* method path (appended to url) with "Authorization: Bearer token" when token is not NULL and
 * body as JSON when not NULL; waits at most timeout_ms (0: 30 s). Fills *response. */
void console_request(const char *url, const char *method, const char *path, const char *token,
                     const char *body, long timeout_ms, console_response_t *response);
void console_response_clear(console_response_t *response);

/* GET path and parse the JSON answer; NULL (after printing) unless the status is expected. */
json_t *console_get_json(const char *url, const char *path, const char *token, long expected);

/* Follows "next" from path (which must already hold "?…limit=…") until the last page,
 * appending each feature's properties[id_property] to ids (capacity max). Checks that no page
 * holds more than limit features. Returns how many ids, or -1 after printing the failure. */
int console_walk_pages(const char *url, const char *path, const char *token, int limit,
                       const char *id_property, char (*ids)[37], int max);

#endif
