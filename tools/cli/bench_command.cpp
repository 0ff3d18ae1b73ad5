// cairn bench: latency, throughput and peak memory of a model on random input.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

#include "cli_error.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "model_setup.hpp"

namespace cairn::cli {
namespace {

// Peak resident set size of this process so far, in MB (2^20 bytes).
double peak_rss_mb() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
#ifdef __APPLE__
  return double(usage.ru_maxrss) / double(1 << 20);  // bytes
#else
  return double(usage.ru_maxrss) / 1024.0;  // KiB
#endif
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int bench_command(const std::vector<std::string>& tokens) {
  const Args args("bench", tokens,
                  {{"shape", true, true},
                   {"threads", true, false},
                   {"memory-limit", true, false},
                   {"runs", true, false},
                   {"warmup", true, false},
                   {"warmup-ms", true, false},
                   {"json", false, false}});
  if (args.positional().empty()) throw UsageError("missing MODEL.onnx");
  if (args.positional().size() > 1) throw UsageError("unexpected argument '" + args.positional()[1] + "'");
  const std::vector<ShapeArg> shape_args = parse_shape_args(args.values("shape"));
  const EngineOptions options = engine_options(args, true);
  const int64_t runs = args.integer("runs", 10, 1, 1000000);
  const int64_t min_warmup = args.integer("warmup", 1, 0, 1000000);
  const int64_t warmup_ms = args.integer("warmup-ms", 0, 0, 600000);
  const std::string& model_path = args.positional()[0];

  auto model = load_model(model_path, options);
  const std::map<std::string, Shape> shapes = resolve_input_shapes(*model, model_path, shape_args, true);
  const ModelSummary summary = prepare_model(*model, shapes, model_path);

  // Random input, the same every time; allocated only after prepare accepted the shapes.
  std::mt19937 generator(42);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::map<std::string, std::vector<float>> data;
  std::vector<InputView> views;
  for (const TensorInfo& input : model->inputs()) {
    const Shape& shape = shapes.at(input.name);
    uint64_t count = 1;
    for (int64_t d : shape) count *= uint64_t(d);
    if (count > options.memory_limit_bytes / sizeof(float)) {
      throw CliError("input '" + printable(input.name) + "' of shape " + shape_to_string(shape) +
                     " is over the memory limit (raise --memory-limit)");
    }
    std::vector<float>& values = data[input.name];
    values.resize(count);
    for (float& v : values) v = uniform(generator);
    views.push_back({input.name, shape, values.data()});
  }

  // At least min_warmup runs and warmup_ms milliseconds: a process that has just started runs its first tens of
  // milliseconds slower on these machines (clock and scheduler ramp-up), which a fixed count of runs of a small
  // model does not cover.
  int64_t warmup = 0;
  const auto warmup_start = std::chrono::steady_clock::now();
  while (warmup < min_warmup ||
         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - warmup_start).count() <
             double(warmup_ms)) {
    value_or_throw(model->run(views), model_path);
    ++warmup;
  }
  std::vector<double> times_ms;
  for (int64_t i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    value_or_throw(model->run(views), model_path);
    times_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  const double median_ms = median(times_ms);
  const double min_ms = *std::min_element(times_ms.begin(), times_ms.end());
  const double max_ms = *std::max_element(times_ms.begin(), times_ms.end());
  const double mean_ms = std::accumulate(times_ms.begin(), times_ms.end(), 0.0) / double(times_ms.size());
  const double gflops_per_s = median_ms > 0 ? summary.flops / (median_ms * 1e-3) / 1e9 : 0;
  const double rss_mb = peak_rss_mb();
  const std::string shape_text = shapes_to_string(shapes, *model);

  std::ostringstream out;
  if (args.has("json")) {
    std::vector<std::string> input_shapes, times;
    for (const auto& [name, shape] : shapes) input_shapes.push_back(json_string(name) + ":" + json_shape(shape));
    for (double t : times_ms) times.push_back(json_number(t));
    const std::vector<std::string> fields = {
        "\"model\":" + json_string(model_path),
        "\"shape\":" + json_string(shape_text),
        "\"input_shapes\":{" + join(input_shapes, ",") + "}",
        "\"threads\":" + std::to_string(options.threads),
        "\"runs\":" + std::to_string(runs),
        "\"warmup\":" + std::to_string(warmup),
        "\"flops\":" + json_number(summary.flops),
        "\"median_ms\":" + json_number(median_ms),
        "\"min_ms\":" + json_number(min_ms),
        "\"max_ms\":" + json_number(max_ms),
        "\"mean_ms\":" + json_number(mean_ms),
        "\"gflops\":" + json_number(gflops_per_s),
        "\"peak_rss_mb\":" + json_number(rss_mb),
        "\"times_ms\":[" + join(times, ",") + "]",
    };
    out << "{" << join(fields, ",") << "}\n";
  } else {
    out << "model: " << model_path << "\n";
    out << "shape: " << shape_text << "\n";
    out << "threads: " << options.threads << "\n";
    out << "runs: " << runs << " (after " << warmup << (warmup == 1 ? " warm-up run)\n" : " warm-up runs)\n");
    out << "median: " << fixed(median_ms, 3) << " ms\n";
    out << "min: " << fixed(min_ms, 3) << " ms\n";
    out << "throughput: " << fixed(gflops_per_s, 2) << " GFLOP/s (" << gigaflops(summary.flops) << "FLOP per run)\n";
    out << "peak memory: " << fixed(rss_mb, 1) << " MB (peak RSS)\n";
  }
  std::cout << out.str();
  return 0;
}

}  // namespace cairn::cli
