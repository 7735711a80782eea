# Unit tests of the ingest service's pure modules (ingest_core): one executable per module.
foreach(module arena record time coords profile kinds reader csv ndjson map source)
  wf_add_unit_test(ingest ${module} LIBS ingest_core PkgConfig::LZMA)
endforeach()

# The CSV and NDJSON fuzz targets and their corpus replay (label "fuzz") live in tests/fuzz/.
include(${PROJECT_SOURCE_DIR}/tests/fuzz/ingest.cmake)
