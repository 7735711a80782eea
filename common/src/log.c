/* log.c — the one place Watchfloor writes log lines.
 *
 * Lines are formatted into a stack buffer and written with one write(2) so lines from several
 * processes sharing a terminal or journal never interleave mid-line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <wf/log.h>

int wf_log_threshold = WF_LOG_INFO;

static char s_ident[32] = "wf";
static char s_debug_categories[256];
static bool s_syslog;

void wf_log_init(const char *ident, wf_log_level_t level, const char *debug_categories)
{
    snprintf(s_ident, sizeof s_ident, "%s", ident ? ident : "wf");
    wf_log_threshold = (int)level;
    snprintf(s_debug_categories, sizeof s_debug_categories, "%s",
             debug_categories ? debug_categories : "");
}

int wf_log_level_parse(const char *name)
{
    static const char *const names[] = {"error", "warn", "notice", "info", "debug"};
    for (int i = 0; i < 5; i++)
        if (name && strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

void wf_log_set_syslog(bool enabled)
{
    if (enabled && !s_syslog)
        openlog(s_ident, LOG_PID, LOG_DAEMON);
    else if (!enabled && s_syslog)
        closelog();
    s_syslog = enabled;
}

bool wf_log_debug_enabled(const char *category)
{
    if (!s_debug_categories[0])
        return false;
    if (strcmp(s_debug_categories, "all") == 0)
        return true;
    size_t n = strlen(category);
    const char *p = s_debug_categories;
    while ((p = strstr(p, category)) != NULL) {
        bool starts = p == s_debug_categories || p[-1] == ',' || p[-1] == ' ';
        bool ends = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
        if (starts && ends)
            return true;
        p += n;
    }
    return false;
}

void wf_log_write(wf_log_level_t level, const char *fmt, ...)
{
    static const char letters[] = "EWNID";
    static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %c %s[%d]: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, letters[level], s_ident, (int)getpid());
    size_t prefix = (size_t)n;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + prefix, sizeof line - prefix - 1, fmt, ap);
    va_end(ap);
    size_t len = prefix + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated: keep the newline */
    line[len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
    if (s_syslog) {
        line[len - 1] = '\0';
        syslog(priorities[level], "%s", line + prefix);
    }
}
