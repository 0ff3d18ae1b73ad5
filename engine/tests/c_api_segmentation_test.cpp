// The segmentation part of the C ABI (cairn/cairn.h) against the C++ API it wraps (cairn/segmentation.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cairn/cairn.h"
#include "cairn/segmentation.hpp"
#include "onnx_builder.hpp"
#include "util/json.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;

constexpr int kSize = 16;

SegmentationSpec small_spec() {
  SegmentationSpec spec;
  spec.name = "Tiny \"lung\" net";
  spec.version = "0.1";
  spec.modality = "CT";
  spec.input_height = spec.input_width = kSize;
  spec.labels = {{1, "Right lung", "3341006", "Right lung", {220, 70, 60}},
                 {2, "Left lung", "44029006", "Left lung", {60, 130, 220}},
                 {255, "Lung", "39607008", "Lung", {230, 60, 60}}};
  return spec;
}

// logit = -4 * x + 0.5 (air and lung high, tissue low), through a 3x3 convolution so that the run has tiles.
std::vector<uint8_t> tiny_model(const std::vector<std::pair<std::string, std::string>>& metadata) {
  GraphSpec g;
  g.inputs.push_back(value_info("ct", {1, 1, kSize, kSize}));
  g.outputs.push_back(value_info("lung", {1, 1, kSize, kSize}));
  std::vector<float> w(9, 0.0f);
  w[4] = -4.0f;
  g.initializers.push_back(float_tensor("w", {1, 1, 3, 3}, w));
  g.initializers.push_back(float_tensor("b", {1}, {0.5f}));
  g.nodes.push_back(node("Conv", {"ct", "w", "b"}, {"lung"},
                         {ints_attr("kernel_shape", {3, 3}), ints_attr("pads", {1, 1, 1, 1})}));
  g.metadata = metadata;
  return build_model(g);
}

// Tissue with two dark (lung) discs.
std::vector<float> phantom(int rows, int cols) {
  std::vector<float> hu(size_t(rows * cols), 40.0f);
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      const auto disc = [&](double cx) { return (y - rows / 2.0) * (y - rows / 2.0) + (x - cx) * (x - cx) < 64; };
      if (disc(cols * 0.3) || disc(cols * 0.7)) hu[size_t(y * cols + x)] = -900.0f + float((x * 7 + y) % 50);
    }
  }
  return hu;
}

struct ModelHandle {
  cairn_model* model = nullptr;
  ~ModelHandle() { cairn_model_free(model); }
};

TEST(CApiSegmentation, ReturnsTheMetadataAsJson) {
  auto metadata = segmentation_metadata(small_spec());
  metadata.emplace_back("other", "a\nb");
  const std::vector<uint8_t> bytes = tiny_model(metadata);
  ModelHandle h;
  ASSERT_EQ(cairn_model_create(bytes.data(), bytes.size(), nullptr, &h.model), CAIRN_OK) << cairn_last_error();
  const char* text = cairn_model_metadata_json(h.model);
  ASSERT_NE(text, nullptr);
  auto parsed = json::parse(text);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message() << ": " << text;
  ASSERT_EQ(parsed->members.size(), metadata.size());
  for (size_t i = 0; i < metadata.size(); ++i) {
    EXPECT_EQ(parsed->members[i].first, metadata[i].first);
    EXPECT_EQ(parsed->members[i].second.string, metadata[i].second);
  }
  EXPECT_EQ(cairn_model_metadata_json(nullptr), nullptr);
}

