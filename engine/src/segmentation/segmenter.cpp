// Segmenter: slice in HU -> network input -> probability -> mask, as training/dataset.py's predict_volume.
#include <algorithm>
#include <cmath>

#include "cairn/segmentation.hpp"
#include "segmentation/resample.hpp"

namespace cairn {

Segmenter::Segmenter(Model& model, SegmentationSpec spec, std::string input_name)
    : model_(model), spec_(std::move(spec)), input_name_(std::move(input_name)) {}

Result<std::unique_ptr<Segmenter>> Segmenter::create(Model& model) {
  CAIRN_ASSIGN_OR_RETURN(SegmentationSpec spec, read_segmentation_spec(model));
  if (model.inputs().size() != 1) {
    return invalid_model("a segmentation model has one input (1x1xHxW), this one has " +
                         std::to_string(model.inputs().size()));
  }
  if (model.outputs().empty()) return invalid_model("the segmentation model has no output");
  const TensorInfo& input = model.inputs()[0];
  const Shape shape = {1, 1, spec.input_height, spec.input_width};
  if (input.has_shape) {
    bool fits = input.dims.size() == 4;
    for (size_t i = 0; fits && i < 4; ++i) fits = input.dims[i] < 0 || input.dims[i] == shape[i];
    if (!fits) {
      return invalid_model("input '" + input.name + "' is declared " + input.declared_shape() +
                           ", but metadata cairn.input.size says " + shape_to_string(shape));
    }
  }
  CAIRN_ASSIGN_OR_RETURN(ModelSummary summary, model.prepare({{input.name, shape}}));
  const Shape& output = summary.output_shapes.at(0).second;
  if (output != shape) {
    return invalid_model("output '" + summary.output_shapes[0].first + "' is " + shape_to_string(output) +
                         " for input " + shape_to_string(shape) + "; segmentation needs one channel at input size");
  }
  return std::unique_ptr<Segmenter>(new Segmenter(model, std::move(spec), input.name));
}

Result<std::vector<uint8_t>> Segmenter::segment_slice(const float* hu, int rows, int cols, const RunOptions& options,
                                                      std::vector<float>* probability) {
  if (rows <= 0 || cols <= 0) {
    return invalid_argument("the slice is " + std::to_string(rows) + "x" + std::to_string(cols) +
                            "; both sizes must be positive");
  }
  if (rows > kMaxSegmentationSide || cols > kMaxSegmentationSide) {
    return resource_limit("the slice is " + std::to_string(rows) + "x" + std::to_string(cols) + "; sides above " +
                          std::to_string(kMaxSegmentationSide) + " are refused");
  }
  if (hu == nullptr) return invalid_argument("the slice's HU values are null");
  const int h = spec_.input_height, w = spec_.input_width;
  input_.resize(size_t(h) * size_t(w));
  segmentation::resample_area(hu, rows, cols, input_.data(), h, w);
  for (float& v : input_) {
    // NaN (a corrupt pixel) reads as the clip's low end, like air, rather than spreading through the network.
    const float clipped = std::isnan(v) ? spec_.hu_min : std::clamp(v, spec_.hu_min, spec_.hu_max);
    v = (clipped - spec_.center) / spec_.scale;
  }
  const InputView view{input_name_, {1, 1, h, w}, input_.data()};
  CAIRN_ASSIGN_OR_RETURN(std::vector<Tensor> outputs, model_.run(std::span(&view, 1), options));
  std::vector<float>& model_probability = outputs[0].data;
  if (spec_.activation == "sigmoid") {
    for (float& v : model_probability) v = 1.0f / (1.0f + std::exp(-v));
  }
  std::vector<float> local;
  std::vector<float>& slice_probability = probability != nullptr ? *probability : local;
  slice_probability.resize(size_t(rows) * size_t(cols));
  segmentation::resample_bilinear(model_probability.data(), h, w, slice_probability.data(), rows, cols);
  std::vector<uint8_t> mask(slice_probability.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = slice_probability[i] > spec_.threshold ? 1 : 0;
  return mask;
}

}  // namespace cairn
