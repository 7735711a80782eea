/* test_reader.c — ingest_reader: framing, line numbers, xz, stdin, and bounded memory for
 * hostile input (10 MB lines, unclosed quotes, empty files, truncated xz).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lzma.h>

#include <wf/err.h>

#include "ingest_reader.h"
#include "ingest_record.h"

#define DATA WF_SOURCE_DIR "/tests/data/"
#define MIB  (1024 * 1024)

static char s_dir[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/wf-test-reader-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Quote parity: a record is complete when it holds an even number of '"'. */
static bool s_parity(void *user, const char *line, size_t len, bool first)
{
    int *open = user;
    if (first)
        *open = 0;
    for (size_t i = 0; i < len; i++)
        *open ^= line[i] == '"';
    return *open == 0;
}

static const char *s_write(const char *name, const void *data, size_t len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static ingest_reader_t *s_open(const char *path, size_t max, int *parity)
{
    char err[256];
    ingest_reader_t *reader =
        ingest_reader_new(path, max, parity ? s_parity : NULL, parity, err, sizeof err);
    if (!reader)
        fail_msg("%s", err);
    return reader;
}

/* Reads the next record, expecting one that starts at line with exactly text. */
static void s_expect(ingest_reader_t *reader, int64_t line, const char *text)
{
    ingest_raw_t raw;
    int rc = ingest_reader_next(reader, &raw, -1);
    if (rc != 1)
        fail_msg("expected line %lld, got rc %d", (long long)line, rc);
    if (raw.line != line || raw.len != strlen(text) || memcmp(raw.raw, text, raw.len) != 0)
        fail_msg("line %lld: got line %lld \"%.*s\"", (long long)line, (long long)raw.line,
                 (int)raw.len, raw.raw);
    assert_null(raw.reject);
    assert_int_equal(raw.raw_length, raw.len);
}

static void s_expect_end(ingest_reader_t *reader)
{
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 0);
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 0);
}

static void test_lines_and_blanks(void **state)
{
    (void)state;
    const char text[] = "{\"id\":1}\n\n\r\n{\"id\":2}\r\n{\"id\":3}";
    ingest_reader_t *reader = s_open(s_write("a.ndjson", text, sizeof text - 1), MIB, NULL);
    s_expect(reader, 1, "{\"id\":1}");
    s_expect(reader, 4, "{\"id\":2}\r"); /* exact bytes: the CR stays */
    s_expect(reader, 5, "{\"id\":3}");   /* last line without a newline */
    s_expect_end(reader);
    assert_int_equal(ingest_reader_blank_lines(reader), 2);
    assert_false(ingest_reader_is_xz(reader));
    ingest_reader_destroy(&reader);
    assert_null(reader);
}

static void test_multiline_records(void **state)
{
    (void)state;
    int parity;
    ingest_reader_t *reader = s_open(DATA "ingest_multiline.csv", MIB, &parity);
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1); /* header */
    assert_int_equal(raw.line, 1);
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(raw.line, 2);
    assert_non_null(memchr(raw.raw, '\n', raw.len)); /* the quoted newline is inside */
    assert_non_null(strstr(raw.raw, "NOTE\",BAR OR TAVERN"));
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(raw.line, 4); /* the record above took lines 2 and 3 */
    assert_int_equal(strncmp(raw.raw, "9531957,", 8), 0);
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(raw.line, 5);
    s_expect_end(reader);
    ingest_reader_destroy(&reader);
}

static void test_bom_crlf(void **state)
{
    (void)state;
    ingest_reader_t *reader = s_open(DATA "ingest_bom_crlf.csv", MIB, NULL);
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(strncmp(raw.raw, "ID,Case Number,", 15), 0); /* BOM dropped */
    assert_int_equal(raw.raw[raw.len - 1], '\r');
    ingest_reader_destroy(&reader);
}

static void test_empty_file(void **state)
{
    (void)state;
    const char *files[] = {DATA "ingest_empty.csv", s_write("blank.csv", "\n\r\n\n", 4),
                           s_write("bom.csv", "\xEF\xBB\xBF", 3)};
    for (size_t i = 0; i < 3; i++) {
        ingest_reader_t *reader = s_open(files[i], MIB, NULL);
        ingest_raw_t raw;
        assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
        assert_non_null(raw.reject);
        assert_string_equal(raw.reject, "empty_file");
        assert_int_equal(raw.len, 0);
        s_expect_end(reader);
        ingest_reader_destroy(&reader);
    }
}

