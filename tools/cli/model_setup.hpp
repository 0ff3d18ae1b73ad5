// What the commands that load a model share: engine options from the command line, loading with messages that
// name the file, and choosing the input shapes to prepare for.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "cairn/engine.hpp"

namespace cairn::cli {

constexpr int64_t kDefaultMemoryLimitMb = 4096;
constexpr int64_t kMaxThreads = 256;

// --threads (default: the hardware threads when `all_threads_by_default`, else 1) and --memory-limit MB.
EngineOptions engine_options(const Args& args, bool all_threads_by_default);
int hardware_threads();

// Loads the model or throws a CliError naming the file (missing file, directory, malformed model...).
std::unique_ptr<Model> load_model(const std::string& path, const EngineOptions& options);

// A --shape argument: "1x3x224x224" or "NAME=1x3x224x224". Syntax is checked before the model is loaded.
struct ShapeArg {
  std::string name;  // empty: the model's only input
  Shape shape;
};
std::vector<ShapeArg> parse_shape_args(const std::vector<std::string>& values);

// Input shapes to prepare for: the given ones, else the declared ones when fully known. With `require_all`,
// an input whose shape is neither given nor fully declared is an error; without it, that input is left out.
std::map<std::string, Shape> resolve_input_shapes(const Model& model, const std::string& model_path,
                                                  const std::vector<ShapeArg>& shapes, bool require_all);

// Throws a CliError when `shape` does not have the declared rank or differs in a fixed dimension. `what` names
// where the shape came from (a file); empty for a --shape argument.
void check_shape_fits(const TensorInfo& declared, const Shape& shape, const std::string& what,
                      const std::string& model_path);

// The declared input with this name, or a CliError listing the valid names.
const TensorInfo& find_input(const Model& model, const std::string& name, const std::string& model_path);
std::string names_of(const std::vector<TensorInfo>& tensors);
bool fully_known(const TensorInfo& info);

}  // namespace cairn::cli

namespace cairn::cli {

// Prepares the model, or throws a CliError naming the file (with a hint when a limit was hit).
ModelSummary prepare_model(Model& model, const std::map<std::string, Shape>& shapes, const std::string& model_path);
std::string shapes_to_string(const std::map<std::string, Shape>& shapes, const Model& model);

}  // namespace cairn::cli
