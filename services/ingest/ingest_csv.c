/* ingest_csv.c — libcsv splitting, header binding and row building.
 *
 * Field bytes of the current record are collected into one reusable buffer (no allocation per
 * record in the steady state); only what the row keeps is copied into the caller's arena. The
 * binding of a file (column of each mapped field, attribute name of each other column) lives
 * in the parser's own arena and is rebuilt by every header.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include <wf/err.h>

#include "ingest_csv.h"

#define S_CSV_OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

/* Quote state at the end of a line, for framing. */
enum { S_FIELD_START, S_UNQUOTED, S_QUOTED, S_QUOTE_IN_QUOTED };

struct ingest_csv_t {
    const ingest_profile_t *profile; /* borrowed */
    struct csv_parser parser;        /* libcsv state */
    bool parser_ok;                  /* parser initialised and not in an error state */
    char *data;                      /* bytes of the current record's fields, NUL-separated */
    size_t data_len, data_cap;       /* bytes used, allocated */
    size_t *offsets;                 /* start of each field in data */
    size_t field_count, field_cap;   /* fields of the record, offsets allocated */
    size_t rows;                     /* rows libcsv ended in the current record */
    bool oom;                        /* a field could not be stored */
    int quote_state;                 /* S_* at the end of the last framed line */
    bool header_done;                /* the current file's header was read */
    bool bound;                      /* columns of the current file are known */
    size_t columns;                  /* fields every record of the file must have */
    int *cols[INGEST_FIELD_COUNT];   /* column of each reference of each field (0-based) */
    const char **names;              /* header names (columns of them), NULL without header */
    const char **attr_names;         /* attribute name per column, NULL if mapped/ignored */
    char bind_error[320];            /* why the header does not fit, "" when it does */
    ingest_arena_t *bind_arena;      /* owns cols, names, attr_names */
};

static void s_on_field(void *text, size_t len, void *user)
{
    ingest_csv_t *self = user;
    if (self->field_count == self->field_cap) {
        size_t cap = self->field_cap ? self->field_cap * 2 : 32;
        size_t *grown = realloc(self->offsets, cap * sizeof *grown);
        if (!grown) {
            self->oom = true;
            return;
        }
        self->offsets = grown;
        self->field_cap = cap;
    }
    if (self->data_cap - self->data_len < len + 1) {
        size_t cap = (self->data_len + len + 1) * 2;
        char *grown = realloc(self->data, cap);
        if (!grown) {
            self->oom = true;
            return;
        }
        self->data = grown;
        self->data_cap = cap;
    }
    self->offsets[self->field_count++] = self->data_len;
    if (len)
        memcpy(self->data + self->data_len, text, len);
    self->data_len += len;
    self->data[self->data_len++] = '\0';
}

static void s_on_row(int terminator, void *user)
{
    (void)terminator;
    ((ingest_csv_t *)user)->rows++;
}

static bool s_parser_init(ingest_csv_t *self)
{
    if (csv_init(&self->parser, S_CSV_OPTIONS) != 0)
        return false;
    csv_set_delim(&self->parser, (unsigned char)self->profile->delimiter);
    self->parser_ok = true;
    return true;
}

ingest_csv_t *ingest_csv_new(const ingest_profile_t *profile)
{
    ingest_csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->profile = profile;
    if (!(self->bind_arena = ingest_arena_new(8 * 1024)) || !s_parser_init(self)) {
        ingest_csv_destroy(&self);
        return NULL;
    }
    ingest_csv_reset(self);
    return self;
}

void ingest_csv_destroy(ingest_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_csv_t *self = *self_p;
    if (self->parser_ok)
        csv_free(&self->parser);
    free(self->data);
    free(self->offsets);
    ingest_arena_destroy(&self->bind_arena);
    free(self);
    *self_p = NULL;
}

void ingest_csv_reset(ingest_csv_t *self)
{
    self->header_done = !self->profile->header;
    self->bound = false;
    self->columns = 0;
    self->names = self->attr_names = NULL;
    self->bind_error[0] = '\0';
    ingest_arena_reset(self->bind_arena);
}

bool ingest_csv_needs_header(const ingest_csv_t *self)
{
    return !self->header_done;
}

