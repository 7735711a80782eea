/* test_console_api.c — wf-console's query API over real HTTP against a real PostGIS.
 *
 * A scratch database is seeded with SQL (events over three monthly partitions, with ties in
 * occurred_at so paging must use its tie-breaker; alerts; a signal; feeds and dead letters),
 * a real wf-console serves it, and libcurl asks. Every expected answer is computed here by an
 * independent SQL query (ST_X/ST_Y ranges, LIKE, IN), never copied from the console's SQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "console_client.h"

#define S_MAX_IDS 512

static harness_t s_h;
static char s_url[256];
static char s_operator[128], s_isp[128];

/* 240 events: three agencies, two feeds, five kinds (one a bare "burglary" so exact and prefix
 * differ), every 11th without a point, three events per occurred_at (ties), May to July 2017;
 * ingested 1..240 minutes ago (feed health). */
static const char s_seed_sql[] =
    "SELECT wf_ensure_event_partitions(ARRAY['2017-05-01', '2017-06-01', "
    "  '2017-07-01']::timestamptz[]);"
    "INSERT INTO events (event_id, occurred_at, ingested_at, enriched_at, agency, source, "
    "  source_record_id, kind, area_method, dissemination, geom) "
    "SELECT md5('ev' || i)::uuid, '2017-05-10T00:00:00Z'::timestamptz + (i / 3) * interval "
    "  '17 hours', now() - i * interval '1 minute', now(), "
    "  (ARRAY['CPD', 'ISP', 'CCSO'])[1 + i % 3], (ARRAY['cpd-calls', 'isp-rms'])[1 + i % 2], "
    "  'r' || i, (ARRAY['burglary.residential', 'burglary.commercial', 'theft.retail', "
    "  'robbery.street', 'burglary'])[1 + i % 5], 'point_in_polygon', 'law_enforcement', "
    "  CASE WHEN i % 11 = 0 THEN NULL ELSE ST_SetSRID(ST_MakePoint(-87.9 + (i * 37 % 100) * "
    "  0.004, 41.65 + (i * 53 % 100) * 0.0035), 4326) END FROM generate_series(1, 240) i;"
    "INSERT INTO alerts (alert_id, rule_id, severity, dedupe_key, window_start, event_ids, "
    "  raised_at, dissemination, agency, state, geom, cap) "
    "SELECT md5('al' || i)::uuid, (ARRAY['near_repeat_burglary', 'hot_plate', "
    "  'shots_fired'])[1 + i % 3], (ARRAY['minor', 'moderate', 'severe', 'extreme'])[1 + i % 4], "
    "  'k' || i, '2017-06-01', ARRAY[md5('ev' || i)::uuid], '2017-06-01T00:00:00Z'::timestamptz "
    "  + (i / 2) * interval '3 hours', 'law_enforcement', (ARRAY['CPD', 'ISP', 'CCSO'])[1 + "
    "  i % 3], (ARRAY['new', 'acknowledged', 'assigned', 'closed'])[1 + (i / 3) % 4], "
    "  ST_SetSRID(ST_MakePoint(-87.6, 41.8), 4326), CASE WHEN i % 5 = 0 THEN NULL ELSE "
    "  '<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>' || i || "
    "  '</identifier></alert>' END FROM generate_series(1, 60) i;"
    "UPDATE events SET nibrs_code = '220', nibrs_category = 'Burglary/Breaking & Entering', "
    "  crime_against = 'Property' WHERE kind LIKE 'burglary%';"
    /* event 6 is the later event of a near-repeat pair with event 3 */
    "INSERT INTO signals (signal_id, signal_type, event_id, related_event_ids, related_count, "
    "  agency, created_at) VALUES (md5('sig6')::uuid, 'near_repeat', md5('ev6')::uuid, "
    "  ARRAY[md5('ev3')::uuid], 1, 'CPD', now());"
    "INSERT INTO sources (source, agency, format) VALUES ('cpd-calls', 'CPD', 'csv'), "
    "  ('isp-rms', 'ISP', 'ndjson'), ('quiet-feed', 'CCSO', 'csv');"
    "INSERT INTO dead_letters (dead_letter_id, stage, source, reason_code, reason, received_at) "
    "SELECT md5('dl' || n)::uuid, 'ingest', src, 'bad_time', 'test', now() - age "
    "FROM (VALUES (1, 'cpd-calls', interval '1 hour'), (2, 'cpd-calls', interval '2 hours'), "
    "  (3, 'cpd-calls', interval '30 hours'), (4, 'isp-rms', interval '3 days')) d(n, src, age)";

