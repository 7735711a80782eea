/* admin_replay.c — `wf-admin replay`: checks, the replay schema, the copy, the summary, --drop.
 *
 *   1. checks (before changing anything): Kafka back end, source topic, replay topics made or
 *      present and empty, schema NAME not there yet;
 *   2. creates schema NAME with empty copies of the tables the services write (signals, alerts,
 *      dead_letters; events when normalized is replayed) and a replay_info row;
 *   3. copies the range into replay.NAME.<topic> (admin_replay_kafka.c);
 *   4. runs the downstream services as child processes on the replay topics, with their own
 *      consumer groups, state directory and a search_path "NAME, public": their writes land in
 *      NAME.*, and what they read (boundaries) falls through to the live tables
 *      (admin_replay_services.c);
 *   5. waits until every replay group has committed everything, stops the services, prints
 *      what was copied and the rows written.
 * Identifiers: NAME is validated ([a-z_][a-z0-9_]{0,40}) and still quoted with
 * PQescapeIdentifier in the two statements that must name it (CREATE/DROP SCHEMA); every other
 * statement is fixed text that finds NAME through search_path, set by a parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "admin_replay_int.h"

/* ---- database --------------------------------------------------------------------------- */

/* Points the session's search_path at schema name alone (a parameter, never SQL text). */
static int s_use_schema(PGconn *pg, const char *name, bool local, char *errbuf, size_t errlen)
{
    char *ident = PQescapeIdentifier(pg, name, strlen(name));
    if (!ident) {
        admin_errorf(errbuf, errlen, "schema name: %s", PQerrorMessage(pg));
        return WF_EINVAL;
    }
    const char *params[] = {ident, local ? "true" : "false"};
    int rc = admin_pg_query(pg, "search_path", "SELECT set_config('search_path', $1, $2::boolean)",
                            2, params, NULL, errbuf, errlen);
    PQfreemem(ident);
    return rc;
}

/* Runs CREATE SCHEMA / DROP SCHEMA … CASCADE on the quoted name; verb is a constant. */
static int s_schema_ddl(PGconn *pg, const char *verb, const char *name, const char *tail,
                        char *errbuf, size_t errlen)
{
    char *ident = PQescapeIdentifier(pg, name, strlen(name));
    if (!ident) {
        admin_errorf(errbuf, errlen, "schema name: %s", PQerrorMessage(pg));
        return WF_EINVAL;
    }
    char sql[256];
    snprintf(sql, sizeof sql, "%s SCHEMA %s%s", verb, ident, tail);
    PQfreemem(ident);
    return admin_pg_query(pg, verb, sql, 0, NULL, NULL, errbuf, errlen);
}

/* 1 when schema name exists and was made by replay, 0 when it does not exist, WF_EEXIST when
 * it exists without replay_info (someone else's schema), or a negative error. */
static int s_schema_state(PGconn *pg, const char *name, char *errbuf, size_t errlen)
{
    char qualified[ADMIN_REPLAY_NAME_MAX + 16];
    snprintf(qualified, sizeof qualified, "%s.replay_info", name); /* validated: no quoting */
    const char *params[] = {name, qualified};
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "schema",
                            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),"
                            " to_regclass($2) IS NOT NULL",
                            2, params, &result, errbuf, errlen);
    if (rc)
        return rc;
    bool exists = strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    bool ours = strcmp(PQgetvalue(result, 0, 1), "t") == 0;
    PQclear(result);
    return !exists ? 0 : ours ? 1 : WF_EEXIST;
}

