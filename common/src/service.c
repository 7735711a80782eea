/* service.c — the start-up and housekeeping every wf-* program shares.
 *
 * Options are taken out of argv in one pass so each service parses only its own; configuration
 * is layered default < file < environment < --set; signals only set a flag.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

static volatile sig_atomic_t s_stop;

static void s_on_signal(int signo)
{
    (void)signo;
    s_stop = 1;
}

bool wf_service_stopping(void)
{
    return s_stop != 0;
}

void wf_service_request_stop(void)
{
    s_stop = 1;
}

static const char s_common_usage[] =
    "Common options:\n"
    "  --config FILE       deployment configuration (YAML); also $WF_CONFIG\n"
    "  --set KEY=VALUE     override one key (repeatable); see --print-config for keys\n"
    "  --log-level LEVEL   error | warn | notice | info | debug\n"
    "  --print-config      print the effective configuration and exit\n"
    "  -h, --help          this text\n";

/* mkdir -p; returns 0 or WF_EIO. */
static int s_make_dirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return WF_EIO;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return WF_EIO;
    return WF_OK;
}

static void s_install_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed peer is an error code, not a death */
}

/* Applies --set and --log-level in command-line order after file and environment. */
static int s_apply_overrides(wf_service_t *self, int argc, char **argv)
{
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *key = NULL, *value = NULL;
        char pair[1024];
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            snprintf(pair, sizeof pair, "%s", argv[++i]);
            char *eq = strchr(pair, '=');
            if (!eq) {
                fprintf(stderr, "%s: --set needs KEY=VALUE, got '%s'\n", self->name, pair);
                return WF_EINVAL;
            }
            *eq = '\0';
            key = pair;
            value = eq + 1;
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            key = "log.level";
            value = argv[++i];
        } else if (strcmp(argv[i], "--config") == 0) {
            i++;
        }
        if (key && wf_config_set(self->config, key, value, err, sizeof err) != WF_OK) {
            fprintf(stderr, "%s: %s\n", self->name, err);
            return WF_EINVAL;
        }
    }
    return WF_OK;
}

/* Moves the arguments that are not common options into self->argv. */
static int s_collect_rest(wf_service_t *self, int argc, char **argv, const char **config_path,
                          bool *print_config, bool *help)
{
    self->argv = calloc((size_t)argc + 1, sizeof *self->argv);
    if (!self->argv)
        return WF_ENOMEM;
    self->argv[self->argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool takes_value = strcmp(arg, "--config") == 0 || strcmp(arg, "--set") == 0 ||
                           strcmp(arg, "--log-level") == 0;
        if (takes_value && i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n", self->name, arg);
            return WF_EINVAL;
        }
        if (strcmp(arg, "--config") == 0)
            *config_path = argv[i + 1];
        if (takes_value)
            i++;
        else if (strcmp(arg, "--print-config") == 0)
            *print_config = true;
        else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            *help = true;
        else
            self->argv[self->argc++] = argv[i];
    }
    return WF_OK;
}

static int s_init(wf_service_t *self, const char *name, const char *usage, int argc, char **argv)
{
    memset(self, 0, sizeof *self);
    self->name = name;
    const char *config_path = getenv("WF_CONFIG");
    bool print_config = false, help = false;
    char err[512];
    int rc = s_collect_rest(self, argc, argv, &config_path, &print_config, &help);
    if (rc)
        return rc;
    if (help) {
        printf("usage: wf-%s [common options] %s\n%s", name, usage ? usage : "", s_common_usage);
        return 1;
    }
    if (!(self->config = wf_config_new()))
        return WF_ENOMEM;
    if (config_path && wf_config_load_file(self->config, config_path, err, sizeof err) != 0) {
        fprintf(stderr, "wf-%s: configuration: %s\n", name, err);
        return WF_EINVAL;
    }
    if (wf_config_load_env(self->config, err, sizeof err) != 0) {
        fprintf(stderr, "wf-%s: configuration: %s\n", name, err);
        return WF_EINVAL;
    }
    if ((rc = s_apply_overrides(self, argc, argv)) != WF_OK)
        return rc;
    if (print_config) {
        wf_config_print(self->config, stdout);
        return 1;
    }
    int level = wf_log_level_parse(wf_config_string(self->config, "log.level"));
    if (level < 0) {
        fprintf(stderr, "wf-%s: log.level must be error|warn|notice|info|debug\n", name);
        return WF_EINVAL;
    }
    const char *const *debug;
    size_t ndebug = wf_config_list(self->config, "log.debug", &debug);
    char categories[256] = "";
    for (size_t i = 0, at = 0; i < ndebug && at < sizeof categories; i++)
        at += (size_t)snprintf(categories + at, sizeof categories - at, "%s%s", i ? "," : "",
                               debug[i]);
    wf_log_init(name, (wf_log_level_t)level, categories);
    wf_log_set_syslog(wf_config_bool(self->config, "log.syslog"));
    s_install_signals();

    self->stats = wf_stats_new(name);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/stats", wf_config_string(self->config, "state_dir"));
    if (!self->stats || s_make_dirs(dir) != WF_OK) {
        wf_log_error("cannot create the stats directory dir=%s", dir);
        return WF_EIO;
    }
    const char *instance = wf_config_string(self->config, "instance");
    if (snprintf(self->stats_path, sizeof self->stats_path, "%s/%s%s%s.stats", dir, name,
                 instance[0] ? "@" : "", instance) >= (int)sizeof self->stats_path) {
        wf_log_error("state_dir is too long dir=%s", dir);
        return WF_EINVAL;
    }
    int64_t now = wf_clock_mono_us();
    self->next_snapshot_us = now + WF_US_PER_SEC;
    self->next_log_us = now + 30 * WF_US_PER_SEC;
    return WF_OK;
}

int wf_service_init(wf_service_t *self, const char *name, const char *usage, int argc, char **argv)
{
    int rc = s_init(self, name, usage, argc, argv);
    if (rc != WF_OK)
        wf_service_fini(self); /* --help, --print-config and errors end the program here */
    return rc;
}

void wf_service_tick(wf_service_t *self)
{
    int64_t now = wf_clock_mono_us();
    if (now < self->next_snapshot_us)
        return;
    self->next_snapshot_us = now + WF_US_PER_SEC;
    if (wf_stats_write_file(self->stats, self->stats_path) != WF_OK)
        wf_log_debug("stats", "cannot write the stats file path=%s", self->stats_path);
    if (now >= self->next_log_us) {
        self->next_log_us = now + 30 * WF_US_PER_SEC;
        wf_stats_log(self->stats);
    }
}

void wf_service_fini(wf_service_t *self)
{
    if (self->stats && self->stats_path[0])
        wf_stats_write_file(self->stats, self->stats_path);
    wf_stats_destroy(&self->stats);
    wf_config_destroy(&self->config);
    free(self->argv);
    self->argv = NULL;
    self->argc = 0;
}
