#include "help.hpp"

namespace cairn::cli {

std::string general_help() {
  return R"(cairn: run CNN models (ONNX) on the CPU.

Usage:
  cairn info MODEL.onnx [--shape SHAPE] [--json]
  cairn run MODEL.onnx IN.npy OUT.npy [--threads N] [--quiet]
  cairn run MODEL.onnx --input NAME=IN.npy ... --output NAME=OUT.npy ...
  cairn bench MODEL.onnx [--shape SHAPE] [--threads N] [--runs R] [--warmup W] [--warmup-ms MS] [--json]
  cairn segment MODEL.onnx SERIES_DIR --out SEG.dcm|MASK.npy [--threads N] [--stow URL] [--reference RTSTRUCT]
  cairn help COMMAND
  cairn --version

Commands:
  info    describe a model: inputs, outputs, operators, parameters, FLOPs, memory, metadata
  run     run a model on .npy inputs and write .npy outputs
  bench   time a model on random input
  segment segment a CT series (DICOM files) with a segmentation model: volumes, DICOM SEG or .npy, STOW-RS

Tensors are float32 NumPy .npy files in C order (other numeric dtypes are converted when read).
Exit status: 0 success, 1 error (file, model, shape, run), 2 usage error.
Run 'cairn help COMMAND' for the options of a command.
)";
}

namespace {

constexpr const char* kCommonOptions = R"(  --threads N          worker threads (1 to 256; default: %THREADS%)
  --memory-limit MB    refuse shapes whose planned memory (weights, activations, scratch) exceeds MB
                       megabytes (1 MB = 2^20 bytes; default 4096)
  -h, --help           show this help
)";

std::string common_options(const std::string& threads_default) {
  std::string text = kCommonOptions;
  const std::string key = "%THREADS%";
  text.replace(text.find(key), key.size(), threads_default);
  return text;
}

}  // namespace

std::string command_help(const std::string& command) {
  if (command == "info") {
    return R"(Usage: cairn info MODEL.onnx [--shape SHAPE]... [--json]

Describes a model: file size, IR version, opset, producer; inputs and outputs with their declared shapes
and types; and, at the input shape, the output shapes, operator counts, parameter count, FLOPs
(a multiply-add counts as two) and memory (weights, activation arena, scratch); then the model's metadata.

Options:
  --shape SHAPE        input shape, like 1x1x512x512; for a model with several inputs, give
                       --shape NAME=SHAPE once per input. Default: the declared shape when fully known
                       (without it, only what does not depend on the shape is shown)
  --json               print one JSON object instead of text
)" + common_options("1");
  }
  if (command == "run") {
    return R"(Usage: cairn run MODEL.onnx IN.npy OUT.npy [options]
       cairn run MODEL.onnx --input NAME=IN.npy... --output NAME=OUT.npy... [options]

Runs the model on the .npy inputs and writes the outputs as float32 .npy files. The first form is for
models with one input and one output. In the second, every input must be given; only the outputs
listed are written (NAME= may be left out when the model has a single input or output).
Prints a one-line summary (shapes, time) to stderr.

Options:
  --input NAME=FILE    an input tensor (repeat for each input)
  --output NAME=FILE   an output to write (repeat for each output wanted)
  --quiet              print nothing on success
)" + common_options("the number of hardware threads");
  }
  if (command == "bench") {
    return R"(Usage: cairn bench MODEL.onnx [--shape SHAPE]... [options]

Times the model on random input (uniform in [0, 1), fixed seed): W warm-up runs, then R timed runs.
Prints the median and minimum latency in ms, GFLOP/s (the model's FLOPs / median time) and the
process's peak resident memory (MB).

Options:
  --shape SHAPE        input shape, like 1x1x512x512 (NAME=SHAPE per input for several inputs);
                       default: the declared shape when fully known
  --runs R             timed runs (default 10)
  --warmup W           untimed runs before them (default 1)
  --warmup-ms MS       keep running untimed runs until MS milliseconds have passed, too (default 0):
                       a freshly started process runs slower for its first tens of milliseconds
  --json               print one JSON object: model, shape, threads, runs, warmup, flops, median_ms,
                       min_ms, max_ms, mean_ms, gflops, peak_rss_mb, times_ms
)" + common_options("the number of hardware threads");
  }
  if (command == "segment") {
    return R"(Usage: cairn segment MODEL.onnx SERIES_DIR [--out SEG.dcm|MASK.npy] [options]

Reads the CT series in SERIES_DIR (DICOM Part-10 files, uncompressed; slices sorted along the slice normal,
pixels rescaled to Hounsfield units), runs the segmentation model on every slice with the pre- and
post-processing its metadata describes (docs/model-metadata.md), and prints the volume of each label in mL
(right, left and total when the model separates the lungs). Progress goes to stderr.

Options:
  --out FILE           FILE.dcm: a DICOM Segmentation (SEG) object referencing the series, one segment per
                       label with its SNOMED CT code, empty frames left out; FILE.npy: the label volume as
                       uint8 (slices, rows, columns), slices in ascending order along the normal
  --series UID         the SeriesInstanceUID to read when SERIES_DIR holds several series
  --stow URL           send the SEG to a DICOMweb server by STOW-RS (POST URL/studies), e.g.
                       http://127.0.0.1:8042/dicom-web; http only (user:password@ for basic authentication)
  --reference FILE     an RTSTRUCT with expert lung contours (left and right ROIs found by name): prints the
                       3-D Dice coefficient and the volume difference, both lungs and each side
  --quiet              no progress on stderr
)" + common_options("the number of hardware threads");
  }
  if (command == "help") {
    return "Usage: cairn help [COMMAND]\n\nShows the help of a command (info, run, bench, segment), or the general help.\n";
  }
  return "";
}

}  // namespace cairn::cli
