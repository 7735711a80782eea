/* admin_token.c — `wf-admin token`: creates, lists and revokes the console's bearer tokens.
 *
 * The secret is printed once, on stdout alone (so `TOKEN=$(wf-admin token create …)` works),
 * and only its SHA-256 reaches the database. Names are unique so that the audit trail
 * (alert_actions.actor) names a holder, not a hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <uuid/uuid.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>
#include <wf/log.h>
#include <wf/token.h>

#include "admin_service.h"
#include "admin_token.h"

#define S_MAX_AGENCIES 64

static const char s_usage[] =
    "usage: wf-admin token create --name NAME [--role viewer|operator|supervisor|admin]\n"
    "                             [--agency CODE]... [--expires DURATION] [--note TEXT]\n"
    "       wf-admin token list\n"
    "       wf-admin token revoke NAME\n";

typedef struct {
    const char *name, *role, *expires, *note;
    const char *agencies[S_MAX_AGENCIES];
    size_t nagencies;
} s_create_args_t;

static int s_usage_error(const char *reason)
{
    fprintf(stderr, "wf-admin token: %s\n%s", reason, s_usage);
    return 2;
}

static bool s_valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 100)
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int s_parse_create(int argc, char **argv, s_create_args_t *args, char *why, size_t len)
{
    *args = (s_create_args_t){.role = "operator"};
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (i + 1 >= argc) {
            snprintf(why, len, "%s needs a value", opt);
            return -1;
        }
        const char *value = argv[++i];
        if (strcmp(opt, "--name") == 0)
            args->name = value;
        else if (strcmp(opt, "--role") == 0)
            args->role = value;
        else if (strcmp(opt, "--expires") == 0)
            args->expires = value;
        else if (strcmp(opt, "--note") == 0)
            args->note = value;
        else if (strcmp(opt, "--agency") == 0 && args->nagencies < S_MAX_AGENCIES)
            args->agencies[args->nagencies++] = value;
        else {
            snprintf(why, len, "unknown option %s", opt);
            return -1;
        }
    }
    static const char *const roles[] = {"viewer", "operator", "supervisor", "admin"};
    bool role_ok = false;
    for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
        role_ok = role_ok || strcmp(args->role, roles[i]) == 0;
    int64_t us;
    if (!args->name || !s_valid_name(args->name))
        snprintf(why, len, "--name is required (1-100 printable characters)");
    else if (!role_ok)
        snprintf(why, len, "unknown role '%s' (viewer|operator|supervisor|admin)", args->role);
    else if (args->expires && (wf_clock_parse_duration(args->expires, &us) != WF_OK || us <= 0))
        snprintf(why, len, "--expires: '%s' is not a duration like 12h, 90d", args->expires);
    else
        return 0;
    return -1;
}

/* agencies as a PostgreSQL array literal; codes with characters that would need quoting are
 * refused rather than escaped, since agency codes are short identifiers. */
static int s_agency_array(const s_create_args_t *args, char *out, size_t len, char *why,
                          size_t whylen)
{
    size_t used = (size_t)snprintf(out, len, "{");
    for (size_t i = 0; i < args->nagencies; i++) {
        const char *code = args->agencies[i];
        if (!*code || strpbrk(code, "{}\",\\ '") || strlen(code) > 32) {
            snprintf(why, whylen, "--agency '%s' is not an agency code", code);
            return -1;
        }
        used +=
            (size_t)snprintf(out + used, len > used ? len - used : 0, "%s%s", i ? "," : "", code);
    }
    if (used + 2 > len) {
        snprintf(why, whylen, "too many agencies");
        return -1;
    }
    strcat(out, "}");
    return 0;
}

