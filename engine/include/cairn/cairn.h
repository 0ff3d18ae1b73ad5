/* The C ABI of the Cairn inference engine: what the WebAssembly module exports (by these names) and what any native
 * host links (libcairn). A thin layer over cairn::Model (cairn/engine.hpp).
 *
 * Use: cairn_model_create from the bytes of an ONNX model; cairn_model_prepare with the input shapes;
 * cairn_model_prepared_output_shape to size the output buffers; cairn_model_run (as often as wanted);
 * cairn_model_free. Functions that can fail return a cairn_status; cairn_last_error() then says why, in a message
 * that names the node, operator or shape at fault. Shapes are int64 dimensions; tensors are float32 in C order
 * (NCHW for images). A model is used by one thread at a time. */
#ifndef CAIRN_CAIRN_H
#define CAIRN_CAIRN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__wasm__)
#define CAIRN_API(name) __attribute__((export_name(#name)))
#else
#define CAIRN_API(name)
#endif

/* Equal to cairn::StatusCode. */
typedef int32_t cairn_status;
enum {
  CAIRN_OK = 0,
  CAIRN_INVALID_MODEL = 1,    /* the bytes are not a well-formed ONNX model */
  CAIRN_UNSUPPORTED = 2,      /* a valid model uses something the engine does not implement */
  CAIRN_INVALID_ARGUMENT = 3, /* the caller passed something wrong (shape, index, pointer, option) */
  CAIRN_RESOURCE_LIMIT = 4,   /* a size or allocation is above the memory limit */
  CAIRN_CANCELLED = 5,        /* the run was cancelled */
  CAIRN_IO_ERROR = 6
};

typedef struct cairn_model cairn_model;

/* 16 bytes, the same layout on wasm32 and 64-bit hosts. */
typedef struct cairn_options {
  int32_t threads;             /* threads for a run, the caller included; 0: the machine's hardware threads */
  uint32_t reserved;           /* 0 */
  uint64_t memory_limit_bytes; /* bound on what the engine allocates for the model; shapes above it are refused */
} cairn_options;

/* Called between tiles with the fraction of the run's FLOPs done (monotonic, ends at 1), on the thread that called
 * cairn_model_run. Returning nonzero cancels the run: it stops within the current tile with CAIRN_CANCELLED. */
typedef int32_t (*cairn_progress_fn)(double fraction, void* user_data);

/* The message of the last failed call on this thread ("" after a success). Valid until the next call. */
CAIRN_API(cairn_last_error) const char* cairn_last_error(void);

/* The operator types the engine implements, comma-separated ("Add,AveragePool,..."); besides them, the loader
 * removes or folds Constant, Identity and Dropout. Valid for the life of the program. */
CAIRN_API(cairn_operators) const char* cairn_operators(void);

/* Defaults: 1 thread, 4 GiB. */
CAIRN_API(cairn_options_init) void cairn_options_init(cairn_options* options);

/* Parses and optimizes the model (the bytes may be freed afterwards). options may be NULL (defaults).
 * On success *model is the new model; on failure it is NULL. */
CAIRN_API(cairn_model_create)
cairn_status cairn_model_create(const void* bytes, size_t size, const cairn_options* options, cairn_model** model);
CAIRN_API(cairn_model_free) void cairn_model_free(cairn_model* model);

CAIRN_API(cairn_model_input_count) int32_t cairn_model_input_count(const cairn_model* model);
CAIRN_API(cairn_model_output_count) int32_t cairn_model_output_count(const cairn_model* model);
/* NULL when the index is out of range. Valid as long as the model. */
CAIRN_API(cairn_model_input_name) const char* cairn_model_input_name(const cairn_model* model, int32_t index);
CAIRN_API(cairn_model_output_name) const char* cairn_model_output_name(const cairn_model* model, int32_t index);
/* The shape the model declares: returns its rank and writes min(rank, capacity) dimensions, -1 for an unknown
 * (symbolic) one. Returns -1 when the model declares no shape or the index is out of range. */
CAIRN_API(cairn_model_input_shape)
int32_t cairn_model_input_shape(const cairn_model* model, int32_t index, int64_t* dims, int32_t capacity);
CAIRN_API(cairn_model_output_shape)
int32_t cairn_model_output_shape(const cairn_model* model, int32_t index, int64_t* dims, int32_t capacity);

/* Infers shapes, packs weights and plans memory for these input shapes: ranks[i] for input i (a negative rank takes
 * the declared shape), dims the dimensions of all inputs one after the other. */
CAIRN_API(cairn_model_prepare)
cairn_status cairn_model_prepare(cairn_model* model, const int32_t* ranks, const int64_t* dims);
/* After a successful prepare: the shape of output i (returns the rank, -1 when not prepared or out of range). */
CAIRN_API(cairn_model_prepared_output_shape)
int32_t cairn_model_prepared_output_shape(const cairn_model* model, int32_t index, int64_t* dims, int32_t capacity);
/* After a successful prepare: floating-point operations of one run (a multiply-add counts as two); 0 otherwise. */
CAIRN_API(cairn_model_prepared_flops) double cairn_model_prepared_flops(const cairn_model* model);

