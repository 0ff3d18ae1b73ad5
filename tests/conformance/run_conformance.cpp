// cairn_conformance: runs ONNX's own backend node test cases (onnx 1.12, written by generate.py) through the
// engine's public API and compares with ONNX's reference outputs at the backend tests' tolerance
// (|actual - expected| <= atol + rtol |expected|, rtol = 1e-3, atol = 1e-7; NaN must match NaN; shapes exactly).
//
// Usage: cairn_conformance DIR [--expected FILE] [--filter SUBSTRING] [--no-fork] [--quiet]
//
// A case is in scope when every operator of its model is one the engine registers, or one removed or folded at
// load (Constant, Identity, Dropout). In-scope cases with inputs or outputs other than float32 must be refused
// by the engine. Each in-scope case runs in a child process, so that a crash is reported as that case's failure.
// Exit status: 0 when every in-scope case passes or is listed in FILE, 1 when one fails or is refused without
// being listed, or a listed one passes (the list must stay honest), 2 on a usage or data error.
//
// This is a test tool, not the engine: it uses exceptions for its own errors.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/engine.hpp"
#include "onnx/onnx_loader.hpp"
#include "ops/kernel.hpp"

namespace fs = std::filesystem;

namespace {

constexpr double kRtol = 1e-3;  // onnx/backend/test/case/node/__init__.py defaults
constexpr double kAtol = 1e-7;
constexpr int kFloatType = 1;   // TensorProto.FLOAT

// ---------------------------------------------------------------------------------------------------------------
// A minimal protobuf wire reader, independent of the engine's: which operators a model uses, and the type and
// shape of a test tensor, decide how a case is classified, so they must not depend on the code under test.

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : data_(bytes) {}

  struct Field {
    uint32_t number = 0;
    int wire_type = 0;
    uint64_t varint = 0;         // wire type 0
    std::string_view bytes;      // wire type 2
  };

  bool next(Field& field) {
    if (pos_ >= data_.size()) return false;
    uint64_t key = read_varint();
    field.number = static_cast<uint32_t>(key >> 3);
    field.wire_type = static_cast<int>(key & 7);
    switch (field.wire_type) {
      case 0: field.varint = read_varint(); break;
      case 1: skip(8); break;
      case 2: {
        uint64_t length = read_varint();
        if (length > data_.size() - pos_) throw std::runtime_error("truncated protobuf field");
        field.bytes = data_.substr(pos_, static_cast<size_t>(length));
        pos_ += static_cast<size_t>(length);
        break;
      }
      case 5: skip(4); break;
      default: throw std::runtime_error("unsupported protobuf wire type " + std::to_string(field.wire_type));
    }
    return true;
  }

