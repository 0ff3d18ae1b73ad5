#include "graph/passes.hpp"

#include <cmath>
#include <set>

namespace cairn {

namespace {

bool is_graph_output(const Graph& g, int value) {
  for (int o : g.outputs) {
    if (o == value) return true;
  }
  return false;
}

// For each value, how many node inputs read it.
std::vector<int> use_counts(const Graph& g) {
  std::vector<int> uses(g.values.size(), 0);
  for (const Node& n : g.nodes) {
    for (int in : n.inputs) {
      if (in >= 0) ++uses[size_t(in)];
    }
  }
  return uses;
}

void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes) {
    for (int& in : n.inputs) {
      if (in == from) in = to;
    }
  }
}

// Removes the flagged nodes and recomputes producers.
void compact(Graph& g, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
  for (Value& v : g.values) v.producer = -1;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int out : g.nodes[i].outputs) {
      if (out >= 0) g.values[size_t(out)].producer = int(i);
    }
  }
}

bool is_default(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

const ConstTensor* constant_input(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] < 0) return nullptr;
  return g.values[size_t(n.inputs[i])].constant.get();
}

}  // namespace

int drop_identity_nodes(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  int count = 0;
  std::vector<int> uses = use_counts(g);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    if (!is_default(n, "Identity") && !is_default(n, "Dropout")) continue;
    if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty() || n.outputs[0] < 0) continue;
    // Dropout's mask output must be unused.
    bool mask_used = n.outputs.size() > 1 && n.outputs[1] >= 0 &&
                     (uses[size_t(n.outputs[1])] > 0 || is_graph_output(g, n.outputs[1]));
    if (mask_used) continue;
    if (n.outputs.size() > 1) n.outputs[1] = -1;  // an unused mask need not be computed, even if the node stays
    if (is_graph_output(g, n.outputs[0])) continue;
    replace_uses(g, n.outputs[0], n.inputs[0]);
    removed[i] = true;
    ++count;
  }
  compact(g, removed);
  return count;
}

int fold_batch_norm_into_conv(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  std::vector<int> uses = use_counts(g);
  int count = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& bn = g.nodes[i];
    if (!is_default(bn, "BatchNormalization") || bn.inputs.size() < 5 || bn.attr_int("training_mode", 0) != 0 ||
        bn.attr_int("spatial", 1) != 1) {
      continue;
    }
    bool extra_outputs = false;
    for (size_t k = 1; k < bn.outputs.size(); ++k) extra_outputs |= bn.outputs[k] >= 0;
    // Folding moves the BatchNormalization's output to the Conv: a node without one (a hostile model) stays as it is.
    if (extra_outputs || bn.outputs.empty() || bn.outputs[0] < 0 || bn.inputs[0] < 0) continue;
    int x = bn.inputs[0];
    int p = g.values[size_t(x)].producer;
    if (p < 0 || removed[size_t(p)]) continue;
    Node& conv = g.nodes[size_t(p)];
    if (!is_default(conv, "Conv") || uses[size_t(x)] != 1 || is_graph_output(g, x)) continue;
    if (conv.activation.kind != FusedActivation::Kind::kNone) continue;
    const ConstTensor* w = constant_input(g, conv, 1);
    const ConstTensor* b = constant_input(g, conv, 2);
    bool has_bias_input = conv.inputs.size() > 2 && conv.inputs[2] >= 0;
    if (w == nullptr || !w->is_float() || w->shape.size() < 3 || (has_bias_input && (b == nullptr || !b->is_float()))) {
      continue;
    }
    const ConstTensor* scale = constant_input(g, bn, 1);
    const ConstTensor* shift = constant_input(g, bn, 2);
    const ConstTensor* mean = constant_input(g, bn, 3);
    const ConstTensor* var = constant_input(g, bn, 4);
    const int64_t channels = w->shape[0];
    bool ok = true;
    for (const ConstTensor* t : {scale, shift, mean, var}) {
      ok = ok && t != nullptr && t->is_float() && t->size() == channels;
    }
    if (!ok || (b != nullptr && b->size() != channels)) continue;
    const double epsilon = bn.attr_float("epsilon", 1e-5f);
    const int64_t per_channel = channels > 0 ? w->size() / channels : 0;
    ConstTensor new_w = ConstTensor::from_floats(w->shape, w->floats);
    ConstTensor new_b = ConstTensor::from_floats({channels}, std::vector<float>(size_t(channels)));
    for (int64_t c = 0; c < channels; ++c) {
      const auto cc = size_t(c);
      double factor = double(scale->floats[cc]) / std::sqrt(double(var->floats[cc]) + epsilon);
      for (int64_t k = 0; k < per_channel; ++k) {
        auto idx = size_t(c * per_channel + k);
        new_w.floats[idx] = float(double(w->floats[idx]) * factor);
      }
      double bias = b != nullptr ? double(b->floats[cc]) : 0.0;
      new_b.floats[cc] = float((bias - double(mean->floats[cc])) * factor + double(shift->floats[cc]));
    }
    Value wv;
    wv.name = conv.name + "/folded_weights";
    wv.type = DataType::kFloat;
    wv.constant = std::make_shared<ConstTensor>(std::move(new_w));
    Value bv;
    bv.name = conv.name + "/folded_bias";
    bv.type = DataType::kFloat;
    bv.constant = std::make_shared<ConstTensor>(std::move(new_b));
    int wid = g.add_value(std::move(wv));
    int bid = g.add_value(std::move(bv));
    Node& conv_node = g.nodes[size_t(p)];  // add_value may not move nodes, but re-take the reference anyway
    conv_node.inputs.resize(3, -1);
    conv_node.inputs[1] = wid;
    conv_node.inputs[2] = bid;
    conv_node.outputs[0] = g.nodes[i].outputs[0];
    removed[i] = true;
    uses = use_counts(g);
    ++count;
  }
  compact(g, removed);
  return count;
}

