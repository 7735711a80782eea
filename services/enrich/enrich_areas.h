/* enrich_areas.h — district and beat assignment by point-in-polygon.
 *
 * enrich loads one boundary set at start and asks, for every located event, which district and
 * which beat contain it. This index answers with GEOS prepared geometries inside one STRtree per
 * layer: one tree query per layer and lookup, and no allocation beyond the GEOS query point.
 * Incident coordinates are snapped to block centrelines, which are often beat boundaries, so a
 * point may touch two areas; the source's own recorded code breaks such ties. Pure logic: no
 * transport, no database.
 *
 * Thread: an index and everything it returns belong to the thread that created it (it owns one
 * GEOS context and per-lookup scratch space).
 */
#ifndef ENRICH_AREAS_H
#define ENRICH_AREAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/watchfloor.pb-c.h>

/* Longest area code kept (codes are short: "007", "0713"); longer ones are refused. */
#define ENRICH_AREAS_CODE_MAX 32

typedef enum {
    ENRICH_LAYER_DISTRICT = 0,
    ENRICH_LAYER_BEAT = 1,
    ENRICH_LAYER_COUNT
} enrich_layer_t;

/* The answer of one lookup. Strings are borrowed from the index (valid as long as it). */
typedef struct {
    const char *code;        /* area code as the boundary table writes it; NULL when not found */
    const char *parent_code; /* the area's parent (a beat's district) or NULL */
    Wf__AreaMethod method;   /* how the area was chosen (never UNSPECIFIED) */
    double distance_m;       /* NEAREST: metres from the point to the area; 0 otherwise */
    uint32_t touching;       /* how many areas contain or touch the point (2+ = a tie) */
} enrich_area_match_t;

typedef struct enrich_areas_t enrich_areas_t;

/* An empty index. Returns NULL when GEOS cannot be initialised or memory is short. */
enrich_areas_t *enrich_areas_new(void);

/* Frees the index and every geometry. NULL-safe; sets *self_p to NULL. */
void enrich_areas_destroy(enrich_areas_t **self_p);

/* Parses "district" or "beat" into *layer. Returns 0, or WF_ENOTFOUND for any other layer name
 * (the boundary table also holds "jurisdiction", which enrich does not assign). */
int enrich_areas_layer_parse(const char *name, enrich_layer_t *layer);

/* Layer name ("district", "beat"). */
const char *enrich_areas_layer_name(enrich_layer_t layer);

/* Adds one polygon (ISO/OGC WKB of a Polygon or MultiPolygon, WGS84 lon/lat) to layer under
 * code; parent_code may be NULL. Several polygons added with the same code (compared ignoring
 * leading zeros) become one area. Invalid polygons are repaired (GEOSMakeValid). Must be called
 * before enrich_areas_build(). Returns 0, WF_EINVAL (undecodable WKB, wrong geometry type,
 * empty or over-long code, index already built; a reason goes into errbuf) or WF_ENOMEM. */
int enrich_areas_add(enrich_areas_t *self, enrich_layer_t layer, const char *code,
                     const char *parent_code, const uint8_t *wkb, size_t wkb_len, char *errbuf,
                     size_t errlen);

/* Merges multi-part areas, prepares every geometry and builds the STRtrees. max_tolerance_m is
 * the largest snapping distance lookups may use: the tree stores each area's bounding box grown
 * by that much, so one tree query finds both containing and nearby areas. Returns 0, WF_EINVAL
 * (already built, or a geometry GEOS cannot process; reason in errbuf) or WF_ENOMEM. */
int enrich_areas_build(enrich_areas_t *self, double max_tolerance_m, char *errbuf, size_t errlen);

/* Number of areas (distinct codes) in layer. */
size_t enrich_areas_count(const enrich_areas_t *self, enrich_layer_t layer);

/* The area whose code equals code ignoring leading zeros ("7" finds "007" and vice versa), in
 * the boundary table's spelling; NULL when unknown. parent_code, if not NULL, receives its
 * parent (NULL when none). */
const char *enrich_areas_find(const enrich_areas_t *self, enrich_layer_t layer, const char *code,
                              const char **parent_code);

/* Assigns the located point (lon, lat; WGS84 degrees) to an area of layer:
 *  - POINT_IN_POLYGON: exactly one area contains or touches the point;
 *  - BOUNDARY_TIE: several do; the one whose code equals hint (ignoring leading zeros) wins,
 *    otherwise the lowest code (digit strings compare numerically) — deterministic;
 *  - NEAREST: none does, but an area lies within tolerance_m metres (capped at the build's
 *    max_tolerance_m); the closest wins, equal distances resolved as for ties;
 *  - NOT_FOUND: otherwise, or when the coordinates are not finite.
 * Distances are metres in a local equirectangular frame at the point (WGS84 radii of curvature
 * at its latitude), measured to the area's edges: within a millimetre at snapping distances
 * (tens of metres), a few metres at 5 km; no projection library is needed per lookup.
 * hint may be NULL or "". Requires a built index. Allocates nothing but, where GEOS caches a
 * point's envelope (GEOS 3.11 does), the one query point of the call (see enrich_areas.c). */
void enrich_areas_lookup(enrich_areas_t *self, enrich_layer_t layer, double lon, double lat,
                         const char *hint, double tolerance_m, enrich_area_match_t *match);

/* For an event without coordinates: SOURCE_REPORTED with the table's spelling of hint when hint
 * names a known area of layer, NOT_FOUND otherwise. */
void enrich_areas_lookup_reported(const enrich_areas_t *self, enrich_layer_t layer,
                                  const char *hint, enrich_area_match_t *match);

/* Compares two area codes ignoring leading zeros; digit strings compare numerically ("9" <
 * "10"). Returns <0, 0 or >0 like strcmp. NULL counts as "". */
int enrich_areas_code_cmp(const char *a, const char *b);

#endif
