/* spatial_testdata.c — real Chicago rows and synthetic events for spatial's unit tests.
 *
 * The export's columns: ID, Case Number, Date, Block, IUCR, Primary Type, Description,
 * Location Description, Arrest, Domestic, Beat, District, Ward, Community Area, FBI Code,
 * X Coordinate, Y Coordinate, Year, Updated On, Latitude, Longitude, Location.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <csv.h>
#include <lzma.h>

#include <wf/clock.h>

#include "spatial_geo.h"
#include "spatial_testdata.h"

#define PI 3.14159265358979323846

#define S_FILE      "crimes_2014-03_portal_export.csv"
#define S_COLUMNS   22
#define S_FIELD_LEN 96

enum { S_ID = 0, S_DATE = 2, S_TYPE = 5, S_PLACE = 7, S_UPDATED = 18, S_LAT = 19, S_LON = 20 };

typedef struct {
    char field[S_COLUMNS][S_FIELD_LEN]; /* current row, truncated fields */
    size_t column;                      /* next column of the current row */
    long line;                          /* rows seen, header included */
    bool bad;                           /* a row could not be understood */
    spatial_testdata_row_t *rows;       /* parsed rows */
    size_t count, cap;                  /* used, allocated */
} s_parse_t;

bool spatial_testdata_find(char *buf, size_t len)
{
    const char *env = getenv("WF_CHICAGO_DIR");
    const char *dirs[] = {env, WF_SOURCE_DIR "/../shared/data/chicago",
                          "/work/shared/data/chicago"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        if (!dirs[i])
            continue;
        snprintf(buf, len, "%s/%s", dirs[i], S_FILE);
        if (access(buf, R_OK) == 0)
            return true;
    }
    snprintf(buf, len, "%s/data/chicago/%s.xz", WF_SOURCE_DIR, S_FILE); /* the repository's copy */
    return access(buf, R_OK) == 0;
}

/* Day of the month of the nth Sunday (1-based) of month/year. */
static int s_nth_sunday(int year, int month, int nth)
{
    struct tm first = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = 1};
    int64_t days = (int64_t)timegm(&first) / 86400;
    int weekday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    return 1 + (7 - weekday) % 7 + 7 * (nth - 1);
}

int64_t spatial_testdata_chicago_time(const char *text)
{
    int mon, day, year, hour, min, sec;
    char half[3];
    if (sscanf(text, "%2d/%2d/%4d %2d:%2d:%2d %2s", &mon, &day, &year, &hour, &min, &sec, half) !=
            7 ||
        hour < 1 || hour > 12)
        return -1;
    hour = hour % 12 + (strcmp(half, "PM") == 0 ? 12 : 0);
    /* US rule since 2007: CDT from the second Sunday of March 02:00 to the first Sunday of
     * November 02:00 (the repeated hour is read as CDT). */
    int start = s_nth_sunday(year, 3, 2), end = s_nth_sunday(year, 11, 1);
    bool dst = (mon > 3 && mon < 11) ||
               (mon == 3 && (day > start || (day == start && hour >= 2))) ||
               (mon == 11 && (day < end || (day == end && hour < 2)));
    struct tm local = {.tm_year = year - 1900,
                       .tm_mon = mon - 1,
                       .tm_mday = day,
                       .tm_hour = hour,
                       .tm_min = min,
                       .tm_sec = sec};
    return (int64_t)timegm(&local) + (dst ? 5 : 6) * 3600;
}

static const char *s_kind(const char *type, const char *place)
{
    if (strcmp(type, "BURGLARY") != 0)
        return "other";
    if (strncmp(place, "RESIDEN", 7) == 0 || strcmp(place, "APARTMENT") == 0)
        return "burglary.residential";
    return "burglary.other";
}

