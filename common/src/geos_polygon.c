/* geos_polygon.c — polygons from PostGIS into GEOS (see geos_polygon.h). */
#include <stdio.h>

#include <wf/geos_polygon.h>

GEOSGeometry *wf_geos_read_polygon(GEOSContextHandle_t geos, GEOSWKBReader *reader,
                                   const uint8_t *wkb, size_t wkb_len, const char *geos_error,
                                   char *errbuf, size_t errlen)
{
    GEOSGeometry *geom = GEOSWKBReader_read_r(geos, reader, wkb, wkb_len);
    if (!geom) {
        snprintf(errbuf, errlen, "undecodable WKB: %s", geos_error);
        return NULL;
    }
    int type = GEOSGeomTypeId_r(geos, geom);
    if ((type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) || GEOSisEmpty_r(geos, geom)) {
        snprintf(errbuf, errlen, "expected a polygon or multipolygon, got %s",
                 type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON ? "an empty one"
                                                                   : "another geometry type");
        GEOSGeom_destroy_r(geos, geom);
        return NULL;
    }
    if (GEOSisValid_r(geos, geom) == 1)
        return geom;
    GEOSGeometry *valid = GEOSMakeValid_r(geos, geom);
    GEOSGeom_destroy_r(geos, geom);
    if (!valid)
        snprintf(errbuf, errlen, "invalid polygon GEOS cannot repair: %s", geos_error);
    return valid;
}
