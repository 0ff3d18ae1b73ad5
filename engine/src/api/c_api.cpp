// The C ABI (cairn/cairn.h) over cairn::Model: errors become a status code and a per-thread message.
#include "cairn/cairn.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cairn/engine.hpp"
#include "ops/kernel.hpp"

static_assert(sizeof(cairn_options) == 16, "cairn_options has one layout on every target");
static_assert(CAIRN_OK == int(cairn::StatusCode::kOk) && CAIRN_INVALID_MODEL == int(cairn::StatusCode::kInvalidModel) &&
                  CAIRN_UNSUPPORTED == int(cairn::StatusCode::kUnsupported) &&
                  CAIRN_INVALID_ARGUMENT == int(cairn::StatusCode::kInvalidArgument) &&
                  CAIRN_RESOURCE_LIMIT == int(cairn::StatusCode::kResourceLimit) &&
                  CAIRN_CANCELLED == int(cairn::StatusCode::kCancelled) &&
                  CAIRN_IO_ERROR == int(cairn::StatusCode::kIoError),
              "cairn_status mirrors cairn::StatusCode");

struct cairn_model {
  std::unique_ptr<cairn::Model> model;
  bool prepared = false;
  std::vector<cairn::Shape> input_shapes;   // prepared, in input order
  std::vector<cairn::Shape> output_shapes;  // prepared, in output order
  double flops = 0;
};

namespace {

#if defined(__wasi__)
std::string last_error;  // WASI has no threads (nor the __cxa_thread_atexit a thread_local string needs)
#else
thread_local std::string last_error;
#endif

cairn_status succeed() {
  last_error.clear();
  return CAIRN_OK;
}

cairn_status fail(const cairn::Status& status) {
  last_error = status.message();
  return cairn_status(status.code());
}

cairn_status fail_argument(const std::string& message) { return fail(cairn::invalid_argument(message)); }

int32_t write_shape(const cairn::Shape& shape, int64_t* dims, int32_t capacity) {
  for (size_t i = 0; i < shape.size() && int32_t(i) < capacity; ++i) dims[i] = shape[i];
  return int32_t(shape.size());
}

int32_t write_declared_shape(const std::vector<cairn::TensorInfo>& infos, int32_t index, int64_t* dims,
                             int32_t capacity) {
  if (index < 0 || size_t(index) >= infos.size() || !infos[size_t(index)].has_shape) return -1;
  return write_shape(infos[size_t(index)].dims, dims, capacity);
}

const char* name_at(const std::vector<cairn::TensorInfo>& infos, int32_t index) {
  if (index < 0 || size_t(index) >= infos.size()) return nullptr;
  return infos[size_t(index)].name.c_str();
}

// Carries the caller's progress function and cancel flag into the engine's RunOptions.
struct RunBridge {
  cairn_progress_fn progress = nullptr;
  void* user_data = nullptr;
  const int32_t* cancel_flag = nullptr;
  std::atomic<bool> cancel{false};

  void poll_flag() {
    if (cancel_flag != nullptr && __atomic_load_n(cancel_flag, __ATOMIC_RELAXED) != 0) {
      cancel.store(true, std::memory_order_relaxed);
    }
  }
  void on_progress(double fraction) {
    if (progress != nullptr && progress(fraction, user_data) != 0) cancel.store(true, std::memory_order_relaxed);
    poll_flag();
  }
};

}  // namespace

