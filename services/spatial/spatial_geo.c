/* spatial_geo.c — haversine distance and the metric grid shared by detector and hotspot ids.
 *
 * Everything here is a pure function of its arguments: the same point and cell size give the
 * same cell in every process and after every restart, which is what lets alert throttle on the
 * cell id and lets a Kafka consumer that takes over a partition rebuild identical state.
 */
#include <math.h>
#include <stdio.h>

#include "spatial_geo.h"

#define S_RAD       (3.14159265358979323846 / 180.0)
#define S_MIN_COS   1e-3 /* keeps polar columns finite (≈ 111 m per degree of longitude) */
#define S_POLAR_LAT 89.9 /* beyond this a search radius may wrap the pole: search whole rows */

bool spatial_geo_is_valid(double lon, double lat)
{
    return isfinite(lon) && isfinite(lat) && lon >= -180.0 && lon <= 180.0 && lat >= -90.0 &&
           lat <= 90.0;
}

double spatial_geo_distance_m(double lon1, double lat1, double lon2, double lat2)
{
    double phi1 = lat1 * S_RAD;
    double phi2 = lat2 * S_RAD;
    double dphi = sin((phi2 - phi1) / 2.0);
    double dlam = sin((lon2 - lon1) * S_RAD / 2.0);
    double a = dphi * dphi + cos(phi1) * cos(phi2) * dlam * dlam;
    if (a > 1.0)
        a = 1.0; /* rounding near antipodes */
    return 2.0 * SPATIAL_GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

int32_t spatial_geo_row(double lat, double size_m)
{
    return (int32_t)floor(lat * SPATIAL_GEO_M_PER_DEG / size_m);
}

double spatial_geo_row_scale(int32_t row, double size_m)
{
    double centre = ((double)row + 0.5) * size_m / SPATIAL_GEO_M_PER_DEG;
    double c = cos(centre * S_RAD);
    if (!(c > S_MIN_COS))
        c = S_MIN_COS; /* the polar rows, and centres past ±90° */
    return SPATIAL_GEO_M_PER_DEG * c;
}

int32_t spatial_geo_col(double lon, int32_t row, double size_m)
{
    /* Same expression as the grid search (spatial_window.c), so both round alike. */
    return (int32_t)floor(lon * (spatial_geo_row_scale(row, size_m) / size_m));
}

double spatial_geo_max_dlon(double lat, double distance_m)
{
    double d = distance_m / SPATIAL_GEO_EARTH_RADIUS_M; /* angular radius */
    double phi_max = fabs(lat) + d / S_RAD;
    if (d >= 3.14159265358979323846 / 2.0 || phi_max >= S_POLAR_LAT)
        return 180.0;
    /* On a sphere the cap of radius d around latitude phi spans asin(sin d / cos phi) of
     * longitude; using the cap's largest |latitude| over-estimates it, which is the safe side. */
    double s = sin(d) / cos(phi_max * S_RAD);
    if (s >= 1.0)
        return 180.0;
    return asin(s) / S_RAD * (1.0 + 1e-9) + 1e-9;
}

size_t spatial_geo_cell_id(char *buf, size_t len, double lon, double lat, double size_m)
{
    int32_t row = spatial_geo_row(lat, size_m);
    int n = snprintf(buf, len, "%gm:%ld:%ld", size_m, (long)row,
                     (long)spatial_geo_col(lon, row, size_m));
    if (n < 0 || len == 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}
