/* console_client.c — wf-console under test: start, tokens, HTTP (see console_client.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "console_client.h"

bool console_client_start(harness_t *h, char *url, size_t len)
{
    char path[400];
    snprintf(path, sizeof path, "%s/web", h->dir);
    mkdir(path, 0755);
    if (harness_start_service(h, "console") <= 0)
        return false;
    snprintf(path, sizeof path, "%s/state/console.url", h->dir);
    /* the URL is written once the server listens, just after the bus subscriptions */
    for (int tries = 0; tries < (int)(500 * h->timeout_multiplier); tries++) {
        FILE *in = fopen(path, "r");
        if (in) {
            bool ok = fgets(url, (int)len, in) != NULL;
            fclose(in);
            url[strcspn(url, "\r\n")] = '\0';
            if (ok && url[0])
                return true;
        }
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "console_client: wf-console wrote no %s\n", path);
    harness_dump_log(h, "console");
    return false;
}

/* Runs wf-admin with args; stdout into out (may be NULL). Returns its exit status or -1. */
static int s_admin(harness_t *h, const char *const *args, char *out, size_t len)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        const char *argv[16] = {harness_binary("tools/wf-admin"), "--config", h->config};
        int n = 3;
        for (; *args && n < 15; args++)
            argv[n++] = *args;
        argv[n] = NULL;
        dup2(pipefd[1], 1);
        int quiet = open("/dev/null", O_WRONLY);
        dup2(quiet, 2);
        close(pipefd[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    char sink[256];
    ssize_t n;
    while ((n = read(pipefd[0], out && used + 1 < len ? out + used : sink,
                     out && used + 1 < len ? len - used - 1 : sizeof sink)) > 0)
        if (out && used + 1 < len)
            used += (size_t)n;
    close(pipefd[0]);
    if (out)
        out[used] = '\0';
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char *console_client_token(harness_t *h, const char *name, const char *role,
                                 const char *agency)
{
    static char token[128];
    const char *args[] = {
        "token", "create", "--name", name, "--role", role, agency ? "--agency" : NULL,
        agency,  NULL};
    if (s_admin(h, args, token, sizeof token) != 0) {
        fprintf(stderr, "console_client: wf-admin token create --name %s failed\n", name);
        return NULL;
    }
    token[strcspn(token, "\r\n")] = '\0';
    return token;
}

bool console_client_revoke(harness_t *h, const char *name)
{
    const char *args[] = {"token", "revoke", name, NULL};
    return s_admin(h, args, NULL, 0) == 0;
}

static size_t s_body(char *data, size_t size, size_t count, void *userdata)
{
    console_response_t *response = userdata;
    size_t n = size * count;
    char *grown = realloc(response->body, response->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + response->len, data, n);
    response->body = grown;
    response->len += n;
    response->body[response->len] = '\0';
    return n;
}

static size_t s_header(char *data, size_t size, size_t count, void *userdata)
{
    console_response_t *response = userdata;
    size_t n = size * count;
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(n < 255 ? n : 255), data);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "Retry-After:", 12) == 0)
        snprintf(response->retry_after, sizeof response->retry_after, "%.31s", line + 13);
    else if (strncasecmp(line, "Content-Type:", 13) == 0)
        snprintf(response->content_type, sizeof response->content_type, "%.127s", line + 14);
    else if (strncasecmp(line, "WWW-Authenticate:", 17) == 0)
        response->www_authenticate = true;
    return n;
}

void console_request(const char *url, const char *method, const char *path, const char *token,
                     const char *body, long timeout_ms, console_response_t *response)
{
    memset(response, 0, sizeof *response);
    response->body = calloc(1, 1);
    CURL *curl = curl_easy_init();
    char full[4096], auth[256];
    /* url ends with '/', paths start with one */
    snprintf(full, sizeof full, "%.*s%s", (int)strlen(url) - 1, url, path);
    struct curl_slist *headers = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        headers = curl_slist_append(headers, auth);
    }
    if (body)
        headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, full);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, response);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    /* a stream cut by our own timeout still has a status and what arrived */
    if (rc == CURLE_OK || rc == CURLE_OPERATION_TIMEDOUT)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    else
        fprintf(stderr, "console_client: %s %s: %s\n", method, path, curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
}

void console_response_clear(console_response_t *response)
{
    free(response->body);
    response->body = NULL;
    response->len = 0;
}

json_t *console_get_json(const char *url, const char *path, const char *token, long expected)
{
    console_response_t response;
    console_request(url, "GET", path, token, NULL, 0, &response);
    json_error_t error;
    json_t *value = json_loadb(response.body, response.len, 0, &error);
    if (response.status != expected || !value) {
        fprintf(stderr, "console_client: GET %s: status %ld (expected %ld): %.300s\n", path,
                response.status, expected, response.body);
        json_decref(value);
        value = NULL;
    }
    console_response_clear(&response);
    return value;
}

int console_walk_pages(const char *url, const char *path, const char *token, int limit,
                       const char *id_property, char (*ids)[37], int max)
{
    char page_path[4096];
    snprintf(page_path, sizeof page_path, "%s", path);
    int count = 0;
    for (int pages = 0; pages < 10000; pages++) {
        json_t *page = console_get_json(url, page_path, token, 200);
        if (!page)
            return -1;
        json_t *features = json_object_get(page, "features");
        size_t i;
        json_t *feature;
        if (!json_is_array(features) || json_array_size(features) > (size_t)limit) {
            fprintf(stderr, "console_client: %s: page %d has no features or more than %d\n", path,
                    pages, limit);
            json_decref(page);
            return -1;
        }
        json_array_foreach(features, i, feature)
        {
            const char *id = json_string_value(
                json_object_get(json_object_get(feature, "properties"), id_property));
            if (!id || count == max) {
                json_decref(page);
                fprintf(stderr, "console_client: %s: feature without %s\n", path, id_property);
                return -1;
            }
            snprintf(ids[count++], 37, "%s", id);
        }
        const char *next = json_string_value(json_object_get(page, "next"));
        if (!next) {
            json_decref(page);
            return count;
        }
        snprintf(page_path, sizeof page_path, "%s&cursor=%s", path, next);
        json_decref(page);
    }
    return -1;
}
