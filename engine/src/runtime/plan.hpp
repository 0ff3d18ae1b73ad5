// An execution plan: the graph prepared for concrete input shapes. Shapes are inferred node by node, constant
// subgraphs are folded, each remaining node gets a prepared kernel, and every intermediate tensor gets an offset
// in one arena planned by liveness, so that a run allocates nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/engine.hpp"
#include "graph/graph.hpp"
#include "ops/kernel.hpp"

namespace cairn {

class ThreadPool;

struct PlanStep {
  const Node* node = nullptr;
  std::unique_ptr<Kernel> kernel;
  double flops = 0;
};

class ExecutionPlan {
 public:
  static Result<std::unique_ptr<ExecutionPlan>> build(const Graph& graph, const std::map<std::string, Shape>& input_shapes,
                                                      uint64_t memory_limit_bytes, ThreadPool* pool);
  ~ExecutionPlan();
  ExecutionPlan(const ExecutionPlan&) = delete;
  ExecutionPlan& operator=(const ExecutionPlan&) = delete;

  Result<std::vector<Tensor>> run(std::span<const InputView> inputs, const RunOptions& options);

  const std::map<std::string, Shape>& input_shapes() const { return input_shapes_; }
  std::vector<std::pair<std::string, Shape>> output_shapes() const;
  const std::vector<PlanStep>& steps() const { return steps_; }
  double flops() const { return total_flops_; }
  uint64_t weight_bytes() const { return weight_bytes_; }
  uint64_t arena_bytes() const { return uint64_t(arena_floats_) * sizeof(float); }
  uint64_t scratch_bytes() const { return uint64_t(scratch_floats_) * sizeof(float); }

 private:
  explicit ExecutionPlan(const Graph& graph) : graph_(graph) {}
  Status plan_memory(uint64_t memory_limit_bytes);
  // Concat without copies: a Concat whose inputs are each one contiguous block of its output (nothing before the
  // axis is larger than 1, as the channel axis of a batch-1 NCHW tensor) gets those inputs that are runtime
  // tensors written by a step and read by no other Concat placed inside its own buffer, at their block's offset;
  // the Concat kernel then skips them. Per value: the Concat output it lives in (-1: none) and the float offset.
  struct ConcatAlias {
    int parent = -1;
    int64_t offset = 0;
  };
  std::vector<ConcatAlias> find_concat_aliases(const std::vector<int>& first) const;

  const Graph& graph_;
  ThreadPool* pool_ = nullptr;
  std::map<std::string, Shape> input_shapes_;
  std::vector<Shape> shapes_;              // per value
  std::vector<ConstTensorPtr> constants_;  // per value: known at plan time (weights and folded values)
  std::vector<int64_t> offsets_;           // per value: float offset in the arena, -1 when not in it
  std::vector<PlanStep> steps_;
  double total_flops_ = 0;
  uint64_t weight_bytes_ = 0;
  size_t arena_floats_ = 0;
  size_t scratch_floats_ = 0;
  float* arena_ = nullptr;    // arena_floats_ + scratch_floats_, 64-byte aligned
};

}  // namespace cairn
