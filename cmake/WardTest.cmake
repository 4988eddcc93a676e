# ward_add_test(NAME SOURCES... [LABELS l...] [TIMEOUT s])
# One executable per test, linked to the static libward (so tests may use
# internal headers), run by ctest in its own process. Exit 77 means skipped.
function(ward_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "LABELS;SOURCES" ${ARGN})
  set(srcs ${T_SOURCES} ${T_UNPARSED_ARGUMENTS})
  add_executable(test-${name} ${srcs})
  target_link_libraries(test-${name} PRIVATE ward_static)
  target_include_directories(test-${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests
    ${PROJECT_SOURCE_DIR}/src)
  # where the build puts programs and libraries, for tests that run them
  target_compile_definitions(test-${name} PRIVATE
    WARD_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}"
    WARD_LIB_DIR="${CMAKE_LIBRARY_OUTPUT_DIRECTORY}"
    WARD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME ${name} COMMAND test-${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} SKIP_RETURN_CODE 77
    LABELS "${T_LABELS}")
endfunction()
