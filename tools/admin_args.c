/* admin_args.c — wf-admin's command lines, parsed without side effects.
 *
 * wf-admin shares the common options of every wf-* program (wf_service_init parses them), but
 * its commands have options of their own, and load-boundaries' --set NAME collides with the
 * common --set KEY=VALUE. So the command line is split first: common options go to
 * wf_service_init, the rest to the command's parser. A hand-written loop rather than getopt
 * keeps the parsers re-entrant, which the unit tests rely on.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "admin.h"

void admin_errorf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errbuf && errlen)
        vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* Common options that take a value; "--opt=value" forms carry it inline. */
static bool s_is_common_with_value(const char *arg)
{
    return strcmp(arg, "--config") == 0 || strcmp(arg, "--set") == 0 ||
           strcmp(arg, "--log-level") == 0;
}

static bool s_is_common_inline(const char *arg)
{
    return strncmp(arg, "--config=", 9) == 0 || strncmp(arg, "--set=", 6) == 0 ||
           strncmp(arg, "--log-level=", 12) == 0;
}

int admin_cmdline_split(int argc, char **argv, admin_cmdline_t *cmdline, char *errbuf,
                        size_t errlen)
{
    memset(cmdline, 0, sizeof *cmdline);
    cmdline->common_argv = calloc((size_t)argc + 1, sizeof(char *));
    cmdline->argv = calloc((size_t)argc + 1, sizeof(char *));
    if (!cmdline->common_argv || !cmdline->argv) {
        admin_cmdline_fini(cmdline);
        return WF_ENOMEM;
    }
    cmdline->common_argv[cmdline->common_argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool after = cmdline->command != NULL;
        if (s_is_common_with_value(arg)) {
            if (i + 1 >= argc) {
                admin_errorf(errbuf, errlen, "option %s needs a value", arg);
                goto fail;
            }
            /* after the command, "--set NAME" (no '=') is load-boundaries' set name */
            if (after && strcmp(arg, "--set") == 0 && !strchr(argv[i + 1], '=')) {
                cmdline->argv[cmdline->argc++] = argv[i];
                cmdline->argv[cmdline->argc++] = argv[++i];
                continue;
            }
            cmdline->common_argv[cmdline->common_argc++] = argv[i];
            cmdline->common_argv[cmdline->common_argc++] = argv[++i];
        } else if (s_is_common_inline(arg) || strcmp(arg, "--print-config") == 0 ||
                   strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            cmdline->common_argv[cmdline->common_argc++] = argv[i];
        } else if (after) {
            cmdline->argv[cmdline->argc++] = argv[i];
        } else if (arg[0] == '-') {
            admin_errorf(errbuf, errlen, "unknown option %s", arg);
            goto fail;
        } else {
            cmdline->command = arg;
            cmdline->argv[cmdline->argc++] = argv[i];
        }
    }
    return WF_OK;
fail:
    admin_cmdline_fini(cmdline);
    return WF_EINVAL;
}

void admin_cmdline_fini(admin_cmdline_t *cmdline)
{
    if (!cmdline)
        return;
    free(cmdline->common_argv);
    free(cmdline->argv);
    memset(cmdline, 0, sizeof *cmdline);
}

/* Matches "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past the value. Returns 1
 * on a match, 0 when argv[*i] is another option, -1 when the value is missing. */
