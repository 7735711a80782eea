/* log.h — one-line key=value logging to stderr (optionally syslog).
 *
 * Format: "2026-11-26T15:04:05.123Z E enrich: msg key=value …". The level is checked before any
 * formatting, so a disabled debug line costs one comparison. Debug lines belong to a named
 * category (transport, pg, rules …) enabled by configuration ("log.debug = transport,pg").
 * Never log per record at info level: count instead (wf/stats.h).
 */
#ifndef WF_LOG_H
#define WF_LOG_H

#include <stdbool.h>

typedef enum {
    WF_LOG_ERROR = 0,
    WF_LOG_WARN = 1,
    WF_LOG_NOTICE = 2,
    WF_LOG_INFO = 3,
    WF_LOG_DEBUG = 4,
} wf_log_level_t;

extern int wf_log_threshold; /* highest level written; read by the macros below */

/* Sets the service ident, level and debug categories (comma list, "all" for every one).
 * Call once from main before any other thread starts. */
void wf_log_init(const char *ident, wf_log_level_t level, const char *debug_categories);

/* Parses "error|warn|notice|info|debug"; returns -1 when unknown. */
int wf_log_level_parse(const char *name);

/* Also send lines to syslog (facility daemon). */
void wf_log_set_syslog(bool enabled);

bool wf_log_debug_enabled(const char *category);

void wf_log_write(wf_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define wf_log_error(...) wf_log_write(WF_LOG_ERROR, __VA_ARGS__)
#define wf_log_warn(...)                                                                           \
    do {                                                                                           \
        if (wf_log_threshold >= WF_LOG_WARN)                                                       \
            wf_log_write(WF_LOG_WARN, __VA_ARGS__);                                                \
    } while (0)
#define wf_log_notice(...)                                                                         \
    do {                                                                                           \
        if (wf_log_threshold >= WF_LOG_NOTICE)                                                     \
            wf_log_write(WF_LOG_NOTICE, __VA_ARGS__);                                              \
    } while (0)
#define wf_log_info(...)                                                                           \
    do {                                                                                           \
        if (wf_log_threshold >= WF_LOG_INFO)                                                       \
            wf_log_write(WF_LOG_INFO, __VA_ARGS__);                                                \
    } while (0)
#define wf_log_debug(category, ...)                                                                \
    do {                                                                                           \
        if (wf_log_threshold >= WF_LOG_DEBUG && wf_log_debug_enabled(category))                    \
            wf_log_write(WF_LOG_DEBUG, __VA_ARGS__);                                               \
    } while (0)

#endif
