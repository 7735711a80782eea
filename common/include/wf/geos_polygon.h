/* geos_polygon.h — reading the polygons Watchfloor keeps in PostGIS (boundaries, geofences)
 * into GEOS, the same way in every service: checked, and repaired when invalid. */
#ifndef WF_GEOS_POLYGON_H
#define WF_GEOS_POLYGON_H
#include <stddef.h>
#include <stdint.h>

#include <geos_c.h>

/* Decodes a WKB polygon or multipolygon; repairs it with GEOSMakeValid when GEOS finds it
 * invalid. geos_error is the caller's buffer that its GEOS error handler fills (read after
 * the failing call). Returns the geometry (the caller destroys it) or NULL with the reason in
 * errbuf: undecodable, not a (non-empty) polygon, or beyond repair. */
GEOSGeometry *wf_geos_read_polygon(GEOSContextHandle_t geos, GEOSWKBReader *reader,
                                   const uint8_t *wkb, size_t wkb_len, const char *geos_error,
                                   char *errbuf, size_t errlen);

#endif
