/* cell.c — coarse geographic partition keys. */
#include <math.h>
#include <stdio.h>

#include <wf/cell.h>

size_t wf_cell_key(char *buf, size_t len, bool has_location, double lon, double lat,
                   const char *agency)
{
    int n;
    if (has_location && isfinite(lon) && isfinite(lat))
        n = snprintf(buf, len, "cell:%ld:%ld", (long)floor(lon / WF_CELL_DEGREES),
                     (long)floor(lat / WF_CELL_DEGREES));
    else
        n = snprintf(buf, len, "agency:%s", agency && *agency ? agency : "-");
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}

#define S_METRES_PER_DEGREE 111195.08 /* mean Earth radius 6371008.8 m, as spatial measures */

static size_t s_cell_text(char *buf, size_t len, long x, long y)
{
    int n = snprintf(buf, len, "cell:%ld:%ld", x, y);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

size_t wf_cell_neighbour_keys(double lon, double lat, double distance_m,
                              char keys[3][WF_CELL_KEY_LEN], size_t lens[3])
{
    if (!isfinite(lon) || !isfinite(lat) || !(distance_m > 0) || fabs(lat) >= 89.0)
        return 0;
    long x = (long)floor(lon / WF_CELL_DEGREES), y = (long)floor(lat / WF_CELL_DEGREES);
    /* a degree of longitude shrinks with latitude; take the wider of the cell's two edges'
     * scale so the band never falls short */
    double dlat = distance_m / S_METRES_PER_DEGREE;
    double widest = fabs(lat) + dlat < 89.5 ? fabs(lat) + dlat : 89.5;
    double dlon = dlat / cos(widest * M_PI / 180.0);
    int dx = lon - x * WF_CELL_DEGREES < dlon ? -1 : (x + 1) * WF_CELL_DEGREES - lon < dlon ? 1 : 0;
    int dy = lat - y * WF_CELL_DEGREES < dlat ? -1 : (y + 1) * WF_CELL_DEGREES - lat < dlat ? 1 : 0;
    size_t n = 0;
    if (dx)
        lens[n] = s_cell_text(keys[n], WF_CELL_KEY_LEN, x + dx, y), n++;
    if (dy)
        lens[n] = s_cell_text(keys[n], WF_CELL_KEY_LEN, x, y + dy), n++;
    if (dx && dy)
        lens[n] = s_cell_text(keys[n], WF_CELL_KEY_LEN, x + dx, y + dy), n++;
    return n;
}