static void test_ten_megabyte_line(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/long.csv", s_dir);
    FILE *f = fopen(path, "wb");
    fputs("ID,Block\n1,first\n2,", f);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    const size_t total = 10 * MIB;
    for (size_t done = 0; done < total; done += sizeof chunk)
        fwrite(chunk, 1, sizeof chunk, f);
    fputs("\n3,after\n", f);
    fclose(f);
    int parity;
    ingest_reader_t *reader = s_open(path, MIB, &parity);
    s_expect(reader, 1, "ID,Block");
    s_expect(reader, 2, "1,first");
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_string_equal(raw.reject, "record_too_long");
    assert_int_equal(raw.line, 3);
    assert_int_equal(raw.raw_length, total + 2); /* "2," and the x's */
    assert_int_equal(raw.len, MIB);
    assert_int_equal(memcmp(raw.raw, "2,xxx", 5), 0);
    /* the line was never held whole */
    assert_true(ingest_reader_buffer_size(reader) <= 2 * MIB + 256 * 1024);
    s_expect(reader, 4, "3,after");
    s_expect_end(reader);
    ingest_reader_destroy(&reader);
}

static void test_long_line_at_end(void **state)
{
    (void)state;
    char text[5000];
    memset(text, 'y', sizeof text);
    ingest_reader_t *reader = s_open(s_write("tail.csv", text, sizeof text), 1024, NULL);
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_string_equal(raw.reject, "record_too_long");
    assert_int_equal(raw.raw_length, sizeof text);
    assert_int_equal(raw.len, 1024);
    s_expect_end(reader);
    ingest_reader_destroy(&reader);
}

static void test_unclosed_quote_resyncs(void **state)
{
    (void)state;
    /* line 2 opens a quote nothing closes: without resync it would swallow the file */
    const char text[] = "a,b\n1,\"open\n2,x\n3,y\n4,\"z\"\n";
    int parity;
    ingest_reader_t *reader = s_open(s_write("open.csv", text, sizeof text - 1), MIB, &parity);
    s_expect(reader, 1, "a,b");
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(raw.line, 2);
    assert_true(raw.unterminated);
    assert_int_equal(raw.len, 7);
    assert_int_equal(memcmp(raw.raw, "1,\"open", 7), 0);
    s_expect(reader, 3, "2,x");
    s_expect(reader, 4, "3,y");
    s_expect(reader, 5, "4,\"z\"");
    s_expect_end(reader);
    ingest_reader_destroy(&reader);
}

static void test_open_quote_beyond_limit(void **state)
{
    (void)state;
    /* an open quote followed by more than max bytes of lines: given up at the limit */
    char text[8192];
    size_t at = (size_t)snprintf(text, sizeof text, "h\n\"open\n");
    int lines = 0;
    while (at < 6000)
        at += (size_t)snprintf(text + at, sizeof text - at, "row %d\n", ++lines);
    int parity;
    ingest_reader_t *reader = s_open(s_write("big-open.csv", text, at), 1024, &parity);
    s_expect(reader, 1, "h");
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_true(raw.unterminated);
    assert_int_equal(raw.line, 2);
    assert_int_equal(raw.len, 5);
    s_expect(reader, 3, "row 1");
    for (int i = 2; i <= lines; i++)
        assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(raw.line, 2 + lines);
    s_expect_end(reader);
    ingest_reader_destroy(&reader);
}

/* Frames every two lines as one record (a stand-in for a format whose records span lines). */
static bool s_pairs(void *user, const char *line, size_t len, bool first)
{
    (void)user, (void)line, (void)len;
    return !first;
}

