# Fuzz targets of the ingest parsers (STYLE.md 3.10). In every build a replay driver runs each
# target over its seed corpus (ctest label "fuzz"); with WF_FUZZ=ON (clang) the same targets are
# also built as libFuzzer executables: fuzz_ingest_csv corpus/ingest_csv -dict=ingest_csv.dict
set(WF_INGEST_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
foreach(parser csv ndjson)
  set(target fuzz_ingest_${parser})
  set(sources ${WF_INGEST_FUZZ_DIR}/${target}.c ${WF_INGEST_FUZZ_DIR}/fuzz_ingest.c)
  add_executable(${target}_replay ${sources} ${WF_INGEST_FUZZ_DIR}/fuzz_ingest_replay.c)
  target_compile_options(${target}_replay PRIVATE ${WF_WARNINGS})
  target_compile_definitions(${target}_replay PRIVATE WF_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${target}_replay PRIVATE ingest_core)
  add_test(NAME fuzz/ingest_${parser}
           COMMAND ${target}_replay ${WF_INGEST_FUZZ_DIR}/corpus/ingest_${parser})
  math(EXPR tmo "120 * ${WF_TEST_TIMEOUT_MULTIPLIER}")
  set_tests_properties(fuzz/ingest_${parser} PROPERTIES LABELS fuzz TIMEOUT ${tmo})
  if(WF_FUZZ)
    add_executable(${target} ${sources})
    target_compile_options(${target} PRIVATE ${WF_WARNINGS} -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    target_compile_definitions(${target} PRIVATE WF_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    target_link_libraries(${target} PRIVATE ingest_core)
  endif()
endforeach()
