/* ingest_coords.c — coordinate text → checked WGS84 point, through PROJ.
 *
 * Numbers are read strictly (decimal notation only: strtod would also take "nan", "inf" and hex
 * floats, none of which is a coordinate). When the source CRS already is EPSG:4326 the
 * transformation is still built: PROJ's normalisation is what guarantees lon/lat order.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <proj.h>

#include <wf/err.h>

#include "ingest_coords.h"

struct ingest_coords_t {
    PJ_CONTEXT *ctx;      /* private PROJ context (thread safety, no network) */
    PJ *transform;        /* source CRS → EPSG:4326, lon/lat order */
    double bbox[4];       /* minlon, minlat, maxlon, maxlat */
    bool has_bbox;        /* check the jurisdiction */
    bool zero_is_missing; /* 0,0 means "no coordinates" (common export placeholder) */
};

ingest_coords_t *ingest_coords_new(const char *crs, const double *bbox, bool zero_is_missing,
                                   char *errbuf, size_t errlen)
{
    ingest_coords_t *self = calloc(1, sizeof *self);
    if (!self || !(self->ctx = proj_context_create())) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    proj_log_level(self->ctx, PJ_LOG_NONE);
    proj_context_set_enable_network(self->ctx, 0);
    PJ *raw = proj_create_crs_to_crs(self->ctx, crs, "EPSG:4326", NULL);
    if (!raw) {
        snprintf(errbuf, errlen, "cannot transform from CRS '%s' to EPSG:4326: %s", crs,
                 proj_context_errno_string(self->ctx, proj_context_errno(self->ctx)));
        goto fail;
    }
    self->transform = proj_normalize_for_visualization(self->ctx, raw);
    proj_destroy(raw);
    if (!self->transform) {
        snprintf(errbuf, errlen, "cannot normalise the axis order of CRS '%s'", crs);
        goto fail;
    }
    if (bbox) {
        memcpy(self->bbox, bbox, sizeof self->bbox);
        self->has_bbox = true;
    }
    self->zero_is_missing = zero_is_missing;
    return self;
fail:
    ingest_coords_destroy(&self);
    return NULL;
}

void ingest_coords_destroy(ingest_coords_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_coords_t *self = *self_p;
    proj_destroy(self->transform);
    if (self->ctx)
        proj_context_destroy(self->ctx);
    free(self);
    *self_p = NULL;
}

/* Skips blanks; true when only blanks remain. */
static bool s_is_blank(const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    return *text == '\0';
}

/* A finite decimal number: [blanks][+-]digits[.digits][e[+-]digits][blanks]. */
static bool s_number(const char *text, double *out)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    const char *start = p;
    if (*p == '+' || *p == '-')
        p++;
    bool digits = false;
    while (isdigit((unsigned char)*p))
        p++, digits = true;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++)
            digits = true;
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (!s_is_blank(p))
        return false;
    errno = 0;
    *out = strtod(start, NULL);
    return errno == 0 && isfinite(*out);
}

int ingest_coords_convert(ingest_coords_t *self, const char *x, const char *y, bool *has_location,
                          double *lon, double *lat, ingest_reject_t *reject)
{
    *has_location = false;
    bool x_blank = s_is_blank(x), y_blank = s_is_blank(y);
    if (x_blank && y_blank)
        return WF_OK;
    double vx = 0, vy = 0;
    bool x_ok = !x_blank && s_number(x, &vx), y_ok = !y_blank && s_number(y, &vy);
    if (!x_ok || !y_ok) {
        ingest_reject_set(reject, INGEST_R_BAD_COORDINATES, x_ok ? "location.y" : "location.x",
                          "coordinates '%.40s','%.40s' are not a pair of numbers", x, y);
        return WF_EPARSE;
    }
    if (self->zero_is_missing && vx == 0 && vy == 0)
        return WF_OK;
    PJ_COORD out = proj_trans(self->transform, PJ_FWD, proj_coord(vx, vy, 0, 0));
    if (!isfinite(out.xy.x) || !isfinite(out.xy.y) || fabs(out.xy.y) > 90 || fabs(out.xy.x) > 180) {
        proj_errno_reset(self->transform);
        ingest_reject_set(reject, INGEST_R_BAD_COORDINATES, "location.x",
                          "coordinates %.10g,%.10g cannot be transformed to WGS84", vx, vy);
        return WF_EPARSE;
    }
    if (self->has_bbox && (out.xy.x < self->bbox[0] || out.xy.y < self->bbox[1] ||
                           out.xy.x > self->bbox[2] || out.xy.y > self->bbox[3])) {
        ingest_reject_set(reject, INGEST_R_OUTSIDE_JURISDICTION, "location.x",
                          "point %.6f,%.6f (from %.10g,%.10g) is outside the jurisdiction "
                          "%g,%g,%g,%g",
                          out.xy.x, out.xy.y, vx, vy, self->bbox[0], self->bbox[1], self->bbox[2],
                          self->bbox[3]);
        return WF_ERANGE;
    }
    *has_location = true;
    *lon = out.xy.x;
    *lat = out.xy.y;
    return WF_OK;
}

int ingest_coords_parse_bbox(const char *const *items, size_t count, double bbox[4], char *errbuf,
                             size_t errlen)
{
    if (count != 4) {
        snprintf(errbuf, errlen,
                 "jurisdiction.bbox needs 4 numbers (minlon,minlat,maxlon,maxlat),"
                 " got %zu",
                 count);
        return WF_EINVAL;
    }
    for (size_t i = 0; i < 4; i++) {
        if (!s_number(items[i], &bbox[i])) {
            snprintf(errbuf, errlen, "jurisdiction.bbox: '%s' is not a number", items[i]);
            return WF_EINVAL;
        }
    }
    if (bbox[0] >= bbox[2] || bbox[1] >= bbox[3] || bbox[0] < -180 || bbox[2] > 180 ||
        bbox[1] < -90 || bbox[3] > 90) {
        snprintf(errbuf, errlen,
                 "jurisdiction.bbox %g,%g,%g,%g is not minlon,minlat,maxlon,maxlat"
                 " in degrees",
                 bbox[0], bbox[1], bbox[2], bbox[3]);
        return WF_EINVAL;
    }
    return WF_OK;
}
