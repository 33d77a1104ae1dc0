#pragma once
// For tests of settings read from the environment: the environment the test runs in (a developer's
// shell, the test runner's) may hold any of the variables, and a test must see only what it sets.
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): setenv/unsetenv are POSIX, not in <cstdlib>
#include <unistd.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kpo::core {

// Unsets every variable whose name starts with one of `prefixes` (a whole name: end it with '=').
inline void UnsetVariablesStartingWith(std::initializer_list<std::string_view> prefixes) {
  std::vector<std::string> names;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    for (const auto prefix : prefixes) {
      if (text.starts_with(prefix)) {
        names.emplace_back(text.substr(0, text.find('=')));
        break;
      }
    }
  }
  for (const auto& name : names) unsetenv(name.c_str());
}

}  // namespace kpo::core