static int s_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!harness_start(&s_h, "console_api", CONSOLE_CLIENT_YAML))
        return -1;
    PGresult *res = PQexec(s_h.db, s_seed_sql);
    bool seeded = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!seeded)
        fprintf(stderr, "seed: %s", PQresultErrorMessage(res));
    PQclear(res);
    const char *token = seeded ? console_client_token(&s_h, "desk-1", "operator", NULL) : NULL;
    if (!token)
        return -1;
    snprintf(s_operator, sizeof s_operator, "%s", token);
    if (!(token = console_client_token(&s_h, "isp-analyst", "viewer", "ISP")))
        return -1;
    snprintf(s_isp, sizeof s_isp, "%s", token);
    return console_client_start(&s_h, s_url, sizeof s_url) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    int unclean = harness_stop(&s_h);
    curl_global_cleanup();
    return unclean;
}

/* The ids a test query returns, in its order. */
static int s_expected(const char *sql, char (*ids)[37])
{
    PGresult *res = PQexec(s_h.db, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "expected: %s: %s", sql, PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n && i < S_MAX_IDS; i++)
        snprintf(ids[i], 37, "%s", PQgetvalue(res, i, 0));
    PQclear(res);
    return n;
}

/* Walks every page of path (7 a page) and checks it returns exactly the rows of sql, in order,
 * each once; returns how many. */
static int s_check_pages(const char *path, const char *token, const char *id_property,
                         const char *sql)
{
    static char got[S_MAX_IDS][37], want[S_MAX_IDS][37];
    char paged[1024];
    snprintf(paged, sizeof paged, "%s%slimit=7", path, strchr(path, '?') ? "&" : "?");
    int n_got = console_walk_pages(s_url, paged, token, 7, id_property, got, S_MAX_IDS);
    int n_want = s_expected(sql, want);
    assert_true(n_want >= 0);
    if (n_got != n_want)
        fail_msg("%s: %d rows over the pages, %d expected", path, n_got, n_want);
    for (int i = 0; i < n_got; i++)
        if (strcmp(got[i], want[i]) != 0)
            fail_msg("%s: row %d is %s, expected %s", path, i, got[i], want[i]);
    return n_got;
}

static void s_expect_status(const char *method, const char *path, const char *token, long status)
{
    console_response_t response;
    console_request(s_url, method, path, token, NULL, 0, &response);
    if (response.status != status)
        fail_msg("%s %s: %ld, expected %ld: %s", method, path, response.status, status,
                 response.body);
    console_response_clear(&response);
}

