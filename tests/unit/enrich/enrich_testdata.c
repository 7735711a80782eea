/* enrich_testdata.c — reading real boundary and incident files for enrich's unit tests.
 *
 * GeoJSON goes through jansson (features and properties) and GEOS's GeoJSON reader (geometry),
 * then out as WKB: exactly the form enrich receives from PostGIS (ST_AsBinary).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>
#include <geos_c.h>
#include <jansson.h>
#include <lzma.h>
#include <proj.h>

#include "enrich_testdata.h"

static char *s_read_plain(FILE *file, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, file)) > 0) {
        n += got;
        if (n == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static char *s_unxz(const char *data, size_t data_len, size_t *len)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK)
        return NULL;
    size_t cap = data_len * 8 + 1024;
    char *out = malloc(cap + 1);
    strm.next_in = (const uint8_t *)data;
    strm.avail_in = data_len;
    lzma_ret ret = LZMA_OK;
    while (out && ret == LZMA_OK) {
        if (strm.total_out == cap) {
            char *grown = realloc(out, cap * 2 + 1);
            if (!grown)
                break;
            out = grown;
            cap *= 2;
        }
        strm.next_out = (uint8_t *)out + strm.total_out;
        strm.avail_out = cap - strm.total_out;
        ret = lzma_code(&strm, LZMA_FINISH);
    }
    lzma_end(&strm);
    if (ret != LZMA_STREAM_END) {
        free(out);
        return NULL;
    }
    out[strm.total_out] = '\0';
    *len = strm.total_out;
    return out;
}

char *enrich_testdata_read(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    size_t n = 0;
    char *data = s_read_plain(file, &n);
    fclose(file);
    size_t plen = strlen(path);
    if (!data || plen < 3 || strcmp(path + plen - 3, ".xz") != 0) {
        *len = n;
        return data;
    }
    char *plain = s_unxz(data, n, len);
    free(data);
    return plain;
}

bool enrich_testdata_find(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("WF_CHICAGO_DIR");
    if (dir) {
        snprintf(buf, len, "%s/%s", dir, name);
        if (access(buf, R_OK) == 0)
            return true;
    }
    snprintf(buf, len, "%s/data/chicago/%s.xz", WF_SOURCE_DIR, name);
    if (access(buf, R_OK) == 0)
        return true;
    snprintf(buf, len, "/work/shared/data/chicago/%s", name);
    return access(buf, R_OK) == 0;
}

/* Adds one feature; returns 0 or -1. */
static int s_add_feature(enrich_areas_t *areas, enrich_layer_t layer, GEOSContextHandle_t geos,
                         GEOSGeoJSONReader *reader, GEOSWKBWriter *writer, json_t *feature,
                         const char *code_prop, const char *parent_prop, int pad_code)
{
    json_t *props = json_object_get(feature, "properties");
    const char *code = json_string_value(json_object_get(props, code_prop));
    const char *parent =
        parent_prop ? json_string_value(json_object_get(props, parent_prop)) : NULL;
    char *text = json_dumps(json_object_get(feature, "geometry"), JSON_COMPACT);
    GEOSGeometry *geom = text ? GEOSGeoJSONReader_readGeometry_r(geos, reader, text) : NULL;
    free(text);
    if (!code || !geom) {
        if (geom)
            GEOSGeom_destroy_r(geos, geom);
        fprintf(stderr, "feature without %s or geometry\n", code_prop);
        return -1;
    }
    size_t wkb_len = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(geos, writer, geom, &wkb_len);
    GEOSGeom_destroy_r(geos, geom);
    char padded[64];
    snprintf(padded, sizeof padded, "%0*d", pad_code, atoi(code));
    char err[256] = "";
    int rc = wkb ? enrich_areas_add(areas, layer, pad_code > 0 ? padded : code, parent, wkb,
                                    wkb_len, err, sizeof err)
                 : -1;
    GEOSFree_r(geos, wkb);
    if (rc != 0)
        fprintf(stderr, "adding %s: %s\n", code, err);
    return rc == 0 ? 0 : -1;
}

int enrich_testdata_load_geojson(enrich_areas_t *areas, enrich_layer_t layer, const char *path,
                                 const char *code_prop, const char *parent_prop, int pad_code)
{
    size_t len = 0;
    char *text = enrich_testdata_read(path, &len);
    json_error_t error;
    json_t *root = text ? json_loadb(text, len, 0, &error) : NULL;
    free(text);
    if (!root) {
        fprintf(stderr, "cannot read GeoJSON %s\n", path);
        return -1;
    }
    GEOSContextHandle_t geos = GEOS_init_r();
    GEOSGeoJSONReader *reader = GEOSGeoJSONReader_create_r(geos);
    GEOSWKBWriter *writer = GEOSWKBWriter_create_r(geos);
    json_t *features = json_object_get(root, "features");
    int added = 0;
    for (size_t i = 0; i < json_array_size(features) && added >= 0; i++) {
        if (s_add_feature(areas, layer, geos, reader, writer, json_array_get(features, i),
                          code_prop, parent_prop, pad_code) == 0)
            added++;
        else
            added = -1;
    }
    GEOSWKBWriter_destroy_r(geos, writer);
    GEOSGeoJSONReader_destroy_r(geos, reader);
    GEOS_finish_r(geos);
    json_decref(root);
    return added;
}

