# Unit tests of libwfcommon. Tests labelled "pg" need WF_TEST_PG_CONNINFO (scripts/test sets it).
wf_add_unit_test(common config LIBS wfcommon)
wf_add_unit_test(common stats LIBS wfcommon)
wf_add_unit_test(common id LIBS wfcommon)
wf_add_unit_test(common cell LIBS wfcommon m)
wf_add_unit_test(common seqtrack LIBS wfcommon INCLUDES ${PROJECT_SOURCE_DIR}/common/src)
wf_add_unit_test(common transport_zmq LIBS wfcommon)
wf_add_unit_test(common pgwriter LIBS wfcommon PkgConfig::PQ LABELS pg)
# The Kafka back end's consumer group (commits, state rebuild) against wf-kafka-mock.
wf_add_unit_test(common transport_kafka LIBS wfcommon LABELS kafka)
add_dependencies(test_common_transport_kafka wf-kafka-mock)
wf_add_unit_test(common hotlist LIBS wfcommon)
