# enrich unit tests: the area index (real Chicago polygons), the per-event logic, NIBRS, hot lists.
set(ENRICH_TESTDATA ${PROJECT_SOURCE_DIR}/tests/unit/enrich/enrich_testdata.c)
set(ENRICH_TEST_LIBS enrich_core PkgConfig::GEOS PkgConfig::JANSSON PkgConfig::LZMA PkgConfig::PROJ
    ${CSV_LIBRARY})
wf_add_unit_test(enrich areas LIBS ${ENRICH_TEST_LIBS} SOURCES ${ENRICH_TESTDATA})
wf_add_unit_test(enrich event LIBS ${ENRICH_TEST_LIBS} SOURCES ${ENRICH_TESTDATA})
# NIBRS lookup and hot-list matching: pure, hand-made tables and events.
wf_add_unit_test(enrich nibrs LIBS enrich_core)
wf_add_unit_test(enrich hotlist LIBS enrich_core PkgConfig::JANSSON)
foreach(t areas event)
  target_include_directories(test_enrich_${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/enrich
                                                      ${CSV_INCLUDE_DIR})
endforeach()
