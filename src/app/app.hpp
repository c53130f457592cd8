// The application: wires config, snapshot, API handlers, upstream clients and the server, and
// owns every long-lived service (DESIGN.md §3, app/). Entry points for the CLI commands that
// run in-process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace baton {

struct ServeOptions {
  std::string config_path;  // empty: ~/.config/baton/baton.toml, else the built-in default
  std::optional<std::string> host;
  std::optional<uint16_t> port;
};

// `baton serve`: runs until SIGINT/SIGTERM and the drain completed. Returns the exit code.
int RunServe(const ServeOptions& options);
// `baton config check PATH`: 0 when the file is valid, 1 otherwise (error on stderr).
int RunConfigCheck(const std::string& path);

}  // namespace baton
