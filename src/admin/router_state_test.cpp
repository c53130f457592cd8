#include "admin/router_state.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace baton {
namespace {

namespace fs = std::filesystem;
using Names = std::vector<std::string>;

class RouterStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "baton-state-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  fs::path dir_;
};

TEST_F(RouterStateTest, SaveCreatesTheDirectoryAndLoadReadsItBack) {
  const std::string path = (dir_ / "state" / "baton" / "router.json").string();
  ASSERT_TRUE(SavePriorities(path, {"openai/gpt-4o", "claude/claude-sonnet-4-5"}).ok());
  EXPECT_EQ(Read(path), R"({"priorities":["openai/gpt-4o","claude/claude-sonnet-4-5"]})"
                        "\n");
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto loaded = LoadPriorities(path);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded.value().has_value());
  EXPECT_EQ(*loaded.value(), (Names{"openai/gpt-4o", "claude/claude-sonnet-4-5"}));
  // No temp file left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(fs::path(path).parent_path())) {
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(RouterStateTest, SaveReplacesAndKeepsOtherKeys) {
  const fs::path path = dir_ / "router.json";
  Write(path, R"({"priorities":["a/1"],"future":{"x":1}})");
  ::chmod(path.c_str(), 0644);
  ASSERT_TRUE(SavePriorities(path.string(), {"b/2"}).ok());
  EXPECT_EQ(Read(path), R"({"priorities":["b/2"],"future":{"x":1}})"
                        "\n");
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_TRUE(SavePriorities(path.string(), {}).ok());
  auto loaded = LoadPriorities(path.string());
  ASSERT_TRUE(loaded.ok() && loaded.value().has_value());
  EXPECT_TRUE(loaded.value()->empty());  // an emptied list is a list, not "none stored"
}

TEST_F(RouterStateTest, MissingFileIsNoList) {
  auto loaded = LoadPriorities((dir_ / "absent.json").string());
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value().has_value());
  Write(dir_ / "other.json", R"({"something":"else"})");
  loaded = LoadPriorities((dir_ / "other.json").string());
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value().has_value());
}

TEST_F(RouterStateTest, CorruptFilesAreErrors) {
  for (const std::string& text : {std::string("{not json"), std::string(R"({"priorities":"a/1"})"),
                                  std::string(R"({"priorities":["a/1",2]})"), std::string("[]")}) {
    Write(dir_ / "bad.json", text);
    auto loaded = LoadPriorities((dir_ / "bad.json").string());
    if (text == "[]") {
      ASSERT_TRUE(loaded.ok());  // not an object: nothing stored in it
      EXPECT_FALSE(loaded.value().has_value());
      continue;
    }
    ASSERT_FALSE(loaded.ok()) << text;
    EXPECT_NE(loaded.error().message.find("bad.json"), std::string::npos);
  }
}

TEST_F(RouterStateTest, SaveFailsCleanlyWhenTheDirectoryCannotBeMade) {
  Write(dir_ / "file", "x");
  Status saved = SavePriorities((dir_ / "file" / "router.json").string(), {"a/1"});
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.error().kind, ErrorKind::kInternal);
}

TEST(RouterStatePathTest, DefaultFollowsXdgStateHomeThenHome) {
  const char* old_xdg = std::getenv("XDG_STATE_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_xdg = old_xdg != nullptr ? old_xdg : "";
  std::string saved_home = old_home != nullptr ? old_home : "";
  ::setenv("XDG_STATE_HOME", "/srv/state", 1);
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DefaultStateFile(), "/srv/state/baton/router.json");
  ::setenv("XDG_STATE_HOME", "relative/ignored", 1);
  EXPECT_EQ(DefaultStateFile(), "/home/someone/.local/state/baton/router.json");
  ::unsetenv("XDG_STATE_HOME");
  EXPECT_EQ(DefaultStateFile(), "/home/someone/.local/state/baton/router.json");
  Config config;
  config.source = "/etc/baton/baton.toml";
  EXPECT_EQ(StateFilePath(config), "/home/someone/.local/state/baton/router.json");
  config.router.state_file = "router.json";
  EXPECT_EQ(StateFilePath(config), "/etc/baton/router.json");
  config.router.state_file = "/var/lib/baton/r.json";
  EXPECT_EQ(StateFilePath(config), "/var/lib/baton/r.json");
  if (old_xdg != nullptr) {
    ::setenv("XDG_STATE_HOME", saved_xdg.c_str(), 1);
  }
  if (old_home != nullptr) {
    ::setenv("HOME", saved_home.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
}

TEST(PriorityListTest, PlaceInsertsOrMovesWithClampedPosition) {
  Names list{"a/1", "b/2", "c/3"};
  EXPECT_EQ(PlacePriority(list, "d/4", 0), (Names{"d/4", "a/1", "b/2", "c/3"}));
  EXPECT_EQ(PlacePriority(list, "d/4", 99), (Names{"a/1", "b/2", "c/3", "d/4"}));
  EXPECT_EQ(PlacePriority(list, "d/4", -5), (Names{"d/4", "a/1", "b/2", "c/3"}));
  EXPECT_EQ(PlacePriority(list, "a/1", 2), (Names{"b/2", "c/3", "a/1"}));
  EXPECT_EQ(PlacePriority(list, "c/3", 0), (Names{"c/3", "a/1", "b/2"}));
  EXPECT_EQ(PlacePriority(list, "b/2", 1), list);
  EXPECT_EQ(PlacePriority({}, "a/1", 3), Names{"a/1"});
}

TEST(PriorityListTest, Remove) {
  Names list{"a/1", "b/2"};
  EXPECT_TRUE(RemovePriority(list, "a/1"));
  EXPECT_EQ(list, Names{"b/2"});
  EXPECT_FALSE(RemovePriority(list, "a/1"));
}

TEST(PriorityListTest, TargetMustNameADefinedProvider) {
  Config config;
  ProviderConfig p;
  p.name = "openai";
  config.providers.push_back(p);
  EXPECT_TRUE(CheckPriorityTarget(config, "openai/gpt-4o").ok());
  for (std::string_view bad : {"gpt-4o", "/gpt-4o", "openai/", "nope/gpt-4o"}) {
    Status s = CheckPriorityTarget(config, bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().kind, ErrorKind::kBadRequest);
    EXPECT_EQ(s.error().param, "model");
  }
}

}  // namespace
}  // namespace baton
