/* test_cap.c — alerts rendered as CAP 1.2 are valid against the OASIS schema
 * (data/reference/cap/cap12.xsd, through libxml2) and say what the alert says: identifier from the
 * alert id, severity, scope by dissemination, times with a numeric zone, escaped text, a circle
 * at the alert's point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_cap.h"

static xmlSchemaPtr s_schema;

static int s_setup(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/data/reference/cap/cap12.xsd", WF_SOURCE_DIR);
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path);
    s_schema = parser ? xmlSchemaParse(parser) : NULL;
    xmlSchemaFreeParserCtxt(parser);
    return s_schema ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    xmlSchemaFree(s_schema);
    xmlCleanupParser();
    return 0;
}

/* Parses xml, validates it against the CAP schema (failing the test otherwise). */
static xmlDocPtr s_valid_doc(const char *xml, size_t len)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "cap.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(s_schema);
    assert_non_null(valid);
    int rc = xmlSchemaValidateDoc(valid, doc);
    xmlSchemaFreeValidCtxt(valid);
    if (rc != 0)
        fail_msg("CAP document not valid against cap12.xsd (%d):\n%s", rc, xml);
    return doc;
}

/* The text of the first node at xpath (in the cap: namespace), or "" when none. */
static void s_text(xmlDocPtr doc, const char *xpath, char *buf, size_t len)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "cap", BAD_CAST "urn:oasis:names:tc:emergency:cap:1.2");
    xmlXPathObjectPtr result = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
    buf[0] = '\0';
    if (result && result->nodesetval && result->nodesetval->nodeNr > 0) {
        xmlChar *text = xmlNodeGetContent(result->nodesetval->nodeTab[0]);
        snprintf(buf, len, "%s", (const char *)text);
        xmlFree(text);
    }
    xmlXPathFreeObject(result);
    xmlXPathFreeContext(ctx);
}

typedef struct {
    Wf__Alert alert;
    Wf__Point point;
    wf_uuid_t id;
} s_alert_t;

static void s_alert(s_alert_t *a, Wf__Severity severity, Wf__Dissemination dissemination,
                    bool located)
{
    wf__alert__init(&a->alert);
    const char *parts[] = {"homicide_district_007", "district:007", "1490000000000000"};
    wf_id_derive(&a->id, "alert", parts, 3);
    a->alert.alert_id.data = a->id.bytes;
    a->alert.alert_id.len = WF_UUID_LEN;
    a->alert.rule_id = "homicide_district_007";
    a->alert.severity = severity;
    a->alert.dedupe_key = "district:007";
    a->alert.kind = "homicide";
    a->alert.district = "007";
    a->alert.beat = "0713";
    a->alert.title = "Homicide in beat 0713 <Englewood> & \"nearby\"";
    a->alert.message = "Second homicide in 24 h — district 007";
    a->alert.raised_at_us = INT64_C(1490000123) * WF_US_PER_SEC;
    a->alert.occurred_at_us = INT64_C(1490000000) * WF_US_PER_SEC;
    a->alert.agency = "CPD";
    a->alert.dissemination = dissemination;
    if (located) {
        wf__point__init(&a->point);
        a->point.lon = -87.6431;
        a->point.lat = 41.7802;
        a->alert.location = &a->point;
    }
}

static const alert_cap_config_t s_config = {"watchfloor@cpd.example.org",
                                            "https://console.example.org", 0.4};

static void test_every_severity_and_dissemination_is_valid(void **state)
{
    (void)state;
    const Wf__Severity severities[] = {WF__SEVERITY__SEVERITY_UNSPECIFIED, WF__SEVERITY__MINOR,
                                       WF__SEVERITY__MODERATE, WF__SEVERITY__SEVERE,
                                       WF__SEVERITY__EXTREME};
    const char *words[] = {"Unknown", "Minor", "Moderate", "Severe", "Extreme"};
    const Wf__Dissemination disseminations[] = {
        WF__DISSEMINATION__DISSEMINATION_UNSPECIFIED, WF__DISSEMINATION__PUBLIC,
        WF__DISSEMINATION__LAW_ENFORCEMENT, WF__DISSEMINATION__AGENCY_ONLY,
        WF__DISSEMINATION__RESTRICTED};
    for (size_t s = 0; s < 5; s++)
        for (size_t d = 0; d < 5; d++)
            for (int located = 0; located < 2; located++) {
                s_alert_t a;
                s_alert(&a, severities[s], disseminations[d], located);
                char *xml;
                size_t len;
                assert_int_equal(alert_cap_render(&s_config, &a.alert, &xml, &len), WF_OK);
                assert_int_equal(strlen(xml), len);
                xmlDocPtr doc = s_valid_doc(xml, len);
                char text[512];
                s_text(doc, "/cap:alert/cap:info/cap:severity", text, sizeof text);
                assert_string_equal(text, words[s]);
                s_text(doc, "/cap:alert/cap:scope", text, sizeof text);
                bool public = disseminations[d] == WF__DISSEMINATION__PUBLIC;
                assert_string_equal(text, public ? "Public" : "Restricted");
                s_text(doc, "/cap:alert/cap:restriction", text, sizeof text);
                assert_true(public ? text[0] == '\0' : text[0] != '\0');
                s_text(doc, "/cap:alert/cap:info/cap:area/cap:circle", text, sizeof text);
                assert_string_equal(text, located ? "41.780200,-87.643100 0.400" : "");
                xmlFreeDoc(doc);
                free(xml);
            }
}

