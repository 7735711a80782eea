/* console_api_sql.h — the SQL that renders a row as the API's GeoJSON Feature, shared by the
 * lists, the single-item answers and the workflow's answer so every one has the same
 * properties (docs/console-api.md). PostgreSQL builds the JSON text; times go through
 * wf_rfc3339() (migration 0008) so they read like the live stream's.
 */
#ifndef WF_CONSOLE_API_SQL_H
#define WF_CONSOLE_API_SQL_H

/* SQL is laid out one clause a line, as it reads best. */
/* clang-format off */

/* An events row aliased e: its properties as json_build_object arguments. */
#define CONSOLE_SQL_EVENT_PROPERTIES                                                              \
    "'event_id', e.event_id, 'agency', e.agency, 'source', e.source, 'kind', e.kind, "           \
    "'offense_code', e.offense_code, 'offense_text', e.offense_text, "                          \
    "'occurred_at', wf_rfc3339(e.occurred_at), 'reported_at', wf_rfc3339(e.reported_at), "      \
    "'ingested_at', wf_rfc3339(e.ingested_at), 'address', e.address, 'district', e.district, "  \
    "'beat', e.beat, 'area_method', e.area_method, "                                            \
    "'nibrs_code', e.nibrs_code, 'nibrs_category', e.nibrs_category, "                          \
    "'dissemination', e.dissemination"

/* The point of a row aliased alias, as GeoJSON (7 decimals: about a centimetre). */
#define CONSOLE_SQL_GEOMETRY(alias) "ST_AsGeoJSON(" alias ".geom, 7)::json"

/* An alerts row aliased a: its properties as json_build_object arguments (the last four as
 * the live stream has them). */
#define CONSOLE_SQL_ALERT_PROPERTIES                                                              \
    "'alert_id', a.alert_id, 'rule_id', a.rule_id, 'severity', a.severity, "                     \
    "'title', a.title, 'message', a.message, 'kind', a.kind, 'district', a.district, "          \
    "'beat', a.beat, 'agency', a.agency, 'occurred_at', wf_rfc3339(a.occurred_at), "            \
    "'raised_at', wf_rfc3339(a.raised_at), 'state', a.state, 'assigned_to', a.assigned_to, "    \
    "'state_changed_at', wf_rfc3339(a.state_changed_at), 'event_ids', a.event_ids, "            \
    "'signal_id', a.signal_id, 'dissemination', a.dissemination, "                              \
    "'nibrs_category', a.nibrs_category, 'match_count', a.match_count, "                        \
    "'escalated', a.escalated, 'geofences', a.geofences"

/* An alerts row aliased a as a Feature. */
#define CONSOLE_SQL_ALERT_FEATURE                                                                 \
    "json_build_object('type', 'Feature', 'id', a.alert_id, "                                   \
    "'geometry', " CONSOLE_SQL_GEOMETRY("a") ", "                                                \
    "'properties', json_build_object(" CONSOLE_SQL_ALERT_PROPERTIES "))"

/* The page key columns that follow the Feature in list queries (console_api_send_page). */
#define CONSOLE_SQL_PAGE_KEY(time, id) "(extract(epoch FROM " time ") * 1000000)::bigint, " id

/* clang-format on */

#endif
