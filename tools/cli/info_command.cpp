// cairn info: what a model is and what it costs at an input shape.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "cairn/segmentation.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "model_setup.hpp"

namespace cairn::cli {
namespace {

struct ModelInfo {
  std::string path;
  // The cairn.* description (docs/model-metadata.md): absent when the model has no cairn.schema key, an error
  // message when it has one but the description is wrong.
  std::optional<SegmentationSpec> segmentation;
  std::string segmentation_error;
  uint64_t file_size = 0;
  std::map<std::string, Shape> shapes;  // the shapes prepared for; empty when some input's shape is unknown
  std::optional<ModelSummary> summary;
};

// Operators, most frequent first (then by name).
std::vector<std::pair<std::string, int>> by_count(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  return sorted;
}

int total(const std::map<std::string, int>& counts) {
  int n = 0;
  for (const auto& [name, count] : counts) n += count;
  return n;
}

void print_tensors(std::ostream& out, const std::vector<TensorInfo>& tensors) {
  for (const TensorInfo& t : tensors) {
    out << "  " << printable(t.name) << ": " << printable(t.type) << " " << printable(t.declared_shape()) << "\n";
  }
}

std::string color_text(const std::array<uint8_t, 3>& c) {
  return "rgb(" + std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]) + ")";
}

void print_segmentation(std::ostream& out, const SegmentationSpec& s) {
  out << "segmentation: " << printable(s.name) << " " << printable(s.version) << "\n";
  if (!s.description.empty()) out << "  description: " << printable(s.description) << "\n";
  out << "  input: " << printable(s.modality) << " HU clipped to [" << s.hu_min << ", " << s.hu_max << "], x = (HU - ("
      << s.center << ")) / " << s.scale << ", " << s.input_height << "x" << s.input_width << " by "
      << printable(s.resample) << " resampling\n";
  out << "  output: " << (s.activation == "sigmoid" ? "logit, sigmoid applied" : "probability") << ", resampled "
      << printable(s.output_resample) << ", foreground where > " << s.threshold << "\n";
  out << "  post-processing: " << (s.keep_components ? std::to_string(s.keep_components) + " largest" : "all")
      << " 3-D components, " << (s.fill_holes ? "holes filled per slice" : "holes kept") << ", "
      << (s.split_left_right ? "split left/right" : "not split") << "\n";
  out << "  labels:\n";
  for (const SegmentationLabel& l : s.labels) {
    out << "    " << l.value << ": " << printable(l.name);
    if (!l.snomed_code.empty()) out << " (SCT " << printable(l.snomed_code) << " \"" << printable(l.snomed_meaning) << "\")";
    out << " " << color_text(l.color) << (&l == s.union_label() && s.split_left_right ? ", the unsplit union" : "")
        << "\n";
  }
}

