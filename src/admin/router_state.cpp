#include "admin/router_state.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace baton {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

Error StateError(const std::string& path, const std::string& why) {
  return {ErrorKind::kInternal, "state file " + path + ": " + why, "state_file_error"};
}

// The whole file, or nullopt when it does not exist.
Result<std::optional<std::string>> ReadFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) {
      return StateError(path, ec.message());
    }
    return std::optional<std::string>();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return StateError(path, "cannot be read: " + std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return StateError(path, "cannot be read");
  }
  return std::optional<std::string>(text.str());
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error(ErrorKind::kInternal, std::generic_category().message(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

}  // namespace

std::string DefaultStateFile() {
  // Without HOME (and an absolute XDG_STATE_HOME) there is no sensible place: nothing is saved
  // and run-time changes are refused, rather than written relative to whatever the cwd is.
  std::string path = DefaultRouterStatePath();
  return path.starts_with('/') ? path : std::string();
}

std::string StateFilePath(const Config& config) {
  const std::string& configured = config.router.state_file;
  if (configured.empty()) {
    return DefaultStateFile();
  }
  fs::path path(configured);
  if (path.is_relative() && !config.source.empty() && config.source.front() != '<') {
    path = fs::path(config.source).parent_path() / path;
  }
  return path.lexically_normal().string();
}

Result<std::optional<std::vector<std::string>>> LoadPriorities(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) {
    return std::move(text).error();
  }
  const std::optional<std::string>& content = text.value();
  if (!content.has_value()) {
    return std::optional<std::vector<std::string>>();
  }
  boost::system::error_code ec;
  json::value root = json::parse(content.value(), ec);
  if (ec) {
    return StateError(path, "not valid JSON");
  }
  const json::object* obj = root.if_object();
  const json::value* list = obj != nullptr ? obj->if_contains("priorities") : nullptr;
  if (list == nullptr) {
    return std::optional<std::vector<std::string>>();  // no run-time list stored
  }
  if (!list->is_array()) {
    return StateError(path, "\"priorities\" is not an array");
  }
  std::vector<std::string> priorities;
  for (const json::value& item : list->get_array()) {
    if (!item.is_string()) {
      return StateError(path, "\"priorities\" holds a value that is not a string");
    }
    priorities.emplace_back(item.get_string());
  }
  return std::optional<std::vector<std::string>>(std::move(priorities));
}

Status SavePriorities(const std::string& path, const std::vector<std::string>& priorities) {
  if (path.empty()) {
    return StateError("(none)", "no path: set [router] state_file, or HOME / XDG_STATE_HOME");
  }
  json::object root;
  // Keep what other (later) run-time state the file holds.
  auto existing = ReadFile(path);
  const std::optional<std::string>* old_text = existing ? &existing.value() : nullptr;
  if (old_text != nullptr && old_text->has_value()) {
    boost::system::error_code ec;
    json::value old = json::parse(**old_text, ec);
    if (!ec && old.is_object()) {
      root = std::move(old.get_object());
    }
  }
  json::array list;
  for (const auto& id : priorities) {
    list.emplace_back(id);
  }
  root["priorities"] = std::move(list);
  std::string text = json::serialize(root);
  text += '\n';

  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      return StateError(path, "cannot create its directory: " + ec.message());
    }
  }
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return StateError(path, "cannot write: " + std::generic_category().message(errno));
  }
  ::fchmod(fd, 0600);  // a stale temp file may have had another mode
  Status written = WriteAll(fd, text);
  if (written && ::fsync(fd) != 0) {
    written = Error(ErrorKind::kInternal, std::generic_category().message(errno));
  }
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return StateError(path, "cannot write: " + written.error().message);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string why = std::generic_category().message(errno);
    ::unlink(temp.c_str());
    return StateError(path, "cannot replace: " + why);
  }
  return OkStatus();
}

std::vector<std::string> PlacePriority(std::vector<std::string> list, const std::string& id,
                                       int64_t position) {
  std::erase(list, id);
  auto at = static_cast<std::size_t>(std::clamp<int64_t>(position, 0, std::ssize(list)));
  list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), id);
  return list;
}

bool RemovePriority(std::vector<std::string>& list, std::string_view id) {
  return std::erase(list, std::string(id)) > 0;
}

Status CheckPriorityTarget(const Config& config, std::string_view id) {
  auto slash = id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == id.size()) {
    return Error(ErrorKind::kBadRequest,
                 R"(model must be "provider/model", got ")" + std::string(id) + "\"",
                 "invalid_model", "model");
  }
  if (config.FindProvider(id.substr(0, slash)) == nullptr) {
    return Error(
        ErrorKind::kBadRequest,
        "provider \"" + std::string(id.substr(0, slash)) + "\" is not defined in the config",
        "provider_not_found", "model");
  }
  return OkStatus();
}

}  // namespace baton
