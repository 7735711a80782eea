# Unit tests of wf-spatial's pure part (spatial_core). The synthetic and real-data helpers
# (spatial_testdata.c) are shared by the detector's tests.
set(SPATIAL_TESTDATA ${CMAKE_CURRENT_LIST_DIR}/spatial_testdata.c)
wf_add_unit_test(spatial geo LIBS spatial_core)
wf_add_unit_test(spatial window LIBS spatial_core ${CSV_LIBRARY} PkgConfig::LZMA
                 SOURCES ${SPATIAL_TESTDATA} INCLUDES ${CSV_INCLUDE_DIR})
wf_add_unit_test(spatial nearrepeat LIBS spatial_core ${CSV_LIBRARY} PkgConfig::LZMA
                 SOURCES ${SPATIAL_TESTDATA} INCLUDES ${CSV_INCLUDE_DIR})
wf_add_unit_test(spatial nearrepeat_order LIBS spatial_core ${CSV_LIBRARY} PkgConfig::LZMA
                 SOURCES ${SPATIAL_TESTDATA} INCLUDES ${CSV_INCLUDE_DIR})
wf_add_unit_test(spatial nearrepeat_chicago LIBS spatial_core ${CSV_LIBRARY} PkgConfig::LZMA
                 SOURCES ${SPATIAL_TESTDATA} INCLUDES ${CSV_INCLUDE_DIR})
wf_add_unit_test(spatial signal LIBS spatial_core)
