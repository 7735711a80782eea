/* bench_sink.h — wf-bench http-sink: a local webhook endpoint for scripts/bench --webhook. */
#ifndef WF_BENCH_SINK_H
#define WF_BENCH_SINK_H

/* wf-bench http-sink --mode dead|live --port-file FILE: listens on 127.0.0.1 (ephemeral port,
 * written to FILE once listening) until SIGTERM. dead: accepts every connection, reads and
 * discards what arrives, never answers; live: answers each request 200 and closes. Prints the
 * requests and connections seen when it stops. Returns the exit status. */
int bench_http_sink(int argc, char **argv);

#endif
