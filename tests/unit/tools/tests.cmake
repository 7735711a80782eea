# wf-admin's pure parts (tools/admin_core): command lines, migration plan, GeoJSON boundaries.
wf_add_unit_test(tools args LIBS admin_core)
wf_add_unit_test(tools migrations LIBS admin_core)
wf_add_unit_test(tools geojson LIBS admin_core)
wf_add_unit_test(tools replay_args LIBS admin_core)
# wf-kafka-mock, run as a child process against a real librdkafka producer and consumer group.
wf_add_unit_test(tools kafka_mock LIBS PkgConfig::RDKAFKA LABELS kafka)
add_dependencies(test_tools_kafka_mock wf-kafka-mock)
# Reference files of `wf-admin nibrs` and `hotlist`: CSV reading, row checks, command lines.
wf_add_unit_test(tools reference LIBS admin_core)
include(${PROJECT_SOURCE_DIR}/tests/fuzz/admin.cmake)
