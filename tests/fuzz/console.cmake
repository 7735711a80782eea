# Fuzz target of wf-console's query-parameter parsers (STYLE.md 3.10): the replay driver runs it
# over its seed corpus in every build (label "fuzz"); with WF_FUZZ=ON (clang) it is also a
# libFuzzer executable: fuzz_console_params corpus/console_params
set(WF_CONSOLE_FUZZ_SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_console_params.c
                            ${PROJECT_SOURCE_DIR}/services/console/console_params.c)
add_executable(fuzz_console_params_replay ${WF_CONSOLE_FUZZ_SOURCES}
               ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_ingest_replay.c)
target_compile_options(fuzz_console_params_replay PRIVATE ${WF_WARNINGS})
target_include_directories(fuzz_console_params_replay PRIVATE ${PROJECT_SOURCE_DIR}/services/console)
add_test(NAME fuzz/console_params
         COMMAND fuzz_console_params_replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/console_params)
math(EXPR tmo "120 * ${WF_TEST_TIMEOUT_MULTIPLIER}")
set_tests_properties(fuzz/console_params PROPERTIES LABELS fuzz TIMEOUT ${tmo})
if(WF_FUZZ)
  add_executable(fuzz_console_params ${WF_CONSOLE_FUZZ_SOURCES})
  target_compile_options(fuzz_console_params PRIVATE ${WF_WARNINGS} -fsanitize=fuzzer)
  target_link_options(fuzz_console_params PRIVATE -fsanitize=fuzzer)
  target_include_directories(fuzz_console_params PRIVATE ${PROJECT_SOURCE_DIR}/services/console)
endif()