  uint64_t read_varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) throw std::runtime_error("truncated protobuf varint");
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      value |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw std::runtime_error("protobuf varint too long");
  }

  bool at_end() const { return pos_ >= data_.size(); }

 private:
  void skip(size_t n) {
    if (n > data_.size() - pos_) throw std::runtime_error("truncated protobuf field");
    pos_ += n;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Operators of a GraphProto, including those of subgraphs (If, Loop, Scan bodies); "domain:Op" outside the
// default domain.
void collect_operators(std::string_view graph, std::set<std::string>& ops) {
  WireReader reader(graph);
  WireReader::Field field;
  while (reader.next(field)) {
    if (field.number != 1 || field.wire_type != 2) continue;  // GraphProto.node
    WireReader node(field.bytes);
    WireReader::Field nf;
    std::string op_type, domain;
    while (node.next(nf)) {
      if (nf.wire_type != 2) continue;
      if (nf.number == 4) op_type = std::string(nf.bytes);  // NodeProto.op_type
      if (nf.number == 7) domain = std::string(nf.bytes);   // NodeProto.domain
      if (nf.number == 5) {                                 // NodeProto.attribute
        WireReader attribute(nf.bytes);
        WireReader::Field af;
        while (attribute.next(af)) {
          if (af.wire_type == 2 && (af.number == 6 || af.number == 11)) collect_operators(af.bytes, ops);  // g, graphs
        }
      }
    }
    ops.insert(domain.empty() || domain == "ai.onnx" ? op_type : domain + ":" + op_type);
  }
}

const char* tensor_type_name(int data_type) {
  static const char* const names[] = {"undefined", "float32", "uint8",     "int8",       "uint16",  "int16",
                                      "int32",     "int64",   "string",    "bool",       "float16", "float64",
                                      "uint32",    "uint64",  "complex64", "complex128", "bfloat16"};
  return data_type >= 0 && data_type <= 16 ? names[data_type] : "unknown";
}

// A graph input or output: its name, and its type as declared ("float32", "int64", "sequence", ...).
struct Port {
  std::string name;
  std::string type = "undeclared";
};

// ValueInfoProto: name = 1, type = 2; TypeProto: tensor_type = 1 (elem_type = 1), sequence_type = 4,
// map_type = 5, sparse_tensor_type = 8, optional_type = 9.
Port read_value_info(std::string_view bytes) {
  Port port;
  WireReader reader(bytes);
  WireReader::Field field;
  while (reader.next(field)) {
    if (field.wire_type != 2) continue;
    if (field.number == 1) port.name = std::string(field.bytes);
    if (field.number != 2) continue;
    WireReader type(field.bytes);
    WireReader::Field tf;
    while (type.next(tf)) {
      if (tf.wire_type != 2) continue;
      if (tf.number == 1) {
        WireReader tensor(tf.bytes);
        WireReader::Field ef;
        port.type = tensor_type_name(0);
        while (tensor.next(ef)) {
          if (ef.number == 1 && ef.wire_type == 0) port.type = tensor_type_name(static_cast<int>(ef.varint));
        }
      } else if (tf.number == 4) {
        port.type = "sequence";
      } else if (tf.number == 5) {
        port.type = "map";
      } else if (tf.number == 8) {
        port.type = "sparse tensor";
      } else if (tf.number == 9) {
        port.type = "optional";
      }
    }
  }
  return port;
}

struct ModelFacts {
  std::set<std::string> operators;
  std::vector<Port> inputs;  // graph inputs that are not initializers, in order
  std::vector<Port> outputs;
};

ModelFacts read_model_facts(const std::string& bytes) {
  ModelFacts facts;
  WireReader model(bytes);
  WireReader::Field field;
  while (model.next(field)) {
    if (field.number != 7 || field.wire_type != 2) continue;  // ModelProto.graph
    collect_operators(field.bytes, facts.operators);
    std::set<std::string> initializers;
    std::vector<Port> inputs;
    WireReader graph(field.bytes);
    WireReader::Field gf;
    while (graph.next(gf)) {
      if (gf.wire_type != 2) continue;
      if (gf.number == 5) {  // GraphProto.initializer; TensorProto.name = 8
        WireReader tensor(gf.bytes);
        WireReader::Field f;
        while (tensor.next(f)) {
          if (f.number == 8 && f.wire_type == 2) initializers.insert(std::string(f.bytes));
        }
      }
      if (gf.number == 11) inputs.push_back(read_value_info(gf.bytes));
      if (gf.number == 12) facts.outputs.push_back(read_value_info(gf.bytes));
    }
    for (const auto& port : inputs) {
      if (!initializers.count(port.name)) facts.inputs.push_back(port);
    }
  }
  return facts;
}

// The dimensions of a serialized TensorProto (dims = 1, packed or not).
std::vector<int64_t> read_tensor_dims(const std::string& bytes) {
  std::vector<int64_t> dims;
  WireReader reader(bytes);
  WireReader::Field field;
  while (reader.next(field)) {
    if (field.number == 1 && field.wire_type == 0) dims.push_back(static_cast<int64_t>(field.varint));
    if (field.number == 1 && field.wire_type == 2) {
      WireReader packed(field.bytes);
      while (!packed.at_end()) dims.push_back(static_cast<int64_t>(packed.read_varint()));
    }
  }
  return dims;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string shape_text(const cairn::Shape& shape) { return cairn::shape_to_string(shape); }

// ---------------------------------------------------------------------------------------------------------------

enum class Outcome { kPass, kFail, kRefused, kOutOfScope };

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPass: return "PASS";
    case Outcome::kFail: return "FAIL";
    case Outcome::kRefused: return "REFUSED";
    case Outcome::kOutOfScope: return "OUT-OF-SCOPE";
  }
  return "?";
}

