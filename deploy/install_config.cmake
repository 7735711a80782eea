# install_config.cmake — the install-time part of deploy/CMakeLists.txt (included by
# cmake_install.cmake, so CMAKE_INSTALL_PREFIX is the prefix of this `cmake --install`).
#
# The files in deploy/ name /usr/local/bin, /usr/local/share/watchfloor and /etc/watchfloor, the
# default layout. This writes them with the real binary, data and configuration directories
# instead, then installs:
#   - the systemd units (when WF_INSTALL_SYSTEMD) and bin/wf-ingest-spool, always replaced;
#   - share/watchfloor/deploy/watchfloor.{zmq,kafka}.yaml, always replaced, so that copying one
#     to WF_CONFDIR/watchfloor.yaml names the installed files (console.web_root, alert.rules);
#   - WF_CONFDIR/watchfloor.yaml (from watchfloor.zmq.yaml) and WF_CONFDIR/rules.yaml, never
#     replaced: when the installed file differs from the shipped one it stays, and the shipped
#     one is put next to it as <name>.new (like rpm's %config(noreplace) .rpmnew);
#   - an empty WF_CONFDIR/profiles/ for the feeds' mapping profiles.
# Inputs (set by deploy/CMakeLists.txt): WF_DEPLOY_DIR, WF_STAGE_DIR, WF_BINDIR, WF_SHAREDIR,
# WF_CONFDIR, WF_INSTALL_SYSTEMD, WF_SYSTEMD_UNITDIR, WF_UNITS.

# A directory as the running system sees it: absolute, or under the install prefix.
function(s_full_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

s_full_dir(bindir "${WF_BINDIR}")
s_full_dir(sharedir "${WF_SHAREDIR}")
s_full_dir(confdir "${WF_CONFDIR}")
s_full_dir(unitdir "${WF_SYSTEMD_UNITDIR}")

# Copies deploy/<source> into the stage directory as <name> with the installed paths.
function(s_stage source name)
  file(READ "${WF_DEPLOY_DIR}/${source}" text)
  string(REPLACE "/usr/local/bin" "${bindir}" text "${text}")
  string(REPLACE "/usr/local/share/watchfloor" "${sharedir}" text "${text}")
  string(REPLACE "/etc/watchfloor" "${confdir}" text "${text}")
  file(WRITE "${WF_STAGE_DIR}/${name}" "${text}")
endfunction()

# Installs a staged configuration file unless an edited one is already in place.
function(s_install_config name)
  set(target "$ENV{DESTDIR}${confdir}/${name}")
  if(EXISTS "${target}")
    file(READ "${target}" installed)
    file(READ "${WF_STAGE_DIR}/${name}" shipped)
    if(installed STREQUAL shipped)
      message(STATUS "Up-to-date: ${target}")
    else()
      message(STATUS "Keeping: ${target} (edited); the shipped version is ${name}.new")
      file(INSTALL "${WF_STAGE_DIR}/${name}" DESTINATION "${confdir}" RENAME "${name}.new"
           PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    endif()
    return()
  endif()
  file(INSTALL "${WF_STAGE_DIR}/${name}" DESTINATION "${confdir}"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

file(REMOVE_RECURSE "${WF_STAGE_DIR}")
file(MAKE_DIRECTORY "${WF_STAGE_DIR}")

s_stage(systemd/wf-ingest-spool wf-ingest-spool)
file(INSTALL "${WF_STAGE_DIR}/wf-ingest-spool" DESTINATION "${bindir}" TYPE PROGRAM)

if(WF_INSTALL_SYSTEMD)
  foreach(unit IN LISTS WF_UNITS)
    s_stage(systemd/${unit} ${unit})
    file(INSTALL "${WF_STAGE_DIR}/${unit}" DESTINATION "${unitdir}"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
endif()

# Single machine, no broker: the setup the units and watchfloor.target describe. A Kafka
# deployment starts from share/watchfloor/deploy/watchfloor.kafka.yaml instead.
foreach(example watchfloor.zmq.yaml watchfloor.kafka.yaml)
  s_stage(${example} ${example})
  file(INSTALL "${WF_STAGE_DIR}/${example}" DESTINATION "${sharedir}/deploy"
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
s_stage(watchfloor.zmq.yaml watchfloor.yaml)
s_stage(rules.yaml rules.yaml)
s_install_config(watchfloor.yaml)
s_install_config(rules.yaml)
file(MAKE_DIRECTORY "$ENV{DESTDIR}${confdir}/profiles")