static void test_fields_say_what_the_alert_says(void **state)
{
    (void)state;
    s_alert_t a;
    s_alert(&a, WF__SEVERITY__SEVERE, WF__DISSEMINATION__LAW_ENFORCEMENT, true);
    char *xml;
    size_t len;
    assert_int_equal(alert_cap_render(&s_config, &a.alert, &xml, &len), WF_OK);
    xmlDocPtr doc = s_valid_doc(xml, len);
    char text[512], id[WF_UUID_STR_LEN], want[80];
    wf_uuid_format(a.id.bytes, id);
    snprintf(want, sizeof want, "watchfloor-%s", id);
    s_text(doc, "/cap:alert/cap:identifier", text, sizeof text);
    assert_string_equal(text, want);
    s_text(doc, "/cap:alert/cap:sender", text, sizeof text);
    assert_string_equal(text, "watchfloor@cpd.example.org");
    s_text(doc, "/cap:alert/cap:sent", text, sizeof text); /* 1490000123 s */
    assert_string_equal(text, "2017-03-20T08:55:23-00:00");
    s_text(doc, "/cap:alert/cap:info/cap:onset", text, sizeof text);
    assert_string_equal(text, "2017-03-20T08:53:20-00:00");
    s_text(doc, "/cap:alert/cap:info/cap:headline", text, sizeof text); /* escaped, intact */
    assert_string_equal(text, "Homicide in beat 0713 <Englewood> & \"nearby\"");
    s_text(doc, "/cap:alert/cap:info/cap:description", text, sizeof text);
    assert_string_equal(text, "Second homicide in 24 h — district 007");
    s_text(doc, "/cap:alert/cap:info/cap:event", text, sizeof text);
    assert_string_equal(text, "homicide");
    s_text(doc, "/cap:alert/cap:info/cap:area/cap:areaDesc", text, sizeof text);
    assert_string_equal(text, "District 007, beat 0713");
    s_text(doc, "/cap:alert/cap:info/cap:parameter[cap:valueName='watchfloor:rule']/cap:value",
           text, sizeof text);
    assert_string_equal(text, "homicide_district_007");
    snprintf(want, sizeof want, "https://console.example.org/#/alerts/%s", id);
    s_text(doc, "/cap:alert/cap:info/cap:web", text, sizeof text);
    assert_string_equal(text, want);
    xmlFreeDoc(doc);

    /* the same alert renders the same document: a replay re-sends an identical message */
    char *again;
    size_t again_len;
    assert_int_equal(alert_cap_render(&s_config, &a.alert, &again, &again_len), WF_OK);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, xml, len);
    free(again);
    free(xml);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    s_alert_t a;
    s_alert(&a, WF__SEVERITY__MINOR, WF__DISSEMINATION__PUBLIC, false);
    char *xml = (char *)1;
    size_t len = 1;
    alert_cap_config_t spaced = {"watch floor", NULL, 0.4}, flat = {"wf", NULL, 0};
    assert_int_equal(alert_cap_render(&spaced, &a.alert, &xml, &len), WF_EINVAL);
    assert_null(xml);
    assert_int_equal(alert_cap_render(&flat, &a.alert, &xml, &len), WF_EINVAL);
    a.alert.alert_id.len = 0;
    assert_int_equal(alert_cap_render(&s_config, &a.alert, &xml, &len), WF_EINVAL);
    assert_int_equal(len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_severity_and_dissemination_is_valid),
        cmocka_unit_test(test_fields_say_what_the_alert_says),
        cmocka_unit_test(test_bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