struct CaseResult {
  std::string name;
  Outcome outcome = Outcome::kFail;
  std::string detail;
  std::set<std::string> operators;
  std::vector<std::string> unsupported;
};

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\t', ' ');
  return text;
}

cairn::ConstTensor parse_tensor(const fs::path& path) {
  std::string bytes = read_file(path);
  auto tensor = cairn::parse_tensor_proto(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!tensor.is_ok()) throw std::runtime_error(path.filename().string() + ": " + tensor.status().message());
  return std::move(tensor).value();
}

std::vector<fs::path> data_sets(const fs::path& case_dir) {
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(case_dir)) {
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0) {
      sets.push_back(entry.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  return sets;
}

std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (size_t i = 0;; ++i) {
    fs::path file = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    files.push_back(file);
  }
  return files;
}

// Compares one output; returns an empty string when it matches.
std::string compare_output(const std::string& name, const cairn::Tensor& actual, const cairn::ConstTensor& expected) {
  if (actual.shape != expected.shape) {
    return "output '" + name + "' has shape " + shape_text(actual.shape) + ", expected " + shape_text(expected.shape);
  }
  const std::vector<float>& want = expected.floats;
  if (actual.data.size() != want.size()) {
    return "output '" + name + "' has " + std::to_string(actual.data.size()) + " values, expected " +
           std::to_string(want.size());
  }
  size_t mismatches = 0, first = 0;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double a = actual.data[i], b = want[i];
    bool ok;
    if (std::isnan(b) || std::isnan(a)) {
      ok = std::isnan(a) && std::isnan(b);
    } else if (std::isinf(b) || std::isinf(a)) {
      ok = a == b;
    } else {
      ok = std::fabs(a - b) <= kAtol + kRtol * std::fabs(b);
      if (!ok) worst = std::max(worst, std::fabs(a - b));
    }
    if (!ok && mismatches++ == 0) first = i;
  }
  if (mismatches == 0) return "";
  std::ostringstream out;
  out.precision(9);
  out << "output '" << name << "': " << mismatches << " of " << want.size() << " values differ, first at [" << first
      << "]: got " << actual.data[first] << ", expected " << want[first];
  if (worst > 0) out << "; max |diff| " << worst;
  return out.str();
}

