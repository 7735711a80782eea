/* admin_replay.h — `wf-admin replay`: reprocess a range of a Kafka topic into a fresh schema.
 *
 * The command copies a time or offset range of one topic (normalized, enriched or signals)
 * into replay topics "replay.NAME.<topic>", runs the downstream services on them as child
 * processes writing into the PostgreSQL schema NAME, waits until they have consumed
 * everything and prints a summary. The pure parts (command line, times, offset ranges, which
 * services run) are in admin_replay_args.c and unit-tested; the Kafka work is in
 * admin_replay_kafka.c, the database and the child processes in admin_replay.c.
 */
#ifndef WF_ADMIN_REPLAY_H
#define WF_ADMIN_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/config.h>

/* ---- pure parts (admin_replay_args.c) ----------------------------------------------------- */

#define ADMIN_REPLAY_TOPICS     5   /* topics.* keys, in admin_replay_topic_keys order */
#define ADMIN_REPLAY_RANGES_MAX 256 /* P:FROM-TO items of one --offsets */
#define ADMIN_REPLAY_NAME_MAX   41  /* characters of a replay name */
#define ADMIN_OFFSET_END        INT64_MAX

/* "normalized", "enriched", "signals", "alerts", "deadletters": the topics.* keys without the
 * prefix; index = position. */
extern const char *const admin_replay_topic_keys[ADMIN_REPLAY_TOPICS];

typedef struct {
    int32_t partition; /* -1: every partition */
    int64_t first;     /* first offset copied */
    int64_t last;      /* last offset copied (inclusive); ADMIN_OFFSET_END: to the end */
} admin_offset_range_t;

typedef struct {
    const char *topic;   /* --topic: a topics.* key ("enriched") or a literal topic name */
    const char *name;    /* --into NAME, or the NAME of --drop */
    bool drop;           /* --drop NAME: remove a replay's schema and topics */
    bool keep;           /* --keep: keep the replay topics and groups after the run */
    const char *bin_dir; /* --bin-dir: where wf-enrich … are; NULL: next to wf-admin */
    bool has_from;       /* --from given */
    bool has_to;         /* --to given */
    int64_t from_ms;     /* --from, ms since the epoch (inclusive) */
    int64_t to_ms;       /* --to, ms since the epoch (exclusive) */
    admin_offset_range_t ranges[ADMIN_REPLAY_RANGES_MAX]; /* --offsets */
    size_t nranges;                                       /* 0: no --offsets */
} admin_replay_args_t;

/* Parses replay's arguments (argv[0] is "replay"). Returns 0, or WF_EINVAL naming the bad or
 * missing option. */
int admin_replay_args_parse(int argc, char **argv, admin_replay_args_t *args, char *errbuf,
                            size_t errlen);

/* Parses an RFC 3339 time ("2025-03-01T12:00:00Z", "…T12:00:00.250+01:00", a space for the T)
 * or a date (midnight UTC) into ms since the epoch. A time without a zone is refused: it
 * would silently mean the machine's zone. Returns 0 or WF_EPARSE. */
int admin_time_parse(const char *text, int64_t *ms);

/* Parses --offsets: "FROM-TO" or "FROM-" (every partition), or a comma list of "P:FROM-TO",
 * "P:FROM-", "P:OFFSET". TO is inclusive. Returns 0, or WF_EINVAL with the reason. */
int admin_offsets_parse(const char *text, admin_offset_range_t *ranges, size_t cap, size_t *n,
                        char *errbuf, size_t errlen);

/* True when name can be a replay: [a-z_][a-z0-9_]{0,40}, and not public, pg_… or
 * information_schema. */
bool admin_replay_name_is_valid(const char *name);

/* Which topics.* key text names: the key ("enriched"), the dotted key ("topics.enriched") or
 * the configured topic name (names[i] is the value of key i). Returns the index, or WF_EINVAL
 * with the reason (unknown, or alerts/deadletters, which no stage consumes). */
int admin_replay_topic_index(const char *text, const char *const names[ADMIN_REPLAY_TOPICS],
                             char *errbuf, size_t errlen);

typedef struct {
    const char *service; /* "spatial": binary wf-<service>, consumer group <prefix><service> */
    int inputs[2];       /* topic indices it consumes */
    int ninputs;
} admin_replay_stage_t;

/* The stages downstream of topic index (0 normalized: enrich, spatial, alert; 1 enriched:
 * spatial, alert; 2 signals: alert). Returns how many; *stages points into a static table. */
size_t admin_replay_stages(int topic_index, const admin_replay_stage_t **stages);

/* ---- the command (admin_replay.c) --------------------------------------------------------- */

/* Runs `wf-admin replay`. common_argv (NULL-terminated, without argv[0]) are wf-admin's own
 * --config/--set/--log-level options, handed on to the services. Returns the exit status:
 * 0 done, 1 failed, 2 bad command line or a back end without history (ZeroMQ). */
int admin_replay_main(const wf_config_t *config, char *const *common_argv, int argc, char **argv);

#endif
