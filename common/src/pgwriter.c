/* pgwriter.c — COPY-batched, idempotent PostGIS writes.
 *
 * Rows are encoded once, in COPY text format, into one growing buffer (no per-row allocation);
 * a flush streams that buffer into a session temp table and merges it with the caller's
 * ON CONFLICT statement in the same transaction. A failed flush leaves the buffer untouched, so
 * retrying is always safe. When PostgreSQL refuses the batch because of the data itself, the
 * rows are retried one by one and only the refused ones are handed to the reject handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/pgwriter.h>

struct wf_pgwriter_t {
    char *conninfo;                 /* to reconnect */
    const wf_pgwriter_spec_t *spec; /* borrowed SQL */
    PGconn *conn;                   /* NULL while disconnected */
    char *buf;                      /* COPY text of pending rows */
    size_t len, cap;
    size_t *row_ends; /* end offset of each pending row in buf */
    size_t rows, rows_cap;
    size_t row_start;  /* where the row being built began */
    bool first_column; /* no tab needed before the next column */
    bool failing;      /* last flush failed (log once per outage) */
    wf_pgwriter_reject_fn on_reject;
    void *reject_user;
};

static void s_default_reject(void *user, const char *row, size_t len, const char *sqlstate,
                             const char *message)
{
    const wf_pgwriter_t *self = user;
    wf_log_error("row refused by PostgreSQL writer=%s sqlstate=%s error=\"%s\" row=\"%.*s\"",
                 self->spec->name, sqlstate, message, (int)(len > 200 ? 200 : len), row);
}

static bool s_connect(wf_pgwriter_t *self, char *errbuf, size_t errlen)
{
    const char *keywords[] = {"dbname", "fallback_application_name", NULL};
    const char *values[] = {self->conninfo, "watchfloor", NULL};
    self->conn = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(self->conn) != CONNECTION_OK) {
        snprintf(errbuf, errlen, "%s", PQerrorMessage(self->conn));
        errbuf[strcspn(errbuf, "\n")] = '\0';
        PQfinish(self->conn);
        self->conn = NULL;
        return false;
    }
    PGresult *res = PQexec(self->conn, self->spec->stage_sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        snprintf(errbuf, errlen, "creating the staging table: %s", PQresultErrorMessage(res));
        errbuf[strcspn(errbuf, "\n")] = '\0';
    }
    PQclear(res);
    if (!ok) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    return ok;
}

wf_pgwriter_t *wf_pgwriter_new(const char *conninfo, const wf_pgwriter_spec_t *spec, char *errbuf,
                               size_t errlen)
{
    wf_pgwriter_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->spec = spec;
    self->conninfo = strdup(conninfo);
    self->on_reject = s_default_reject;
    self->reject_user = self;
    if (!self->conninfo || !s_connect(self, errbuf, errlen))
        wf_pgwriter_destroy(&self);
    return self;
}

void wf_pgwriter_destroy(wf_pgwriter_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wf_pgwriter_t *self = *self_p;
    if (self->conn)
        PQfinish(self->conn);
    free(self->conninfo);
    free(self->buf);
    free(self->row_ends);
    free(self);
    *self_p = NULL;
}

void wf_pgwriter_set_reject_handler(wf_pgwriter_t *self, wf_pgwriter_reject_fn fn, void *user)
{
    self->on_reject = fn ? fn : s_default_reject;
    self->reject_user = fn ? user : self;
}

void *wf_pgwriter_connection(wf_pgwriter_t *self)
{
    return self->conn;
}

size_t wf_pgwriter_pending(const wf_pgwriter_t *self)
{
    return self->rows;
}

/* ---- row encoding ----------------------------------------------------------------------- */

