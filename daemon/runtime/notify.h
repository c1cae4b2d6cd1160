// systemd service notifications (sd_notify): READY=1, STATUS=..., WATCHDOG=1, STOPPING=1.
// Every call is a no-op when the daemon was not started by systemd (no NOTIFY_SOCKET).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace partitiond::runtime {

void NotifyReady(const std::string& status);
void NotifyStatus(const std::string& status);
void NotifyStopping();
void NotifyWatchdog();
// Half of WatchdogSec when systemd expects keep-alives from us, else nullopt.
std::optional<std::chrono::milliseconds> WatchdogPeriod();

}  // namespace partitiond::runtime