static void test_unauthenticated_requests_get_401(void **state)
{
    (void)state;
    const char *paths[] = {"/api/v1/events", "/api/v1/alerts", "/api/v1/health",
                           "/api/v1/events/00000000-0000-0000-0000-000000000000"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        console_response_t response;
        console_request(s_url, "GET", paths[i], NULL, NULL, 0, &response);
        assert_int_equal(response.status, 401);
        assert_true(response.www_authenticate);
        console_response_clear(&response);
        s_expect_status("GET", paths[i], "not-a-token", 401);
        s_expect_status("GET", paths[i], "wft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401);
    }
    s_expect_status("POST", "/api/v1/alerts/00000000-0000-0000-0000-000000000000/acknowledge", NULL,
                    401);

    const char *token = console_client_token(&s_h, "soon-revoked", "operator", NULL);
    assert_non_null(token);
    char revoked[128];
    snprintf(revoked, sizeof revoked, "%s", token);
    s_expect_status("GET", "/api/v1/events?limit=1", revoked, 200);
    assert_true(console_client_revoke(&s_h, "soon-revoked"));
    s_expect_status("GET", "/api/v1/events?limit=1", revoked, 401);
}

static void test_bad_parameters_get_400_naming_them(void **state)
{
    (void)state;
    static const struct {
        const char *path, *parameter;
    } cases[] = {
        {"/api/v1/events?bbox=1,2,3", "bbox"},
        {"/api/v1/events?bbox=1,2,3,4,5", "bbox"},
        {"/api/v1/events?bbox=-87.5,41.6,-87.9,42", "bbox"},
        {"/api/v1/events?bbox=-200,41.6,-87.5,42", "bbox"},
        {"/api/v1/events?bbox=-87.9,41.6,-87.5,95", "bbox"},
        {"/api/v1/events?bbox=nan,41.6,-87.5,42", "bbox"},
        {"/api/v1/events?bbox=-87.9,41.6,inf,42", "bbox"},
        {"/api/v1/events?bbox=-87.9,%2041.6,-87.5,42", "bbox"},
        {"/api/v1/events?bbox=0x10,41.6,-87.5,42", "bbox"},
        {"/api/v1/events?from=yesterday", "from"},
        {"/api/v1/events?from=2017-06-01", "from"},
        {"/api/v1/events?to=2017-02-29T00:00:00Z", "to"},
        {"/api/v1/events?to=2017-06-01T24:00:00Z", "to"},
        {"/api/v1/events?to=2017-06-01T00:00:00", "to"},
        {"/api/v1/events?limit=0", "limit"},
        {"/api/v1/events?limit=1001", "limit"},
        {"/api/v1/events?limit=ten", "limit"},
        {"/api/v1/events?limit=-5", "limit"},
        {"/api/v1/events?limit=5&limit=6", "limit"},
        {"/api/v1/events?cursor=bm90LWEtY3Vyc29y", "cursor"},
        {"/api/v1/events?cursor=%25%25%25", "cursor"},
        {"/api/v1/events?kind=bur*glary", "kind"},
        {"/api/v1/events?kind=", "kind"},
        {"/api/v1/events?agency=%01", "agency"},
        {"/api/v1/events?agency=CPD%00x", "agency"},
        {"/api/v1/events?kidn=burglary", "kidn"},
        {"/api/v1/events?bbox=-87.9,41.6,-87.5,42&frm=2017-06-01T00:00:00Z", "frm"},
        {"/api/v1/events/not-a-uuid", "event_id"},
        {"/api/v1/events/00000000-0000-0000-0000-000000000000?verbose=1", "verbose"},
        {"/api/v1/alerts?state=open", "state"},
        {"/api/v1/alerts?state=new,,closed", "state"},
        {"/api/v1/alerts?severity=high", "severity"},
        {"/api/v1/alerts?from=2017-13-01T00:00:00Z", "from"},
        {"/api/v1/alerts?limit=100000", "limit"},
        {"/api/v1/alerts?rules=hot_plate", "rules"},
        {"/api/v1/alerts/12345", "alert_id"},
        {"/api/v1/alerts/12345/cap", "alert_id"},
        {"/api/v1/health?verbose=1", "verbose"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        console_response_t response;
        console_request(s_url, "GET", cases[i].path, s_operator, NULL, 0, &response);
        json_t *body = json_loadb(response.body, response.len, 0, NULL);
        const char *parameter = json_string_value(json_object_get(body, "parameter"));
        const char *message = json_string_value(json_object_get(body, "message"));
        if (response.status != 400 || !parameter || strcmp(parameter, cases[i].parameter) != 0 ||
            !message || !strstr(message, cases[i].parameter))
            fail_msg("%s: %ld %s (expected 400 naming %s)", cases[i].path, response.status,
                     response.body, cases[i].parameter);
        json_decref(body);
        console_response_clear(&response);
    }

    /* a cursor is bound to its list: the alerts list refuses an events cursor */
    json_t *page = console_get_json(s_url, "/api/v1/events?limit=1", s_operator, 200);
    assert_non_null(page);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/alerts?cursor=%s",
             json_string_value(json_object_get(page, "next")));
    json_decref(page);
    s_expect_status("GET", path, s_operator, 400);
}

static void test_event_pages_cover_every_row_once(void **state)
{
    (void)state;
    int all = s_check_pages("/api/v1/events", s_operator, "event_id",
                            "SELECT event_id FROM events ORDER BY occurred_at DESC, event_id DESC");
    assert_int_equal(all, 240);
    /* the default page is 100 rows and says there is more */
    json_t *page = console_get_json(s_url, "/api/v1/events", s_operator, 200);
    assert_non_null(page);
    assert_int_equal(json_array_size(json_object_get(page, "features")), 100);
    assert_non_null(json_object_get(page, "next"));
    json_decref(page);
    page = console_get_json(s_url, "/api/v1/events?limit=1000", s_operator, 200);
    assert_int_equal(json_array_size(json_object_get(page, "features")), 240);
    assert_null(json_object_get(page, "next"));
    json_decref(page);
}

static void test_event_filters_return_exactly_the_matching_rows(void **state)
{
    (void)state;
    int n = s_check_pages("/api/v1/events?bbox=-87.8,41.7,-87.6,41.85", s_operator, "event_id",
                          "SELECT event_id FROM events WHERE ST_X(geom) BETWEEN -87.8 AND -87.6 "
                          "AND ST_Y(geom) BETWEEN 41.7 AND 41.85 "
                          "ORDER BY occurred_at DESC, event_id DESC");
    assert_true(n > 10 && n < 200);
    /* to with an offset: 2017-06-20T06:00+02:00 is 04:00 UTC; from inclusive, to exclusive */
    n = s_check_pages("/api/v1/events?from=2017-06-01T00:00:00Z&to=2017-06-20T06:00:00%2B02:00",
                      s_operator, "event_id",
                      "SELECT event_id FROM events WHERE occurred_at >= '2017-06-01T00:00:00Z' "
                      "AND occurred_at < '2017-06-20T04:00:00Z' "
                      "ORDER BY occurred_at DESC, event_id DESC");
    assert_true(n > 10 && n < 200);
    n = s_check_pages("/api/v1/events?kind=burglary", s_operator, "event_id",
                      "SELECT event_id FROM events WHERE kind = 'burglary' "
                      "ORDER BY occurred_at DESC, event_id DESC");
    assert_int_equal(n, 48);
    n = s_check_pages("/api/v1/events?kind=burglary*", s_operator, "event_id",
                      "SELECT event_id FROM events WHERE kind LIKE 'burglary%' "
                      "ORDER BY occurred_at DESC, event_id DESC");
    assert_int_equal(n, 144);
    n = s_check_pages("/api/v1/events?agency=ISP", s_operator, "event_id",
                      "SELECT event_id FROM events WHERE agency = 'ISP' "
                      "ORDER BY occurred_at DESC, event_id DESC");
    assert_int_equal(n, 80);
    n = s_check_pages("/api/v1/events?bbox=-87.9,41.65,-87.6,41.9&from=2017-05-20T00:00:00Z"
                      "&kind=burglary.*&agency=CPD",
                      s_operator, "event_id",
                      "SELECT event_id FROM events WHERE ST_X(geom) BETWEEN -87.9 AND -87.6 "
                      "AND ST_Y(geom) BETWEEN 41.65 AND 41.9 AND occurred_at >= '2017-05-20' "
                      "AND kind LIKE 'burglary.%' AND agency = 'CPD' "
                      "ORDER BY occurred_at DESC, event_id DESC");
    assert_true(n > 3);
    /* the properties are the documented ones, with the point as GeoJSON */
    json_t *page =
        console_get_json(s_url, "/api/v1/events?kind=theft.retail&limit=1", s_operator, 200);
    json_t *feature = json_array_get(json_object_get(page, "features"), 0);
    json_t *properties = json_object_get(feature, "properties");
    assert_string_equal(json_string_value(json_object_get(properties, "kind")), "theft.retail");
    static const char *const names[] = {
        "event_id",     "agency",       "source",         "kind",
        "offense_code", "offense_text", "occurred_at",    "reported_at",
        "ingested_at",  "address",      "district",       "beat",
        "area_method",  "nibrs_code",   "nibrs_category", "dissemination"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!json_object_get(properties, names[i]))
            fail_msg("event property %s missing", names[i]);
    assert_int_equal(json_object_size(properties), sizeof names / sizeof *names);
    assert_string_equal(json_string_value(json_object_get(feature, "type")), "Feature");
    json_decref(page);
}

static void test_agency_scoped_token_sees_only_its_agency(void **state)
{
    (void)state;
    s_check_pages("/api/v1/events", s_isp, "event_id",
                  "SELECT event_id FROM events WHERE agency = 'ISP' "
                  "ORDER BY occurred_at DESC, event_id DESC");
    s_check_pages("/api/v1/events?agency=CPD", s_isp, "event_id",
                  "SELECT event_id FROM events WHERE false");
    s_check_pages("/api/v1/alerts", s_isp, "alert_id",
                  "SELECT alert_id FROM alerts WHERE agency = 'ISP' "
                  "ORDER BY raised_at DESC, alert_id DESC");
    char path[128], id[64];
    assert_true(harness_query_text(&s_h, "SELECT md5('ev3')::uuid", id, sizeof id)); /* CPD */
    snprintf(path, sizeof path, "/api/v1/events/%s", id);
    s_expect_status("GET", path, s_isp, 404);
    s_expect_status("GET", path, s_operator, 200);
    assert_true(harness_query_text(&s_h, "SELECT md5('al3')::uuid", id, sizeof id)); /* CPD */
    snprintf(path, sizeof path, "/api/v1/alerts/%s", id);
    s_expect_status("GET", path, s_isp, 404);
    assert_true(harness_query_text(&s_h, "SELECT md5('al4')::uuid", id, sizeof id)); /* ISP */
    snprintf(path, sizeof path, "/api/v1/alerts/%s", id);
    s_expect_status("GET", path, s_isp, 200);
    json_t *health = console_get_json(s_url, "/api/v1/health", s_isp, 200);
    json_t *feeds = json_object_get(health, "feeds");
    assert_int_equal(json_array_size(feeds), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(feeds, 0), "source")),
                        "isp-rms");
    json_decref(health);
}