static int s_create(PGconn *pg, const s_create_args_t *args, char *why, size_t len)
{
    char agencies[S_MAX_AGENCIES * 34 + 3];
    if (s_agency_array(args, agencies, sizeof agencies, why, len))
        return 2;
    char token[WF_TOKEN_LEN + 1];
    uint8_t sha[WF_TOKEN_SHA_LEN];
    wf_uuid_t id;
    uuid_generate_random(id.bytes);
    char idtext[37], expires_s[32] = "";
    if (wf_token_generate(token, sizeof token) || wf_token_sha256(token, sha)) {
        snprintf(why, len, "cannot generate a token (no randomness or no SHA-256)");
        return 1;
    }
    int64_t expires_us = 0;
    if (args->expires) {
        wf_clock_parse_duration(args->expires, &expires_us);
        snprintf(expires_s, sizeof expires_s, "%lld", (long long)(expires_us / WF_US_PER_SEC));
    }
    const char *params[7] = {
        wf_uuid_format(id.bytes, idtext), args->name, (const char *)sha, args->role, agencies,
        args->expires ? expires_s : NULL, args->note};
    int lengths[7] = {0, 0, WF_TOKEN_SHA_LEN, 0, 0, 0, 0};
    int formats[7] = {0, 0, 1, 0, 0, 0, 0};
    PGresult *res = PQexecParams(
        pg,
        "INSERT INTO api_tokens (token_id, name, secret_sha256, role, agencies, expires_at, note) "
        "VALUES ($1, $2, $3, $4, $5::text[], now() + make_interval(secs => $6::bigint), $7)",
        7, NULL, params, lengths, formats, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "23505") == 0)
            snprintf(why, len, "a token named '%s' exists (revoke it or choose another name)",
                     args->name);
        else
            snprintf(why, len, "%s", PQerrorMessage(pg));
        rc = 1;
    } else {
        printf("%s\n", token);
        fprintf(stderr,
                "wf-admin token: created '%s' (role %s, agencies %s%s%s). The token is shown "
                "once: store it now.\n",
                args->name, args->role, args->nagencies ? agencies : "all",
                args->expires ? ", expires in " : "", args->expires ? args->expires : "");
    }
    PQclear(res);
    return rc;
}

static int s_list(PGconn *pg, char *why, size_t len)
{
    PGresult *res = PQexec(
        pg, "SELECT name, role, array_to_string(agencies, ','), "
            "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
            "coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
            "'-'), CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= now() "
            "THEN 'expired' ELSE 'active' END, coalesce(to_char(last_used_at AT TIME ZONE "
            "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'never') FROM api_tokens ORDER BY name");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(why, len, "%s", PQerrorMessage(pg));
        PQclear(res);
        return 1;
    }
    printf("%-24s %-10s %-16s %-20s %-20s %-8s %s\n", "NAME", "ROLE", "AGENCIES", "CREATED",
           "EXPIRES", "STATE", "LAST USED");
    for (int i = 0; i < PQntuples(res); i++) {
        const char *agencies = PQgetvalue(res, i, 2);
        printf("%-24s %-10s %-16s %-20s %-20s %-8s %s\n", PQgetvalue(res, i, 0),
               PQgetvalue(res, i, 1), *agencies ? agencies : "all", PQgetvalue(res, i, 3),
               PQgetvalue(res, i, 4), PQgetvalue(res, i, 5), PQgetvalue(res, i, 6));
    }
    PQclear(res);
    return 0;
}

static int s_revoke(PGconn *pg, const char *name, char *why, size_t len)
{
    const char *params[1] = {name};
    PGresult *res = PQexecParams(pg,
                                 "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 "
                                 "AND revoked_at IS NULL",
                                 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(why, len, "%s", PQerrorMessage(pg));
        rc = 1;
    } else if (strcmp(PQcmdTuples(res), "1") != 0) {
        snprintf(why, len, "no active token named '%s'", name);
        rc = 1;
    } else {
        fprintf(stderr, "wf-admin token: revoked '%s'\n", name);
    }
    PQclear(res);
    return rc;
}

int admin_token_main(const wf_config_t *config, int argc, char **argv)
{
    char why[512] = "";
    const char *verb = argc > 1 ? argv[1] : "";
    s_create_args_t create = {0};
    if (strcmp(verb, "create") == 0) {
        if (s_parse_create(argc, argv, &create, why, sizeof why))
            return s_usage_error(why);
    } else if (strcmp(verb, "revoke") == 0) {
        if (argc != 3)
            return s_usage_error("revoke needs exactly one NAME");
    } else if (strcmp(verb, "list") != 0 || argc != 2) {
        return s_usage_error(*verb ? "unknown token command" : "missing token command");
    }
    PGconn *pg = admin_pg_connect(config, why, sizeof why);
    int rc = 1;
    if (pg && strcmp(verb, "create") == 0)
        rc = s_create(pg, &create, why, sizeof why);
    else if (pg && strcmp(verb, "list") == 0)
        rc = s_list(pg, why, sizeof why);
    else if (pg)
        rc = s_revoke(pg, argv[2], why, sizeof why);
    if (rc)
        wf_log_error("token %s failed: %s", verb, why);
    PQfinish(pg);
    return rc;
}
