/* ingest_profile_int.h — what the profile loader shares with the kind-rule loader.
 *
 * Private to ingest_profile.c and ingest_kinds.c: the loading state and the helpers that turn
 * YAML nodes into profile values with "file:line: reason" errors.
 */
#ifndef INGEST_PROFILE_INT_H
#define INGEST_PROFILE_INT_H

#include <stddef.h>

#include <libfyaml.h>

#include "ingest_profile.h"

/* Loading state: where errors go and where kept strings come from. */
typedef struct {
    const char *path;          /* file being read (profile or kinds file) */
    ingest_profile_t *profile; /* being filled */
    char *errbuf;              /* where the first problem is described */
    size_t errlen;             /* its size */
} ingest_loader_t;

/* Writes "path:line: reason" into the loader's errbuf; returns WF_EINVAL. */
int ingest_loader_fail(ingest_loader_t *loader, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1-based line of a scalar node; 0 for other nodes (use their key's line). */
int ingest_loader_line(struct fy_node *node);

/* Copy of a scalar's text in the profile arena; NULL when node is not a scalar. */
const char *ingest_loader_text(ingest_loader_t *loader, struct fy_node *node);

/* Parses a YAML file quietly; NULL with "file:line: reason" in the loader's errbuf. */
struct fy_document *ingest_loader_parse_file(ingest_loader_t *loader, const char *path);

/* kinds: an inline list of rules, or a file name relative to the profile. */
int ingest_kinds_load(ingest_loader_t *loader, struct fy_node *node, int line);

#endif
