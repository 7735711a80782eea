/* enrich_areas.c — building the district/beat index: polygons in, prepared STRtrees out.
 *
 * enrich reads the boundary set once at start (as WKB from PostGIS) and adds every polygon here.
 * Areas that arrive in several pieces (Chicago beat 3100 is three features, district 31 three
 * MultiPolygons) are merged into one area per code, so a lookup answers with a code, never with a
 * feature. build() then prepares each area and puts its bounding box, grown by the snapping
 * tolerance, into one STRtree per layer; enrich_areas_lookup.c queries it.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/geos_polygon.h>
#include <wf/err.h>

#include "enrich_areas_int.h"

static const char *const s_layer_names[ENRICH_LAYER_COUNT] = {"district", "beat"};

static void s_on_geos_error(const char *message, void *user)
{
    enrich_areas_t *self = user;
    snprintf(self->geos_error, sizeof self->geos_error, "%s", message);
}

static void s_on_geos_notice(const char *message, void *user)
{
    /* GEOSisValid reports why a polygon is invalid as a notice; add() repairs it anyway. */
    (void)message;
    (void)user;
}

static void s_error(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* Moving the one query point instead of creating a point per lookup needs GEOS to see the moved
 * point's new envelope. GEOS 3.11 does not: a point computes its envelope once, on first use,
 * and moving its coordinates afterwards leaves that envelope stale, so the tree and the prepared
 * predicates would answer for the old position. Check it (move, read, move, read); where the
 * move is not seen, every lookup creates and destroys its own point instead (one small
 * allocation, well under a tenth of a lookup's cost). */
static bool s_point_is_movable(enrich_areas_t *self)
{
    GEOSCoordSequence *seq = (GEOSCoordSequence *)GEOSGeom_getCoordSeq_r(self->geos, self->point);
    double xmin = 0, ymax = 0;
    if (!seq || !GEOSCoordSeq_setXY_r(self->geos, seq, 0, 1.5, 2.5) ||
        !GEOSGeom_getXMin_r(self->geos, self->point, &xmin) || xmin != 1.5)
        return false;
    if (!GEOSCoordSeq_setXY_r(self->geos, seq, 0, 12.5, -3.25) ||
        !GEOSGeom_getXMin_r(self->geos, self->point, &xmin) ||
        !GEOSGeom_getYMax_r(self->geos, self->point, &ymax))
        return false;
    return xmin == 12.5 && ymax == -3.25;
}

enrich_areas_t *enrich_areas_new(void)
{
    enrich_areas_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->geos = GEOS_init_r();
    if (!self->geos)
        goto fail;
    GEOSContext_setErrorMessageHandler_r(self->geos, s_on_geos_error, self);
    GEOSContext_setNoticeMessageHandler_r(self->geos, s_on_geos_notice, self);
    self->wkb_reader = GEOSWKBReader_create_r(self->geos);
    self->point = GEOSGeom_createPointFromXY_r(self->geos, 0, 0);
    if (!self->wkb_reader || !self->point)
        goto fail;
    self->point_movable = s_point_is_movable(self);
    return self;
fail:
    enrich_areas_destroy(&self);
    return NULL;
}

static void s_area_free(enrich_areas_t *self, enrich_area_t *area)
{
    for (size_t i = 0; i < area->part_count; i++)
        GEOSGeom_destroy_r(self->geos, area->parts[i]);
    free(area->parts);
    if (area->prepared)
        GEOSPreparedGeom_destroy_r(self->geos, area->prepared);
    if (area->geom)
        GEOSGeom_destroy_r(self->geos, area->geom);
    if (area->box)
        GEOSGeom_destroy_r(self->geos, area->box);
}

void enrich_areas_destroy(enrich_areas_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enrich_areas_t *self = *self_p;
    for (int l = 0; l < ENRICH_LAYER_COUNT; l++) {
        enrich_layer_index_t *layer = &self->layers[l];
        if (layer->tree)
            GEOSSTRtree_destroy_r(self->geos, layer->tree);
        for (size_t i = 0; i < layer->count; i++)
            s_area_free(self, &layer->areas[i]);
        free(layer->areas);
        free(layer->by_code);
        free(layer->hits);
        free(layer->near);
    }
    if (self->point)
        GEOSGeom_destroy_r(self->geos, self->point);
    if (self->wkb_reader)
        GEOSWKBReader_destroy_r(self->geos, self->wkb_reader);
    if (self->geos)
        GEOS_finish_r(self->geos);
    free(self);
    *self_p = NULL;
}

int enrich_areas_layer_parse(const char *name, enrich_layer_t *layer)
{
    for (int l = 0; l < ENRICH_LAYER_COUNT; l++) {
        if (name && strcmp(name, s_layer_names[l]) == 0) {
            *layer = (enrich_layer_t)l;
            return WF_OK;
        }
    }
    return WF_ENOTFOUND;
}

const char *enrich_areas_layer_name(enrich_layer_t layer)
{
    assert(layer >= 0 && layer < ENRICH_LAYER_COUNT);
    return s_layer_names[layer];
}

/* The significant part of a code: surrounding blanks and leading zeros dropped. */
static void s_code_span(const char *code, const char **start, size_t *len)
{
    const char *p = code ? code : "";
    while (isspace((unsigned char)*p))
        p++;
    while (*p == '0')
        p++;
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    *start = p;
    *len = n;
}

static bool s_all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return true;
}

int enrich_areas_code_cmp(const char *a, const char *b)
{
    const char *pa, *pb;
    size_t na, nb;
    s_code_span(a, &pa, &na);
    s_code_span(b, &pb, &nb);
    bool da = s_all_digits(pa, na), db = s_all_digits(pb, nb);
    if (da != db)
        return da ? -1 : 1; /* numbers first keeps the order total and transitive */
    if (da && na != nb)
        return na < nb ? -1 : 1;
    int c = memcmp(pa, pb, na < nb ? na : nb);
    if (c != 0 || na == nb)
        return c;
    return na < nb ? -1 : 1;
}

static enrich_area_t *s_find_linear(const enrich_layer_index_t *layer, const char *code)
{
    for (size_t i = 0; i < layer->count; i++)
        if (enrich_areas_code_cmp(layer->areas[i].code, code) == 0)
            return &layer->areas[i];
    return NULL;
}

static int s_append_part(enrich_area_t *area, GEOSGeometry *geom)
{
    if (area->part_count == area->part_cap) {
        size_t cap = area->part_cap ? area->part_cap * 2 : 2;
        GEOSGeometry **grown = realloc(area->parts, cap * sizeof *grown);
        if (!grown)
            return WF_ENOMEM;
        area->parts = grown;
        area->part_cap = cap;
    }
    area->parts[area->part_count++] = geom;
    return WF_OK;
}

static enrich_area_t *s_new_area(enrich_layer_index_t *layer)
{
    if (layer->count == layer->cap) {
        size_t cap = layer->cap ? layer->cap * 2 : 64;
        enrich_area_t *grown = realloc(layer->areas, cap * sizeof *grown);
        if (!grown)
            return NULL;
        layer->areas = grown;
        layer->cap = cap;
    }
    enrich_area_t *area = &layer->areas[layer->count++];
    memset(area, 0, sizeof *area);
    return area;
}

int enrich_areas_add(enrich_areas_t *self, enrich_layer_t layer, const char *code,
                     const char *parent_code, const uint8_t *wkb, size_t wkb_len, char *errbuf,
                     size_t errlen)
{
    assert(layer >= 0 && layer < ENRICH_LAYER_COUNT);
    if (self->built) {
        s_error(errbuf, errlen, "the index is already built");
        return WF_EINVAL;
    }
    if (!code || !*code || strlen(code) > ENRICH_AREAS_CODE_MAX ||
        (parent_code && strlen(parent_code) > ENRICH_AREAS_CODE_MAX)) {
        s_error(errbuf, errlen, "area code missing or longer than %d bytes", ENRICH_AREAS_CODE_MAX);
        return WF_EINVAL;
    }
    GEOSGeometry *geom = wf_geos_read_polygon(self->geos, self->wkb_reader, wkb, wkb_len,
                                              self->geos_error, errbuf, errlen);
    if (!geom)
        return WF_EINVAL;
    enrich_layer_index_t *index = &self->layers[layer];
    enrich_area_t *area = s_find_linear(index, code);
    if (!area) {
        area = s_new_area(index);
        if (!area) {
            GEOSGeom_destroy_r(self->geos, geom);
            return WF_ENOMEM;
        }
        snprintf(area->code, sizeof area->code, "%s", code);
    }
    if (!area->parent[0] && parent_code)
        snprintf(area->parent, sizeof area->parent, "%s", parent_code);
    if (s_append_part(area, geom) != WF_OK) {
        GEOSGeom_destroy_r(self->geos, geom);
        return WF_ENOMEM;
    }
    return WF_OK;
}

/* One geometry per area: a single part as is, several parts unioned (they may touch). */
static int s_merge_parts(enrich_areas_t *self, enrich_area_t *area)
{
    if (area->part_count == 1) {
        area->geom = area->parts[0];
    } else {
        /* the collection takes ownership of the parts */
        GEOSGeometry *all = GEOSGeom_createCollection_r(self->geos, GEOS_GEOMETRYCOLLECTION,
                                                        area->parts, (unsigned)area->part_count);
        if (!all)
            return WF_EINVAL;
        area->geom = GEOSUnaryUnion_r(self->geos, all);
        GEOSGeom_destroy_r(self->geos, all);
    }
    area->part_count = 0;
    free(area->parts);
    area->parts = NULL;
    return area->geom ? WF_OK : WF_EINVAL;
}

/* The area's bounding box grown by tolerance_m in every direction. A degree of latitude is at
 * least 110 574 m, and a degree of longitude shrinks with the cosine of the latitude farthest
 * from the equator that the box reaches, so the growth in degrees is an upper bound. */
static GEOSGeometry *s_grown_box(enrich_areas_t *self, const GEOSGeometry *geom, double tolerance_m)
{
    double xmin, ymin, xmax, ymax;
    if (!GEOSGeom_getXMin_r(self->geos, geom, &xmin) ||
        !GEOSGeom_getYMin_r(self->geos, geom, &ymin) ||
        !GEOSGeom_getXMax_r(self->geos, geom, &xmax) ||
        !GEOSGeom_getYMax_r(self->geos, geom, &ymax))
        return NULL;
    double dlat = tolerance_m / 110574.0;
    double far_lat = fmin(89.999, fmax(fabs(ymin), fabs(ymax)) + dlat);
    double dlon = tolerance_m / (111320.0 * cos(far_lat * M_PI / 180.0));
    return GEOSGeom_createRectangle_r(self->geos, xmin - dlon, ymin - dlat, xmax + dlon,
                                      ymax + dlat);
}

static int s_by_code_cmp(const void *a, const void *b)
{
    const enrich_area_t *const *x = a;
    const enrich_area_t *const *y = b;
    return enrich_areas_code_cmp((*x)->code, (*y)->code);
}

static void s_ignore_item(void *item, void *user)
{
    (void)item;
    (void)user;
}

static int s_build_layer(enrich_areas_t *self, enrich_layer_index_t *layer, char *errbuf,
                         size_t errlen)
{
    size_t n = layer->count;
    layer->by_code = calloc(n ? n : 1, sizeof *layer->by_code);
    layer->hits = calloc(n ? n : 1, sizeof *layer->hits);
    layer->near = calloc(n ? n : 1, sizeof *layer->near);
    layer->tree = GEOSSTRtree_create_r(self->geos, 10);
    if (!layer->by_code || !layer->hits || !layer->near || !layer->tree)
        return WF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        enrich_area_t *area = &layer->areas[i];
        if (s_merge_parts(self, area) != WF_OK ||
            !(area->prepared = GEOSPrepare_r(self->geos, area->geom)) ||
            !(area->box = s_grown_box(self, area->geom, self->max_tolerance_m))) {
            s_error(errbuf, errlen, "area %s: GEOS failed: %s", area->code, self->geos_error);
            return WF_EINVAL;
        }
        GEOSSTRtree_insert_r(self->geos, layer->tree, area->box, area);
        layer->by_code[i] = area;
    }
    qsort(layer->by_code, n, sizeof *layer->by_code, s_by_code_cmp);
    /* GEOS builds a tree on its first query; pay for that now rather than on an event. */
    GEOSSTRtree_query_r(self->geos, layer->tree, self->point, s_ignore_item, NULL);
    return WF_OK;
}

