// Reads the files a config names (the config itself, secret files) without ever waiting on them:
// a FIFO, a device or a socket at the path is refused instead of read, so a reload on the event
// loop, or check-config, cannot hang on a file nobody writes.
#pragma once

#include <optional>
#include <string>

namespace partitiond::config::detail {

// Reads the whole regular file at `path` into `text`. Returns why it could not ("No such file or
// directory", "not a regular file (a FIFO)"), or nullopt on success.
std::optional<std::string> ReadRegularFile(const std::string& path, std::string& text);

}  // namespace partitiond::config::detail