static void test_event_detail_has_its_signals_and_alerts(void **state)
{
    (void)state;
    char id[64], path[128];
    for (int n = 3; n <= 6; n += 3) {
        snprintf(path, sizeof path, "SELECT md5('ev%d')::uuid", n);
        assert_true(harness_query_text(&s_h, path, id, sizeof id));
        snprintf(path, sizeof path, "/api/v1/events/%s", id);
        json_t *feature = console_get_json(s_url, path, s_operator, 200);
        assert_non_null(feature);
        json_t *properties = json_object_get(feature, "properties");
        assert_string_equal(json_string_value(json_object_get(properties, "event_id")), id);
        assert_string_equal(json_string_value(json_object_get(properties, "source_record_id")),
                            n == 3 ? "r3" : "r6");
        /* enrichment: event 6 is a burglary (NIBRS 220), event 3 a robbery (not classified) */
        json_t *nibrs = json_object_get(properties, "nibrs_code");
        if (n == 6)
            assert_string_equal(json_string_value(nibrs), "220");
        else
            assert_true(json_is_null(nibrs));
        const char *against = json_string_value(json_object_get(properties, "crime_against"));
        assert_string_equal(against ? against : "-", n == 6 ? "Property" : "-");
        /* the signal is about event 6 and names event 3 as its earlier partner */
        json_t *signals = json_object_get(properties, "signals");
        assert_int_equal(json_array_size(signals), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(signals, 0), "role")),
                            n == 6 ? "subject" : "related");
        json_t *alerts = json_object_get(properties, "alerts");
        int64_t naming = harness_query_int1(
            &s_h, "SELECT count(*) FROM alerts WHERE $1::uuid = ANY(event_ids)", id);
        assert_int_equal(json_array_size(alerts), naming);
        assert_int_equal(naming, 1);
        json_decref(feature);
    }
    s_expect_status("GET", "/api/v1/events/00000000-0000-0000-0000-000000000000", s_operator, 404);
}