TEST(CApiSegmentation, SegmentsAndPostprocessesLikeTheCppApi) {
  const std::vector<uint8_t> bytes = tiny_model(segmentation_metadata(small_spec()));
  ModelHandle h;
  ASSERT_EQ(cairn_model_create(bytes.data(), bytes.size(), nullptr, &h.model), CAIRN_OK) << cairn_last_error();
  cairn_segmenter* segmenter = nullptr;
  ASSERT_EQ(cairn_segmenter_create(h.model, &segmenter), CAIRN_OK) << cairn_last_error();

  auto spec_json = json::parse(cairn_segmenter_spec_json(segmenter));
  ASSERT_TRUE(spec_json.is_ok()) << spec_json.status().message();
  EXPECT_EQ(spec_json->find("name")->string, "Tiny \"lung\" net");
  EXPECT_EQ(spec_json->find("input_size")->items[1].number, kSize);
  EXPECT_EQ(spec_json->find("hu_clip")->items[0].number, -1024);
  EXPECT_EQ(spec_json->find("union_label")->number, 255);
  EXPECT_TRUE(spec_json->find("split_left_right")->boolean);
  ASSERT_EQ(spec_json->find("labels")->items.size(), 3u);
  EXPECT_EQ(spec_json->find("labels")->items[1].find("snomed")->string, "44029006");

  // The same model through the C++ API is the reference.
  auto model = Model::load_bytes(bytes);
  ASSERT_TRUE(model.is_ok());
  auto reference = Segmenter::create(**model);
  ASSERT_TRUE(reference.is_ok()) << reference.status().message();

  const int slices = 3, rows = 40, cols = 36;
  const size_t plane = size_t(rows * cols);
  std::vector<uint8_t> volume(slices * plane), expected_volume;
  for (int z = 0; z < slices; ++z) {
    const std::vector<float> hu = phantom(rows, cols);
    std::vector<float> probability(plane, -1.0f);
    ASSERT_EQ(cairn_segment_slice(segmenter, hu.data(), rows, cols, nullptr, nullptr, nullptr,
                                  volume.data() + z * plane, probability.data()),
              CAIRN_OK)
        << cairn_last_error();
    std::vector<float> expected_probability;
    auto expected = (*reference)->segment_slice(hu.data(), rows, cols, {}, &expected_probability);
    ASSERT_TRUE(expected.is_ok());
    EXPECT_EQ(std::vector<uint8_t>(volume.begin() + z * plane, volume.begin() + (z + 1) * plane), *expected);
    EXPECT_EQ(probability, expected_probability);
    expected_volume.insert(expected_volume.end(), expected->begin(), expected->end());
  }
  EXPECT_GT(std::count(volume.begin(), volume.end(), 1), 0);

  // Post-processing: the C call equals the C++ one, in both orientations.
  for (const double row_x : {1.0, -1.0}) {
    const double row_direction[3] = {row_x, 0, 0};
    std::vector<uint8_t> via_c = volume, via_cpp = expected_volume;
    ASSERT_EQ(cairn_postprocess_volume(segmenter, via_c.data(), slices, rows, cols, row_direction), CAIRN_OK)
        << cairn_last_error();
    ASSERT_TRUE(postprocess_volume((*reference)->spec(), via_cpp, slices, rows, cols,
                                   column_direction_from_orientation(row_direction))
                    .is_ok());
    EXPECT_EQ(via_c, via_cpp);
    EXPECT_GT(std::count(via_c.begin(), via_c.end(), kMaskLeft), 0);
    EXPECT_GT(std::count(via_c.begin(), via_c.end(), kMaskRight), 0);
  }
  std::vector<uint8_t> one(volume.begin(), volume.begin() + plane), one_cpp = one;
  ASSERT_EQ(cairn_postprocess_slice(segmenter, one.data(), rows, cols, nullptr), CAIRN_OK) << cairn_last_error();
  ASSERT_TRUE(postprocess_slice((*reference)->spec(), one_cpp, rows, cols).is_ok());
  EXPECT_EQ(one, one_cpp);
  // A left disc at the image's left in standard orientation is the patient's right lung.
  EXPECT_EQ(one[size_t(rows / 2 * cols) + size_t(cols * 0.3)], kMaskRight);
  cairn_segmenter_free(segmenter);
}

int32_t record_progress(double fraction, void* user_data) {
  static_cast<std::vector<double>*>(user_data)->push_back(fraction);
  return 0;
}

