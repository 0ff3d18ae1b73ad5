// Segmentation described by the model (cairn/segmentation.hpp): the metadata schema and its errors, the JSON reader
// it uses, and the pre-processing, resampling and post-processing against the Python reference of training/
// (tests/models/segmentation_reference.py writes the fixture read here).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cairn/segmentation.hpp"
#include "io/npy.hpp"
#include "onnx_builder.hpp"
#include "segmentation/postprocess.hpp"
#include "segmentation/resample.hpp"
#include "util/json.hpp"

namespace cairn {
namespace {

using namespace cairn::testing;
using Metadata = std::vector<std::pair<std::string, std::string>>;

const std::filesystem::path kFixture =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "tests/models/segmentation_reference";

// The lung U-Net's description (training/export_onnx.py writes the same).
SegmentationSpec lung_spec() {
  SegmentationSpec spec;
  spec.name = "Lung U-Net";
  spec.version = "1.0";
  spec.description = "Both lungs on chest CT";
  spec.modality = "CT";
  spec.labels = {{1, "Right lung", "3341006", "Right lung", {220, 70, 60}},
                 {2, "Left lung", "44029006", "Left lung", {60, 130, 220}},
                 {255, "Lung", "39607008", "Lung", {230, 60, 60}}};
  return spec;
}

Metadata with(Metadata metadata, const std::string& key, const std::string& value) {
  for (auto& [k, v] : metadata) {
    if (k == key) {
      v = value;
      return metadata;
    }
  }
  metadata.emplace_back(key, value);
  return metadata;
}

Metadata without(Metadata metadata, const std::string& key) {
  std::erase_if(metadata, [&](const auto& kv) { return kv.first == key; });
  return metadata;
}

// Expects the metadata to be refused with `code` and a message naming `words`.
void expect_refused(const Metadata& metadata, StatusCode code, const std::string& words) {
  auto spec = read_segmentation_spec(metadata);
  ASSERT_FALSE(spec.is_ok()) << "accepted; expected an error naming " << words;
  EXPECT_EQ(spec.status().code(), code) << spec.status().message();
  EXPECT_NE(spec.status().message().find(words), std::string::npos) << spec.status().message();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json::Value manifest() {
  auto parsed = json::parse(read_text(kFixture / "manifest.json"));
  EXPECT_TRUE(parsed.is_ok()) << kFixture / "manifest.json" << ": " << parsed.status().message()
                              << " (run tests/models/segmentation_reference.py)";
  return parsed.is_ok() ? parsed.value() : json::Value();
}

npy::Array load(const std::string& name) {
  auto array = npy::read_file((kFixture / (name + ".npy")).string(), int64_t{1} << 24);
  EXPECT_TRUE(array.is_ok()) << array.status().message();
  return array.is_ok() ? std::move(array).value() : npy::Array();
}

std::vector<uint8_t> to_bytes(const std::vector<float>& v) { return std::vector<uint8_t>(v.begin(), v.end()); }

// The spec of the fixture: the lung spec at the fixture's model size.
SegmentationSpec fixture_spec(const json::Value& m) {
  SegmentationSpec spec = lung_spec();
  spec.input_height = spec.input_width = int(m.find("model_size")->number);
  return spec;
}

// y = Sigmoid?(weight * x + bias): a 1x1 convolution on 1x1xNxN, optionally with the sigmoid in the graph.
std::vector<uint8_t> tiny_model(int size, float weight, float bias, bool sigmoid_in_graph, const Metadata& metadata) {
  GraphSpec g;
  g.inputs.push_back(value_info("ct", {1, 1, size, size}));
  g.outputs.push_back(value_info("lung", {1, 1, size, size}));
  g.initializers.push_back(float_tensor("w", {1, 1, 1, 1}, {weight}));
  g.initializers.push_back(float_tensor("b", {1}, {bias}));
  g.nodes.push_back(node("Conv", {"ct", "w", "b"}, {sigmoid_in_graph ? "logit" : "lung"},
                         {ints_attr("kernel_shape", {1, 1})}));
  if (sigmoid_in_graph) g.nodes.push_back(node("Sigmoid", {"logit"}, {"lung"}));
  g.metadata = metadata;
  return build_model(g);
}

// ---- JSON

TEST(Json, ParsesObjectsArraysAndEscapes) {
  auto v = json::parse(R"( {"a": [1, -2.5e2, true, null], "b": "x\"\u00e9\ud83d\ude00\n", "c": {}} )");
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  ASSERT_TRUE(v->is(json::Value::Kind::kObject));
  const json::Value* a = v->find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 4u);
  EXPECT_EQ(a->items[1].number, -250.0);
  EXPECT_TRUE(a->items[2].boolean);
  EXPECT_TRUE(a->items[3].is(json::Value::Kind::kNull));
  EXPECT_EQ(v->find("b")->string, "x\"\xc3\xa9\xf0\x9f\x98\x80\n");
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(Json, RefusesWhatRfc8259Refuses) {
  for (const char* bad : {"", "[1,]", "{\"a\":1,}", "01", "1.", "-", ".5", "+1", "NaN", "[1 2]", "{\"a\" 1}",
                          "\"\\x\"", "\"a\nb\"", "\"\\ud800\"", "\"\\udc00x\"", "{\"a\":1,\"a\":2}", "[1] x",
                          "tru", "1e400", "'a'", "{1:2}"}) {
    EXPECT_FALSE(json::parse(bad).is_ok()) << "accepted: " << bad;
  }
}

TEST(Json, BoundsDepthAndSize) {
  EXPECT_TRUE(json::parse(std::string(16, '[') + std::string(16, ']')).is_ok());
  auto deep = json::parse(std::string(17, '[') + std::string(17, ']'));
  ASSERT_FALSE(deep.is_ok());
  EXPECT_NE(deep.status().message().find("nesting"), std::string::npos);
  auto huge = json::parse(std::string(100000, ' ') + "1");
  ASSERT_FALSE(huge.is_ok());
  EXPECT_NE(huge.status().message().find("bytes"), std::string::npos);
}

TEST(Json, QuotesAndFormatsNumbersThatReadBack) {
  EXPECT_EQ(json::quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(json::format_float(-212.0f), "-212");
  EXPECT_EQ(json::format_float(0.5f), "0.5");
  for (float f : {0.1f, 1.0f / 3.0f, -1024.0f, 3.0e-7f, 123456.789f}) {
    const std::string text = json::format_float(f);
    EXPECT_EQ(std::strtof(text.c_str(), nullptr), f) << text;
    auto parsed = json::parse(text);
    ASSERT_TRUE(parsed.is_ok()) << text;
  }
  auto round = json::parse(json::quote("tab\there \x7f end"));
  ASSERT_TRUE(round.is_ok());
  EXPECT_EQ(round->string, "tab\there \x7f end");
}

// ---- The metadata schema

TEST(SegmentationSpec, RoundTripsThroughMetadata) {
  const SegmentationSpec spec = lung_spec();
  const Metadata metadata = segmentation_metadata(spec);
  EXPECT_EQ(metadata.front(), (std::pair<std::string, std::string>{"cairn.schema", "1"}));
  auto read = read_segmentation_spec(metadata);
  ASSERT_TRUE(read.is_ok()) << read.status().message();
  EXPECT_EQ(read->name, "Lung U-Net");
  EXPECT_EQ(read->hu_min, -1024.0f);
  EXPECT_EQ(read->hu_max, 600.0f);
  EXPECT_EQ(read->center, -212.0f);
  EXPECT_EQ(read->scale, 812.0f);
  EXPECT_EQ(read->input_height, 256);
  EXPECT_EQ(read->threshold, 0.5f);
  EXPECT_EQ(read->keep_components, 2);
  EXPECT_TRUE(read->fill_holes);
  EXPECT_TRUE(read->split_left_right);
  ASSERT_EQ(read->labels.size(), 3u);
  EXPECT_EQ(read->labels[1].snomed_code, "44029006");
  EXPECT_EQ(read->labels[1].color, (std::array<uint8_t, 3>{60, 130, 220}));
  ASSERT_NE(read->union_label(), nullptr);
  EXPECT_EQ(read->union_label()->snomed_code, "39607008");
  EXPECT_EQ(segmentation_metadata(read.value()), metadata);
  // The documented example (docs/model-metadata.md) reads as written.
  const std::string doc = read_text(kFixture.parent_path().parent_path().parent_path() / "docs/model-metadata.md");
  EXPECT_NE(doc.find(metadata.back().second), std::string::npos) << "docs/model-metadata.md lacks the labels example";
}

TEST(SegmentationSpec, ReadsTheSpecOfALoadedModelAndIgnoresOtherKeys) {
  Metadata metadata = segmentation_metadata(lung_spec());
  metadata.insert(metadata.begin(), {"producer_note", "not ours"});
  auto model = Model::load_bytes(tiny_model(256, 1, 0, false, metadata));
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto spec = read_segmentation_spec(**model);
  ASSERT_TRUE(spec.is_ok()) << spec.status().message();
  EXPECT_EQ(spec->labels[0].name, "Right lung");
}

TEST(SegmentationSpec, UnsplitModelsHaveOneLabel) {
  SegmentationSpec spec = lung_spec();
  spec.split_left_right = false;
  spec.labels = {{1, "Lung", "39607008", "Lung", {230, 60, 60}}};
  auto read = read_segmentation_spec(segmentation_metadata(spec));
  ASSERT_TRUE(read.is_ok()) << read.status().message();
  EXPECT_EQ(read->union_label()->value, 1);
  // Without a SNOMED code, a label is still valid.
  spec.labels[0].snomed_code = spec.labels[0].snomed_meaning = "";
  EXPECT_TRUE(read_segmentation_spec(segmentation_metadata(spec)).is_ok());
}

TEST(SegmentationSpec, RefusesBadMetadataNamingTheKey) {
  const Metadata good = segmentation_metadata(lung_spec());
  expect_refused({{"onnx.other", "x"}}, StatusCode::kInvalidModel, "cairn.schema is missing");
  expect_refused(with(good, "cairn.schema", "2"), StatusCode::kUnsupported, "cairn.schema");
  expect_refused(with(good, "cairn.task", "classification"), StatusCode::kUnsupported, "cairn.task");
  expect_refused(without(good, "cairn.name"), StatusCode::kInvalidModel, "cairn.name is missing");
  expect_refused(with(good, "cairn.version", ""), StatusCode::kInvalidModel, "cairn.version");
  expect_refused(with(good, "cairn.input.modality", "MR"), StatusCode::kUnsupported, "cairn.input.modality");
  for (const char* clip : {"600,-1024", "-1024", "-1024;600", "a,b", "-1024,inf", "-1024, 600 x"}) {
    expect_refused(with(good, "cairn.input.hu_clip", clip), StatusCode::kInvalidModel, "cairn.input.hu_clip");
  }
  expect_refused(with(good, "cairn.input.center", "nan"), StatusCode::kInvalidModel, "cairn.input.center");
  expect_refused(with(good, "cairn.input.scale", "0"), StatusCode::kInvalidModel, "cairn.input.scale");
  expect_refused(with(good, "cairn.input.scale", "-812"), StatusCode::kInvalidModel, "cairn.input.scale");
  for (const char* size : {"256", "0x256", "256x", "256x-1", "256X256", "0256x256", "256x256x1"}) {
    expect_refused(with(good, "cairn.input.size", size), StatusCode::kInvalidModel, "cairn.input.size");
  }
  expect_refused(with(good, "cairn.input.size", "9000x256"), StatusCode::kResourceLimit, "cairn.input.size");
  expect_refused(with(good, "cairn.input.resample", "nearest"), StatusCode::kUnsupported, "cairn.input.resample");
  expect_refused(with(good, "cairn.output.activation", "softmax"), StatusCode::kUnsupported,
                 "cairn.output.activation");
  expect_refused(with(good, "cairn.output.threshold", "1.5"), StatusCode::kInvalidModel, "cairn.output.threshold");
  expect_refused(with(good, "cairn.output.resample", "nearest"), StatusCode::kUnsupported, "cairn.output.resample");
  expect_refused(with(good, "cairn.postprocess.components", "-1"), StatusCode::kInvalidModel,
                 "cairn.postprocess.components");
  expect_refused(with(good, "cairn.postprocess.fill_holes", "3d"), StatusCode::kUnsupported,
                 "cairn.postprocess.fill_holes");
  expect_refused(with(good, "cairn.postprocess.split", "yes"), StatusCode::kUnsupported, "cairn.postprocess.split");
  expect_refused(with(good, "cairn.input.hu_clp", "1,2"), StatusCode::kInvalidModel, "cairn.input.hu_clp");
  Metadata twice = good;
  twice.emplace_back("cairn.name", "again");
  expect_refused(twice, StatusCode::kInvalidModel, "cairn.name appears twice");
}

TEST(SegmentationSpec, RefusesBadLabels) {
  const Metadata good = segmentation_metadata(lung_spec());
  const std::string right = R"({"value":1,"name":"Right lung","color":[1,2,3]})";
  const std::string left = R"({"value":2,"name":"Left lung","color":[1,2,3]})";
  const std::string both = R"({"value":255,"name":"Lung","color":[1,2,3]})";
  auto labels = [&](const std::string& text) { return with(good, "cairn.labels", text); };
  EXPECT_TRUE(read_segmentation_spec(labels("[" + right + "," + left + "," + both + "]")).is_ok());
  expect_refused(labels("[" + right + "," + left + "]"), StatusCode::kInvalidModel, "255");
  expect_refused(labels("[" + right + "," + right + "," + both + "]"), StatusCode::kInvalidModel, "used twice");
  expect_refused(labels("[" + right + "," + left + "," + both + ","), StatusCode::kInvalidModel, "cairn.labels");
  expect_refused(labels("{}"), StatusCode::kInvalidModel, "cairn.labels");
  expect_refused(labels("[]"), StatusCode::kInvalidModel, "cairn.labels");
  const std::vector<std::pair<std::string, std::string>> bad_items = {
      {R"({"value":0,"name":"x","color":[1,2,3]})", "\"value\""},
      {R"({"value":1.5,"name":"x","color":[1,2,3]})", "\"value\""},
      {R"({"value":1,"name":"","color":[1,2,3]})", "\"name\""},
      {R"({"value":1,"name":"x","color":[1,2]})", "\"color\""},
      {R"({"value":1,"name":"x","color":[1,2,256]})", "\"color\""},
      {R"({"value":1,"name":"x","color":[1,2,3],"snomed":"3341006"})", "\"snomed\" and \"meaning\" go together"},
      {R"({"value":1,"name":"x","color":[1,2,3],"snomed":"33a","meaning":"m"})", "\"snomed\""},
      {R"({"value":1,"name":"x","color":[1,2,3],"colour":[1,2,3]})", "unknown field \"colour\""},
      {R"("Right lung")", "expected an object"},
  };
  for (const auto& [item, words] : bad_items) {
    expect_refused(labels("[" + item + "," + left + "," + both + "]"), StatusCode::kInvalidModel,
                   "cairn.labels[0]: " + words);
  }
  expect_refused(labels("[" + std::string(20, '[') + std::string(20, ']') + "]"), StatusCode::kInvalidModel,
                 "nesting");
}

// ---- Resampling against PyTorch's F.interpolate (training/dataset.py)

TEST(SegmentationResample, AreaAveragingAndNormalizationMatchPyTorch) {
  const json::Value m = manifest();
  const SegmentationSpec spec = fixture_spec(m);
  const int n = spec.input_height;
  ASSERT_FALSE(m.find("slices")->items.empty());
  for (const json::Value& s : m.find("slices")->items) {
    const std::string name = s.find("name")->string;
    const int rows = int(s.find("rows")->number), cols = int(s.find("cols")->number);
    const npy::Array hu = load("hu_" + name);
    const npy::Array expected = load("input_" + name);
    ASSERT_EQ(hu.data.size(), size_t(rows * cols));
    ASSERT_EQ(expected.data.size(), size_t(n * n));
    std::vector<float> x(size_t(n * n));
    segmentation::resample_area(hu.data.data(), rows, cols, x.data(), n, n);
    for (float& v : x) v = (std::clamp(v, spec.hu_min, spec.hu_max) - spec.center) / spec.scale;
    // PyTorch sums a window of k pixels in float: at most k roundings of a sum bounded by k * max|HU|, i.e. a
    // relative error of k * eps on the mean; then two roundings in the normalization.
    const int k = ((rows + n - 1) / n + 1) * ((cols + n - 1) / n + 1);
    const double tolerance = (k + 1) * FLT_EPSILON * s.find("max_abs_hu")->number / spec.scale + 4 * FLT_EPSILON;
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, double(std::fabs(x[i] - expected.data[i])));
    EXPECT_LE(worst, tolerance) << name;
  }
}

TEST(SegmentationResample, AreaAveragingIsExactOnBlocksAndRepeatsWhenEnlarging) {
  const std::vector<float> src = {1, 3, 5, 7, 2, 4, 6, 8, 10, 10, 0, 0, 10, 10, 0, 4};
  std::vector<float> half(4);
  segmentation::resample_area(src.data(), 4, 4, half.data(), 2, 2);
  EXPECT_EQ(half, (std::vector<float>{2.5f, 6.5f, 10, 1}));
  std::vector<float> twice(16);
  segmentation::resample_area(half.data(), 2, 2, twice.data(), 4, 4);
  EXPECT_EQ(twice[0], 2.5f);
  EXPECT_EQ(twice[3], 6.5f);
  EXPECT_EQ(twice[15], 1.0f);
}

TEST(SegmentationResample, BilinearMatchesPyTorch) {
  const json::Value m = manifest();
  const int n = int(m.find("model_size")->number);
  for (const json::Value& s : m.find("slices")->items) {
    const std::string name = s.find("name")->string;
    const int rows = int(s.find("rows")->number), cols = int(s.find("cols")->number);
    const npy::Array small = load("model_prob_" + name);
    const npy::Array expected = load("prob_" + name);
    ASSERT_EQ(expected.data.size(), size_t(rows * cols));
    std::vector<float> out(size_t(rows * cols));
    segmentation::resample_bilinear(small.data.data(), n, n, out.data(), rows, cols);
    // Four products and three sums of values in [0, 1], with the same float weights as PyTorch: a few ulps.
    double worst = 0;
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, double(std::fabs(out[i] - expected.data[i])));
    EXPECT_LE(worst, 8 * FLT_EPSILON) << name;
  }
}

// ---- The Segmenter, end to end on a tiny network, against the same reference

void expect_segmenter_matches_reference(bool sigmoid_in_graph) {
  const json::Value m = manifest();
  SegmentationSpec spec = fixture_spec(m);
  spec.activation = sigmoid_in_graph ? "none" : "sigmoid";
  const float weight = float(m.find("weight")->number), bias = float(m.find("bias")->number);
  auto model = Model::load_bytes(tiny_model(spec.input_height, weight, bias, sigmoid_in_graph,
                                            segmentation_metadata(spec)));
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto segmenter = Segmenter::create(**model);
  ASSERT_TRUE(segmenter.is_ok()) << segmenter.status().message();
  EXPECT_EQ((*segmenter)->spec().activation, spec.activation);
  for (const json::Value& s : m.find("slices")->items) {
    const std::string name = s.find("name")->string;
    const int rows = int(s.find("rows")->number), cols = int(s.find("cols")->number);
    const npy::Array hu = load("hu_" + name);
    const npy::Array expected_prob = load("prob_" + name);
    const npy::Array expected_mask = load("mask_" + name);
    std::vector<float> prob;
    auto mask = (*segmenter)->segment_slice(hu.data.data(), rows, cols, {}, &prob);
    ASSERT_TRUE(mask.is_ok()) << mask.status().message();
    ASSERT_EQ(prob.size(), size_t(rows * cols));
    // Input error (see above) times |weight|, the logit's own rounding, through the sigmoid (slope <= 1/4), plus
    // the sigmoid's and the resampling's few ulps.
    const int k = ((rows + 31) / 32 + 1) * ((cols + 31) / 32 + 1);
    const double input_error = (k + 1) * FLT_EPSILON * s.find("max_abs_hu")->number / spec.scale + 4 * FLT_EPSILON;
    const double logit_error = std::fabs(weight) * input_error + 2 * FLT_EPSILON * (std::fabs(weight) + std::fabs(bias));
    const double tolerance = logit_error / 4 + 16 * FLT_EPSILON;
    size_t differing = 0, masked = 0;
    double worst = 0;
    for (size_t i = 0; i < prob.size(); ++i) {
      worst = std::max(worst, double(std::fabs(prob[i] - expected_prob.data[i])));
      // A pixel may only flip when the reference is within the tolerance of the threshold.
      if ((*mask)[i] != uint8_t(expected_mask.data[i]) && std::fabs(expected_prob.data[i] - 0.5) > tolerance) {
        ++differing;
      }
      masked += (*mask)[i];
    }
    EXPECT_LE(worst, tolerance) << name;
    EXPECT_EQ(differing, 0u) << name;
    EXPECT_GT(masked, 0u) << name << ": the fixture's slice should have some foreground";
    // Without a probability buffer, the same mask.
    auto again = (*segmenter)->segment_slice(hu.data.data(), rows, cols);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(*again, *mask);
  }
}

TEST(Segmenter, MatchesThePythonReferenceWithSigmoidInTheEngine) { expect_segmenter_matches_reference(false); }
TEST(Segmenter, MatchesThePythonReferenceWithSigmoidInTheGraph) { expect_segmenter_matches_reference(true); }

TEST(Segmenter, RefusesBadSlicesAndModels) {
  SegmentationSpec spec = lung_spec();
  spec.input_height = spec.input_width = 8;
  auto model = Model::load_bytes(tiny_model(8, 1, 0, false, segmentation_metadata(spec)));
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  auto segmenter = Segmenter::create(**model);
  ASSERT_TRUE(segmenter.is_ok()) << segmenter.status().message();
  std::vector<float> hu(16, -800);
  auto zero = (*segmenter)->segment_slice(hu.data(), 0, 4);
  ASSERT_FALSE(zero.is_ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  auto huge = (*segmenter)->segment_slice(hu.data(), 9000, 4);
  ASSERT_FALSE(huge.is_ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceLimit);
  EXPECT_NE(huge.status().message().find("8192"), std::string::npos);
  EXPECT_FALSE((*segmenter)->segment_slice(nullptr, 4, 4).is_ok());
  ASSERT_TRUE((*segmenter)->segment_slice(hu.data(), 4, 4).is_ok());

  // The model's declared input must fit cairn.input.size.
  auto mismatched = Model::load_bytes(tiny_model(16, 1, 0, false, segmentation_metadata(spec)));
  ASSERT_TRUE(mismatched.is_ok());
  auto refused = Segmenter::create(**mismatched);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("cairn.input.size"), std::string::npos) << refused.status().message();
  // No description: the error names the missing key.
  auto bare = Model::load_bytes(tiny_model(8, 1, 0, false, {}));
  ASSERT_TRUE(bare.is_ok());
  auto undescribed = Segmenter::create(**bare);
  ASSERT_FALSE(undescribed.is_ok());
  EXPECT_NE(undescribed.status().message().find("cairn.schema"), std::string::npos);
}

// ---- Post-processing against training/postprocess.py

TEST(SegmentationPostprocess, ComponentsMatchScipy) {
  const json::Value m = manifest();
  for (const json::Value& c : m.find("volumes")->items) {
    const std::string name = c.find("name")->string;
    const auto& dims = c.find("shape")->items;
    const segmentation::VolumeShape shape{int(dims[0].number), int(dims[1].number), int(dims[2].number)};
    const std::vector<uint8_t> vol = to_bytes(load("vol_" + name).data);
    std::vector<int32_t> component;
    std::vector<int64_t> sizes = segmentation::component_sizes(vol.data(), shape, &component);
    std::sort(sizes.rbegin(), sizes.rend());
    std::vector<int64_t> expected;
    for (const json::Value& s : c.find("component_sizes")->items) expected.push_back(int64_t(s.number));
    EXPECT_EQ(sizes, expected) << name;
    for (size_t i = 0; i < vol.size(); ++i) ASSERT_EQ(component[i] >= 0, vol[i] != 0) << name << " voxel " << i;
  }
}

TEST(SegmentationPostprocess, CleaningAndSplittingMatchPython) {
  const json::Value m = manifest();
  ASSERT_GE(m.find("volumes")->items.size(), 5u);
  for (const json::Value& c : m.find("volumes")->items) {
    const std::string name = c.find("name")->string;
    const auto& dims = c.find("shape")->items;
    const int slices = int(dims[0].number), rows = int(dims[1].number), cols = int(dims[2].number);
    const double row_direction[3] = {c.find("row_x")->number, 0, 0};
    const ColumnDirection columns = column_direction_from_orientation(row_direction);
    const std::vector<uint8_t> vol = to_bytes(load("vol_" + name).data);

    SegmentationSpec unsplit = lung_spec();
    unsplit.split_left_right = false;
    std::vector<uint8_t> clean = vol;
    ASSERT_TRUE(postprocess_volume(unsplit, clean, slices, rows, cols, columns).is_ok());
    EXPECT_EQ(clean, to_bytes(load("clean_" + name).data)) << name;

    std::vector<uint8_t> split = vol;
    const Status status = slices == 1 ? postprocess_slice(lung_spec(), split, rows, cols, columns)
                                      : postprocess_volume(lung_spec(), split, slices, rows, cols, columns);
    ASSERT_TRUE(status.is_ok()) << status.message();
    const std::vector<uint8_t> expected = to_bytes(load("split_" + name).data);
    EXPECT_EQ(split, expected) << name;
    EXPECT_NE(std::count(split.begin(), split.end(), kMaskLeft), 0) << name;
    EXPECT_NE(std::count(split.begin(), split.end(), kMaskRight), 0) << name;
  }
}

TEST(SegmentationPostprocess, LeftIsTheImageRightInStandardOrientation) {
  // Two blobs, the bigger on the image's left: in standard orientation (columns towards the patient's left) it is
  // the patient's right lung.
  const int rows = 6, cols = 12;
  std::vector<uint8_t> mask(size_t(rows * cols), 0);
  for (int y = 1; y < 5; ++y) {
    for (int x = 1; x < 5; ++x) mask[size_t(y * cols + x)] = 1;
    for (int x = 8; x < 11; ++x) mask[size_t(y * cols + x)] = 1;
  }
  std::vector<uint8_t> standard = mask, mirrored = mask;
  ASSERT_TRUE(postprocess_slice(lung_spec(), standard, rows, cols).is_ok());
  ASSERT_TRUE(postprocess_slice(lung_spec(), mirrored, rows, cols, ColumnDirection::kMirrored).is_ok());
  EXPECT_EQ(standard[size_t(1 * cols + 1)], kMaskRight);
  EXPECT_EQ(standard[size_t(1 * cols + 9)], kMaskLeft);
  EXPECT_EQ(mirrored[size_t(1 * cols + 1)], kMaskLeft);
  EXPECT_EQ(mirrored[size_t(1 * cols + 9)], kMaskRight);
  // keep_components 0 keeps a third speck, and with no split every voxel is 1.
  SegmentationSpec keep_all = lung_spec();
  keep_all.keep_components = 0;
  keep_all.split_left_right = false;
  std::vector<uint8_t> speck = mask;
  speck[size_t(5 * cols + 6)] = 7;
  ASSERT_TRUE(postprocess_slice(keep_all, speck, rows, cols).is_ok());
  EXPECT_EQ(speck[size_t(5 * cols + 6)], 1);
  EXPECT_EQ(std::count(speck.begin(), speck.end(), 1), std::count(mask.begin(), mask.end(), 1) + 1);
}

TEST(SegmentationPostprocess, RefusesBadSizes) {
  std::vector<uint8_t> mask(24);
  const SegmentationSpec spec = lung_spec();
  Status wrong = postprocess_volume(spec, mask, 2, 3, 5);
  EXPECT_EQ(wrong.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.message().find("24 values"), std::string::npos) << wrong.message();
  EXPECT_EQ(postprocess_volume(spec, mask, 0, 3, 8).code(), StatusCode::kInvalidArgument);
  Status huge = postprocess_volume(spec, mask, 1, 3, 9000);
  EXPECT_EQ(huge.code(), StatusCode::kResourceLimit);
  EXPECT_NE(huge.message().find("8192"), std::string::npos);
  std::vector<uint8_t> empty(24, 0);
  ASSERT_TRUE(postprocess_volume(spec, empty, 2, 3, 4).is_ok());
  EXPECT_EQ(std::count(empty.begin(), empty.end(), 0), 24);
}

}  // namespace
}  // namespace cairn
