#include "runtime/plan.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "graph/const_eval.hpp"
#include "ops/broadcast.hpp"
#include "runtime/thread_pool.hpp"

namespace cairn {

namespace {

constexpr size_t kAlignFloats = 16;  // 64 bytes

size_t round_up(size_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

float* allocate_floats(size_t count) {
  size_t bytes = std::max<size_t>(round_up(count) * sizeof(float), 64);
  return static_cast<float*>(std::aligned_alloc(64, bytes));
}

// A tensor too large for the memory limit: say which, and what the limit is.
Status over_limit(const Status& status, const std::string& where, uint64_t memory_limit_bytes) {
  if (status.code() != StatusCode::kResourceLimit) return status.with_context(where);
  return resource_limit(where + ": " + status.message() + ", above the memory limit of " + mib(memory_limit_bytes));
}

// Runs a kernel whose inputs are all known, producing constants.
Result<std::vector<ConstTensor>> run_on_constants(const Kernel& kernel, const std::vector<InputInfo>& inputs,
                                                  const std::vector<Shape>& out_shapes, const Node& node) {
  std::vector<TensorRef> in_refs(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].present) continue;
    in_refs[i].shape = &inputs[i].shape;
    in_refs[i].data = inputs[i].constant->is_float() ? inputs[i].constant->floats.data() : nullptr;
  }
  std::vector<ConstTensor> outs(out_shapes.size());
  std::vector<MutableTensorRef> out_refs(out_shapes.size());
  for (size_t i = 0; i < out_shapes.size(); ++i) {
    if (i >= node.outputs.size() || node.outputs[i] < 0) continue;
    outs[i] = ConstTensor::from_floats(out_shapes[i], std::vector<float>(size_t(shape_size(out_shapes[i]))));
    out_refs[i] = {outs[i].floats.data(), &outs[i].shape};
  }
  float* scratch = allocate_floats(kernel.scratch_floats());
  if (scratch == nullptr) return resource_limit(node.describe() + ": cannot allocate the kernel's workspace");
  RunContext ctx;
  ctx.inputs = in_refs;
  ctx.outputs = out_refs;
  ctx.scratch = scratch;
  kernel.run(ctx);
  std::free(scratch);
  return outs;
}

// CAIRN_PROFILE=1: wall time per node, the median over every run of the process, printed to stderr at exit
// (slowest first).
// For finding what dominates a model; off, it costs one branch per node.
class NodeProfile {
 public:
  static NodeProfile* get() {
    static NodeProfile* profile = std::getenv("CAIRN_PROFILE") != nullptr ? new NodeProfile : nullptr;
    return profile;
  }
  void add(const Node& node, double seconds) {
    for (Entry& e : entries_) {
      if (e.node == &node) {
        e.samples.push_back(seconds);
        return;
      }
    }
    entries_.push_back({&node, node.describe(), {seconds}, 0});
  }

 private:
  struct Entry {
    const Node* node;
    std::string name;
    std::vector<double> samples;  // one per run
    double median;
  };
  NodeProfile() {
    std::atexit([] { get()->print(); });
  }
  void print() {
    // Medians, not means: on a shared machine a few preempted runs would otherwise dominate the small nodes.
    for (Entry& e : entries_) {
      std::vector<double> sorted = e.samples;
      std::sort(sorted.begin(), sorted.end());
      e.median = sorted[sorted.size() / 2];
    }
    // std::sort with a total order rather than std::stable_sort: libstdc++ 12's stable_sort uses the deprecated
    // get_temporary_buffer, which clang-19 reports (an error under -Werror in the fuzz build).
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.median != b.median ? a.median > b.median : a.name < b.name;
    });
    double total = 0;
    for (const Entry& e : entries_) total += e.median;
    std::fprintf(stderr, "profile: %.3f ms per run over the nodes (median of each node over %zu runs)\n",
                 1e3 * total, entries_.empty() ? size_t{0} : entries_[0].samples.size());
    for (const Entry& e : entries_) {
      std::fprintf(stderr, "%8.1f us %5.1f%%  %s\n", 1e6 * e.median, 100.0 * e.median / total, e.name.c_str());
    }
  }
  std::vector<Entry> entries_;
};

}  // namespace