// Runs an in-scope case; any exception is a failure of the case.
CaseResult run_case(const fs::path& case_dir, const std::string& model_bytes, const ModelFacts& facts) {
  CaseResult result;
  result.name = case_dir.filename().string();
  auto sets = data_sets(case_dir);
  if (sets.empty()) throw std::runtime_error("no test_data_set_* folder");

  // Types first: the engine computes in float32 only and must refuse anything else.
  std::vector<std::string> non_float;
  for (const auto& port : facts.inputs) {
    if (port.type != tensor_type_name(kFloatType)) non_float.push_back("input '" + port.name + "' (" + port.type + ")");
  }
  for (const auto& port : facts.outputs) {
    if (port.type != tensor_type_name(kFloatType)) non_float.push_back("output '" + port.name + "' (" + port.type + ")");
  }

  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(model_bytes.data()), model_bytes.size());
  auto loaded = cairn::Model::load_bytes(bytes);
  auto refusal_or_failure = [&](const cairn::Status& status, const char* stage) {
    result.outcome = status.code() == cairn::StatusCode::kUnsupported ? Outcome::kRefused : Outcome::kFail;
    result.detail = std::string(stage) + ": " + one_line(status.message());
    return result;
  };

  if (!non_float.empty()) {
    // A refusal at load or at preparation is the expected outcome.
    std::string types = join(non_float, ", ");
    if (!loaded.is_ok()) {
      result.outcome = Outcome::kRefused;
      result.detail = "non-float32 " + types + "; load: " + one_line(loaded.status().message());
      return result;
    }
    std::map<std::string, cairn::Shape> shapes;
    auto inputs = numbered_files(sets[0], "input_");
    for (size_t i = 0; i < inputs.size() && i < facts.inputs.size(); ++i) {
      const Port& port = facts.inputs[i];
      bool is_tensor = port.type != "sequence" && port.type != "map" && port.type != "optional" &&
                       port.type != "sparse tensor" && port.type != "undeclared";
      if (is_tensor) shapes[port.name] = read_tensor_dims(read_file(inputs[i]));
    }
    auto prepared = loaded.value()->prepare(shapes);
    if (!prepared.is_ok()) {
      result.outcome = Outcome::kRefused;
      result.detail = "non-float32 " + types + "; prepare: " + one_line(prepared.status().message());
      return result;
    }
    result.outcome = Outcome::kFail;
    result.detail = "the engine accepted a model with non-float32 " + types + " instead of refusing it";
    return result;
  }

  if (!loaded.is_ok()) return refusal_or_failure(loaded.status(), "load");
  cairn::Model& model = *loaded.value();

  std::vector<std::string> problems;
  for (const auto& set : sets) {
    auto input_files = numbered_files(set, "input_");
    auto output_files = numbered_files(set, "output_");
    if (input_files.size() != facts.inputs.size()) {
      throw std::runtime_error(set.filename().string() + " has " + std::to_string(input_files.size()) +
                               " inputs, the model " + std::to_string(facts.inputs.size()));
    }
    std::vector<cairn::ConstTensor> inputs;
    for (const auto& file : input_files) inputs.push_back(parse_tensor(file));
    std::vector<cairn::InputView> views;
    for (size_t i = 0; i < inputs.size(); ++i) {
      views.push_back({facts.inputs[i].name, inputs[i].shape, inputs[i].floats.data()});
    }
    auto outputs = model.run(views);
    if (!outputs.is_ok()) return refusal_or_failure(outputs.status(), "run");
    if (outputs.value().size() != output_files.size()) {
      problems.push_back(std::to_string(outputs.value().size()) + " outputs, expected " +
                         std::to_string(output_files.size()));
      continue;
    }
    for (size_t i = 0; i < output_files.size(); ++i) {
      std::string name = i < facts.outputs.size() ? facts.outputs[i].name : std::to_string(i);
      std::string problem = compare_output(name, outputs.value()[i], parse_tensor(output_files[i]));
      if (!problem.empty()) problems.push_back((sets.size() > 1 ? set.filename().string() + ": " : "") + problem);
    }
  }
  if (problems.empty()) {
    result.outcome = Outcome::kPass;
    result.detail = std::to_string(facts.outputs.size()) + " output(s) within rtol 1e-3, atol 1e-7";
  } else {
    result.outcome = Outcome::kFail;
    result.detail = one_line(join(problems, "; "));
  }
  return result;
}

