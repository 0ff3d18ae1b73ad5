// cairn run: .npy inputs -> model -> .npy outputs.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli_error.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "io/npy.hpp"
#include "model_setup.hpp"

namespace cairn::cli {
namespace {

// "NAME=FILE", or "FILE" for a model's only input or output.
struct TensorFile {
  std::string name;
  std::string path;
};

std::vector<TensorFile> parse_tensor_files(const std::vector<std::string>& values, const std::string& option) {
  std::vector<TensorFile> out;
  for (const std::string& value : values) {
    TensorFile file;
    const size_t equals = value.find('=');
    if (equals == std::string::npos) {
      file.path = value;
    } else {
      file.name = value.substr(0, equals);
      file.path = value.substr(equals + 1);
      if (file.name.empty()) throw UsageError(option + " '" + value + "': the name before '=' is empty");
      if (file.path.empty()) throw UsageError(option + " '" + value + "': the file after '=' is empty");
    }
    out.push_back(std::move(file));
  }
  return out;
}

// The name of the model's tensor that `file` is for, checked against `tensors`.
std::string resolve_name(const TensorFile& file, const std::vector<TensorInfo>& tensors, const std::string& kind,
                         const std::string& model_path) {
  if (file.name.empty()) {
    if (tensors.size() != 1) {
      throw CliError(model_path + " has " + std::to_string(tensors.size()) + " " + kind + "s (" + names_of(tensors) +
                     "); name each one: --" + kind + " NAME=" + file.path);
    }
    return tensors[0].name;
  }
  for (const TensorInfo& t : tensors) {
    if (t.name == file.name) return t.name;
  }
  throw CliError(model_path + " has no " + kind + " named '" + printable(file.name) + "'; its " + kind + "s are " +
                 names_of(tensors));
}

// Catches the usual reasons an output cannot be written before the model runs.
void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw CliError("cannot write '" + path + "': it is a directory");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    throw CliError("cannot write '" + path + "': the directory '" + parent.string() + "' does not exist");
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    throw CliError("cannot write '" + path + "': " + std::strerror(errno));
  }
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0) {
    throw CliError("cannot write '" + path + "': " + std::strerror(errno));
  }
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int run_command(const std::vector<std::string>& tokens) {
  const Args args("run", tokens,
                  {{"input", true, true},
                   {"output", true, true},
                   {"threads", true, false},
                   {"memory-limit", true, false},
                   {"quiet", false, false}});
  const auto& positional = args.positional();
  if (positional.empty()) throw UsageError("missing MODEL.onnx");
  std::vector<TensorFile> input_files, output_files;
  const bool named_form = args.has("input") || args.has("output");
  if (named_form) {
    if (positional.size() > 1) {
      throw UsageError("give inputs and outputs either as IN.npy OUT.npy or with --input/--output, not both");
    }
    input_files = parse_tensor_files(args.values("input"), "--input");
    output_files = parse_tensor_files(args.values("output"), "--output");
    if (output_files.empty()) throw UsageError("no --output given: nothing would be written");
  } else {
    if (positional.size() < 3) throw UsageError("expected MODEL.onnx IN.npy OUT.npy (or --input/--output)");
    if (positional.size() > 3) throw UsageError("unexpected argument '" + positional[3] + "'");
    input_files.push_back({"", positional[1]});
    output_files.push_back({"", positional[2]});
  }
  const EngineOptions options = engine_options(args, true);
  const std::string& model_path = positional[0];
  auto model = load_model(model_path, options);

  if (!named_form && (model->inputs().size() != 1 || model->outputs().size() != 1)) {
    throw CliError(model_path + " has " + std::to_string(model->inputs().size()) + " inputs (" +
                   names_of(model->inputs()) + ") and " + std::to_string(model->outputs().size()) + " outputs (" +
                   names_of(model->outputs()) +
                   "); 'cairn run MODEL IN OUT' needs one of each: use --input NAME=FILE and --output NAME=FILE");
  }
  // Which file feeds which input, and which output goes where.
  std::map<std::string, std::string> input_paths;
  for (const TensorFile& file : input_files) {
    const std::string name = resolve_name(file, model->inputs(), "input", model_path);
    if (!input_paths.emplace(name, file.path).second) {
      throw CliError("input '" + printable(name) + "' is given more than once");
    }
  }
  std::vector<std::string> missing;
  for (const TensorInfo& input : model->inputs()) {
    if (!input_paths.count(input.name)) missing.push_back("'" + printable(input.name) + "'");
  }
  if (!missing.empty()) {
    throw CliError(model_path + " needs " + std::to_string(model->inputs().size()) + " inputs (" +
                   names_of(model->inputs()) + "); missing --input for " + join(missing, ", "));
  }
  std::vector<std::pair<size_t, std::string>> output_targets;  // index in the model's outputs, file
  for (const TensorFile& file : output_files) {
    const std::string name = resolve_name(file, model->outputs(), "output", model_path);
    size_t index = 0;
    while (model->outputs()[index].name != name) ++index;
    for (const auto& [other, path] : output_targets) {
      if (other == index) throw CliError("output '" + printable(name) + "' is given more than once");
      if (path == file.path) throw CliError("two outputs would be written to '" + path + "'");
    }
    check_writable(file.path);
    output_targets.emplace_back(index, file.path);
  }

  // Read the inputs; they must fit what the model declares.
  const int64_t max_elements = int64_t(options.memory_limit_bytes / sizeof(float));
  std::map<std::string, npy::Array> arrays;
  std::map<std::string, Shape> shapes;
  for (const TensorInfo& input : model->inputs()) {
    const std::string& path = input_paths[input.name];
    npy::Array array = value_or_throw(npy::read_file(path, max_elements), path);
    if (array.data.empty()) throw CliError(path + " has shape " + shape_to_string(array.shape) + ", with no elements");
    check_shape_fits(input, array.shape, path, model_path);
    shapes[input.name] = array.shape;
    arrays[input.name] = std::move(array);
  }

  const auto prepare_start = std::chrono::steady_clock::now();
  prepare_model(*model, shapes, model_path);
  const double prepare_ms = ms_since(prepare_start);
  std::vector<InputView> views;
  for (const TensorInfo& input : model->inputs()) {
    const npy::Array& array = arrays[input.name];
    views.push_back({input.name, array.shape, array.data.data()});
  }
  const auto run_start = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = value_or_throw(model->run(views), model_path);
  const double run_ms = ms_since(run_start);
  if (outputs.size() != model->outputs().size()) {
    throw CliError(model_path + ": the engine returned " + std::to_string(outputs.size()) + " outputs instead of " +
                   std::to_string(model->outputs().size()));
  }

  std::vector<std::string> written;
  for (const auto& [index, path] : output_targets) {
    const Tensor& tensor = outputs[index];
    throw_if_error(npy::write_float32(path, tensor.shape, tensor.data), "");
    written.push_back(printable(model->outputs()[index].name) + " " + shape_to_string(tensor.shape) + " (" + path +
                      ")");
  }
  if (!args.has("quiet")) {
    std::vector<std::string> read;
    for (const TensorInfo& input : model->inputs()) {
      read.push_back(printable(input.name) + " " + shape_to_string(shapes[input.name]));
    }
    std::cerr << "cairn: " << model_path << ": " << join(read, ", ") << " -> " << join(written, ", ") << " in "
              << fixed(run_ms, 2) << " ms (prepare " << fixed(prepare_ms, 2) << " ms, " << options.threads
              << (options.threads == 1 ? " thread)" : " threads)") << "\n";
  }
  return 0;
}

}  // namespace cairn::cli
