// Helpers shared by the telemetry tests (not part of the library: header only, tests include it).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "telemetry/request_record.hpp"

namespace baton::testing {

// A fresh directory under the test temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("baton_tel_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline RequestRecord SampleRecord(int i) {
  RequestRecord r;
  r.time_ms = 1'780'000'000'000 + i;
  r.request_id = "req-" + std::to_string(i);
  r.key_alias = "alice";
  r.key_hash = std::string(64, 'a');
  r.key_prefix = "sk-...ab12";
  r.team_id = "team-1";
  r.zone = "eu";
  r.session = "s1";
  r.dialect = "openai";
  r.operation = "chat";
  r.model_asked = "gpt-4o";
  r.model_used = "openai/gpt-4o";
  r.provider = "openai";
  r.attempts = 1;
  r.status = 200;
  r.latency_ms = 120 + i;
  r.prompt_tokens = 10 + i;
  r.completion_tokens = 5;
  r.cost = int64_t{1'000'000} * (i + 1);
  return r;
}

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

inline void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  for (const auto& l : lines) {
    out << l << '\n';
  }
}

}  // namespace baton::testing
