/* console_params.h — strict parsers for the query API's parameters (pure: no HTTP, no SQL).
 *
 * Every value a client sends is checked here before it reaches PostgreSQL, so a typo or a
 * malformed value is answered 400 naming the parameter instead of reaching the database as a
 * surprise. The parsed values go to PostgreSQL as $n parameters, in text PostgreSQL reads
 * without guessing (times as RFC 3339 UTC with microseconds).
 */
#ifndef WF_CONSOLE_PARAMS_H
#define WF_CONSOLE_PARAMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_PARAMS_LIMIT_DEFAULT 100
#define CONSOLE_PARAMS_LIMIT_MAX     1000
#define CONSOLE_PARAMS_TIME_LEN      32 /* "2017-06-01T00:00:00.000000Z" + NUL */
#define CONSOLE_PARAMS_UUID_LEN      37
#define CONSOLE_PARAMS_CURSOR_LEN    96

typedef struct {
    double min_lon, min_lat, max_lon, max_lat;
} console_bbox_t;

/* Parses an RFC 3339 date-time ("2017-06-01T00:00:00Z", fractions and ±hh:mm offsets
 * allowed; years 1000-9999) into µs since the epoch. False when text is anything else. */
bool console_params_parse_time(const char *text, int64_t *us);

/* Writes us as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out (CONSOLE_PARAMS_TIME_LEN bytes). */
void console_params_format_time(int64_t us, char *out, size_t len);

/* Parses "minlon,minlat,maxlon,maxlat": four finite numbers, longitudes in [-180, 180],
 * latitudes in [-90, 90], min < max. False with the reason in why. */
bool console_params_parse_bbox(const char *text, console_bbox_t *bbox, char *why, size_t len);

/* Parses a decimal integer in [1, CONSOLE_PARAMS_LIMIT_MAX] (no sign, no spaces). */
bool console_params_parse_limit(const char *text, int *limit);

/* Is text a UUID in its canonical 8-4-4-4-12 hexadecimal form? */
bool console_params_is_uuid(const char *text);

/* The opaque page cursor for the key (us, uuid) of list kind ('e' events, 'a' alerts):
 * base64url of "<kind>1.<us>.<uuid>". Returns false when out is too small. */
bool console_params_encode_cursor(char kind, int64_t us, const char *uuid, char *out, size_t len);

/* Decodes a cursor of list kind. False when text is not exactly a cursor this console wrote
 * for that list (another list's cursor, a truncated or edited one). */
bool console_params_decode_cursor(const char *text, char kind, int64_t *us,
                                  char uuid[CONSOLE_PARAMS_UUID_LEN]);

/* Splits a comma list and checks each item against allowed (NULL-terminated). Writes the
 * items as a PostgreSQL array literal ("{new,closed}") into out. False, with the first bad
 * item in why, when an item is empty or not allowed. */
bool console_params_parse_choices(const char *text, const char *const *allowed, char *out,
                                  size_t len, char *why, size_t whylen);

/* Is text acceptable as a free-text value (kind, agency, rule, assignee, note)? At most
 * max_chars UTF-8 characters, valid UTF-8, no control characters (but line breaks and tabs
 * when multiline). */
bool console_params_is_clean_text(const char *text, size_t max_chars, bool multiline);

/* Writes the strings as a PostgreSQL array literal, each element quoted ("{"CPD","ISP"}").
 * Returns false when out is too small. */
bool console_params_text_array(const char *const *items, size_t n, char *out, size_t len);

#endif
