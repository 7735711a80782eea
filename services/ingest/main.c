/* main.c — wf-ingest: incident files → normalised events and dead letters.
 *
 * Arguments → configuration (wf_service_init) → service → run → destroy in reverse order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>
#include <wf/service.h>

#include "ingest.h"

static const char s_usage[] =
    "[--rate EVENTS_PER_S] [--order time|file] --profile P FILE... [--profile P2 FILE...]\n"
    "  --profile P     mapping profile (deploy/profiles/) for the FILEs after it\n"
    "  FILE            .csv, .csv.xz, .ndjson, .ndjson.xz, or - for stdin\n"
    "  --order time    read every file first, publish by occurred time (default for files)\n"
    "  --order file    publish in reading order as records arrive (default for stdin)\n"
    "  --rate N        publish at most N events per second; 0 (default): as fast as taken\n";

/* Splits the service arguments into options; inputs is allocated (caller frees). */
static int s_parse(int argc, char **argv, ingest_options_t *options, ingest_input_t **inputs)
{
    *inputs = calloc((size_t)argc, sizeof **inputs);
    if (!*inputs)
        return WF_ENOMEM;
    ingest_input_t *current = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--profile") == 0 && has_value) {
            current = &(*inputs)[options->input_count++];
            current->profile = argv[++i];
            current->files = (const char *const *)&argv[i + 1];
        } else if (strcmp(arg, "--rate") == 0 && has_value) {
            char *end;
            options->rate = strtod(argv[++i], &end);
            if (*end || !(options->rate >= 0 && options->rate < 1e9)) {
                fprintf(stderr, "wf-ingest: --rate needs a number of events per second\n");
                return WF_EINVAL;
            }
        } else if (strcmp(arg, "--order") == 0 && has_value) {
            const char *order = argv[++i];
            options->order = !strcmp(order, "time")   ? INGEST_ORDER_TIME
                             : !strcmp(order, "file") ? INGEST_ORDER_FILE
                                                      : INGEST_ORDER_DEFAULT;
            if (options->order == INGEST_ORDER_DEFAULT) {
                fprintf(stderr, "wf-ingest: --order is time or file, not '%s'\n", order);
                return WF_EINVAL;
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "wf-ingest: unknown option or missing value: %s\n", arg);
            return WF_EINVAL;
        } else if (!current) {
            fprintf(stderr, "wf-ingest: %s: name a --profile before the files it maps\n", arg);
            return WF_EINVAL;
        } else if (current->files + current->file_count != (const char *const *)&argv[i]) {
            fprintf(stderr, "wf-ingest: %s: options go before --profile, files after it\n", arg);
            return WF_EINVAL;
        } else {
            current->file_count++;
        }
    }
    for (size_t i = 0; i < options->input_count; i++) {
        if ((*inputs)[i].file_count == 0) {
            fprintf(stderr, "wf-ingest: --profile %s has no files\n", (*inputs)[i].profile);
            return WF_EINVAL;
        }
    }
    if (options->input_count == 0) {
        fprintf(stderr, "wf-ingest: nothing to read; see --help\n");
        return WF_EINVAL;
    }
    options->inputs = *inputs;
    return WF_OK;
}

int main(int argc, char **argv)
{
    wf_service_t svc;
    int rc = wf_service_init(&svc, "ingest", s_usage, argc, argv);
    if (rc == 1)
        return 0;
    if (rc < 0)
        return 2;
    ingest_options_t options = {.order = INGEST_ORDER_DEFAULT};
    ingest_input_t *inputs = NULL;
    int status = 2;
    ingest_service_t *service = NULL;
    if (s_parse(svc.argc, svc.argv, &options, &inputs) != WF_OK)
        goto cleanup;
    char err[512];
    if (!(service = ingest_service_new(&svc, &options, err, sizeof err))) {
        fprintf(stderr, "wf-ingest: %s\n", err);
        goto cleanup;
    }
    status = ingest_service_run(service) == WF_OK ? 0 : 1;
cleanup:
    ingest_service_destroy(&service);
    free(inputs);
    wf_service_fini(&svc);
    return status;
}