size_t ingest_csv_column_count(const ingest_csv_t *self)
{
    return self->bound ? self->columns : 0;
}

bool ingest_csv_line_complete(void *user, const char *line, size_t len, bool first)
{
    ingest_csv_t *self = user;
    char delim = self->profile->delimiter;
    int state = first ? S_FIELD_START : self->quote_state;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        switch (state) {
        case S_FIELD_START:
            if (c == '"')
                state = S_QUOTED;
            else if (c != delim && c != ' ' && c != '\t') /* libcsv skips blanks before '"' */
                state = S_UNQUOTED;
            break;
        case S_UNQUOTED:
            if (c == delim)
                state = S_FIELD_START;
            break;
        case S_QUOTED:
            if (c == '"')
                state = S_QUOTE_IN_QUOTED;
            break;
        default: /* S_QUOTE_IN_QUOTED: "" is an escaped quote, anything else closed the field */
            if (c == '"')
                state = S_QUOTED;
            else if (c == delim)
                state = S_FIELD_START;
            else if (c != ' ' && c != '\t')
                state = S_UNQUOTED;
            break;
        }
    }
    self->quote_state = state;
    return state != S_QUOTED;
}

/* Splits raw into fields; 0, or WF_EPARSE with bad_quoting / WF_ENOMEM. */
static int s_split(ingest_csv_t *self, const char *raw, size_t len, ingest_reject_t *reject)
{
    if (!self->parser_ok && !s_parser_init(self))
        return WF_ENOMEM;
    self->data_len = self->field_count = self->rows = 0;
    self->oom = false;
    size_t used = csv_parse(&self->parser, raw, len, s_on_field, s_on_row, self);
    int error = used < len ? csv_error(&self->parser) : 0;
    if (!error && csv_fini(&self->parser, s_on_field, s_on_row, self) != 0)
        error = CSV_EPARSE;
    if (error) {
        /* libcsv keeps its error state: start a fresh parser for the next record */
        csv_free(&self->parser);
        self->parser_ok = false;
        if (error != CSV_EPARSE)
            return WF_ENOMEM;
        ingest_reject_set(reject, INGEST_R_BAD_QUOTING, NULL,
                          used < len ? "malformed quoting at byte %zu of the record"
                                     : "quoted field not closed at the end of the record (byte "
                                       "%zu)",
                          used < len ? used + 1 : len);
        return WF_EPARSE;
    }
    if (self->oom)
        return WF_ENOMEM;
    if (self->rows > 1) {
        ingest_reject_set(reject, INGEST_R_BAD_QUOTING, NULL,
                          "unquoted carriage return splits the record into %zu rows", self->rows);
        return WF_EPARSE;
    }
    return WF_OK;
}

static const char *s_field(const ingest_csv_t *self, size_t i)
{
    return self->data + self->offsets[i];
}

/* Length of field i (fields are NUL-separated and may not contain NUL after the UTF-8 check). */
static size_t s_field_len(const ingest_csv_t *self, size_t i)
{
    size_t end = i + 1 < self->field_count ? self->offsets[i + 1] - 1 : self->data_len - 1;
    return end - self->offsets[i];
}

/* Name of column i for messages: its header name, or "#N". */
static void s_column_label(const ingest_csv_t *self, size_t i, char *out, size_t len)
{
    if (self->names && i < self->columns && self->names[i][0])
        snprintf(out, len, "%s", self->names[i]);
    else
        snprintf(out, len, "#%zu", i + 1);
}

static int s_check_utf8(ingest_csv_t *self, ingest_reject_t *reject)
{
    for (size_t i = 0; i < self->field_count; i++) {
        size_t len = s_field_len(self, i);
        size_t valid = ingest_utf8_valid_prefix(s_field(self, i), len);
        if (valid < len) {
            char label[64];
            s_column_label(self, i, label, sizeof label);
            ingest_reject_set(reject, INGEST_R_INVALID_UTF8, label,
                              "column %zu (%s): invalid UTF-8 at byte %zu of the value", i + 1,
                              label, valid + 1);
            return WF_EPARSE;
        }
    }
    return WF_OK;
}

