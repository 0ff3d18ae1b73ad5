// DICOM tags, value representations and the small data dictionary Cairn needs: every tag it reads or writes,
// with its VR (implicit VR files carry none) and keyword (for error messages). One list, CAIRN_DICOM_TAGS,
// defines both the constants (tags::kRows) and the dictionary.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace cairn::dicom {

struct Tag {
  uint16_t group = 0;
  uint16_t element = 0;
  constexpr uint32_t key() const { return uint32_t(group) << 16 | element; }
  constexpr auto operator<=>(const Tag&) const = default;
};

// Value representations by their two letters ('U' << 8 | 'S'). kNone: implicit VR element of an unknown tag.
enum class VR : uint16_t {
  kNone = 0,
  AE = 'A' << 8 | 'E', AS = 'A' << 8 | 'S', AT = 'A' << 8 | 'T', CS = 'C' << 8 | 'S', DA = 'D' << 8 | 'A',
  DS = 'D' << 8 | 'S', DT = 'D' << 8 | 'T', FD = 'F' << 8 | 'D', FL = 'F' << 8 | 'L', IS = 'I' << 8 | 'S',
  LO = 'L' << 8 | 'O', LT = 'L' << 8 | 'T', OB = 'O' << 8 | 'B', OD = 'O' << 8 | 'D', OF = 'O' << 8 | 'F',
  OL = 'O' << 8 | 'L', OV = 'O' << 8 | 'V', OW = 'O' << 8 | 'W', PN = 'P' << 8 | 'N', SH = 'S' << 8 | 'H',
  SL = 'S' << 8 | 'L', SQ = 'S' << 8 | 'Q', SS = 'S' << 8 | 'S', ST = 'S' << 8 | 'T', SV = 'S' << 8 | 'V',
  TM = 'T' << 8 | 'M', UC = 'U' << 8 | 'C', UI = 'U' << 8 | 'I', UL = 'U' << 8 | 'L', UN = 'U' << 8 | 'N',
  UR = 'U' << 8 | 'R', US = 'U' << 8 | 'S', UT = 'U' << 8 | 'T', UV = 'U' << 8 | 'V',
};

// True for the two letters of a VR defined by PS3.5 (the explicit VR reader refuses anything else).
bool is_known_vr(uint16_t code);
// Explicit VR: these VRs have 2 reserved bytes and a 32-bit length; the others a 16-bit length.
bool has_long_length(VR vr);
std::string vr_name(VR vr);  // "US"; "??" for kNone