static void s_reserve(wf_pgwriter_t *self, size_t extra)
{
    if (self->len + extra <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 65536;
    while (cap < self->len + extra)
        cap *= 2;
    char *grown = realloc(self->buf, cap);
    if (!grown) {
        /* Out of memory while encoding: there is no way to keep the row consistent. */
        wf_log_error("out of memory growing the COPY buffer writer=%s", self->spec->name);
        abort();
    }
    self->buf = grown;
    self->cap = cap;
}

static void s_append(wf_pgwriter_t *self, const char *data, size_t n)
{
    s_reserve(self, n);
    memcpy(self->buf + self->len, data, n);
    self->len += n;
}

static void s_column(wf_pgwriter_t *self)
{
    if (!self->first_column)
        s_append(self, "\t", 1);
    self->first_column = false;
}

/* Length of the valid UTF-8 sequence at p (1–4), or 0 when invalid. */
static size_t s_utf8_len(const unsigned char *p, size_t avail)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0   ? 2
               : (p[0] & 0xF0) == 0xE0 ? 3
               : (p[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > avail || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* COPY-escapes text; invalid UTF-8 becomes U+FFFD and NUL is dropped, because one bad byte
 * would otherwise make PostgreSQL refuse the whole batch. */
static void s_escape_text(wf_pgwriter_t *self, const char *text, size_t n)
{
    s_reserve(self, n * 2 + 8);
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        size_t len = p[i] ? s_utf8_len(p + i, n - i) : 1;
        s_reserve(self, 8);
        char *out = self->buf + self->len;
        if (len == 0) {
            memcpy(out, "\xEF\xBF\xBD", 3);
            self->len += 3;
            i++;
            continue;
        }
        unsigned char c = p[i];
        if (c == 0) {
            i++;
            continue;
        }
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
            out[0] = '\\';
            out[1] = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
            self->len += 2;
        } else {
            memcpy(out, p + i, len);
            self->len += len;
        }
        i += len;
    }
}

void wf_pgwriter_row_begin(wf_pgwriter_t *self)
{
    /* a row begun and never ended is discarded, so an encoder that bails out mid-row cannot
     * corrupt the batch */
    self->len = self->rows ? self->row_ends[self->rows - 1] : 0;
    self->row_start = self->len;
    self->first_column = true;
}

void wf_pgwriter_put_null(wf_pgwriter_t *self)
{
    s_column(self);
    s_append(self, "\\N", 2);
}

void wf_pgwriter_put_textn(wf_pgwriter_t *self, const char *text, size_t len)
{
    s_column(self);
    s_escape_text(self, text, len);
}

void wf_pgwriter_put_text(wf_pgwriter_t *self, const char *text)
{
    if (!text) {
        wf_pgwriter_put_null(self);
        return;
    }
    wf_pgwriter_put_textn(self, text, strlen(text));
}

static void s_put_formatted(wf_pgwriter_t *self, const char *text, int n)
{
    s_column(self);
    s_append(self, text, n > 0 ? (size_t)n : 0);
}

void wf_pgwriter_put_int64(wf_pgwriter_t *self, int64_t value)
{
    char text[32];
    s_put_formatted(self, text, snprintf(text, sizeof text, "%lld", (long long)value));
}

void wf_pgwriter_put_double(wf_pgwriter_t *self, double value)
{
    char text[40];
    s_put_formatted(self, text, snprintf(text, sizeof text, "%.17g", value));
}

void wf_pgwriter_put_bool(wf_pgwriter_t *self, bool value)
{
    s_put_formatted(self, value ? "t" : "f", 1);
}

static void s_format_uuid(const uint8_t b[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[at++] = '-';
        out[at++] = hex[b[i] >> 4];
        out[at++] = hex[b[i] & 15];
    }
    out[at] = '\0';
}

void wf_pgwriter_put_uuid(wf_pgwriter_t *self, const uint8_t bytes[16])
{
    char text[37];
    s_format_uuid(bytes, text);
    s_put_formatted(self, text, 36);
}

void wf_pgwriter_put_timestamp_us(wf_pgwriter_t *self, int64_t us)
{
    if (us == 0) {
        wf_pgwriter_put_null(self);
        return;
    }
    char text[WF_CLOCK_TS_LEN];
    wf_clock_format_us(us, text, sizeof text);
    s_put_formatted(self, text, (int)strlen(text));
}

void wf_pgwriter_put_bytea(wf_pgwriter_t *self, const uint8_t *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    s_column(self);
    s_reserve(self, 3 + len * 2);
    s_append(self, "\\\\x", 3); /* "\x" escaped for COPY */
    for (size_t i = 0; i < len; i++) {
        self->buf[self->len++] = hex[data[i] >> 4];
        self->buf[self->len++] = hex[data[i] & 15];
    }
}

void wf_pgwriter_put_point(wf_pgwriter_t *self, double lon, double lat)
{
    char text[96];
    s_put_formatted(self, text,
                    snprintf(text, sizeof text, "SRID=4326;POINT(%.15g %.15g)", lon, lat));
}

void wf_pgwriter_put_text_array(wf_pgwriter_t *self, const char *const *items, size_t count)
{
    s_column(self);
    s_append(self, "{", 1);
    for (size_t i = 0; i < count; i++) {
        if (i)
            s_append(self, ",", 1);
        s_append(self, "\"", 1);
        for (const char *p = items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                s_append(self, "\\\\", 2); /* array escape, itself escaped for COPY */
            s_escape_text(self, p, 1);
        }
        s_append(self, "\"", 1);
    }
    s_append(self, "}", 1);
}

void wf_pgwriter_put_uuid_array(wf_pgwriter_t *self, const uint8_t *const *ids, size_t count)
{
    s_column(self);
    s_append(self, "{", 1);
    for (size_t i = 0; i < count; i++) {
        char text[37];
        s_format_uuid(ids[i], text);
        if (i)
            s_append(self, ",", 1);
        s_append(self, text, 36);
    }
    s_append(self, "}", 1);
}

void wf_pgwriter_row_end(wf_pgwriter_t *self)
{
    s_append(self, "\n", 1);
    if (self->rows == self->rows_cap) {
        size_t cap = self->rows_cap ? self->rows_cap * 2 : 1024;
        size_t *grown = realloc(self->row_ends, cap * sizeof *grown);
        if (!grown) {
            wf_log_error("out of memory growing the row index writer=%s", self->spec->name);
            abort();
        }
        self->row_ends = grown;
        self->rows_cap = cap;
    }
    self->row_ends[self->rows++] = self->len;
}

/* ---- flush ------------------------------------------------------------------------------ */

typedef enum {
    S_WRITTEN,    /* committed */
    S_DATA_ERROR, /* PostgreSQL refused the data itself (SQLSTATE 22xxx, 23xxx) */
    S_FAILED,     /* anything else: connection, schema, server: retry later */
} s_outcome_t;

typedef struct {
    char sqlstate[6]; /* of the failure */
    char message[512];
} s_failure_t;

static s_outcome_t s_fail(wf_pgwriter_t *self, PGresult *res, const char *step,
                          s_failure_t *failure)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *text = res ? PQresultErrorMessage(res) : PQerrorMessage(self->conn);
    snprintf(failure->sqlstate, sizeof failure->sqlstate, "%s", state ? state : "?????");
    snprintf(failure->message, sizeof failure->message, "%s: %s", step, text);
    failure->message[strcspn(failure->message, "\n")] = '\0';
    PQclear(res);
    if (PQstatus(self->conn) != CONNECTION_OK) {
        PQfinish(self->conn);
        self->conn = NULL;
        return S_FAILED;
    }
    PQclear(PQexec(self->conn, "ROLLBACK"));
    /* state pointed into res, which is freed: classify by the copy */
    const char *copied = failure->sqlstate;
    bool data = strncmp(copied, "22", 2) == 0 || strncmp(copied, "23", 2) == 0;
    return data ? S_DATA_ERROR : S_FAILED;
}

