// Command-line options of one cairn command: "--name value", "--name=value", flags, and positional arguments.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::cli {

struct OptionSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
  bool repeatable = false;
};

class Args {
 public:
  // Throws UsageError for an unknown option, a missing value, or a non-repeatable option given twice.
  Args(const std::string& command, const std::vector<std::string>& tokens, const std::vector<OptionSpec>& specs);

  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  // An integer option within [min, max]; anything else is a UsageError naming the option.
  int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;

 private:
  std::string command_;
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
};

// True when the tokens ask for help ("--help" or "-h" before any "--").
bool wants_help(const std::vector<std::string>& tokens);

}  // namespace cairn::cli