static void test_alert_pages_and_filters(void **state)
{
    (void)state;
    assert_int_equal(s_check_pages("/api/v1/alerts", s_operator, "alert_id",
                                   "SELECT alert_id FROM alerts "
                                   "ORDER BY raised_at DESC, alert_id DESC"),
                     60);
    int n = s_check_pages("/api/v1/alerts?state=new,closed&severity=severe,extreme", s_operator,
                          "alert_id",
                          "SELECT alert_id FROM alerts WHERE state IN ('new', 'closed') AND "
                          "severity IN ('severe', 'extreme') "
                          "ORDER BY raised_at DESC, alert_id DESC");
    assert_true(n > 5 && n < 30);
    n = s_check_pages("/api/v1/alerts?rule=hot_plate&from=2017-06-02T00:00:00Z"
                      "&to=2017-06-04T12:00:00Z",
                      s_operator, "alert_id",
                      "SELECT alert_id FROM alerts WHERE rule_id = 'hot_plate' AND raised_at >= "
                      "'2017-06-02' AND raised_at < '2017-06-04T12:00:00Z' "
                      "ORDER BY raised_at DESC, alert_id DESC");
    assert_true(n > 3);
    json_t *page = console_get_json(s_url, "/api/v1/alerts?limit=1", s_operator, 200);
    json_t *properties =
        json_object_get(json_array_get(json_object_get(page, "features"), 0), "properties");
    static const char *const names[] = {"alert_id",      "rule_id",
                                        "severity",      "title",
                                        "message",       "kind",
                                        "district",      "beat",
                                        "agency",        "occurred_at",
                                        "raised_at",     "state",
                                        "assigned_to",   "state_changed_at",
                                        "event_ids",     "signal_id",
                                        "dissemination", "nibrs_category",
                                        "match_count",   "escalated",
                                        "geofences"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!json_object_get(properties, names[i]))
            fail_msg("alert property %s missing", names[i]);
    json_decref(page);
}

