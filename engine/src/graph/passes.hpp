// Load-time rewrites of the graph: they change how the model is computed, never what it computes
// (beyond float rounding for the folded BatchNormalization).
#pragma once

#include "cairn/status.hpp"
#include "graph/graph.hpp"

namespace cairn {

struct PassStats {
  int dropped_identity = 0;      // Identity and Dropout nodes removed
  int folded_batch_norm = 0;     // BatchNormalization folded into the preceding Conv
  int fused_activations = 0;     // activations folded into the preceding Conv/ConvTranspose/Gemm/MatMul
  int removed_dead = 0;          // nodes whose results nothing reads
};

// Runs every pass in order; the graph stays in topological order.
Status run_load_passes(Graph& graph, PassStats* stats = nullptr);

// The individual passes, exposed for the tests.
int drop_identity_nodes(Graph& graph);
int fold_batch_norm_into_conv(Graph& graph);
int fuse_activations(Graph& graph);
int remove_dead_nodes(Graph& graph);

}  // namespace cairn
