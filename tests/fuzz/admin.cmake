# Fuzz target of wf-admin's reference CSV reading (STYLE.md 3.10): the replay driver runs it
# over its seed corpus in every build (ctest label "fuzz"); with WF_FUZZ=ON (clang) it is also
# a libFuzzer executable: fuzz_admin_hotlist corpus/admin_hotlist
set(WF_ADMIN_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
add_executable(fuzz_admin_hotlist_replay ${WF_ADMIN_FUZZ_DIR}/fuzz_admin_hotlist.c
                                         ${WF_ADMIN_FUZZ_DIR}/fuzz_ingest_replay.c)
target_compile_options(fuzz_admin_hotlist_replay PRIVATE ${WF_WARNINGS})
target_link_libraries(fuzz_admin_hotlist_replay PRIVATE admin_core)
add_test(NAME fuzz/admin_hotlist
         COMMAND fuzz_admin_hotlist_replay ${WF_ADMIN_FUZZ_DIR}/corpus/admin_hotlist)
math(EXPR tmo "120 * ${WF_TEST_TIMEOUT_MULTIPLIER}")
set_tests_properties(fuzz/admin_hotlist PROPERTIES LABELS fuzz TIMEOUT ${tmo})
if(WF_FUZZ)
  add_executable(fuzz_admin_hotlist ${WF_ADMIN_FUZZ_DIR}/fuzz_admin_hotlist.c)
  target_compile_options(fuzz_admin_hotlist PRIVATE ${WF_WARNINGS} -fsanitize=fuzzer)
  target_link_options(fuzz_admin_hotlist PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_admin_hotlist PRIVATE admin_core)
endif()
