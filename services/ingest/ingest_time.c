/* ingest_time.c — strptime/ISO 8601 parsing and local → UTC conversion with a DST policy.
 *
 * Calendar arithmetic is done here (days_from_civil) rather than with mktime so that the only
 * thing taken from the C library's zone machinery is "what was the UTC offset at instant t"
 * (localtime_r's tm_gmtoff). The DST rule in ingest_time.h follows from comparing the offsets a
 * day before and a day after the wall time.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <wf/clock.h>
#include <wf/err.h>

#include "ingest_time.h"

#define S_MAX_TEXT     64                     /* longer time text is not a time */
#define S_MIN_UTC_SECS (-INT64_C(2208988800)) /* 1900-01-01T00:00:00Z */

struct ingest_time_t {
    char *format;       /* strptime format; NULL for ISO 8601 */
    bool format_offset; /* the format has %z: times carry their own offset */
    char *zone;         /* IANA zone of zone-less times */
};

/* Civil fields of one parsed time. */
typedef struct {
    int year, month, day, hour, minute, second; /* as written (month 1–12) */
    int64_t micros;                             /* fraction of the second */
    bool has_offset;                            /* Z or ±hh:mm was given */
    long offset;                                /* seconds east of UTC when has_offset */
} s_civil_t;

bool ingest_time_zone_is_known(const char *zone)
{
    if (!zone || !*zone || zone[0] == '/' || strstr(zone, ".."))
        return false;
    if (strcmp(zone, "UTC") == 0)
        return true;
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
    FILE *file = fopen(path, "rb");
    if (!file)
        return false;
    char magic[4] = {0};
    size_t n = fread(magic, 1, sizeof magic, file);
    fclose(file);
    return n == 4 && memcmp(magic, "TZif", 4) == 0;
}

ingest_time_t *ingest_time_new(const char *format, const char *zone, char *errbuf, size_t errlen)
{
    if (!ingest_time_zone_is_known(zone)) {
        snprintf(errbuf, errlen, "unknown time zone '%s' (not in the tz database)",
                 zone ? zone : "");
        return NULL;
    }
    ingest_time_t *self = calloc(1, sizeof *self);
    if (!self)
        goto nomem;
    if (!(self->zone = strdup(zone)))
        goto nomem;
    if (format && strcmp(format, INGEST_TIME_ISO8601) != 0) {
        if (!(self->format = strdup(format)))
            goto nomem;
        self->format_offset = strstr(format, "%z") != NULL;
    }
    return self;
nomem:
    snprintf(errbuf, errlen, "out of memory");
    ingest_time_destroy(&self);
    return NULL;
}

void ingest_time_destroy(ingest_time_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->format);
    free((*self_p)->zone);
    free(*self_p);
    *self_p = NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int s_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static bool s_civil_valid(const s_civil_t *c)
{
    return c->month >= 1 && c->month <= 12 && c->day >= 1 &&
           c->day <= s_days_in_month(c->year, c->month) && c->hour >= 0 && c->hour <= 23 &&
           c->minute >= 0 && c->minute <= 59 && c->second >= 0 && c->second <= 59;
}

/* Switches the process zone only when it changes: tzset() re-reads the zone file. */
static void s_use_zone(const char *zone)
{
    static char active[256];
    if (strcmp(active, zone) == 0)
        return;
    setenv("TZ", zone, 1);
    tzset();
    snprintf(active, sizeof active, "%s", zone);
}

static long s_offset_at(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return 0;
    return tm.tm_gmtoff;
}

/* UTC seconds of wall-clock seconds naive (civil fields counted as if UTC) in the active zone. */
static int64_t s_local_to_utc(int64_t naive)
{
    /* No zone moves its clock twice within two days, and offsets stay within ±1 day, so the
     * offsets a day either side are the only candidates. */
    long before = s_offset_at(naive - 86400);
    long after = s_offset_at(naive + 86400);
    int64_t a = naive - before, b = naive - after;
    bool a_ok = s_offset_at(a) == before, b_ok = s_offset_at(b) == after;
    if (a_ok && b_ok)
        return a < b ? a : b; /* overlap (or no change at all): the earlier instant */
    if (a_ok)
        return a;
    if (b_ok)
        return b;
    return a; /* gap: the offset in force before the change */
}