ExecutionPlan::~ExecutionPlan() { std::free(arena_); }

Result<std::unique_ptr<ExecutionPlan>> ExecutionPlan::build(const Graph& graph,
                                                            const std::map<std::string, Shape>& input_shapes,
                                                            uint64_t memory_limit_bytes, ThreadPool* pool) {
  std::unique_ptr<ExecutionPlan> plan(new ExecutionPlan(graph));
  plan->pool_ = pool;
  const size_t n_values = graph.values.size();
  plan->shapes_.assign(n_values, {});
  plan->constants_.assign(n_values, nullptr);
  std::vector<bool> known(n_values, false);
  // Any single tensor above the memory limit can be refused at once.
  const int64_t max_elements = int64_t(std::min<uint64_t>(memory_limit_bytes / sizeof(float), uint64_t{1} << 40));

  for (const auto& [name, shape] : input_shapes) {
    if (graph.find_value(name) < 0 ||
        std::find(graph.inputs.begin(), graph.inputs.end(), graph.find_value(name)) == graph.inputs.end()) {
      std::string names;
      for (int id : graph.inputs) names += (names.empty() ? "'" : ", '") + graph.values[size_t(id)].name + "'";
      return invalid_argument("the model has no input named '" + name + "' (its inputs: " + names + ")");
    }
  }
  for (int id : graph.inputs) {
    const Value& v = graph.values[size_t(id)];
    if (v.type != DataType::kFloat && v.type != DataType::kUndefined) {
      return unsupported("input '" + v.name + "' is " + data_type_name(v.type) + "; Cairn takes float32 inputs");
    }
    Shape shape;
    auto it = input_shapes.find(v.name);
    if (it != input_shapes.end()) {
      shape = it->second;
      if (v.has_declared_shape) {
        if (v.declared_dims.size() != shape.size()) {
          return invalid_argument("input '" + v.name + "' has rank " + std::to_string(v.declared_dims.size()) +
                                  " in the model, but a shape of rank " + std::to_string(shape.size()) +
                                  " was given (" + shape_to_string(shape) + ")");
        }
        for (size_t d = 0; d < shape.size(); ++d) {
          if (v.declared_dims[d] >= 0 && v.declared_dims[d] != shape[d]) {
            return invalid_argument("input '" + v.name + "' must have dimension " + std::to_string(d) + " = " +
                                    std::to_string(v.declared_dims[d]) + " (the model declares " +
                                    TensorInfo{v.name, "", true, v.declared_dims, v.dim_names, }.declared_shape() +
                                    "), got " + shape_to_string(shape));
          }
        }
      }
    } else {
      bool complete = v.has_declared_shape;
      for (int64_t d : v.declared_dims) complete = complete && d > 0;
      if (!complete) {
        return invalid_argument("input '" + v.name + "' has no fixed shape in the model (" +
                                TensorInfo{v.name, "", v.has_declared_shape, v.declared_dims, v.dim_names}.declared_shape() +
                                "); give its shape");
      }
      shape = v.declared_dims;
    }
    auto count = checked_element_count(shape, max_elements);
    if (!count.is_ok()) return over_limit(count.status(), "input '" + v.name + "'", memory_limit_bytes);
    plan->shapes_[size_t(id)] = shape;
    plan->input_shapes_[v.name] = shape;
    known[size_t(id)] = true;
  }
  for (size_t i = 0; i < n_values; ++i) {
    if (graph.values[i].constant) {
      plan->constants_[i] = graph.values[i].constant;
      plan->shapes_[i] = graph.values[i].constant->shape;
      known[i] = true;
    }
  }

  const KernelRegistry& registry = KernelRegistry::global();
  for (const Node& node : graph.nodes) {
    if (!node.domain.empty()) {
      return unsupported(node.describe() + ": operators of the domain '" + node.domain + "' are not supported");
    }
    PrepareContext ctx{node, graph.opset, {}, max_elements};
    ctx.threads = pool != nullptr ? pool->size() : 1;
    bool all_constant = true;
    std::vector<const ConstTensor*> values;
    std::vector<const Shape*> shapes;
    for (int in : node.inputs) {
      InputInfo info;
      if (in >= 0) {
        if (!known[size_t(in)]) return invalid_model(node.describe() + " reads '" + graph.values[size_t(in)].name + "' before it is computed");
        info.present = true;
        info.shape = plan->shapes_[size_t(in)];
        info.constant = plan->constants_[size_t(in)].get();
        info.type = info.constant != nullptr ? info.constant->type : DataType::kFloat;
        all_constant = all_constant && info.constant != nullptr;
      }
      values.push_back(info.constant);
      shapes.push_back(in >= 0 ? &plan->shapes_[size_t(in)] : nullptr);
      ctx.inputs.push_back(info);
    }
    auto set_constants = [&](std::vector<ConstTensor>& outs) {
      for (size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k) {
        int out = node.outputs[k];
        if (out < 0) continue;
        plan->shapes_[size_t(out)] = outs[k].shape;
        plan->constants_[size_t(out)] = std::make_shared<ConstTensor>(std::move(outs[k]));
        known[size_t(out)] = true;
      }
    };
    // Shape subgraphs and data movement on constants: fold.
    auto folded = evaluate_constant_node(node, graph.opset, values, shapes, max_elements);
    if (!folded.is_ok()) return folded.status();
    if (folded->has_value()) {
      set_constants(**folded);
      continue;
    }
    KernelFactory factory = registry.find(node.op_type);
    if (factory == nullptr) {
      return unsupported(node.describe() + ": the operator " + node.op_type + " is not supported by Cairn");
    }
    for (size_t k = 0; k < ctx.inputs.size(); ++k) {
      const InputInfo& info = ctx.inputs[k];
      if (info.present && info.constant == nullptr && info.type != DataType::kFloat) {
        return unsupported(node.describe() + ": input '" + graph.values[size_t(node.inputs[k])].name +
                           "' is an integer tensor computed at run time; Cairn computes float32 tensors only");
      }
    }
    std::unique_ptr<Kernel> kernel = factory();
    std::vector<Shape> out_shapes(node.outputs.size());
    Status s = kernel->prepare(ctx, out_shapes);
    if (!s.is_ok()) return s;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k] < 0) continue;
      auto count = checked_element_count(out_shapes[k], max_elements);
      if (!count.is_ok()) {
        return over_limit(count.status(), node.describe() + ": output '" + graph.values[size_t(node.outputs[k])].name + "'",
                          memory_limit_bytes);
      }
    }
    if (all_constant) {
      CAIRN_ASSIGN_OR_RETURN(std::vector<ConstTensor> outs, run_on_constants(*kernel, ctx.inputs, out_shapes, node));
      set_constants(outs);
      continue;
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      int out = node.outputs[k];
      if (out < 0) continue;
      plan->shapes_[size_t(out)] = out_shapes[k];
      known[size_t(out)] = true;
    }
    PlanStep step;
    step.node = &node;
    step.flops = kernel->flops();
    step.kernel = std::move(kernel);
    plan->total_flops_ += step.flops;
    plan->steps_.push_back(std::move(step));
  }
  for (int out : graph.outputs) {
    if (!known[size_t(out)]) return invalid_model("graph output '" + graph.values[size_t(out)].name + "' is never computed");
  }
  CAIRN_RETURN_IF_ERROR(plan->plan_memory(memory_limit_bytes));
  return plan;
}

