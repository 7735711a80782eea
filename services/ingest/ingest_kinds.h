/* ingest_kinds.h — the Watchfloor kind vocabulary and a profile's kind rules.
 *
 * Every event gets one kind from a fixed vocabulary (deploy/profiles/README.md) that alert rules
 * and spatial products rely on. A profile's kinds: section is an ordered list of rules: the
 * first whose conditions (fnmatch patterns over mapped fields, agency, source) all hold gives
 * the kind; the last rule has no condition and is the default.
 */
#ifndef INGEST_KINDS_H
#define INGEST_KINDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest_profile.h"
#include "ingest_record.h"

/* The vocabulary; *count receives its length. */
const char *const *ingest_kinds_vocabulary(size_t *count);

/* True when kind is in the vocabulary. */
bool ingest_kinds_is_known(const char *kind);

/* The kind profile's rules give to these field values (agency and source are the profile's).
 * Never NULL: loading guarantees a default rule. */
const char *ingest_kinds_match(const ingest_profile_t *profile,
                               const char *const value[INGEST_FIELD_COUNT]);

#endif
