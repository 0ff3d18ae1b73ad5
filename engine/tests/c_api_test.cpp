// The C ABI (cairn/cairn.h) against the C++ API on hand-built models: shapes, runs, progress, cancel and errors.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cairn/cairn.h"
#include "cairn/engine.hpp"
#include "onnx_builder.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

// y = Conv(Relu(Conv(x))) with 3x3 kernels, pad 1, on [N, 2, H, W] (N symbolic): long enough for several tiles.
std::vector<uint8_t> two_conv_model() {
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {-1, 2, -1, -1}));
  spec.outputs.push_back(value_info("y", {-1, 3, -1, -1}));
  std::vector<float> w1(4 * 2 * 9), w2(3 * 4 * 9);
  for (size_t i = 0; i < w1.size(); ++i) w1[i] = float(int(i % 7) - 3) * 0.125f;
  for (size_t i = 0; i < w2.size(); ++i) w2[i] = float(int(i % 5) - 2) * 0.25f;
  spec.initializers.push_back(float_tensor("w1", {4, 2, 3, 3}, w1));
  spec.initializers.push_back(float_tensor("w2", {3, 4, 3, 3}, w2));
  auto conv = [](const std::string& in, const std::string& w, const std::string& out) {
    return node("Conv", {in, w}, {out}, {ints_attr("kernel_shape", {3, 3}), ints_attr("pads", {1, 1, 1, 1})});
  };
  spec.nodes.push_back(conv("x", "w1", "c1"));
  spec.nodes.push_back(node("Relu", {"c1"}, {"r1"}));
  spec.nodes.push_back(conv("r1", "w2", "y"));
  return build_model(spec);
}

std::vector<float> ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(int(i % 23) - 11) / 8.0f;
  return v;
}

struct ModelDeleter {
  void operator()(cairn_model* m) const { cairn_model_free(m); }
};
using ModelHandle = std::unique_ptr<cairn_model, ModelDeleter>;

ModelHandle create(const std::vector<uint8_t>& bytes, const cairn_options* options = nullptr) {
  cairn_model* m = nullptr;
  cairn_status s = cairn_model_create(bytes.data(), bytes.size(), options, &m);
  EXPECT_EQ(s, CAIRN_OK) << cairn_last_error();
  return ModelHandle(m);
}

cairn_status prepare(cairn_model* m, const std::vector<int64_t>& shape) {
  const int32_t rank = int32_t(shape.size());
  return cairn_model_prepare(m, &rank, shape.data());
}

// Progress fractions, and a fraction at which to ask for cancellation (> 1: never).
struct ProgressLog {
  std::vector<double> seen;
  double cancel_at = 2.0;
  int32_t* flag_to_set = nullptr;  // set instead of returning nonzero when not null
};

int32_t log_progress(double fraction, void* user_data) {
  auto* log = static_cast<ProgressLog*>(user_data);
  log->seen.push_back(fraction);
  if (fraction < log->cancel_at) return 0;
  if (log->flag_to_set == nullptr) return 1;
  __atomic_store_n(log->flag_to_set, 1, __ATOMIC_RELAXED);
  return 0;
}

