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
