/* main.c — wf-admin: migrations, boundaries, geofences, NIBRS tables, hot lists, tokens,
 * configuration, dead letters, Kafka replay.
 *
 * The one command-line tool next to the services. Common options (--config, --set KEY=VALUE,
 * --log-level, --print-config) are handled by wf_service_init like in every wf-* program; the
 * command and its own options follow. Exit status: 0 done, 1 failed, 2 bad command line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <wf/config.h>
#include <wf/log.h>
#include <wf/service.h>

#include "admin_replay.h"
#include "admin_service.h"
#include "admin_token.h"

/* wf_service_init prints "usage: wf-admin [common options] " before this. */
static const char *s_usage =
    "COMMAND [options]\n"
    "commands:\n"
    "  migrate                       apply the schema migrations built into wf-admin\n"
    "  load-boundaries --set NAME --jurisdiction J --effective-from YYYY-MM-DD\n"
    "      --layer beat|district|jurisdiction --code-field F [--parent-field F]\n"
    "      [--name-field F] [--pad N] [--parent-pad N] [--origin TEXT] [--description TEXT]\n"
    "      FILE.geojson[.xz]         replace one layer of a boundary set\n"
    "  geofence import --name-property P [--description-property D] [--agency A]\n"
    "      FILE.geojson[.xz]         add or replace geofences (one per distinct name)\n"
    "  geofence list                 the geofences alert rules can name\n"
    "  geofence remove NAME          delete one geofence\n"
    "  dead-letters [--source S] [--limit N]   list the newest dead letters\n"
    "  nibrs load --offense-types FILE --kinds FILE\n"
    "                                load the FBI NIBRS offense table and the kind crosswalk\n"
    "  nibrs agency-codes AGENCY FILE.csv   replace an agency's offense code -> NIBRS table\n"
    "  hotlist import LIST FILE.csv [--type plate|person] [--append]\n"
    "                                load a hot list (a snapshot: entries not in FILE go)\n"
    "  hotlist list [LIST]           the lists, or one list's entries\n"
    "  hotlist remove LIST [VALUE…]  remove a list, or some of its entries\n"
    "  config example|print          the commented example file / the effective values\n"
    "  replay --topic normalized|enriched|signals [--from TIME] [--to TIME]\n"
    "      [--offsets [P:]FROM-[TO][,…]] --into NAME [--keep] [--bin-dir DIR]\n"
    "                                reprocess a range of a Kafka topic into schema NAME\n"
    "  replay --drop NAME            remove a replay's schema and topics\n"
    "  token create --name NAME [--role R] [--agency A]... [--expires 90d] [--note T]\n"
    "                                a console bearer token (printed once, stored hashed)\n"
    "  token list | token revoke NAME\n"
    "Common options may also follow the command; there, --set NAME (no '=') names the\n"
    "boundary set and --set KEY=VALUE stays a configuration override.\n";

static int s_usage_error(const char *reason)
{
    fprintf(stderr, "wf-admin: %s (wf-admin --help shows the commands)\n", reason);
    return 2;
}

static int s_config(const wf_service_t *svc, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "example") == 0) {
        wf_config_write_example(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "print") == 0) {
        wf_config_print(svc->config, stdout);
        return 0;
    }
    return s_usage_error("config needs 'example' or 'print'");
}

/* Parses the command's own arguments; returns 0 or non-zero with the reason in errbuf. */
static int s_parse(const admin_cmdline_t *cmdline, admin_load_args_t *load,
                   admin_deadletter_args_t *dead, admin_reference_args_t *reference,
                   admin_geofence_args_t *fence, char *errbuf, size_t errlen)
{
    if (strcmp(cmdline->command, "nibrs") == 0)
        return admin_nibrs_args_parse(cmdline->argc, cmdline->argv, reference, errbuf, errlen);
    if (strcmp(cmdline->command, "hotlist") == 0)
        return admin_hotlist_args_parse(cmdline->argc, cmdline->argv, reference, errbuf, errlen);
    if (strcmp(cmdline->command, "geofence") == 0)
        return admin_geofence_args_parse(cmdline->argc, cmdline->argv, fence, errbuf, errlen);
    if (strcmp(cmdline->command, "load-boundaries") == 0)
        return admin_load_args_parse(cmdline->argc, cmdline->argv, load, errbuf, errlen);
    if (strcmp(cmdline->command, "dead-letters") == 0)
        return admin_deadletter_args_parse(cmdline->argc, cmdline->argv, dead, errbuf, errlen);
    if (cmdline->argc > 1) {
        snprintf(errbuf, errlen, "%s takes no arguments", cmdline->command);
        return -1;
    }
    return 0;
}

