/* spatial_geo.h — distances and metric grid cells on the WGS84 sphere.
 *
 * Near-repeat detection needs two things from geometry: the great-circle distance between two
 * events (haversine on the mean Earth radius; within 0.5 % of the ellipsoid, far below the
 * block-level shift the sources apply) and a grid of square-ish cells of a given side in metres,
 * used both as the spatial hash of the detector and as the hotspot identity that alert throttles
 * on. Rows are bands of equal latitude height; each row is cut into columns of equal width at
 * the row's centre latitude (a local equirectangular projection per row), so cells are close to
 * size × size metres everywhere and the cell of a point depends on nothing but the point and the
 * size.
 */
#ifndef SPATIAL_GEO_H
#define SPATIAL_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPATIAL_GEO_EARTH_RADIUS_M 6371008.8 /* IUGG mean radius */
#define SPATIAL_GEO_CELL_ID_LEN    48

/* Metres per degree of latitude on the sphere. */
#define SPATIAL_GEO_M_PER_DEG (SPATIAL_GEO_EARTH_RADIUS_M * 3.14159265358979323846 / 180.0)

/* True when lon/lat are finite WGS84 degrees (lon in [-180, 180], lat in [-90, 90]). */
bool spatial_geo_is_valid(double lon, double lat);

/* Great-circle (haversine) distance in metres between two valid points. */
double spatial_geo_distance_m(double lon1, double lat1, double lon2, double lat2);

/* Grid row of latitude lat for cells of side size_m (> 0). */
int32_t spatial_geo_row(double lat, double size_m);

/* Metres per degree of longitude used for the columns of row (at its centre latitude, clamped
 * near the poles so that it stays positive). */
double spatial_geo_row_scale(int32_t row, double size_m);

/* Grid column of longitude lon in row. */
int32_t spatial_geo_col(double lon, int32_t row, double size_m);

/* The largest longitude difference, in degrees, between a point at latitude lat and any point
 * within distance_m of it (conservative; 180 near the poles). */
double spatial_geo_max_dlon(double lat, double distance_m);

/* Writes the hotspot identity of the point, "<size>m:<row>:<col>" (e.g. "400m:11612:-2718"),
 * into buf (SPATIAL_GEO_CELL_ID_LEN bytes are always enough) and returns its length. The size
 * is part of the id so that cells of different configurations never compare equal. */
size_t spatial_geo_cell_id(char *buf, size_t len, double lon, double lat, double size_m);

#endif
