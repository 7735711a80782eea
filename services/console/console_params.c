/* console_params.c — strict parsers for the query API's parameters (see console_params.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_params.h"

#define S_US_PER_SEC  INT64_C(1000000)
#define S_SEC_PER_DAY INT64_C(86400)

/* Reads exactly n decimal digits at *p into *value and advances *p. */
static bool s_digits(const char **p, int n, int *value)
{
    *value = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        *value = *value * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return true;
}

static bool s_expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t s_days_from_civil(int year, int month, int day)
{
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const int64_t yoe = year - era * 400;
    const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int s_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

bool console_params_parse_time(const char *text, int64_t *us)
{
    const char *p = text;
    int year, month, day, hour, minute, second;
    if (!s_digits(&p, 4, &year) || !s_expect(&p, '-') || !s_digits(&p, 2, &month) ||
        !s_expect(&p, '-') || !s_digits(&p, 2, &day))
        return false;
    if (*p != 'T' && *p != 't')
        return false;
    p++;
    if (!s_digits(&p, 2, &hour) || !s_expect(&p, ':') || !s_digits(&p, 2, &minute) ||
        !s_expect(&p, ':') || !s_digits(&p, 2, &second))
        return false;
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > s_days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59)
        return false;
    int64_t micros = 0;
    if (*p == '.') {
        p++;
        int ndigits = 0;
        for (; isdigit((unsigned char)*p); p++, ndigits++)
            if (ndigits < 6)
                micros = micros * 10 + (*p - '0');
        if (ndigits == 0 || ndigits > 9)
            return false;
        for (int i = ndigits; i < 6; i++)
            micros *= 10;
    }
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!s_digits(&p, 2, &oh) || !s_expect(&p, ':') || !s_digits(&p, 2, &om) || oh > 23 ||
            om > 59)
            return false;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    int64_t seconds = s_days_from_civil(year, month, day) * S_SEC_PER_DAY + hour * 3600 +
                      minute * 60 + second - offset_s;
    *us = seconds * S_US_PER_SEC + micros;
    return true;
}

void console_params_format_time(int64_t us, char *out, size_t len)
{
    int64_t seconds = us / S_US_PER_SEC, micros = us % S_US_PER_SEC;
    if (micros < 0) {
        seconds--;
        micros += S_US_PER_SEC;
    }
    int64_t days = seconds / S_SEC_PER_DAY, rest = seconds % S_SEC_PER_DAY;
    if (rest < 0) {
        days--;
        rest += S_SEC_PER_DAY;
    }
    /* civil_from_days (H. Hinnant) */
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const int64_t year = yoe + era * 400 + (month <= 2);
    snprintf(out, len,
             "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
             ".%06" PRId64 "Z",
             year, month, day, rest / 3600, rest / 60 % 60, rest % 60, micros);
}

bool console_params_parse_bbox(const char *text, console_bbox_t *bbox, char *why, size_t len)
{
    double values[4];
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        /* only plain decimal numbers: strtod alone would also take spaces, inf, nan and hex */
        size_t token = strcspn(p, ",");
        char *end;
        errno = 0;
        if (token == 0 || strspn(p, "0123456789+-.eE") != token ||
            (values[i] = strtod(p, &end), end != p + token) || errno == ERANGE ||
            !isfinite(values[i]) || (i < 3 ? p[token] != ',' : p[token] != '\0')) {
            snprintf(why, len, "bbox: expected 4 numbers minlon,minlat,maxlon,maxlat");
            return false;
        }
        p += token + 1;
    }
    *bbox = (console_bbox_t){values[0], values[1], values[2], values[3]};
    if (bbox->min_lon < -180 || bbox->max_lon > 180 || bbox->min_lat < -90 || bbox->max_lat > 90) {
        snprintf(why, len,
                 "bbox: longitudes must be within [-180, 180], latitudes within [-90, 90]");
        return false;
    }
    if (!(bbox->min_lon < bbox->max_lon) || !(bbox->min_lat < bbox->max_lat)) {
        snprintf(why, len, "bbox: minlon must be below maxlon and minlat below maxlat");
        return false;
    }
    return true;
}

bool console_params_parse_limit(const char *text, int *limit)
{
    size_t n = strlen(text);
    if (n == 0 || n > 4 || strspn(text, "0123456789") != n)
        return false;
    int value = atoi(text);
    if (value < 1 || value > CONSOLE_PARAMS_LIMIT_MAX)
        return false;
    *limit = value;
    return true;
}

bool console_params_is_uuid(const char *text)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
            return false;
    }
    return text[36] == '\0';
}