/* Creates schema NAME with empty copies of the tables the replayed services write. */
static int s_create_schema(admin_replay_t *r, const char *range, char *errbuf, size_t errlen)
{
    /* enrich creates monthly partitions of public.events through this function; NAME.events is
     * a plain table, so the replay schema's own version does nothing */
    static const char *const tables[] = {
        "CREATE TABLE signals (LIKE public.signals INCLUDING ALL)",
        "CREATE TABLE alerts (LIKE public.alerts INCLUDING ALL)",
        "CREATE TABLE dead_letters (LIKE public.dead_letters INCLUDING ALL)",
        "CREATE TABLE replay_info (topic text NOT NULL, source_topic text NOT NULL,"
        " range text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),"
        " finished_at timestamptz, copied bigint)",
        "CREATE TABLE events (LIKE public.events INCLUDING ALL)",
        "CREATE FUNCTION wf_ensure_event_partitions(months timestamptz[]) RETURNS void"
        " LANGUAGE plpgsql AS $$BEGIN NULL; END$$",
    };
    size_t ntables = r->topic == 0 ? 6 : 4;
    const char *name = r->args->name;
    int rc = admin_pg_query(r->pg, "begin", "BEGIN", 0, NULL, NULL, errbuf, errlen);
    if (!rc)
        rc = s_schema_ddl(r->pg, "CREATE", name, "", errbuf, errlen);
    if (!rc)
        rc = s_use_schema(r->pg, name, true, errbuf, errlen);
    for (size_t i = 0; !rc && i < ntables; i++)
        rc = admin_pg_query(r->pg, "replay schema", tables[i], 0, NULL, NULL, errbuf, errlen);
    const char *params[] = {r->replay[r->topic], r->live[r->topic], range};
    if (!rc)
        rc = admin_pg_query(r->pg, "replay_info",
                            "INSERT INTO replay_info (topic, source_topic, range)"
                            " VALUES ($1, $2, $3)",
                            3, params, NULL, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(r->pg, "commit", "COMMIT", 0, NULL, NULL, errbuf, errlen);
    if (rc)
        PQclear(PQexec(r->pg, "ROLLBACK"));
    return rc;
}

/* ---- the steps -------------------------------------------------------------------------- */

/* Makes (kafka.create_topics) or finds the replay topics, and checks they are empty and that
 * the copied one has the source's partitions (the copy keeps partition numbers). */
static int s_prepare_topics(admin_replay_t *r, char *errbuf, size_t errlen)
{
    const char *names[ADMIN_REPLAY_TOPICS];
    for (int t = 0; t < ADMIN_REPLAY_TOPICS; t++)
        names[t] = r->replay[t];
    bool create = wf_config_bool(r->config, "kafka.create_topics");
    int rc = create ? admin_kafka_create_topics(r->kafka, names, ADMIN_REPLAY_TOPICS, r->partitions,
                                                errbuf, errlen)
                    : WF_OK;
    for (int t = 0; !rc && t < ADMIN_REPLAY_TOPICS; t++) {
        int32_t count = 0;
        int64_t held = 0;
        rc = admin_kafka_partitions(r->kafka, names[t], &count, errbuf, errlen);
        if (rc == WF_ENOTFOUND) {
            admin_errorf(errbuf, errlen,
                         "replay topic %s does not exist and kafka.create_topics is false: "
                         "create it with %d partitions first",
                         names[t], (int)r->partitions);
            return rc;
        }
        if (!rc && t == r->topic && count != r->partitions) {
            admin_errorf(errbuf, errlen, "replay topic %s has %d partitions, %s has %d", names[t],
                         (int)count, r->live[t], (int)r->partitions);
            return WF_EINVAL;
        }
        if (!rc &&
            (rc = admin_kafka_topic_size(r->kafka, names[t], count, &held, errbuf, errlen)) ==
                WF_OK &&
            held > 0) {
            admin_errorf(errbuf, errlen,
                         "replay topic %s already holds %lld messages (an earlier replay %s?): "
                         "`wf-admin replay --drop %s`, or choose another name",
                         names[t], (long long)held, r->args->name, r->args->name);
            return WF_EEXIST;
        }
    }
    return rc;
}

/* The range as text, for replay_info and the summary. */
static void s_range_text(const admin_replay_args_t *args, char *out, size_t len)
{
    char from[40] = "the start", to[40] = "the end";
    if (args->nranges) {
        size_t at = (size_t)snprintf(out, len, "offsets");
        for (size_t i = 0; i < args->nranges && at < len; i++) {
            const admin_offset_range_t *g = &args->ranges[i];
            char part[24] = "", last[24] = "";
            if (g->partition >= 0)
                snprintf(part, sizeof part, "%d:", (int)g->partition);
            if (g->last != ADMIN_OFFSET_END)
                snprintf(last, sizeof last, "%lld", (long long)g->last);
            at += (size_t)snprintf(out + at, len - at, "%s%s%lld-%s", i ? "," : " ", part,
                                   (long long)g->first, last);
        }
        return;
    }
    if (args->has_from)
        wf_clock_format_us(args->from_ms * 1000, from, sizeof from);
    if (args->has_to)
        wf_clock_format_us(args->to_ms * 1000, to, sizeof to);
    snprintf(out, len, "timestamps from %s to %s", from, to);
}

/* Rows the services wrote, and the summary on stdout. */
static int s_summary(admin_replay_t *r, int64_t copied, double copy_s, double total_s, char *errbuf,
                     size_t errlen)
{
    char copied_text[24];
    snprintf(copied_text, sizeof copied_text, "%lld", (long long)copied);
    const char *params[] = {copied_text};
    PGresult *result = NULL;
    int rc = s_use_schema(r->pg, r->args->name, false, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(r->pg, "replay_info",
                            "UPDATE replay_info SET finished_at = now(), copied = $1::bigint", 1,
                            params, NULL, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(r->pg, "row counts",
                            r->topic == 0
                                ? "SELECT (SELECT count(*) FROM signals), (SELECT count(*) FROM "
                                  "alerts), (SELECT count(*) FROM dead_letters),"
                                  " (SELECT count(*) FROM events)"
                                : "SELECT (SELECT count(*) FROM signals), (SELECT count(*) FROM "
                                  "alerts), (SELECT count(*) FROM dead_letters), NULL",
                            0, NULL, &result, errbuf, errlen);
    if (rc)
        return rc;
    const char *name = r->args->name;
    printf("replay %s: copied %lld messages from %s into %s\n", name, (long long)copied,
           r->live[r->topic], r->replay[r->topic]);
    for (int32_t p = 0; p < r->partitions; p++)
        if (r->parts[p].first >= 0 && r->parts[p].end > r->parts[p].first)
            printf("  partition %d: offsets %lld-%lld read, %lld copied\n", (int)p,
                   (long long)r->parts[p].first, (long long)r->parts[p].end - 1,
                   (long long)r->parts[p].copied);
    printf("rows: %s.signals %s, %s.alerts %s, %s.dead_letters %s", name, PQgetvalue(result, 0, 0),
           name, PQgetvalue(result, 0, 1), name, PQgetvalue(result, 0, 2));
    if (r->topic == 0)
        printf(", %s.events %s", name, PQgetvalue(result, 0, 3));
    printf("\ntook %.1f s (copy %.1f s)%s%s\n", total_s, copy_s,
           r->state_dir[0] ? "; service logs in " : "", r->state_dir);
    PQclear(result);
    return WF_OK;
}

/* Removes the replay topics, best effort (what a broker refuses is reported). */
static int s_delete_kafka(admin_replay_t *r)
{
    const char *topics[ADMIN_REPLAY_TOPICS];
    for (int t = 0; t < ADMIN_REPLAY_TOPICS; t++)
        topics[t] = r->replay[t];
    return admin_kafka_delete(r->kafka, topics, ADMIN_REPLAY_TOPICS, stdout);
}

/* `wf-admin replay --drop NAME`: the schema (only one replay made) and the topics. */
static int s_drop(admin_replay_t *r, char *errbuf, size_t errlen)
{
    int state = s_schema_state(r->pg, r->args->name, errbuf, errlen);
    if (state == WF_EEXIST) {
        admin_errorf(errbuf, errlen, "schema %s was not made by wf-admin replay: not dropping it",
                     r->args->name);
        return state;
    }
    if (state < 0)
        return state;
    if (state == 1 && s_schema_ddl(r->pg, "DROP", r->args->name, " CASCADE", errbuf, errlen))
        return WF_EIO;
    printf("%s %s\n", state ? "dropped schema" : "no schema", r->args->name);
    int refused = s_delete_kafka(r);
    printf("replay topics of %s %s\n", r->args->name,
           refused ? "not all deleted (see above)" : "deleted");
    return WF_OK;
}

static int s_run(admin_replay_t *r, char *errbuf, size_t errlen)
{
    int64_t started = wf_clock_mono_us();
    char range[600];
    s_range_text(r->args, range, sizeof range);
    int rc = admin_kafka_partitions(r->kafka, r->live[r->topic], &r->partitions, errbuf, errlen);
    int state = rc ? rc : s_schema_state(r->pg, r->args->name, errbuf, errlen);
    if (state != 0) {
        if (state > 0 || state == WF_EEXIST)
            admin_errorf(errbuf, errlen, "schema %s exists already: choose another name%s",
                         r->args->name, state > 0 ? " or `wf-admin replay --drop NAME` it" : "");
        return state > 0 ? WF_EEXIST : state;
    }
    if (!(r->parts = calloc((size_t)r->partitions, sizeof *r->parts)))
        return WF_ENOMEM;
    if ((rc = s_prepare_topics(r, errbuf, errlen)) ||
        (rc = s_create_schema(r, range, errbuf, errlen)))
        return rc;
    printf("replay %s: %s of %s\n", r->args->name, range, r->live[r->topic]);
    fflush(stdout);
    rc = admin_kafka_copy(r->kafka, r->live[r->topic], r->replay[r->topic], r->partitions, r->args,
                          r->parts, errbuf, errlen);
    double copy_s = (double)(wf_clock_mono_us() - started) / 1e6;
    int64_t copied = 0;
    for (int32_t p = 0; p < r->partitions; p++)
        copied += r->parts[p].copied;
    if (!rc && copied > 0) /* nothing in the range: nothing to run */
        rc = admin_replay_process(r, errbuf, errlen);
    if (!rc)
        rc = s_summary(r, copied, copy_s, (double)(wf_clock_mono_us() - started) / 1e6, errbuf,
                       errlen);
    if (rc)
        return rc;
    if (r->args->keep || !wf_config_bool(r->config, "kafka.create_topics"))
        printf("replay topics replay.%s.* kept%s\n", r->args->name,
               r->args->keep ? " (--keep)" : " (kafka.create_topics is false: not ours)");
    else
        s_delete_kafka(r);
    printf("`wf-admin replay --drop %s` removes the schema%s\n", r->args->name,
           r->args->keep ? " and the topics" : "");
    return WF_OK;
}

int admin_replay_main(const wf_config_t *config, char *const *common_argv, int argc, char **argv)
{
    char errbuf[1024] = "";
    admin_replay_args_t args;
    if (admin_replay_args_parse(argc, argv, &args, errbuf, sizeof errbuf)) {
        fprintf(stderr, "wf-admin: %s (wf-admin --help shows the commands)\n", errbuf);
        return 2;
    }
    const char *backend = wf_config_string(config, "transport.backend");
    if (strcmp(backend, "kafka") != 0) {
        fprintf(stderr,
                "wf-admin replay: transport.backend is %s; replay needs the Kafka back end. "
                "ZeroMQ keeps no history: a message is gone once it has been consumed, so "
                "there is nothing to read again.\n",
                backend);
        return 2;
    }
    admin_replay_t r = {.config = config, .args = &args, .common_argv = common_argv};
    for (int t = 0; t < ADMIN_REPLAY_TOPICS; t++) {
        char key[32];
        snprintf(key, sizeof key, "topics.%s", admin_replay_topic_keys[t]);
        r.live[t] = wf_config_string(config, key);
        snprintf(r.replay[t], sizeof r.replay[t], "replay.%s.%s", args.name,
                 admin_replay_topic_keys[t]);
    }
    if (!args.drop) {
        r.topic = admin_replay_topic_index(args.topic, r.live, errbuf, sizeof errbuf);
        if (r.topic < 0) {
            fprintf(stderr, "wf-admin: %s\n", errbuf);
            return 2;
        }
        r.nstages = admin_replay_stages(r.topic, &r.stages);
        for (size_t i = 0; i < r.nstages; i++)
            snprintf(r.groups[i], sizeof r.groups[i], "replay.%s.%s", args.name,
                     r.stages[i].service);
    }
    int rc = WF_EIO;
    if ((r.pg = admin_pg_connect(config, errbuf, sizeof errbuf)) &&
        (r.kafka = admin_kafka_new(config, errbuf, sizeof errbuf)))
        rc = args.drop ? s_drop(&r, errbuf, sizeof errbuf) : s_run(&r, errbuf, sizeof errbuf);
    if (rc)
        wf_log_error("replay %s failed: %s%s", args.name, errbuf,
                     args.drop || rc == WF_EEXIST || !r.parts ? ""
                                                              : " (`wf-admin replay --drop NAME` "
                                                                "removes what was made)");
    admin_kafka_destroy(&r.kafka);
    PQfinish(r.pg);
    free(r.parts);
    return rc ? 1 : 0;
}
