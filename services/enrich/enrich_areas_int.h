/* enrich_areas_int.h — the area index's private layout, shared by its two source files.
 *
 * enrich_areas.c builds the index (adding, merging, preparing, the trees); enrich_areas_lookup.c
 * answers lookups. Nothing outside those two files includes this header.
 */
#ifndef ENRICH_AREAS_INT_H
#define ENRICH_AREAS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <geos_c.h>

#include "enrich_areas.h"

/* WGS84 ellipsoid: semi-major axis (m) and first eccentricity squared. */
#define ENRICH_AREAS_WGS84_A  6378137.0
#define ENRICH_AREAS_WGS84_E2 0.00669437999014

typedef struct {
    char code[ENRICH_AREAS_CODE_MAX + 1];   /* spelling of the boundary table */
    char parent[ENRICH_AREAS_CODE_MAX + 1]; /* parent area code, "" when none */
    GEOSGeometry **parts;                   /* polygons added under this code (until build) */
    size_t part_count, part_cap;
    GEOSGeometry *geom;                   /* the merged area (after build) */
    const GEOSPreparedGeometry *prepared; /* geom, prepared for repeated predicates */
    GEOSGeometry *box;                    /* bbox grown by the tolerance, as the tree holds it */
} enrich_area_t;

typedef struct {
    enrich_area_t *areas; /* one per distinct code; stable once built */
    size_t count, cap;
    enrich_area_t **by_code; /* areas sorted with enrich_areas_code_cmp, for enrich_areas_find */
    GEOSSTRtree *tree;       /* items are enrich_area_t *, keyed by their grown boxes */
    enrich_area_t **hits;    /* lookup scratch: areas containing/touching the point */
    enrich_area_t **near;    /* lookup scratch: candidates that do not touch it */
    size_t hit_count, near_count;
} enrich_layer_index_t;

struct enrich_areas_t {
    GEOSContextHandle_t geos;  /* this index's own GEOS context (reentrant API) */
    GEOSWKBReader *wkb_reader; /* decodes added polygons */
    GEOSGeometry *point;       /* the one query point, moved to each lookup's coordinates */
    bool point_movable;        /* GEOS sees a moved point's new envelope (checked at start) */
    bool built;                /* enrich_areas_build() succeeded; no more adds */
    double max_tolerance_m;    /* how far the tree boxes were grown */
    uint64_t geos_failures;    /* predicates GEOS could not evaluate (treated as "no") */
    enrich_layer_index_t layers[ENRICH_LAYER_COUNT];
    char geos_error[256]; /* last error message GEOS reported */
};

/* True when code is NULL or holds nothing but blanks (no code given). */
static inline bool enrich_areas_is_blank(const char *code)
{
    for (const char *p = code ? code : ""; *p; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return false;
    return true;
}

#endif
