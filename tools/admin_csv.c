/* admin_csv.c — reading a reference CSV file into rows (see admin_csv.h).
 *
 * libcsv calls back per field and per row; the callbacks append to the current row and the row
 * list. Lines are counted on the raw text as it is fed, so a row's line is the line the parser
 * was on when the row began (quoted fields may span lines).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <lzma.h>

#include <wf/err.h>

#include "admin.h"
#include "admin_csv.h"

typedef struct {
    admin_csv_t *csv;
    admin_csv_row_t row; /* being built */
    size_t row_cap;
    long line;       /* line of the byte being parsed */
    long row_line;   /* line where the current row began, 0: no field yet */
    int failed;      /* out of memory in a callback */
    int have_header; /* the first row went to the header */
} s_parse_t;

static void s_row_free(admin_csv_row_t *row)
{
    for (size_t i = 0; i < row->count; i++)
        free(row->fields[i]);
    free(row->fields);
    memset(row, 0, sizeof *row);
}

static void s_on_field(void *data, size_t len, void *ctx)
{
    s_parse_t *p = ctx;
    if (p->failed)
        return;
    if (p->row.count == p->row_cap) {
        size_t cap = p->row_cap ? p->row_cap * 2 : 8;
        char **grown = realloc(p->row.fields, cap * sizeof *grown);
        if (!grown) {
            p->failed = 1;
            return;
        }
        p->row.fields = grown;
        p->row_cap = cap;
    }
    char *field = malloc(len + 1);
    if (!field) {
        p->failed = 1;
        return;
    }
    if (len)
        memcpy(field, data, len);
    field[len] = '\0';
    if (!p->row_line)
        p->row_line = p->line;
    p->row.fields[p->row.count++] = field;
}

static void s_on_row(int terminator, void *ctx)
{
    (void)terminator;
    s_parse_t *p = ctx;
    admin_csv_t *csv = p->csv;
    p->row.line = p->row_line ? p->row_line : p->line;
    bool blank = p->row.count == 0 || (p->row.count == 1 && p->row.fields[0][0] == '\0');
    if (p->failed || blank) {
        s_row_free(&p->row);
    } else if (!p->have_header) {
        csv->header = p->row;
        p->have_header = 1;
    } else {
        if (csv->count == csv->cap) {
            size_t cap = csv->cap ? csv->cap * 2 : 64;
            admin_csv_row_t *grown = realloc(csv->rows, cap * sizeof *grown);
            if (!grown) {
                p->failed = 1;
                s_row_free(&p->row);
                goto next;
            }
            csv->rows = grown;
            csv->cap = cap;
        }
        csv->rows[csv->count++] = p->row;
    }
next:
    memset(&p->row, 0, sizeof p->row);
    p->row_cap = 0;
    p->row_line = 0;
}

admin_csv_t *admin_csv_parse(const char *text, size_t len, char *errbuf, size_t errlen)
{
    struct csv_parser parser;
    admin_csv_t *csv = calloc(1, sizeof *csv);
    if (!csv || csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        free(csv);
        admin_errorf(errbuf, errlen, "out of memory");
        return NULL;
    }
    s_parse_t p = {.csv = csv, .line = 1};
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 BOM (spreadsheets) */
        text += 3;
        len -= 3;
    }
    /* line by line, so the parser's position tells the line of an error */
    for (size_t at = 0; at < len && !p.failed;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) + 1 : len - at;
        if (csv_parse(&parser, text + at, n, s_on_field, s_on_row, &p) != n) {
            admin_errorf(errbuf, errlen, "line %ld: %s", p.line, csv_strerror(csv_error(&parser)));
            goto fail;
        }
        at += n;
        p.line += nl != NULL;
    }
    if (!p.failed && csv_fini(&parser, s_on_field, s_on_row, &p) != 0) {
        admin_errorf(errbuf, errlen, "line %ld: %s (unterminated quote?)", p.line,
                     csv_strerror(csv_error(&parser)));
        goto fail;
    }
    if (p.failed) {
        admin_errorf(errbuf, errlen, "out of memory");
        goto fail;
    }
    if (!p.have_header) {
        admin_errorf(errbuf, errlen, "empty file: a header row is required");
        goto fail;
    }
    csv_free(&parser);
    return csv;
fail:
    s_row_free(&p.row);
    csv_free(&parser);
    admin_csv_destroy(&csv);
    return NULL;
}