extern "C" {

const char* cairn_last_error(void) { return last_error.c_str(); }

const char* cairn_operators(void) {
  static const std::string names = [] {
    std::vector<std::string> sorted = cairn::KernelRegistry::global().names();
    std::sort(sorted.begin(), sorted.end());
    std::string joined;
    for (const std::string& name : sorted) joined += (joined.empty() ? "" : ",") + name;
    return joined;
  }();
  return names.c_str();
}

void cairn_options_init(cairn_options* options) {
  if (options == nullptr) return;
  const cairn::EngineOptions defaults;
  options->threads = defaults.threads;
  options->reserved = 0;
  options->memory_limit_bytes = defaults.memory_limit_bytes;
}

cairn_status cairn_model_create(const void* bytes, size_t size, const cairn_options* options, cairn_model** model) {
  if (model == nullptr) return fail_argument("cairn_model_create: the model pointer is NULL");
  *model = nullptr;
  if (bytes == nullptr && size != 0) return fail_argument("cairn_model_create: the model bytes are NULL");
  cairn::EngineOptions engine_options;
  if (options != nullptr) {
    if (options->reserved != 0) return fail_argument("cairn_model_create: cairn_options.reserved must be 0");
    engine_options.threads = options->threads;
    engine_options.memory_limit_bytes = options->memory_limit_bytes;
  }
  auto loaded = cairn::Model::load_bytes(std::span(static_cast<const uint8_t*>(bytes), size), engine_options);
  if (!loaded.is_ok()) return fail(loaded.status());
  auto created = std::make_unique<cairn_model>();
  created->model = std::move(loaded).value();
  *model = created.release();
  return succeed();
}

void cairn_model_free(cairn_model* model) { delete model; }

int32_t cairn_model_input_count(const cairn_model* model) {
  return model == nullptr ? 0 : int32_t(model->model->inputs().size());
}

int32_t cairn_model_output_count(const cairn_model* model) {
  return model == nullptr ? 0 : int32_t(model->model->outputs().size());
}

const char* cairn_model_input_name(const cairn_model* model, int32_t index) {
  return model == nullptr ? nullptr : name_at(model->model->inputs(), index);
}

const char* cairn_model_output_name(const cairn_model* model, int32_t index) {
  return model == nullptr ? nullptr : name_at(model->model->outputs(), index);
}

int32_t cairn_model_input_shape(const cairn_model* model, int32_t index, int64_t* dims, int32_t capacity) {
  return model == nullptr ? -1 : write_declared_shape(model->model->inputs(), index, dims, capacity);
}

int32_t cairn_model_output_shape(const cairn_model* model, int32_t index, int64_t* dims, int32_t capacity) {
  return model == nullptr ? -1 : write_declared_shape(model->model->outputs(), index, dims, capacity);
}

cairn_status cairn_model_prepare(cairn_model* model, const int32_t* ranks, const int64_t* dims) {
  if (model == nullptr) return fail_argument("cairn_model_prepare: the model is NULL");
  const auto& inputs = model->model->inputs();
  if (!inputs.empty() && ranks == nullptr) return fail_argument("cairn_model_prepare: the input ranks are NULL");
  model->prepared = false;
  std::map<std::string, cairn::Shape> shapes;
  size_t next = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (ranks[i] < 0) continue;
    if (ranks[i] > 0 && dims == nullptr) return fail_argument("cairn_model_prepare: the input dimensions are NULL");
    shapes[inputs[i].name] = cairn::Shape(dims + next, dims + next + ranks[i]);
    next += size_t(ranks[i]);
  }
  auto summary = model->model->prepare(shapes);
  if (!summary.is_ok()) return fail(summary.status());
  model->input_shapes.clear();
  for (const cairn::TensorInfo& in : inputs) model->input_shapes.push_back(summary->input_shapes.at(in.name));
  model->output_shapes.clear();
  for (const auto& [name, shape] : summary->output_shapes) model->output_shapes.push_back(shape);
  model->flops = summary->flops;
  model->prepared = true;
  return succeed();
}

int32_t cairn_model_prepared_output_shape(const cairn_model* model, int32_t index, int64_t* dims, int32_t capacity) {
  if (model == nullptr || !model->prepared || index < 0 || size_t(index) >= model->output_shapes.size()) return -1;
  return write_shape(model->output_shapes[size_t(index)], dims, capacity);
}

double cairn_model_prepared_flops(const cairn_model* model) {
  return model != nullptr && model->prepared ? model->flops : 0.0;
}

