# The gateway's identity part: users, passwords and tokens behind /api/auth/*.
# include()d from services/gateway/CMakeLists.txt. GATEWAY_DIR names this directory when the file
# is included from elsewhere (a scratch build); it defaults to the including directory.
if(NOT DEFINED GATEWAY_DIR)
  set(GATEWAY_DIR ${CMAKE_CURRENT_SOURCE_DIR})
endif()

# Pure domain: no HTTP, database or broker.
add_library(gateway_identity_domain ${GATEWAY_DIR}/domain/credentials.cpp
                                    ${GATEWAY_DIR}/domain/login_throttle.cpp)
target_include_directories(gateway_identity_domain PUBLIC ${GATEWAY_DIR}/..)
target_link_libraries(gateway_identity_domain PUBLIC kpo_core)

add_library(gateway_identity
  ${GATEWAY_DIR}/storage/user_repository.cpp
  ${GATEWAY_DIR}/handlers/session.cpp
  ${GATEWAY_DIR}/handlers/guest.cpp
  ${GATEWAY_DIR}/handlers/register.cpp
  ${GATEWAY_DIR}/handlers/login.cpp)
target_include_directories(gateway_identity PUBLIC ${GATEWAY_DIR}/..)
target_link_libraries(gateway_identity PUBLIC gateway_identity_domain kpo_auth kpo_http kpo_db)
kpo_embed_migrations(gateway_identity ${GATEWAY_DIR}/migrations)

kpo_unit_test(gateway_identity_domain_test
              SOURCES ${GATEWAY_DIR}/domain/credentials_test.cpp ${GATEWAY_DIR}/domain/login_throttle_test.cpp
              LIBS gateway_identity_domain)

# Against the local PostgreSQL (KPO_TEST_GATEWAY_DATABASE_URL, default gateway_test).
kpo_server_test(gateway_identity_pgtest
                SOURCES ${GATEWAY_DIR}/storage/user_repository_test.cpp ${GATEWAY_DIR}/handlers/handlers_test.cpp
                LIBS gateway_identity)
