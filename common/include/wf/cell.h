/* cell.h — coarse geographic cells: the partition key of every located message.
 *
 * Keying by cell keeps every event of one area in one partition (Kafka) so that the spatial
 * state of an area lives in one consumer. Cells are WF_CELL_DEGREES on a side in WGS84
 * (about 11 km × 8 km at Chicago's latitude); events without coordinates are keyed by agency.
 */
#ifndef WF_CELL_H
#define WF_CELL_H

#include <stdbool.h>
#include <stddef.h>

#define WF_CELL_DEGREES 0.1
#define WF_CELL_KEY_LEN 48

/* Writes the partition key ("cell:-879:418" or "agency:CPD") into buf and returns its length. */
size_t wf_cell_key(char *buf, size_t len, bool has_location, double lon, double lat,
                   const char *agency);

/* The keys of the other cells (at most 3: two sides and their corner) that hold points within
 * distance_m of (lon, lat), a superset measured on the sphere; distance_m must be below half a
 * cell (about 4 km). A consumer that owns such a cell needs the event as context, or pairs
 * across the border are never compared. Returns how many keys were written. */
size_t wf_cell_neighbour_keys(double lon, double lat, double distance_m,
                              char keys[3][WF_CELL_KEY_LEN], size_t lens[3]);

#endif
