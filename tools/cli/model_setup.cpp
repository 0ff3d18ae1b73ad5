#include "model_setup.hpp"

#include <filesystem>
#include <thread>

#include "cli_error.hpp"
#include "format.hpp"

namespace cairn::cli {

int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : int(std::min<unsigned>(n, unsigned(kMaxThreads)));
}

EngineOptions engine_options(const Args& args, bool all_threads_by_default) {
  EngineOptions options;
  options.threads = int(args.integer("threads", all_threads_by_default ? hardware_threads() : 1, 1, kMaxThreads));
  const int64_t limit_mb = args.integer("memory-limit", kDefaultMemoryLimitMb, 1, int64_t{1} << 24);
  options.memory_limit_bytes = uint64_t(limit_mb) << 20;
  return options;
}

std::unique_ptr<Model> load_model(const std::string& path, const EngineOptions& options) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  switch (status.type()) {
    case std::filesystem::file_type::not_found:
      throw CliError(path + ": no such file");
    case std::filesystem::file_type::directory:
      throw CliError(path + ": is a directory, not an ONNX model file");
    case std::filesystem::file_type::regular:
      break;
    default:
      if (ec) throw CliError(path + ": cannot read: " + ec.message());
      throw CliError(path + ": not a regular file");
  }
  return value_or_throw(Model::load_file(path, options), path);
}

std::vector<ShapeArg> parse_shape_args(const std::vector<std::string>& values) {
  std::vector<ShapeArg> out;
  for (const std::string& value : values) {
    ShapeArg arg;
    std::string text = value;
    const size_t equals = value.find('=');
    if (equals != std::string::npos) {
      arg.name = value.substr(0, equals);
      text = value.substr(equals + 1);
      if (arg.name.empty()) throw UsageError("--shape '" + value + "': the input name before '=' is empty");
    }
    auto shape = parse_shape(text);
    if (!shape.is_ok()) throw UsageError("--shape: " + shape.status().message());
    arg.shape = std::move(shape).value();
    out.push_back(std::move(arg));
  }
  return out;
}

std::string names_of(const std::vector<TensorInfo>& tensors) {
  std::vector<std::string> names;
  for (const TensorInfo& t : tensors) names.push_back("'" + printable(t.name) + "'");
  return names.empty() ? "(none)" : join(names, ", ");
}

bool fully_known(const TensorInfo& info) {
  if (!info.has_shape) return false;
  for (int64_t d : info.dims) {
    if (d <= 0) return false;
  }
  return true;
}

const TensorInfo& find_input(const Model& model, const std::string& name, const std::string& model_path) {
  for (const TensorInfo& input : model.inputs()) {
    if (input.name == name) return input;
  }
  throw CliError(model_path + " has no input named '" + printable(name) + "'; its inputs are " +
                 names_of(model.inputs()));
}

void check_shape_fits(const TensorInfo& declared, const Shape& shape, const std::string& what,
                      const std::string& model_path) {
  if (!declared.has_shape) return;
  const std::string declared_text = "input '" + printable(declared.name) + "' of " + model_path + " is declared " +
                                    printable(declared.declared_shape());
  const std::string mismatch = what.empty() ? "--shape " + shape_to_string(shape) + " does not fit: " + declared_text
                                            : what + " has shape " + shape_to_string(shape) + ", but " + declared_text;
  if (shape.size() != declared.dims.size()) {
    throw CliError(mismatch + " (rank " + std::to_string(shape.size()) + " instead of " +
                   std::to_string(declared.dims.size()) + ")");
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (declared.dims[i] > 0 && declared.dims[i] != shape[i]) {
      throw CliError(mismatch + " (dimension " + std::to_string(i) + " is " + std::to_string(shape[i]) +
                     " instead of " + std::to_string(declared.dims[i]) + ")");
    }
  }
}

std::map<std::string, Shape> resolve_input_shapes(const Model& model, const std::string& model_path,
                                                  const std::vector<ShapeArg>& shapes, bool require_all) {
  std::map<std::string, Shape> out;
  for (const ShapeArg& arg : shapes) {
    std::string name = arg.name;
    if (name.empty()) {
      if (model.inputs().size() != 1) {
        throw CliError(model_path + " has " + std::to_string(model.inputs().size()) + " inputs (" +
                       names_of(model.inputs()) + "); give each one as --shape NAME=SHAPE");
      }
      name = model.inputs()[0].name;
    }
    const TensorInfo& input = find_input(model, name, model_path);
    if (out.count(name)) throw CliError("--shape given more than once for input '" + printable(name) + "'");
    check_shape_fits(input, arg.shape, "", model_path);
    out[name] = arg.shape;
  }
  for (const TensorInfo& input : model.inputs()) {
    if (out.count(input.name)) continue;
    if (fully_known(input)) {
      out[input.name] = input.dims;
    } else if (require_all) {
      // An example filled in from the declared shape: unknown batch -> 1, other unknown dimensions -> 512.
      Shape example = {1, 1, 512, 512};
      if (input.has_shape) {
        example = input.dims;
        for (size_t i = 0; i < example.size(); ++i) {
          if (example[i] <= 0) example[i] = i == 0 ? 1 : 512;
        }
      }
      const std::string flag = model.inputs().size() == 1 ? "--shape " : "--shape " + printable(input.name) + "=";
      throw CliError("input '" + printable(input.name) + "' of " + model_path + " has no fixed shape (declared " +
                     printable(input.declared_shape()) + "); give one, e.g. " + flag + shape_to_string(example));
    }
  }
  return out;
}

}  // namespace cairn::cli

namespace cairn::cli {

ModelSummary prepare_model(Model& model, const std::map<std::string, Shape>& shapes, const std::string& model_path) {
  auto summary = model.prepare(shapes);
  if (!summary.is_ok() && summary.status().code() == StatusCode::kResourceLimit) {
    throw CliError(model_path + " at " + shapes_to_string(shapes, model) + ": " + summary.status().message() +
                   " (choose a smaller --shape or raise --memory-limit)");
  }
  return value_or_throw(std::move(summary), model_path);
}

// "1x1x512x512" for a single input, "a=1x3 b=1x3" for several (in the model's input order).
std::string shapes_to_string(const std::map<std::string, Shape>& shapes, const Model& model) {
  if (model.inputs().size() == 1 && shapes.size() == 1) return shape_to_string(shapes.begin()->second);
  std::vector<std::string> parts;
  for (const TensorInfo& input : model.inputs()) {
    auto it = shapes.find(input.name);
    if (it != shapes.end()) parts.push_back(printable(input.name) + "=" + shape_to_string(it->second));
  }
  return join(parts, " ");
}

}  // namespace cairn::cli
