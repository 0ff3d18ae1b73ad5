// Evaluates, at load time, the nodes whose inputs are all known: the shape subgraphs PyTorch and tf2onnx emit
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Cast, Slice, arithmetic on shapes...) and data movement on
// constants. Works on integer and float constants alike.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "cairn/status.hpp"
#include "graph/graph.hpp"
#include "graph/tensor.hpp"

namespace cairn {

// `values[i]` is the constant value of input i (null when only its shape is known, or when the input is omitted);
// `shapes[i]` its shape (null when the input is omitted). Returns std::nullopt when this evaluator does not handle
// the operator or needs values it does not have; the caller then falls back to the operator's kernel.
Result<std::optional<std::vector<ConstTensor>>> evaluate_constant_node(const Node& node, int64_t opset,
                                                                      std::span<const ConstTensor* const> values,
                                                                      std::span<const Shape* const> shapes,
                                                                      int64_t max_elements);

// Operators evaluate_constant_node can fold when their inputs are constant (used to describe the coverage).
bool is_constant_foldable(const std::string& op_type);

}  // namespace cairn