static void test_alert_cap(void **state)
{
    (void)state;
    char id[64], path[128], stored[512];
    assert_true(harness_query_text(&s_h, "SELECT md5('al1')::uuid", id, sizeof id));
    assert_true(harness_query_text(&s_h, "SELECT cap FROM alerts WHERE alert_id = md5('al1')::uuid",
                                   stored, sizeof stored));
    snprintf(path, sizeof path, "/api/v1/alerts/%s/cap", id);
    console_response_t response;
    console_request(s_url, "GET", path, s_operator, NULL, 0, &response);
    assert_int_equal(response.status, 200);
    assert_string_equal(response.content_type, "application/cap+xml");
    assert_string_equal(response.body, stored);
    console_response_clear(&response);
    assert_true(harness_query_text(&s_h, "SELECT md5('al5')::uuid", id, sizeof id)); /* no CAP */
    snprintf(path, sizeof path, "/api/v1/alerts/%s/cap", id);
    s_expect_status("GET", path, s_operator, 404);
    s_expect_status("GET", "/api/v1/alerts/00000000-0000-0000-0000-000000000000/cap", s_operator,
                    404);
}

/* Keyset pages: a row stored while a client pages (newer than its first page) neither shifts
 * the following page nor appears in it. */
static void test_pages_are_stable_while_rows_arrive(void **state)
{
    (void)state;
    json_t *first = console_get_json(s_url, "/api/v1/alerts?limit=7", s_operator, 200);
    assert_non_null(first);
    PGresult *res = PQexec(s_h.db, "INSERT INTO alerts (alert_id, rule_id, severity, dedupe_key, "
                                   "window_start, event_ids, raised_at, dissemination) VALUES "
                                   "(md5('late')::uuid, 'hot_plate', 'minor', 'late', now(), "
                                   "'{}', now(), 'law_enforcement')");
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/alerts?limit=7&cursor=%s",
             json_string_value(json_object_get(first, "next")));
    json_t *second = console_get_json(s_url, path, s_operator, 200);
    assert_non_null(second);
    static char want[S_MAX_IDS][37];
    assert_int_equal(s_expected("SELECT alert_id FROM alerts WHERE alert_id <> md5('late')::uuid "
                                "ORDER BY raised_at DESC, alert_id DESC LIMIT 7 OFFSET 7",
                                want),
                     7);
    json_t *features = json_object_get(second, "features");
    assert_int_equal(json_array_size(features), 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(
            json_string_value(json_object_get(
                json_object_get(json_array_get(features, i), "properties"), "alert_id")),
            want[i]);
    json_decref(first);
    json_decref(second);
    /* kind=* is the empty prefix: every kind */
    json_t *all = console_get_json(s_url, "/api/v1/events?kind=*&limit=1000", s_operator, 200);
    assert_int_equal(json_array_size(json_object_get(all, "features")), 240);
    json_decref(all);
}

