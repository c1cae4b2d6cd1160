// `partitiond restore --config FILE [--no-attach] MANIFEST`: recreates an archived partition from
// its manifest (see executor/restorer.h), in the database the manifest's label names in FILE.
#pragma once

#include <ostream>

#include "daemon/cli/args.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"

namespace partitiond::cli {

// Exit codes: 0 restored (attached, or standalone as asked or because its range is taken);
// 1 the archive is corrupt, the table could not be recreated, or ATTACH failed; 2 the manifest
// cannot be read or names a database not in the config; 3 cannot connect.
int Restore(const config::Config& config, const Args& args, Env& env, std::ostream& out);

}  // namespace partitiond::cli
