// cairn segment: a CT series (DICOM files) -> the model slice by slice -> 3-D post-processing -> lung volumes, a DICOM
// SEG or a .npy label volume, optionally sent by STOW-RS and compared with an expert RTSTRUCT.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cairn/dicom/ct_series.hpp"
#include "cairn/dicom/part10.hpp"
#include "cairn/dicom/rtstruct.hpp"
#include "cairn/dicom/seg_writer.hpp"
#include "cairn/dicom/stow.hpp"
#include "cairn/segmentation.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "io/npy.hpp"
#include "model_setup.hpp"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "unknown"
#endif

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_output_directory(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw CliError("cannot write '" + path + "': it is a directory");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    throw CliError("cannot write '" + path + "': the directory '" + parent.string() + "' does not exist");
  }
}

// Progress on stderr: one rewritten line on a terminal, a line per 10 % otherwise.
class Progress {
 public:
  Progress(size_t total, bool quiet) : total_(total), quiet_(quiet), terminal_(::isatty(STDERR_FILENO) != 0) {}

  void slice_done(size_t done, double elapsed_s) {
    if (quiet_) return;
    const int percent = int(100 * done / total_);
    const double remaining = done ? elapsed_s / double(done) * double(total_ - done) : 0;
    const std::string line = "segmenting: slice " + std::to_string(done) + "/" + std::to_string(total_) + " (" +
                             std::to_string(percent) + "%), " + fixed(elapsed_s, 1) + " s, about " +
                             fixed(remaining, 0) + " s left";
    if (terminal_) {
      std::cerr << "\r" << line << "\x1b[K" << std::flush;
      if (done == total_) std::cerr << "\n";
    } else if (percent / 10 != last_decile_ || done == total_) {
      last_decile_ = percent / 10;
      std::cerr << line << "\n";
    }
  }

 private:
  size_t total_;
  bool quiet_, terminal_;
  int last_decile_ = 0;
};

// The labels a post-processed mask holds: 1 (right) and 2 (left) when the model splits, else 1.
std::vector<const SegmentationLabel*> mask_labels(const SegmentationSpec& spec) {
  std::vector<const SegmentationLabel*> out;
  for (const SegmentationLabel& label : spec.labels) {
    if (spec.split_left_right ? label.value != kMaskUnion : label.value == 1) out.push_back(&label);
  }
  return out;
}

std::vector<dicom::SegSegment> seg_segments(const SegmentationSpec& spec, const std::string& model_path) {
  std::vector<dicom::SegSegment> out;
  for (const SegmentationLabel* label : mask_labels(spec)) {
    if (label->snomed_code.empty()) {
      throw CliError(model_path + ": label " + std::to_string(label->value) + " ('" + label->name +
                     "') has no SNOMED CT code in cairn.labels; a DICOM SEG segment needs one");
    }
    dicom::SegSegment segment;
    segment.label_value = label->value;
    segment.label = label->name;
    segment.property_type = {label->snomed_code, "SCT", label->snomed_meaning};
    segment.rgb = label->color;
    out.push_back(std::move(segment));
  }
  return out;
}

struct Overlap {
  size_t model = 0, expert = 0, both = 0;
  double dice() const { return model + expert ? 2.0 * double(both) / double(model + expert) : 1.0; }
};

Overlap overlap(const std::vector<uint8_t>& mask, const std::vector<uint8_t>& expert, uint8_t model_value,
                bool any_model_value) {
  Overlap o;
  for (size_t i = 0; i < mask.size(); ++i) {
    const bool m = any_model_value ? mask[i] != 0 : mask[i] == model_value;
    const bool e = expert[i] != 0;
    o.model += m;
    o.expert += e;
    o.both += m && e;
  }
  return o;
}

std::string signed_fixed(double value, int decimals) { return (value >= 0 ? "+" : "") + fixed(value, decimals); }

// The expert's lungs from an RTSTRUCT, rasterized on the series: {right, left}.
struct ExpertLungs {
  std::string right_name, left_name;
  std::vector<uint8_t> right, left;
};

