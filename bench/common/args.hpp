#pragma once
// The command line of the bench programs: options spelled --name=value (and, where a program
// allows them, bare --name flags).
#include <initializer_list>
#include <map>
#include <string>

namespace kpo::bench {

class Args {
 public:
  // Reads argv[1..argc). Throws std::invalid_argument for an argument that is not --name=value, or
  // not --name[=value] when `bare_flags` (a bare --name then has the empty value).
  static Args Parse(int argc, char** argv, bool bare_flags = false);

  bool Has(const std::string& name) const { return values_.contains(name); }
  // The value of --name; throws std::out_of_range when it was not given.
  const std::string& At(const std::string& name) const { return values_.at(name); }
  std::string Text(const std::string& name, const std::string& fallback) const;
  // Throws std::invalid_argument when the value is not a number.
  double Number(const std::string& name, double fallback) const;
  // Throws std::invalid_argument naming the first of `names` that was not given.
  void Require(std::initializer_list<const char*> names) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace kpo::bench
