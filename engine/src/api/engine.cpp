// cairn::Model: loading (parse, passes), preparation (plan per input shapes) and runs.
#include "cairn/engine.hpp"

#include <cstdio>

#include "graph/graph.hpp"
#include "graph/passes.hpp"
#include "onnx/onnx_loader.hpp"
#include "runtime/plan.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {

class ModelImpl {
 public:
  EngineOptions options;
  Graph graph;
  std::vector<TensorInfo> inputs, outputs;
  std::map<std::string, int> operator_counts;
  int64_t parameter_count = 0;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<ExecutionPlan> plan;
};

namespace {

TensorInfo describe_value(const Value& v) {
  TensorInfo info;
  info.name = v.name;
  info.type = v.type == DataType::kUndefined ? "float32" : data_type_name(v.type);
  info.has_shape = v.has_declared_shape;
  info.dims = v.declared_dims;
  info.dim_names = v.dim_names;
  return info;
}

}  // namespace

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Result<std::unique_ptr<Model>> Model::load_bytes(std::span<const uint8_t> bytes, const EngineOptions& options) {
  if (options.threads < 0) return invalid_argument("the number of threads cannot be negative");
  auto impl = std::make_unique<ModelImpl>();
  impl->options = options;
  LoadLimits limits;
  limits.max_elements = int64_t(std::min<uint64_t>(options.memory_limit_bytes / sizeof(float), uint64_t{1} << 40));
  auto graph = load_onnx_graph(bytes, limits);
  if (!graph.is_ok()) return graph.status();
  impl->graph = std::move(graph).value();
  Graph& g = impl->graph;
  for (const Node& n : g.nodes) ++impl->operator_counts[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type];
  for (const Value& v : g.values) {
    if (v.initializer && v.constant && v.constant->is_float()) impl->parameter_count += v.constant->size();
  }
  for (int id : g.inputs) impl->inputs.push_back(describe_value(g.values[size_t(id)]));
  for (int id : g.outputs) impl->outputs.push_back(describe_value(g.values[size_t(id)]));
  CAIRN_RETURN_IF_ERROR(run_load_passes(g));
  int threads = options.threads;
  if (threads == 0) threads = hardware_threads();
  impl->options.threads = threads;
  if (threads > 1) impl->pool = std::make_unique<ThreadPool>(threads);
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

Result<std::unique_ptr<Model>> Model::load_file(const std::string& path, const EngineOptions& options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return io_error("cannot open '" + path + "'");
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    bytes.insert(bytes.end(), buffer, buffer + n);
    if (bytes.size() > options.memory_limit_bytes) {
      std::fclose(f);
      return resource_limit("'" + path + "' is larger than the memory limit");
    }
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return io_error("cannot read '" + path + "' (is it a directory?)");
  auto model = load_bytes(bytes, options);
  if (!model.is_ok()) return model.status().with_context(path);
  return model;
}

const std::vector<TensorInfo>& Model::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Model::outputs() const { return impl_->outputs; }
const std::vector<std::pair<std::string, std::string>>& Model::metadata() const { return impl_->graph.metadata; }
int64_t Model::ir_version() const { return impl_->graph.ir_version; }
int64_t Model::opset() const { return impl_->graph.opset; }
std::string Model::producer() const {
  const Graph& g = impl_->graph;
  return g.producer_version.empty() ? g.producer_name : g.producer_name + " " + g.producer_version;
}
const EngineOptions& Model::options() const { return impl_->options; }
const std::map<std::string, int>& Model::operator_counts() const { return impl_->operator_counts; }
int64_t Model::parameter_count() const { return impl_->parameter_count; }

Result<ModelSummary> Model::prepare(const std::map<std::string, Shape>& input_shapes) {
  // Reuse the current plan when every input gets the shape it was planned for (the given one, or else the
  // model's declared one).
  bool reuse = impl_->plan != nullptr;
  for (const TensorInfo& input : impl_->inputs) {
    if (!reuse) break;
    auto given = input_shapes.find(input.name);
    Shape wanted = given != input_shapes.end() ? given->second : Shape(input.dims.begin(), input.dims.end());
    auto planned = impl_->plan->input_shapes().find(input.name);
    reuse = planned != impl_->plan->input_shapes().end() && planned->second == wanted;
  }
  for (const auto& [name, shape] : input_shapes) {
    reuse = reuse && impl_->plan->input_shapes().count(name) != 0;
  }
  if (!reuse) {
    impl_->plan.reset();  // free the old arena before planning a new one
    auto plan = ExecutionPlan::build(impl_->graph, input_shapes, impl_->options.memory_limit_bytes, impl_->pool.get());
    if (!plan.is_ok()) return plan.status();
    impl_->plan = std::move(plan).value();
  }
  const ExecutionPlan& plan = *impl_->plan;
  ModelSummary s;
  s.input_shapes = plan.input_shapes();
  s.output_shapes = plan.output_shapes();
  s.operator_counts = impl_->operator_counts;
  for (const PlanStep& step : plan.steps()) {
    std::string name = step.node->op_type;
    if (step.node->activation.kind != FusedActivation::Kind::kNone) name += "+" + std::string(step.node->activation.name());
    ++s.planned_kernel_counts[name];
  }
  s.parameter_count = impl_->parameter_count;
  s.flops = plan.flops();
  s.weight_bytes = plan.weight_bytes();
  s.activation_bytes = plan.arena_bytes();
  s.scratch_bytes = plan.scratch_bytes();
  return s;
}

Result<std::vector<Tensor>> Model::run(std::span<const InputView> inputs, const RunOptions& options) {
  std::map<std::string, Shape> shapes;
  for (const InputView& in : inputs) shapes[in.name] = in.shape;
  auto summary = prepare(shapes);
  if (!summary.is_ok()) return summary.status();
  return impl_->plan->run(inputs, options);
}

}  // namespace cairn
