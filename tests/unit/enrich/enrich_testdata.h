/* enrich_testdata.h — loading the real Chicago fixtures for enrich's unit tests.
 *
 * The tests read real boundary polygons (GeoJSON, converted to WKB as PostGIS would hand them
 * over) and real incident rows. Large files come from the repository's data/chicago (xz) or
 * /work/shared/data/chicago; small fixtures that must always exist live in tests/data/enrich_*.
 */
#ifndef ENRICH_TESTDATA_H
#define ENRICH_TESTDATA_H

#include <stdbool.h>
#include <stddef.h>

#include "enrich_areas.h"

/* Reads a whole file, decompressing it when the name ends in ".xz". Returns a NUL-terminated
 * buffer the caller frees, or NULL. */
char *enrich_testdata_read(const char *path, size_t *len);

/* Finds a Chicago data file by its plain name ("boundaries/police_beats.geojson"): $WF_CHICAGO_DIR,
 * then <source>/data/chicago/<name>.xz, then /work/shared/data/chicago/<name>. Writes the path
 * into buf and returns true, or false when none exists. */
bool enrich_testdata_find(const char *name, char *buf, size_t len);

/* Adds every feature of a GeoJSON FeatureCollection to layer, with the code from property
 * code_prop and the parent from parent_prop (may be NULL). pad_code > 0 left-pads codes with zeros
 * to that width, as wf-admin load-boundaries stores them. Returns the number of features added,
 * or -1 (with a cmocka-visible message on stderr) on any failure. */
int enrich_testdata_load_geojson(enrich_areas_t *areas, enrich_layer_t layer, const char *path,
                                 const char *code_prop, const char *parent_prop, int pad_code);

/* Adds a polygon given as WKT (synthetic shapes for the edge cases real data lacks). Returns
 * what enrich_areas_add returns, or -1 when the WKT itself is unreadable. */
int enrich_testdata_add_wkt(enrich_areas_t *areas, enrich_layer_t layer, const char *code,
                            const char *parent_code, const char *wkt);

/* Metres from (lon, lat) to the nearest feature of a GeoJSON file (plain or .xz), measured by
 * GEOS after PROJ projects everything to UTM zone 16N: an independent reference for the
 * distances enrich_areas computes itself. Returns -1 on failure. */
double enrich_testdata_utm_distance(const char *geojson_path, double lon, double lat);

/* Calls row_fn for every row of a CSV file (plain or .xz), the header being row 0. fields are
 * NUL-terminated and borrowed for the call. Returns the number of rows, or -1. */
typedef void (*enrich_testdata_row_fn)(void *user, size_t row, const char *const *fields,
                                       size_t count);
long enrich_testdata_csv(const char *path, enrich_testdata_row_fn row_fn, void *user);

#endif
