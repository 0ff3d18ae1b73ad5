// GFLOP/s of the engine's building blocks. Run: build/release/bench/cairn_bench_kernels
// The counters show GFLOP/s and "%peak", the share of the single-core FMA peak measured on this machine
// (117 GFLOP/s, DESIGN.md; 14.6 for scalar code). Each micro-kernel the CPU supports is benchmarked by name.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "graph/graph.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/ref/gemm_ref.hpp"
#include "runtime/thread_pool.hpp"
#include "ops/kernel.hpp"

namespace {

constexpr double kFmaPeakGflops = 117.0;  // DESIGN.md: measured single-core FMA peak (AVX2 or AVX-512)

void set_rate(benchmark::State& state, double flops_per_iteration, int threads = 1) {
  const double flops = double(state.iterations()) * flops_per_iteration;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
  state.counters["%peak"] =
      benchmark::Counter(flops * 1e-9 * 100.0 / (kFmaPeakGflops * threads), benchmark::Counter::kIsRate);
}

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
  set_rate(state, 2.0 * double(m * n * k));
}
// The shapes of the paper's U-Net 3x3 layers as im2col GEMMs on a 64x64 tile of pixels.
BENCHMARK(BM_GemmRef)->Args({32, 4096, 288})->Args({64, 4096, 576})->Args({256, 1024, 2304})->Args({512, 256, 4608});

// Each micro-kernel through gemm_packed on operands packed once (as Conv runs it: weights x one im2col tile).
void BM_GemmPacked(benchmark::State& state, const cairn::kernels::GemmMicrokernel* uk) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> a = random_vector(size_t(m * k)), b = random_vector(size_t(k * n)), c(size_t(m * n));
  std::vector<float> pa(size_t(cairn::kernels::gemm_packed_a_floats(uk->mr, m, k)));
  std::vector<float> pb(size_t(cairn::kernels::gemm_packed_b_floats(k, n)));
  cairn::kernels::gemm_pack_a(uk->mr, m, k, {a.data(), k, 1}, pa.data());
  cairn::kernels::gemm_pack_b(k, n, {b.data(), n, 1}, pb.data());
  for (auto _ : state) {
    cairn::kernels::gemm_packed(*uk, m, n, k, pa.data(), pb.data(), c.data(), n, false);
    benchmark::DoNotOptimize(c.data());
  }
  set_rate(state, 2.0 * double(m * n * k));
}
[[maybe_unused]] const bool kRegisteredGemmPacked = [] {
  for (const auto* uk : cairn::kernels::supported_gemm_microkernels()) {
    benchmark::RegisterBenchmark((std::string("BM_GemmPacked/") + uk->name).c_str(), BM_GemmPacked, uk)
        ->Args({48, 256, 256})->Args({64, 256, 576})->Args({256, 256, 2304});
  }
  return true;
}();

// A whole Conv layer (3x3, pad 1, bias, fused ReLU) through its kernel, as the engine runs it: args are
// in channels, out channels, size, threads; the _Reference variant forces CAIRN_KERNELS=reference's paths.
void conv_layer(benchmark::State& state, const cairn::kernels::KernelSet* kernels) {
  const int64_t cin = state.range(0), cout = state.range(1), size = state.range(2);
  const int threads = int(state.range(3));
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
  ctx.threads = threads;
  ctx.inputs.push_back({true, cairn::DataType::kFloat, {1, cin, size, size}, nullptr});
  ctx.inputs.push_back({true, cairn::DataType::kFloat, w.shape, &w});
  ctx.inputs.push_back({true, cairn::DataType::kFloat, b.shape, &b});
  auto kernel = cairn::KernelRegistry::global().find("Conv")();
  std::vector<cairn::Shape> out_shapes(1);
  cairn::kernels::override_active_kernels(kernels);
  const bool prepared = kernel->prepare(ctx, out_shapes).is_ok();
  cairn::kernels::override_active_kernels(nullptr);
  if (!prepared) {
    state.SkipWithError("Conv prepare failed");
    return;
  }
  std::vector<float> x = random_vector(size_t(cin * size * size)), y(size_t(cairn::shape_size(out_shapes[0])));
  std::vector<float> scratch(kernel->scratch_floats() + 16);
  cairn::Shape x_shape = ctx.inputs[0].shape;
  std::vector<cairn::TensorRef> in = {{x.data(), &x_shape}, {w.floats.data(), &w.shape}, {b.floats.data(), &b.shape}};
  std::vector<cairn::MutableTensorRef> out = {{y.data(), &out_shapes[0]}};
  cairn::ThreadPool pool(threads);
  cairn::RunContext run;
  run.inputs = in;
  run.outputs = out;
  run.scratch = scratch.data();
  run.pool = threads > 1 ? &pool : nullptr;
  for (auto _ : state) {
    kernel->run(run);
    benchmark::DoNotOptimize(y.data());
  }
  set_rate(state, kernel->flops(), threads);
}
void BM_ConvLayer(benchmark::State& state) { conv_layer(state, nullptr); }
void BM_ConvLayer_Reference(benchmark::State& state) { conv_layer(state, &cairn::kernels::reference_kernels()); }
// The dispatched GEMM micro-kernel without Winograd: tiled im2col + GEMM for every layer.
void BM_ConvLayer_Im2col(benchmark::State& state) {
  static const cairn::kernels::KernelSet im2col{cairn::kernels::active_kernels().gemm, false,
                                                cairn::kernels::active_kernels().isa};
  conv_layer(state, &im2col);
}
// The paper's U-Net levels: 1->32 at 512, 32->32 at 256, 64->64 at 128, 256->256 at 32 (and two threads).
#define CAIRN_CONV_SHAPES \
  ->Args({1, 32, 256, 1})->Args({32, 32, 256, 1})->Args({64, 64, 128, 1})->Args({256, 256, 32, 1}) \
  ->Args({64, 64, 128, 2})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_ConvLayer) CAIRN_CONV_SHAPES;
BENCHMARK(BM_ConvLayer_Reference) CAIRN_CONV_SHAPES;
// Winograd against im2col on every 3x3 layer shape of the paper's U-Net (the measurements behind
// WinogradConv::choose_tile): in channels, out channels, size, threads.
#define CAIRN_UNET_SHAPES \
  ->Args({32, 32, 512, 1})->Args({32, 64, 256, 1})->Args({64, 64, 256, 1})->Args({64, 128, 128, 1}) \
  ->Args({128, 128, 128, 1})->Args({128, 256, 64, 1})->Args({256, 256, 64, 1})->Args({256, 512, 32, 1}) \
  ->Args({512, 512, 32, 1})->Args({512, 256, 64, 1})->Args({256, 128, 128, 1})->Args({128, 64, 256, 1}) \
  ->Args({64, 32, 512, 1})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_ConvLayer) CAIRN_UNET_SHAPES;
BENCHMARK(BM_ConvLayer_Im2col) CAIRN_UNET_SHAPES;

}  // namespace
