// Run-time router state kept across restarts: the `auto` priority list as changed through the
// admin API, in a small JSON file ({"priorities":["provider/model", ...]}) at [router]
// state_file (default $XDG_STATE_HOME/baton/router.json, i.e. ~/.local/state/baton/router.json).
// A list found there at start wins over the config's [router] priorities.
//
// Also the list edits the admin API makes (insert or move to a position, remove) as pure
// functions, so they are tested apart from the files.
//
// Thread-safety: free functions with no shared state; writers of one file must be serialised by
// the caller (the App holds a mutex). Writes are atomic (temp file + rename), so a reader or a
// crash never sees half a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"

namespace baton {

// $XDG_STATE_HOME/baton/router.json, else $HOME/.local/state/baton/router.json; empty when
// neither variable is set (nothing is persisted then).
std::string DefaultStateFile();
// The state file for a config: [router] state_file (a relative path is taken against the config
// file's directory), else DefaultStateFile().
std::string StateFilePath(const Config& config);

// The priorities stored in `path`: nullopt when the file does not exist; kInternal with a reason
// when it cannot be read or is not {"priorities":[strings]}.
Result<std::optional<std::vector<std::string>>> LoadPriorities(const std::string& path);
// Stores the priorities in `path` (other top-level keys of a valid existing file are kept):
// creates the directory, writes a temp file (mode 0600) next to it and renames it over.
Status SavePriorities(const std::string& path, const std::vector<std::string>& priorities);

// `id` inserted at `position` (clamped to 0..size), or moved there when already in the list.
std::vector<std::string> PlacePriority(std::vector<std::string> list, const std::string& id,
                                       int64_t position);
// Removes `id`; false when it was not in the list.
bool RemovePriority(std::vector<std::string>& list, std::string_view id);
// OkStatus when `id` is "provider/model" with a provider the config defines; kBadRequest (param
// model) saying why otherwise.
Status CheckPriorityTarget(const Config& config, std::string_view id);

}  // namespace baton
