# The operator console in headless Chromium (tests/console/ui_test.mjs): real services on a
# scratch database, the page driven by playwright-core from node_modules (scripts/setup runs
# npm ci). 77: chromium missing, skipped; anything else that goes wrong fails.
find_program(WF_NODE NAMES node nodejs)
if(WF_NODE)
  add_test(NAME console/ui
           COMMAND ${WF_NODE} ${PROJECT_SOURCE_DIR}/tests/console/ui_test.mjs
                   --source-dir ${PROJECT_SOURCE_DIR} --binary-dir ${PROJECT_BINARY_DIR})
else() # fail, visibly, rather than leave the console untested
  add_test(NAME console/ui COMMAND sh -c "echo 'console/ui: node not found (scripts/setup)'; exit 1")
endif()
math(EXPR tmo "300 * ${WF_TEST_TIMEOUT_MULTIPLIER}")
set_tests_properties(console/ui PROPERTIES LABELS "integration;pg" SKIP_RETURN_CODE 77 TIMEOUT ${tmo}
                     RUN_SERIAL TRUE)