ExpertLungs read_expert_lungs(const std::string& path, const dicom::SeriesInfo& series) {
  auto set = value_or_throw(dicom::read_rtstruct(path), path);
  auto names = value_or_throw(dicom::find_lung_rois(set.names()), path);
  if (!set.frame_of_reference_uid.empty() && set.frame_of_reference_uid != series.frame_of_reference_uid) {
    throw CliError(path + ": its contours are in frame of reference " + set.frame_of_reference_uid +
                   ", the series is in " + series.frame_of_reference_uid + "; they are not for this series");
  }
  ExpertLungs out;
  out.left_name = names.first;
  out.right_name = names.second;
  const dicom::Rasterized left = dicom::rasterize_contours(set.find(names.first)->contours, series);
  const dicom::Rasterized right = dicom::rasterize_contours(set.find(names.second)->contours, series);
  if (left.unmatched + right.unmatched > 0) {
    std::cerr << "cairn: warning: " << path << ": " << left.unmatched + right.unmatched
              << " lung contours lie on no slice of the series and were left out\n";
  }
  out.left = left.mask;
  out.right = right.mask;
  return out;
}

void print_comparison(const std::vector<uint8_t>& mask, const ExpertLungs& expert, const SegmentationSpec& spec,
                      double voxel_ml, const std::string& path) {
  std::vector<uint8_t> both(mask.size());
  for (size_t i = 0; i < mask.size(); ++i) both[i] = expert.left[i] | expert.right[i];
  std::cout << "Reference: " << path << " (ROIs '" << printable(expert.right_name) << "', '"
            << printable(expert.left_name) << "')\n";
  auto line = [&](const std::string& what, const Overlap& o) {
    const double model_ml = double(o.model) * voxel_ml, expert_ml = double(o.expert) * voxel_ml;
    const double difference = model_ml - expert_ml;
    std::cout << "  " << what << ": Dice " << fixed(o.dice(), 4) << ", volume " << fixed(model_ml, 1) << " mL vs "
              << fixed(expert_ml, 1) << " mL (" << signed_fixed(difference, 1) << " mL, "
              << (expert_ml > 0 ? signed_fixed(100 * difference / expert_ml, 1) + " %" : std::string("n/a")) << ")\n";
  };
  line("Both lungs", overlap(mask, both, 0, true));
  if (spec.split_left_right) {
    line("Right lung", overlap(mask, expert.right, kMaskRight, false));
    line("Left lung", overlap(mask, expert.left, kMaskLeft, false));
  }
}

}  // namespace

