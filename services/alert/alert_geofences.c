/* alert_geofences.c — geofence polygons prepared with GEOS, and point-in-geofence lookups.
 *
 * A deployment has tens of geofences (a school zone, a stadium, a protected site), not
 * thousands, so a lookup walks them all but compares plain bounding boxes first: GEOS is asked
 * only about the ones whose box holds the point. The query point is made per lookup and only
 * when some box holds it (enrich_areas.c explains why a moved GEOS point cannot be reused).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <geos_c.h>

#include <wf/geos_polygon.h>
#include <wf/err.h>

#include "alert_geofences.h"

typedef struct {
    char *name;                           /* unique */
    GEOSGeometry *geom;                   /* the (repaired) polygon or multipolygon */
    const GEOSPreparedGeometry *prepared; /* geom, prepared for repeated predicates */
    double xmin, ymin, xmax, ymax;        /* bounding box */
} s_fence_t;

struct alert_geofences_t {
    GEOSContextHandle_t geos;  /* this set's own GEOS context */
    GEOSWKBReader *wkb_reader; /* decodes added polygons */
    s_fence_t *fences;         /* in the order added */
    size_t count;              /* fences held */
    size_t cap;                /* slots allocated */
    uint64_t failures;         /* predicates GEOS could not evaluate */
    char geos_error[256];      /* last error GEOS reported */
};

static void s_on_geos_error(const char *message, void *user)
{
    alert_geofences_t *self = user;
    snprintf(self->geos_error, sizeof self->geos_error, "%s", message);
}

static void s_on_geos_notice(const char *message, void *user)
{
    (void)message; /* GEOSisValid explains invalid polygons here; add() repairs them anyway */
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

alert_geofences_t *alert_geofences_new(void)
{
    alert_geofences_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->geos = GEOS_init_r();
    if (self->geos) {
        GEOSContext_setErrorMessageHandler_r(self->geos, s_on_geos_error, self);
        GEOSContext_setNoticeMessageHandler_r(self->geos, s_on_geos_notice, self);
        self->wkb_reader = GEOSWKBReader_create_r(self->geos);
    }
    if (!self->wkb_reader)
        alert_geofences_destroy(&self);
    return self;
}

void alert_geofences_destroy(alert_geofences_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_geofences_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        s_fence_t *fence = &self->fences[i];
        GEOSPreparedGeom_destroy_r(self->geos, fence->prepared);
        GEOSGeom_destroy_r(self->geos, fence->geom);
        free(fence->name);
    }
    free(self->fences);
    if (self->wkb_reader)
        GEOSWKBReader_destroy_r(self->geos, self->wkb_reader);
    if (self->geos)
        GEOS_finish_r(self->geos);
    free(self);
    *self_p = NULL;
}

int alert_geofences_add(alert_geofences_t *self, const char *name, const uint8_t *wkb,
                        size_t wkb_len, char *errbuf, size_t errlen)
{
    if (!name || !*name) {
        s_error(errbuf, errlen, "geofence without a name");
        return WF_EINVAL;
    }
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->fences[i].name, name) == 0) {
            s_error(errbuf, errlen, "duplicate geofence name '%s'", name);
            return WF_EINVAL;
        }
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        s_fence_t *fences = realloc(self->fences, cap * sizeof *fences);
        if (!fences)
            return WF_ENOMEM;
        self->fences = fences;
        self->cap = cap;
    }
    GEOSGeometry *geom = wf_geos_read_polygon(self->geos, self->wkb_reader, wkb, wkb_len,
                                              self->geos_error, errbuf, errlen);
    if (!geom)
        return WF_EINVAL;
    s_fence_t fence = {.geom = geom};
    fence.prepared = GEOSPrepare_r(self->geos, geom);
    fence.name = strdup(name);
    if (!fence.prepared || !fence.name || !GEOSGeom_getXMin_r(self->geos, geom, &fence.xmin) ||
        !GEOSGeom_getYMin_r(self->geos, geom, &fence.ymin) ||
        !GEOSGeom_getXMax_r(self->geos, geom, &fence.xmax) ||
        !GEOSGeom_getYMax_r(self->geos, geom, &fence.ymax)) {
        if (fence.prepared)
            GEOSPreparedGeom_destroy_r(self->geos, fence.prepared);
        GEOSGeom_destroy_r(self->geos, geom);
        bool no_memory = fence.name == NULL;
        free(fence.name);
        if (no_memory)
            return WF_ENOMEM;
        s_error(errbuf, errlen, "GEOS cannot prepare geofence '%s': %s", name, self->geos_error);
        return WF_EINVAL;
    }
    self->fences[self->count++] = fence;
    return WF_OK;
}

size_t alert_geofences_count(const alert_geofences_t *self)
{
    return self ? self->count : 0;
}

const char *alert_geofences_name(const alert_geofences_t *self, size_t i)
{
    return self && i < self->count ? self->fences[i].name : NULL;
}

size_t alert_geofences_locate(alert_geofences_t *self, double lon, double lat, bool *inside)
{
    GEOSGeometry *point = NULL;
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_fence_t *fence = &self->fences[i];
        inside[i] = false;
        if (lon < fence->xmin || lon > fence->xmax || lat < fence->ymin || lat > fence->ymax)
            continue;
        if (!point && !(point = GEOSGeom_createPointFromXY_r(self->geos, lon, lat))) {
            self->failures++;
            continue;
        }
        /* intersects = inside or on the edge, and GEOS's fast path for a point */
        char hit = GEOSPreparedIntersects_r(self->geos, fence->prepared, point);
        if (hit == 2)
            self->failures++;
        else if (hit == 1) {
            inside[i] = true;
            n++;
        }
    }
    if (point)
        GEOSGeom_destroy_r(self->geos, point);
    return n;
}

uint64_t alert_geofences_failures(const alert_geofences_t *self)
{
    return self->failures;
}
