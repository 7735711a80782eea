# console unit tests: the stream hub and where a (re)connecting client starts.
wf_add_unit_test(console hub LIBS console_core)
# the pure parts of the query API: parameter parsers and workflow moves (no HTTP, no database).
wf_add_unit_test(console params
  SOURCES ${PROJECT_SOURCE_DIR}/services/console/console_params.c
          ${PROJECT_SOURCE_DIR}/services/console/console_workflow.c
  INCLUDES ${PROJECT_SOURCE_DIR}/services/console)
# The fuzz target of the parameter parsers and its corpus replay (label "fuzz") live in tests/fuzz/.
include(${PROJECT_SOURCE_DIR}/tests/fuzz/console.cmake)
