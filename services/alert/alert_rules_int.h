/* alert_rules_int.h — what alert_rules.c (file and rule structure) and alert_rules_keys.c
 * (one parser per rule key) share. Only those two files include it.
 */
#ifndef ALERT_RULES_INT_H
#define ALERT_RULES_INT_H

#include <stddef.h>

#include <libfyaml.h>

#include "alert_rules.h"

/* State of one load: where errors go and which keys the current rule has. */
typedef struct {
    const char *name; /* file name used in messages */
    char *errbuf;     /* where the one error goes */
    size_t errlen;    /* its size */
    unsigned seen;    /* bit per key-table entry present in the current rule */
} alert_rules_ctx_t;

typedef struct alert_rules_key_t alert_rules_key_t;

/* Parses value (the node after "key:" on line) into rule; reports through ctx. */
typedef int (*alert_rules_parse_fn)(alert_rules_ctx_t *ctx, alert_rule_t *rule,
                                    struct fy_node *value, int line, const alert_rules_key_t *key);

/* One key a rule may have. */
struct alert_rules_key_t {
    const char *name;           /* key as written in the file */
    alert_rules_parse_fn parse; /* stores the value into the rule */
    alert_field_t field;        /* for condition keys: the subject field tested */
};

/* Writes "name:line: reason" into the error buffer; returns WF_EINVAL. */
int alert_rules_fail(alert_rules_ctx_t *ctx, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1-based line of a node; for collections the line of their first scalar; fallback if none. */
int alert_rules_line(struct fy_node *node, int fallback);

/* Text of a scalar node, or NULL after reporting "'what' expects a single value". */
const char *alert_rules_scalar(alert_rules_ctx_t *ctx, struct fy_node *value, int line,
                               const char *what);

/* Replaces *out with a copy of text. Returns 0 or WF_ENOMEM. */
int alert_rules_dup(char **out, const char *text);

/* The key table: entry i (NULL past the end), and lookup by name (sets *index). */
const alert_rules_key_t *alert_rules_key_at(size_t i);
const alert_rules_key_t *alert_rules_key_find(const char *name, size_t *index);

#endif
