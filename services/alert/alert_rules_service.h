/* alert_rules_service.h — the rule set as wf-alert runs it: the rule file bound to the geofences
 * in PostGIS.
 *
 * Both are read together, at start and on SIGHUP, so a rule naming a geofence is checked against
 * the geofences that exist at that moment, and a reload that fails on either keeps both old ones.
 *
 * Thread: the caller's; conn must not be in use by anything else during the call.
 */
#ifndef ALERT_RULES_SERVICE_H
#define ALERT_RULES_SERVICE_H

#include <stddef.h>

#include "alert_geofences.h"
#include "alert_rules.h"

/* Reads every row of table geofences (name, polygon as WKB) into a new set. conn is a PGconn *
 * (void here so the header needs no libpq). Returns NULL with a reason in errbuf: table missing
 * (run `wf-admin migrate`), PostGIS unreachable, or a polygon GEOS cannot use (naming it). */
alert_geofences_t *alert_rules_service_geofences(void *conn, char *errbuf, size_t errlen);

/* Loads the rule file at path and binds it to the geofences read through conn. Returns NULL
 * with "path:line: reason" (rule errors, unknown geofences) or the geofence reason in errbuf. */
alert_rules_t *alert_rules_service_load(void *conn, const char *path, char *errbuf, size_t errlen);

#endif
