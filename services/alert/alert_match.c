/* alert_match.c — rule conditions, dedupe keys, hotspot cells and message templates.
 *
 * Everything here is a pure function of a rule and a subject, called once per matching rule
 * per event, so none of it allocates. Text that reaches PostGIS and consoles (keys, titles,
 * messages) is bounded and cut only at UTF-8 character boundaries: a half character would
 * make the alerts COPY fail and stall the writer.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <wf/err.h>

#include "alert_match.h"

#define EARTH_RADIUS_M 6371008.8 /* IUGG mean radius */
#define PI             3.14159265358979323846
#define M_PER_DEG      (EARTH_RADIUS_M * PI / 180.0)
#define MAX_CELL_LAT   89.0 /* keep cos() away from 0 near the poles */

static const char *s_field_text(const alert_subject_t *subject, alert_field_t field)
{
    switch (field) {
    case ALERT_FIELD_KIND:
        return subject->kind;
    case ALERT_FIELD_AGENCY:
        return subject->agency;
    case ALERT_FIELD_DISTRICT:
        return subject->district;
    case ALERT_FIELD_BEAT:
        return subject->beat;
    case ALERT_FIELD_NIBRS_CODE:
        return subject->nibrs_code;
    case ALERT_FIELD_NIBRS_CATEGORY:
        return subject->nibrs_category;
    case ALERT_FIELD_CRIME_AGAINST:
        return subject->crime_against;
    case ALERT_FIELD_RELATED_COUNT:
    case ALERT_FIELD_PRIORITY:
    case ALERT_FIELD_HOTLIST:
    case ALERT_FIELD_GEOFENCE:
        break;
    }
    return "";
}

static bool s_glob_any(const alert_cond_t *cond, const char *text)
{
    if (!text || !*text)
        return false; /* absent never matches, not even "*" */
    for (size_t i = 0; i < cond->n_patterns; i++)
        if (fnmatch(cond->patterns[i], text, 0) == 0)
            return true;
    return false;
}

static bool s_inside_any(const alert_cond_t *cond, const alert_subject_t *subject)
{
    for (size_t k = 0; subject->inside && k < cond->n_fences; k++)
        if (cond->fences[k] < subject->n_inside && subject->inside[cond->fences[k]])
            return true;
    return false;
}

static bool s_cond_holds(const alert_cond_t *cond, const alert_subject_t *subject)
{
    switch (cond->op) {
    case ALERT_OP_AT_LEAST:
        return cond->field == ALERT_FIELD_RELATED_COUNT &&
               (int64_t)subject->related_count >= cond->number;
    case ALERT_OP_AT_MOST: /* priority 0 = not given: unknown never matches */
        return cond->field == ALERT_FIELD_PRIORITY && subject->priority > 0 &&
               subject->priority <= cond->number;
    case ALERT_OP_INSIDE:
        return s_inside_any(cond, subject);
    case ALERT_OP_ONE_OF: {
        const char *text = s_field_text(subject, cond->field);
        for (size_t i = 0; text && *text && i < cond->n_patterns; i++)
            if (strcmp(cond->patterns[i], text) == 0)
                return true;
        return false;
    }
    case ALERT_OP_GLOB_ANY:
        break;
    }
    if (cond->field != ALERT_FIELD_HOTLIST)
        return s_glob_any(cond, s_field_text(subject, cond->field));
    for (size_t h = 0; h < subject->n_hotlist_hits; h++) /* a hit on any matching list */
        if (subject->hotlist_hits[h] && s_glob_any(cond, subject->hotlist_hits[h]->list))
            return true;
    return false;
}

bool alert_rule_wants_hotlist_hit(const alert_rule_t *rule, const Wf__HotlistHit *hit)
{
    if (!hit)
        return false;
    for (size_t i = 0; i < rule->n_conds; i++)
        if (rule->conds[i].field == ALERT_FIELD_HOTLIST && !s_glob_any(&rule->conds[i], hit->list))
            return false;
    return true;
}

bool alert_rule_matched_geofence(const alert_rule_t *rule, const alert_subject_t *subject, size_t g)
{
    if (!subject->inside || g >= subject->n_inside || !subject->inside[g])
        return false;
    for (size_t i = 0; i < rule->n_conds; i++)
        for (size_t k = 0; rule->conds[i].op == ALERT_OP_INSIDE && k < rule->conds[i].n_fences; k++)
            if (rule->conds[i].fences[k] == g)
                return true;
    return false;
}

bool alert_rule_match(const alert_rule_t *rule, const alert_subject_t *subject)
{
    if (subject->on != rule->on)
        return false;
    if (rule->on == ALERT_ON_SIGNAL && subject->signal != rule->signal)
        return false;
    for (size_t i = 0; i < rule->n_conds; i++)
        if (!s_cond_holds(&rule->conds[i], subject))
            return false;
    return true;
}