TEST(CApi, DescribesTheModelAndRunsLikeTheCppApi) {
  const std::vector<uint8_t> bytes = two_conv_model();
  ModelHandle m = create(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(cairn_model_input_count(m.get()), 1);
  EXPECT_EQ(cairn_model_output_count(m.get()), 1);
  EXPECT_STREQ(cairn_model_input_name(m.get(), 0), "x");
  EXPECT_STREQ(cairn_model_output_name(m.get(), 0), "y");
  int64_t dims[8] = {};
  ASSERT_EQ(cairn_model_input_shape(m.get(), 0, dims, 8), 4);
  EXPECT_EQ(dims[0], -1);
  EXPECT_EQ(dims[1], 2);
  ASSERT_EQ(cairn_model_output_shape(m.get(), 0, dims, 2), 4);  // rank even when the capacity is smaller
  EXPECT_EQ(dims[1], 3);
  EXPECT_EQ(cairn_model_prepared_output_shape(m.get(), 0, dims, 8), -1);  // not prepared yet
  EXPECT_EQ(cairn_model_prepared_flops(m.get()), 0.0);

  const std::vector<int64_t> shape = {1, 2, 37, 41};
  ASSERT_EQ(prepare(m.get(), shape), CAIRN_OK) << cairn_last_error();
  EXPECT_STREQ(cairn_last_error(), "");
  ASSERT_EQ(cairn_model_prepared_output_shape(m.get(), 0, dims, 8), 4);
  EXPECT_EQ(dims[0], 1);
  EXPECT_EQ(dims[1], 3);
  EXPECT_EQ(dims[2], 37);
  EXPECT_EQ(dims[3], 41);
  EXPECT_DOUBLE_EQ(cairn_model_prepared_flops(m.get()), 2.0 * 37 * 41 * (4 * 2 * 9 + 3 * 4 * 9));

  std::vector<float> x = ramp(2 * 37 * 41);
  std::vector<float> y(3 * 37 * 41, -1.0f);
  const float* inputs[] = {x.data()};
  float* outputs[] = {y.data()};
  ASSERT_EQ(cairn_model_run(m.get(), inputs, outputs, nullptr, nullptr, nullptr), CAIRN_OK) << cairn_last_error();

  auto reference = Model::load_bytes(bytes);
  ASSERT_TRUE(reference.is_ok());
  InputView in{"x", shape, x.data()};
  auto expected = reference.value()->run(std::span<const InputView>(&in, 1));
  ASSERT_TRUE(expected.is_ok()) << expected.status().message();
  EXPECT_EQ(y, expected.value()[0].data);

  // Two threads compute the same values (work is split by index).
  cairn_options options;
  cairn_options_init(&options);
  EXPECT_EQ(options.threads, 1);
  EXPECT_EQ(options.memory_limit_bytes, uint64_t{4} << 30);
  options.threads = 2;
  ModelHandle threaded = create(bytes, &options);
  ASSERT_TRUE(threaded);
  ASSERT_EQ(prepare(threaded.get(), shape), CAIRN_OK) << cairn_last_error();
  std::vector<float> y2(y.size());
  float* outputs2[] = {y2.data()};
  ASSERT_EQ(cairn_model_run(threaded.get(), inputs, outputs2, nullptr, nullptr, nullptr), CAIRN_OK);
  EXPECT_EQ(y2, y);

  // A NULL output is not written; a negative rank takes the declared shape (here incomplete, so it is refused).
  float* no_outputs[] = {nullptr};
  EXPECT_EQ(cairn_model_run(m.get(), inputs, no_outputs, nullptr, nullptr, nullptr), CAIRN_OK);
  ModelHandle fresh = create(bytes);
  ASSERT_TRUE(fresh);
  const int32_t declared = -1;
  EXPECT_NE(cairn_model_prepare(fresh.get(), &declared, nullptr), CAIRN_OK);
  EXPECT_STRNE(cairn_last_error(), "");
}

TEST(CApi, ReportsMonotonicProgressAndCancelsFromTheCallbackOrTheFlag) {
  ModelHandle m = create(two_conv_model());
  ASSERT_TRUE(m);
  ASSERT_EQ(prepare(m.get(), {1, 2, 96, 96}), CAIRN_OK) << cairn_last_error();
  std::vector<float> x = ramp(2 * 96 * 96), y(3 * 96 * 96);
  const float* inputs[] = {x.data()};
  float* outputs[] = {y.data()};

  ProgressLog full;
  ASSERT_EQ(cairn_model_run(m.get(), inputs, outputs, log_progress, &full, nullptr), CAIRN_OK) << cairn_last_error();
  ASSERT_GE(full.seen.size(), 4u);
  for (size_t i = 1; i < full.seen.size(); ++i) EXPECT_GT(full.seen[i], full.seen[i - 1]);
  EXPECT_DOUBLE_EQ(full.seen.back(), 1.0);

  // The callback asks to stop at the first report: the run ends long before the end.
  ProgressLog by_callback;
  by_callback.cancel_at = 0.0;
  EXPECT_EQ(cairn_model_run(m.get(), inputs, outputs, log_progress, &by_callback, nullptr), CAIRN_CANCELLED);
  EXPECT_NE(std::string(cairn_last_error()).find("cancelled"), std::string::npos) << cairn_last_error();
  EXPECT_EQ(by_callback.seen.size(), 1u);

  // The flag, set halfway through (as another thread or a worker sharing the memory would).
  int32_t flag = 0;
  ProgressLog by_flag;
  by_flag.cancel_at = 0.5;
  by_flag.flag_to_set = &flag;
  EXPECT_EQ(cairn_model_run(m.get(), inputs, outputs, log_progress, &by_flag, &flag), CAIRN_CANCELLED);
  ASSERT_FALSE(by_flag.seen.empty());
  EXPECT_LT(by_flag.seen.back(), 1.0);
  EXPECT_LT(by_flag.seen.size(), full.seen.size());

  // Already set: nothing runs. Cleared: the model still works.
  EXPECT_EQ(cairn_model_run(m.get(), inputs, outputs, nullptr, nullptr, &flag), CAIRN_CANCELLED);
  flag = 0;
  EXPECT_EQ(cairn_model_run(m.get(), inputs, outputs, nullptr, nullptr, &flag), CAIRN_OK) << cairn_last_error();

  // From another thread, while the run is going.
  flag = 0;
  std::atomic<bool> started{false};
  struct Waiter {
    std::atomic<bool>* started;
  } waiter{&started};
  auto wait_for_cancel = [](double, void* user_data) -> int32_t {
    static_cast<Waiter*>(user_data)->started->store(true);
    return 0;
  };
  std::thread canceller([&] {
    while (!started.load()) std::this_thread::yield();
    __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
  });
  cairn_status s = CAIRN_OK;
  for (int attempt = 0; attempt < 1000 && s == CAIRN_OK; ++attempt) {
    s = cairn_model_run(m.get(), inputs, outputs, wait_for_cancel, &waiter, &flag);
  }
  canceller.join();
  EXPECT_EQ(s, CAIRN_CANCELLED);
}

TEST(CApi, ReturnsReadableErrors) {
  cairn_model* m = reinterpret_cast<cairn_model*>(this);  // must be overwritten with NULL on failure
  const uint8_t garbage[] = {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01};
  EXPECT_EQ(cairn_model_create(garbage, sizeof garbage, nullptr, &m), CAIRN_INVALID_MODEL);
  EXPECT_EQ(m, nullptr);
  EXPECT_STRNE(cairn_last_error(), "");

  EXPECT_EQ(cairn_model_create(garbage, sizeof garbage, nullptr, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_NE(std::string(cairn_last_error()).find("NULL"), std::string::npos) << cairn_last_error();
  EXPECT_EQ(cairn_model_create(nullptr, 10, nullptr, &m), CAIRN_INVALID_ARGUMENT);

  const std::vector<uint8_t> bytes = two_conv_model();
  cairn_options options;
  cairn_options_init(&options);
  options.reserved = 1;
  EXPECT_EQ(cairn_model_create(bytes.data(), bytes.size(), &options, &m), CAIRN_INVALID_ARGUMENT);
  options.reserved = 0;
  options.threads = -2;
  EXPECT_EQ(cairn_model_create(bytes.data(), bytes.size(), &options, &m), CAIRN_INVALID_ARGUMENT);
  EXPECT_NE(std::string(cairn_last_error()).find("threads"), std::string::npos) << cairn_last_error();

  // Out-of-range indices and NULL models answer without crashing.
  ModelHandle model = create(bytes);
  ASSERT_TRUE(model);
  EXPECT_EQ(cairn_model_input_name(model.get(), 1), nullptr);
  EXPECT_EQ(cairn_model_output_name(model.get(), -1), nullptr);
  int64_t dims[4];
  EXPECT_EQ(cairn_model_input_shape(model.get(), 5, dims, 4), -1);
  EXPECT_EQ(cairn_model_input_count(nullptr), 0);
  EXPECT_EQ(cairn_model_prepare(nullptr, nullptr, nullptr), CAIRN_INVALID_ARGUMENT);
  cairn_model_free(nullptr);

  // Running before preparing, and inputs of the wrong rank or channel count.
  std::vector<float> x(2 * 8 * 8);
  const float* inputs[] = {x.data()};
  EXPECT_EQ(cairn_model_run(model.get(), inputs, nullptr, nullptr, nullptr, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_NE(std::string(cairn_last_error()).find("prepare"), std::string::npos) << cairn_last_error();
  EXPECT_NE(prepare(model.get(), {1, 5, 8, 8}), CAIRN_OK);
  EXPECT_NE(std::string(cairn_last_error()).find("1x5x8x8"), std::string::npos) << cairn_last_error();
  EXPECT_NE(prepare(model.get(), {1, 2, 8}), CAIRN_OK);
  EXPECT_EQ(cairn_model_prepared_output_shape(model.get(), 0, dims, 4), -1);  // a failed prepare leaves none
  ASSERT_EQ(prepare(model.get(), {1, 2, 8, 8}), CAIRN_OK) << cairn_last_error();
  const float* no_input[] = {nullptr};
  EXPECT_EQ(cairn_model_run(model.get(), no_input, nullptr, nullptr, nullptr, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_NE(std::string(cairn_last_error()).find("'x'"), std::string::npos) << cairn_last_error();

  // Shapes whose plan exceeds the memory limit are refused before allocating.
  options.threads = 1;
  options.memory_limit_bytes = 64 << 10;
  ModelHandle small = create(bytes, &options);
  ASSERT_TRUE(small);
  EXPECT_EQ(prepare(small.get(), {1, 2, 512, 512}), CAIRN_RESOURCE_LIMIT);
  EXPECT_NE(std::string(cairn_last_error()).find("limit"), std::string::npos) << cairn_last_error();

  // An operator the engine does not implement is named.
  GraphSpec spec;
  spec.inputs.push_back(value_info("x", {1, 4}));
  spec.outputs.push_back(value_info("y", {1, 4}));
  spec.nodes.push_back(node("FancyAttention", {"x"}, {"y"}));
  ModelHandle fancy = create(build_model(spec));
  ASSERT_TRUE(fancy);
  EXPECT_EQ(prepare(fancy.get(), {1, 4}), CAIRN_UNSUPPORTED);
  EXPECT_NE(std::string(cairn_last_error()).find("FancyAttention"), std::string::npos) << cairn_last_error();

  const std::string operators = std::string(",") + cairn_operators() + ",";
  EXPECT_NE(operators.find(",Conv,"), std::string::npos) << operators;
  EXPECT_EQ(operators.find(",FancyAttention,"), std::string::npos) << operators;

  void* p = cairn_malloc(64);
  EXPECT_NE(p, nullptr);
  cairn_free(p);
}

}  // namespace
}  // namespace cairn
