/* fuzz_admin_hotlist.c — fuzz target: a reference CSV file as wf-admin reads it (libcsv in
 * strict mode, then the hot-list row checks with the shared plate/name normalisers, and the
 * NIBRS table checks). Whatever the bytes, the result is rows or a reason, never a crash.
 * Seeds: corpus/admin_hotlist/. */
#include <stdint.h>
#include <stdlib.h>

#include "admin_csv.h"
#include "admin_reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    admin_csv_t *csv = admin_csv_parse((const char *)data, size, err, sizeof err);
    if (!csv)
        return 0;
    admin_hotlist_entry_t *entries = NULL;
    size_t count = 0;
    if (admin_hotlist_entries(csv, "plate", &entries, &count, err, sizeof err) == 0)
        free(entries);
    admin_nibrs_offense_cols_t offense_cols;
    if (admin_nibrs_offenses_check(csv, &offense_cols, err, sizeof err) == 0) {
        admin_nibrs_kind_cols_t kind_cols;
        admin_nibrs_kinds_check(csv, csv, &offense_cols, &kind_cols, err, sizeof err);
    }
    admin_nibrs_agency_cols_t agency_cols;
    admin_nibrs_agency_check(csv, &agency_cols, err, sizeof err);
    admin_csv_destroy(&csv);
    return 0;
}