#define S_CSV_MAX_FIELDS 64

typedef struct {
    char *fields[S_CSV_MAX_FIELDS]; /* copies of the current row's fields */
    size_t count;                   /* fields so far in the current row */
    size_t row;                     /* current row number (header = 0) */
    enrich_testdata_row_fn row_fn;
    void *user;
} s_csv_state_t;

static void s_csv_field(void *data, size_t len, void *user)
{
    s_csv_state_t *state = user;
    if (state->count == S_CSV_MAX_FIELDS)
        return;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, data, len);
    copy[len] = '\0';
    state->fields[state->count++] = copy;
}

static void s_csv_row(int terminator, void *user)
{
    (void)terminator;
    s_csv_state_t *state = user;
    state->row_fn(state->user, state->row++, (const char *const *)state->fields, state->count);
    for (size_t i = 0; i < state->count; i++)
        free(state->fields[i]);
    state->count = 0;
}

long enrich_testdata_csv(const char *path, enrich_testdata_row_fn row_fn, void *user)
{
    size_t len = 0;
    char *text = enrich_testdata_read(path, &len);
    if (!text)
        return -1;
    struct csv_parser parser;
    s_csv_state_t state = {.row_fn = row_fn, .user = user};
    long rows = -1;
    if (csv_init(&parser, CSV_APPEND_NULL) == 0) {
        if (csv_parse(&parser, text, len, s_csv_field, s_csv_row, &state) == len &&
            csv_fini(&parser, s_csv_field, s_csv_row, &state) == 0)
            rows = (long)state.row;
        csv_free(&parser);
    }
    free(text);
    return rows;
}

int enrich_testdata_add_wkt(enrich_areas_t *areas, enrich_layer_t layer, const char *code,
                            const char *parent_code, const char *wkt)
{
    GEOSContextHandle_t geos = GEOS_init_r();
    GEOSWKTReader *reader = GEOSWKTReader_create_r(geos);
    GEOSWKBWriter *writer = GEOSWKBWriter_create_r(geos);
    GEOSGeometry *geom = GEOSWKTReader_read_r(geos, reader, wkt);
    size_t len = 0;
    unsigned char *wkb = geom ? GEOSWKBWriter_write_r(geos, writer, geom, &len) : NULL;
    char err[256] = "";
    int rc =
        wkb ? enrich_areas_add(areas, layer, code, parent_code, wkb, len, err, sizeof err) : -1;
    GEOSFree_r(geos, wkb);
    if (geom)
        GEOSGeom_destroy_r(geos, geom);
    GEOSWKBWriter_destroy_r(geos, writer);
    GEOSWKTReader_destroy_r(geos, reader);
    GEOS_finish_r(geos);
    return rc;
}

/* The geodesic-quality reference: GEOS distance after projecting with PROJ to UTM 16N. */
typedef struct {
    PJ *pj; /* EPSG:4326 -> EPSG:32616, lon/lat order */
} s_utm_t;

static int s_to_utm(double *x, double *y, void *user)
{
    s_utm_t *utm = user;
    PJ_COORD c = proj_trans(utm->pj, PJ_FWD, proj_coord(*x, *y, 0, 0));
    *x = c.xy.x;
    *y = c.xy.y;
    return isfinite(*x) && isfinite(*y);
}

double enrich_testdata_utm_distance(const char *geojson_path, double lon, double lat)
{
    size_t len = 0;
    char *text = enrich_testdata_read(geojson_path, &len);
    if (!text)
        return -1;
    GEOSContextHandle_t geos = GEOS_init_r();
    GEOSGeoJSONReader *reader = GEOSGeoJSONReader_create_r(geos);
    GEOSGeometry *all = GEOSGeoJSONReader_readGeometry_r(geos, reader, text); /* a collection */
    free(text);
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *raw = proj_create_crs_to_crs(ctx, "EPSG:4326", "EPSG:32616", NULL);
    s_utm_t utm = {proj_normalize_for_visualization(ctx, raw)};
    proj_destroy(raw);
    GEOSGeometry *projected = all ? GEOSGeom_transformXY_r(geos, all, s_to_utm, &utm) : NULL;
    GEOSGeometry *point = GEOSGeom_createPointFromXY_r(geos, lon, lat);
    GEOSGeometry *projected_point = GEOSGeom_transformXY_r(geos, point, s_to_utm, &utm);
    double d = -1;
    if (!projected || !projected_point || GEOSDistance_r(geos, projected, projected_point, &d) != 1)
        d = -1;
    if (projected_point)
        GEOSGeom_destroy_r(geos, projected_point);
    GEOSGeom_destroy_r(geos, point);
    if (projected)
        GEOSGeom_destroy_r(geos, projected);
    if (all)
        GEOSGeom_destroy_r(geos, all);
    proj_destroy(utm.pj);
    proj_context_destroy(ctx);
    GEOSGeoJSONReader_destroy_r(geos, reader);
    GEOS_finish_r(geos);
    return d;
}
