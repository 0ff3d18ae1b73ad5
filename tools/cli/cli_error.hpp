// The two ways a cairn command fails: a usage error (exit 2, the command line is wrong whatever the files hold)
// and an error (exit 1, a file, model or shape is wrong, or a run failed).
#pragma once

#include <stdexcept>
#include <string>

#include "cairn/status.hpp"

namespace cairn::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The value of `result`, or a CliError "<context>: <message>" (no prefix when the message already names it).
template <typename T>
T value_or_throw(Result<T> result, const std::string& context) {
  if (!result.is_ok()) {
    const std::string& message = result.status().message();
    if (context.empty() || message.find(context) != std::string::npos) throw CliError(message);
    throw CliError(context + ": " + message);
  }
  return std::move(result).value();
}

inline void throw_if_error(const Status& status, const std::string& context) {
  if (status.is_ok()) return;
  if (context.empty() || status.message().find(context) != std::string::npos) throw CliError(status.message());
  throw CliError(context + ": " + status.message());
}

}  // namespace cairn::cli
