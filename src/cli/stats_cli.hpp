// `baton stats` (issue 6 item 6; docs/insights.md): usage, cost and judge insights.
//
//   baton stats [--days 7]              daily requests, tokens and cost
//   baton stats --days 30 --heatmap     a contribution-graph style heatmap of daily tokens
//   baton stats summary [--days 30]     requests, tokens, cost by model, provider, key and zone
//   baton stats winners [--days 30]     fan-out judge winners
//   baton stats judge --by-query-type   judge winners per query type
//
// Where the numbers come from: a running server's /insights/* endpoints (--url, else $BATON_URL,
// else http://127.0.0.1:4000; --master-key, else $BATON_MASTER_KEY), or the local store
// directly: with --local, or automatically when no server answers at the URL (a note on stderr
// says so). Locally the store named by the config file (-c, else ~/.config/baton/baton.toml when
// it exists) is read: its [store] url (PostgreSQL) or path (SQLite, opened read-only; default
// $XDG_DATA_HOME/baton/baton.db). Both ways render the same JSON (admin/insights_api.hpp), so the
// output is identical. --json prints that JSON.
//
// Colour: the heatmap uses ANSI 256 colours when stdout is a terminal and NO_COLOR is unset or
// empty; plain characters otherwise.
// Thread-safety: for main() only. Lifetime: a StatsCommands must outlive the parse and Run().
#pragma once

#include <string>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own spelling
class App;
}

namespace baton {

class StatsCommands {
 public:
  // Adds the `stats` command (and its subcommands) to `app`.
  explicit StatsCommands(CLI::App& app);

  bool parsed() const;
  int Run();

  struct Options {
    std::string url;
    std::string master_key;
    std::string config_path;
    bool local = false;
    bool json = false;
    int days = 0;  // 0 = the command's default
    bool heatmap = false;
    bool by_query_type = false;
  };

 private:
  Options opts_;
  CLI::App* stats_ = nullptr;
  CLI::App* summary_ = nullptr;
  CLI::App* winners_ = nullptr;
  CLI::App* judge_ = nullptr;
};

}  // namespace baton
