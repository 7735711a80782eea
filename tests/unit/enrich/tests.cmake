# enrich unit tests: the area index (real Chicago polygons) and the per-event logic.
set(ENRICH_TESTDATA ${PROJECT_SOURCE_DIR}/tests/unit/enrich/enrich_testdata.c)
set(ENRICH_TEST_LIBS enrich_core PkgConfig::GEOS PkgConfig::JANSSON PkgConfig::LZMA PkgConfig::PROJ
    ${CSV_LIBRARY})
wf_add_unit_test(enrich areas LIBS ${ENRICH_TEST_LIBS} SOURCES ${ENRICH_TESTDATA})
wf_add_unit_test(enrich event LIBS ${ENRICH_TEST_LIBS} SOURCES ${ENRICH_TESTDATA})
foreach(t areas event)
  target_include_directories(test_enrich_${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/enrich
                                                      ${CSV_INCLUDE_DIR})
endforeach()