int enrich_areas_build(enrich_areas_t *self, double max_tolerance_m, char *errbuf, size_t errlen)
{
    if (self->built) {
        s_error(errbuf, errlen, "the index is already built");
        return WF_EINVAL;
    }
    self->max_tolerance_m = isfinite(max_tolerance_m) && max_tolerance_m > 0 ? max_tolerance_m : 0;
    for (int l = 0; l < ENRICH_LAYER_COUNT; l++) {
        int rc = s_build_layer(self, &self->layers[l], errbuf, errlen);
        if (rc != WF_OK)
            return rc;
    }
    self->built = true;
    return WF_OK;
}

size_t enrich_areas_count(const enrich_areas_t *self, enrich_layer_t layer)
{
    assert(layer >= 0 && layer < ENRICH_LAYER_COUNT);
    return self->layers[layer].count;
}

const char *enrich_areas_find(const enrich_areas_t *self, enrich_layer_t layer, const char *code,
                              const char **parent_code)
{
    assert(layer >= 0 && layer < ENRICH_LAYER_COUNT);
    const enrich_layer_index_t *index = &self->layers[layer];
    const enrich_area_t *area = NULL;
    if (!enrich_areas_is_blank(code)) {
        if (self->built) {
            size_t lo = 0, hi = index->count;
            while (lo < hi && !area) {
                size_t mid = lo + (hi - lo) / 2;
                int c = enrich_areas_code_cmp(index->by_code[mid]->code, code);
                if (c == 0)
                    area = index->by_code[mid];
                else if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        } else {
            area = s_find_linear(index, code);
        }
    }
    if (parent_code)
        *parent_code = area && area->parent[0] ? area->parent : NULL;
    return area ? area->code : NULL;
}
