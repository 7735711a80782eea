/* alert_cap.c — CAP 1.2 documents through libxml2's xmlTextWriter (escaping is libxml2's). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_cap.h"

#define S_CAP_NS "urn:oasis:names:tc:emergency:cap:1.2"

/* CAP's dateTime: "2026-11-27T04:59:00-00:00"; the schema forbids "Z". */
static void s_cap_time(int64_t us, char *buf, size_t len)
{
    time_t seconds = (time_t)(us / WF_US_PER_SEC);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, "-00:00");
}

static const char *s_severity(Wf__Severity severity)
{
    switch (severity) {
    case WF__SEVERITY__MINOR:
        return "Minor";
    case WF__SEVERITY__MODERATE:
        return "Moderate";
    case WF__SEVERITY__SEVERE:
        return "Severe";
    case WF__SEVERITY__EXTREME:
        return "Extreme";
    default:
        return "Unknown";
    }
}

/* What a Restricted message may be shown to, in words. */
static const char *s_restriction(Wf__Dissemination dissemination)
{
    switch (dissemination) {
    case WF__DISSEMINATION__LAW_ENFORCEMENT:
        return "law enforcement sensitive: sworn staff and partner agencies only";
    case WF__DISSEMINATION__AGENCY_ONLY:
        return "originating agency only";
    case WF__DISSEMINATION__RESTRICTED:
        return "named need-to-know only";
    default:
        return "not for public release";
    }
}

static bool s_element(xmlTextWriterPtr w, const char *name, const char *value)
{
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST(value ? value : "")) >= 0;
}

static bool s_parameter(xmlTextWriterPtr w, const char *name, const char *value)
{
    return value && value[0] ? xmlTextWriterStartElement(w, BAD_CAST "parameter") >= 0 &&
                                   s_element(w, "valueName", name) &&
                                   s_element(w, "value", value) && xmlTextWriterEndElement(w) >= 0
                             : true;
}

static bool s_area(xmlTextWriterPtr w, const alert_cap_config_t *config, const Wf__Alert *alert)
{
    char desc[200], circle[96];
    const char *district = alert->district && alert->district[0] ? alert->district : NULL;
    const char *beat = alert->beat && alert->beat[0] ? alert->beat : NULL;
    if (district && beat)
        snprintf(desc, sizeof desc, "District %s, beat %s", district, beat);
    else if (district)
        snprintf(desc, sizeof desc, "District %s", district);
    else
        snprintf(desc, sizeof desc, "%s", alert->location ? "Location of the event" : "Unknown");
    if (!(xmlTextWriterStartElement(w, BAD_CAST "area") >= 0 && s_element(w, "areaDesc", desc)))
        return false;
    if (alert->location) { /* CAP circles are "lat,lon radius_km" */
        snprintf(circle, sizeof circle, "%.6f,%.6f %.3f", alert->location->lat,
                 alert->location->lon, config->radius_km);
        if (!s_element(w, "circle", circle))
            return false;
    }
    return xmlTextWriterEndElement(w) >= 0;
}

static bool s_info(xmlTextWriterPtr w, const alert_cap_config_t *config, const Wf__Alert *alert,
                   const char *id_text)
{
    char onset[40], web[600];
    bool ok = xmlTextWriterStartElement(w, BAD_CAST "info") >= 0 &&
              s_element(w, "language", "en-US") && s_element(w, "category", "Security") &&
              s_element(w, "event", alert->kind && alert->kind[0] ? alert->kind : "incident") &&
              s_element(w, "urgency", "Immediate") &&
              s_element(w, "severity", s_severity(alert->severity)) &&
              s_element(w, "certainty", "Observed");
    if (ok && alert->occurred_at_us != 0) {
        s_cap_time(alert->occurred_at_us, onset, sizeof onset);
        ok = s_element(w, "onset", onset);
    }
    ok = ok && s_element(w, "senderName", "Watchfloor") &&
         s_element(w, "headline", alert->title && alert->title[0] ? alert->title : alert->rule_id);
    if (ok && alert->message && alert->message[0])
        ok = s_element(w, "description", alert->message);
    if (ok && config->web && config->web[0]) {
        size_t base = strlen(config->web);
        while (base > 0 && config->web[base - 1] == '/')
            base--;
        /* the console's UI opens the alert named in the fragment (no server route needed) */
        snprintf(web, sizeof web, "%.*s/#/alerts/%s", (int)base, config->web, id_text);
        ok = s_element(w, "web", web);
    }
    ok = ok && s_parameter(w, "watchfloor:rule", alert->rule_id) &&
         s_parameter(w, "watchfloor:dedupe_key", alert->dedupe_key) &&
         s_parameter(w, "watchfloor:agency", alert->agency);
    return ok && s_area(w, config, alert) && xmlTextWriterEndElement(w) >= 0;
}

int alert_cap_render(const alert_cap_config_t *config, const Wf__Alert *alert, char **out,
                     size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!config || !config->sender || !config->sender[0] || strpbrk(config->sender, " \t\r\n,<&") ||
        !(config->radius_km > 0) || !alert || alert->alert_id.len != WF_UUID_LEN)
        return WF_EINVAL;
    xmlBufferPtr buffer = xmlBufferCreate();
    xmlTextWriterPtr w = buffer ? xmlNewTextWriterMemory(buffer, 0) : NULL;
    if (!w) {
        xmlBufferFree(buffer);
        return WF_ENOMEM;
    }
    char id_text[WF_UUID_STR_LEN], identifier[64], sent[40];
    wf_uuid_format(alert->alert_id.data, id_text);
    snprintf(identifier, sizeof identifier, "watchfloor-%s", id_text);
    s_cap_time(alert->raised_at_us, sent, sizeof sent);
    bool public = alert->dissemination == WF__DISSEMINATION__PUBLIC;
    bool ok = xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) >= 0 &&
              xmlTextWriterStartElementNS(w, NULL, BAD_CAST "alert", BAD_CAST S_CAP_NS) >= 0 &&
              s_element(w, "identifier", identifier) && s_element(w, "sender", config->sender) &&
              s_element(w, "sent", sent) && s_element(w, "status", "Actual") &&
              s_element(w, "msgType", "Alert") &&
              s_element(w, "scope", public ? "Public" : "Restricted") &&
              (public || s_element(w, "restriction", s_restriction(alert->dissemination))) &&
              s_info(w, config, alert, id_text) && xmlTextWriterEndElement(w) >= 0 &&
              xmlTextWriterEndDocument(w) >= 0;
    xmlFreeTextWriter(w); /* flushes into buffer */
    if (ok) {
        size_t n = (size_t)xmlBufferLength(buffer);
        *out = malloc(n + 1);
        if (*out) {
            memcpy(*out, xmlBufferContent(buffer), n);
            (*out)[n] = '\0';
            *len = n;
        }
    }
    xmlBufferFree(buffer);
    return !ok ? WF_EINVAL : *out ? WF_OK : WF_ENOMEM;
}