// Runs run_case in a child process so that a crash or a hang fails only this case.
CaseResult run_case_isolated(const fs::path& case_dir, const std::string& model_bytes, const ModelFacts& facts,
                             bool fork_each) {
  auto in_process = [&]() {
    try {
      return run_case(case_dir, model_bytes, facts);
    } catch (const std::exception& e) {
      CaseResult failed;
      failed.name = case_dir.filename().string();
      failed.outcome = Outcome::kFail;
      failed.detail = std::string("runner: ") + one_line(e.what());
      return failed;
    }
  };
  if (!fork_each) return in_process();

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::cout.flush();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(pipe_fds[0]);
    alarm(120);  // a hang is a failure
    CaseResult r = in_process();
    std::string message = std::to_string(static_cast<int>(r.outcome)) + "\t" + r.detail;
    size_t written = 0;
    while (written < message.size()) {
      ssize_t n = write(pipe_fds[1], message.data() + written, message.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(pipe_fds[1]);
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);

  CaseResult result;
  result.name = case_dir.filename().string();
  size_t tab = message.find('\t');
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && tab != std::string::npos) {
    result.outcome = static_cast<Outcome>(std::stoi(message.substr(0, tab)));
    result.detail = message.substr(tab + 1);
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    result.outcome = Outcome::kFail;
    result.detail = sig == SIGALRM ? "hung (no result within 120 s)"
                                   : std::string("crashed: signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
  } else {
    result.outcome = Outcome::kFail;
    result.detail = "the case's process exited with status " + std::to_string(WEXITSTATUS(status));
  }
  return result;
}

struct ExpectedFailure {
  std::string reason;
  int line = 0;
};

std::map<std::string, ExpectedFailure> read_expected_failures(const fs::path& path) {
  std::map<std::string, ExpectedFailure> list;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string text;
  int line_number = 0;
  while (std::getline(in, text)) {
    ++line_number;
    size_t start = text.find_first_not_of(" \t");
    if (start == std::string::npos || text[start] == '#') continue;
    size_t hash = text.find('#');
    std::string name = text.substr(start, (hash == std::string::npos ? text.size() : hash) - start);
    name.erase(name.find_last_not_of(" \t\r") + 1);
    std::string reason = hash == std::string::npos ? "" : text.substr(hash + 1);
    reason.erase(0, reason.find_first_not_of(" \t"));
    reason.erase(reason.find_last_not_of(" \t\r") + 1);
    auto where = path.filename().string() + ":" + std::to_string(line_number);
    if (name.find_first_of(" \t") != std::string::npos) throw std::runtime_error(where + ": one case name per line");
    if (reason.empty()) throw std::runtime_error(where + ": '" + name + "' needs a reason (name  # reason)");
    if (list.count(name)) throw std::runtime_error(where + ": '" + name + "' is listed twice");
    list[name] = {reason, line_number};
  }
  return list;
}

struct Options {
  fs::path dir;
  fs::path expected;
  std::string filter;
  bool fork_each = true;
  bool quiet = false;
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--expected") {
      options.expected = value();
    } else if (arg == "--filter") {
      options.filter = value();
    } else if (arg == "--no-fork") {
      options.fork_each = false;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (arg == "-h" || arg == "--help") {
      throw std::invalid_argument("");
    } else if (!arg.empty() && arg[0] == '-') {
      throw std::invalid_argument("unknown option " + arg);
    } else if (options.dir.empty()) {
      options.dir = arg;
    } else {
      throw std::invalid_argument("unexpected argument " + arg);
    }
  }
  if (options.dir.empty()) throw std::invalid_argument("missing DIR");
  return options;
}