/* Runs a database command. Arguments and the input file are checked before connecting, so a
 * typo or a bad file costs no connection and changes nothing. */
static int s_database(const wf_service_t *svc, const admin_cmdline_t *cmdline)
{
    char errbuf[1024] = "";
    const char *command = cmdline->command;
    bool loading = strcmp(command, "load-boundaries") == 0;
    bool fencing = strcmp(command, "geofence") == 0;
    admin_load_args_t load = {0};
    admin_deadletter_args_t dead = {0};
    admin_reference_args_t reference = {0};
    admin_geofence_args_t fence = {0};
    admin_features_t *features = NULL;
    if (s_parse(cmdline, &load, &dead, &reference, &fence, errbuf, sizeof errbuf))
        return s_usage_error(errbuf);
    admin_feature_spec_t spec = {load.code_field, load.parent_field, load.name_field, load.pad,
                                 load.parent_pad};
    /* a geofence's name is read like a boundary's code (unpadded), its description like a name */
    admin_feature_spec_t fence_spec = {fence.name_property, NULL, fence.description_property, 0, 0};
    bool importing = fencing && strcmp(fence.action, "import") == 0;
    if ((loading && !(features = admin_geojson_load(load.file, &spec, errbuf, sizeof errbuf))) ||
        (importing &&
         !(features = admin_geojson_load(fence.file, &fence_spec, errbuf, sizeof errbuf)))) {
        wf_log_error("%s failed: %s", command, errbuf);
        return 1;
    }
    int rc = -1;
    PGconn *pg = admin_pg_connect(svc->config, errbuf, sizeof errbuf);
    if (pg && strcmp(command, "migrate") == 0)
        rc = admin_migrate(pg, stdout, errbuf, sizeof errbuf);
    else if (pg && loading)
        rc = admin_boundaries_load(pg, &load, features, stdout, errbuf, sizeof errbuf);
    else if (pg && strcmp(command, "nibrs") == 0 && strcmp(reference.action, "load") == 0)
        rc = admin_nibrs_load(pg, &reference, stdout, errbuf, sizeof errbuf);
    else if (pg && strcmp(command, "nibrs") == 0)
        rc = admin_nibrs_agency_codes(pg, &reference, stdout, errbuf, sizeof errbuf);
    else if (pg && strcmp(command, "hotlist") == 0)
        rc = admin_hotlist_run(pg, &reference, stdout, errbuf, sizeof errbuf);
    else if (pg && importing)
        rc = admin_geofences_import(pg, &fence, features, stdout, errbuf, sizeof errbuf);
    else if (pg && fencing && strcmp(fence.action, "list") == 0)
        rc = admin_geofences_list(pg, stdout, errbuf, sizeof errbuf);
    else if (pg && fencing)
        rc = admin_geofences_remove(pg, fence.name, stdout, errbuf, sizeof errbuf);
    else if (pg)
        rc = admin_dead_letters_list(pg, &dead, stdout, errbuf, sizeof errbuf);
    if (rc)
        wf_log_error("%s failed: %s", command, errbuf);
    PQfinish(pg);
    admin_features_destroy(&features);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    admin_cmdline_t cmdline;
    char errbuf[512];
    if (admin_cmdline_split(argc, argv, &cmdline, errbuf, sizeof errbuf))
        return s_usage_error(errbuf);
    wf_service_t svc;
    int rc = wf_service_init(&svc, "admin", s_usage, cmdline.common_argc, cmdline.common_argv);
    const char *command = cmdline.command ? cmdline.command : "";
    if (rc != 0)
        rc = rc == 1 ? 0 : 2; /* --help / --print-config, or a bad common option */
    else if (strcmp(command, "config") == 0)
        rc = s_config(&svc, cmdline.argc, cmdline.argv);
    else if (strcmp(command, "token") == 0)
        rc = admin_token_main(svc.config, cmdline.argc, cmdline.argv);
    else if (strcmp(command, "replay") == 0)
        rc = admin_replay_main(svc.config, cmdline.common_argv + 1, cmdline.argc, cmdline.argv);
    else if (strcmp(command, "migrate") == 0 || strcmp(command, "load-boundaries") == 0 ||
             strcmp(command, "dead-letters") == 0 || strcmp(command, "nibrs") == 0 ||
             strcmp(command, "hotlist") == 0 || strcmp(command, "geofence") == 0)
        rc = s_database(&svc, &cmdline);
    else {
        snprintf(errbuf, sizeof errbuf, "%s%s", *command ? "unknown command " : "missing command",
                 command);
        rc = s_usage_error(errbuf);
    }
    wf_service_fini(&svc);
    admin_cmdline_fini(&cmdline);
    return rc;
}
