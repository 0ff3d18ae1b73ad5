// GFLOP/s of the reference building blocks. Run: build/release/bench/cairn_bench_kernels
// (the counters show GFLOP/s; compare with the 14.6 GFLOP/s scalar and 117 GFLOP/s FMA peaks of DESIGN.md).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "graph/graph.hpp"
#include "kernels/ref/gemm_ref.hpp"
#include "ops/kernel.hpp"

namespace {

std::vector<float> random_vector(size_t n) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void BM_GemmRef(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> a = random_vector(size_t(m * k)), b = random_vector(size_t(k * n)), c(size_t(m * n));
  std::vector<float> workspace(cairn::kernels::gemm_ref_workspace_floats());
  for (auto _ : state) {
    cairn::kernels::gemm_ref(m, n, k, {a.data(), k, 1}, {b.data(), n, 1}, c.data(), n, false, workspace.data());
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(double(state.iterations()) * 2.0 * double(m * n * k) * 1e-9,
                                                 benchmark::Counter::kIsRate);
}
// The shapes of the paper's U-Net 3x3 layers as im2col GEMMs on a 64x64 tile of pixels.
BENCHMARK(BM_GemmRef)->Args({32, 4096, 288})->Args({64, 4096, 576})->Args({256, 1024, 2304})->Args({512, 256, 4608});

// A whole Conv layer (3x3, pad 1, bias, fused ReLU) through its kernel, as the engine runs it.
void BM_ConvLayer(benchmark::State& state) {
  const int64_t cin = state.range(0), cout = state.range(1), size = state.range(2);
  cairn::Node node;
  node.name = "bench";
  node.op_type = "Conv";
  cairn::Attribute pads;
  pads.kind = cairn::Attribute::Kind::kInts;
  pads.ints = {1, 1, 1, 1};
  node.attributes["pads"] = pads;
  node.activation.kind = cairn::FusedActivation::Kind::kRelu;
  node.inputs = {0, 1, 2};
  node.outputs = {3};
  cairn::ConstTensor w = cairn::ConstTensor::from_floats({cout, cin, 3, 3}, random_vector(size_t(cout * cin * 9)));
  cairn::ConstTensor b = cairn::ConstTensor::from_floats({cout}, random_vector(size_t(cout)));
  cairn::PrepareContext ctx{node, 17, {}};
  ctx.inputs.push_back({true, cairn::DataType::kFloat, {1, cin, size, size}, nullptr});
  ctx.inputs.push_back({true, cairn::DataType::kFloat, w.shape, &w});
  ctx.inputs.push_back({true, cairn::DataType::kFloat, b.shape, &b});
  auto kernel = cairn::KernelRegistry::global().find("Conv")();
  std::vector<cairn::Shape> out_shapes(1);
  if (!kernel->prepare(ctx, out_shapes).is_ok()) {
    state.SkipWithError("Conv prepare failed");
    return;
  }
  std::vector<float> x = random_vector(size_t(cin * size * size)), y(size_t(cairn::shape_size(out_shapes[0])));
  std::vector<float> scratch(kernel->scratch_floats() + 16);
  cairn::Shape x_shape = ctx.inputs[0].shape;
  std::vector<cairn::TensorRef> in = {{x.data(), &x_shape}, {w.floats.data(), &w.shape}, {b.floats.data(), &b.shape}};
  std::vector<cairn::MutableTensorRef> out = {{y.data(), &out_shapes[0]}};
  cairn::RunContext run;
  run.inputs = in;
  run.outputs = out;
  run.scratch = scratch.data();
  for (auto _ : state) {
    kernel->run(run);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(double(state.iterations()) * kernel->flops() * 1e-9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ConvLayer)->Args({1, 32, 256})->Args({32, 32, 256})->Args({64, 64, 128})->Args({256, 256, 32})
    ->Unit(benchmark::kMillisecond);

}  // namespace