std::vector<ExecutionPlan::ConcatAlias> ExecutionPlan::find_concat_aliases(const std::vector<int>& first) const {
  const size_t n_values = graph_.values.size();
  std::vector<ConcatAlias> aliases(n_values);
  std::vector<int> concat_reads(n_values, 0);
  for (const PlanStep& step : steps_) {
    if (step.node->op_type != "Concat") continue;
    for (int in : step.node->inputs) {
      if (in >= 0) ++concat_reads[size_t(in)];
    }
  }
  for (const PlanStep& step : steps_) {
    const Node& node = *step.node;
    if (node.op_type != "Concat" || node.outputs.size() != 1 || node.outputs[0] < 0) continue;
    const int out = node.outputs[0];
    const Shape& shape = shapes_[size_t(out)];
    if (constants_[size_t(out)] || shape.empty()) continue;
    const auto axis = normalize_axis(node.attr_int("axis", 1), int64_t(shape.size()));
    if (!axis) continue;
    // Each input is one contiguous block of the output only when nothing before the axis is larger than 1.
    bool contiguous = true;
    for (int64_t d = 0; d < *axis; ++d) contiguous = contiguous && shape[size_t(d)] == 1;
    if (!contiguous) continue;
    int64_t offset = 0;
    for (int in : node.inputs) {
      if (in < 0) continue;
      const int64_t size = shape_size(shapes_[size_t(in)]);
      // Only a runtime tensor written by an earlier step (not a graph input, not a constant), read by this one
      // Concat once: it cannot have a second place.
      if (in != out && size > 0 && first[size_t(in)] >= 0 && !constants_[size_t(in)] &&
          concat_reads[size_t(in)] == 1) {
        aliases[size_t(in)] = {out, offset};
      }
      offset += size;
    }
  }
  return aliases;
}

