/* enrich_areas_lookup.c — answering "which district, which beat?" for one point.
 *
 * The hot path of enrich: tens of thousands of lookups a second, each one STRtree query with the
 * moved query point, a prepared-geometry intersects test per candidate, and no allocation. Ties
 * (a point on a shared boundary) and near misses (a point a few metres outside every polygon,
 * e.g. on the lakefront or a city-limit street) are resolved here, deterministically.
 */
#include <assert.h>
#include <math.h>

#include "enrich_areas_int.h"

typedef struct {
    enrich_areas_t *self;        /* for the GEOS context and failure count */
    enrich_layer_index_t *layer; /* where the candidates go */
    const GEOSGeometry *point;   /* the query point */
} s_query_t;

static void s_match_none(enrich_area_match_t *match)
{
    match->code = NULL;
    match->parent_code = NULL;
    match->method = WF__AREA_METHOD__NOT_FOUND;
    match->distance_m = 0;
    match->touching = 0;
}

static void s_match_set(enrich_area_match_t *match, const enrich_area_t *area,
                        Wf__AreaMethod method)
{
    match->code = area->code;
    match->parent_code = area->parent[0] ? area->parent : NULL;
    match->method = method;
}

/* STRtree callback: the candidate's grown box contains the point; sort it by whether the area
 * itself contains or touches the point. Every area is in the tree once, so the scratch arrays
 * (one slot per area) cannot overflow. */
static void s_on_candidate(void *item, void *user)
{
    s_query_t *query = user;
    enrich_layer_index_t *layer = query->layer;
    enrich_area_t *area = item;
    char hit = GEOSPreparedIntersects_r(query->self->geos, area->prepared, query->point);
    if (hit == 1) {
        layer->hits[layer->hit_count++] = area;
        return;
    }
    if (hit != 0)
        query->self->geos_failures++;
    layer->near[layer->near_count++] = area;
}

/* Whether a beats b as the answer: the source's own code first, then the lowest code. */
static bool s_prefer(const enrich_area_t *a, const enrich_area_t *b, const char *hint)
{
    if (hint) {
        bool a_hint = enrich_areas_code_cmp(a->code, hint) == 0;
        bool b_hint = enrich_areas_code_cmp(b->code, hint) == 0;
        if (a_hint != b_hint)
            return a_hint;
    }
    return enrich_areas_code_cmp(a->code, b->code) < 0;
}

/* Distance from the origin to segment a–b (local metres). */
static double s_segment_distance(double ax, double ay, double bx, double by)
{
    double dx = bx - ax, dy = by - ay;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(ax + t * dx, ay + t * dy);
}

/* Local equirectangular frame centred on the point: metres east (kx per degree) and north. */
typedef struct {
    double lon, lat; /* the point */
    double kx, ky;   /* metres per degree of longitude / latitude at the point */
} s_frame_t;

/* Metres per degree from the WGS84 radii of curvature at the point's latitude (prime vertical
 * for east-west, meridian for north-south). Over snapping distances (tens of metres) the frame's
 * error against the geodesic is far below a centimetre; no antimeridian handling (no police
 * beat straddles it). */
static void s_frame_init(s_frame_t *frame, double lon, double lat)
{
    double phi = lat * M_PI / 180.0, s = sin(phi);
    double w = sqrt(1.0 - ENRICH_AREAS_WGS84_E2 * s * s);
    double prime_vertical = ENRICH_AREAS_WGS84_A / w;
    double meridian = ENRICH_AREAS_WGS84_A * (1.0 - ENRICH_AREAS_WGS84_E2) / (w * w * w);
    frame->lon = lon;
    frame->lat = lat;
    frame->kx = prime_vertical * cos(phi) * M_PI / 180.0;
    frame->ky = meridian * M_PI / 180.0;
}

static double s_seq_distance(GEOSContextHandle_t geos, const GEOSCoordSequence *seq,
                             const s_frame_t *frame)
{
    unsigned int n = 0;
    double best = INFINITY, px = 0, py = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(geos, seq, &n))
        return INFINITY;
    for (unsigned int i = 0; i < n; i++) {
        double x, y;
        if (!GEOSCoordSeq_getXY_r(geos, seq, i, &x, &y))
            return INFINITY;
        x = (x - frame->lon) * frame->kx;
        y = (y - frame->lat) * frame->ky;
        best = fmin(best, i == 0 ? hypot(x, y) : s_segment_distance(px, py, x, y));
        px = x;
        py = y;
    }
    return best;
}