/* Runs at the prepared shapes. inputs[i] points to input i (C order), outputs[i] to a buffer for output i of its
 * prepared size (NULL: not wanted). progress and cancel_flag may be NULL. cancel_flag is read atomically between
 * tiles: another thread (or a worker sharing the WebAssembly memory) sets it nonzero to cancel. */
CAIRN_API(cairn_model_run)
cairn_status cairn_model_run(cairn_model* model, const float* const* inputs, float* const* outputs,
                             cairn_progress_fn progress, void* user_data, const int32_t* cancel_flag);

/* The module's allocator, for the host to place model bytes, shapes and tensors in WebAssembly memory. */
CAIRN_API(cairn_malloc) void* cairn_malloc(size_t size);
CAIRN_API(cairn_free) void cairn_free(void* pointer);

/* ---- Segmentation described by the model (cairn/segmentation.hpp, docs/model-metadata.md) ---- */

/* The model's ONNX metadata_props as one JSON object {"key": "value", ...} in file order (a repeated key appears
 * twice; JSON.parse keeps the last). Valid until the next call of this function on this thread; NULL when model is
 * NULL. */
CAIRN_API(cairn_model_metadata_json) const char* cairn_model_metadata_json(const cairn_model* model);

typedef struct cairn_segmenter cairn_segmenter;

/* Reads the model's cairn.* metadata and prepares the model for its input size. The segmenter uses the model: free
 * it before the model, and do not prepare or run the model yourself in between. On failure *segmenter is NULL and
 * cairn_last_error() names the missing or bad metadata key. */
CAIRN_API(cairn_segmenter_create)
cairn_status cairn_segmenter_create(cairn_model* model, cairn_segmenter** segmenter);
CAIRN_API(cairn_segmenter_free) void cairn_segmenter_free(cairn_segmenter* segmenter);

/* The parsed description as JSON: {"name", "version", "description", "modality", "hu_clip": [lo, hi], "center",
 * "scale", "input_size": [h, w], "resample", "activation", "threshold", "output_resample", "components",
 * "fill_holes", "split_left_right", "union_label", "labels": [{"value", "name", "snomed", "meaning", "color"}]}.
 * Valid as long as the segmenter. */
CAIRN_API(cairn_segmenter_spec_json) const char* cairn_segmenter_spec_json(const cairn_segmenter* segmenter);

/* One slice: hu holds rows*cols Hounsfield units, row-major. Writes the 0/1 mask (rows*cols bytes, 1: the union
 * label) to mask_out and, when probability_out is not NULL, the foreground probability (rows*cols floats).
 * progress, user_data and cancel_flag as for cairn_model_run. Sides above 8192 are refused (CAIRN_RESOURCE_LIMIT). */
CAIRN_API(cairn_segment_slice)
cairn_status cairn_segment_slice(cairn_segmenter* segmenter, const float* hu, int32_t rows, int32_t cols,
                                 cairn_progress_fn progress, void* user_data, const int32_t* cancel_flag,
                                 uint8_t* mask_out, float* probability_out);

/* 3-D post-processing in place of a slices*rows*cols volume of segment_slice masks (slices in order along the
 * slice normal): the largest 26-connected components, holes filled per slice, and, when the model splits, 1 for the
 * patient's right and 2 for the left. row_direction: the row direction cosines (ImageOrientationPatient[0..2]);
 * NULL means the standard axial orientation (columns run towards the patient's left). */
CAIRN_API(cairn_postprocess_volume)
cairn_status cairn_postprocess_volume(const cairn_segmenter* segmenter, uint8_t* mask, int32_t slices, int32_t rows,
                                      int32_t cols, const double* row_direction);
/* The same on one slice alone (8-connected components in 2-D): a preview when the series is not segmented whole. */
CAIRN_API(cairn_postprocess_slice)
cairn_status cairn_postprocess_slice(const cairn_segmenter* segmenter, uint8_t* mask, int32_t rows, int32_t cols,
                                     const double* row_direction);

#if defined(__wasm__)
/* A progress function that calls the module's import "cairn" "progress" (double fraction, i32 user_data) -> i32,
 * for JavaScript hosts, which cannot put their own functions in the module's table. */
CAIRN_API(cairn_host_progress) cairn_progress_fn cairn_host_progress(void);

/* Threads in the WebAssembly module built with a shared memory (cairn-<flavor>-mt.wasm): a JavaScript worker that
 * instantiated the same module over the same memory, with its own stack (__stack_pointer, exported), and without
 * calling _initialize, calls cairn_pool_worker(), which never returns: it runs the share of each parallel loop the
 * calling thread deals it. Models created afterwards use min(cairn_options.threads, 1 + cairn_pool_workers())
 * threads. Returns -1 at once when no slot is left (at most 64 workers). */
CAIRN_API(cairn_pool_worker) int32_t cairn_pool_worker(void);
CAIRN_API(cairn_pool_workers) int32_t cairn_pool_workers(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_CAIRN_H */