static int s_take(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

/* Parses a small non-negative integer option value. */
static int s_parse_count(const char *text, int min, int max, int *out)
{
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (!*text || *end || !isdigit((unsigned char)text[0]) || value < min || value > max)
        return WF_ERANGE;
    *out = (int)value;
    return WF_OK;
}

typedef struct {
    const char *name;   /* option spelling, "--layer" */
    const char **value; /* where its text goes */
} s_option_t;

/* One pass over argv with a table of text options; numeric options are converted after. */
static int s_parse_options(int argc, char **argv, const s_option_t *options, char *errbuf,
                           size_t errlen, const char **positional)
{
    for (int i = 1; i < argc; i++) {
        int matched = 0;
        for (const s_option_t *o = options; o->name && !matched; o++) {
            matched = s_take(argc, argv, &i, o->name, o->value);
            if (matched < 0) {
                admin_errorf(errbuf, errlen, "option %s needs a value", o->name);
                return WF_EINVAL;
            }
        }
        if (matched)
            continue;
        if (argv[i][0] == '-' || !positional || *positional) {
            admin_errorf(errbuf, errlen, "%s: unexpected argument %s", argv[0], argv[i]);
            return WF_EINVAL;
        }
        *positional = argv[i];
    }
    return WF_OK;
}

static int s_check_load_args(const admin_load_args_t *args, char *errbuf, size_t errlen)
{
    const char *missing = !args->boundary_set     ? "--set NAME"
                          : !args->jurisdiction   ? "--jurisdiction"
                          : !args->effective_from ? "--effective-from"
                          : !args->layer          ? "--layer"
                          : !args->code_field     ? "--code-field"
                          : !args->file           ? "FILE.geojson[.xz]"
                                                  : NULL;
    if (missing) {
        admin_errorf(errbuf, errlen, "load-boundaries: missing %s", missing);
        return WF_EINVAL;
    }
    if (!*args->boundary_set || !*args->code_field) {
        admin_errorf(errbuf, errlen, "load-boundaries: --set and --code-field must not be empty");
        return WF_EINVAL;
    }
    if (!admin_date_is_valid(args->effective_from)) {
        admin_errorf(errbuf, errlen,
                     "load-boundaries: --effective-from '%s' is not a YYYY-MM-DD date",
                     args->effective_from);
        return WF_EINVAL;
    }
    if (strcmp(args->layer, "beat") != 0 && strcmp(args->layer, "district") != 0 &&
        strcmp(args->layer, "jurisdiction") != 0) {
        admin_errorf(errbuf, errlen,
                     "load-boundaries: --layer '%s' is not beat, district or "
                     "jurisdiction",
                     args->layer);
        return WF_EINVAL;
    }
    return WF_OK;
}

int admin_load_args_parse(int argc, char **argv, admin_load_args_t *args, char *errbuf,
                          size_t errlen)
{
    memset(args, 0, sizeof *args);
    const char *pad = NULL, *parent_pad = NULL;
    const s_option_t options[] = {
        {"--set", &args->boundary_set},
        {"--boundary-set", &args->boundary_set},
        {"--jurisdiction", &args->jurisdiction},
        {"--effective-from", &args->effective_from},
        {"--description", &args->description},
        {"--layer", &args->layer},
        {"--code-field", &args->code_field},
        {"--parent-field", &args->parent_field},
        {"--name-field", &args->name_field},
        {"--origin", &args->origin},
        {"--pad", &pad},
        {"--parent-pad", &parent_pad},
        {NULL, NULL},
    };
    int rc = s_parse_options(argc, argv, options, errbuf, errlen, &args->file);
    if (rc)
        return rc;
    if (pad && s_parse_count(pad, 0, 32, &args->pad)) {
        admin_errorf(errbuf, errlen, "load-boundaries: --pad '%s' is not 0 to 32", pad);
        return WF_EINVAL;
    }
    if (parent_pad && s_parse_count(parent_pad, 0, 32, &args->parent_pad)) {
        admin_errorf(errbuf, errlen, "load-boundaries: --parent-pad '%s' is not 0 to 32",
                     parent_pad);
        return WF_EINVAL;
    }
    return s_check_load_args(args, errbuf, errlen);
}

int admin_deadletter_args_parse(int argc, char **argv, admin_deadletter_args_t *args, char *errbuf,
                                size_t errlen)
{
    memset(args, 0, sizeof *args);
    args->limit = 20;
    const char *limit = NULL;
    const s_option_t options[] = {
        {"--source", &args->source},
        {"--limit", &limit},
        {NULL, NULL},
    };
    int rc = s_parse_options(argc, argv, options, errbuf, errlen, NULL);
    if (rc)
        return rc;
    if (limit && s_parse_count(limit, 1, 1000000, &args->limit)) {
        admin_errorf(errbuf, errlen, "dead-letters: --limit '%s' is not 1 to 1000000", limit);
        return WF_EINVAL;
    }
    return WF_OK;
}

int admin_nibrs_args_parse(int argc, char **argv, admin_reference_args_t *args, char *errbuf,
                           size_t errlen)
{
    memset(args, 0, sizeof *args);
    args->action = argc > 1 ? argv[1] : "";
    if (strcmp(args->action, "load") == 0) {
        const s_option_t options[] = {
            {"--offense-types", &args->offense_types},
            {"--kinds", &args->kinds},
            {NULL, NULL},
        };
        int rc = s_parse_options(argc - 1, argv + 1, options, errbuf, errlen, NULL);
        if (rc)
            return rc;
        if (!args->offense_types || !args->kinds) {
            admin_errorf(errbuf, errlen, "nibrs load: missing %s",
                         args->offense_types ? "--kinds FILE" : "--offense-types FILE");
            return WF_EINVAL;
        }
        return WF_OK;
    }
    if (strcmp(args->action, "agency-codes") == 0) {
        if (argc != 4 || argv[2][0] == '-' || argv[3][0] == '-' || !*argv[2]) {
            admin_errorf(errbuf, errlen, "nibrs agency-codes needs AGENCY FILE.csv");
            return WF_EINVAL;
        }
        args->agency = argv[2];
        args->file = argv[3];
        return WF_OK;
    }
    admin_errorf(errbuf, errlen, "nibrs needs 'load' or 'agency-codes'");
    return WF_EINVAL;
}

/* hotlist import LIST FILE [--type T] [--append] */
static int s_hotlist_import_args(int argc, char **argv, admin_reference_args_t *args, char *errbuf,
                                 size_t errlen)
{
    const char *positional[2] = {NULL, NULL};
    int npositional = 0;
    args->type = "plate";
    for (int i = 2; i < argc; i++) {
        int matched = s_take(argc, argv, &i, "--type", &args->type);
        if (matched < 0) {
            admin_errorf(errbuf, errlen, "option --type needs a value");
            return WF_EINVAL;
        }
        if (matched)
            continue;
        if (strcmp(argv[i], "--append") == 0)
            args->append = true;
        else if (argv[i][0] == '-' || npositional == 2) {
            admin_errorf(errbuf, errlen, "hotlist import: unexpected argument %s", argv[i]);
            return WF_EINVAL;
        } else
            positional[npositional++] = argv[i];
    }
    if (npositional != 2 || !*positional[0]) {
        admin_errorf(errbuf, errlen, "hotlist import needs LIST FILE.csv");
        return WF_EINVAL;
    }
    if (strcmp(args->type, "plate") != 0 && strcmp(args->type, "person") != 0) {
        admin_errorf(errbuf, errlen, "hotlist import: --type '%s' is not plate or person",
                     args->type);
        return WF_EINVAL;
    }
    args->list = positional[0];
    args->file = positional[1];
    return WF_OK;
}

int admin_hotlist_args_parse(int argc, char **argv, admin_reference_args_t *args, char *errbuf,
                             size_t errlen)
{
    memset(args, 0, sizeof *args);
    args->action = argc > 1 ? argv[1] : "";
    for (int i = 2; i < argc && strcmp(args->action, "import") != 0; i++)
        if (argv[i][0] == '-') {
            admin_errorf(errbuf, errlen, "hotlist %s: unexpected option %s", args->action, argv[i]);
            return WF_EINVAL;
        }
    if (strcmp(args->action, "import") == 0)
        return s_hotlist_import_args(argc, argv, args, errbuf, errlen);
    if (strcmp(args->action, "list") == 0 && argc <= 3) {
        args->list = argc == 3 ? argv[2] : NULL;
        return WF_OK;
    }
    if (strcmp(args->action, "remove") == 0 && argc >= 3 && *argv[2]) {
        args->list = argv[2];
        args->values = argv + 3;
        args->nvalues = argc - 3;
        return WF_OK;
    }
    admin_errorf(errbuf, errlen,
                 "hotlist needs 'import LIST FILE', 'list [LIST]' or 'remove LIST [VALUE…]'");
    return WF_EINVAL;
}

int admin_geofence_args_parse(int argc, char **argv, admin_geofence_args_t *args, char *errbuf,
                              size_t errlen)
{
    memset(args, 0, sizeof *args);
    args->action = argc > 1 ? argv[1] : "";
    const s_option_t import_options[] = {
        {"--name-property", &args->name_property},
        {"--description-property", &args->description_property},
        {"--agency", &args->agency},
        {NULL, NULL},
    };
    const s_option_t no_options[] = {{NULL, NULL}};
    int rc;
    if (strcmp(args->action, "import") == 0) {
        rc = s_parse_options(argc - 1, argv + 1, import_options, errbuf, errlen, &args->file);
        const char *missing = rc                                              ? NULL
                              : !args->file                                   ? "FILE.geojson[.xz]"
                              : !args->name_property || !*args->name_property ? "--name-property P"
                                                                              : NULL;
        if (missing) {
            admin_errorf(errbuf, errlen, "geofence import: missing %s", missing);
            rc = WF_EINVAL;
        }
    } else if (strcmp(args->action, "list") == 0) {
        rc = s_parse_options(argc - 1, argv + 1, no_options, errbuf, errlen, NULL);
    } else if (strcmp(args->action, "remove") == 0) {
        rc = s_parse_options(argc - 1, argv + 1, no_options, errbuf, errlen, &args->name);
        if (!rc && (!args->name || !*args->name)) {
            admin_errorf(errbuf, errlen, "geofence remove: missing NAME");
            rc = WF_EINVAL;
        }
    } else {
        if (*args->action)
            admin_errorf(errbuf, errlen, "geofence: unknown action '%s' (import, list, remove)",
                         args->action);
        else
            admin_errorf(errbuf, errlen, "geofence: missing action (import, list, remove)");
        rc = WF_EINVAL;
    }
    return rc;
}

bool admin_date_is_valid(const char *text)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
            return false;
    int year = atoi(text), month = atoi(text + 5), day = atoi(text + 8);
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1] || year < 1)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return !(month == 2 && day == 29 && !leap);
}

int admin_code_pad(const char *code, int width, char *out, size_t outlen)
{
    while (isspace((unsigned char)*code))
        code++;
    size_t len = strlen(code);
    while (len && isspace((unsigned char)code[len - 1]))
        len--;
    if (len == 0)
        return WF_EINVAL;
    bool digits = true;
    for (size_t i = 0; i < len; i++)
        digits = digits && isdigit((unsigned char)code[i]);
    size_t zeros = digits && width > 0 && len < (size_t)width ? (size_t)width - len : 0;
    if (zeros + len + 1 > outlen)
        return WF_ERANGE;
    memset(out, '0', zeros);
    memcpy(out + zeros, code, len);
    out[zeros + len] = '\0';
    return WF_OK;
}
