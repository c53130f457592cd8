// The `baton` command line. Subcommands dispatch to app/ and cli/ functions.
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "app/app.hpp"
#include "app/logs_cli.hpp"
#include "app/verify_cli.hpp"
#include "cli/admin_cli.hpp"
#include "cli/stats_cli.hpp"

namespace {

int Run(int argc, char** argv) {
  CLI::App cli{"Baton: a self-hosted LLM API gateway"};
  cli.require_subcommand(1);

  baton::ServeOptions serve;
  std::string host;
  int port = -1;
  auto* serve_cmd = cli.add_subcommand("serve", "Run the gateway");
  serve_cmd->add_option("-c,--config", serve.config_path,
                        "Config file (default: ~/.config/baton/baton.toml, else built-in)");
  serve_cmd->add_option("--host", host, "Listen address (overrides [server] host)");
  serve_cmd->add_option("-p,--port", port, "Listen port, 0 for any (overrides [server] port)")
      ->check(CLI::Range(0, 65535));

  auto* config_cmd = cli.add_subcommand("config", "Configuration commands");
  config_cmd->require_subcommand(1);
  std::string check_path;
  auto* check_cmd = config_cmd->add_subcommand("check", "Validate a config file and exit");
  check_cmd->add_option("path", check_path, "baton.toml to check")->required();

  auto* logs_cmd = cli.add_subcommand("logs", "Read the request log");
  logs_cmd->require_subcommand(1);
  baton::LogsOptions logs;
  auto add_logs_options = [&logs](CLI::App* cmd) {
    cmd->add_option("-c,--config", logs.config_path,
                    "Config file for [log] dir and encrypt_key (default: "
                    "~/.config/baton/baton.toml when it exists)");
    cmd->add_option("--dir", logs.dir, "Log folder (overrides [log] dir)");
    cmd->add_option("--key", logs.key_ref,
                    "Decryption key as a secret reference: env:NAME, file:PATH, ... "
                    "(overrides [log] encrypt_key)");
  };
  auto* logs_cat_cmd = logs_cmd->add_subcommand("cat", "Print the records as JSON lines, in order");
  add_logs_options(logs_cat_cmd);
  auto* logs_verify_cmd =
      logs_cmd->add_subcommand("verify", "Check the hash chain; exit 1 at the first break");
  add_logs_options(logs_verify_cmd);

  baton::VerifyOptions verify;
  auto* verify_cmd = cli.add_subcommand(
      "verify", "Check a saved signed answer (JSON body or SSE stream); exit 1 when it fails");
  verify_cmd->add_option("file", verify.path, "The saved answer, - for standard input")->required();
  verify_cmd->add_option("--secret", verify.secret_ref,
                         "Signing secret as a secret reference: env:NAME, file:PATH, ... "
                         "(default: [signing] secret, else env:BATON_SIGNING_SECRET)");
  verify_cmd->add_option("-c,--config", verify.config_path,
                         "Config file for [signing] secret (default: ~/.config/baton/baton.toml "
                         "when it exists)");
  verify_cmd->add_option("--request-id", verify.request_id,
                         "The request id the answer must be signed for (default: as signed)");

  cli.add_subcommand("version", "Print the version");

  // keys, teams, budget, client: against a running server's admin API.
  baton::AdminCommands admin(cli);
  // stats: a running server's /insights/*, or the local store.
  baton::StatsCommands stats(cli);

  CLI11_PARSE(cli, argc, argv);

  if (admin.parsed()) {
    return admin.Run();
  }
  if (stats.parsed()) {
    return stats.Run();
  }
  if (serve_cmd->parsed()) {
    if (!host.empty()) {
      serve.host = host;
    }
    if (port >= 0) {
      serve.port = static_cast<uint16_t>(port);
    }
    return baton::RunServe(serve);
  }
  if (logs_cat_cmd->parsed()) {
    return baton::RunLogsCat(logs);
  }
  if (logs_verify_cmd->parsed()) {
    return baton::RunLogsVerify(logs);
  }
  if (verify_cmd->parsed()) {
    return baton::RunVerify(verify);
  }
  if (check_cmd->parsed()) {
    return baton::RunConfigCheck(check_path);
  }
  std::printf("baton 0.1.0\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that closed its socket must be an error on that socket, never the end of the process:
  // Asio sends with MSG_NOSIGNAL, but libraries writing with write(2) (hiredis, libpq) do not.
  (void)std::signal(SIGPIPE, SIG_IGN);
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: %s\n", e.what());
    return 1;
  }
}