void print_text(std::ostream& out, const Model& model, const ModelInfo& info) {
  out << "file: " << info.path << "\n";
  out << "size: " << with_thousands(int64_t(info.file_size)) << " bytes (" << human_bytes(info.file_size) << ")\n";
  out << "ir_version: " << model.ir_version() << "\n";
  out << "opset: " << model.opset() << "\n";
  out << "producer: " << printable(model.producer()) << "\n";
  out << "inputs:\n";
  print_tensors(out, model.inputs());
  out << "outputs:\n";
  print_tensors(out, model.outputs());
  out << "operators: " << total(model.operator_counts()) << "\n";
  for (const auto& [op, count] : by_count(model.operator_counts())) out << "  " << printable(op) << ": " << count << "\n";
  out << "parameters: " << with_thousands(model.parameter_count()) << "\n";
  if (info.summary) {
    const ModelSummary& s = *info.summary;
    out << "at input shape: " << shapes_to_string(info.shapes, model) << "\n";
    out << "output shapes:\n";
    for (const auto& [name, shape] : s.output_shapes)
      out << "  " << printable(name) << ": " << shape_to_string(shape) << "\n";
    out << "kernels after load-time passes: " << total(s.planned_kernel_counts) << "\n";
    out << "flops: " << gigaflops(s.flops);
    if (s.flops >= 0 && s.flops < 9e18) out << " (" << with_thousands(int64_t(s.flops)) << ")";
    out << "\n";
    out << "memory: weights " << human_bytes(s.weight_bytes) << ", activations " << human_bytes(s.activation_bytes)
        << ", scratch " << human_bytes(s.scratch_bytes) << ", total "
        << human_bytes(s.weight_bytes + s.activation_bytes + s.scratch_bytes) << "\n";
  } else {
    std::vector<std::string> unknown;
    for (const TensorInfo& input : model.inputs()) {
      if (!info.shapes.count(input.name)) unknown.push_back("'" + printable(input.name) + "'");
    }
    out << "(no fixed shape for input " << join(unknown, ", ")
        << ": give --shape to see output shapes, FLOPs and memory)\n";
  }
  out << "metadata:" << (model.metadata().empty() ? " (none)" : "") << "\n";
  for (const auto& [key, value] : model.metadata()) out << "  " << printable(key) << ": " << printable(value) << "\n";
  if (info.segmentation) {
    print_segmentation(out, *info.segmentation);
  } else if (!info.segmentation_error.empty()) {
    out << "segmentation: invalid description: " << printable(info.segmentation_error) << "\n";
  }
}

std::string json_tensors(const std::vector<TensorInfo>& tensors) {
  std::vector<std::string> items;
  for (const TensorInfo& t : tensors) {
    std::vector<std::string> dims;
    for (size_t i = 0; i < t.dims.size(); ++i) {
      if (t.dims[i] > 0) {
        dims.push_back(std::to_string(t.dims[i]));
      } else {
        dims.push_back(i < t.dim_names.size() && !t.dim_names[i].empty() ? json_string(t.dim_names[i]) : "null");
      }
    }
    items.push_back("{\"name\":" + json_string(t.name) + ",\"type\":" + json_string(t.type) +
                    ",\"shape\":" + json_string(t.declared_shape()) +
                    ",\"dims\":" + (t.has_shape ? "[" + join(dims, ",") + "]" : "null") + "}");
  }
  return "[" + join(items, ",") + "]";
}

std::string json_counts(const std::map<std::string, int>& counts) {
  std::vector<std::string> items;
  for (const auto& [name, count] : counts) items.push_back(json_string(name) + ":" + std::to_string(count));
  return "{" + join(items, ",") + "}";
}

std::string json_segmentation(const SegmentationSpec& s) {
  std::vector<std::string> labels;
  for (const SegmentationLabel& l : s.labels) {
    labels.push_back("{\"value\":" + std::to_string(l.value) + ",\"name\":" + json_string(l.name) +
                     ",\"snomed\":" + json_string(l.snomed_code) + ",\"meaning\":" + json_string(l.snomed_meaning) +
                     ",\"color\":[" + std::to_string(l.color[0]) + "," + std::to_string(l.color[1]) + "," +
                     std::to_string(l.color[2]) + "]}");
  }
  return "{\"name\":" + json_string(s.name) + ",\"version\":" + json_string(s.version) +
         ",\"description\":" + json_string(s.description) + ",\"modality\":" + json_string(s.modality) +
         ",\"hu_clip\":[" + json_number(s.hu_min) + "," + json_number(s.hu_max) + "],\"center\":" +
         json_number(s.center) + ",\"scale\":" + json_number(s.scale) + ",\"input_size\":[" +
         std::to_string(s.input_height) + "," + std::to_string(s.input_width) + "],\"resample\":" +
         json_string(s.resample) + ",\"activation\":" + json_string(s.activation) +
         ",\"threshold\":" + json_number(s.threshold) + ",\"output_resample\":" + json_string(s.output_resample) +
         ",\"components\":" + std::to_string(s.keep_components) +
         ",\"fill_holes\":" + (s.fill_holes ? "true" : "false") +
         ",\"split_left_right\":" + (s.split_left_right ? "true" : "false") +
         ",\"union_label\":" + std::to_string(s.union_label()->value) + ",\"labels\":[" + join(labels, ",") + "]}";
}

