/* admin_replay_services.c — `wf-admin replay`'s downstream services, run as child processes.
 *
 * Each service runs with wf-admin's own --config/--set options plus overrides that point it at
 * the replay: topics.* → replay.NAME.*, kafka.group_prefix → replay.NAME. (fresh groups start
 * at the beginning of the replay topics), its own state_dir, instance NAME, and a pg.conninfo
 * whose options set search_path "NAME, public": writes land in NAME.*, while what a service
 * reads and NAME lacks (boundaries) comes from the live tables. The wait ends when every
 * group has committed all of its input, which services do only after their rows are stored and
 * their outputs flushed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/service.h>

#include "admin_replay_int.h"

#define S_WATCH_US     (500 * 1000)         /* between lag checks */
#define S_STABLE_TURNS 4                    /* lag 0 this many checks in a row: done */
#define S_PROGRESS_US  (10 * WF_US_PER_SEC) /* a progress line while waiting */
#define S_STOP_US      (30 * WF_US_PER_SEC) /* grace for a service to exit after SIGTERM */

/* pg.conninfo with "-c search_path=NAME,public" added to its options (URI or key=value). */
static char *s_conninfo(const char *conninfo, const char *name, char *errbuf, size_t errlen)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        admin_errorf(errbuf, errlen, "pg.conninfo: %s", err ? err : "out of memory");
        PQfreemem(err);
        return NULL;
    }
    /* every value at most doubles when escaped; keywords and quotes fit in the rest */
    size_t cap = strlen(conninfo) * 2 + 2048, at = 0;
    char *out = malloc(cap);
    bool had_options = false, truncated = false;
    for (PQconninfoOption *o = opts; out && o->keyword; o++) {
        bool is_options = strcmp(o->keyword, "options") == 0;
        if (!o->val && !is_options)
            continue;
        had_options = had_options || is_options;
        char value[1024];
        snprintf(value, sizeof value, "%s%s-c search_path=%s,public",
                 is_options && o->val ? o->val : "", is_options && o->val ? " " : "", name);
        const char *v = is_options ? value : o->val;
        at += (size_t)snprintf(out + at, cap - at, "%s%s='", at ? " " : "", o->keyword);
        for (; *v && at + 4 < cap; v++) {
            if (*v == '\'' || *v == '\\')
                out[at++] = '\\';
            out[at++] = *v;
        }
        truncated = truncated || *v;
        at += (size_t)snprintf(out + at, cap - at, "'");
    }
    PQconninfoFree(opts);
    if (!out || !had_options || truncated || at + 1 >= cap) {
        admin_errorf(errbuf, errlen, "pg.conninfo: cannot add the search_path option");
        free(out);
        return NULL;
    }
    return out;
}

/* ---- the services ----------------------------------------------------------------------- */

/* Path of wf-<service>: --bin-dir, else next to wf-admin (installed side by side), else the
 * build tree's layout (build/tools/wf-admin, build/services/<svc>/wf-<svc>). */
static int s_binary(const admin_replay_t *r, const char *service, char *path, size_t len)
{
    if (r->args->bin_dir) {
        snprintf(path, len, "%s/wf-%s", r->args->bin_dir, service);
        return access(path, X_OK) == 0 ? WF_OK : WF_ENOTFOUND;
    }
    char dir[PATH_MAX / 2];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, len, "%s/wf-%s", dir, service);
    if (access(path, X_OK) == 0)
        return WF_OK;
    snprintf(path, len, "%s/../services/%s/wf-%s", dir, service, service);
    return access(path, X_OK) == 0 ? WF_OK : WF_ENOTFOUND;
}

/* Starts one service. argv is built before fork(); the child only redirects its output, asks
 * to be stopped if wf-admin dies (so no service outlives the replay) and execs. */