static void test_resync(void **state)
{
    (void)state;
    /* what the source does when a record spanning lines turns out to be broken: the lines
     * after its first are framed again */
    const char text[] = "l1\nl2\nl3\nl4\nl5\n";
    char err[256];
    ingest_reader_t *reader = ingest_reader_new(s_write("pairs.txt", text, sizeof text - 1), MIB,
                                                s_pairs, NULL, err, sizeof err);
    assert_non_null(reader);
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(raw.line, 1);
    assert_int_equal(raw.len, 5); /* "l1\nl2" */
    assert_int_equal(ingest_reader_resync(reader), 2);
    assert_int_equal(memcmp(raw.raw, "l1", 2), 0);     /* raw stays valid */
    assert_int_equal(ingest_reader_resync(reader), 0); /* once only */
    s_expect(reader, 2, "l2\nl3");
    s_expect(reader, 4, "l4\nl5");
    s_expect_end(reader);
    ingest_reader_destroy(&reader);

    /* a single-line record cannot be given back */
    reader = s_open(s_write("single.txt", "x\ny\n", 4), MIB, NULL);
    s_expect(reader, 1, "x");
    assert_int_equal(ingest_reader_resync(reader), 0);
    s_expect(reader, 2, "y");
    ingest_reader_destroy(&reader);
}

/* The contents of path, xz-compressed into a new file; truncated to keep bytes if keep > 0. */
static const char *s_xz(const char *path, const char *name, size_t keep, size_t *plain_len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t plain[64 * 1024], packed[64 * 1024];
    *plain_len = fread(plain, 1, sizeof plain, f);
    fclose(f);
    size_t packed_len = 0;
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, plain, *plain_len, packed,
                                             &packed_len, sizeof packed),
                     LZMA_OK);
    return s_write(name, packed, keep ? keep : packed_len);
}

static int s_count(ingest_reader_t *reader, int *rc)
{
    ingest_raw_t raw;
    int n = 0;
    while ((*rc = ingest_reader_next(reader, &raw, -1)) == 1)
        n++;
    return n;
}

static void test_xz(void **state)
{
    (void)state;
    size_t plain_len;
    const char *path = s_xz(DATA "chicago_2014_sample.csv", "sample.csv.xz", 0, &plain_len);
    int parity, rc;
    ingest_reader_t *reader = s_open(path, MIB, &parity);
    assert_int_equal(s_count(reader, &rc), 102); /* header + 101 rows */
    assert_int_equal(rc, 0);
    assert_true(ingest_reader_is_xz(reader));
    ingest_reader_destroy(&reader);

    /* truncated: the records before the cut, then a decode error, then the end */
    path = s_xz(DATA "chicago_2014_sample.csv", "cut.csv.xz", 2000, &plain_len);
    reader = s_open(path, MIB, &parity);
    int n = s_count(reader, &rc);
    assert_true(n > 0 && n < 102);
    assert_int_equal(rc, WF_EPARSE);
    assert_non_null(strstr(ingest_reader_error(reader), "xz"));
    ingest_raw_t raw;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 0);
    ingest_reader_destroy(&reader);
}

static void test_stdin_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDIN_FILENO);
    assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    ingest_reader_t *reader = s_open("-", MIB, NULL);
    ingest_raw_t raw;
    /* nothing written yet: the wait times out instead of blocking */
    assert_int_equal(ingest_reader_next(reader, &raw, 20), WF_EAGAIN);
    assert_int_equal(write(fds[1], "{\"a\":1}\n{\"b\"", 12), 12);
    assert_int_equal(ingest_reader_next(reader, &raw, 20), 1);
    assert_int_equal(raw.len, 7);
    assert_int_equal(ingest_reader_next(reader, &raw, 20), WF_EAGAIN); /* half a line */
    assert_int_equal(write(fds[1], ":2}\n", 4), 4);
    close(fds[1]);
    s_expect(reader, 2, "{\"b\":2}");
    s_expect_end(reader);
    ingest_reader_destroy(&reader);
    dup2(saved, STDIN_FILENO);
    close(saved);
}

static void test_missing_file(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(ingest_reader_new(DATA "no-such-file.csv", MIB, NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "no-such-file.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_and_blanks),
        cmocka_unit_test(test_multiline_records),
        cmocka_unit_test(test_bom_crlf),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_ten_megabyte_line),
        cmocka_unit_test(test_long_line_at_end),
        cmocka_unit_test(test_unclosed_quote_resyncs),
        cmocka_unit_test(test_open_quote_beyond_limit),
        cmocka_unit_test(test_resync),
        cmocka_unit_test(test_xz),
        cmocka_unit_test(test_stdin_pipe),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