static bool s_exec_ok(PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

/* One transaction: COPY data into the stage, prepare, merge, commit. */
static s_outcome_t s_write(wf_pgwriter_t *self, const char *data, size_t len, uint64_t *inserted,
                           s_failure_t *failure)
{
    PGresult *res = PQexec(self->conn, "BEGIN");
    if (!s_exec_ok(res))
        return s_fail(self, res, "BEGIN", failure);
    PQclear(res);
    res = PQexec(self->conn, self->spec->copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        return s_fail(self, res, "COPY", failure);
    PQclear(res);
    if (PQputCopyData(self->conn, data, (int)len) != 1 || PQputCopyEnd(self->conn, NULL) != 1)
        return s_fail(self, NULL, "COPY data", failure);
    res = PQgetResult(self->conn);
    if (!s_exec_ok(res)) {
        PGresult *extra;
        while ((extra = PQgetResult(self->conn)) != NULL)
            PQclear(extra);
        return s_fail(self, res, "COPY", failure);
    }
    PQclear(res);
    if (self->spec->prepare_sql) {
        res = PQexec(self->conn, self->spec->prepare_sql);
        if (!s_exec_ok(res))
            return s_fail(self, res, "prepare", failure);
        PQclear(res);
    }
    res = PQexec(self->conn, self->spec->merge_sql);
    if (!s_exec_ok(res))
        return s_fail(self, res, "merge", failure);
    uint64_t merged = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    res = PQexec(self->conn, "COMMIT");
    if (!s_exec_ok(res))
        return s_fail(self, res, "COMMIT", failure);
    PQclear(res);
    *inserted += merged;
    return S_WRITTEN;
}

/* Drops the first n pending rows (they are committed or handed to the reject handler). */
static void s_consume_rows(wf_pgwriter_t *self, size_t n)
{
    if (n == 0)
        return;
    size_t cut = self->row_ends[n - 1];
    memmove(self->buf, self->buf + cut, self->len - cut);
    self->len -= cut;
    for (size_t i = n; i < self->rows; i++)
        self->row_ends[i - n] = self->row_ends[i] - cut;
    self->rows -= n;
}

/* The batch was refused as data: write row by row and hand refused rows to the handler. */
static int s_write_rows_singly(wf_pgwriter_t *self, uint64_t *inserted)
{
    while (self->rows > 0) {
        s_failure_t failure;
        s_outcome_t outcome = s_write(self, self->buf, self->row_ends[0], inserted, &failure);
        if (outcome == S_FAILED) {
            wf_log_error("PostgreSQL write failed writer=%s error=\"%s\"", self->spec->name,
                         failure.message);
            return WF_EIO;
        }
        if (outcome == S_DATA_ERROR)
            self->on_reject(self->reject_user, self->buf, self->row_ends[0] - 1, failure.sqlstate,
                            failure.message);
        s_consume_rows(self, 1);
    }
    return WF_OK;
}

int wf_pgwriter_flush(wf_pgwriter_t *self, uint64_t *inserted)
{
    uint64_t count = 0;
    if (inserted)
        *inserted = 0;
    if (self->rows == 0)
        return WF_OK;
    if (!self->conn) {
        char reason[512];
        if (!s_connect(self, reason, sizeof reason)) {
            if (!self->failing)
                wf_log_error("PostgreSQL unreachable writer=%s error=\"%s\"", self->spec->name,
                             reason);
            self->failing = true;
            return WF_EIO;
        }
    }
    s_failure_t failure;
    s_outcome_t outcome = s_write(self, self->buf, self->len, &count, &failure);
    int rc = WF_OK;
    if (outcome == S_WRITTEN) {
        self->len = 0;
        self->rows = 0;
    } else if (outcome == S_DATA_ERROR) {
        wf_log_warn("batch refused as data, isolating rows writer=%s rows=%zu error=\"%s\"",
                    self->spec->name, self->rows, failure.message);
        rc = s_write_rows_singly(self, &count);
    } else {
        if (!self->failing)
            wf_log_error("PostgreSQL write failed writer=%s error=\"%s\"", self->spec->name,
                         failure.message);
        rc = WF_EIO;
    }
    if (rc == WF_OK && self->failing) {
        wf_log_notice("PostgreSQL writes resumed writer=%s", self->spec->name);
        self->failing = false;
    } else if (rc != WF_OK) {
        self->failing = true;
    }
    if (inserted)
        *inserted = count;
    return rc;
}