void print_json(std::ostream& out, const Model& model, const ModelInfo& info) {
  std::vector<std::string> fields = {
      "\"file\":" + json_string(info.path),
      "\"size_bytes\":" + std::to_string(info.file_size),
      "\"ir_version\":" + std::to_string(model.ir_version()),
      "\"opset\":" + std::to_string(model.opset()),
      "\"producer\":" + json_string(model.producer()),
      "\"inputs\":" + json_tensors(model.inputs()),
      "\"outputs\":" + json_tensors(model.outputs()),
  };
  std::vector<std::string> metadata;
  for (const auto& [key, value] : model.metadata()) metadata.push_back(json_string(key) + ":" + json_string(value));
  fields.push_back("\"metadata\":{" + join(metadata, ",") + "}");
  if (info.segmentation) {
    fields.push_back("\"segmentation\":" + json_segmentation(*info.segmentation));
  } else if (!info.segmentation_error.empty()) {
    fields.push_back("\"segmentation\":{\"error\":" + json_string(info.segmentation_error) + "}");
  }
  fields.push_back("\"operator_counts\":" + json_counts(model.operator_counts()));
  fields.push_back("\"parameter_count\":" + std::to_string(model.parameter_count()));
  if (info.summary) {
    const ModelSummary& s = *info.summary;
    std::vector<std::string> inputs, outputs;
    for (const auto& [name, shape] : info.shapes) inputs.push_back(json_string(name) + ":" + json_shape(shape));
    for (const auto& [name, shape] : s.output_shapes) outputs.push_back(json_string(name) + ":" + json_shape(shape));
    fields.push_back("\"input_shapes\":{" + join(inputs, ",") + "}");
    fields.push_back("\"output_shapes\":{" + join(outputs, ",") + "}");
    fields.push_back("\"planned_kernel_counts\":" + json_counts(s.planned_kernel_counts));
    fields.push_back("\"flops\":" + json_number(s.flops));
    fields.push_back("\"gflops\":" + json_number(s.flops / 1e9));
    fields.push_back("\"weight_bytes\":" + std::to_string(s.weight_bytes));
    fields.push_back("\"activation_bytes\":" + std::to_string(s.activation_bytes));
    fields.push_back("\"scratch_bytes\":" + std::to_string(s.scratch_bytes));
  } else {
    fields.push_back("\"input_shapes\":null");
  }
  out << "{" << join(fields, ",") << "}\n";
}

}  // namespace

int info_command(const std::vector<std::string>& tokens) {
  const Args args(
      "info", tokens,
      {{"shape", true, true}, {"json", false, false}, {"threads", true, false}, {"memory-limit", true, false}});
  if (args.positional().empty()) throw UsageError("missing MODEL.onnx");
  if (args.positional().size() > 1) throw UsageError("unexpected argument '" + args.positional()[1] + "'");
  const std::vector<ShapeArg> shape_args = parse_shape_args(args.values("shape"));
  const EngineOptions options = engine_options(args, false);

  ModelInfo info;
  info.path = args.positional()[0];
  auto model = load_model(info.path, options);
  std::error_code ec;
  info.file_size = std::filesystem::file_size(info.path, ec);
  const bool described = std::any_of(model->metadata().begin(), model->metadata().end(),
                                     [](const auto& kv) { return kv.first.rfind("cairn.", 0) == 0; });
  if (described) {
    auto spec = read_segmentation_spec(*model);
    if (spec.is_ok()) {
      info.segmentation = std::move(spec).value();
    } else {
      info.segmentation_error = spec.status().message();
    }
  }
  info.shapes = resolve_input_shapes(*model, info.path, shape_args, false);
  if (info.shapes.size() == model->inputs().size()) info.summary = prepare_model(*model, info.shapes, info.path);

  std::ostringstream out;
  if (args.has("json")) {
    print_json(out, *model, info);
  } else {
    print_text(out, *model, info);
  }
  std::cout << out.str();
  return 0;
}

}  // namespace cairn::cli