int fuse_activations(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  std::vector<int> uses = use_counts(g);
  int count = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& act = g.nodes[i];
    if (!act.domain.empty() || act.inputs.empty() || act.inputs[0] < 0 || act.outputs.empty()) continue;
    FusedActivation f;
    if (act.op_type == "Relu") {
      f.kind = FusedActivation::Kind::kRelu;
    } else if (act.op_type == "LeakyRelu") {
      f.kind = FusedActivation::Kind::kLeakyRelu;
      f.alpha = act.attr_float("alpha", 0.01f);
    } else if (act.op_type == "Sigmoid") {
      f.kind = FusedActivation::Kind::kSigmoid;
    } else if (act.op_type == "Tanh") {
      f.kind = FusedActivation::Kind::kTanh;
    } else if (act.op_type == "Clip") {
      f.kind = FusedActivation::Kind::kClip;
      f.alpha = -INFINITY;
      f.beta = INFINITY;
      if (g.opset < 11) {
        f.alpha = act.attr_float("min", -INFINITY);
        f.beta = act.attr_float("max", INFINITY);
      } else {
        bool ok = true;
        for (size_t k = 1; k < 3 && k < act.inputs.size(); ++k) {
          if (act.inputs[k] < 0) continue;
          const ConstTensor* c = constant_input(g, act, k);
          if (c == nullptr || c->size() != 1) {
            ok = false;
            continue;
          }
          (k == 1 ? f.alpha : f.beta) = float(c->as_double(0));
        }
        if (!ok) continue;
      }
    } else {
      continue;
    }
    int x = act.inputs[0];
    int p = g.values[size_t(x)].producer;
    if (p < 0 || removed[size_t(p)] || uses[size_t(x)] != 1 || is_graph_output(g, x)) continue;
    Node& producer = g.nodes[size_t(p)];
    if (!producer.domain.empty() || producer.activation.kind != FusedActivation::Kind::kNone) continue;
    if (producer.op_type != "Conv" && producer.op_type != "ConvTranspose" && producer.op_type != "Gemm" &&
        producer.op_type != "MatMul") {
      continue;
    }
    producer.activation = f;
    producer.outputs[0] = act.outputs[0];
    removed[i] = true;
    ++count;
  }
  compact(g, removed);
  return count;
}

int remove_dead_nodes(Graph& g) {
  std::vector<bool> removed(g.nodes.size(), false);
  std::vector<int> uses = use_counts(g);
  int count = 0;
  for (size_t k = g.nodes.size(); k-- > 0;) {
    const Node& n = g.nodes[k];
    bool live = false;
    for (int out : n.outputs) {
      live |= out >= 0 && (uses[size_t(out)] > 0 || is_graph_output(g, out));
    }
    if (live) continue;
    removed[k] = true;
    ++count;
    for (int in : n.inputs) {
      if (in >= 0) --uses[size_t(in)];
    }
  }
  compact(g, removed);
  return count;
}

Status run_load_passes(Graph& graph, PassStats* stats) {
  PassStats s;
  s.dropped_identity = drop_identity_nodes(graph);
  s.folded_batch_norm = fold_batch_norm_into_conv(graph);
  s.fused_activations = fuse_activations(graph);
  s.removed_dead = remove_dead_nodes(graph);
  if (stats != nullptr) *stats = s;
  return Status::ok();
}

}  // namespace cairn
