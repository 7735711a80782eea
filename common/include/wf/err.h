/* err.h — Watchfloor error codes.
 *
 * Functions that can fail return 0 on success or one of these negative codes (libuv style).
 * WF_EAGAIN is backpressure ("downstream full, try later"), never loss.
 */
#ifndef WF_ERR_H
#define WF_ERR_H

#include <stdbool.h>

enum {
    WF_OK = 0,
    WF_EINVAL = -1,    /* invalid argument or configuration */
    WF_ENOMEM = -2,    /* allocation failed */
    WF_EIO = -3,       /* I/O or database failure; usually retriable */
    WF_EAGAIN = -4,    /* backpressure: try again later */
    WF_ECLOSED = -5,   /* peer or object closed */
    WF_ENOTFOUND = -6, /* no such file, key, topic … */
    WF_EPARSE = -7,    /* malformed input */
    WF_ETIMEDOUT = -8, /* deadline passed */
    WF_EINTR = -9,     /* interrupted by a stop request */
    WF_EPROTO = -10,   /* protocol/schema violation (e.g. undecodable message) */
    WF_ERANGE = -11,   /* value outside its allowed range */
    WF_EEXIST = -12,   /* already exists / already running */
};

/* Name of an error code ("WF_EIO: input/output error"). Never NULL. */
const char *wf_strerror(int code);

/* True when retrying the same operation later may succeed (WF_EIO, WF_EAGAIN, WF_ETIMEDOUT). */
bool wf_err_is_retriable(int code);

/* Turns an errno value into a WF_E… code; call right after the failing call. */
int wf_err_from_errno(int errnum);

#endif