static void test_sql_injection_matches_nothing_and_changes_nothing(void **state)
{
    (void)state;
    int64_t events = harness_query_int(&s_h, "SELECT count(*) FROM events");
    int64_t alerts = harness_query_int(&s_h, "SELECT count(*) FROM alerts");
    static const char *const attempts[] = {"x' OR 1=1 --", "x'; DROP TABLE alerts; --",
                                           "') OR ('1'='1", "\\' OR true; --"};
    static const char *const paths[] = {"/api/v1/events?kind=", "/api/v1/events?agency=",
                                        "/api/v1/alerts?rule=", "/api/v1/events?kind=x*"};
    CURL *curl = curl_easy_init();
    for (size_t a = 0; a < sizeof attempts / sizeof *attempts; a++) {
        for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
            char *escaped = curl_easy_escape(curl, attempts[a], 0), path[256];
            snprintf(path, sizeof path, "%s%s", paths[p], escaped);
            if (p == 3) /* as a kind prefix: the value itself, then '*' */
                snprintf(path, sizeof path, "/api/v1/events?kind=%s*", escaped);
            curl_free(escaped);
            json_t *page = console_get_json(s_url, path, s_operator, 200);
            assert_non_null(page);
            assert_int_equal(json_array_size(json_object_get(page, "features")), 0);
            json_decref(page);
        }
    }
    curl_easy_cleanup(curl);
    assert_int_equal(harness_query_int(&s_h, "SELECT count(*) FROM events"), events);
    assert_int_equal(harness_query_int(&s_h, "SELECT count(*) FROM alerts"), alerts);
}

/* The feed's figure named key equals what sql computes now for it. */
static void s_check_feed(json_t *feed, const char *key, const char *sql)
{
    const char *source = json_string_value(json_object_get(feed, "source"));
    int64_t want = harness_query_int1(&s_h, sql, source);
    json_t *got = json_object_get(feed, key);
    if (!json_is_integer(got) || json_integer_value(got) != want)
        fail_msg("feed %s %s: got %s, expected %lld", source, key,
                 json_is_integer(got) ? "another number" : "no integer", (long long)want);
}

