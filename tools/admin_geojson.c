/* admin_geojson.c — boundary polygons from a GeoJSON FeatureCollection (plain or .xz).
 *
 * load-boundaries reads the shipped boundary files (the .geojson.xz files in
 * data/chicago/boundaries) without unpacking them: liblzma decodes in chunks straight into
 * jansson's callback loader. Each feature becomes a code (zero-padded as agencies write it), an
 * optional parent code and name, and its geometry and properties as compact JSON text for PostGIS
 * to parse. A feature without its code or without a polygonal geometry stops the load, naming the
 * feature index: a boundary layer with a hole in it would silently mis-assign every event inside.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lzma.h>

#include <wf/err.h>

#include "admin.h"

#define S_CHUNK 65536

typedef struct {
    FILE *file;          /* the open input */
    bool xz;             /* decode with liblzma */
    lzma_stream lzma;    /* decoder state when xz */
    uint8_t in[S_CHUNK]; /* compressed bytes read ahead */
    bool eof;            /* the file is exhausted */
    lzma_ret status;     /* last decoder result, for the error message */
    int io_errno;        /* errno of a failed read */
} s_reader_t;

/* jansson's load callback: returns up to size bytes, 0 at the end, (size_t)-1 on error. */
static size_t s_read(void *buffer, size_t size, void *data)
{
    s_reader_t *reader = data;
    if (!reader->xz) {
        size_t n = fread(buffer, 1, size, reader->file);
        if (n == 0 && ferror(reader->file)) {
            reader->io_errno = errno;
            return (size_t)-1;
        }
        return n;
    }
    lzma_stream *strm = &reader->lzma;
    strm->next_out = buffer;
    strm->avail_out = size;
    while (strm->avail_out == size && reader->status != LZMA_STREAM_END) {
        if (strm->avail_in == 0 && !reader->eof) {
            strm->next_in = reader->in;
            strm->avail_in = fread(reader->in, 1, sizeof reader->in, reader->file);
            if (ferror(reader->file)) {
                reader->io_errno = errno;
                return (size_t)-1;
            }
            reader->eof = feof(reader->file) != 0;
        }
        reader->status = lzma_code(strm, reader->eof ? LZMA_FINISH : LZMA_RUN);
        if (reader->status != LZMA_OK && reader->status != LZMA_STREAM_END)
            return (size_t)-1; /* corrupt or truncated: reported by the caller */
    }
    return size - strm->avail_out;
}

static bool s_ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* Text of a code-like property: strings as they are, integral numbers in decimal. NULL when
 * absent, null, or of another type. */
static const char *s_property_text(json_t *properties, const char *field, char *buf, size_t buflen)
{
    json_t *value = json_is_object(properties) ? json_object_get(properties, field) : NULL;
    if (json_is_string(value))
        return json_string_value(value);
    if (json_is_integer(value)) {
        snprintf(buf, buflen, "%lld", (long long)json_integer_value(value));
        return buf;
    }
    if (json_is_real(value)) {
        double real = json_real_value(value);
        if (real == (double)(long long)real) {
            snprintf(buf, buflen, "%lld", (long long)real);
            return buf;
        }
    }
    return NULL;
}

/* Padded copy of a feature's code property; NULL (with a reason) when absent or empty. */
static char *s_code(json_t *properties, const char *field, int pad, size_t index, char *errbuf,
                    size_t errlen)
{
    char number[32], padded[256];
    const char *text = s_property_text(properties, field, number, sizeof number);
    int rc = text ? admin_code_pad(text, pad, padded, sizeof padded) : WF_EINVAL;
    if (rc == WF_ERANGE) {
        admin_errorf(errbuf, errlen, "feature %zu: \"%s\" is longer than 255 bytes", index, field);
        return NULL;
    }
    if (rc) {
        admin_errorf(errbuf, errlen, "feature %zu: no code in property \"%s\"", index, field);
        return NULL;
    }
    return strdup(padded);
}

static int s_feature(json_t *feature, size_t index, const admin_feature_spec_t *spec,
                     admin_feature_t *out, char *errbuf, size_t errlen)
{
    if (!json_is_object(feature)) {
        admin_errorf(errbuf, errlen, "feature %zu: not a JSON object", index);
        return WF_EPARSE;
    }
    json_t *properties = json_object_get(feature, "properties");
    json_t *geometry = json_object_get(feature, "geometry");
    const char *type = json_string_value(json_object_get(geometry, "type"));
    out->index = index;
    if (!(out->code = s_code(properties, spec->code_field, spec->pad, index, errbuf, errlen)))
        return WF_EPARSE;
    if (spec->parent_field && !(out->parent_code = s_code(properties, spec->parent_field,
                                                          spec->parent_pad, index, errbuf, errlen)))
        return WF_EPARSE;
    char number[32];
    const char *name = spec->name_field
                           ? s_property_text(properties, spec->name_field, number, sizeof number)
                           : NULL;
    if (name && !(out->name = strdup(name)))
        return WF_ENOMEM;
    if (!type || (strcmp(type, "Polygon") != 0 && strcmp(type, "MultiPolygon") != 0)) {
        admin_errorf(errbuf, errlen,
                     "feature %zu (code %s): geometry is %s, not a Polygon or "
                     "MultiPolygon",
                     index, out->code, type ? type : "missing");
        return WF_EPARSE;
    }
    out->geometry = json_dumps(geometry, JSON_COMPACT | JSON_REAL_PRECISION(17));
    out->properties = json_is_object(properties)
                          ? json_dumps(properties, JSON_COMPACT | JSON_REAL_PRECISION(17))
                          : strdup("{}");
    return out->geometry && out->properties ? WF_OK : WF_ENOMEM;
}

