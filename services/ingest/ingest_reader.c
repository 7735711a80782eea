/* ingest_reader.c — chunked reading (plain or xz) and record framing.
 *
 * Decoded bytes accumulate in one buffer; [start, end) is not consumed yet and always begins
 * with the record being framed. Lines are scanned once (scan only moves forward) so the
 * completeness callback sees each line exactly once per record attempt. The buffer never holds
 * much more than max_record_bytes plus one chunk: past that the record is either resynchronised
 * (multi-line) or reduced to a prefix while the rest of its line is skipped (single line).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>

#include <wf/err.h>

#include "ingest_reader.h"
#include "ingest_record.h"

#define S_CHUNK (64 * 1024)

static const unsigned char s_xz_magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};

struct ingest_reader_t {
    int fd;                             /* source */
    bool close_fd;                      /* false for stdin */
    bool detected;                      /* plain or xz decided */
    bool xz;                            /* decoding through lz */
    lzma_stream lz;                     /* xz decoder state */
    unsigned char *in;                  /* compressed input (S_CHUNK) */
    size_t in_len;                      /* bytes in `in` before detection */
    bool in_eof;                        /* the file gave its last byte */
    bool eof;                           /* no decoded byte will follow buf[end] */
    bool failed;                        /* read or decode error: the file is finished */
    char error[256];                    /* reason of the failure */
    char *buf;                          /* decoded bytes */
    size_t cap, start, end;             /* capacity; unconsumed bytes are [start, end) */
    size_t scan;                        /* bytes before scan have been searched for newlines */
    size_t line_start;                  /* start of the line being scanned */
    size_t first_line_end;              /* end of the record's first line (when rec_lines > 0) */
    size_t rec_lines;                   /* lines of the record being framed, seen so far */
    int64_t line;                       /* line number of the record being framed */
    uint64_t blank_lines;               /* blank lines skipped */
    uint64_t yielded;                   /* records handed out */
    bool bom_checked;                   /* the start of the file was checked for a BOM */
    size_t last_start;                  /* where the record last yielded began in buf */
    size_t last_first_end;              /* end of its first line */
    int64_t last_line;                  /* its line number */
    size_t last_lines;                  /* its physical lines; 0 when it cannot be taken back */
    size_t max;                         /* max_record_bytes */
    char *prefix;                       /* kept prefix of a too-long line */
    bool skipping;                      /* discarding the rest of a too-long line */
    uint64_t skip_len;                  /* true length of that line so far */
    ingest_reader_complete_fn complete; /* framing of multi-line records */
    void *user;                         /* its argument */
};

