/* console_db.c — the PostgreSQL connection pool (see console_db.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wf/log.h>

#include "console_db.h"

struct console_db_t {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    PGconn **conns;
    bool *lent;
    size_t size;
};

console_db_t *console_db_new(const char *conninfo, size_t size, char *errbuf, size_t errlen)
{
    console_db_t *self = calloc(1, sizeof *self);
    if (!self || !(self->conns = calloc(size, sizeof *self->conns)) ||
        !(self->lent = calloc(size, sizeof *self->lent))) {
        snprintf(errbuf, errlen, "out of memory");
        console_db_destroy(&self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->freed, NULL);
    self->size = size;
    for (size_t i = 0; i < size; i++) {
        self->conns[i] = PQconnectdb(conninfo);
        if (PQstatus(self->conns[i]) != CONNECTION_OK) {
            snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s",
                     PQerrorMessage(self->conns[i]));
            console_db_destroy(&self);
            return NULL;
        }
        /* the console only reads and records workflow actions; no query should hold a worker
         * for long, and a runaway one must not starve the pool */
        PQclear(PQexec(self->conns[i], "SET statement_timeout = '10s'"));
        PQclear(PQexec(self->conns[i], "SET application_name = 'wf-console'"));
    }
    return self;
}

void console_db_destroy(console_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    console_db_t *self = *self_p;
    if (self->conns) {
        for (size_t i = 0; i < self->size; i++)
            PQfinish(self->conns[i]);
        pthread_mutex_destroy(&self->lock);
        pthread_cond_destroy(&self->freed);
    }
    free(self->conns);
    free(self->lent);
    free(self);
    *self_p = NULL;
}

PGconn *console_db_acquire(console_db_t *self, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    PGconn *conn = NULL;
    pthread_mutex_lock(&self->lock);
    for (;;) {
        for (size_t i = 0; i < self->size && !conn; i++)
            if (!self->lent[i]) {
                self->lent[i] = true;
                conn = self->conns[i];
            }
        if (conn || pthread_cond_timedwait(&self->freed, &self->lock, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&self->lock);
    if (conn && PQstatus(conn) != CONNECTION_OK) {
        PQreset(conn);
        if (PQstatus(conn) != CONNECTION_OK) {
            wf_log_warn("PostgreSQL unreachable error=\"%s\"", PQerrorMessage(conn));
            console_db_release(self, conn);
            return NULL;
        }
        PQclear(PQexec(conn, "SET statement_timeout = '10s'"));
        wf_log_notice("PostgreSQL connection re-established");
    }
    return conn;
}

void console_db_release(console_db_t *self, PGconn *conn)
{
    if (!conn)
        return;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->size; i++)
        if (self->conns[i] == conn)
            self->lent[i] = false;
    pthread_cond_signal(&self->freed);
    pthread_mutex_unlock(&self->lock);
}