/* Reads exactly n digits. */
static bool s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Z | ±hh | ±hh:mm | ±hhmm at p; true when the whole rest is consumed. */
static bool s_iso_offset(const char *p, s_civil_t *c)
{
    if (!*p)
        return true;
    c->has_offset = true;
    if ((*p == 'Z' || *p == 'z') && !p[1])
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1, hh, mm = 0;
    if (!s_digits(&p, 2, &hh))
        return false;
    if (*p == ':')
        p++;
    if (*p && !s_digits(&p, 2, &mm))
        return false;
    if (*p || hh > 23 || mm > 59)
        return false;
    c->offset = sign * (hh * 3600L + mm * 60L);
    return true;
}

static bool s_parse_iso(const char *p, s_civil_t *c)
{
    if (!s_digits(&p, 4, &c->year) || *p++ != '-' || !s_digits(&p, 2, &c->month) || *p++ != '-' ||
        !s_digits(&p, 2, &c->day))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return false;
    p++;
    if (!s_digits(&p, 2, &c->hour) || *p++ != ':' || !s_digits(&p, 2, &c->minute))
        return false;
    if (*p == ':') {
        p++;
        if (!s_digits(&p, 2, &c->second))
            return false;
        if (*p == '.' || *p == ',') {
            p++;
            int64_t scale = 100000;
            if (!isdigit((unsigned char)*p))
                return false;
            for (; isdigit((unsigned char)*p); p++, scale /= 10)
                c->micros += scale * (*p - '0'); /* digits beyond µs add 0 */
        }
    }
    return s_iso_offset(p, c);
}

static bool s_parse_strptime(const ingest_time_t *self, const char *text, s_civil_t *c)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_mday = 1;
    const char *end = strptime(text, self->format, &tm);
    if (!end || *end)
        return false;
    c->year = tm.tm_year + 1900;
    c->month = tm.tm_mon + 1;
    c->day = tm.tm_mday;
    c->hour = tm.tm_hour;
    c->minute = tm.tm_min;
    c->second = tm.tm_sec;
    c->has_offset = self->format_offset;
    c->offset = tm.tm_gmtoff;
    return true;
}

int ingest_time_parse(ingest_time_t *self, const char *text, const char *field, int64_t *us,
                      ingest_reject_t *reject)
{
    char buf[S_MAX_TEXT + 1];
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0 || len > S_MAX_TEXT) {
        ingest_reject_set(reject, INGEST_R_BAD_TIME, field, "%s: '%.*s' is not a time", field,
                          (int)(len > S_MAX_TEXT ? S_MAX_TEXT : len), text);
        return WF_EPARSE;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    s_civil_t c;
    memset(&c, 0, sizeof c);
    bool ok = self->format ? s_parse_strptime(self, buf, &c) : s_parse_iso(buf, &c);
    if (!ok || !s_civil_valid(&c)) {
        ingest_reject_set(reject, INGEST_R_BAD_TIME, field, "%s: '%s' does not match %s%s", field,
                          buf, self->format ? "the format " : "ISO 8601",
                          self->format ? self->format : "");
        return WF_EPARSE;
    }
    int64_t naive = s_days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
                    c.minute * 60 + c.second;
    int64_t utc;
    if (c.has_offset) {
        utc = naive - c.offset;
    } else {
        s_use_zone(self->zone);
        utc = s_local_to_utc(naive);
    }
    *us = utc * WF_US_PER_SEC + c.micros;
    return WF_OK;
}

int ingest_time_check_range(int64_t us, int64_t now_us, const char *field, ingest_reject_t *reject)
{
    if (us >= S_MIN_UTC_SECS * WF_US_PER_SEC && us <= now_us + WF_US_PER_DAY)
        return WF_OK;
    char when[WF_CLOCK_TS_LEN];
    ingest_reject_set(reject, INGEST_R_TIME_OUT_OF_RANGE, field, "%s: %s is %s", field,
                      wf_clock_format_us(us, when, sizeof when),
                      us < S_MIN_UTC_SECS * WF_US_PER_SEC ? "before 1900"
                                                          : "more than a day in the future");
    return WF_ERANGE;
}