ingest_reader_t *ingest_reader_new(const char *path, size_t max_record_bytes,
                                   ingest_reader_complete_fn complete, void *user, char *errbuf,
                                   size_t errlen)
{
    ingest_reader_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->fd = -1;
    self->max = max_record_bytes ? max_record_bytes : 1;
    self->complete = complete;
    self->user = user;
    self->line = 1;
    self->cap = 2 * S_CHUNK;
    self->buf = malloc(self->cap);
    self->in = malloc(S_CHUNK);
    self->prefix = malloc(self->max);
    if (!self->buf || !self->in || !self->prefix) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    if (strcmp(path, "-") == 0) {
        self->fd = STDIN_FILENO;
    } else if ((self->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    } else {
        self->close_fd = true;
    }
    return self;
fail:
    ingest_reader_destroy(&self);
    return NULL;
}

void ingest_reader_destroy(ingest_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_reader_t *self = *self_p;
    if (self->close_fd)
        close(self->fd);
    if (self->xz)
        lzma_end(&self->lz);
    free(self->buf);
    free(self->in);
    free(self->prefix);
    free(self);
    *self_p = NULL;
}

static int s_fail(ingest_reader_t *self, int code, const char *what)
{
    snprintf(self->error, sizeof self->error, "%s", what);
    self->failed = true;
    return code;
}

/* Reads up to n bytes: >0 bytes, 0 at end of file, WF_EAGAIN (nothing in time, or a signal). */
static int s_read_fd(ingest_reader_t *self, void *dst, size_t n, int timeout_ms)
{
    if (timeout_ms >= 0) {
        struct pollfd pfd = {.fd = self->fd, .events = POLLIN};
        int ready = poll(&pfd, 1, timeout_ms);
        if (ready == 0 || (ready < 0 && errno == EINTR))
            return WF_EAGAIN;
        if (ready < 0)
            return s_fail(self, WF_EIO, strerror(errno));
    }
    ssize_t got = read(self->fd, dst, n > S_CHUNK ? S_CHUNK : n);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return WF_EAGAIN;
    if (got < 0)
        return s_fail(self, WF_EIO, strerror(errno));
    return (int)got;
}

/* Room for one more chunk after end. */
static int s_reserve(ingest_reader_t *self)
{
    if (self->cap - self->end >= S_CHUNK)
        return WF_OK;
    size_t cap = self->cap * 2;
    while (cap - self->end < S_CHUNK)
        cap *= 2;
    char *grown = realloc(self->buf, cap);
    if (!grown)
        return s_fail(self, WF_ENOMEM, "out of memory");
    self->buf = grown;
    self->cap = cap;
    return WF_OK;
}

/* Reads the first bytes and decides plain or xz. */
static int s_detect(ingest_reader_t *self, int timeout_ms)
{
    while (self->in_len < sizeof s_xz_magic && !self->in_eof) {
        int got = s_read_fd(self, self->in + self->in_len, S_CHUNK - self->in_len, timeout_ms);
        if (got < 0)
            return got;
        self->in_eof = got == 0;
        self->in_len += (size_t)got;
    }
    self->detected = true;
    if (self->in_len >= sizeof s_xz_magic && !memcmp(self->in, s_xz_magic, sizeof s_xz_magic)) {
        if (lzma_stream_decoder(&self->lz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            return s_fail(self, WF_ENOMEM, "cannot start the xz decoder");
        self->xz = true;
        self->lz.next_in = self->in;
        self->lz.avail_in = self->in_len;
        return WF_OK;
    }
    int rc = s_reserve(self);
    if (rc)
        return rc;
    memcpy(self->buf + self->end, self->in, self->in_len);
    self->end += self->in_len;
    self->eof = self->in_eof;
    return WF_OK;
}

/* Decodes xz input into the buffer: 1 when bytes were added, 0 at the end. */
static int s_fill_xz(ingest_reader_t *self, int timeout_ms)
{
    for (;;) {
        if (self->lz.avail_in == 0 && !self->in_eof) {
            int got = s_read_fd(self, self->in, S_CHUNK, timeout_ms);
            if (got < 0)
                return got;
            self->in_eof = got == 0;
            self->lz.next_in = self->in;
            self->lz.avail_in = (size_t)got;
        }
        size_t room = self->cap - self->end;
        self->lz.next_out = (uint8_t *)self->buf + self->end;
        self->lz.avail_out = room;
        lzma_ret ret = lzma_code(&self->lz, self->in_eof ? LZMA_FINISH : LZMA_RUN);
        size_t produced = room - self->lz.avail_out;
        self->end += produced;
        if (ret == LZMA_STREAM_END) {
            self->eof = true;
            return produced ? 1 : 0;
        }
        if (ret == LZMA_BUF_ERROR)
            return s_fail(self, WF_EPARSE, "xz data is truncated");
        if (ret != LZMA_OK)
            return s_fail(self, WF_EPARSE,
                          ret == LZMA_MEM_ERROR ? "out of memory in the xz decoder"
                                                : "xz data is corrupt");
        if (produced)
            return 1;
    }
}

/* Adds decoded bytes after end: 1 when some arrived, 0 at the end, or a negative code. */
static int s_fill(ingest_reader_t *self, int timeout_ms)
{
    int rc;
    if (!self->detected) {
        if ((rc = s_detect(self, timeout_ms)) < 0)
            return rc;
        if (!self->xz)
            return self->end > self->start ? 1 : 0;
    }
    if ((rc = s_reserve(self)))
        return rc;
    if (self->xz)
        return s_fill_xz(self, timeout_ms);
    int got = s_read_fd(self, self->buf + self->end, self->cap - self->end, timeout_ms);
    if (got < 0)
        return got;
    if (got == 0)
        self->eof = true;
    self->end += (size_t)got;
    return got ? 1 : 0;
}

/* Drops consumed bytes from the front of the buffer. */
static void s_compact(ingest_reader_t *self)
{
    if (self->start == 0)
        return;
    size_t shift = self->start;
    memmove(self->buf, self->buf + shift, self->end - shift);
    self->end -= shift;
    self->scan -= shift;
    self->line_start -= shift;
    self->first_line_end = self->first_line_end >= shift ? self->first_line_end - shift : 0;
    self->start = 0;
}

/* Hands out buf[start, start+len) as a record spanning lines physical lines, resuming at next. */
static int s_yield(ingest_reader_t *self, ingest_raw_t *raw, size_t len, size_t lines, size_t next,
                   bool unterminated)
{
    raw->raw = self->buf + self->start;
    raw->len = len;
    raw->raw_length = len;
    raw->line = self->line;
    raw->unterminated = unterminated;
    self->last_lines = lines;
    self->last_start = self->start;
    self->last_first_end = self->first_line_end;
    self->last_line = self->line;
    if (len > self->max) {
        raw->len = self->max;
        raw->reject = INGEST_R_RECORD_TOO_LONG;
        self->last_lines = 0;
    }
    self->line += (int64_t)lines;
    self->start = self->line_start = self->scan = next;
    self->rec_lines = 0;
    self->yielded++;
    return 1;
}

/* Gives up an open multi-line record: its first line alone, then rescan from the second. */
static int s_resync(ingest_reader_t *self, ingest_raw_t *raw)
{
    return s_yield(self, raw, self->first_line_end - self->start, 1, self->first_line_end + 1,
                   true);
}

/* One physical line [line_start, line_end) was found; next is where scanning resumes. Returns
 * 1 when a record was yielded, 0 otherwise. */
static int s_line(ingest_reader_t *self, size_t line_end, size_t next, ingest_raw_t *raw)
{
    const char *text = self->buf + self->line_start;
    size_t len = line_end - self->line_start;
    if (self->rec_lines == 0 && (len == 0 || (len == 1 && text[0] == '\r'))) {
        self->blank_lines++;
        self->line++;
        self->start = self->line_start = self->scan = next;
        return 0;
    }
    bool first = self->rec_lines == 0;
    if (first)
        self->first_line_end = line_end;
    self->rec_lines++;
    if (!self->complete || self->complete(self->user, text, len, first))
        return s_yield(self, raw, line_end - self->start, self->rec_lines, next, false);
    self->line_start = self->scan = next;
    return 0;
}

/* Frames a record from the bytes at hand: 1 when one was yielded, 0 when more are needed. */
static int s_frame(ingest_reader_t *self, ingest_raw_t *raw)
{
    if (!self->bom_checked) {
        if (self->end - self->start < 3 && !self->eof)
            return 0;
        if (self->end - self->start >= 3 && !memcmp(self->buf + self->start, "\xEF\xBB\xBF", 3))
            self->start = self->line_start = self->scan = self->start + 3;
        self->bom_checked = true;
    }
    for (;;) {
        char *nl = memchr(self->buf + self->scan, '\n', self->end - self->scan);
        if (!nl)
            break;
        size_t line_end = (size_t)(nl - self->buf);
        if (s_line(self, line_end, line_end + 1, raw))
            return 1;
    }
    self->scan = self->end;
    if (self->end - self->start <= self->max)
        return 0;
    if (self->rec_lines > 0)
        return s_resync(self, raw);
    /* one line longer than allowed: keep a prefix, skip to its newline */
    memcpy(self->prefix, self->buf + self->start, self->max);
    self->skip_len = self->end - self->start;
    self->skipping = true;
    self->start = self->end;
    return 0;
}

/* Discards the rest of a too-long line; 1 with the record once its end is found. */
static int s_skip(ingest_reader_t *self, ingest_raw_t *raw)
{
    char *nl = memchr(self->buf + self->start, '\n', self->end - self->start);
    if (!nl && !self->eof) {
        self->skip_len += self->end - self->start;
        self->start = self->end;
        return 0;
    }
    size_t upto = nl ? (size_t)(nl - self->buf) : self->end;
    self->skip_len += upto - self->start;
    raw->raw = self->prefix;
    raw->len = self->max;
    raw->raw_length = self->skip_len;
    raw->line = self->line++;
    raw->reject = INGEST_R_RECORD_TOO_LONG;
    self->last_lines = 0;
    self->skipping = false;
    self->start = self->line_start = self->scan = nl ? upto + 1 : upto;
    self->yielded++;
    return 1;
}

/* Nothing more will arrive: the last line without a newline, open records, empty files. */
static int s_finish(ingest_reader_t *self, ingest_raw_t *raw)
{
    if (self->end > self->line_start && s_line(self, self->end, self->end, raw))
        return 1;
    if (self->rec_lines == 1) /* one open line: the parser will say what is wrong with it */
        return s_yield(self, raw, self->first_line_end - self->start, 1, self->end, true);
    if (self->rec_lines > 1)
        return s_resync(self, raw);
    if (self->yielded == 0) {
        raw->raw = "";
        raw->reject = INGEST_R_EMPTY_FILE;
        self->yielded++;
        return 1;
    }
    return 0;
}

size_t ingest_reader_resync(ingest_reader_t *self)
{
    if (self->last_lines < 2)
        return 0;
    /* the bytes are still in the buffer: nothing is compacted before the next call */
    self->start = self->line_start = self->scan = self->last_first_end + 1;
    self->line = self->last_line + 1;
    self->rec_lines = 0;
    self->last_lines = 0;
    return self->last_first_end - self->last_start;
}

int ingest_reader_next(ingest_reader_t *self, ingest_raw_t *raw, int timeout_ms)
{
    memset(raw, 0, sizeof *raw);
    self->last_lines = 0;
    if (self->failed)
        return 0;
    for (;;) {
        int rc = self->skipping ? s_skip(self, raw) : s_frame(self, raw);
        if (rc)
            return rc;
        if (self->eof)
            return self->skipping ? s_skip(self, raw) : s_finish(self, raw);
        s_compact(self);
        rc = s_fill(self, timeout_ms);
        if (rc < 0)
            return rc == WF_ENOMEM ? WF_EIO : rc;
    }
}

const char *ingest_reader_error(const ingest_reader_t *self)
{
    return self->error;
}

int64_t ingest_reader_line(const ingest_reader_t *self)
{
    return self->line;
}

uint64_t ingest_reader_blank_lines(const ingest_reader_t *self)
{
    return self->blank_lines;
}

size_t ingest_reader_buffer_size(const ingest_reader_t *self)
{
    return self->cap;
}

bool ingest_reader_is_xz(const ingest_reader_t *self)
{
    return self->xz;
}
