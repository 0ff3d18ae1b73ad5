// Errors as values: the engine is built with -fno-exceptions (the WebAssembly toolchain has none),
// so every fallible call returns a Status or a Result<T> whose message a person can act on.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace cairn {

enum class StatusCode {
  kOk = 0,
  kInvalidModel,     // the file is not a well-formed ONNX model
  kUnsupported,      // a valid model uses something the engine does not implement
  kInvalidArgument,  // the caller passed something wrong (shape, name, option)
  kResourceLimit,    // a size or allocation is above the configured limit
  kCancelled,        // the run was cancelled by the caller
  kIoError,          // a file could not be read or written
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(StatusCode code, std::string message) { return Status(code, std::move(message)); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with where the error happened ("node 'conv1' (Conv): ...").
  Status with_context(const std::string& where) const {
    if (is_ok()) return *this;
    return Status(code_, where + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_model(std::string message) { return Status::error(StatusCode::kInvalidModel, std::move(message)); }
inline Status unsupported(std::string message) { return Status::error(StatusCode::kUnsupported, std::move(message)); }
inline Status invalid_argument(std::string message) {
  return Status::error(StatusCode::kInvalidArgument, std::move(message));
}
inline Status resource_limit(std::string message) {
  return Status::error(StatusCode::kResourceLimit, std::move(message));
}
inline Status io_error(std::string message) { return Status::error(StatusCode::kIoError, std::move(message)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.is_ok()); }  // NOLINT

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }

  T& value() & { assert(is_ok()); return *value_; }
  const T& value() const& { assert(is_ok()); return *value_; }
  T&& value() && { assert(is_ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace cairn

// Returns early from the enclosing function when `expr` (a Status) is an error.
#define CAIRN_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::cairn::Status cairn_status_ = (expr); \
    if (!cairn_status_.is_ok()) return cairn_status_; \
  } while (0)

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its Status from the enclosing function.
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) CAIRN_ASSIGN_OR_RETURN_IMPL(CAIRN_CONCAT(cairn_result_, __LINE__), lhs, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.is_ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