static void s_on_field(void *data, size_t len, void *user)
{
    s_parse_t *parse = user;
    if (parse->column < S_COLUMNS) {
        size_t n = len < S_FIELD_LEN - 1 ? len : S_FIELD_LEN - 1;
        memcpy(parse->field[parse->column], data, n);
        parse->field[parse->column][n] = '\0';
    }
    parse->column++;
}

static bool s_row(s_parse_t *parse, spatial_testdata_row_t *row)
{
    char(*f)[S_FIELD_LEN] = parse->field;
    int64_t occurred = spatial_testdata_chicago_time(f[S_DATE]);
    int64_t updated = spatial_testdata_chicago_time(f[S_UPDATED]);
    size_t id_len = strlen(f[S_ID]);
    if (occurred < 0 || updated < 0 || id_len == 0 || id_len >= sizeof row->record_id)
        return false;
    memset(row, 0, sizeof *row);
    memcpy(row->record_id, f[S_ID], id_len);
    snprintf(row->kind, sizeof row->kind, "%s", s_kind(f[S_TYPE], f[S_PLACE]));
    row->occurred_us = occurred * WF_US_PER_SEC;
    row->reported_us = updated * WF_US_PER_SEC;
    wf_id_event(&row->event_id, "CPD", f[S_ID], f[S_UPDATED]);
    if (f[S_LAT][0] && f[S_LON][0]) {
        char *end_lat, *end_lon;
        row->lat = strtod(f[S_LAT], &end_lat);
        row->lon = strtod(f[S_LON], &end_lon);
        if (*end_lat || *end_lon)
            return false;
        row->has_location = true;
    }
    return true;
}

static void s_on_row(int terminator, void *user)
{
    (void)terminator;
    s_parse_t *parse = user;
    size_t columns = parse->column;
    parse->column = 0;
    if (parse->line++ == 0) {
        if (columns != S_COLUMNS || strcmp(parse->field[S_ID], "ID") != 0 ||
            strcmp(parse->field[S_UPDATED], "Updated On") != 0)
            parse->bad = true;
        return;
    }
    if (parse->count == parse->cap) {
        size_t cap = parse->cap ? parse->cap * 2 : 1024;
        spatial_testdata_row_t *grown = realloc(parse->rows, cap * sizeof *grown);
        if (!grown) {
            parse->bad = true;
            return;
        }
        parse->rows = grown;
        parse->cap = cap;
    }
    if (columns != S_COLUMNS || !s_row(parse, &parse->rows[parse->count])) {
        fprintf(stderr, "%s: row %ld not understood\n", S_FILE, parse->line);
        parse->bad = true;
        return;
    }
    parse->count++;
}

static bool s_parse_plain(FILE *file, struct csv_parser *parser, s_parse_t *parse)
{
    static char buf[65536];
    size_t got;
    bool ok = true;
    while (ok && (got = fread(buf, 1, sizeof buf, file)) > 0)
        ok = csv_parse(parser, buf, got, s_on_field, s_on_row, parse) == got;
    return ok && !ferror(file);
}

/* The repository keeps the export xz-compressed: decoded on the fly into the parser. */
static bool s_parse_xz(FILE *file, struct csv_parser *parser, s_parse_t *parse)
{
    static uint8_t in[65536], out[65536];
    lzma_stream lz = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&lz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return false;
    lzma_ret ret = LZMA_OK;
    bool ok = true;
    while (ok && ret == LZMA_OK) {
        if (lz.avail_in == 0 && !feof(file)) {
            lz.next_in = in;
            lz.avail_in = fread(in, 1, sizeof in, file);
            ok = !ferror(file);
        }
        lz.next_out = out;
        lz.avail_out = sizeof out;
        ret = lzma_code(&lz, feof(file) ? LZMA_FINISH : LZMA_RUN);
        size_t produced = sizeof out - lz.avail_out;
        ok = ok && csv_parse(parser, out, produced, s_on_field, s_on_row, parse) == produced;
    }
    lzma_end(&lz);
    return ok && ret == LZMA_STREAM_END;
}

