// A shipped model against its test vector (models/<id>/test_vector/, written by training/export_onnx.py): the
// engine's Segmenter on a real CT slice must give PyTorch's mask on at least min_mask_agreement of the pixels and
// its probability within probability_tolerance (derived in vector.json). A missing model or vector is a failure,
// not a skip: the model is part of the repository.
//
// Usage: cairn_model_vector_test MODEL_DIR
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cairn/segmentation.hpp"
#include "io/npy.hpp"
#include "segmentation/resample.hpp"
#include "util/json.hpp"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "FAIL: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cairn;
  if (argc != 2) return fail("usage: cairn_model_vector_test MODEL_DIR");
  const std::filesystem::path dir = argv[1];
  const std::filesystem::path model_path = dir / "model.onnx", vector_dir = dir / "test_vector";
  if (!std::filesystem::exists(model_path)) {
    return fail(model_path.string() + " is missing: export it with training/export_onnx.py (the model is committed "
                                      "with the repository; this test does not skip)");
  }
  std::ifstream vector_file(vector_dir / "vector.json");
  if (!vector_file) return fail((vector_dir / "vector.json").string() + " is missing (training/export_onnx.py)");
  std::stringstream text;
  text << vector_file.rdbuf();
  auto vector = json::parse(text.str());
  if (!vector.is_ok()) return fail("vector.json: " + vector.status().message());
  const auto number = [&](const char* key) {
    const json::Value* v = vector->find(key);
    return v != nullptr && v->is(json::Value::Kind::kNumber) ? v->number : std::nan("");
  };
  const double tolerance = number("probability_tolerance"), min_agreement = number("min_mask_agreement");
  const int rows = int(number("rows")), cols = int(number("cols"));
  if (!(tolerance > 0) || !(min_agreement > 0) || rows <= 0 || cols <= 0) {
    return fail("vector.json lacks rows, cols, probability_tolerance or min_mask_agreement");
  }

  auto hu = npy::read_file((vector_dir / "hu.npy").string(), int64_t{1} << 26);
  auto expected_mask = npy::read_file((vector_dir / "mask.npy").string(), int64_t{1} << 26);
  auto model_probability = npy::read_file((vector_dir / "model_probability.npy").string(), int64_t{1} << 26);
  for (const auto* array : {&hu, &expected_mask, &model_probability}) {
    if (!array->is_ok()) return fail(array->status().message());
  }
  if (hu->data.size() != size_t(rows) * size_t(cols) || expected_mask->data.size() != hu->data.size()) {
    return fail("hu.npy and mask.npy must be " + std::to_string(rows) + "x" + std::to_string(cols));
  }

  auto model = Model::load_file(model_path.string());
  if (!model.is_ok()) return fail(model.status().message());
  auto segmenter = Segmenter::create(**model);
  if (!segmenter.is_ok()) return fail(segmenter.status().message());
  const SegmentationSpec& spec = (*segmenter)->spec();
  if (model_probability->shape != Shape{spec.input_height, spec.input_width}) {
    return fail("model_probability.npy is " + shape_to_string(model_probability->shape) + ", the model's input " +
                std::to_string(spec.input_height) + "x" + std::to_string(spec.input_width));
  }
  std::vector<float> probability;
  auto mask = (*segmenter)->segment_slice(hu->data.data(), rows, cols, {}, &probability);
  if (!mask.is_ok()) return fail(mask.status().message());

  // PyTorch's probability at slice size: its network output, resampled as the engine resamples (the resampling
  // itself is tested against PyTorch's in engine/tests/segmentation_test.cpp).
  std::vector<float> reference(probability.size());
  segmentation::resample_bilinear(model_probability->data.data(), spec.input_height, spec.input_width,
                                  reference.data(), rows, cols);
  double worst = 0;
  size_t agree = 0, foreground = 0;
  for (size_t i = 0; i < probability.size(); ++i) {
    worst = std::max(worst, double(std::fabs(probability[i] - reference[i])));
    agree += (*mask)[i] == uint8_t(expected_mask->data[i]);
    foreground += (*mask)[i];
  }
  const double agreement = double(agree) / double(probability.size());

  // The one-slice post-processing gives both lungs, the left one on the image's right in standard orientation.
  std::vector<uint8_t> labelled = *mask;
  const json::Value* row_direction = vector->find("row_direction");
  double cosines[3] = {1, 0, 0};
  for (size_t k = 0; row_direction != nullptr && k < 3 && k < row_direction->items.size(); ++k) {
    cosines[k] = row_direction->items[k].number;
  }
  const ColumnDirection columns = column_direction_from_orientation(cosines);
  if (Status s = postprocess_slice(spec, labelled, rows, cols, columns); !s.is_ok()) return fail(s.message());
  double right_col = 0, left_col = 0;
  size_t right = 0, left = 0;
  for (size_t i = 0; i < labelled.size(); ++i) {
    const double col = double(i % size_t(cols));
    if (labelled[i] == kMaskRight) {
      right_col += col;
      ++right;
    } else if (labelled[i] == kMaskLeft) {
      left_col += col;
      ++left;
    }
  }
  const bool sides_ok = right > 0 && left > 0 &&
                        ((left_col / double(left) > right_col / double(right)) == (columns == ColumnDirection::kStandard));

  std::printf("%s %s on %s: mask agreement %.4f %% (%zu of %zu pixels differ; %zu foreground), max |probability "
              "- PyTorch| %.2e (tolerance %.2e); one-slice split: %zu right, %zu left pixels\n",
              spec.name.c_str(), spec.version.c_str(), dir.string().c_str(), 100 * agreement,
              probability.size() - agree, probability.size(), foreground, worst, tolerance, right, left);
  int status = 0;
  if (agreement < min_agreement) status = fail("mask agreement below " + std::to_string(100 * min_agreement) + " %");
  if (!(worst <= tolerance)) status = fail("probability beyond the tolerance");
  if (foreground == 0) status = fail("the engine found no foreground on a slice through the lungs");
  if (!sides_ok) status = fail("the one-slice split does not put the left lung on the patient's left");
  if (status == 0) std::printf("PASS\n");
  return status;
}
