# Test binaries say by their name what they need: *_test needs nothing (label unit), *_pgtest needs
# PostgreSQL, *_mqtest RabbitMQ, *_itest both and starts service processes (label integration).

# kpo_unit_test(name SOURCES... LIBS...) — a GoogleTest binary registered with CTest.
function(kpo_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT name MATCHES "_test$")
    message(FATAL_ERROR "${name}: a unit test's name ends in _test")
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # A test binary's sources compile as one unity batch, whatever their number: GoogleTest's and Boost's
  # headers are then parsed (and walked by clang-tidy) once per binary.
  set_target_properties(${name} PROPERTIES UNITY_BUILD_BATCH_SIZE 0)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endfunction()

# kpo_server_test(name SOURCES... LIBS... [TIMEOUT s]) — a GoogleTest binary against the real
# servers, named *_pgtest, *_mqtest or *_itest. Its CTest names start with that kind
# ("pgtest.DbTest.ParametersAreNeverInterpolated"), so `ctest -N` and -R/-E select by what a test
# needs. All of them share one RESOURCE_LOCK: they use the same queues and databases (and some stop
# RabbitMQ). One lock name only: gtest_discover_tests flattens a list value ("postgres;rabbitmq"
# became RESOURCE_LOCK postgres and dropped the rest, TIMEOUT included).
function(kpo_server_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT name MATCHES "_(pgtest|mqtest|itest)$")
    message(FATAL_ERROR "${name}: a test against the servers is named *_pgtest, *_mqtest or *_itest")
  endif()
  set(kind ${CMAKE_MATCH_1})
  set(timeout)
  if(ARG_TIMEOUT)
    set(timeout TIMEOUT ${ARG_TIMEOUT})
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # A test binary's sources compile as one unity batch, whatever their number: GoogleTest's and Boost's
  # headers are then parsed (and walked by clang-tidy) once per binary.
  set_target_properties(${name} PROPERTIES UNITY_BUILD_BATCH_SIZE 0)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 TEST_PREFIX "${kind}."
    PROPERTIES LABELS integration RESOURCE_LOCK servers ${timeout})
endfunction()

# kpo_embed_migrations(target DIR [FUNCTION name]) — compiles every DIR/*.sql into the target as
# a sorted table of {version, name, sql}, returned by kpo::generated::<name>() (default:
# <target>_migrations), so a binary always carries its own schema.
function(kpo_embed_migrations target dir)
  cmake_parse_arguments(ARG "" "FUNCTION" "" ${ARGN})
  set(function "${target}_migrations")
  if(ARG_FUNCTION)
    set(function "${ARG_FUNCTION}")
  endif()
  file(GLOB files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${function}.cpp")
  # NOLINT: generated data, not code to lint (one statement per migration, as long as its SQL).
  set(body "// NOLINTBEGIN\n#include \"db/migrations.hpp\"\nnamespace kpo::generated {\nconst std::vector<kpo::db::Migration>& ${function}() {\n  static const std::vector<kpo::db::Migration> kAll = {\n")
  foreach(f ${files})
    get_filename_component(name ${f} NAME)
    string(REGEX MATCH "^[0-9]+" version ${name})
    math(EXPR version "${version}")
    file(READ ${f} sql)
    string(APPEND body "    {${version}, \"${name}\", R\"kposql(${sql})kposql\"},\n")
  endforeach()
  string(APPEND body "  };\n  return kAll;\n}\n}  // namespace kpo::generated\n// NOLINTEND\n")
  file(CONFIGURE OUTPUT ${out} CONTENT "${body}")
  target_sources(${target} PRIVATE ${out})
endfunction()
