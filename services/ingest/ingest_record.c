/* ingest_record.c — rejects, field names and UTF-8 checking shared by the ingest parsers.
 *
 * Kept apart from the parsers so that CSV, NDJSON and the mapper agree on one vocabulary of
 * fields and one definition of "valid text".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ingest_record.h"

static const char *const s_field_names[INGEST_FIELD_COUNT] = {
    [INGEST_FIELD_RECORD_ID] = "record_id",
    [INGEST_FIELD_REVISION] = "revision",
    [INGEST_FIELD_OCCURRED_AT] = "occurred_at",
    [INGEST_FIELD_REPORTED_AT] = "reported_at",
    [INGEST_FIELD_INCIDENT_NUMBER] = "incident_number",
    [INGEST_FIELD_OFFENSE_CODE] = "offense_code",
    [INGEST_FIELD_OFFENSE_TEXT] = "offense_text",
    [INGEST_FIELD_ADDRESS] = "address",
    [INGEST_FIELD_LOCATION_TYPE] = "location_type",
    [INGEST_FIELD_DISTRICT] = "district",
    [INGEST_FIELD_BEAT] = "beat",
    [INGEST_FIELD_PRIORITY] = "priority",
    [INGEST_FIELD_X] = "location.x",
    [INGEST_FIELD_Y] = "location.y",
};

/* Replaces every byte that is not part of valid UTF-8 with '?': reject texts quote input, may
 * be cut in the middle of a character, and must still be storable as PostgreSQL text. */
static void s_make_utf8(char *text)
{
    size_t len = strlen(text), at = 0;
    while (at < len) {
        at += ingest_utf8_valid_prefix(text + at, len - at);
        if (at < len)
            text[at++] = '?';
    }
}

void ingest_reject_set(ingest_reject_t *reject, const char *code, const char *field,
                       const char *fmt, ...)
{
    reject->code = code;
    snprintf(reject->field, sizeof reject->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reject->message, sizeof reject->message, fmt, ap);
    va_end(ap);
    s_make_utf8(reject->field);
    s_make_utf8(reject->message);
}

const char *ingest_field_name(ingest_field_t field)
{
    return (unsigned)field < INGEST_FIELD_COUNT ? s_field_names[field] : "?";
}

int ingest_field_lookup(const char *name)
{
    for (int i = 0; i < INGEST_FIELD_X; i++)
        if (strcmp(s_field_names[i], name) == 0)
            return i;
    return -1;
}

void ingest_row_init(ingest_row_t *row)
{
    for (int i = 0; i < INGEST_FIELD_COUNT; i++)
        row->value[i] = "";
    row->attributes = NULL;
    row->attribute_count = 0;
}

/* Length of the UTF-8 sequence starting at p (at most n bytes available), 0 when invalid. */
static size_t s_utf8_sequence(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c >= 0x01 && c < 0x80)
        return 1;
    size_t need;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07u;
    } else {
        return 0; /* NUL, continuation byte, 0xC0/0xC1 overlong leads, 0xF5.. */
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0; /* overlong or beyond Unicode */
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0; /* UTF-16 surrogates are not characters */
    return need;
}

size_t ingest_utf8_valid_prefix(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t at = 0;
    while (at < len) {
        /* fast path over plain ASCII */
        if (p[at] >= 0x01 && p[at] < 0x80) {
            at++;
            continue;
        }
        size_t n = s_utf8_sequence(p + at, len - at);
        if (n == 0)
            return at;
        at += n;
    }
    return len;
}
