// The fs.* host services over a session's file store (DESIGN §3): every file a plugin touches
// goes through the store, so the workspace boundary, the blocklist and the approval gate apply.
#pragma once

#include "core/session.hpp"
#include "plugins/plugin_instance.hpp"

namespace agenthost {

/// Add fs.read, fs.stat, fs.list (permission fs.read) and fs.write, fs.delete (fs.write).
void add_file_services(ServiceRouter& router, Session& session);

}  // namespace agenthost
