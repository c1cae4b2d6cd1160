# Install rules and the Debian package (`cpack -G DEB` in the build directory).
#
# Layout with CMAKE_INSTALL_PREFIX=/usr (what the package uses, whatever the build's prefix):
#   /usr/bin/partitiond
#   /usr/lib/systemd/system/partitiond.service
#   /usr/lib/sysusers.d/partitiond.conf, /usr/lib/tmpfiles.d/partitiond.conf
#   /etc/partitiond/partitiond.yaml            (conffile; the example config)
#   /usr/share/partitiond/sql/, /usr/share/partitiond/grafana/
#   /usr/share/doc/partitiond/README.md, /usr/share/doc/partitiond/examples/partitiond.example.yaml
# The config always goes to /etc (the unit names that path): stage an install with DESTDIR,
# not with the prefix. tests/packaging/check-package.sh checks that all of this is in the .deb.

include(GNUInstallDirs)

install(TARGETS partitiond RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Not CMAKE_INSTALL_LIBDIR: these are systemd's fixed, architecture-independent directories.
install(FILES ${CMAKE_SOURCE_DIR}/systemd/partitiond.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/partitiond.sysusers
        DESTINATION lib/sysusers.d RENAME partitiond.conf)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/partitiond.tmpfiles
        DESTINATION lib/tmpfiles.d RENAME partitiond.conf)

# An operator's edited config must survive `cmake --install` (dpkg handles it as a conffile), so
# the example is copied to /etc only when no config is there yet. file(INSTALL) prepends DESTDIR
# itself; the existence check must do it by hand.
install(CODE "set(PARTITIOND_EXAMPLE_CONFIG \"${CMAKE_SOURCE_DIR}/config/partitiond.example.yaml\")")
install(CODE [[
  if(EXISTS "$ENV{DESTDIR}/etc/partitiond/partitiond.yaml")
    message(STATUS "Keeping existing: $ENV{DESTDIR}/etc/partitiond/partitiond.yaml")
  else()
    file(INSTALL DESTINATION /etc/partitiond TYPE FILE
         RENAME partitiond.yaml FILES "${PARTITIOND_EXAMPLE_CONFIG}")
  endif()
]])
install(FILES ${CMAKE_SOURCE_DIR}/config/partitiond.example.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

install(DIRECTORY ${CMAKE_SOURCE_DIR}/sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/partitiond/sql)
# The directory is made even while grafana/ is empty (git keeps no empty directory, so a fresh
# clone may lack it), so its path is stable for operators and config management.
install(DIRECTORY DESTINATION ${CMAKE_INSTALL_DATADIR}/partitiond/grafana)
if(EXISTS ${CMAKE_SOURCE_DIR}/grafana)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/grafana/ DESTINATION ${CMAKE_INSTALL_DATADIR}/partitiond/grafana)
endif()
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- Debian package -------------------------------------------------------------------------
# Values reach CPackConfig.cmake as written (the description's quotes and parentheses, the regexes).
set(CPACK_VERBATIM_VARIABLES TRUE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME partitiond)
set(CPACK_PACKAGE_VENDOR "partitiond")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "PostgreSQL partition maintenance daemon")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Keeps time-partitioned (PARTITION BY RANGE) PostgreSQL tables healthy: premakes future
partitions, enforces retention (drop, detach or archive) by the catalog's own bounds, moves
stray rows out of default partitions, carries owner, grants and RLS policies to new
partitions, and exports partition-health metrics to Prometheus. Every DDL waits at most
lock_timeout for its lock. Needs no extension in the database; runs as a systemd service
(not enabled on installation).")
set(PARTITIOND_DEB_MAINTAINER "partitiond maintainers <maintainers@users.noreply.r-seed-46e875e7.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PARTITIOND_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Library dependencies (libpq5, libyaml-cpp0.7, libspdlog1.10, libfmt9, ...) come from
# dpkg-shlibdeps on the installed binary, so they always match what it links. To them we add
# what the unit runs: /bin/kill (ExecReload) is in procps, which is not Essential.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client")
# Debian ships stripped binaries; the RelWithDebInfo symbols stay in the build directory.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/cmake/deb/conffiles ${CMAKE_SOURCE_DIR}/cmake/deb/postinst
    ${CMAKE_SOURCE_DIR}/cmake/deb/prerm ${CMAKE_SOURCE_DIR}/cmake/deb/postrm)
# Maintainer scripts 0755 and conffiles 0644 in the control archive, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\.git/" "/build/" "/build-[^/]*/")
include(CPack)
