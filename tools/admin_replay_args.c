/* admin_replay_args.c — `wf-admin replay`'s command line, times and offset ranges (pure).
 *
 * Everything here is decided before any connection is opened, so a typo in a time or a range
 * costs nothing and changes nothing. Times are matched against Kafka message timestamps, which
 * the transport sets to each envelope's ingest time; they are parsed by hand (days from the
 * civil date) rather than with mktime/timegm so that the machine's time zone can never leak in.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "admin.h"
#include "admin_replay.h"

const char *const admin_replay_topic_keys[ADMIN_REPLAY_TOPICS] = {
    "normalized", "enriched", "signals", "alerts", "deadletters",
};

/* Upstream first: a replay of topic index i runs the stages from table[i] on. */
static const admin_replay_stage_t s_stages[] = {
    {"enrich", {0, 0}, 1},
    {"spatial", {1, 0}, 1},
    {"alert", {1, 2}, 2},
};

size_t admin_replay_stages(int topic_index, const admin_replay_stage_t **stages)
{
    size_t n = sizeof s_stages / sizeof *s_stages;
    if (topic_index < 0 || (size_t)topic_index >= n) {
        *stages = NULL;
        return 0;
    }
    *stages = &s_stages[topic_index];
    return n - (size_t)topic_index;
}

/* ---- times ------------------------------------------------------------------------------ */

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

/* Reads exactly n digits at *p into *out and advances. */
static bool s_digits(const char **p, int n, int *out)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = value;
    return true;
}

int admin_time_parse(const char *text, int64_t *ms)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = text;
    int year, month, day, hour = 0, minute = 0, second = 0, frac_ms = 0, zone_min = 0;
    if (!text || !s_digits(&p, 4, &year) || *p++ != '-' || !s_digits(&p, 2, &month) ||
        *p++ != '-' || !s_digits(&p, 2, &day))
        return WF_EPARSE;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1] ||
        (month == 2 && day == 29 && !leap))
        return WF_EPARSE;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return WF_EPARSE;
        p++;
        if (!s_digits(&p, 2, &hour) || *p++ != ':' || !s_digits(&p, 2, &minute))
            return WF_EPARSE;
        if (*p == ':') {
            p++;
            if (!s_digits(&p, 2, &second))
                return WF_EPARSE;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100, ndigits = 0;
                for (; isdigit((unsigned char)*p); p++, ndigits++, scale /= 10)
                    frac_ms += scale * (*p - '0'); /* digits beyond ms add 0 */
                if (ndigits == 0)
                    return WF_EPARSE;
            }
        }
        if (hour > 23 || minute > 59 || second > 60) /* 60: a leap second, as RFC 3339 allows */
            return WF_EPARSE;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, zh, zm;
            if (!s_digits(&p, 2, &zh))
                return WF_EPARSE;
            if (*p == ':')
                p++;
            if (!s_digits(&p, 2, &zm) || zh > 23 || zm > 59)
                return WF_EPARSE;
            zone_min = sign * (zh * 60 + zm);
        } else {
            return WF_EPARSE; /* no zone: refuse rather than guess */
        }
        if (*p)
            return WF_EPARSE;
    }
    int64_t seconds = s_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                      second - (int64_t)zone_min * 60;
    *ms = seconds * 1000 + frac_ms;
    return WF_OK;
}

/* ---- offset ranges ---------------------------------------------------------------------- */

/* Parses a non-negative decimal integer spanning exactly [text, end). */
static bool s_number(const char *text, const char *end, int64_t max, int64_t *out)
{
    if (text == end || !isdigit((unsigned char)*text))
        return false;
    char buf[24];
    if ((size_t)(end - text) >= sizeof buf)
        return false;
    memcpy(buf, text, (size_t)(end - text));
    buf[end - text] = '\0';
    char *stop;
    errno = 0;
    long long value = strtoll(buf, &stop, 10);
    if (errno || *stop || value > max)
        return false;
    *out = value;
    return true;
}

/* One item: "[P:]FROM-TO", "[P:]FROM-" or "[P:]OFFSET". */
static int s_offset_item(const char *item, const char *end, admin_offset_range_t *range)
{
    const char *colon = memchr(item, ':', (size_t)(end - item));
    int64_t partition = -1;
    if (colon) {
        if (!s_number(item, colon, INT32_MAX, &partition))
            return WF_EINVAL;
        item = colon + 1;
    }
    const char *dash = memchr(item, '-', (size_t)(end - item));
    int64_t first, last;
    if (!s_number(item, dash ? dash : end, INT64_MAX - 1, &first))
        return WF_EINVAL;
    if (!dash)
        last = first;
    else if (dash + 1 == end)
        last = ADMIN_OFFSET_END;
    else if (!s_number(dash + 1, end, INT64_MAX - 1, &last) || last < first)
        return WF_EINVAL;
    *range = (admin_offset_range_t){(int32_t)partition, first, last};
    return WF_OK;
}

int admin_offsets_parse(const char *text, admin_offset_range_t *ranges, size_t cap, size_t *n,
                        char *errbuf, size_t errlen)
{
    *n = 0;
    for (const char *item = text;; item++) {
        const char *end = item + strcspn(item, ",");
        if (*n == cap) {
            admin_errorf(errbuf, errlen, "--offsets: more than %zu ranges", cap);
            return WF_EINVAL;
        }
        admin_offset_range_t *range = &ranges[*n];
        if (s_offset_item(item, end, range)) {
            admin_errorf(errbuf, errlen,
                         "--offsets: '%.*s' is not FROM-TO, FROM-, P:FROM-TO, P:FROM- or "
                         "P:OFFSET (offsets and partitions are whole numbers, FROM <= TO)",
                         (int)(end - item), item);
            return WF_EINVAL;
        }
        for (size_t i = 0; i < *n; i++)
            if (ranges[i].partition == range->partition || ranges[i].partition < 0 ||
                range->partition < 0) {
                admin_errorf(errbuf, errlen,
                             "--offsets: partition %d named twice, or a range for every "
                             "partition mixed with ranges for some",
                             (int)range->partition);
                return WF_EINVAL;
            }
        (*n)++;
        if (!*end)
            return WF_OK;
        item = end;
    }
}

