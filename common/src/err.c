/* err.c — names for WF_E… codes and the errno boundary. */
#include <errno.h>

#include <wf/err.h>

const char *wf_strerror(int code)
{
    switch (code) {
    case WF_OK:
        return "WF_OK: success";
    case WF_EINVAL:
        return "WF_EINVAL: invalid argument";
    case WF_ENOMEM:
        return "WF_ENOMEM: out of memory";
    case WF_EIO:
        return "WF_EIO: input/output error";
    case WF_EAGAIN:
        return "WF_EAGAIN: try again (backpressure)";
    case WF_ECLOSED:
        return "WF_ECLOSED: closed";
    case WF_ENOTFOUND:
        return "WF_ENOTFOUND: not found";
    case WF_EPARSE:
        return "WF_EPARSE: malformed input";
    case WF_ETIMEDOUT:
        return "WF_ETIMEDOUT: timed out";
    case WF_EINTR:
        return "WF_EINTR: interrupted";
    case WF_EPROTO:
        return "WF_EPROTO: protocol error";
    case WF_ERANGE:
        return "WF_ERANGE: out of range";
    case WF_EEXIST:
        return "WF_EEXIST: already exists";
    default:
        return "unknown error";
    }
}

bool wf_err_is_retriable(int code)
{
    return code == WF_EIO || code == WF_EAGAIN || code == WF_ETIMEDOUT;
}

int wf_err_from_errno(int errnum)
{
    switch (errnum) {
    case 0:
        return WF_OK;
    case ENOMEM:
        return WF_ENOMEM;
    case EINVAL:
        return WF_EINVAL;
    case ENOENT:
        return WF_ENOTFOUND;
    case EEXIST:
        return WF_EEXIST;
    case EAGAIN:
        return WF_EAGAIN;
    case EINTR:
        return WF_EINTR;
    case ETIMEDOUT:
        return WF_ETIMEDOUT;
    case ERANGE:
        return WF_ERANGE;
    case EPIPE:
    case ECONNRESET:
        return WF_ECLOSED;
    default:
        return WF_EIO;
    }
}