TEST(CApiSegmentation, ReportsProgressAndCancels) {
  const std::vector<uint8_t> bytes = tiny_model(segmentation_metadata(small_spec()));
  ModelHandle h;
  ASSERT_EQ(cairn_model_create(bytes.data(), bytes.size(), nullptr, &h.model), CAIRN_OK);
  cairn_segmenter* segmenter = nullptr;
  ASSERT_EQ(cairn_segmenter_create(h.model, &segmenter), CAIRN_OK) << cairn_last_error();
  const std::vector<float> hu = phantom(20, 20);
  std::vector<uint8_t> mask(400);
  std::vector<double> fractions;
  ASSERT_EQ(cairn_segment_slice(segmenter, hu.data(), 20, 20, record_progress, &fractions, nullptr, mask.data(),
                                nullptr),
            CAIRN_OK);
  ASSERT_FALSE(fractions.empty());
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
  const int32_t cancel = 1;
  EXPECT_EQ(cairn_segment_slice(segmenter, hu.data(), 20, 20, nullptr, nullptr, &cancel, mask.data(), nullptr),
            CAIRN_CANCELLED);
  cairn_segmenter_free(segmenter);
}

TEST(CApiSegmentation, ReturnsReadableErrors) {
  // A model without a description: the message names the missing key.
  const std::vector<uint8_t> bare = tiny_model({});
  ModelHandle h;
  ASSERT_EQ(cairn_model_create(bare.data(), bare.size(), nullptr, &h.model), CAIRN_OK);
  cairn_segmenter* segmenter = reinterpret_cast<cairn_segmenter*>(&h);
  EXPECT_EQ(cairn_segmenter_create(h.model, &segmenter), CAIRN_INVALID_MODEL);
  EXPECT_EQ(segmenter, nullptr);
  EXPECT_NE(std::string(cairn_last_error()).find("cairn.schema"), std::string::npos) << cairn_last_error();
  EXPECT_EQ(std::string(cairn_model_metadata_json(h.model)), "{}");

  // A bad value: the message names the key.
  const std::vector<uint8_t> bad = tiny_model(
      [] {
        auto m = segmentation_metadata(small_spec());
        for (auto& [k, v] : m) {
          if (k == "cairn.output.threshold") v = "2";
        }
        return m;
      }());
  ModelHandle hb;
  ASSERT_EQ(cairn_model_create(bad.data(), bad.size(), nullptr, &hb.model), CAIRN_OK);
  EXPECT_EQ(cairn_segmenter_create(hb.model, &segmenter), CAIRN_INVALID_MODEL);
  EXPECT_NE(std::string(cairn_last_error()).find("cairn.output.threshold"), std::string::npos) << cairn_last_error();

  EXPECT_EQ(cairn_segmenter_create(nullptr, &segmenter), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_segmenter_create(hb.model, nullptr), CAIRN_INVALID_ARGUMENT);

  const std::vector<uint8_t> good = tiny_model(segmentation_metadata(small_spec()));
  ModelHandle hg;
  ASSERT_EQ(cairn_model_create(good.data(), good.size(), nullptr, &hg.model), CAIRN_OK);
  ASSERT_EQ(cairn_segmenter_create(hg.model, &segmenter), CAIRN_OK);
  std::vector<float> hu(64, -500.0f);
  std::vector<uint8_t> mask(64);
  EXPECT_EQ(cairn_segment_slice(nullptr, hu.data(), 8, 8, nullptr, nullptr, nullptr, mask.data(), nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_segment_slice(segmenter, nullptr, 8, 8, nullptr, nullptr, nullptr, mask.data(), nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_segment_slice(segmenter, hu.data(), 8, 8, nullptr, nullptr, nullptr, nullptr, nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_segment_slice(segmenter, hu.data(), 8, 10000, nullptr, nullptr, nullptr, mask.data(), nullptr),
            CAIRN_RESOURCE_LIMIT);
  EXPECT_NE(std::string(cairn_last_error()).find("8192"), std::string::npos);
  EXPECT_EQ(cairn_postprocess_volume(segmenter, mask.data(), 1, 8, -8, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_postprocess_volume(segmenter, nullptr, 1, 8, 8, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_postprocess_volume(nullptr, mask.data(), 1, 8, 8, nullptr), CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_postprocess_slice(segmenter, mask.data(), 9000, 8, nullptr), CAIRN_RESOURCE_LIMIT);
  EXPECT_EQ(cairn_postprocess_slice(segmenter, mask.data(), 8, 8, nullptr), CAIRN_OK);
  EXPECT_STREQ(cairn_last_error(), "");
  EXPECT_EQ(cairn_segmenter_spec_json(nullptr), nullptr);
  cairn_segmenter_free(segmenter);
  cairn_segmenter_free(nullptr);
}

}  // namespace
}  // namespace cairn
