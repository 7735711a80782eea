# alert unit tests: one cmocka executable per module of alert_core.
wf_add_unit_test(alert rules LIBS alert_core)
wf_add_unit_test(alert match LIBS alert_core)
wf_add_unit_test(alert throttle LIBS alert_core)
wf_add_unit_test(alert engine LIBS alert_core)
wf_add_unit_test(alert cap LIBS alert_core)
wf_add_unit_test(alert geofences LIBS alert_core)
wf_add_unit_test(alert escalation LIBS alert_core)
# Geofences against the real PostGIS cluster: wf-admin imports, wf-alert's loader reads.
wf_add_unit_test(alert geofences_pg LIBS alert_core PkgConfig::PQ LABELS pg
                 SOURCES ${PROJECT_SOURCE_DIR}/services/alert/alert_rules_service.c)
add_dependencies(test_alert_geofences_pg wf-admin)
wf_add_unit_test(alert webhook_body LIBS alert_core)
# The webhook sender against HTTP receivers in the test process and a scratch PostGIS database:
# answers, retries, bodies and records; then endpoints that never answer.
foreach(module webhook webhook_dead)
  wf_add_unit_test(alert ${module} LIBS alert_webhook PkgConfig::PQ PkgConfig::JANSSON
                   PkgConfig::CRYPTO PkgConfig::XML2
                   SOURCES ${PROJECT_SOURCE_DIR}/tests/unit/alert/webhook_fixture.c
                           ${PROJECT_SOURCE_DIR}/tests/support/webhook_receiver.c
                   INCLUDES ${PROJECT_SOURCE_DIR}/tests/support LABELS pg)
endforeach()