/* Records why the header does not fit the profile; returns WF_EPARSE. */
static int s_bind_fail(ingest_csv_t *self, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_bind_fail(ingest_csv_t *self, int line, const char *fmt, ...)
{
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(self->bind_error, sizeof self->bind_error, "%s:%d: %s", self->profile->path, line,
             reason);
    return WF_EPARSE;
}

/* Column of ref in the current file; -1 (not an error) when a name is absent and optional. */
static int s_resolve(ingest_csv_t *self, const ingest_colref_t *ref, bool optional, int *col)
{
    *col = -1;
    if (!ref->name) {
        if ((size_t)ref->position > self->columns)
            return s_bind_fail(self, ref->line, "column #%d does not exist (the file has %zu)",
                               ref->position, self->columns);
        *col = ref->position - 1;
        return WF_OK;
    }
    int matches = 0;
    for (size_t i = 0; i < self->columns; i++) {
        if (strcmp(self->names[i], ref->name) != 0)
            continue;
        matches++;
        if ((ref->occurrence == 0 && matches == 1) || ref->occurrence == matches ||
            ref->occurrence == -1)
            *col = (int)i;
    }
    if (matches == 0 && optional)
        return WF_OK;
    if (matches == 0)
        return s_bind_fail(self, ref->line, "no column named '%s' in the header", ref->name);
    if (ref->occurrence == 0 && matches > 1)
        return s_bind_fail(self, ref->line, "%d columns are named '%s': write %s#1 … %s#-1",
                           matches, ref->name, ref->name, ref->name);
    if (*col < 0)
        return s_bind_fail(self, ref->line, "'%s#%d': only %d columns are named '%s'", ref->name,
                           ref->occurrence, matches, ref->name);
    return WF_OK;
}

/* Attribute names of the columns nothing maps (see ingest_csv.h). */
static int s_name_attributes(ingest_csv_t *self, const bool *taken)
{
    self->attr_names = ingest_arena_alloc(self->bind_arena, self->columns * sizeof(char *));
    if (!self->attr_names)
        return WF_ENOMEM;
    for (size_t i = 0; i < self->columns; i++) {
        if (taken[i])
            continue;
        const char *name = self->names ? self->names[i] : "";
        int seen = 1;
        for (size_t j = 0; j < i && *name; j++)
            seen += strcmp(self->names[j], name) == 0;
        if (!*name)
            self->attr_names[i] = ingest_arena_printf(self->bind_arena, "column_%zu", i + 1);
        else if (seen > 1)
            self->attr_names[i] = ingest_arena_printf(self->bind_arena, "%s#%d", name, seen);
        else
            self->attr_names[i] = name;
        if (!self->attr_names[i])
            return WF_ENOMEM;
    }
    return WF_OK;
}

/* Binds the profile to the fields just split (header names, or a headerless first record). */
static int s_bind(ingest_csv_t *self)
{
    const ingest_profile_t *profile = self->profile;
    ingest_arena_reset(self->bind_arena);
    self->columns = self->field_count;
    self->names = NULL;
    bool *taken = ingest_arena_alloc(self->bind_arena, self->columns + 1);
    if (!taken)
        return WF_ENOMEM;
    if (profile->header) {
        if (!(self->names = ingest_arena_alloc(self->bind_arena, self->columns * sizeof(char *))))
            return WF_ENOMEM;
        for (size_t i = 0; i < self->columns; i++)
            if (!(self->names[i] = ingest_arena_strdup(self->bind_arena, s_field(self, i))))
                return WF_ENOMEM;
    }
    int rc, col;
    for (int f = 0; f < INGEST_FIELD_COUNT; f++) {
        const ingest_fieldmap_t *fm = &profile->fields[f];
        self->cols[f] = ingest_arena_alloc(self->bind_arena, (fm->count + 1) * sizeof(int));
        if (!self->cols[f])
            return WF_ENOMEM;
        for (size_t r = 0; r < fm->count; r++) {
            if ((rc = s_resolve(self, &fm->refs[r], false, &col)))
                return rc;
            self->cols[f][r] = col;
            taken[col] = true;
        }
    }
    for (size_t r = 0; r < profile->ignore_count; r++) {
        if ((rc = s_resolve(self, &profile->ignore[r], true, &col)))
            return rc;
        if (col >= 0)
            taken[col] = true;
    }
    if ((rc = s_name_attributes(self, taken)))
        return rc;
    self->bound = true;
    return WF_OK;
}

/* Text of a field: its one column, or its columns' non-empty values joined with " / ". */
static const char *s_join(ingest_csv_t *self, int field, ingest_arena_t *arena)
{
    size_t count = self->profile->fields[field].count, need = 1;
    if (count == 1) {
        int col = self->cols[field][0];
        return ingest_arena_strndup(arena, s_field(self, (size_t)col),
                                    s_field_len(self, (size_t)col));
    }
    for (size_t r = 0; r < count; r++)
        need += s_field_len(self, (size_t)self->cols[field][r]) + 3;
    char *out = ingest_arena_alloc(arena, need);
    if (!out)
        return NULL;
    size_t at = 0;
    for (size_t r = 0; r < count; r++) {
        size_t col = (size_t)self->cols[field][r], len = s_field_len(self, col);
        if (!len)
            continue;
        if (at) {
            memcpy(out + at, " / ", 3);
            at += 3;
        }
        memcpy(out + at, s_field(self, col), len);
        at += len;
    }
    out[at] = '\0';
    return out;
}

static int s_build_row(ingest_csv_t *self, ingest_arena_t *arena, ingest_row_t *row)
{
    for (int f = 0; f < INGEST_FIELD_COUNT; f++) {
        if (self->profile->fields[f].count && !(row->value[f] = s_join(self, f, arena)))
            return WF_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < self->columns; i++)
        n += self->attr_names[i] && s_field_len(self, i) > 0;
    if (!n)
        return WF_OK;
    Wf__Attribute **list = ingest_arena_alloc(arena, n * sizeof *list);
    Wf__Attribute *attrs = ingest_arena_alloc(arena, n * sizeof *attrs);
    if (!list || !attrs)
        return WF_ENOMEM;
    for (size_t i = 0, k = 0; i < self->columns; i++) {
        if (!self->attr_names[i] || s_field_len(self, i) == 0)
            continue;
        wf__attribute__init(&attrs[k]);
        attrs[k].name = ingest_arena_strdup(arena, self->attr_names[i]);
        attrs[k].value = ingest_arena_strndup(arena, s_field(self, i), s_field_len(self, i));
        if (!attrs[k].name || !attrs[k].value)
            return WF_ENOMEM;
        list[k] = &attrs[k];
        k++;
    }
    row->attributes = list;
    row->attribute_count = n;
    return WF_OK;
}

int ingest_csv_header(ingest_csv_t *self, const char *raw, size_t len, ingest_reject_t *reject)
{
    self->header_done = true;
    self->bound = false;
    self->columns = 0;
    int rc = s_split(self, raw, len, reject);
    if (!rc)
        rc = s_check_utf8(self, reject);
    if (rc) {
        snprintf(self->bind_error, sizeof self->bind_error, "the header record is unusable: %s",
                 reject->message);
        return rc;
    }
    rc = s_bind(self);
    if (rc == WF_EPARSE)
        ingest_reject_set(reject, INGEST_R_HEADER_MISMATCH, NULL, "%s", self->bind_error);
    return rc;
}

int ingest_csv_parse(ingest_csv_t *self, const char *raw, size_t len, ingest_arena_t *arena,
                     ingest_row_t *row, ingest_reject_t *reject)
{
    ingest_row_init(row);
    if (self->bind_error[0]) {
        ingest_reject_set(reject, INGEST_R_HEADER_MISMATCH, NULL, "%s", self->bind_error);
        return WF_EPARSE;
    }
    int rc = s_split(self, raw, len, reject);
    if (rc)
        return rc;
    if (!self->bound && (rc = s_bind(self)) != WF_OK) { /* headerless: the first record binds */
        if (rc == WF_EPARSE)
            ingest_reject_set(reject, INGEST_R_HEADER_MISMATCH, NULL, "%s", self->bind_error);
        return rc;
    }
    if (self->field_count != self->columns) {
        ingest_reject_set(reject, INGEST_R_FIELD_COUNT, NULL, "expected %zu fields, got %zu",
                          self->columns, self->field_count);
        return WF_EPARSE;
    }
    if ((rc = s_check_utf8(self, reject)))
        return rc;
    return s_build_row(self, arena, row);
}
