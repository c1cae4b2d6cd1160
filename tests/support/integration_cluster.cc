// integration_cluster start|stop FILE: the shared PostgreSQL cluster of a ctest run (see
// pg_cluster.h). `start` leaves a throwaway cluster running and writes its location to FILE for
// the integration tests ($PARTITIOND_TEST_CLUSTER=FILE); `stop` stops and removes it.
#include <exception>
#include <iostream>
#include <string>

#include "tests/support/pg_cluster.h"

int main(int argc, char** argv) {
  using partitiond::testing::PgCluster;
  const std::string command = argc == 3 ? argv[1] : "";
  if (command != "start" && command != "stop") {
    std::cerr << "usage: integration_cluster start|stop FILE\n";
    return 2;
  }
  try {
    if (command == "start") {
      PgCluster::StartDetached(argv[2]);
    } else {
      PgCluster::StopDetached(argv[2]);
    }
  } catch (const std::exception& e) {
    std::cerr << "integration_cluster " << command << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
