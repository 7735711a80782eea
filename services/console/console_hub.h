/* console_hub.h — the recent stream messages every live client reads from.
 *
 * The feed thread appends one JSON message per event, signal, alert or workflow change; each
 * gets the next sequence number. The hub keeps the last `capacity` of them so a client that
 * reconnects with the last id it saw (Last-Event-ID) gets exactly what it missed, none twice.
 * Ids are "<epoch>.<sequence>", the epoch being the console's start time: an id from another
 * run of the console cannot be resumed, and the client is told to resync instead.
 *
 * Messages are immutable and reference-counted, so readers copy pointers under the lock and
 * write to their sockets without it: a slow client never delays the feed or other clients.
 */
#ifndef WF_CONSOLE_HUB_H
#define WF_CONSOLE_HUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CONSOLE_MSG_EVENT = 1 << 0,
    CONSOLE_MSG_SIGNAL = 1 << 1,
    CONSOLE_MSG_ALERT = 1 << 2,
    CONSOLE_MSG_ALERT_UPDATE = 1 << 3,
} console_msg_type_t;

#define CONSOLE_MSG_ALL 0xf

typedef struct {
    uint64_t seq;
    console_msg_type_t type;
    char agency[33]; /* for agency-scoped tokens; "" when none */
    int64_t ingest_ts_us;
    size_t len;
    int refs; /* atomic */
    char json[];
} console_msg_t;

typedef struct console_hub_t console_hub_t;

console_hub_t *console_hub_new(size_t capacity, int64_t epoch);
void console_hub_destroy(console_hub_t **self_p);

int64_t console_hub_epoch(const console_hub_t *self);

/* Appends a copy of json as the next message. Thread-safe; wakes waiting readers. Returns the
 * message's sequence number, or 0 when out of memory. */
uint64_t console_hub_append(console_hub_t *self, console_msg_type_t type, const char *agency,
                            int64_t ingest_ts_us, const char *json, size_t len);

/* The newest sequence number (0: nothing yet). */
uint64_t console_hub_head(console_hub_t *self);

/* Copies into out up to max messages with sequence > after, waiting up to timeout_ms when
 * there are none. Each returned message holds a reference: drop it with console_msg_release.
 * Returns how many. Sets *lost when messages after `after` are no longer held (the reader fell
 * behind by more than the capacity); the copy then starts at the oldest held. */
size_t console_hub_read(console_hub_t *self, uint64_t after, console_msg_t **out, size_t max,
                        int timeout_ms, bool *lost);

/* Wakes every waiting reader (shutdown). */
void console_hub_wake_all(console_hub_t *self);

void console_msg_release(console_msg_t *msg);

/* Parses "<epoch>.<seq>"; returns false when text is not such an id. */
bool console_hub_parse_id(const char *text, int64_t *epoch, uint64_t *seq);

#endif
