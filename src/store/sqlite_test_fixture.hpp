// Test-only: a GoogleTest fixture holding a fresh SqliteStore in its own temporary directory,
// removed after each test. For the admin API tests that need a real store but not the
// PostgreSQL half of the contract suite (src/store/store_contract_test.cpp covers both).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "store/sqlite_store.hpp"

namespace baton {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "baton-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    auto opened = SqliteStore::Open((dir_ / "baton.db").string());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace baton