int run(const Options& options) {
  fs::path root = fs::exists(options.dir / "node") ? options.dir / "node" : options.dir;
  if (!fs::is_directory(root)) throw std::runtime_error(options.dir.string() + " is not a directory");
  std::map<std::string, ExpectedFailure> expected;
  if (!options.expected.empty()) expected = read_expected_failures(options.expected);

  std::set<std::string> supported = {"Constant", "Identity", "Dropout"};
  for (const auto& name : cairn::KernelRegistry::global().names()) supported.insert(name);

  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && fs::exists(entry.path() / "model.onnx") &&
        entry.path().filename().string().find(options.filter) != std::string::npos) {
      cases.push_back(entry.path());
    }
  }
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) throw std::runtime_error("no case folder with a model.onnx under " + root.string());

  std::vector<CaseResult> results;
  for (const auto& case_dir : cases) {
    std::string bytes = read_file(case_dir / "model.onnx");
    ModelFacts facts = read_model_facts(bytes);
    CaseResult result;
    std::vector<std::string> unsupported;
    for (const auto& op : facts.operators) {
      if (!supported.count(op)) unsupported.push_back(op);
    }
    if (!unsupported.empty()) {
      result.name = case_dir.filename().string();
      result.outcome = Outcome::kOutOfScope;
      result.detail = "unsupported: " + join(unsupported, ", ");
    } else {
      result = run_case_isolated(case_dir, bytes, facts, options.fork_each);
    }
    result.operators = facts.operators;
    result.unsupported = unsupported;
    auto listed = expected.find(result.name);
    std::string note;
    if (listed != expected.end() && (result.outcome == Outcome::kFail || result.outcome == Outcome::kRefused)) {
      note = "  [expected: " + listed->second.reason + "]";
    }
    if (!options.quiet || result.outcome != Outcome::kOutOfScope) {
      std::printf("%-12s  %-50s  %s%s\n", outcome_name(result.outcome), result.name.c_str(), result.detail.c_str(),
                  note.c_str());
      std::fflush(stdout);
    }
    results.push_back(std::move(result));
  }

  // Totals per operator (in-scope cases, counted under every operator they contain), then the operators that keep
  // cases out of scope, most blocking first.
  struct Counts {
    int pass = 0, fail = 0, refused = 0, out_of_scope = 0;
  };
  std::map<std::string, Counts> per_op;
  std::map<std::string, int> blocking;
  Counts total;
  for (const auto& r : results) {
    auto count = [&](Counts& c) {
      switch (r.outcome) {
        case Outcome::kPass: ++c.pass; break;
        case Outcome::kFail: ++c.fail; break;
        case Outcome::kRefused: ++c.refused; break;
        case Outcome::kOutOfScope: ++c.out_of_scope; break;
      }
    };
    count(total);
    if (r.outcome == Outcome::kOutOfScope) {
      for (const auto& op : r.unsupported) ++blocking[op];
    } else {
      for (const auto& op : r.operators) count(per_op[op]);
    }
  }
  std::printf("\nPer operator (in-scope cases that contain it):\n");
  std::printf("  %-24s %5s %5s %8s\n", "operator", "pass", "fail", "refused");
  for (const auto& [op, c] : per_op) std::printf("  %-24s %5d %5d %8d\n", op.c_str(), c.pass, c.fail, c.refused);
  std::vector<std::pair<int, std::string>> blockers;
  for (const auto& [op, n] : blocking) blockers.emplace_back(-n, op);
  std::sort(blockers.begin(), blockers.end());
  std::printf("\nUnsupported operators by cases kept out of scope:");
  for (size_t i = 0; i < blockers.size(); ++i) {
    std::printf("%s%s %d", i % 8 == 0 ? "\n  " : ", ", blockers[i].second.c_str(), -blockers[i].first);
  }
  std::printf("\n");

  // The expected-failure list must match what happens.
  std::vector<std::string> unexpected, now_passing, stale;
  std::set<std::string> seen;
  for (const auto& r : results) {
    seen.insert(r.name);
    bool listed = expected.count(r.name) != 0;
    bool bad = r.outcome == Outcome::kFail || r.outcome == Outcome::kRefused;
    if (bad && !listed) unexpected.push_back(r.name);
    if (listed && r.outcome == Outcome::kPass) now_passing.push_back(r.name);
    if (listed && r.outcome == Outcome::kOutOfScope) stale.push_back(r.name + " (out of scope)");
  }
  if (options.filter.empty()) {
    for (const auto& [name, entry] : expected) {
      if (!seen.count(name)) stale.push_back(name + " (no such case)");
    }
  }
  int in_scope = total.pass + total.fail + total.refused;
  std::printf("\nTotal: %zu cases: %d in scope (%d passed, %d failed, %d refused), %d out of scope\n", results.size(),
              in_scope, total.pass, total.fail, total.refused, total.out_of_scope);
  std::printf("Expected failures listed: %zu; unexpected failures or refusals: %zu; listed but passing: %zu; "
              "listed but stale: %zu\n",
              expected.size(), unexpected.size(), now_passing.size(), stale.size());
  for (const auto& name : unexpected) std::printf("  UNEXPECTED  %s\n", name.c_str());
  for (const auto& name : now_passing) std::printf("  NOW PASSES  %s (remove it from the expected failures)\n", name.c_str());
  for (const auto& name : stale) std::printf("  STALE       %s (remove it from the expected failures)\n", name.c_str());
  bool ok = unexpected.empty() && now_passing.empty() && stale.empty();
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    if (*e.what()) std::fprintf(stderr, "cairn_conformance: %s\n", e.what());
    std::fprintf(stderr,
                 "usage: cairn_conformance DIR [--expected FILE] [--filter SUBSTRING] [--no-fork] [--quiet]\n"
                 "  DIR: the output of tests/conformance/generate.py (or its node/ folder)\n");
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn_conformance: %s\n", e.what());
    return 2;
  }
}
