/* admin_csv.h — small CSV reference files (NIBRS tables, hot lists) read whole, plain or .xz.
 *
 * wf-admin's reference commands load files of at most a few hundred thousand rows, so the file
 * is decoded into memory (liblzma for names ending in .xz) and parsed with libcsv in strict
 * mode into rows of fields (a leading UTF-8 byte-order mark, as spreadsheets write, is
 * skipped). The first row is the header; columns are found by name without
 * regard to case. Every row remembers its line in the file for error messages. Pure: no
 * database.
 */
#ifndef WF_ADMIN_CSV_H
#define WF_ADMIN_CSV_H

#include <stddef.h>

typedef struct {
    char **fields; /* count fields, NUL-terminated, owned */
    size_t count;
    long line; /* line in the file where the row starts (the header is line 1) */
} admin_csv_row_t;

typedef struct {
    admin_csv_row_t header; /* column names */
    admin_csv_row_t *rows;  /* data rows in file order */
    size_t count;
    size_t cap;
} admin_csv_t;

/* Reads and parses path. NULL with a reason in errbuf: unreadable or corrupt file, malformed
 * CSV (with its line), no header. Blank lines are skipped. */
admin_csv_t *admin_csv_load(const char *path, char *errbuf, size_t errlen);

/* The same from text in memory. */
admin_csv_t *admin_csv_parse(const char *text, size_t len, char *errbuf, size_t errlen);

void admin_csv_destroy(admin_csv_t **self_p);

/* Index of the first column named name (case-insensitive), or -1. */
int admin_csv_column(const admin_csv_t *self, const char *name);

/* Field col of row, "" when the row is shorter or col is -1. */
const char *admin_csv_field(const admin_csv_row_t *row, int col);

#endif
