# Bare-metal installation: installs this build into a scratch DESTDIR and checks the layout,
# the installed programs, configuration and units (77: systemd-analyze missing, skipped).
# The layout options are the ones deploy/CMakeLists.txt installs with.
set(WF_CHECK_INSTALL_ARGS --build-dir ${PROJECT_BINARY_DIR} --bindir ${CMAKE_INSTALL_BINDIR}
    --datadir ${CMAKE_INSTALL_DATADIR} --docdir ${CMAKE_INSTALL_DOCDIR} --confdir ${WF_CONFDIR})
if(WF_INSTALL_SYSTEMD)
  list(APPEND WF_CHECK_INSTALL_ARGS --unitdir ${WF_SYSTEMD_UNITDIR})
else()
  list(APPEND WF_CHECK_INSTALL_ARGS --no-units)
endif()
add_test(NAME deploy/check-install
         COMMAND ${PROJECT_SOURCE_DIR}/tests/deploy/check-install ${WF_CHECK_INSTALL_ARGS})
set_tests_properties(deploy/check-install PROPERTIES LABELS "unit;deploy" SKIP_RETURN_CODE 77
                     TIMEOUT 120)