long spatial_testdata_load(const char *path, spatial_testdata_row_t **rows)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return -1;
    struct csv_parser parser;
    s_parse_t *parse = calloc(1, sizeof *parse);
    if (!parse || csv_init(&parser, CSV_APPEND_NULL) != 0) {
        free(parse);
        fclose(file);
        return -1;
    }
    size_t path_len = strlen(path);
    bool xz = path_len > 3 && strcmp(path + path_len - 3, ".xz") == 0;
    bool ok = xz ? s_parse_xz(file, &parser, parse) : s_parse_plain(file, &parser, parse);
    ok = ok && csv_fini(&parser, s_on_field, s_on_row, parse) == 0 && !parse->bad;
    csv_free(&parser);
    fclose(file);
    long count = ok ? (long)parse->count : -1;
    if (ok)
        *rows = parse->rows;
    else
        free(parse->rows);
    free(parse);
    return count;
}

void spatial_testdata_event(const spatial_testdata_row_t *row, spatial_nearrepeat_event_t *event)
{
    memset(event, 0, sizeof *event);
    event->event_id = row->event_id.bytes;
    event->agency = "CPD";
    event->source_record_id = row->record_id;
    event->kind = row->kind;
    event->occurred_us = row->occurred_us;
    event->reported_us = row->reported_us;
    event->has_location = row->has_location;
    event->lon = row->lon;
    event->lat = row->lat;
}

/* ---- the detector's pair order ---------------------------------------------------------- */

typedef struct {
    int64_t occurred; /* first key */
    uint8_t id[16];   /* second key (all zero: not used) */
    size_t index;     /* last key, and the result */
} s_key_t;

static int s_key_cmp(const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->occurred != y->occurred)
        return x->occurred < y->occurred ? -1 : 1;
    int c = memcmp(x->id, y->id, sizeof x->id);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorts keys and writes their indices into order; frees keys. */
static void s_sort(s_key_t *keys, size_t n, size_t *order)
{
    qsort(keys, n, sizeof *keys, s_key_cmp);
    for (size_t i = 0; i < n; i++)
        order[i] = keys[i].index;
    free(keys);
}

static bool s_before(int64_t a_occurred, const uint8_t *a_id, int64_t b_occurred,
                     const uint8_t *b_id)
{
    if (a_occurred != b_occurred)
        return a_occurred < b_occurred;
    return memcmp(a_id, b_id, WF_UUID_LEN) < 0;
}

bool spatial_testdata_row_before(const spatial_testdata_row_t *a, const spatial_testdata_row_t *b)
{
    return s_before(a->occurred_us, a->event_id.bytes, b->occurred_us, b->event_id.bytes);
}

void spatial_testdata_rows_by_time(const spatial_testdata_row_t *rows, size_t n, bool by_id,
                                   size_t *order)
{
    s_key_t *keys = calloc(n ? n : 1, sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++) {
        keys[i].occurred = rows[i].occurred_us;
        if (by_id)
            memcpy(keys[i].id, rows[i].event_id.bytes, WF_UUID_LEN);
        keys[i].index = i;
    }
    s_sort(keys, n, order);
}

bool spatial_testdata_ev_before(const spatial_testdata_ev_t *a, const spatial_testdata_ev_t *b)
{
    return s_before(a->occurred, a->id.bytes, b->occurred, b->id.bytes);
}

void spatial_testdata_evs_by_time(const spatial_testdata_ev_t *events, size_t n, size_t *order)
{
    s_key_t *keys = calloc(n ? n : 1, sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++) {
        keys[i].occurred = events[i].occurred;
        memcpy(keys[i].id, events[i].id.bytes, WF_UUID_LEN);
        keys[i].index = i;
    }
    s_sort(keys, n, order);
}

/* ---- synthetic events ------------------------------------------------------------------- */

