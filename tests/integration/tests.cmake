# Integration tests: real wf-* processes, real ZeroMQ sockets, a real PostGIS database (the
# cluster scripts/test starts; WF_TEST_PG_CONNINFO). One at a time: each runs the whole pipeline.
add_library(wf_harness STATIC ${PROJECT_SOURCE_DIR}/tests/integration/harness.c
                              ${PROJECT_SOURCE_DIR}/tests/integration/harness_kafka.c)
target_compile_options(wf_harness PRIVATE ${WF_WARNINGS})
target_compile_definitions(wf_harness PRIVATE
  WF_SOURCE_DIR="${PROJECT_SOURCE_DIR}" WF_BINARY_DIR="${PROJECT_BINARY_DIR}")
target_include_directories(wf_harness PUBLIC ${PROJECT_SOURCE_DIR}/tests/integration)
target_link_libraries(wf_harness PUBLIC PkgConfig::PQ)

# wf_add_integration_test(<name> <timeout seconds>)
function(wf_add_integration_test name timeout)
  set(target test_integration_${name})
  add_executable(${target} ${PROJECT_SOURCE_DIR}/tests/integration/test_${name}.c)
  target_compile_options(${target} PRIVATE ${WF_WARNINGS})
  target_compile_definitions(${target} PRIVATE
    WF_SOURCE_DIR="${PROJECT_SOURCE_DIR}" WF_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_link_libraries(${target} PRIVATE wf_harness PkgConfig::CMOCKA PkgConfig::ZMQ)
  # the binaries under test must be current when the test runs
  add_dependencies(${target} wf-ingest wf-enrich wf-spatial wf-alert wf-console wf-admin
                   wf-kafka-mock)
  add_test(NAME integration/${name} COMMAND ${target})
  math(EXPR tmo "${timeout} * ${WF_TEST_TIMEOUT_MULTIPLIER}")
  set_tests_properties(integration/${name} PROPERTIES LABELS "integration;pg" TIMEOUT ${tmo}
                       RUN_SERIAL TRUE)
endfunction()

wf_add_integration_test(pipeline 900)
wf_add_integration_test(malformed 300)
wf_add_integration_test(kill 600)
# wf-alert's conditions, geofences (wf-admin import, SIGHUP) and escalation, rows in PostGIS.
wf_add_integration_test(alert_rules 300)
target_link_libraries(test_integration_alert_rules PRIVATE wfcommon)
wf_add_integration_test(kafka_pipeline 900)
# Kafka under faults: SIGKILL of each service, group takeover, broker outage (about 3.5 min).
# WF_TEST_FILTER='*outage*' runs one of them.
wf_add_integration_test(kafka_faults 1500)
# wf-console's stream: a client that drops and resumes with Last-Event-ID misses no alert.
wf_add_integration_test(console_stream 600)
target_link_libraries(test_integration_console_stream PRIVATE sse_client PkgConfig::JANSSON
                      ${CIVETWEB_LIBRARY} Threads::Threads)
target_include_directories(test_integration_console_stream PRIVATE ${CIVETWEB_INCLUDE_DIR})
# wf-admin replay: whole topic, changed rule over a time range, offset range, refusals.
wf_add_integration_test(kafka_replay 900)

# Deployment files: both compose files parse, their WF_* variables are real keys, the systemd
# units verify, the example configurations load (77: docker-compose missing, skipped).
add_test(NAME deploy/check-compose
         COMMAND ${PROJECT_SOURCE_DIR}/tests/deploy/check-compose --bin-dir ${PROJECT_BINARY_DIR})
set_tests_properties(deploy/check-compose PROPERTIES LABELS "unit;deploy" SKIP_RETURN_CODE 77
                     TIMEOUT 120)
# Hot lists: ALPR reads through wf-ingest and wf-enrich against imported lists; reload.
wf_add_integration_test(hotlist 300)

# wf-console over real HTTP (libcurl) against a seeded scratch database: the query API
# (console_api) and the alert workflow (console_workflow).
add_library(wf_console_client STATIC ${PROJECT_SOURCE_DIR}/tests/integration/console_client.c)
target_compile_options(wf_console_client PRIVATE ${WF_WARNINGS})
target_compile_definitions(wf_console_client PRIVATE
  WF_SOURCE_DIR="${PROJECT_SOURCE_DIR}" WF_BINARY_DIR="${PROJECT_BINARY_DIR}")
target_link_libraries(wf_console_client PUBLIC wf_harness PkgConfig::CURL PkgConfig::JANSSON)
function(wf_add_console_test name timeout)
  wf_add_integration_test(${name} ${timeout})
  target_link_libraries(test_integration_${name} PRIVATE wf_console_client)
  add_dependencies(test_integration_${name} wf-console)
endfunction()
wf_add_console_test(console_api 300)
wf_add_console_test(console_workflow 300)
# it also announces an alert on the bus as wf-alert does (wf_transport, wf.Alert)
target_link_libraries(test_integration_console_workflow PRIVATE wfcommon Threads::Threads)

# Webhooks from the real wf-alert: a live, a blackholed and a refusing endpoint while the
# pipeline raises an alert per event; the alert path's timing, deliveries and their records.
wf_add_integration_test(webhooks 300)
target_sources(test_integration_webhooks PRIVATE
               ${PROJECT_SOURCE_DIR}/tests/support/webhook_receiver.c)
target_include_directories(test_integration_webhooks PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
target_link_libraries(test_integration_webhooks PRIVATE PkgConfig::JANSSON PkgConfig::CRYPTO
                      Threads::Threads)
