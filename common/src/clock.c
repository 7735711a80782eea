/* clock.c — wall and monotonic microseconds, UTC formatting and durations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wf/clock.h>
#include <wf/err.h>

int64_t wf_clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * WF_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t wf_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * WF_US_PER_SEC + ts.tv_nsec / 1000;
}

char *wf_clock_format_us(int64_t us, char *out, size_t len)
{
    int64_t secs = us / WF_US_PER_SEC;
    int64_t frac = us % WF_US_PER_SEC;
    if (frac < 0) { /* floor division for times before 1970 */
        frac += WF_US_PER_SEC;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, len, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
    return out;
}

int wf_clock_parse_duration(const char *text, int64_t *us)
{
    if (!text || !*text)
        return WF_EINVAL;
    errno = 0;
    char *end;
    double value = strtod(text, &end);
    if (errno || end == text || value < 0)
        return WF_EINVAL;
    double scale;
    if (*end == '\0' || strcmp(end, "s") == 0)
        scale = 1e6;
    else if (strcmp(end, "us") == 0)
        scale = 1;
    else if (strcmp(end, "ms") == 0)
        scale = 1e3;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        scale = 60e6;
    else if (strcmp(end, "h") == 0)
        scale = 3600e6;
    else if (strcmp(end, "d") == 0)
        scale = 86400e6;
    else
        return WF_EINVAL;
    double total = value * scale;
    if (total > 9.2e18)
        return WF_ERANGE;
    *us = (int64_t)(total + 0.5);
    return WF_OK;
}

void wf_clock_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(us / WF_US_PER_SEC),
                          .tv_nsec = (long)(us % WF_US_PER_SEC) * 1000};
    nanosleep(&ts, NULL);
}
