/* console_api_health.c — GET /api/v1/health: is every feed delivering, and how is every
 * service doing?
 *
 * Per feed (a sources row, written by wf-ingest when it reads a feed): events ingested in the
 * last 5 and 60 minutes, the last ingest time and its lag, dead letters in the last 24 hours
 * and in total. Every count is a range scan of an index of migration 0008 (events by
 * (source, ingested_at), dead_letters by (source, received_at)), so the page costs little
 * however long the history. Per service: its latest stats snapshot
 * (<state_dir>/stats/<service>.stats, "name value" lines written every second by the common
 * service loop) as JSON numbers, with the snapshot's age: a stale one means the service is
 * stopped or stuck. (wf-admin's own snapshot is left out: it is a command, not a service.)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include <wf/clock.h>

#include "console_api_int.h"
#include "console_feed.h"
#include "console_http.h"

#define S_STATS_MAX_SERVICES 64
#define S_STATS_MAX_LINES    4096

/* SQL is laid out one clause a line, as it reads best. */
/* clang-format off */
static const char s_feeds_sql[] =
    "SELECT coalesce(json_agg(json_build_object("
    "  'source', s.source, 'agency', s.agency, 'format', s.format, "
    "  'events_5m', recent.events_5m, 'events_60m', recent.events_60m, "
    "  'last_ingested_at', wf_rfc3339(last.at), "
    "  'lag_s', round(extract(epoch FROM now() - last.at), 3), "
    "  'dead_letters_24h', dead.recent, 'dead_letters_total', dead.total) "
    "  ORDER BY s.source), '[]')::text "
    "FROM sources s "
    "CROSS JOIN LATERAL (SELECT "
    "    count(*) FILTER (WHERE e.ingested_at >= now() - interval '5 minutes') AS events_5m, "
    "    count(*) AS events_60m "
    "  FROM events e "
    "  WHERE e.source = s.source AND e.ingested_at >= now() - interval '60 minutes') recent "
    "CROSS JOIN LATERAL (SELECT max(e.ingested_at) AS at "
    "  FROM events e WHERE e.source = s.source) last "
    "CROSS JOIN LATERAL (SELECT "
    "    count(*) FILTER (WHERE d.received_at >= now() - interval '24 hours') AS recent, "
    "    count(*) AS total "
    "  FROM dead_letters d WHERE d.source = s.source) dead "
    "WHERE ($1::text[] IS NULL OR s.agency = ANY($1))";
/* clang-format on */

/* Parses one snapshot file into {name: number}. Lines that are not "name integer" are skipped:
 * a snapshot is written by rename, so it is whole, but it is still input. */
static json_t *s_read_stats(const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return NULL;
    json_t *stats = json_object();
    char line[512];
    for (int n = 0; n < S_STATS_MAX_LINES && fgets(line, sizeof line, in); n++) {
        char *space = strchr(line, ' ');
        if (!space || space == line)
            continue;
        *space = '\0';
        char *end;
        errno = 0;
        long long value = strtoll(space + 1, &end, 10);
        if (errno || end == space + 1 || (*end != '\n' && *end != '\0'))
            continue;
        json_object_set_new(stats, line, json_integer(value));
    }
    fclose(in);
    return stats;
}

static int s_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* [{service, updated_at, age_s, stats}] for every <state_dir>/stats/NAME.stats, by name. */
static json_t *s_services(const char *state_dir)
{
    json_t *services = json_array();
    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s/stats", state_dir);
    DIR *dir = opendir(dir_path);
    if (!dir)
        return services;
    char *names[S_STATS_MAX_SERVICES];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < S_STATS_MAX_SERVICES) {
        size_t len = strlen(entry->d_name);
        bool snapshot = len > 6 && strcmp(entry->d_name + len - 6, ".stats") == 0 &&
                        entry->d_name[0] != '.' && strcmp(entry->d_name, "admin.stats") != 0;
        if (snapshot && (names[count] = strdup(entry->d_name)) != NULL)
            count++;
    }
    closedir(dir);
    qsort(names, count, sizeof *names, s_compare_names);
    int64_t now_us = wf_clock_now_us();
    for (size_t i = 0; i < count; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir_path, names[i]);
        struct stat info;
        json_t *stats = stat(path, &info) == 0 ? s_read_stats(path) : NULL;
        if (stats) {
            int64_t mtime_us = (int64_t)info.st_mtim.tv_sec * 1000000 + info.st_mtim.tv_nsec / 1000;
            names[i][strlen(names[i]) - 6] = '\0';
            json_array_append_new(services,
                                  json_pack("{s:s, s:o, s:f, s:o}", "service", names[i],
                                            "updated_at", console_json_time(mtime_us), "age_s",
                                            (double)(now_us - mtime_us) / 1e6, "stats", stats));
        }
        free(names[i]);
    }
    return services;
}

static int s_health(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    static const char *const allowed[] = {NULL};
    console_principal_t who;
    if (!console_authenticate(console, conn, &who))
        return 401;
    if (strcmp(mg_get_request_info(conn)->request_method, "GET") != 0) {
        console_send_error(conn, 405, "method_not_allowed", NULL, "use GET");
        return 405;
    }
    if (!console_api_check_names(conn, allowed))
        return 400;
    char scope[1024];
    const char *params[1] = {console_api_scope(&who, scope, sizeof scope)};
    PGconn *pg = console_api_db(console, conn);
    if (!pg)
        return 503;
    PGresult *res = PQexecParams(pg, s_feeds_sql, 1, NULL, params, NULL, NULL, 0);
    json_t *feeds = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        feeds = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    int status = 200;
    if (!feeds) {
        status = console_api_query_failed(conn, pg, "health");
    } else {
        console_send_json(conn, 200,
                          json_pack("{s:o, s:o, s:o}", "generated_at",
                                    console_json_time(wf_clock_now_us()), "feeds", feeds,
                                    "services", s_services(console->state_dir)));
    }
    PQclear(res);
    console_db_release(console->db, pg);
    return status;
}

void console_api_health_register(struct mg_context *ctx, console_t *console)
{
    mg_set_request_handler(ctx, "/api/v1/health$", s_health, console);
}
