/* admin_reference.c — row checks of the NIBRS and hot-list files (see admin_reference.h).
 *
 * Every row is checked and the first few problems are reported together with the number of bad
 * rows, so one run shows an operator what to fix. Duplicates are found by sorting (file
 * sizes up to a few hundred thousand rows).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <wf/err.h>

#include "admin.h"
#include "admin_reference.h"

#define S_SHOWN 5 /* problems spelt out; the rest are counted */

typedef struct {
    char *buf;
    size_t len;
    size_t at;
    int count; /* problems found */
} s_problems_t;

static void s_problem(s_problems_t *p, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_problem(s_problems_t *p, long line, const char *fmt, ...)
{
    if (p->count++ >= S_SHOWN || !p->buf || p->at + 1 >= p->len)
        return;
    int n = snprintf(p->buf + p->at, p->len - p->at, "%sline %ld: ", p->at ? "; " : "", line);
    if (n > 0 && (size_t)n < p->len - p->at)
        p->at += (size_t)n;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(p->buf + p->at, p->len - p->at, fmt, ap);
    va_end(ap);
    if (n > 0)
        p->at = p->at + (size_t)n < p->len ? p->at + (size_t)n : p->len - 1;
}

static int s_finish(s_problems_t *p)
{
    if (p->count == 0)
        return WF_OK;
    if (p->count > S_SHOWN && p->buf && p->at + 1 < p->len)
        snprintf(p->buf + p->at, p->len - p->at, "; … %d problems in all", p->count);
    return WF_EINVAL;
}

/* Finds a required column (any of the names), or reports it. */
static int s_column(const admin_csv_t *csv, const char *const *names, s_problems_t *p)
{
    for (const char *const *n = names; *n; n++) {
        int col = admin_csv_column(csv, *n);
        if (col >= 0)
            return col;
    }
    s_problem(p, csv->header.line, "no column %s", names[0]);
    return -1;
}

static bool s_blank(const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    return *text == '\0';
}

/* Line numbers of rows sharing a key, found by sorting (key, line) pairs. */
typedef struct {
    const char *key;
    const char *key2; /* second key part, "" when none */
    long line;
} s_key_t;

static int s_cmp_key(const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (!c)
        c = strcmp(x->key2, y->key2);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void s_duplicates(s_key_t *keys, size_t n, const char *what, s_problems_t *p)
{
    if (n)
        qsort(keys, n, sizeof *keys, s_cmp_key);
    for (size_t i = 1; i < n; i++)
        if (*keys[i].key && strcmp(keys[i].key, keys[i - 1].key) == 0 &&
            strcmp(keys[i].key2, keys[i - 1].key2) == 0)
            s_problem(p, keys[i].line, "%s '%s%s%s' again (first on line %ld)", what, keys[i].key2,
                      *keys[i].key2 ? " " : "", keys[i].key, keys[i - 1].line);
}

/* ---- NIBRS ------------------------------------------------------------------------------- */

int admin_nibrs_offenses_check(const admin_csv_t *csv, admin_nibrs_offense_cols_t *cols,
                               char *errbuf, size_t errlen)
{
    s_problems_t p = {errbuf, errlen, 0, 0};
    cols->code = s_column(csv, (const char *const[]){"OFFENSE_CODE", NULL}, &p);
    cols->name = s_column(csv, (const char *const[]){"OFFENSE_NAME", NULL}, &p);
    cols->category = s_column(csv, (const char *const[]){"OFFENSE_CATEGORY_NAME", NULL}, &p);
    cols->crime_against = s_column(csv, (const char *const[]){"CRIME_AGAINST", NULL}, &p);
    cols->group = admin_csv_column(csv, "OFFENSE_GROUP");
    cols->fbi_id = admin_csv_column(csv, "OFFENSE_TYPE_ID");
    if (p.count)
        return s_finish(&p);
    s_key_t *keys = calloc(csv->count ? csv->count : 1, sizeof *keys);
    if (!keys)
        return WF_ENOMEM;
    static const char *const against[] = {"Person", "Property", "Society", "Not a Crime"};
    for (size_t i = 0; i < csv->count; i++) {
        const admin_csv_row_t *row = &csv->rows[i];
        const char *code = admin_csv_field(row, cols->code);
        const char *crime_against = admin_csv_field(row, cols->crime_against);
        const char *id = admin_csv_field(row, cols->fbi_id);
        keys[i] = (s_key_t){code, "", row->line};
        if (s_blank(code) || s_blank(admin_csv_field(row, cols->name)) ||
            s_blank(admin_csv_field(row, cols->category)))
            s_problem(&p, row->line, "code, name and category are required");
        bool known = false;
        for (size_t k = 0; k < sizeof against / sizeof against[0]; k++)
            known = known || strcmp(crime_against, against[k]) == 0;
        if (!known)
            s_problem(&p, row->line,
                      "CRIME_AGAINST '%s' is not Person, Property, Society or "
                      "Not a Crime",
                      crime_against);
        if (*id && strspn(id, "0123456789") != strlen(id))
            s_problem(&p, row->line, "OFFENSE_TYPE_ID '%s' is not a whole number", id);
    }
    s_duplicates(keys, csv->count, "NIBRS code", &p);
    free(keys);
    return s_finish(&p);
}

static bool s_offense_exists(const admin_csv_t *offenses, int col, const char *code)
{
    for (size_t i = 0; i < offenses->count; i++)
        if (strcmp(admin_csv_field(&offenses->rows[i], col), code) == 0)
            return true;
    return false;
}

int admin_nibrs_kinds_check(const admin_csv_t *kinds, const admin_csv_t *offenses,
                            const admin_nibrs_offense_cols_t *offense_cols,
                            admin_nibrs_kind_cols_t *cols, char *errbuf, size_t errlen)
{
    s_problems_t p = {errbuf, errlen, 0, 0};
    cols->kind = s_column(kinds, (const char *const[]){"kind", NULL}, &p);
    cols->nibrs_code = s_column(kinds, (const char *const[]){"nibrs_code", NULL}, &p);
    cols->notes = admin_csv_column(kinds, "notes");
    if (p.count)
        return s_finish(&p);
    s_key_t *keys = calloc(kinds->count ? kinds->count : 1, sizeof *keys);
    if (!keys)
        return WF_ENOMEM;
    for (size_t i = 0; i < kinds->count; i++) {
        const admin_csv_row_t *row = &kinds->rows[i];
        const char *kind = admin_csv_field(row, cols->kind);
        const char *code = admin_csv_field(row, cols->nibrs_code);
        keys[i] = (s_key_t){kind, "", row->line};
        if (s_blank(kind))
            s_problem(&p, row->line, "kind is required");
        if (*code && !s_offense_exists(offenses, offense_cols->code, code))
            s_problem(&p, row->line,
                      "kind '%s' maps to NIBRS code '%s', which the offense table "
                      "does not have",
                      kind, code);
    }
    s_duplicates(keys, kinds->count, "kind", &p);
    free(keys);
    return s_finish(&p);
}

int admin_nibrs_agency_check(const admin_csv_t *csv, admin_nibrs_agency_cols_t *cols, char *errbuf,
                             size_t errlen)
{
    s_problems_t p = {errbuf, errlen, 0, 0};
    cols->offense_code = s_column(csv, (const char *const[]){"offense_code", NULL}, &p);
    cols->nibrs_code = s_column(csv, (const char *const[]){"nibrs_code", NULL}, &p);
    cols->notes = admin_csv_column(csv, "notes");
    if (p.count)
        return s_finish(&p);
    s_key_t *keys = calloc(csv->count ? csv->count : 1, sizeof *keys);
    if (!keys)
        return WF_ENOMEM;
    for (size_t i = 0; i < csv->count; i++) {
        const admin_csv_row_t *row = &csv->rows[i];
        keys[i] = (s_key_t){admin_csv_field(row, cols->offense_code), "", row->line};
        if (s_blank(keys[i].key) || s_blank(admin_csv_field(row, cols->nibrs_code)))
            s_problem(&p, row->line, "offense_code and nibrs_code are required");
    }
    s_duplicates(keys, csv->count, "offense code", &p);
    free(keys);
    return s_finish(&p);
}

/* ---- hot lists --------------------------------------------------------------------------- */

static bool s_digits(const char *text, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)text[i]))
            return false;
    return true;
}