/* ---- names and topics ------------------------------------------------------------------- */

bool admin_replay_name_is_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > ADMIN_REPLAY_NAME_MAX || isdigit((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(name[i] >= 'a' && name[i] <= 'z') && !isdigit((unsigned char)name[i]) &&
            name[i] != '_')
            return false;
    /* the live schema, and names PostgreSQL reserves for itself */
    return strcmp(name, "public") != 0 && strncmp(name, "pg_", 3) != 0 &&
           strcmp(name, "information_schema") != 0;
}

int admin_replay_topic_index(const char *text, const char *const names[ADMIN_REPLAY_TOPICS],
                             char *errbuf, size_t errlen)
{
    int found = -1;
    for (int i = 0; i < ADMIN_REPLAY_TOPICS && found < 0; i++) {
        const char *key = admin_replay_topic_keys[i];
        if (strcmp(text, key) == 0 || strcmp(text, names[i]) == 0 ||
            (strncmp(text, "topics.", 7) == 0 && strcmp(text + 7, key) == 0))
            found = i;
    }
    if (found < 0) {
        admin_errorf(errbuf, errlen,
                     "--topic '%s' is neither normalized, enriched, signals nor one of their "
                     "configured topic names (%s, %s, %s)",
                     text, names[0], names[1], names[2]);
        return WF_EINVAL;
    }
    const admin_replay_stage_t *stages;
    if (admin_replay_stages(found, &stages) == 0) {
        admin_errorf(errbuf, errlen,
                     "--topic %s: no Watchfloor stage consumes it, so there is nothing to "
                     "replay (normalized, enriched or signals)",
                     admin_replay_topic_keys[found]);
        return WF_EINVAL;
    }
    return found;
}

/* ---- the command line ------------------------------------------------------------------- */

/* "--name VALUE" or "--name=VALUE" at argv[*i]: 1 matched, 0 not this option, -1 no value. */
static int s_take(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static int s_check(admin_replay_args_t *args, const char *from, const char *to, const char *offsets,
                   char *errbuf, size_t errlen)
{
    if (!args->name || !admin_replay_name_is_valid(args->name)) {
        admin_errorf(errbuf, errlen,
                     "replay: %s '%s' must match [a-z_][a-z0-9_]{0,40} (a fresh schema name; "
                     "not public or pg_…)",
                     args->drop ? "--drop" : "--into", args->name ? args->name : "");
        return WF_EINVAL;
    }
    if (args->drop) {
        if (args->topic || from || to || offsets || args->keep) {
            admin_errorf(errbuf, errlen, "replay --drop NAME takes no other replay option");
            return WF_EINVAL;
        }
        return WF_OK;
    }
    if (!args->topic) {
        admin_errorf(errbuf, errlen, "replay: missing --topic normalized|enriched|signals");
        return WF_EINVAL;
    }
    if (offsets && (from || to)) {
        admin_errorf(errbuf, errlen, "replay: --offsets and --from/--to exclude each other");
        return WF_EINVAL;
    }
    if ((from && admin_time_parse(from, &args->from_ms)) ||
        (to && admin_time_parse(to, &args->to_ms))) {
        admin_errorf(errbuf, errlen,
                     "replay: '%s' is not an RFC 3339 time with a zone "
                     "(2025-03-01T18:00:00Z, 2025-03-01T12:00:00-06:00) or a date (2025-03-01)",
                     from && admin_time_parse(from, &args->from_ms) ? from : to);
        return WF_EINVAL;
    }
    args->has_from = from != NULL;
    args->has_to = to != NULL;
    if (from && to && args->to_ms <= args->from_ms) {
        admin_errorf(errbuf, errlen, "replay: --to must be later than --from");
        return WF_EINVAL;
    }
    if (offsets)
        return admin_offsets_parse(offsets, args->ranges, ADMIN_REPLAY_RANGES_MAX, &args->nranges,
                                   errbuf, errlen);
    return WF_OK;
}

int admin_replay_args_parse(int argc, char **argv, admin_replay_args_t *args, char *errbuf,
                            size_t errlen)
{
    memset(args, 0, sizeof *args);
    const char *from = NULL, *to = NULL, *offsets = NULL, *into = NULL, *drop = NULL;
    const struct {
        const char *name;
        const char **value;
    } options[] = {{"--topic", &args->topic},    {"--from", &from}, {"--to", &to},
                   {"--offsets", &offsets},      {"--into", &into}, {"--drop", &drop},
                   {"--bin-dir", &args->bin_dir}};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep") == 0) {
            args->keep = true;
            continue;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof options / sizeof *options && !matched; k++) {
            matched = s_take(argc, argv, &i, options[k].name, options[k].value);
            if (matched < 0) {
                admin_errorf(errbuf, errlen, "replay: option %s needs a value", options[k].name);
                return WF_EINVAL;
            }
        }
        if (!matched) {
            admin_errorf(errbuf, errlen, "replay: unexpected argument %s", argv[i]);
            return WF_EINVAL;
        }
    }
    if (into && drop) {
        admin_errorf(errbuf, errlen, "replay: --into and --drop exclude each other");
        return WF_EINVAL;
    }
    args->drop = drop != NULL;
    args->name = drop ? drop : into;
    return s_check(args, from, to, offsets, errbuf, errlen);
}
