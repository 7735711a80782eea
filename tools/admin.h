/* admin.h — wf-admin's pure parts: command lines, the migration plan, GeoJSON boundaries.
 *
 * Nothing declared here touches the database: the command-line parsers, the ordering and
 * checksumming of the embedded migrations, the decision which of them to apply, code padding
 * and the GeoJSON (optionally .xz) boundary reader compile and test without PostgreSQL. The
 * database glue is declared in admin_service.h.
 */
#ifndef WF_ADMIN_H
#define WF_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

/* ---- command line (admin_args.c) --------------------------------------------------------- */

/* Formats a reason into errbuf (which may be NULL); every wf-admin part reports this way. */
void admin_errorf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct {
    const char *command; /* "migrate", "load-boundaries", "config", "dead-letters"; NULL: none */
    int common_argc;     /* argv[0] and the common options, for wf_service_init */
    char **common_argv;  /* NULL-terminated, owned array of borrowed strings */
    int argc;            /* the command's own arguments; argv[0] is the command name */
    char **argv;         /* NULL-terminated, owned array of borrowed strings */
} admin_cmdline_t;

/* Splits argv into the common options (--config F, --set K=V, --log-level L, --print-config,
 * --help) and the command's own arguments. The common options may stand before or after the
 * command, except that after it a --set whose value has no '=' belongs to the command
 * (load-boundaries' set name) rather than being a KEY=VALUE override.
 * Returns 0, or WF_EINVAL with a reason (unknown option before the command, missing value). */
int admin_cmdline_split(int argc, char **argv, admin_cmdline_t *cmdline, char *errbuf,
                        size_t errlen);

/* Frees the arrays split created (not the strings, which stay argv's). NULL-safe. */
void admin_cmdline_fini(admin_cmdline_t *cmdline);

typedef struct {
    const char *boundary_set;   /* --set / --boundary-set: e.g. "chicago-2012-12" */
    const char *jurisdiction;   /* --jurisdiction: e.g. "Chicago" */
    const char *effective_from; /* --effective-from: YYYY-MM-DD */
    const char *description;    /* --description, NULL when not given */
    const char *layer;          /* --layer: beat | district | jurisdiction */
    const char *code_field;     /* --code-field: feature property holding the code */
    const char *parent_field;   /* --parent-field, NULL: boundaries get no parent code */
    const char *name_field;     /* --name-field, NULL: boundaries get no name */
    const char *origin;         /* --origin, NULL: the file's base name */
    int pad;                    /* --pad: zero-pad numeric codes to this many digits (0: off) */
    int parent_pad;             /* --parent-pad: the same for parent codes */
    const char *file;           /* FILE.geojson or FILE.geojson.xz */
} admin_load_args_t;

/* Parses load-boundaries' arguments (argv[0] is the command name). Returns 0, or WF_EINVAL
 * naming the bad or missing option. */
int admin_load_args_parse(int argc, char **argv, admin_load_args_t *args, char *errbuf,
                          size_t errlen);

typedef struct {
    const char *source; /* --source: only this feed, NULL: all */
    int limit;          /* --limit: newest N (default 20) */
} admin_deadletter_args_t;

/* Parses dead-letters' arguments. Returns 0 or WF_EINVAL with a reason. */
int admin_deadletter_args_parse(int argc, char **argv, admin_deadletter_args_t *args, char *errbuf,
                                size_t errlen);

/* Arguments of `nibrs` and `hotlist` (argv[0] is the command name, argv[1] the action). */
typedef struct {
    const char *action;        /* nibrs: load | agency-codes; hotlist: import | list | remove */
    const char *offense_types; /* nibrs load --offense-types FILE */
    const char *kinds;         /* nibrs load --kinds FILE */
    const char *agency;        /* nibrs agency-codes AGENCY */
    const char *list;          /* hotlist import|list|remove LIST (list: NULL = every list) */
    const char *file;          /* the CSV file (plain or .xz) */
    const char *type;          /* hotlist import --type plate|person (default plate) */
    bool append;               /* hotlist import --append: keep entries not in the file */
    char **values;             /* hotlist remove LIST VALUE…: borrowed from argv */
    int nvalues;
} admin_reference_args_t;

/* Parses `nibrs load --offense-types FILE --kinds FILE` and `nibrs agency-codes AGENCY FILE`.
 * Returns 0 or WF_EINVAL with a reason. */
int admin_nibrs_args_parse(int argc, char **argv, admin_reference_args_t *args, char *errbuf,
                           size_t errlen);

/* Parses `hotlist import LIST FILE [--type plate|person] [--append]`, `hotlist list [LIST]` and
 * `hotlist remove LIST [VALUE…]`. Returns 0 or WF_EINVAL with a reason. */
int admin_hotlist_args_parse(int argc, char **argv, admin_reference_args_t *args, char *errbuf,
                             size_t errlen);

typedef struct {
    const char *action;               /* "import", "list" or "remove" */
    const char *file;                 /* import: FILE.geojson[.xz] */
    const char *name_property;        /* import --name-property: feature property naming it */
    const char *description_property; /* import --description-property, NULL: none */
    const char *agency;               /* import --agency, NULL: none */
    const char *name;                 /* remove: the geofence */
} admin_geofence_args_t;

