/* config.h — one configuration per deployment, validated against a declarative key table.
 *
 * Every key Watchfloor understands is declared once (common/src/config_keys.c) with its type,
 * default, allowed range and a one-line doc; the commented example deploy/watchfloor.example.yaml
 * is generated from that table. Precedence: built-in default < YAML file < environment
 * (WF_SECTION_KEY, dots become underscores) < command line (--set key=value). Unknown keys are
 * rejected by name. Once loaded, a configuration is read-only; components take const pointers.
 */
#ifndef WF_CONFIG_H
#define WF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    WF_CONF_STRING,
    WF_CONF_PATH, /* relative paths in a file resolve against the file's directory */
    WF_CONF_INT,
    WF_CONF_DOUBLE,
    WF_CONF_BOOL,
    WF_CONF_DURATION, /* "250ms", "30s", "14d" */
    WF_CONF_LIST,     /* YAML sequence or comma-separated text */
} wf_config_type_t;

typedef struct {
    const char *key; /* dotted name, e.g. "pg.conninfo" */
    wf_config_type_t type;
    const char *default_value; /* text form, as it would be written in the file */
    double min;                /* numeric bounds (durations in seconds); min > max: unbounded */
    double max;
    const char *doc; /* one line: what it means, and its unit */
} wf_config_key_t;

typedef struct wf_config_t wf_config_t;

/* The key table, terminated by an entry with key == NULL. */
const wf_config_key_t *wf_config_keys(void);

/* A configuration holding the defaults. */
wf_config_t *wf_config_new(void);
void wf_config_destroy(wf_config_t **self_p);

/* Loads a YAML file (nested maps are flattened with dots). On error returns WF_EINVAL/WF_EIO
 * and writes "file:line: reason" into errbuf. */
int wf_config_load_file(wf_config_t *self, const char *path, char *errbuf, size_t errlen);

/* Applies WF_* environment variables that name known keys. */
int wf_config_load_env(wf_config_t *self, char *errbuf, size_t errlen);

/* Sets one key from text, validating type and range. */
int wf_config_set(wf_config_t *self, const char *key, const char *value, char *errbuf,
                  size_t errlen);

/* Typed accessors. The key must be declared (programmer error otherwise: assert). */
const char *wf_config_string(const wf_config_t *self, const char *key);
int64_t wf_config_int(const wf_config_t *self, const char *key);
double wf_config_double(const wf_config_t *self, const char *key);
bool wf_config_bool(const wf_config_t *self, const char *key);
int64_t wf_config_duration_us(const wf_config_t *self, const char *key);
/* Items of a list key; *items is borrowed and valid as long as the configuration. */
size_t wf_config_list(const wf_config_t *self, const char *key, const char *const **items);
/* The value of any key in its text form, as it would be written in the file. */
const char *wf_config_text(const wf_config_t *self, const char *key);
/* Where the value came from: "default", a file path, "env", "command line". */
const char *wf_config_origin(const wf_config_t *self, const char *key);

/* Writes every key with its value and origin (for --print-config). */
void wf_config_print(const wf_config_t *self, FILE *out);

/* Writes the fully commented example file generated from the key table. */
void wf_config_write_example(FILE *out);

#endif
