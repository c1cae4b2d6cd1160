# Read by ctest after the integration tests are discovered (TEST_INCLUDE_FILES in CMakeLists.txt):
# the properties a few tests need beyond the defaults every integration test gets (label
# `integration`, TIMEOUT 180, the shared cluster of the `integration_cluster` fixture).

foreach(test IN LISTS integration_tests_TESTS)
  # These restart the shared cluster, cutting every other test's sessions: they run alone.
  if(test MATCHES "^integration\\.(BlockedDropTest\\.PostgresRestartMidPass|ArchiveTest\\.ServerRestartMidCopy)")
    set_tests_properties(${test} PROPERTIES RUN_SERIAL TRUE
                         ENVIRONMENT_MODIFICATION "PARTITIOND_TEST_CLUSTER_EXCLUSIVE=set:1")
  endif()
  # These rewrite the shared cluster's pg_hba.conf and reload it: one at a time.
  if(test MATCHES "^integration\\.HostileSecretsTest\\.")
    set_tests_properties(${test} PROPERTIES RESOURCE_LOCK pg_hba_conf)
  endif()
endforeach()
