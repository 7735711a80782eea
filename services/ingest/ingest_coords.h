/* ingest_coords.h — source coordinates → WGS84 longitude/latitude, checked against the
 * jurisdiction.
 *
 * Sources give coordinates in their own CRS (Chicago's X/Y are Illinois State Plane East, US
 * feet, EPSG:3435). A converter is built from the profile's location: section with PROJ
 * (proj_create_crs_to_crs + proj_normalize_for_visualization, so x is always easting/longitude
 * and y northing/latitude whatever the CRS's official axis order) and applied to the x/y text
 * of each record. Rules:
 *  - both empty (or both zero when zero_is_missing): no location — the record is still accepted;
 *  - one empty, non-numeric, NaN/inf, or not transformable: reject bad_coordinates;
 *  - outside the jurisdiction's bounding box (config jurisdiction.bbox): reject
 *    outside_jurisdiction.
 *
 * Thread: a converter owns its PROJ context; use it from one thread.
 */
#ifndef INGEST_COORDS_H
#define INGEST_COORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest_record.h"

typedef struct ingest_coords_t ingest_coords_t;

/* A converter from crs (anything PROJ accepts, e.g. EPSG:3435) to EPSG:4326. bbox is
 * {minlon, minlat, maxlon, maxlat} or NULL for no jurisdiction check. Returns NULL and PROJ's
 * reason in errbuf when the CRS is unknown. */
ingest_coords_t *ingest_coords_new(const char *crs, const double *bbox, bool zero_is_missing,
                                   char *errbuf, size_t errlen);

/* NULL-safe; sets *self_p to NULL. */
void ingest_coords_destroy(ingest_coords_t **self_p);

/* Converts the x/y text of one record. Returns 0 with *has_location false (no coordinates) or
 * true and *lon, *lat set; or WF_EPARSE / WF_ERANGE with reject filled. */
int ingest_coords_convert(ingest_coords_t *self, const char *x, const char *y, bool *has_location,
                          double *lon, double *lat, ingest_reject_t *reject);

/* Parses the config list jurisdiction.bbox ("minlon,minlat,maxlon,maxlat") into bbox.
 * Returns 0 or WF_EINVAL with a reason in errbuf. */
int ingest_coords_parse_bbox(const char *const *items, size_t count, double bbox[4], char *errbuf,
                             size_t errlen);

#endif