static const char s_b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool console_params_encode_cursor(char kind, int64_t us, const char *uuid, char *out, size_t len)
{
    char plain[80];
    int n = snprintf(plain, sizeof plain, "%c1.%" PRId64 ".%s", kind, us, uuid);
    if (n < 0 || (size_t)n >= sizeof plain)
        return false;
    size_t used = 0;
    for (int i = 0; i < n; i += 3) {
        uint32_t chunk = (uint32_t)(unsigned char)plain[i] << 16;
        if (i + 1 < n)
            chunk |= (uint32_t)(unsigned char)plain[i + 1] << 8;
        if (i + 2 < n)
            chunk |= (unsigned char)plain[i + 2];
        int chars = i + 2 < n ? 4 : i + 1 < n ? 3 : 2;
        if (used + (size_t)chars >= len)
            return false;
        for (int c = 0; c < chars; c++)
            out[used++] = s_b64url[(chunk >> (18 - 6 * c)) & 63];
    }
    out[used] = '\0';
    return true;
}

bool console_params_decode_cursor(const char *text, char kind, int64_t *us,
                                  char uuid[CONSOLE_PARAMS_UUID_LEN])
{
    size_t n = strlen(text);
    if (n == 0 || n > CONSOLE_PARAMS_CURSOR_LEN || n % 4 == 1)
        return false;
    char plain[CONSOLE_PARAMS_CURSOR_LEN];
    size_t used = 0;
    uint32_t bits = 0;
    int nbits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *at = strchr(s_b64url, text[i]);
        if (!at || !text[i])
            return false;
        bits = (bits << 6) | (uint32_t)(at - s_b64url);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            plain[used++] = (char)((bits >> nbits) & 0xff);
        }
    }
    if (bits & ((1u << nbits) - 1)) /* non-zero padding bits: not what we wrote */
        return false;
    plain[used] = '\0';
    if (strlen(plain) != used || used < 4 || plain[0] != kind || plain[1] != '1' || plain[2] != '.')
        return false;
    const char *p = plain + 3;
    char *end;
    errno = 0;
    long long value = strtoll(p, &end, 10);
    if (end == p || errno || *end != '.' || !(isdigit((unsigned char)*p) || *p == '-'))
        return false;
    if (!console_params_is_uuid(end + 1))
        return false;
    *us = value;
    memcpy(uuid, end + 1, CONSOLE_PARAMS_UUID_LEN);
    return true;
}

bool console_params_parse_choices(const char *text, const char *const *allowed, char *out,
                                  size_t len, char *why, size_t whylen)
{
    size_t used = 0;
    if (len < 3)
        return false;
    out[used++] = '{';
    for (const char *p = text;;) {
        size_t item = strcspn(p, ",");
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = item > 0 && strlen(*a) == item && strncmp(*a, p, item) == 0;
        if (!known) {
            snprintf(why, whylen, "'%.*s' is not one of the allowed values",
                     (int)(item > 40 ? 40 : item), p);
            return false;
        }
        if (used + item + 2 >= len) {
            snprintf(why, whylen, "too many values");
            return false;
        }
        if (used > 1)
            out[used++] = ',';
        memcpy(out + used, p, item); /* allowed values are plain words: no quoting needed */
        used += item;
        p += item;
        if (*p == '\0')
            break;
        p++;
    }
    out[used++] = '}';
    out[used] = '\0';
    return true;
}

bool console_params_is_clean_text(const char *text, size_t max_chars, bool multiline)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; chars++) {
        bool line_break = *p == '\n' || *p == '\r' || *p == '\t';
        if ((*p < 0x20 && !(multiline && line_break)) || *p == 0x7f)
            return false;
        int follow = *p < 0x80             ? 0
                     : (*p & 0xe0) == 0xc0 ? 1
                     : (*p & 0xf0) == 0xe0 ? 2
                     : (*p & 0xf8) == 0xf0 ? 3
                                           : -1;
        if (follow < 0 || (follow == 1 && *p < 0xc2))
            return false;
        p++;
        for (int i = 0; i < follow; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return chars <= max_chars;
}

bool console_params_text_array(const char *const *items, size_t n, char *out, size_t len)
{
    size_t used = 0;
    if (len < 3)
        return false;
    out[used++] = '{';
    for (size_t i = 0; i < n; i++) {
        if (used + 4 >= len)
            return false;
        if (i > 0)
            out[used++] = ',';
        out[used++] = '"';
        for (const char *c = items[i]; *c; c++) {
            if (used + 4 >= len)
                return false;
            if (*c == '"' || *c == '\\')
                out[used++] = '\\';
            out[used++] = *c;
        }
        out[used++] = '"';
    }
    if (used + 2 > len)
        return false;
    out[used++] = '}';
    out[used] = '\0';
    return true;
}
