/* The C ABI of Cairn's DICOM SEG writer and reader, for hosts that do not speak C++: the WebAssembly module (the
 * viewer builds a SEG in its worker and reopens stored ones) and any native host. A thin layer over
 * cairn::dicom::write_seg (seg_writer.hpp) and a SEG reader that places frames on a given series.
 *
 * The source series is described in JSON, as a DICOMweb client knows it from the series' metadata, because that is
 * what a browser has (no Part-10 files of the CT):
 *
 *   { "study_instance_uid": "...", "series_instance_uid": "...", "frame_of_reference_uid": "...",
 *     "rows": 512, "columns": 512, "pixel_spacing": [0.7, 0.7], "orientation": [1,0,0,0,1,0],
 *     "slice_thickness": 2.5,                                        (optional)
 *     "slices": [ { "sop_instance_uid": "...", "sop_class_uid": "...", "position": [x, y, z] }, ... ],
 *     optional texts copied into the SEG: "specific_character_set", "patient_name", "patient_id",
 *     "patient_birth_date", "patient_sex", "study_date", "study_time", "study_id", "accession_number",
 *     "referring_physician_name", "study_description", "position_reference_indicator" }
 *
 * Slices are in the order of the label volume ([slice][row][column], one byte per voxel). For writing, the same
 * object also holds what the SEG says about itself:
 *
 *     "segments": [ { "value": 1, "label": "Right lung", "snomed": "3341006", "meaning": "Right lung",
 *                     "color": [r, g, b] }, ... ],
 *     "algorithm": { "name": "Lung U-Net", "version": "1.0" },
 *     optional: "series_description", "series_number", "content_description", "software_version"
 *
 * Functions that can fail return a cairn_status (cairn.h's codes); cairn_seg_last_error() then says why. */
#ifndef CAIRN_DICOM_SEG_C_API_H
#define CAIRN_DICOM_SEG_C_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__wasm__)
#define CAIRN_SEG_API(name) __attribute__((export_name(#name)))
#else
#define CAIRN_SEG_API(name)
#endif

typedef int32_t cairn_seg_status; /* equal to cairn_status: 0 ok, 3 invalid argument, 4 resource limit, ... */

/* The message of the last failed call ("" after a success). Valid until the next call. */
CAIRN_SEG_API(cairn_seg_last_error) const char* cairn_seg_last_error(void);

/* Writes the DICOM SEG (a Part-10 file) of `labels` (slices x rows x columns bytes) over the series `json`
 * describes. On success *bytes (to release with cairn_seg_free) and *size hold the file, and *info_json (also to
 * release with cairn_seg_free; may be NULL if not wanted) a JSON object:
 * {"sop_instance_uid", "series_instance_uid", "frames", "frames_per_segment": [...], "warnings": [...]}. */
CAIRN_SEG_API(cairn_seg_write)
cairn_seg_status cairn_seg_write(const char* json, size_t json_size, const uint8_t* labels, size_t labels_size,
                                 uint8_t** bytes, size_t* size, char** info_json);

/* What a SEG file says about itself, without a series: *info_json (cairn_seg_free) is
 * {"sop_instance_uid", "series_instance_uid", "study_instance_uid", "frame_of_reference_uid",
 *  "referenced_series_instance_uid", "rows", "columns", "frames", "segmentation_type",
 *  "segments": [{"number", "label", "snomed", "meaning", "scheme", "color": [r, g, b], "algorithm"}]}.
 * "color" is the RecommendedDisplayCIELabValue back in sRGB, absent when the SEG has none. */
CAIRN_SEG_API(cairn_seg_info)
cairn_seg_status cairn_seg_info(const uint8_t* bytes, size_t size, char** info_json);

/* Rebuilds the label volume of a SEG on the series `json` describes (only rows, columns, slices' UIDs and, for
 * frames that do not name their source image, orientation and positions are used): each voxel gets the number of
 * the segment that covers it (the highest number where segments overlap), 0 elsewhere. `labels` has slices x rows x
 * columns bytes and is overwritten. *placed_frames (may be NULL) gets the number of frames placed. Errors: not a
 * SEG, another size, a frame on no slice of the series, compressed pixel data, more than 255 segments. */
CAIRN_SEG_API(cairn_seg_read)
cairn_seg_status cairn_seg_read(const uint8_t* bytes, size_t size, const char* json, size_t json_size, uint8_t* labels,
                                size_t labels_size, int32_t* placed_frames);

/* Rasterizes an RT Structure Set onto the series `json` describes (rows, columns, pixel_spacing, orientation and every
 * slice's position are needed), as rtstruct.hpp's rasterize_contours does: the ROIs the description's optional
 * "rois" array names get labels 1, 2, ... in that order (a later one wins where they overlap); without it, the right
 * lung is 1 and the left lung 2, found by name (find_lung_rois). *info_json (cairn_seg_free; may be NULL) is
 * {"frame_of_reference_uid", "rois": [{"value", "name", "contours", "unmatched"}], "all_rois": [names]}. */
CAIRN_SEG_API(cairn_rtstruct_read)
cairn_seg_status cairn_rtstruct_read(const uint8_t* bytes, size_t size, const char* json, size_t json_size,
                                     uint8_t* labels, size_t labels_size, char** info_json);

/* Releases what cairn_seg_write, cairn_seg_info and cairn_rtstruct_read returned. NULL is allowed. */
CAIRN_SEG_API(cairn_seg_free) void cairn_seg_free(void* pointer);

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_DICOM_SEG_C_API_H */