spatial_testdata_ev_t spatial_testdata_ev(const char *record, const char *revision,
                                          const char *kind, double lon, double lat,
                                          int64_t occurred)
{
    spatial_testdata_ev_t e = {.kind = kind,
                               .occurred = occurred,
                               .reported = occurred,
                               .located = true,
                               .lon = lon,
                               .lat = lat};
    snprintf(e.record, sizeof e.record, "%s", record);
    wf_id_event(&e.id, "CPD", record, revision);
    return e;
}

void spatial_testdata_move(double lon, double lat, double bearing, double distance_m, double *lon2,
                           double *lat2)
{
    double d = distance_m / SPATIAL_GEO_EARTH_RADIUS_M, b = bearing * PI / 180;
    double p1 = lat * PI / 180, l1 = lon * PI / 180;
    double p2 = asin(sin(p1) * cos(d) + cos(p1) * sin(d) * cos(b));
    double l2 = l1 + atan2(sin(b) * sin(d) * cos(p1), cos(d) - sin(p1) * sin(p2));
    *lat2 = p2 * 180 / PI;
    *lon2 = fmod(l2 * 180 / PI + 540.0, 360.0) - 180.0;
}

spatial_testdata_ev_t spatial_testdata_ev_at(const char *record, double bearing, double distance_m,
                                             int64_t occurred)
{
    double lon, lat;
    spatial_testdata_move(SPATIAL_TESTDATA_LON, SPATIAL_TESTDATA_LAT, bearing, distance_m, &lon,
                          &lat);
    return spatial_testdata_ev(record, "1", "burglary.residential", lon, lat, occurred);
}

spatial_nearrepeat_t *spatial_testdata_detector(const char *const *kinds, size_t nkinds,
                                                size_t max_events)
{
    static const char *residential[] = {"burglary.residential"};
    spatial_nearrepeat_config_t config = {
        .kinds = kinds ? kinds : residential,
        .kind_count = kinds ? nkinds : 1,
        .distance_m = 400,
        .window_us = 14 * WF_US_PER_DAY,
        .lateness_us = 3 * WF_US_PER_DAY,
        .max_events = max_events,
        .future_tolerance_us = WF_US_PER_DAY,
    };
    spatial_nearrepeat_t *detector = spatial_nearrepeat_new(&config);
    assert_non_null(detector);
    return detector;
}

void spatial_testdata_ev_event(const spatial_testdata_ev_t *e, spatial_nearrepeat_event_t *event)
{
    *event = (spatial_nearrepeat_event_t){
        .event_id = e->id.bytes,
        .agency = "CPD",
        .source_record_id = e->record,
        .kind = e->kind,
        .occurred_us = e->occurred,
        .reported_us = e->reported,
        .has_location = e->located,
        .lon = e->lon,
        .lat = e->lat,
        .arrived_us = e->arrived,
    };
}

spatial_nearrepeat_outcome_t spatial_testdata_add(spatial_nearrepeat_t *detector,
                                                  const spatial_testdata_ev_t *e,
                                                  spatial_nearrepeat_result_t *result)
{
    spatial_nearrepeat_event_t event;
    spatial_testdata_ev_event(e, &event);
    assert_int_equal(spatial_nearrepeat_add(detector, &event, result), 0);
    return result->outcome;
}

spatial_nearrepeat_stats_t spatial_testdata_stats(const spatial_nearrepeat_t *detector)
{
    spatial_nearrepeat_stats_t stats;
    spatial_nearrepeat_stats(detector, &stats);
    return stats;
}

bool spatial_testdata_is(const spatial_nearrepeat_match_t *match, const spatial_testdata_ev_t *e)
{
    return memcmp(match->event_id, e->id.bytes, WF_UUID_LEN) == 0;
}

static uint64_t s_rng = UINT64_C(88172645463325252);

uint64_t spatial_testdata_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

double spatial_testdata_uniform(void)
{
    return (double)(spatial_testdata_rand() >> 11) / 9007199254740992.0;
}