cairn_status cairn_model_run(cairn_model* model, const float* const* inputs, float* const* outputs,
                             cairn_progress_fn progress, void* user_data, const int32_t* cancel_flag) {
  if (model == nullptr) return fail_argument("cairn_model_run: the model is NULL");
  if (!model->prepared) return fail_argument("cairn_model_run: the model is not prepared (call cairn_model_prepare)");
  const auto& infos = model->model->inputs();
  if (!infos.empty() && inputs == nullptr) return fail_argument("cairn_model_run: the inputs are NULL");
  std::vector<cairn::InputView> views;
  for (size_t i = 0; i < infos.size(); ++i) {
    if (inputs[i] == nullptr) return fail_argument("cairn_model_run: input '" + infos[i].name + "' is NULL");
    views.push_back({infos[i].name, model->input_shapes[i], inputs[i]});
  }
  RunBridge bridge;
  bridge.progress = progress;
  bridge.user_data = user_data;
  bridge.cancel_flag = cancel_flag;
  bridge.poll_flag();
  if (bridge.cancel.load()) return fail(cairn::Status::error(cairn::StatusCode::kCancelled, "the run was cancelled"));
  cairn::RunOptions options;
  options.cancel = &bridge.cancel;
  if (progress != nullptr || cancel_flag != nullptr) options.on_progress = [&bridge](double f) { bridge.on_progress(f); };
  auto results = model->model->run(views, options);
  if (!results.is_ok()) return fail(results.status());
  for (size_t i = 0; i < results->size() && outputs != nullptr; ++i) {
    const cairn::Tensor& t = (*results)[i];
    if (outputs[i] != nullptr) std::copy(t.data.begin(), t.data.end(), outputs[i]);
  }
  return succeed();
}

void* cairn_malloc(size_t size) { return std::malloc(size); }
void cairn_free(void* pointer) { std::free(pointer); }

#if defined(__wasm__)
__attribute__((import_module("cairn"), import_name("progress"))) int32_t cairn_import_progress(double fraction,
                                                                                               void* user_data);
static int32_t host_progress(double fraction, void* user_data) { return cairn_import_progress(fraction, user_data); }
cairn_progress_fn cairn_host_progress(void) { return &host_progress; }
#endif

}  // extern "C"

// ---- Segmentation described by the model (cairn/segmentation.hpp).

#include "cairn/segmentation.hpp"
#include "segmentation/postprocess.hpp"
#include "util/json.hpp"

struct cairn_segmenter {
  std::unique_ptr<cairn::Segmenter> segmenter;
  std::string spec_json;
};

namespace {

#if defined(__wasi__)
std::string metadata_json;
#else
thread_local std::string metadata_json;
#endif

std::string spec_to_json(const cairn::SegmentationSpec& spec) {
  using cairn::json::format_float;
  using cairn::json::quote;
  std::string labels;
  for (const cairn::SegmentationLabel& l : spec.labels) {
    labels += std::string(labels.empty() ? "" : ",") + "{\"value\":" + std::to_string(l.value) +
              ",\"name\":" + quote(l.name) + ",\"snomed\":" + quote(l.snomed_code) +
              ",\"meaning\":" + quote(l.snomed_meaning) + ",\"color\":[" + std::to_string(l.color[0]) + "," +
              std::to_string(l.color[1]) + "," + std::to_string(l.color[2]) + "]}";
  }
  const auto boolean = [](bool b) { return std::string(b ? "true" : "false"); };
  return "{\"name\":" + quote(spec.name) + ",\"version\":" + quote(spec.version) +
         ",\"description\":" + quote(spec.description) + ",\"modality\":" + quote(spec.modality) +
         ",\"hu_clip\":[" + format_float(spec.hu_min) + "," + format_float(spec.hu_max) +
         "],\"center\":" + format_float(spec.center) + ",\"scale\":" + format_float(spec.scale) +
         ",\"input_size\":[" + std::to_string(spec.input_height) + "," + std::to_string(spec.input_width) +
         "],\"resample\":" + quote(spec.resample) + ",\"activation\":" + quote(spec.activation) +
         ",\"threshold\":" + format_float(spec.threshold) + ",\"output_resample\":" + quote(spec.output_resample) +
         ",\"components\":" + std::to_string(spec.keep_components) + ",\"fill_holes\":" + boolean(spec.fill_holes) +
         ",\"split_left_right\":" + boolean(spec.split_left_right) +
         ",\"union_label\":" + std::to_string(spec.union_label()->value) + ",\"labels\":[" + labels + "]}";
}

cairn::ColumnDirection column_direction(const double* row_direction) {
  return row_direction == nullptr ? cairn::ColumnDirection::kStandard
                                  : cairn::column_direction_from_orientation(row_direction);
}

}  // namespace

