/* alert_webhook_body.c — the JSON body, signature, verdict and backoff of webhook deliveries.
 *
 * alert_webhook.c calls these from its thread for every attempt; keeping them free of curl and
 * libpq lets the unit test pin the exact bytes a receiver gets and the exact retry schedule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <wf/err.h>
#include <wf/id.h>

#include "alert_rules.h"
#include "alert_webhook_body.h"

static const char *s_dissemination_name(Wf__Dissemination value)
{
    static const char *const names[] = {"unspecified", "public", "law_enforcement", "agency_only",
                                        "restricted"};
    /* a value from a newer producer is treated as the most restrictive level */
    return (unsigned)value < sizeof names / sizeof *names ? names[value] : "restricted";
}

/* µs since the epoch as RFC 3339 UTC with microseconds; 0 → JSON null. */
static json_t *s_time(int64_t us)
{
    if (us == 0)
        return json_null();
    time_t seconds = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    long micros = (long)(us - (int64_t)seconds * 1000000);
    struct tm tm;
    if (!gmtime_r(&seconds, &tm))
        return json_null();
    char text[48];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return json_string(text);
}

/* Optional text: "" (proto3's absent) → null. Invalid UTF-8 cannot come from protobuf-c strings
 * that were packed by us, but json_string refuses it: null then too, rather than no body. */
static json_t *s_text(const char *text)
{
    json_t *value = text && *text ? json_string(text) : NULL;
    return value ? value : json_null();
}

static json_t *s_uuid(const ProtobufCBinaryData *id)
{
    if (id->len != WF_UUID_LEN)
        return json_null();
    char text[WF_UUID_STR_LEN];
    return json_string(wf_uuid_format(id->data, text));
}

static json_t *s_event_ids(const Wf__Alert *alert)
{
    json_t *ids = json_array();
    for (size_t i = 0; ids && i < alert->n_event_ids; i++)
        json_array_append_new(ids, s_uuid(&alert->event_ids[i]));
    return ids;
}

int alert_webhook_render_json(const Wf__Alert *alert, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (alert->alert_id.len != WF_UUID_LEN)
        return WF_EINVAL;
    json_t *body = json_object();
    if (!body)
        return WF_ENOMEM;
    json_t *location = json_null();
    if (alert->location)
        location = json_pack("{s:f,s:f}", "lon", alert->location->lon, "lat", alert->location->lat);
    /* json_object_set_new takes each value, NULL included (then it fails and we say ENOMEM) */
    int failed = 0;
    failed |= json_object_set_new(body, "alert_id", s_uuid(&alert->alert_id));
    failed |= json_object_set_new(body, "rule_id", s_text(alert->rule_id));
    failed |= json_object_set_new(
        body, "severity", json_string(alert_severity_name((alert_severity_t)alert->severity)));
    failed |= json_object_set_new(body, "title", s_text(alert->title));
    failed |= json_object_set_new(body, "message", s_text(alert->message));
    failed |= json_object_set_new(body, "kind", s_text(alert->kind));
    failed |= json_object_set_new(body, "occurred_at", s_time(alert->occurred_at_us));
    failed |= json_object_set_new(body, "raised_at", s_time(alert->raised_at_us));
    failed |= json_object_set_new(body, "location", location);
    failed |= json_object_set_new(body, "district", s_text(alert->district));
    failed |= json_object_set_new(body, "beat", s_text(alert->beat));
    failed |= json_object_set_new(body, "agency", s_text(alert->agency));
    failed |= json_object_set_new(body, "dissemination",
                                  json_string(s_dissemination_name(alert->dissemination)));
    failed |= json_object_set_new(body, "event_ids", s_event_ids(alert));
    failed |= json_object_set_new(body, "signal_id", s_uuid(&alert->signal_id));
    failed |= json_object_set_new(body, "dedupe_key", s_text(alert->dedupe_key));
    failed |= json_object_set_new(body, "window_start", s_time(alert->window_start_us));
    failed |= json_object_set_new(body, "match_count", json_integer(alert->match_count));
    failed |= json_object_set_new(body, "escalated", json_boolean(alert->escalated));
    char *text = failed ? NULL : json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    if (!text)
        return WF_ENOMEM;
    *out = text;
    *len = strlen(text);
    return WF_OK;
}

int alert_webhook_sign(const char *secret, int64_t timestamp_s, const char *body, size_t len,
                       char out[ALERT_WEBHOOK_SIGNATURE_LEN])
{
    out[0] = '\0';
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "%lld.", (long long)timestamp_s);
    /* EVP_MAC: the HMAC_CTX functions are deprecated in OpenSSL 3 */
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    unsigned char digest[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    int ok = ctx && EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) &&
             EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)prefix_len) &&
             EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
             EVP_MAC_final(ctx, digest, &mac_len, sizeof digest) && mac_len == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok)
        return WF_EIO;
    memcpy(out, "sha256=", 7);
    for (size_t i = 0; i < mac_len; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", digest[i]);
    return WF_OK;
}

alert_webhook_verdict_t alert_webhook_classify(long http_status)
{
    if (http_status >= 200 && http_status <= 299)
        return ALERT_WEBHOOK_DELIVERED;
    if (http_status == 0 || http_status == 408 || http_status == 425 || http_status == 429 ||
        http_status >= 500)
        return ALERT_WEBHOOK_RETRY;
    return ALERT_WEBHOOK_FINAL;
}

int64_t alert_webhook_backoff_us(const alert_webhook_backoff_t *backoff, int retry,
                                 int64_t retry_after_us, uint64_t random)
{
    int64_t pause = backoff->initial_us > 0 ? backoff->initial_us : 1;
    for (int i = 1; i < retry && pause < backoff->max_us; i++)
        pause *= 2;
    if (pause > backoff->max_us)
        pause = backoff->max_us;
    int64_t half = pause / 2;
    pause = half + (int64_t)(random % (uint64_t)(pause - half + 1));
    if (retry_after_us > pause)
        pause = retry_after_us < backoff->max_us ? retry_after_us : backoff->max_us;
    return pause;
}

char *alert_webhook_redact_url(const char *url, char *out, size_t len)
{
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    size_t authority_len = strcspn(authority, "/?#");
    const char *at = memchr(authority, '@', authority_len);
    const char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
    if (!colon) {
        snprintf(out, len, "%s", url);
        return out;
    }
    snprintf(out, len, "%.*s%s", (int)(colon - url), url, at);
    return out;
}