static void test_health_counts_feeds_and_reads_service_stats(void **state)
{
    (void)state;
    /* services write their first snapshot a second after they start */
    char snapshot[400];
    snprintf(snapshot, sizeof snapshot, "%s/state/stats/console.stats", s_h.dir);
    for (int tries = 0; tries < 100 * s_h.timeout_multiplier && access(snapshot, R_OK) != 0;
         tries++)
        usleep(50 * 1000);
    json_t *health = console_get_json(s_url, "/api/v1/health", s_operator, 200);
    assert_non_null(health);
    json_t *feeds = json_object_get(health, "feeds");
    assert_int_equal(json_array_size(feeds), 3);
    size_t i;
    json_t *feed;
    json_array_foreach(feeds, i, feed)
    {
        s_check_feed(feed, "events_5m",
                     "SELECT count(*) FROM events WHERE source = $1 "
                     "AND ingested_at >= now() - interval '5 minutes'");
        s_check_feed(feed, "events_60m",
                     "SELECT count(*) FROM events WHERE source = $1 "
                     "AND ingested_at >= now() - interval '60 minutes'");
        s_check_feed(feed, "dead_letters_24h",
                     "SELECT count(*) FROM dead_letters WHERE source = $1 "
                     "AND received_at >= now() - interval '1 day'");
        s_check_feed(feed, "dead_letters_total",
                     "SELECT count(*) FROM dead_letters WHERE source = $1");
        const char *source = json_string_value(json_object_get(feed, "source"));
        double lag =
            harness_query_double1(&s_h,
                                  "SELECT extract(epoch FROM now() - max(ingested_at)) FROM events "
                                  "WHERE source = $1",
                                  source);
        json_t *reported = json_object_get(feed, "lag_s");
        if (strcmp(source, "quiet-feed") == 0) {
            assert_true(json_is_null(reported));
            assert_true(json_is_null(json_object_get(feed, "last_ingested_at")));
        } else if (!json_is_number(reported) || json_number_value(reported) > lag + 0.5 ||
                   json_number_value(reported) < lag - 10) {
            fail_msg("feed %s lag_s %f, expected about %f", source, json_number_value(reported),
                     lag);
        }
    }
    /* cpd-calls had events ingested 2 and 4 minutes before the seed: the 5-minute window is
     * not trivially empty */
    assert_true(json_integer_value(json_object_get(json_array_get(feeds, 0), "events_5m")) > 0);
    /* the console's own snapshot, as numbers equal to its file */
    json_t *services = json_object_get(health, "services"), *service, *console = NULL;
    json_array_foreach(services, i, service)
    {
        if (strcmp(json_string_value(json_object_get(service, "service")), "console") == 0)
            console = service;
        assert_string_not_equal(json_string_value(json_object_get(service, "service")), "admin");
    }
    assert_non_null(console);
    assert_true(json_number_value(json_object_get(console, "age_s")) < 30);
    json_t *rejected = json_object_get(json_object_get(console, "stats"), "rejected");
    assert_true(json_is_integer(rejected));
    assert_int_equal(json_integer_value(rejected), harness_stat(&s_h, "console", "rejected"));
    json_decref(health);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unauthenticated_requests_get_401),
        cmocka_unit_test(test_bad_parameters_get_400_naming_them),
        cmocka_unit_test(test_event_pages_cover_every_row_once),
        cmocka_unit_test(test_event_filters_return_exactly_the_matching_rows),
        cmocka_unit_test(test_agency_scoped_token_sees_only_its_agency),
        cmocka_unit_test(test_event_detail_has_its_signals_and_alerts),
        cmocka_unit_test(test_alert_pages_and_filters),
        cmocka_unit_test(test_alert_cap),
        cmocka_unit_test(test_pages_are_stable_while_rows_arrive),
        cmocka_unit_test(test_sql_injection_matches_nothing_and_changes_nothing),
        cmocka_unit_test(test_health_counts_feeds_and_reads_service_stats),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
