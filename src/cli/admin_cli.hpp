// The admin commands of the `baton` binary (issue 5, item 9), run against a running server's
// admin API (/key/*, /team/*, /budget/*):
//
//   baton keys create [--alias A] [--team T] [--budget USD] [--duration 30d] [--models a,b]
//                     [--zone Z] [--rpm N] [--tpm N] [--expires 30d]
//   baton keys list [--team T] | keys info KEY | keys revoke KEY
//   baton teams create NAME [--id ID] [--budget USD] [--duration D] [--models a,b] [--rpm N]
//                           [--tpm N]
//   baton teams list | teams update TEAM [--budget USD] [--duration D] [--models ...] [--rpm N]
//                                        [--tpm N] [--block|--unblock]
//   baton budget stats | budget reset (--key K | --team T | --zone Z | --global)
//   baton client setup NAME [MONTHLY_BUDGET]
//
// Every command takes --url (else $BATON_URL, else http://127.0.0.1:4000), --master-key (else
// $BATON_MASTER_KEY; never printed) and --json (the server's raw JSON instead of a table).
// A new key is printed once (keys create, client setup). Errors: the server's message on stderr,
// exit status 1.
//
// The HTTP calls use the repo's own client (upstream/client.hpp) on a private io_context.
// Thread-safety: for main() only. Lifetime: an AdminCommands must outlive the parse and Run().
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own spelling
class App;
}

namespace baton {

// One request to a running server's admin API, for other CLI commands (stats_cli.hpp): `url` and
// `master_key` empty mean $BATON_URL (else http://127.0.0.1:4000) and $BATON_MASTER_KEY. A
// transport failure (no server answering) is an Error whose message names the URL; any HTTP
// status is a reply. `*used_url` receives the URL tried.
struct AdminReply {
  int status = 0;
  std::string body;
};
Result<AdminReply> CallAdminApi(const std::string& url, const std::string& master_key,
                                const std::string& target, std::string* used_url = nullptr);
// The error message of an admin API answer ({"error":{"message":...}}), else a generic one.
std::string AdminErrorMessage(int status, const std::string& body);

// A table on stdout: a header row, then the rows (each as many cells as the header), columns
// two spaces apart. kLeft: every column left-aligned (keys, teams). kNumbers: the first column
// left-aligned, the others right-aligned, trailing spaces trimmed (stats).
enum class TableAlign : uint8_t { kLeft, kNumbers };
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                TableAlign align = TableAlign::kLeft);

class AdminCommands {
 public:
  // Adds the `keys`, `teams`, `budget` and `client` subcommands to `app`.
  explicit AdminCommands(CLI::App& app);

  // True when the parsed command line chose one of these commands.
  bool parsed() const;
  // Runs the parsed command; the process exit status.
  int Run();

  // Options, filled by the parser (public for the registration code in admin_cli.cpp).
  struct Options {
    std::string url;
    std::string master_key;
    bool json = false;
    std::string alias;
    std::string team;
    std::string id;
    std::string budget;  // USD; empty = not given (also rpm, tpm, monthly_budget)
    std::string duration;
    std::string models;  // comma-separated
    std::string zone;
    std::string rpm;
    std::string tpm;
    std::string expires;
    bool block = false;
    bool unblock = false;
    std::string key;   // keys info/revoke KEY, budget reset --key
    std::string name;  // teams create NAME, client setup NAME, teams update TEAM
    bool global = false;
    std::string monthly_budget;
  };

 private:
  Options opts_;
  std::vector<std::pair<CLI::App*, int (*)(const Options&)>> commands_;
};

}  // namespace baton
