/* bench_sse.h — `wf-bench sse`: ingest → console (SSE) latency, measured as a client. */
#ifndef WF_BENCH_SSE_H
#define WF_BENCH_SSE_H

/* argv[1] is "sse". Returns the exit status. */
int bench_sse(int argc, char **argv);

#endif