/* Makes room for need more bytes (and a NUL) in *buf; false when out of memory. */
static bool s_reserve(char **buf, size_t *cap, size_t used, size_t need)
{
    size_t want = *cap ? *cap : 65536;
    while (used + need + 1 > want)
        want *= 2;
    if (want == *cap)
        return true;
    char *grown = realloc(*buf, want);
    if (!grown)
        return false;
    *buf = grown;
    *cap = want;
    return true;
}

/* Decodes the rest of file (or copies it when !xz) into *out. Returns 0, WF_ENOMEM, WF_EIO or
 * WF_EPARSE (corrupt .xz). */
static int s_read_all(FILE *file, bool xz, char **out, size_t *n, size_t *cap)
{
    lzma_stream lz = LZMA_STREAM_INIT;
    if (xz && lzma_stream_decoder(&lz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return WF_ENOMEM;
    uint8_t in[65536];
    lzma_ret ret = LZMA_OK;
    int rc = WF_OK;
    for (bool eof = false; !eof && rc == WF_OK;) {
        size_t got = fread(in, 1, sizeof in, file);
        eof = got < sizeof in;
        if (ferror(file)) {
            rc = WF_EIO;
        } else if (!xz) {
            if (!s_reserve(out, cap, *n, got))
                rc = WF_ENOMEM;
            else if (got)
                memcpy(*out + *n, in, got);
            *n += rc == WF_OK ? got : 0;
            continue;
        }
        lz.next_in = in;
        lz.avail_in = got;
        while (rc == WF_OK && ret == LZMA_OK && (lz.avail_in > 0 || eof)) {
            if (!s_reserve(out, cap, *n, 65536)) {
                rc = WF_ENOMEM;
                break;
            }
            lz.next_out = (uint8_t *)*out + *n;
            lz.avail_out = 65536;
            ret = lzma_code(&lz, eof ? LZMA_FINISH : LZMA_RUN);
            *n += 65536 - lz.avail_out;
        }
        if (rc == WF_OK && ret != LZMA_OK && ret != LZMA_STREAM_END)
            rc = WF_EPARSE;
    }
    if (xz && rc == WF_OK && ret != LZMA_STREAM_END)
        rc = WF_EPARSE; /* truncated */
    if (xz)
        lzma_end(&lz);
    return rc;
}

/* Reads path whole, decoding .xz. Returns the bytes (owned, NUL-terminated) or NULL with a
 * reason. */
static char *s_slurp(const char *path, size_t *len, char *errbuf, size_t errlen)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        admin_errorf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t plen = strlen(path), n = 0, cap = 0;
    bool xz = plen > 3 && strcmp(path + plen - 3, ".xz") == 0;
    char *out = NULL;
    int rc = s_reserve(&out, &cap, 0, 0) ? s_read_all(file, xz, &out, &n, &cap) : WF_ENOMEM;
    fclose(file);
    if (rc != WF_OK) {
        admin_errorf(errbuf, errlen, "%s: %s", path,
                     rc == WF_ENOMEM ? "out of memory"
                     : rc == WF_EIO  ? "read error"
                                     : "corrupt or truncated .xz data");
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

admin_csv_t *admin_csv_load(const char *path, char *errbuf, size_t errlen)
{
    size_t len = 0;
    char *text = s_slurp(path, &len, errbuf, errlen);
    if (!text)
        return NULL;
    char reason[512];
    admin_csv_t *csv = admin_csv_parse(text, len, reason, sizeof reason);
    if (!csv)
        admin_errorf(errbuf, errlen, "%s: %s", path, reason);
    free(text);
    return csv;
}

void admin_csv_destroy(admin_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    admin_csv_t *self = *self_p;
    s_row_free(&self->header);
    for (size_t i = 0; i < self->count; i++)
        s_row_free(&self->rows[i]);
    free(self->rows);
    free(self);
    *self_p = NULL;
}

int admin_csv_column(const admin_csv_t *self, const char *name)
{
    for (size_t i = 0; i < self->header.count; i++)
        if (strcasecmp(self->header.fields[i], name) == 0)
            return (int)i;
    return -1;
}

const char *admin_csv_field(const admin_csv_row_t *row, int col)
{
    return col >= 0 && (size_t)col < row->count ? row->fields[col] : "";
}
