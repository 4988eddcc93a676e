# Installing ward: the two libraries with sonames, the public headers (and the
# generated ones they need), ward.proto, the ward command and its service host,
# the preload library, the man pages (share/man/man1, made by man/), the bash
# completion (share/bash-completion/completions/ward), pkg-config files and a
# CMake package:
#   find_package(ward) -> ward::ward, ward::inspect, ward::grpc (when built),
#   ward_rpc_generate()
# Installed programs find the libraries through a relative RUNPATH.
include(CMakePackageConfigHelpers)

set(WARD_PKGLIBDIR ${CMAKE_INSTALL_LIBDIR}/ward)       # preload libraries
set(WARD_LIBEXECDIR ${CMAKE_INSTALL_LIBEXECDIR}/ward)  # programs the command runs
set(WARD_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ward)

# relative RUNPATHs: bin/ -> lib, libexec/ward/ -> lib, lib/ -> itself
file(RELATIVE_PATH bin_to_lib /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
file(RELATIVE_PATH libexec_to_lib /${WARD_LIBEXECDIR} /${CMAKE_INSTALL_LIBDIR})
set_target_properties(ward_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
set_target_properties(ward-serve PROPERTIES INSTALL_RPATH "$ORIGIN/${libexec_to_lib}")
set_target_properties(ward-inspect PROPERTIES INSTALL_RPATH "$ORIGIN")

# libward-grpc (when libgrpc-dev was there) beside the others: ward serve
# --grpc dlopens it by soname, through its RUNPATH
set(WARD_LIBRARIES ward ward-inspect)
set(WARD_PC_FILES ward ward-inspect)
if(TARGET ward-grpc)
  set_target_properties(ward-grpc PROPERTIES INSTALL_RPATH "$ORIGIN")
  list(APPEND WARD_LIBRARIES ward-grpc)
  list(APPEND WARD_PC_FILES ward-grpc)
  set_target_properties(ward-gateway PROPERTIES INSTALL_RPATH "$ORIGIN/${libexec_to_lib}")
  install(TARGETS ward-gateway RUNTIME DESTINATION ${WARD_LIBEXECDIR})
endif()
install(TARGETS ${WARD_LIBRARIES} EXPORT wardTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} ${CMAKE_INSTALL_INCLUDEDIR}/ward)
install(TARGETS ward_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ward-serve RUNTIME DESTINATION ${WARD_LIBEXECDIR})
install(TARGETS ward-locks ward-crash ward-audit LIBRARY DESTINATION ${WARD_PKGLIBDIR})

# Headers: include/ward/*.h, and next to them what generated code includes
# unqualified ("ward.pb-c.h" from a service's .pb-c.h, "reflect.pb-c.h" for
# ward_rpc_list): both pkg-config and the CMake targets put include/ward on
# the include path too. ward.proto sits there for `import "ward.proto";`.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ward DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/src/ward.pb-c.h ${PROJECT_BINARY_DIR}/src/reflect.pb-c.h
  ${PROJECT_SOURCE_DIR}/src/rpc/ward.proto ${PROJECT_SOURCE_DIR}/src/rpc/reflect.proto
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ward)

# The man pages man/ made in the build tree, and the completion, where
# bash-completion looks for it when `ward` is first completed.
if(TARGET man)
  install(DIRECTORY ${WARD_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
    FILES_MATCHING PATTERN "ward*.1")
endif()
install(FILES ${PROJECT_SOURCE_DIR}/tools/ward/completion/ward.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ward)

# pkg-config: relocatable (prefix found from the .pc file's own place)
file(RELATIVE_PATH WARD_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" WARD_PC_TO_PREFIX "${WARD_PC_TO_PREFIX}")
foreach(pc ${WARD_PC_FILES})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# CMake package
install(EXPORT wardTargets NAMESPACE ward:: DESTINATION ${WARD_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/wardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/wardConfig.cmake INSTALL_DESTINATION ${WARD_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wardConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/wardConfig.cmake ${PROJECT_BINARY_DIR}/wardConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/WardRpc.cmake DESTINATION ${WARD_CMAKEDIR})

# `make package`: a Debian package (CPack DEB), dependencies from dpkg-shlibdeps
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ward)
set(CPACK_PACKAGE_VENDOR "the ward developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "toolkit for multi-process Linux systems: IPC/RPC, tracing, lock and process inspection")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ward developers <ward@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "protobuf-c-compiler, libprotobuf-c-dev, pkg-config")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion") # loads share/bash-completion/completions/ward
include(CPack)
