/* admin_reference.h — checking the NIBRS reference files and hot-list files before loading.
 *
 * `wf-admin nibrs load`, `nibrs agency-codes` and `hotlist import` read a CSV file (admin_csv),
 * check every row here and only then touch the database, so a bad file changes nothing and
 * the error names its lines. Pure: no database.
 */
#ifndef WF_ADMIN_REFERENCE_H
#define WF_ADMIN_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include <wf/hotlist.h>

#include "admin_csv.h"

/* Columns of the FBI NIBRS_OFFENSE_TYPE table (data/reference/nibrs_offense_type.csv.xz). */
typedef struct {
    int code;          /* OFFENSE_CODE */
    int name;          /* OFFENSE_NAME */
    int category;      /* OFFENSE_CATEGORY_NAME */
    int crime_against; /* CRIME_AGAINST */
    int group;         /* OFFENSE_GROUP, -1 when absent */
    int fbi_id;        /* OFFENSE_TYPE_ID, -1 when absent */
} admin_nibrs_offense_cols_t;

/* Finds the columns and checks every row: code, name, category present; crime against one of
 * Person, Property, Society, Not a Crime; codes unique; the id a whole number. Returns 0 or
 * WF_EINVAL naming the lines. */
int admin_nibrs_offenses_check(const admin_csv_t *csv, admin_nibrs_offense_cols_t *cols,
                               char *errbuf, size_t errlen);

/* Columns of the kind crosswalk (data/reference/watchfloor_kind_nibrs.csv). */
typedef struct {
    int kind;       /* kind */
    int nibrs_code; /* nibrs_code, "" = no NIBRS equivalent */
    int notes;      /* notes, -1 when absent */
} admin_nibrs_kind_cols_t;

/* Checks the crosswalk against the offense table: kinds present and unique, every non-empty
 * code in the offense table. Returns 0 or WF_EINVAL naming the lines. */
int admin_nibrs_kinds_check(const admin_csv_t *kinds, const admin_csv_t *offenses,
                            const admin_nibrs_offense_cols_t *offense_cols,
                            admin_nibrs_kind_cols_t *cols, char *errbuf, size_t errlen);

/* Columns of an agency's code table: offense_code, nibrs_code, notes (optional). */
typedef struct {
    int offense_code;
    int nibrs_code;
    int notes; /* -1 when absent */
} admin_nibrs_agency_cols_t;

/* Checks an agency code table: both codes present, offense codes unique. Whether the NIBRS
 * codes exist is the database's to say (the offense table is there). Returns 0 or WF_EINVAL. */
int admin_nibrs_agency_check(const admin_csv_t *csv, admin_nibrs_agency_cols_t *cols, char *errbuf,
                             size_t errlen);

/* One hot-list entry as read from a file; strings borrow from the CSV. */
typedef struct {
    const char *entry_type;                    /* "plate" | "person" */
    const char *value;                         /* as written */
    char value_norm[WF_HOTLIST_VALUE_MAX + 1]; /* wf_hotlist_normalize_* of value */
    const char *entry_id;                      /* NULL when empty */
    const char *agency;                        /* NULL when empty */
    const char *reason;                        /* NULL when empty */
    const char *expires_at;                    /* NULL when empty; checked time text */
    const char *added_at;                      /* NULL when empty */
    long line;                                 /* in the file */
} admin_hotlist_entry_t;

/* Reads the entries of a hot-list file. Columns (header names, any case): value (required),
 * entry_type or type (plate|person; default_type when the column is absent or the cell empty),
 * entry_id, agency, reason, expires_at, added_at; any other column is an error (a misspelt name
 * must not drop a field). Values that normalise to nothing, unknown types, times that are not
 * YYYY-MM-DD[(T| )hh:mm[:ss[.f]]][Z|±hh[:mm]] and two rows with the same type and normalised
 * value are errors naming the lines. *entries_p (owned, free()) has *count entries. Returns 0,
 * WF_EINVAL or WF_ENOMEM. */
int admin_hotlist_entries(const admin_csv_t *csv, const char *default_type,
                          admin_hotlist_entry_t **entries_p, size_t *count, char *errbuf,
                          size_t errlen);

/* True when text is a date, or a date and time, in the form above. */
bool admin_time_is_valid(const char *text);

#endif
