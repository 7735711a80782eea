/* console_auth.c — bearer-token checks (see console_auth.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/log.h>
#include <wf/token.h>

#include "console_auth.h"

#define S_CACHE_SLOTS 256

typedef struct {
    uint8_t sha[WF_TOKEN_SHA_LEN];
    bool valid; /* a cached "no": unknown tokens are cached too, so guessing costs no queries */
    int64_t expires_mono_us;
    console_principal_t who;
} s_slot_t;

struct console_auth_t {
    console_db_t *db;
    int64_t cache_us;
    pthread_mutex_t lock;
    s_slot_t slots[S_CACHE_SLOTS];
};

console_auth_t *console_auth_new(console_db_t *db, int64_t cache_us)
{
    console_auth_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->db = db;
    self->cache_us = cache_us;
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void console_auth_destroy(console_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

/* Splits PostgreSQL's text form of a text[] of plain codes ("{CPD,ISP}"). */
static void s_parse_agencies(const char *text, console_principal_t *who)
{
    who->nagencies = 0;
    if (*text == '{')
        text++;
    while (*text && *text != '}' && who->nagencies < CONSOLE_MAX_AGENCIES) {
        size_t len = strcspn(text, ",}");
        snprintf(who->agencies[who->nagencies++], sizeof who->agencies[0], "%.*s", (int)len, text);
        text += len;
        if (*text == ',')
            text++;
    }
}

static console_auth_result_t s_lookup(console_auth_t *self, const uint8_t *sha,
                                      console_principal_t *who)
{
    PGconn *pg = console_db_acquire(self->db, 2000);
    if (!pg)
        return CONSOLE_AUTH_UNAVAILABLE;
    const char *params[1] = {(const char *)sha};
    int lengths[1] = {WF_TOKEN_SHA_LEN}, formats[1] = {1};
    PGresult *res =
        PQexecParams(pg,
                     "UPDATE api_tokens SET last_used_at = now() WHERE secret_sha256 = $1 "
                     "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
                     "RETURNING token_id, name, role, agencies",
                     1, NULL, params, lengths, formats, 0);
    console_auth_result_t result = CONSOLE_AUTH_INVALID;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        wf_log_warn("token lookup failed error=\"%s\"", PQerrorMessage(pg));
        result = CONSOLE_AUTH_UNAVAILABLE;
    } else if (PQntuples(res) == 1) {
        snprintf(who->token_id, sizeof who->token_id, "%s", PQgetvalue(res, 0, 0));
        snprintf(who->name, sizeof who->name, "%s", PQgetvalue(res, 0, 1));
        snprintf(who->role, sizeof who->role, "%s", PQgetvalue(res, 0, 2));
        s_parse_agencies(PQgetvalue(res, 0, 3), who);
        result = CONSOLE_AUTH_OK;
    }
    PQclear(res);
    console_db_release(self->db, pg);
    return result;
}

console_auth_result_t console_auth_check(console_auth_t *self, const char *token,
                                         console_principal_t *who)
{
    if (!token || !*token)
        return CONSOLE_AUTH_MISSING;
    if (!wf_token_well_formed(token))
        return CONSOLE_AUTH_INVALID;
    uint8_t sha[WF_TOKEN_SHA_LEN];
    if (wf_token_sha256(token, sha) != 0)
        return CONSOLE_AUTH_UNAVAILABLE;
    s_slot_t *slot = &self->slots[sha[0]];
    int64_t now = wf_clock_mono_us();
    pthread_mutex_lock(&self->lock);
    bool hit = slot->expires_mono_us > now && memcmp(slot->sha, sha, sizeof sha) == 0;
    bool valid = slot->valid;
    if (hit && valid)
        *who = slot->who;
    pthread_mutex_unlock(&self->lock);
    if (hit)
        return valid ? CONSOLE_AUTH_OK : CONSOLE_AUTH_INVALID;

    console_auth_result_t result = s_lookup(self, sha, who);
    if (result == CONSOLE_AUTH_UNAVAILABLE)
        return result;
    pthread_mutex_lock(&self->lock);
    memcpy(slot->sha, sha, sizeof sha);
    slot->valid = result == CONSOLE_AUTH_OK;
    slot->expires_mono_us = now + self->cache_us;
    if (slot->valid)
        slot->who = *who;
    pthread_mutex_unlock(&self->lock);
    return result;
}

bool console_principal_may_act(const console_principal_t *who)
{
    return strcmp(who->role, "viewer") != 0;
}

bool console_principal_sees_agency(const console_principal_t *who, const char *agency)
{
    if (who->nagencies == 0)
        return true;
    for (size_t i = 0; i < who->nagencies; i++)
        if (agency && strcmp(who->agencies[i], agency) == 0)
            return true;
    return false;
}
