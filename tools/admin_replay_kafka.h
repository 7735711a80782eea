/* admin_replay_kafka.h — the Kafka side of `wf-admin replay`: topics, the copy, group lag.
 *
 * One producer handle does the metadata, admin requests, watermarks and the copy's writes; a
 * consumer with explicit assignments (no group commits) reads the source range; one idle
 * consumer handle per replay group reads its committed offsets. Nothing here joins a group.
 */
#ifndef WF_ADMIN_REPLAY_KAFKA_H
#define WF_ADMIN_REPLAY_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <wf/config.h>

#include "admin_replay.h"

typedef struct admin_kafka_t admin_kafka_t;

/* Connects (lazily, as librdkafka does) with the configuration's brokers and security. Returns
 * NULL with a reason in errbuf. */
admin_kafka_t *admin_kafka_new(const wf_config_t *config, char *errbuf, size_t errlen);

/* Closes every handle. NULL-safe; sets *self_p to NULL. */
void admin_kafka_destroy(admin_kafka_t **self_p);

/* Partition count of topic. Returns 0, WF_ENOTFOUND (no such topic) or WF_EIO, with errbuf. */
int admin_kafka_partitions(admin_kafka_t *self, const char *topic, int32_t *count, char *errbuf,
                           size_t errlen);

/* Creates topics with partitions each (replication and retention from the configuration);
 * topics that exist already are left alone. Returns 0 or WF_EIO with errbuf. */
int admin_kafka_create_topics(admin_kafka_t *self, const char *const *topics, size_t n,
                              int32_t partitions, char *errbuf, size_t errlen);

/* The messages topic holds now: sum over its partitions of high - low. Returns 0 or WF_EIO. */
int admin_kafka_topic_size(admin_kafka_t *self, const char *topic, int32_t partitions,
                           int64_t *messages, char *errbuf, size_t errlen);

/* What was copied from one partition. */
typedef struct {
    int64_t first;  /* first source offset read (-1: partition not read) */
    int64_t end;    /* one past the last source offset read */
    int64_t copied; /* messages written to the replay topic */
} admin_copy_part_t;

/* Copies the range args selects from source (partitions partitions) into dest, each message
 * to the same partition with its key, timestamp, headers and payload. parts (room for
 * partitions) receives what was read and copied. Returns 0, WF_EINVAL (a range outside what
 * the topic holds), WF_EINTR (stop requested) or WF_EIO, with errbuf. */
int admin_kafka_copy(admin_kafka_t *self, const char *source, const char *dest, int32_t partitions,
                     const admin_replay_args_t *args, admin_copy_part_t *parts, char *errbuf,
                     size_t errlen);

/* Messages of topics (partitions each) that group has not committed yet. Returns 0 or WF_EIO. */
int admin_kafka_group_lag(admin_kafka_t *self, const char *group, const char *const *topics,
                          size_t ntopics, int32_t partitions, int64_t *lag, char *errbuf,
                          size_t errlen);

/* Deletes topics, best effort: a refusal is written to out (brokers without the admin API, as
 * librdkafka's mock, refuse). Consumer groups are not deleted: librdkafka 2.0's DeleteGroups
 * can abort the process when the request fails (librdkafka #4605); an empty group's offsets
 * expire by themselves (offsets.retention.minutes). Returns 1 when refused, else 0. */
int admin_kafka_delete(admin_kafka_t *self, const char *const *topics, size_t n, FILE *out);

#endif
