#include "common/args.hpp"

#include <stdexcept>

namespace kpo::bench {

Args Args::Parse(int argc, char** argv, bool bare_flags) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || (eq == std::string::npos && !bare_flags)) {
      throw std::invalid_argument((bare_flags ? "expected --name[=value]: " : "expected --name=value: ") +
                                  arg);
    }
    args.values_[arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
        eq == std::string::npos ? "" : arg.substr(eq + 1);
  }
  return args;
}

std::string Args::Text(const std::string& name, const std::string& fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

double Args::Number(const std::string& name, double fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : std::stod(it->second);
}

void Args::Require(std::initializer_list<const char*> names) const {
  for (const char* name : names) {
    if (!Has(name)) throw std::invalid_argument(std::string("missing --") + name);
  }
}

}  // namespace kpo::bench
