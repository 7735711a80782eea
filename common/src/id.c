/* id.c — deterministic UUIDv5 identifiers in Watchfloor's namespace (libuuid). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include <wf/err.h>
#include <wf/id.h>

/* Watchfloor's UUID namespace: UUIDv5(DNS namespace, "watchfloor.dev"), fixed forever. */
static const char s_namespace_text[] = "fa1995bc-b304-5ec3-983a-b0bf06332de7";

void wf_id_derive(wf_uuid_t *out, const char *domain, const char *const *parts, size_t count)
{
    static uuid_t ns;
    static int ns_ready;
    if (!ns_ready) {
        uuid_parse(s_namespace_text, ns);
        ns_ready = 1;
    }
    char stack[1024];
    size_t need = strlen(domain) + 1;
    for (size_t i = 0; i < count; i++)
        need += strlen(parts[i]) + 1;
    char *name = need <= sizeof stack ? stack : malloc(need);
    if (!name) { /* fall back to a truncated, still deterministic name */
        name = stack;
        need = sizeof stack;
    }
    size_t at = 0;
    size_t len = strlen(domain);
    memcpy(name + at, domain, len);
    at += len;
    for (size_t i = 0; i < count; i++) {
        len = strlen(parts[i]);
        if (at + 1 + len > need)
            len = need > at + 1 ? need - at - 1 : 0;
        name[at++] = '\x1f';
        memcpy(name + at, parts[i], len);
        at += len;
    }
    uuid_generate_sha1(out->bytes, ns, name, at);
    if (name != stack)
        free(name);
}

void wf_id_event(wf_uuid_t *out, const char *agency, const char *source_record_id,
                 const char *revision)
{
    const char *parts[] = {agency, source_record_id, revision ? revision : ""};
    wf_id_derive(out, "event", parts, 3);
}

char *wf_uuid_format(const uint8_t bytes[WF_UUID_LEN], char *out)
{
    uuid_unparse_lower(bytes, out);
    return out;
}

int wf_uuid_parse(const char *text, wf_uuid_t *out)
{
    return uuid_parse(text, out->bytes) == 0 ? WF_OK : WF_EINVAL;
}