int segment_command(const std::vector<std::string>& tokens) {
  const Args args("segment", tokens,
                  {{"out", true, false},
                   {"threads", true, false},
                   {"memory-limit", true, false},
                   {"series", true, false},
                   {"stow", true, false},
                   {"reference", true, false},
                   {"quiet", false, false}});
  const auto& positional = args.positional();
  if (positional.empty()) throw UsageError("missing MODEL.onnx");
  if (positional.size() < 2) throw UsageError("missing SERIES_DIR (a directory of DICOM files)");
  if (positional.size() > 2) throw UsageError("unexpected argument '" + positional[2] + "'");
  const std::string& model_path = positional[0];
  const std::string& series_dir = positional[1];
  const std::string out = args.value("out").value_or("");
  const std::string stow_url = args.value("stow").value_or("");
  const std::string reference = args.value("reference").value_or("");
  const bool quiet = args.has("quiet");
  if (out.empty() && stow_url.empty() && reference.empty()) {
    throw UsageError("nothing to do: give --out SEG.dcm or MASK.npy, --stow URL or --reference RTSTRUCT");
  }
  const bool write_seg_file = ends_with(out, ".dcm");
  if (!out.empty() && !write_seg_file && !ends_with(out, ".npy")) {
    throw UsageError("--out '" + out + "' must end in .dcm (DICOM SEG) or .npy (label volume)");
  }
  if (!out.empty()) check_output_directory(out);
  if (!stow_url.empty()) value_or_throw(dicom::parse_http_url(stow_url), "--stow");
  if (!reference.empty() && !fs::exists(reference)) throw CliError(reference + ": no such file");

  const EngineOptions options = engine_options(args, true);
  auto model = load_model(model_path, options);
  auto segmenter = value_or_throw(Segmenter::create(*model), model_path);
  const SegmentationSpec& spec = segmenter->spec();
  // Checked before the long run: a SEG needs codes.
  std::vector<dicom::SegSegment> segments;
  if (write_seg_file || !stow_url.empty()) segments = seg_segments(spec, model_path);

  auto read_start = std::chrono::steady_clock::now();
  dicom::CtSeries ct = value_or_throw(dicom::read_ct_series(series_dir, args.value("series").value_or("")), "");
  const dicom::SeriesInfo& info = ct.info;
  const size_t depth = info.slices.size(), plane = info.pixels_per_slice();
  if (!quiet) {
    std::cerr << "series " << info.series_instance_uid << ": " << depth << " slices of " << info.rows << "x"
              << info.columns << ", " << fixed(info.column_spacing, 3) << " x " << fixed(info.row_spacing, 3) << " x "
              << fixed(info.slice_spacing, 3) << " mm, read in " << fixed(seconds_since(read_start), 2) << " s\n";
  }
  ExpertLungs expert;
  if (!reference.empty()) expert = read_expert_lungs(reference, info);

  // The model, slice by slice, then the 3-D post-processing of the model's metadata.
  std::vector<uint8_t> mask(depth * plane);
  Progress progress(depth, quiet);
  const auto run_start = std::chrono::steady_clock::now();
  for (size_t k = 0; k < depth; ++k) {
    auto slice = segmenter->segment_slice(ct.slice_hu(k), info.rows, info.columns);
    if (!slice.is_ok()) throw CliError(info.slices[k].file + ": " + slice.status().message());
    std::copy(slice->begin(), slice->end(), mask.begin() + ptrdiff_t(k * plane));
    progress.slice_done(k + 1, seconds_since(run_start));
  }
  const double run_s = seconds_since(run_start);
  const auto post_start = std::chrono::steady_clock::now();
  throw_if_error(postprocess_volume(spec, mask, int(depth), info.rows, info.columns,
                                    column_direction_from_orientation(info.orientation.data())),
                 "post-processing");
  const double post_s = seconds_since(post_start);

  std::cout << "Model: " << printable(spec.name) << " " << printable(spec.version) << " (" << model_path << ")\n";
  std::cout << "Series: " << series_dir << ", " << depth << " slices, voxel " << fixed(info.voxel_volume_ml() * 1000, 3)
            << " mm3\n";
  std::cout << "Segmented in " << fixed(run_s, 1) << " s (" << fixed(1000 * run_s / double(depth), 0)
            << " ms per slice, " << options.threads << (options.threads == 1 ? " thread" : " threads")
            << "), post-processing " << fixed(1000 * post_s, 0) << " ms\n";
  std::vector<size_t> counts(256, 0);
  for (uint8_t v : mask) ++counts[v];
  double total_ml = 0;
  const auto labels = mask_labels(spec);
  for (const SegmentationLabel* label : labels) {
    const double ml = double(counts[size_t(label->value)]) * info.voxel_volume_ml();
    total_ml += ml;
    std::cout << "Volume " << printable(label->name) << ": " << fixed(ml, 1) << " mL ("
              << with_thousands(int64_t(counts[size_t(label->value)])) << " voxels)\n";
  }
  if (labels.size() > 1) std::cout << "Volume total: " << fixed(total_ml, 1) << " mL\n";

  if (!reference.empty()) print_comparison(mask, expert, spec, info.voxel_volume_ml(), reference);

  std::vector<uint8_t> seg_bytes;
  if (write_seg_file || !stow_url.empty()) {
    dicom::SegOptions seg_options;
    seg_options.algorithm_name = spec.name;
    seg_options.algorithm_version = spec.version;
    seg_options.series_description = (spec.name + " segmentation").substr(0, 64);
    seg_options.content_description = ("Automatic segmentation by " + spec.name + " " + spec.version).substr(0, 64);
    seg_options.content_label = "SEGMENTATION";
    seg_options.software_version = CAIRN_VERSION;
    auto seg = value_or_throw(dicom::write_seg(info, mask, segments, seg_options), "DICOM SEG");
    for (const std::string& warning : seg.warnings) std::cerr << "cairn: warning: " << warning << "\n";
    std::cout << "DICOM SEG: " << seg.frames << " frames, " << human_bytes(seg.bytes.size()) << ", series "
              << seg.series_instance_uid << ", instance " << seg.sop_instance_uid << "\n";
    seg_bytes = std::move(seg.bytes);
  }
  if (write_seg_file) {
    throw_if_error(dicom::write_file_bytes(out, seg_bytes), out);
    std::cout << "Wrote " << out << "\n";
  } else if (!out.empty()) {
    throw_if_error(npy::write_uint8(out, {int64_t(depth), info.rows, info.columns}, mask), out);
    std::cout << "Wrote " << out << " (uint8, " << depth << "x" << info.rows << "x" << info.columns
              << ", slices in ascending order along the normal)\n";
  }
  if (!stow_url.empty()) {
    auto stored = value_or_throw(dicom::stow_rs(stow_url, {seg_bytes}), "");
    std::string answer = stored.body.substr(0, 300);
    for (char& c : answer) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    std::cout << "STOW-RS: " << stored.url << " answered HTTP " << stored.status << " " << printable(stored.reason)
              << (answer.empty() ? "" : ": " + printable(answer)) << "\n";
  }
  return 0;
}

}  // namespace cairn::cli