extern "C" {

const char* cairn_model_metadata_json(const cairn_model* model) {
  if (model == nullptr) return nullptr;
  metadata_json = "{";
  for (const auto& [key, value] : model->model->metadata()) {
    if (metadata_json.size() > 1) metadata_json += ",";
    metadata_json += cairn::json::quote(key) + ":" + cairn::json::quote(value);
  }
  metadata_json += "}";
  return metadata_json.c_str();
}

cairn_status cairn_segmenter_create(cairn_model* model, cairn_segmenter** segmenter) {
  if (segmenter == nullptr) return fail_argument("cairn_segmenter_create: the segmenter pointer is NULL");
  *segmenter = nullptr;
  if (model == nullptr) return fail_argument("cairn_segmenter_create: the model is NULL");
  model->prepared = false;  // the segmenter prepares the model for its own input size
  auto created = cairn::Segmenter::create(*model->model);
  if (!created.is_ok()) return fail(created.status());
  auto out = std::make_unique<cairn_segmenter>();
  out->segmenter = std::move(created).value();
  out->spec_json = spec_to_json(out->segmenter->spec());
  *segmenter = out.release();
  return succeed();
}

void cairn_segmenter_free(cairn_segmenter* segmenter) { delete segmenter; }

const char* cairn_segmenter_spec_json(const cairn_segmenter* segmenter) {
  return segmenter == nullptr ? nullptr : segmenter->spec_json.c_str();
}

cairn_status cairn_segment_slice(cairn_segmenter* segmenter, const float* hu, int32_t rows, int32_t cols,
                                 cairn_progress_fn progress, void* user_data, const int32_t* cancel_flag,
                                 uint8_t* mask_out, float* probability_out) {
  if (segmenter == nullptr) return fail_argument("cairn_segment_slice: the segmenter is NULL");
  if (hu == nullptr) return fail_argument("cairn_segment_slice: the HU values are NULL");
  if (mask_out == nullptr) return fail_argument("cairn_segment_slice: the mask buffer is NULL");
  RunBridge bridge;
  bridge.progress = progress;
  bridge.user_data = user_data;
  bridge.cancel_flag = cancel_flag;
  bridge.poll_flag();
  if (bridge.cancel.load()) return fail(cairn::Status::error(cairn::StatusCode::kCancelled, "the run was cancelled"));
  cairn::RunOptions options;
  options.cancel = &bridge.cancel;
  if (progress != nullptr || cancel_flag != nullptr) options.on_progress = [&bridge](double f) { bridge.on_progress(f); };
  std::vector<float> probability;
  auto mask = segmenter->segmenter->segment_slice(hu, rows, cols, options,
                                                  probability_out != nullptr ? &probability : nullptr);
  if (!mask.is_ok()) return fail(mask.status());
  std::copy(mask->begin(), mask->end(), mask_out);
  if (probability_out != nullptr) std::copy(probability.begin(), probability.end(), probability_out);
  return succeed();
}

cairn_status cairn_postprocess_volume(const cairn_segmenter* segmenter, uint8_t* mask, int32_t slices, int32_t rows,
                                      int32_t cols, const double* row_direction) {
  if (segmenter == nullptr) return fail_argument("cairn_postprocess_volume: the segmenter is NULL");
  const cairn::Status status = cairn::segmentation::postprocess(segmenter->segmenter->spec(), mask,
                                                                {slices, rows, cols}, column_direction(row_direction));
  return status.is_ok() ? succeed() : fail(status);
}

cairn_status cairn_postprocess_slice(const cairn_segmenter* segmenter, uint8_t* mask, int32_t rows, int32_t cols,
                                     const double* row_direction) {
  if (segmenter == nullptr) return fail_argument("cairn_postprocess_slice: the segmenter is NULL");
  const cairn::Status status = cairn::segmentation::postprocess(segmenter->segmenter->spec(), mask, {1, rows, cols},
                                                                column_direction(row_direction));
  return status.is_ok() ? succeed() : fail(status);
}

}  // extern "C"