Status ExecutionPlan::plan_memory(uint64_t memory_limit_bytes) {
  const size_t n_values = graph_.values.size();
  // Weights the steps read, and what the kernels packed.
  std::set<int> weights;
  uint64_t packed = 0;
  for (const PlanStep& step : steps_) {
    for (int in : step.node->inputs) {
      if (in >= 0 && constants_[size_t(in)] && constants_[size_t(in)]->is_float()) weights.insert(in);
    }
    packed += step.kernel->packed_bytes();
    scratch_floats_ = std::max(scratch_floats_, step.kernel->scratch_floats());
  }
  weight_bytes_ = packed;
  for (int w : weights) weight_bytes_ += uint64_t(constants_[size_t(w)]->size()) * sizeof(float);

  // Liveness: [first step writing, last step reading]; graph outputs live to the end.
  std::vector<int> first(n_values, -1), last(n_values, -1);
  for (size_t s = 0; s < steps_.size(); ++s) {
    for (int out : steps_[s].node->outputs) {
      if (out >= 0) first[size_t(out)] = int(s);
    }
    for (int in : steps_[s].node->inputs) {
      if (in >= 0) last[size_t(in)] = int(s);
    }
  }
  for (int out : graph_.outputs) last[size_t(out)] = int(steps_.size());
  for (size_t v = 0; v < n_values; ++v) {
    if (first[v] >= 0 && last[v] < first[v]) last[v] = first[v];  // written but never read: still needs a place
  }

  // Values computed straight into their Concat's output (find_concat_aliases) share its buffer, each in its own
  // segment for its own lifetime: the segment of a skip connection is busy from the encoder on, the rest of the
  // Concat's buffer only from the decoder's upsampling, and other tensors may use it until then.
  const std::vector<ConcatAlias> aliases = find_concat_aliases(first);
  struct Segment {
    size_t offset;  // floats from the buffer's start
    size_t size;
    int first;
    int last;
  };
  struct Buffer {
    int value;
    size_t size;
    std::vector<Segment> segments;
  };
  std::vector<Buffer> buffers;
  std::vector<int> buffer_of(n_values, -1);
  for (size_t v = 0; v < n_values; ++v) {
    if (first[v] < 0 || constants_[v] || aliases[v].parent >= 0) continue;
    buffer_of[v] = int(buffers.size());
    const size_t size = round_up(size_t(shape_size(shapes_[v])));
    buffers.push_back({int(v), size, {{0, size, first[v], last[v]}}});
  }
  std::vector<size_t> alias_offset(n_values, 0);  // from the start of the root's buffer
  for (size_t v = 0; v < n_values; ++v) {
    if (aliases[v].parent < 0) continue;
    size_t r = v;
    for (; aliases[r].parent >= 0; r = size_t(aliases[r].parent)) alias_offset[v] += size_t(aliases[r].offset);
    buffers[size_t(buffer_of[r])].segments.push_back(
        {alias_offset[v], size_t(shape_size(shapes_[v])), first[v], last[v]});
  }
  // Greedy by size: the largest buffers first, each at the lowest offset where none of its segments overlaps a
  // placed segment alive at the same time.
  // Ties by value index (the order they were created in), so the plan does not depend on the sort algorithm.
  std::sort(buffers.begin(), buffers.end(),
            [](const Buffer& a, const Buffer& b) { return a.size != b.size ? a.size > b.size : a.value < b.value; });
  offsets_.assign(n_values, -1);
  std::vector<Segment> placed;  // offsets in the arena
  arena_floats_ = 0;
  for (const Buffer& b : buffers) {
    // Offsets at which segment s would overlap placed segment p: (p.offset - s.offset - s.size, p.offset + p.size
    // - s.offset), open. The lowest free offset is 0 or the end of one of them.
    std::vector<std::pair<int64_t, int64_t>> forbidden;
    for (const Segment& s : b.segments) {
      for (const Segment& p : placed) {
        if (p.last < s.first || s.last < p.first) continue;
        forbidden.emplace_back(int64_t(p.offset) - int64_t(s.offset) - int64_t(s.size),
                               int64_t(p.offset + p.size) - int64_t(s.offset));
      }
    }
    std::vector<int64_t> candidates{0};
    for (const auto& range : forbidden) {
      if (range.second > 0) candidates.push_back(range.second);
    }
    std::sort(candidates.begin(), candidates.end());
    size_t offset = 0;
    for (int64_t c : candidates) {
      bool free = true;
      for (const auto& range : forbidden) free = free && !(range.first < c && c < range.second);
      if (free) {
        offset = size_t(c);
        break;
      }
    }
    offsets_[size_t(b.value)] = int64_t(offset);
    arena_floats_ = std::max(arena_floats_, offset + b.size);
    for (const Segment& s : b.segments) placed.push_back({offset + s.offset, s.size, s.first, s.last});
  }
  for (size_t v = 0; v < n_values; ++v) {
    if (aliases[v].parent < 0) continue;
    size_t r = v;
    while (aliases[r].parent >= 0) r = size_t(aliases[r].parent);
    offsets_[v] = offsets_[r] + int64_t(alias_offset[v]);
  }

  const uint64_t total = weight_bytes_ + arena_bytes() + scratch_bytes();
  if (total > memory_limit_bytes) {
    return resource_limit("the model needs " + mib(total) + " at these input shapes (weights " + mib(weight_bytes_) +
                          ", activations " + mib(arena_bytes()) + ", workspace " + mib(scratch_bytes()) +
                          "), above the memory limit of " + mib(memory_limit_bytes));
  }
  arena_ = allocate_floats(arena_floats_ + scratch_floats_);
  if (arena_ == nullptr) return resource_limit("cannot allocate " + mib(arena_bytes() + scratch_bytes()) + " for the run");
  return Status::ok();
}