static int s_spawn(admin_replay_t *r, size_t i, const char *conninfo, char *errbuf, size_t errlen)
{
    enum { FIXED = 2 * (ADMIN_REPLAY_TOPICS + 6) };
    char binary[PATH_MAX], sets[ADMIN_REPLAY_TOPICS + 6][PATH_MAX + 32];
    const char *service = r->stages[i].service;
    if (s_binary(r, service, binary, sizeof binary)) {
        admin_errorf(errbuf, errlen, "wf-%s not found (looked at %s; --bin-dir DIR names it)",
                     service, binary);
        return WF_ENOTFOUND;
    }
    size_t ncommon = 0;
    while (r->common_argv[ncommon])
        ncommon++;
    char **argv = calloc(ncommon + FIXED + 2, sizeof *argv);
    if (!argv)
        return WF_ENOMEM;
    size_t n = 0, s = 0;
    argv[n++] = binary;
    for (size_t k = 0; k < ncommon; k++)
        argv[n++] = r->common_argv[k];
    for (int t = 0; t < ADMIN_REPLAY_TOPICS; t++)
        snprintf(sets[s++], sizeof sets[0], "topics.%s=%s", admin_replay_topic_keys[t],
                 r->replay[t]);
    snprintf(sets[s++], sizeof sets[0], "kafka.group_prefix=replay.%s.", r->args->name);
    snprintf(sets[s++], sizeof sets[0], "kafka.create_topics=false"); /* made or checked */
    snprintf(sets[s++], sizeof sets[0], "state_dir=%s", r->state_dir);
    snprintf(sets[s++], sizeof sets[0], "instance=%s", r->args->name);
    /* a replay's alerts were (or will be) posted by the live pipeline: never again from here */
    snprintf(sets[s++], sizeof sets[0], "alert.webhook.urls=");
    for (size_t k = 0; k < s; k++) {
        argv[n++] = "--set";
        argv[n++] = sets[k];
    }
    char *pg_set = malloc(strlen(conninfo) + 16);
    if (pg_set)
        sprintf(pg_set, "pg.conninfo=%s", conninfo);
    argv[n++] = "--set";
    argv[n++] = pg_set;
    snprintf(r->logs[i], sizeof r->logs[i], "%s/%s.log", r->state_dir, service);
    int fd = open(r->logs[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t parent = getpid(), pid = fd >= 0 && pg_set ? fork() : -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(binary, argv);
        _exit(127);
    }
    int saved = errno;
    if (fd >= 0)
        close(fd);
    free(pg_set);
    free(argv);
    if (pid < 0) {
        admin_errorf(errbuf, errlen, "cannot start wf-%s: %s", service, strerror(saved));
        return WF_EIO;
    }
    r->pids[i] = pid;
    return WF_OK;
}

/* SIGTERM to every child, then waits; one that does not exit in S_STOP_US is killed. Returns
 * 0 when every child exited with status 0. */
static int s_stop_services(admin_replay_t *r, char *errbuf, size_t errlen)
{
    int rc = WF_OK;
    for (size_t i = 0; i < r->nstages; i++)
        if (r->pids[i] > 0)
            kill(r->pids[i], SIGTERM);
    int64_t deadline = wf_clock_mono_us() + S_STOP_US;
    for (size_t i = 0; i < r->nstages; i++) {
        int status = 0;
        while (r->pids[i] > 0 && waitpid(r->pids[i], &status, WNOHANG) == 0) {
            if (wf_clock_mono_us() > deadline) {
                kill(r->pids[i], SIGKILL);
                waitpid(r->pids[i], &status, 0);
                break;
            }
            wf_clock_sleep_us(20 * 1000);
        }
        if (r->pids[i] > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !rc) {
            admin_errorf(errbuf, errlen, "wf-%s did not stop cleanly (log %s)",
                         r->stages[i].service, r->logs[i]);
            rc = WF_EIO;
        }
        r->pids[i] = 0;
    }
    return rc;
}

/* Waits until every replay group has committed all of its input topics, S_STABLE_TURNS checks
 * in a row. Groups are read upstream first: once enrich has committed, everything it published
 * is in the enriched topic (services flush before they commit), so a later zero for spatial
 * really covers it. */
static int s_watch(admin_replay_t *r, char *errbuf, size_t errlen)
{
    int64_t next_progress = wf_clock_mono_us() + S_PROGRESS_US;
    for (int stable = 0; stable < S_STABLE_TURNS;) {
        wf_clock_sleep_us(S_WATCH_US);
        if (wf_service_stopping()) {
            admin_errorf(errbuf, errlen, "interrupted");
            return WF_EINTR;
        }
        for (size_t i = 0; i < r->nstages; i++) {
            int status;
            if (waitpid(r->pids[i], &status, WNOHANG) == r->pids[i]) {
                r->pids[i] = 0;
                admin_errorf(errbuf, errlen, "wf-%s exited (status %d) before the end (log %s)",
                             r->stages[i].service, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                             r->logs[i]);
                return WF_EIO;
            }
        }
        char progress[256] = "";
        int64_t total = 0;
        for (size_t i = 0, at = 0; i < r->nstages; i++) {
            const char *topics[2];
            for (int t = 0; t < r->stages[i].ninputs; t++)
                topics[t] = r->replay[r->stages[i].inputs[t]];
            int64_t lag = 0;
            int rc =
                admin_kafka_group_lag(r->kafka, r->groups[i], topics, (size_t)r->stages[i].ninputs,
                                      r->partitions, &lag, errbuf, errlen);
            if (rc)
                return rc;
            total += lag;
            at += (size_t)snprintf(progress + at, sizeof progress - at, " %s=%lld",
                                   r->stages[i].service, (long long)lag);
        }
        stable = total == 0 ? stable + 1 : 0;
        if (wf_clock_mono_us() > next_progress) {
            fprintf(stderr, "replay %s: messages not yet processed:%s\n", r->args->name, progress);
            next_progress = wf_clock_mono_us() + S_PROGRESS_US;
        }
    }
    return WF_OK;
}

/* mkdir -p: the configured state_dir may not exist yet where wf-admin runs. */
static int s_mkdirs(char *path)
{
    for (char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
        if (slash)
            *slash = '\0';
        int failed = mkdir(path, 0755) != 0 && errno != EEXIST;
        if (slash)
            *slash = '/';
        if (failed)
            return WF_EIO;
        if (!slash)
            return WF_OK;
    }
}

/* Runs the services over the replay topics until they are done; stops them on every path. */
int admin_replay_process(admin_replay_t *r, char *errbuf, size_t errlen)
{
    snprintf(r->state_dir, sizeof r->state_dir, "%s/replay/%s",
             wf_config_string(r->config, "state_dir"), r->args->name);
    if (s_mkdirs(r->state_dir)) {
        admin_errorf(errbuf, errlen, "cannot create %s: %s", r->state_dir, strerror(errno));
        return WF_EIO;
    }
    char *conninfo =
        s_conninfo(wf_config_string(r->config, "pg.conninfo"), r->args->name, errbuf, errlen);
    int rc = conninfo ? WF_OK : WF_EINVAL;
    for (size_t i = 0; !rc && i < r->nstages; i++)
        rc = s_spawn(r, i, conninfo, errbuf, errlen);
    if (!rc)
        rc = s_watch(r, errbuf, errlen);
    char stop_error[512] = "";
    int stopped = s_stop_services(r, stop_error, sizeof stop_error);
    if (!rc && stopped) {
        rc = stopped;
        admin_errorf(errbuf, errlen, "%s", stop_error);
    }
    free(conninfo);
    return rc;
}