bool admin_time_is_valid(const char *text)
{
    char date[11];
    if (!text || strlen(text) < 10)
        return false;
    memcpy(date, text, 10);
    date[10] = '\0';
    if (!admin_date_is_valid(date))
        return false;
    const char *p = text + 10;
    if (*p == '\0')
        return true;
    if ((*p != 'T' && *p != ' ') || !s_digits(p + 1, 2) || p[3] != ':' || !s_digits(p + 4, 2))
        return false;
    if (atoi(p + 1) > 23 || atoi(p + 4) > 59)
        return false;
    p += 6;
    if (*p == ':') {
        if (!s_digits(p + 1, 2) || atoi(p + 1) > 60)
            return false;
        p += 3;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    if (*p == 'Z')
        return p[1] == '\0';
    if (*p == '+' || *p == '-') {
        if (!s_digits(p + 1, 2))
            return false;
        p += 3;
        if (*p == ':')
            p++;
        return *p == '\0' || (s_digits(p, 2) && p[2] == '\0');
    }
    return *p == '\0';
}

typedef struct {
    int value, type, entry_id, agency, reason, expires_at, added_at;
} s_hotlist_cols_t;

static int s_hotlist_columns(const admin_csv_t *csv, s_hotlist_cols_t *cols, s_problems_t *p)
{
    static const char *const known[] = {"value",  "entry_type", "type",       "entry_id",
                                        "agency", "reason",     "expires_at", "added_at"};
    for (size_t i = 0; i < csv->header.count; i++) {
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok = ok || strcasecmp(csv->header.fields[i], known[k]) == 0;
        if (!ok)
            s_problem(p, csv->header.line,
                      "unknown column '%s' (value, entry_type, entry_id, agency, reason, "
                      "expires_at, added_at)",
                      csv->header.fields[i]);
    }
    cols->value = s_column(csv, (const char *const[]){"value", NULL}, p);
    cols->type = admin_csv_column(csv, "entry_type");
    if (cols->type < 0)
        cols->type = admin_csv_column(csv, "type");
    cols->entry_id = admin_csv_column(csv, "entry_id");
    cols->agency = admin_csv_column(csv, "agency");
    cols->reason = admin_csv_column(csv, "reason");
    cols->expires_at = admin_csv_column(csv, "expires_at");
    cols->added_at = admin_csv_column(csv, "added_at");
    return p->count ? WF_EINVAL : WF_OK;
}

static const char *s_or_null(const char *text)
{
    return s_blank(text) ? NULL : text;
}

/* Fills one entry from row; reports what is wrong with it. */
static void s_hotlist_row(const admin_csv_row_t *row, const s_hotlist_cols_t *cols,
                          const char *default_type, admin_hotlist_entry_t *e, s_problems_t *p)
{
    const char *type = admin_csv_field(row, cols->type);
    e->entry_type = s_blank(type) ? default_type : type;
    e->value = admin_csv_field(row, cols->value);
    e->entry_id = s_or_null(admin_csv_field(row, cols->entry_id));
    e->agency = s_or_null(admin_csv_field(row, cols->agency));
    e->reason = s_or_null(admin_csv_field(row, cols->reason));
    e->expires_at = s_or_null(admin_csv_field(row, cols->expires_at));
    e->added_at = s_or_null(admin_csv_field(row, cols->added_at));
    e->line = row->line;
    bool plate = strcmp(e->entry_type, "plate") == 0;
    if (!plate && strcmp(e->entry_type, "person") != 0) {
        s_problem(p, row->line, "entry type '%s' is not plate or person", e->entry_type);
        return;
    }
    size_t n = plate ? wf_hotlist_normalize_plate(e->value, e->value_norm, sizeof e->value_norm)
                     : wf_hotlist_normalize_person(e->value, e->value_norm, sizeof e->value_norm);
    if (n == 0)
        s_problem(p, row->line, "value '%.80s' has no letter or digit, or is longer than %d",
                  e->value, WF_HOTLIST_VALUE_MAX);
    if (e->expires_at && !admin_time_is_valid(e->expires_at))
        s_problem(p, row->line, "expires_at '%.40s' is not YYYY-MM-DD[Thh:mm[:ss]][zone]",
                  e->expires_at);
    if (e->added_at && !admin_time_is_valid(e->added_at))
        s_problem(p, row->line, "added_at '%.40s' is not YYYY-MM-DD[Thh:mm[:ss]][zone]",
                  e->added_at);
}

int admin_hotlist_entries(const admin_csv_t *csv, const char *default_type,
                          admin_hotlist_entry_t **entries_p, size_t *count, char *errbuf,
                          size_t errlen)
{
    s_problems_t p = {errbuf, errlen, 0, 0};
    s_hotlist_cols_t cols;
    *entries_p = NULL;
    *count = 0;
    if (s_hotlist_columns(csv, &cols, &p) != WF_OK)
        return s_finish(&p);
    size_t n = csv->count;
    admin_hotlist_entry_t *entries = calloc(n ? n : 1, sizeof *entries);
    s_key_t *keys = calloc(n ? n : 1, sizeof *keys);
    if (!entries || !keys) {
        free(entries);
        free(keys);
        return WF_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        s_hotlist_row(&csv->rows[i], &cols, default_type, &entries[i], &p);
        keys[i] = (s_key_t){entries[i].value_norm, entries[i].entry_type, entries[i].line};
    }
    s_duplicates(keys, n, "entry", &p);
    free(keys);
    int rc = s_finish(&p);
    if (rc != WF_OK) {
        free(entries);
        return rc;
    }
    *entries_p = entries;
    *count = n;
    return WF_OK;
}
