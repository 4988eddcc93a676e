# ward_rpc_generate(OUT_SOURCES file.proto...)
# Runs protoc-c on each .proto (one line per project to add a service) and sets
# OUT_SOURCES to the generated .pb-c.c files; their headers land in
# ${CMAKE_CURRENT_BINARY_DIR}, which is added to the include path of the
# directory. Needs Debian's protobuf-c-compiler (scripts/deps.sh installs it).
# The same file serves the build tree and the installed CMake package
# (find_package(ward)), which sets WARD_PROTO_DIR to the installed protos first.
find_program(WARD_PROTOC_C protoc-c REQUIRED)
# where ward.proto lives, so services can `import "ward.proto";`
if(NOT WARD_PROTO_DIR)
  set(WARD_PROTO_DIR ${CMAKE_CURRENT_LIST_DIR}/../src/rpc CACHE INTERNAL "")
endif()
function(ward_rpc_generate out)
  set(sources)
  foreach(proto ${ARGN})
    get_filename_component(abs ${proto} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(name ${abs} NAME_WE)
    set(c ${CMAKE_CURRENT_BINARY_DIR}/${name}.pb-c.c)
    set(h ${CMAKE_CURRENT_BINARY_DIR}/${name}.pb-c.h)
    add_custom_command(OUTPUT ${c} ${h}
      COMMAND ${WARD_PROTOC_C} --c_out=${CMAKE_CURRENT_BINARY_DIR} -I${dir} -I${WARD_PROTO_DIR}
        ${abs}
      DEPENDS ${abs}
      COMMENT "protoc-c ${name}.proto")
    set_source_files_properties(${c} PROPERTIES COMPILE_OPTIONS
      "-Wno-missing-prototypes;-Wno-shadow;-Wno-unused-parameter")
    list(APPEND sources ${c})
  endforeach()
  include_directories(${CMAKE_CURRENT_BINARY_DIR})
  set(${out} ${sources} PARENT_SCOPE)
endfunction()
