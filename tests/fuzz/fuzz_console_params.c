/* fuzz_console_params.c — every query-parameter parser of wf-console on one arbitrary input.
 *
 * The input is what a client can put in a query string (a NUL ends it, as in a C string).
 * Besides "never crashes", each accepted value must keep its promise: a time formats and parses
 * back to itself, a cursor re-encodes to a cursor that decodes to the same key, a bbox is on
 * the earth and ordered, a limit is within its range.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    size_t len = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, len);
    text[len] = '\0';

    int64_t us, again;
    if (console_params_parse_time(text, &us)) {
        char formatted[CONSOLE_PARAMS_TIME_LEN];
        console_params_format_time(us, formatted, sizeof formatted);
        assert(console_params_parse_time(formatted, &again) && again == us);
    }
    console_bbox_t bbox;
    char why[160];
    if (console_params_parse_bbox(text, &bbox, why, sizeof why))
        assert(bbox.min_lon >= -180 && bbox.max_lon <= 180 && bbox.min_lat >= -90 &&
               bbox.max_lat <= 90 && bbox.min_lon < bbox.max_lon && bbox.min_lat < bbox.max_lat);
    int limit;
    if (console_params_parse_limit(text, &limit))
        assert(limit >= 1 && limit <= CONSOLE_PARAMS_LIMIT_MAX);
    char uuid[CONSOLE_PARAMS_UUID_LEN], cursor[CONSOLE_PARAMS_CURSOR_LEN + 1];
    for (const char *kind = "ea"; *kind; kind++) {
        if (!console_params_decode_cursor(text, *kind, &us, uuid))
            continue;
        assert(console_params_is_uuid(uuid));
        assert(console_params_encode_cursor(*kind, us, uuid, cursor, sizeof cursor));
        char uuid_again[CONSOLE_PARAMS_UUID_LEN];
        assert(console_params_decode_cursor(cursor, *kind, &again, uuid_again) && again == us &&
               strcmp(uuid, uuid_again) == 0);
    }
    static const char *const states[] = {"new", "acknowledged", "assigned", "closed", NULL};
    char array[128];
    if (console_params_parse_choices(text, states, array, sizeof array, why, sizeof why))
        assert(array[0] == '{' && array[strlen(array) - 1] == '}');
    console_params_is_clean_text(text, 100, len % 2 == 0);
    const char *items[1] = {text};
    char quoted[1100];
    assert(console_params_text_array(items, 1, quoted, sizeof quoted));
    return 0;
}