// keyword, group, element, VR
#define CAIRN_DICOM_TAGS(X)                                             \
  X(FileMetaInformationGroupLength, 0x0002, 0x0000, UL)                 \
  X(FileMetaInformationVersion, 0x0002, 0x0001, OB)                     \
  X(MediaStorageSOPClassUID, 0x0002, 0x0002, UI)                        \
  X(MediaStorageSOPInstanceUID, 0x0002, 0x0003, UI)                     \
  X(TransferSyntaxUID, 0x0002, 0x0010, UI)                              \
  X(ImplementationClassUID, 0x0002, 0x0012, UI)                         \
  X(ImplementationVersionName, 0x0002, 0x0013, SH)                      \
  X(SpecificCharacterSet, 0x0008, 0x0005, CS)                           \
  X(ImageType, 0x0008, 0x0008, CS)                                      \
  X(InstanceCreationDate, 0x0008, 0x0012, DA)                           \
  X(InstanceCreationTime, 0x0008, 0x0013, TM)                           \
  X(SOPClassUID, 0x0008, 0x0016, UI)                                    \
  X(SOPInstanceUID, 0x0008, 0x0018, UI)                                 \
  X(StudyDate, 0x0008, 0x0020, DA)                                      \
  X(SeriesDate, 0x0008, 0x0021, DA)                                     \
  X(ContentDate, 0x0008, 0x0023, DA)                                    \
  X(StudyTime, 0x0008, 0x0030, TM)                                      \
  X(SeriesTime, 0x0008, 0x0031, TM)                                     \
  X(ContentTime, 0x0008, 0x0033, TM)                                    \
  X(AccessionNumber, 0x0008, 0x0050, SH)                                \
  X(Modality, 0x0008, 0x0060, CS)                                       \
  X(Manufacturer, 0x0008, 0x0070, LO)                                   \
  X(ReferringPhysicianName, 0x0008, 0x0090, PN)                         \
  X(CodeValue, 0x0008, 0x0100, SH)                                      \
  X(CodingSchemeDesignator, 0x0008, 0x0102, SH)                         \
  X(CodeMeaning, 0x0008, 0x0104, LO)                                    \
  X(StudyDescription, 0x0008, 0x1030, LO)                               \
  X(SeriesDescription, 0x0008, 0x103E, LO)                              \
  X(ManufacturerModelName, 0x0008, 0x1090, LO)                          \
  X(ReferencedStudySequence, 0x0008, 0x1110, SQ)                        \
  X(ReferencedSeriesSequence, 0x0008, 0x1115, SQ)                       \
  X(ReferencedImageSequence, 0x0008, 0x1140, SQ)                        \
  X(ReferencedInstanceSequence, 0x0008, 0x114A, SQ)                     \
  X(ReferencedSOPClassUID, 0x0008, 0x1150, UI)                          \
  X(ReferencedSOPInstanceUID, 0x0008, 0x1155, UI)                       \
  X(DerivationDescription, 0x0008, 0x2111, ST)                          \
  X(SourceImageSequence, 0x0008, 0x2112, SQ)                            \
  X(AnatomicRegionSequence, 0x0008, 0x2218, SQ)                         \
  X(DerivationImageSequence, 0x0008, 0x9124, SQ)                        \
  X(DerivationCodeSequence, 0x0008, 0x9215, SQ)                         \
  X(PatientName, 0x0010, 0x0010, PN)                                    \
  X(PatientID, 0x0010, 0x0020, LO)                                      \
  X(PatientBirthDate, 0x0010, 0x0030, DA)                               \
  X(PatientSex, 0x0010, 0x0040, CS)                                     \
  X(PatientAge, 0x0010, 0x1010, AS)                                     \
  X(BodyPartExamined, 0x0018, 0x0015, CS)                               \
  X(SliceThickness, 0x0018, 0x0050, DS)                                 \
  X(SpacingBetweenSlices, 0x0018, 0x0088, DS)                           \
  X(DeviceSerialNumber, 0x0018, 0x1000, LO)                             \
  X(SoftwareVersions, 0x0018, 0x1020, LO)                               \
  X(StudyInstanceUID, 0x0020, 0x000D, UI)                               \
  X(SeriesInstanceUID, 0x0020, 0x000E, UI)                              \
  X(StudyID, 0x0020, 0x0010, SH)                                        \
  X(SeriesNumber, 0x0020, 0x0011, IS)                                   \
  X(InstanceNumber, 0x0020, 0x0013, IS)                                 \
  X(PatientOrientation, 0x0020, 0x0020, CS)                             \
  X(ImagePositionPatient, 0x0020, 0x0032, DS)                           \
  X(ImageOrientationPatient, 0x0020, 0x0037, DS)                        \
  X(FrameOfReferenceUID, 0x0020, 0x0052, UI)                            \
  X(Laterality, 0x0020, 0x0060, CS)                                     \
  X(PositionReferenceIndicator, 0x0020, 0x1040, LO)                     \
  X(SliceLocation, 0x0020, 0x1041, DS)                                  \
  X(FrameContentSequence, 0x0020, 0x9111, SQ)                           \
  X(PlanePositionSequence, 0x0020, 0x9113, SQ)                          \
  X(PlaneOrientationSequence, 0x0020, 0x9116, SQ)                       \
  X(DimensionIndexValues, 0x0020, 0x9157, UL)                           \
  X(DimensionOrganizationUID, 0x0020, 0x9164, UI)                       \
  X(DimensionIndexPointer, 0x0020, 0x9165, AT)                          \
  X(FunctionalGroupPointer, 0x0020, 0x9167, AT)                         \
  X(DimensionOrganizationSequence, 0x0020, 0x9221, SQ)                  \
  X(DimensionIndexSequence, 0x0020, 0x9222, SQ)                         \
  X(DimensionOrganizationType, 0x0020, 0x9311, CS)                      \
  X(DimensionDescriptionLabel, 0x0020, 0x9421, LO)                      \
  X(SamplesPerPixel, 0x0028, 0x0002, US)                                \
  X(PhotometricInterpretation, 0x0028, 0x0004, CS)                      \
  X(NumberOfFrames, 0x0028, 0x0008, IS)                                 \
  X(Rows, 0x0028, 0x0010, US)                                           \
  X(Columns, 0x0028, 0x0011, US)                                        \
  X(PixelSpacing, 0x0028, 0x0030, DS)                                   \
  X(BitsAllocated, 0x0028, 0x0100, US)                                  \
  X(BitsStored, 0x0028, 0x0101, US)                                     \
  X(HighBit, 0x0028, 0x0102, US)                                        \
  X(PixelRepresentation, 0x0028, 0x0103, US)                            \
  X(BurnedInAnnotation, 0x0028, 0x0301, CS)                             \
  X(RescaleIntercept, 0x0028, 0x1052, DS)                               \
  X(RescaleSlope, 0x0028, 0x1053, DS)                                   \
  X(LossyImageCompression, 0x0028, 0x2110, CS)                          \
  X(PixelMeasuresSequence, 0x0028, 0x9110, SQ)                          \
  X(StructureSetLabel, 0x3006, 0x0002, SH)                              \
  X(ReferencedFrameOfReferenceSequence, 0x3006, 0x0010, SQ)             \
  X(RTReferencedStudySequence, 0x3006, 0x0012, SQ)                      \
  X(RTReferencedSeriesSequence, 0x3006, 0x0014, SQ)                     \
  X(ContourImageSequence, 0x3006, 0x0016, SQ)                           \
  X(StructureSetROISequence, 0x3006, 0x0020, SQ)                        \
  X(ROINumber, 0x3006, 0x0022, IS)                                      \
  X(ReferencedFrameOfReferenceUID, 0x3006, 0x0024, UI)                  \
  X(ROIName, 0x3006, 0x0026, LO)                                        \
  X(ROIDisplayColor, 0x3006, 0x002A, IS)                                \
  X(ROIGenerationAlgorithm, 0x3006, 0x0036, CS)                         \
  X(ROIContourSequence, 0x3006, 0x0039, SQ)                             \
  X(ContourSequence, 0x3006, 0x0040, SQ)                                \
  X(ContourGeometricType, 0x3006, 0x0042, CS)                           \
  X(NumberOfContourPoints, 0x3006, 0x0046, IS)                          \
  X(ContourNumber, 0x3006, 0x0048, IS)                                  \
  X(ContourData, 0x3006, 0x0050, DS)                                    \
  X(RTROIObservationsSequence, 0x3006, 0x0080, SQ)                      \
  X(ReferencedROINumber, 0x3006, 0x0084, IS)                            \
  X(PurposeOfReferenceCodeSequence, 0x0040, 0xA170, SQ)                 \
  X(SegmentationType, 0x0062, 0x0001, CS)                               \
  X(SegmentSequence, 0x0062, 0x0002, SQ)                                \
  X(SegmentedPropertyCategoryCodeSequence, 0x0062, 0x0003, SQ)          \
  X(SegmentNumber, 0x0062, 0x0004, US)                                  \
  X(SegmentLabel, 0x0062, 0x0005, LO)                                   \
  X(SegmentDescription, 0x0062, 0x0006, ST)                             \
  X(SegmentAlgorithmType, 0x0062, 0x0008, CS)                           \
  X(SegmentAlgorithmName, 0x0062, 0x0009, LO)                           \
  X(SegmentIdentificationSequence, 0x0062, 0x000A, SQ)                  \
  X(ReferencedSegmentNumber, 0x0062, 0x000B, US)                        \
  X(RecommendedDisplayCIELabValue, 0x0062, 0x000D, US)                  \
  X(SegmentedPropertyTypeCodeSequence, 0x0062, 0x000F, SQ)              \
  X(SegmentsOverlap, 0x0062, 0x0013, CS)                                \
  X(ContentLabel, 0x0070, 0x0080, CS)                                   \
  X(ContentDescription, 0x0070, 0x0081, LO)                             \
  X(ContentCreatorName, 0x0070, 0x0084, PN)                             \
  X(SharedFunctionalGroupsSequence, 0x5200, 0x9229, SQ)                 \
  X(PerFrameFunctionalGroupsSequence, 0x5200, 0x9230, SQ)               \
  X(PixelData, 0x7FE0, 0x0010, OW)                                      \
  X(Item, 0xFFFE, 0xE000, kNone)                                        \
  X(ItemDelimitationItem, 0xFFFE, 0xE00D, kNone)                        \
  X(SequenceDelimitationItem, 0xFFFE, 0xE0DD, kNone)

namespace tags {
#define CAIRN_DICOM_TAG_CONSTANT(keyword, group, element, vr) inline constexpr Tag k##keyword{group, element};
CAIRN_DICOM_TAGS(CAIRN_DICOM_TAG_CONSTANT)
#undef CAIRN_DICOM_TAG_CONSTANT
}  // namespace tags

// The dictionary's VR for a tag (kNone when the tag is not in the list; group lengths (gggg,0000) are UL).
VR dictionary_vr(Tag tag);
// "(0028,0010) Rows", or "(0029,1010)" for a tag outside the list.
std::string describe_tag(Tag tag);

}  // namespace cairn::dicom
