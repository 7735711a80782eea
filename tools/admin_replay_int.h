/* admin_replay_int.h — what the two halves of `wf-admin replay` share (private to wf-admin).
 *
 * admin_replay.c: checks, the replay schema, the copy, the summary, --drop.
 * admin_replay_services.c: the downstream services as child processes, and the wait for them.
 */
#ifndef WF_ADMIN_REPLAY_INT_H
#define WF_ADMIN_REPLAY_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "admin_replay.h"
#include "admin_replay_kafka.h"
#include "admin_service.h"

#define ADMIN_REPLAY_STAGES_MAX 3

typedef struct {
    const wf_config_t *config;
    const admin_replay_args_t *args;
    char *const *common_argv;                     /* wf-admin's --config/--set, handed on */
    int topic;                                    /* index of the replayed topic */
    const char *live[ADMIN_REPLAY_TOPICS];        /* configured topic names */
    char replay[ADMIN_REPLAY_TOPICS][128];        /* replay.NAME.<key> */
    const admin_replay_stage_t *stages;           /* downstream services */
    size_t nstages;                               /* how many */
    char groups[ADMIN_REPLAY_STAGES_MAX][160];    /* replay.NAME.<service> */
    pid_t pids[ADMIN_REPLAY_STAGES_MAX];          /* running children, 0: none */
    char logs[ADMIN_REPLAY_STAGES_MAX][PATH_MAX]; /* their stdout/stderr */
    char state_dir[PATH_MAX - 32];                /* <state_dir>/replay/NAME */
    int32_t partitions;                           /* of the source topic */
    admin_copy_part_t *parts;                     /* per partition */
    PGconn *pg;
    admin_kafka_t *kafka;
} admin_replay_t;

/* Runs the stages over the replay topics in child processes until their groups have
 * committed everything, then stops them (on every path: no child outlives this call). Sets
 * r->state_dir. Returns 0, or WF_E… with the reason in errbuf. */
int admin_replay_process(admin_replay_t *r, char *errbuf, size_t errlen);

#endif