/* Turns a parsed document into features; takes nothing (root stays the caller's). */
static admin_features_t *s_features(json_t *root, const admin_feature_spec_t *spec, char *errbuf,
                                    size_t errlen)
{
    json_t *features = json_object_get(root, "features");
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
        admin_errorf(errbuf, errlen, "not a GeoJSON FeatureCollection with a features array");
        return NULL;
    }
    admin_features_t *self = calloc(1, sizeof *self);
    size_t n = json_array_size(features);
    if (!self || !(self->items = calloc(n ? n : 1, sizeof *self->items))) {
        free(self);
        admin_errorf(errbuf, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        self->count++; /* counted first so destroy frees a partly filled item */
        int rc = s_feature(json_array_get(features, i), i, spec, &self->items[i], errbuf, errlen);
        if (rc) {
            if (rc == WF_ENOMEM)
                admin_errorf(errbuf, errlen, "out of memory");
            admin_features_destroy(&self);
            return NULL;
        }
    }
    return self;
}

admin_features_t *admin_geojson_parse(const char *text, const admin_feature_spec_t *spec,
                                      char *errbuf, size_t errlen)
{
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    if (!root) {
        admin_errorf(errbuf, errlen, "line %d column %d: %s", error.line, error.column, error.text);
        return NULL;
    }
    admin_features_t *self = s_features(root, spec, errbuf, errlen);
    json_decref(root);
    return self;
}

admin_features_t *admin_geojson_load(const char *path, const admin_feature_spec_t *spec,
                                     char *errbuf, size_t errlen)
{
    s_reader_t *reader = calloc(1, sizeof *reader);
    if (!reader || !(reader->file = fopen(path, "rb"))) {
        admin_errorf(errbuf, errlen, "%s: %s", path, reader ? strerror(errno) : "out of memory");
        free(reader);
        return NULL;
    }
    reader->xz = s_ends_with(path, ".xz");
    reader->lzma = (lzma_stream)LZMA_STREAM_INIT;
    reader->status = LZMA_OK;
    admin_features_t *self = NULL;
    if (reader->xz &&
        lzma_stream_decoder(&reader->lzma, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
        admin_errorf(errbuf, errlen, "%s: cannot start the xz decoder", path);
        goto cleanup;
    }
    json_error_t error;
    json_t *root = json_load_callback(s_read, reader, 0, &error);
    if (!root && reader->io_errno)
        admin_errorf(errbuf, errlen, "%s: %s", path, strerror(reader->io_errno));
    else if (!root && reader->xz && reader->status == LZMA_BUF_ERROR)
        admin_errorf(errbuf, errlen, "%s: truncated xz data", path);
    else if (!root && reader->xz && reader->status != LZMA_OK && reader->status != LZMA_STREAM_END)
        admin_errorf(errbuf, errlen, "%s: corrupt xz data (liblzma error %d)", path,
                     (int)reader->status);
    else if (!root)
        admin_errorf(errbuf, errlen, "%s: line %d column %d: %s", path, error.line, error.column,
                     error.text);
    if (!root)
        goto cleanup;
    char reason[512];
    self = s_features(root, spec, reason, sizeof reason);
    if (!self)
        admin_errorf(errbuf, errlen, "%s: %s", path, reason);
    json_decref(root);
cleanup:
    lzma_end(&reader->lzma);
    fclose(reader->file);
    free(reader);
    return self;
}

static int s_by_code(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t admin_features_distinct_codes(const admin_features_t *features)
{
    if (!features || features->count == 0)
        return 0;
    char **codes = malloc(features->count * sizeof *codes);
    if (!codes)
        return 0;
    for (size_t i = 0; i < features->count; i++)
        codes[i] = features->items[i].code;
    qsort(codes, features->count, sizeof *codes, s_by_code);
    size_t distinct = 1;
    for (size_t i = 1; i < features->count; i++)
        distinct += strcmp(codes[i], codes[i - 1]) != 0;
    free(codes);
    return distinct;
}

void admin_features_destroy(admin_features_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    admin_features_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free(self->items[i].code);
        free(self->items[i].parent_code);
        free(self->items[i].name);
        free(self->items[i].geometry);
        free(self->items[i].properties);
    }
    free(self->items);
    free(self);
    *self_p = NULL;
}