/* Parses `geofence import|list|remove …` (argv[0] is "geofence"). Returns 0, or WF_EINVAL
 * naming the missing action, option or argument. */
int admin_geofence_args_parse(int argc, char **argv, admin_geofence_args_t *args, char *errbuf,
                              size_t errlen);

/* True when text is a real calendar date written YYYY-MM-DD. */
bool admin_date_is_valid(const char *text);

/* Writes code zero-padded to width digits when it is all digits and shorter ("7" → "007" for
 * width 3); other codes ("31A", longer ones) are copied unchanged; surrounding blanks are
 * dropped. Returns 0, WF_EINVAL for an empty code, WF_ERANGE when out is too small. */
int admin_code_pad(const char *code, int width, char *out, size_t outlen);

/* ---- migrations (admin_migrations.c) ----------------------------------------------------- */

typedef struct {
    const char *file; /* "0001_initial.sql" */
    const char *sql;  /* the file's text, NUL-terminated */
    size_t length;    /* bytes of sql without the NUL */
} admin_migration_src_t;

/* The migrations embedded at build time from deploy/migrations/ (generated source). */
extern const admin_migration_src_t admin_migrations_embedded[];
extern const size_t admin_migrations_embedded_count;

typedef struct {
    int version;       /* NNNN of NNNN_name.sql */
    char name[128];    /* name without the .sql */
    const char *file;  /* borrowed from the source */
    const char *sql;   /* borrowed from the source */
    size_t length;     /* bytes of sql */
    char checksum[24]; /* "crc64:" + 16 hex digits of the exact bytes */
} admin_migration_t;

typedef struct {
    int version;          /* schema_migrations.version */
    const char *name;     /* schema_migrations.name */
    const char *checksum; /* schema_migrations.checksum */
} admin_applied_t;

/* Writes the checksum recorded for a migration's text into out (>= 24 bytes). */
void admin_migration_checksum(const char *sql, size_t length, char *out, size_t outlen);

/* Parses "NNNN_name.sql" into version and name. Returns 0 or WF_EINVAL. */
int admin_migration_parse_name(const char *file, int *version, char *name, size_t namelen);

/* Builds the plan from n sources: names parsed, checksums computed, sorted by version. out has
 * room for n. Returns 0, or WF_EINVAL naming the file with a bad name or a duplicate version. */
int admin_migrations_plan(const admin_migration_src_t *src, size_t n, admin_migration_t *out,
                          char *errbuf, size_t errlen);

/* Line (1-based) of a 1-based character position in UTF-8 sql, as PostgreSQL reports the
 * position of a statement error; 0 when the position is outside the text. */
int admin_migration_line(const char *sql, size_t length, long position);

/* Decides what to apply: pending[i] is set for each plan entry not yet applied. An applied
 * migration whose checksum differs, or a pending one older than the newest applied one, is
 * WF_EINVAL naming the file. *unknown counts applied versions the plan does not have (a newer
 * wf-admin applied them). */
int admin_migrations_pending(const admin_migration_t *plan, size_t n,
                             const admin_applied_t *applied, size_t napplied, bool *pending,
                             size_t *unknown, char *errbuf, size_t errlen);

/* ---- GeoJSON boundaries (admin_geojson.c) ------------------------------------------------ */

typedef struct {
    const char *code_field;   /* property with the code (required) */
    const char *parent_field; /* property with the parent code, NULL: none */
    const char *name_field;   /* property with the name, NULL: none */
    int pad;                  /* zero-pad width of codes, 0: off */
    int parent_pad;           /* zero-pad width of parent codes, 0: off */
} admin_feature_spec_t;

typedef struct {
    size_t index;      /* position in the file's features array (0-based) */
    char *code;        /* padded code */
    char *parent_code; /* padded parent code, NULL when no parent field */
    char *name;        /* NULL when no name field or the feature lacks it */
    char *geometry;    /* the GeoJSON geometry as compact text */
    char *properties;  /* the feature's properties as compact JSON text */
} admin_feature_t;

typedef struct {
    admin_feature_t *items; /* count features in file order */
    size_t count;
} admin_features_t;

/* Reads a FeatureCollection from path (decompressed on the fly when the name ends in .xz).
 * Returns NULL with a reason in errbuf: unreadable or corrupt file, malformed JSON (with line
 * and column), a feature without the code field or a Polygon/MultiPolygon geometry (naming the
 * feature index). */
admin_features_t *admin_geojson_load(const char *path, const admin_feature_spec_t *spec,
                                     char *errbuf, size_t errlen);

/* The same from JSON text in memory. */
admin_features_t *admin_geojson_parse(const char *text, const admin_feature_spec_t *spec,
                                      char *errbuf, size_t errlen);

/* Number of distinct codes among the features. */
size_t admin_features_distinct_codes(const admin_features_t *features);

void admin_features_destroy(admin_features_t **self_p);

#endif
