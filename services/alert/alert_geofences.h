/* alert_geofences.h — named polygons (geofences) and which of them contain a point.
 *
 * Geofences are imported into PostGIS by `wf-admin geofence import` (table geofences); wf-alert
 * reads them as WKB at start and on SIGHUP, adds them here and binds the rule set to the result
 * (alert_rules_bind_geofences), so rules and geofences are swapped together. Each polygon is
 * prepared once (GEOS prepared geometry); a lookup tests the bounding boxes first and asks GEOS
 * only for the few whose box holds the point. "Inside" means inside or on the edge; a point in
 * a hole is outside.
 *
 * Thread: a set belongs to one thread (its GEOS context is its own).
 */
#ifndef ALERT_GEOFENCES_H
#define ALERT_GEOFENCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct alert_geofences_t alert_geofences_t;

/* An empty set. Returns NULL when GEOS cannot be initialised or memory is short. */
alert_geofences_t *alert_geofences_new(void);

/* NULL-safe; sets *self_p to NULL. */
void alert_geofences_destroy(alert_geofences_t **self_p);

/* Adds the geofence name with a Polygon or MultiPolygon in WKB (lon/lat, EPSG:4326); an invalid
 * polygon is repaired (GEOSMakeValid). Returns 0, WF_EINVAL (empty or duplicate name, not a
 * polygon, undecodable; reason in errbuf) or WF_ENOMEM. */
int alert_geofences_add(alert_geofences_t *self, const char *name, const uint8_t *wkb,
                        size_t wkb_len, char *errbuf, size_t errlen);

/* Number of geofences, and the name of geofence i (in the order added; borrowed). */
size_t alert_geofences_count(const alert_geofences_t *self);
const char *alert_geofences_name(const alert_geofences_t *self, size_t i);

/* Sets inside[i] for every geofence i that contains (lon, lat); inside has count() slots.
 * Returns how many contain it. A predicate GEOS cannot evaluate counts as "outside" and is
 * counted (alert_geofences_failures). */
size_t alert_geofences_locate(alert_geofences_t *self, double lon, double lat, bool *inside);

/* Predicates GEOS could not evaluate since the set was made. */
uint64_t alert_geofences_failures(const alert_geofences_t *self);

#endif