/* Metres from the point to the nearest edge of geom (the point is outside it). */
static double s_geom_distance(GEOSContextHandle_t geos, const GEOSGeometry *geom,
                              const s_frame_t *frame)
{
    int type = GEOSGeomTypeId_r(geos, geom);
    double best = INFINITY;
    if (type == GEOS_POLYGON) {
        best = s_seq_distance(geos, GEOSGeom_getCoordSeq_r(geos, GEOSGetExteriorRing_r(geos, geom)),
                              frame);
        int holes = GEOSGetNumInteriorRings_r(geos, geom);
        for (int i = 0; i < holes; i++) {
            const GEOSGeometry *ring = GEOSGetInteriorRingN_r(geos, geom, i);
            best = fmin(best, s_seq_distance(geos, GEOSGeom_getCoordSeq_r(geos, ring), frame));
        }
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int parts = GEOSGetNumGeometries_r(geos, geom);
        for (int i = 0; i < parts; i++)
            best = fmin(best, s_geom_distance(geos, GEOSGetGeometryN_r(geos, geom, i), frame));
    } else if (type >= 0) {
        /* lines and points can only come out of a polygon repair */
        best = s_seq_distance(geos, GEOSGeom_getCoordSeq_r(geos, geom), frame);
    }
    return best;
}

/* No area touches the point: the closest one within tolerance_m, if any. GEOS's indexed
 * distance in degrees rules most candidates out cheaply (a displacement of m metres spans at
 * most m / min(kx, ky) degrees); the survivors are measured in metres. */
static void s_nearest(enrich_areas_t *self, enrich_layer_index_t *layer, const GEOSGeometry *point,
                      const s_frame_t *frame, const char *hint, double tolerance_m,
                      enrich_area_match_t *match)
{
    double bound_deg = tolerance_m / fmin(frame->kx, frame->ky) * 1.001 + 1e-12;
    const enrich_area_t *best = NULL;
    double best_m = INFINITY;
    for (size_t i = 0; i < layer->near_count; i++) {
        const enrich_area_t *area = layer->near[i];
        char within = GEOSPreparedDistanceWithin_r(self->geos, area->prepared, point, bound_deg);
        if (within != 1) {
            self->geos_failures += within != 0;
            continue;
        }
        double d = s_geom_distance(self->geos, area->geom, frame);
        if (d > tolerance_m)
            continue;
        /* distances within a micrometre are equal: rounding must not decide */
        bool equal = best && fabs(d - best_m) <= 1e-6;
        if (!best || (!equal && d < best_m) || (equal && s_prefer(area, best, hint))) {
            best = area;
            best_m = d;
        }
    }
    if (best) {
        s_match_set(match, best, WF__AREA_METHOD__NEAREST);
        match->distance_m = best_m;
    }
}

/* The query point at (lon, lat): the index's own point moved there, or a new one when this GEOS
 * would not notice the move (see s_point_is_movable). */
static GEOSGeometry *s_point_at(enrich_areas_t *self, double lon, double lat)
{
    if (!self->point_movable)
        return GEOSGeom_createPointFromXY_r(self->geos, lon, lat);
    /* GEOS hands out the point's coordinates as const; the point is ours and never shared */
    GEOSCoordSequence *seq = (GEOSCoordSequence *)GEOSGeom_getCoordSeq_r(self->geos, self->point);
    if (!seq || !GEOSCoordSeq_setXY_r(self->geos, seq, 0, lon, lat))
        return NULL;
    return self->point;
}

void enrich_areas_lookup(enrich_areas_t *self, enrich_layer_t layer, double lon, double lat,
                         const char *hint, double tolerance_m, enrich_area_match_t *match)
{
    assert(self->built && layer >= 0 && layer < ENRICH_LAYER_COUNT);
    s_match_none(match);
    if (!isfinite(lon) || !isfinite(lat) || fabs(lon) > 180 || fabs(lat) > 90)
        return;
    GEOSGeometry *point = s_point_at(self, lon, lat);
    if (!point)
        return;
    enrich_layer_index_t *index = &self->layers[layer];
    index->hit_count = index->near_count = 0;
    s_query_t query = {self, index, point};
    GEOSSTRtree_query_r(self->geos, index->tree, point, s_on_candidate, &query);
    if (enrich_areas_is_blank(hint))
        hint = NULL;
    match->touching = (uint32_t)index->hit_count;
    if (index->hit_count == 1) {
        s_match_set(match, index->hits[0], WF__AREA_METHOD__POINT_IN_POLYGON);
    } else if (index->hit_count > 1) {
        const enrich_area_t *best = index->hits[0];
        for (size_t i = 1; i < index->hit_count; i++)
            if (s_prefer(index->hits[i], best, hint))
                best = index->hits[i];
        s_match_set(match, best, WF__AREA_METHOD__BOUNDARY_TIE);
    } else {
        double tolerance =
            isfinite(tolerance_m) ? fmin(fmax(tolerance_m, 0), self->max_tolerance_m) : 0;
        s_frame_t frame;
        s_frame_init(&frame, lon, lat);
        if (tolerance > 0 && frame.kx > 0)
            s_nearest(self, index, point, &frame, hint, tolerance, match);
    }
    if (point != self->point)
        GEOSGeom_destroy_r(self->geos, point);
}

void enrich_areas_lookup_reported(const enrich_areas_t *self, enrich_layer_t layer,
                                  const char *hint, enrich_area_match_t *match)
{
    s_match_none(match);
    const char *parent = NULL;
    const char *code = enrich_areas_find(self, layer, hint, &parent);
    if (!code)
        return;
    match->code = code;
    match->parent_code = parent;
    match->method = WF__AREA_METHOD__SOURCE_REPORTED;
}