/* Largest n' <= n such that text[0..n') does not end inside a UTF-8 sequence. */
static size_t s_utf8_cut(const char *text, size_t n)
{
    size_t start = n;
    while (start > 0 && n - start < 3 && ((unsigned char)text[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return n;
    unsigned char lead = (unsigned char)text[start - 1];
    size_t need = lead < 0x80             ? 1
                  : (lead & 0xE0) == 0xC0 ? 2
                  : (lead & 0xF0) == 0xE0 ? 3
                  : (lead & 0xF8) == 0xF0 ? 4
                                          : 1;
    return n - (start - 1) < need ? start - 1 : n;
}

typedef struct {
    char *out;  /* destination */
    size_t len; /* its size, terminator included */
    size_t at;  /* bytes written */
    bool full;  /* something did not fit: write nothing more */
} s_buf_t;

static void s_put(s_buf_t *buf, const char *text, size_t n)
{
    if (buf->full || buf->len == 0)
        return;
    size_t room = buf->len - 1 - buf->at;
    if (n > room) {
        n = s_utf8_cut(text, room);
        buf->full = true;
    }
    memcpy(buf->out + buf->at, text, n);
    buf->at += n;
    buf->out[buf->at] = '\0';
}

static void s_puts(s_buf_t *buf, const char *text)
{
    s_put(buf, text, strlen(text));
}

char *alert_dedupe_key(const alert_rule_t *rule, const alert_subject_t *subject, char *out,
                       size_t len)
{
    s_buf_t buf = {.out = out, .len = len};
    if (len)
        out[0] = '\0';
    const char *prefix = "event:", *value = subject->event_id;
    switch (rule->throttle_key) {
    case ALERT_KEY_CELL:
        if (subject->cell[0])
            prefix = "cell:", value = subject->cell;
        break;
    case ALERT_KEY_BEAT:
        if (subject->beat[0])
            prefix = "beat:", value = subject->beat;
        break;
    case ALERT_KEY_DISTRICT:
        if (subject->district[0])
            prefix = "district:", value = subject->district;
        break;
    case ALERT_KEY_EVENT:
        break;
    case ALERT_KEY_RULE:
        prefix = "rule", value = "";
        break;
    }
    s_puts(&buf, prefix);
    s_puts(&buf, value);
    return out;
}

int alert_cell_id(char *out, size_t len, double lon, double lat, double cell_m)
{
    if (len)
        out[0] = '\0';
    if (!isfinite(lon) || !isfinite(lat) || !isfinite(cell_m) || cell_m < 1.0 || lon < -180.0 ||
        lon > 180.0 || lat < -90.0 || lat > 90.0)
        return WF_EINVAL;
    double row = floor(lat * M_PER_DEG / cell_m);
    double centre = (row + 0.5) * cell_m / M_PER_DEG;
    centre = fmin(fmax(centre, -MAX_CELL_LAT), MAX_CELL_LAT);
    double col = floor(lon * M_PER_DEG * cos(centre * PI / 180.0) / cell_m);
    int n = snprintf(out, len, "%.6gm:%lld:%lld", cell_m, (long long)row, (long long)col);
    return n > 0 && (size_t)n < len ? WF_OK : WF_ERANGE;
}

static const char *const s_placeholders[] = {"kind",  "district", "beat",
                                             "count", "address",  "rule"};
#define N_PLACEHOLDERS (sizeof s_placeholders / sizeof *s_placeholders)

/* Index of the placeholder named by text[0..n), or -1. */
static int s_placeholder(const char *text, size_t n)
{
    for (size_t i = 0; i < N_PLACEHOLDERS; i++)
        if (strlen(s_placeholders[i]) == n && strncmp(s_placeholders[i], text, n) == 0)
            return (int)i;
    return -1;
}

int alert_template_check(const char *tmpl, char *why, size_t whylen)
{
    for (const char *p = tmpl; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '}') {
            snprintf(why, whylen, "unmatched '}' at offset %zu (write '}}' for a brace)",
                     (size_t)(p - tmpl));
            return WF_EPARSE;
        }
        if (*p != '{')
            continue;
        const char *close = strchr(p, '}');
        if (!close) {
            snprintf(why, whylen, "unclosed '{' at offset %zu", (size_t)(p - tmpl));
            return WF_EPARSE;
        }
        if (s_placeholder(p + 1, (size_t)(close - p - 1)) < 0) {
            snprintf(why, whylen,
                     "unknown placeholder '%.*s' (kind, district, beat, count, address, rule)",
                     (int)(close - p + 1 > 40 ? 40 : close - p + 1), p);
            return WF_EPARSE;
        }
        p = close;
    }
    return WF_OK;
}

static const char *s_or_unknown(const char *text)
{
    return text && *text ? text : "unknown";
}

static void s_put_placeholder(s_buf_t *buf, int which, const alert_subject_t *subject,
                              const char *rule_id)
{
    char number[24];
    switch (which) {
    case 0:
        s_puts(buf, s_or_unknown(subject->kind));
        break;
    case 1:
        s_puts(buf, s_or_unknown(subject->district));
        break;
    case 2:
        s_puts(buf, s_or_unknown(subject->beat));
        break;
    case 3: /* events in the situation: the trigger and what it relates to */
        snprintf(number, sizeof number, "%llu", (unsigned long long)subject->related_count + 1ull);
        s_puts(buf, number);
        break;
    case 4:
        s_puts(buf, s_or_unknown(subject->address));
        break;
    default:
        s_puts(buf, s_or_unknown(rule_id));
        break;
    }
}

size_t alert_render(const char *tmpl, const alert_subject_t *subject, const char *rule_id,
                    char *out, size_t len)
{
    s_buf_t buf = {.out = out, .len = len};
    if (len)
        out[0] = '\0';
    const char *p = tmpl;
    while (*p && !buf.full) {
        const char *brace = strpbrk(p, "{}");
        if (!brace) {
            s_puts(&buf, p);
            break;
        }
        s_put(&buf, p, (size_t)(brace - p));
        if (brace[1] == brace[0]) { /* "{{" or "}}" */
            s_put(&buf, brace, 1);
            p = brace + 2;
            continue;
        }
        const char *close = brace[0] == '{' ? strchr(brace, '}') : NULL;
        int which = close ? s_placeholder(brace + 1, (size_t)(close - brace - 1)) : -1;
        if (which < 0) { /* unchecked template: copy the brace as text */
            s_put(&buf, brace, 1);
            p = brace + 1;
            continue;
        }
        s_put_placeholder(&buf, which, subject, rule_id);
        p = close + 1;
    }
    return buf.at;
}