std::vector<std::pair<std::string, Shape>> ExecutionPlan::output_shapes() const {
  std::vector<std::pair<std::string, Shape>> out;
  for (int id : graph_.outputs) out.emplace_back(graph_.values[size_t(id)].name, shapes_[size_t(id)]);
  return out;
}

Result<std::vector<Tensor>> ExecutionPlan::run(std::span<const InputView> inputs, const RunOptions& options) {
  std::vector<const float*> read(graph_.values.size(), nullptr);
  std::vector<float*> write(graph_.values.size(), nullptr);
  for (size_t v = 0; v < graph_.values.size(); ++v) {
    if (constants_[v] && constants_[v]->is_float()) read[v] = constants_[v]->floats.data();
    if (offsets_[v] >= 0) read[v] = write[v] = arena_ + offsets_[v];
  }
  for (int id : graph_.inputs) {
    const Value& v = graph_.values[size_t(id)];
    const InputView* given = nullptr;
    for (const InputView& in : inputs) {
      if (in.name == v.name) given = &in;
    }
    if (given == nullptr) return invalid_argument("input '" + v.name + "' is missing");
    if (given->shape != shapes_[size_t(id)]) {
      return invalid_argument("input '" + v.name + "' has shape " + shape_to_string(given->shape) +
                              ", but the model was prepared for " + shape_to_string(shapes_[size_t(id)]));
    }
    if (given->data == nullptr && shape_size(given->shape) > 0) {
      return invalid_argument("input '" + v.name + "' has no data");
    }
    read[size_t(id)] = given->data;
  }
  if (inputs.size() != graph_.inputs.size()) {
    for (const InputView& in : inputs) {
      int id = graph_.find_value(in.name);
      if (id < 0 || std::find(graph_.inputs.begin(), graph_.inputs.end(), id) == graph_.inputs.end()) {
        return invalid_argument("the model has no input named '" + in.name + "'");
      }
    }
  }

  const double total = total_flops_ > 0 ? total_flops_ : 1.0;
  double done = 0, last_reported = -1;
  auto report = [&](double fraction) {
    fraction = std::min(1.0, fraction);
    if (options.on_progress && fraction > last_reported) {
      last_reported = fraction;
      options.on_progress(fraction);
    }
  };
  auto cancelled = [&] { return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed); };
  std::vector<TensorRef> in_refs;
  std::vector<MutableTensorRef> out_refs;
  for (const PlanStep& step : steps_) {
    if (cancelled()) return Status::error(StatusCode::kCancelled, "the run was cancelled");
    const Node& node = *step.node;
    in_refs.assign(node.inputs.size(), TensorRef{});
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      int in = node.inputs[k];
      if (in < 0) continue;
      in_refs[k] = {read[size_t(in)], &shapes_[size_t(in)]};
    }
    out_refs.assign(node.outputs.size(), MutableTensorRef{});
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      int out = node.outputs[k];
      if (out < 0) continue;
      out_refs[k] = {write[size_t(out)], &shapes_[size_t(out)]};
    }
    RunContext ctx;
    ctx.inputs = in_refs;
    ctx.outputs = out_refs;
    ctx.scratch = arena_ + round_up(arena_floats_);
    ctx.pool = pool_;
    ctx.cancel = options.cancel;
    const double base = done, step_flops = step.flops;
    if (options.on_progress) {
      ctx.report = [&, base, step_flops](double f) { report((base + std::min(f, step_flops)) / total); };
    }
    if (NodeProfile* profile = NodeProfile::get()) {
      const auto start = std::chrono::steady_clock::now();
      step.kernel->run(ctx);
      profile->add(node, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    } else {
      step.kernel->run(ctx);
    }
    if (cancelled()) return Status::error(StatusCode::kCancelled, "the run was cancelled");
    done += step.flops;
    report(done / total);
  }
  report(1.0);

  std::vector<Tensor> outputs;
  for (int id : graph_.outputs) {
    Tensor t;
    t.shape = shapes_[size_t(id)];
    const float* src = read[size_t(id)];
    auto n = size_t(shape_size(t.shape));
    if (src == nullptr) {
      const ConstTensor* c = constants_[size_t(id)].get();
      if (c != nullptr) {
        std::vector<float> values = c->to_floats();
        t.data = std::move(values);
        outputs.push_back(std::move(t));
        continue;
      }
      return invalid_model("graph output '" + graph_.values[size_t(id)].name + "' has no value");
    }
    t.data.assign(src, src + n);
    outputs.push_back(std::move(t));
  }
  return outputs;
}

}  // namespace cairn
