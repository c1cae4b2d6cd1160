// Turns pass reports into what `plan` and `once` print: a readable text report or JSON.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/maintenance/pass.h"

namespace partitiond::cli {

std::string RenderText(const std::vector<maintenance::DatabaseReport>& reports,
                       std::chrono::sys_seconds now);
std::string RenderJson(const std::vector<maintenance::DatabaseReport>& reports,
                       std::chrono::sys_seconds now);

}  // namespace partitiond::cli
