#include "onnx/onnx_loader.hpp"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "onnx/protobuf.hpp"

namespace cairn {

namespace {

using protobuf::Reader;

// IEEE 754 half -> float.
float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400) == 0);
      bits = sign | uint32_t(127 - 15 - e) << 23 | (mantissa & 0x3ff) << 13;
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | mantissa << 13;
  } else {
    bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

size_t element_bytes(DataType type) {
  switch (type) {
    case DataType::kFloat: case DataType::kInt32: case DataType::kUint32: return 4;
    case DataType::kUint8: case DataType::kInt8: case DataType::kBool: return 1;
    case DataType::kUint16: case DataType::kInt16: case DataType::kFloat16: case DataType::kBfloat16: return 2;
    case DataType::kInt64: case DataType::kDouble: case DataType::kUint64: return 8;
    default: return 0;
  }
}

struct RawTensor {
  std::string name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;
  std::span<const uint8_t> raw_data;
  bool has_raw = false;
  std::vector<float> float_data;
  std::vector<int64_t> int32_data;  // int32_data holds int32, int16, int8, uint16, uint8, bool, float16 bits
  std::vector<int64_t> int64_data;
  std::vector<double> double_data;
  std::vector<uint64_t> uint64_data;
  int64_t data_location = 0;
  bool has_segment = false;
  int string_count = 0;
};

Status parse_raw_tensor(std::span<const uint8_t> bytes, RawTensor& t) {
  Reader r(bytes);
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    switch (field) {
      case 1: CAIRN_RETURN_IF_ERROR(r.read_repeated_int64(wt, t.dims)); break;
      case 2: {
        int64_t v = 0;
        CAIRN_RETURN_IF_ERROR(r.read_int64(v));
        t.data_type = int32_t(v);
        break;
      }
      case 3: t.has_segment = true; CAIRN_RETURN_IF_ERROR(r.skip(wt)); break;
      case 4: CAIRN_RETURN_IF_ERROR(r.read_repeated_float(wt, t.float_data)); break;
      case 5: CAIRN_RETURN_IF_ERROR(r.read_repeated_int64(wt, t.int32_data)); break;
      case 6: ++t.string_count; CAIRN_RETURN_IF_ERROR(r.skip(wt)); break;
      case 7: CAIRN_RETURN_IF_ERROR(r.read_repeated_int64(wt, t.int64_data)); break;
      case 8: CAIRN_RETURN_IF_ERROR(r.read_string(t.name)); break;
      case 9: CAIRN_RETURN_IF_ERROR(r.read_bytes(t.raw_data)); t.has_raw = true; break;
      case 10: CAIRN_RETURN_IF_ERROR(r.read_repeated_double(wt, t.double_data)); break;
      case 11: CAIRN_RETURN_IF_ERROR(r.read_repeated_uint64(wt, t.uint64_data)); break;
      case 14: CAIRN_RETURN_IF_ERROR(r.read_int64(t.data_location)); break;
      default: CAIRN_RETURN_IF_ERROR(r.skip(wt)); break;
    }
  }
  return Status::ok();
}

template <typename T>
T load_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

Result<ConstTensor> decode_tensor(const RawTensor& raw, const LoadLimits& limits) {
  const std::string what = raw.name.empty() ? std::string("a tensor") : "tensor '" + raw.name + "'";
  auto type = DataType(raw.data_type);
  if (raw.data_location == 1) {
    return unsupported(what + " keeps its data in an external file, which Cairn does not read; "
                              "export the model with its weights embedded");
  }
  if (raw.has_segment) return unsupported(what + " is split in segments, which Cairn does not read");
  if (type == DataType::kString || raw.string_count > 0) return unsupported(what + " holds strings");
  size_t esize = element_bytes(type);
  if (esize == 0) return unsupported(what + " has element type " + data_type_name(type) + " (code " +
                                     std::to_string(raw.data_type) + "), which Cairn does not handle");
  for (int64_t d : raw.dims) {
    if (d < 0) return invalid_model(what + " has a negative dimension");
  }
  auto count_or = checked_element_count(raw.dims, limits.max_elements);
  if (!count_or.is_ok()) return count_or.status().with_context(what);
  const int64_t count = *count_or;

  ConstTensor t;
  t.shape = raw.dims;
  t.type = type;
  const bool integer = is_integer_type(type);
  auto mismatch = [&](int64_t have) {
    return invalid_model(what + " of shape " + shape_to_string(raw.dims) + " (" + std::to_string(count) +
                         " elements) holds " + std::to_string(have) + " values; the file is corrupt or truncated");
  };

  if (raw.has_raw) {
    if (raw.raw_data.size() != size_t(count) * esize) {
      return invalid_model(what + " of shape " + shape_to_string(raw.dims) + " and type " + data_type_name(type) +
                           " needs " + std::to_string(size_t(count) * esize) + " bytes of raw_data but has " +
                           std::to_string(raw.raw_data.size()) + "; the file is corrupt or truncated");
    }
    const uint8_t* p = raw.raw_data.data();
    if (integer) {
      t.ints.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i, p += esize) {
        int64_t v = 0;
        switch (type) {
          case DataType::kUint8: v = *p; break;
          case DataType::kInt8: v = int8_t(*p); break;
          case DataType::kBool: v = *p != 0; break;
          case DataType::kUint16: v = load_le<uint16_t>(p); break;
          case DataType::kInt16: v = load_le<int16_t>(p); break;
          case DataType::kInt32: v = load_le<int32_t>(p); break;
          case DataType::kUint32: v = load_le<uint32_t>(p); break;
          case DataType::kInt64: v = load_le<int64_t>(p); break;
          case DataType::kUint64: v = int64_t(load_le<uint64_t>(p)); break;
          default: break;
        }
        t.ints[size_t(i)] = v;
      }
    } else {
      t.floats.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i, p += esize) {
        float v = 0;
        switch (type) {
          case DataType::kFloat: v = load_le<float>(p); break;
          case DataType::kFloat16: v = half_to_float(load_le<uint16_t>(p)); break;
          case DataType::kBfloat16: v = bfloat16_to_float(load_le<uint16_t>(p)); break;
          case DataType::kDouble: v = float(load_le<double>(p)); break;
          default: break;
        }
        t.floats[size_t(i)] = v;
      }
    }
    return t;
  }

  // Typed fields.
  switch (type) {
    case DataType::kFloat:
      if (int64_t(raw.float_data.size()) != count) return mismatch(int64_t(raw.float_data.size()));
      t.floats = raw.float_data;
      break;
    case DataType::kDouble:
      if (int64_t(raw.double_data.size()) != count) return mismatch(int64_t(raw.double_data.size()));
      t.floats.assign(raw.double_data.begin(), raw.double_data.end());
      break;
    case DataType::kFloat16:
    case DataType::kBfloat16:
      if (int64_t(raw.int32_data.size()) != count) return mismatch(int64_t(raw.int32_data.size()));
      t.floats.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i) {
        auto bits = uint16_t(raw.int32_data[size_t(i)]);
        t.floats[size_t(i)] = type == DataType::kFloat16 ? half_to_float(bits) : bfloat16_to_float(bits);
      }
      break;
    case DataType::kInt64:
      if (int64_t(raw.int64_data.size()) != count) return mismatch(int64_t(raw.int64_data.size()));
      t.ints = raw.int64_data;
      break;
    case DataType::kUint32:
    case DataType::kUint64:
      if (int64_t(raw.uint64_data.size()) != count) return mismatch(int64_t(raw.uint64_data.size()));
      t.ints.assign(raw.uint64_data.begin(), raw.uint64_data.end());
      break;
    default:  // int32, int16, int8, uint16, uint8, bool live in int32_data
      if (int64_t(raw.int32_data.size()) != count) return mismatch(int64_t(raw.int32_data.size()));
      t.ints.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i) {
        int64_t v = raw.int32_data[size_t(i)];
        switch (type) {
          case DataType::kInt32: v = int32_t(v); break;
          case DataType::kInt16: v = int16_t(v); break;
          case DataType::kInt8: v = int8_t(v); break;
          case DataType::kUint16: v = uint16_t(v); break;
          case DataType::kUint8: v = uint8_t(v); break;
          case DataType::kBool: v = v != 0; break;
          default: break;
        }
        t.ints[size_t(i)] = v;
      }
      break;
  }
  return t;
}

Result<ConstTensor> parse_tensor(std::span<const uint8_t> bytes, const LoadLimits& limits) {
  RawTensor raw;
  CAIRN_RETURN_IF_ERROR(parse_raw_tensor(bytes, raw));
  return decode_tensor(raw, limits);
}

struct ValueInfo {
  std::string name;
  std::string non_tensor_kind;  // "sequence", "map", "optional", "sparse tensor" for values that are not tensors
  DataType type = DataType::kUndefined;
  bool has_shape = false;
  std::vector<int64_t> dims;
  std::vector<std::string> dim_names;
};

Status parse_dimension(std::span<const uint8_t> bytes, ValueInfo& info) {
  Reader r(bytes);
  int64_t value = -1;
  std::string param;
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    if (field == 1 && wt == protobuf::kVarint) {
      CAIRN_RETURN_IF_ERROR(r.read_int64(value));
    } else if (field == 2 && wt == protobuf::kLengthDelimited) {
      CAIRN_RETURN_IF_ERROR(r.read_string(param));
    } else {
      CAIRN_RETURN_IF_ERROR(r.skip(wt));
    }
  }
  info.dims.push_back(value < 0 ? -1 : value);
  info.dim_names.push_back(param);
  return Status::ok();
}

Status parse_tensor_type(std::span<const uint8_t> bytes, ValueInfo& info) {
  Reader r(bytes);
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    if (field == 1 && wt == protobuf::kVarint) {
      int64_t v = 0;
      CAIRN_RETURN_IF_ERROR(r.read_int64(v));
      info.type = DataType(v);
    } else if (field == 2 && wt == protobuf::kLengthDelimited) {
      std::span<const uint8_t> shape;
      CAIRN_RETURN_IF_ERROR(r.read_bytes(shape));
      info.has_shape = true;
      Reader s(shape);
      while (!s.at_end()) {
        uint32_t f = 0, w = 0;
        CAIRN_RETURN_IF_ERROR(s.next_field(f, w));
        if (f == 1 && w == protobuf::kLengthDelimited) {
          std::span<const uint8_t> dim;
          CAIRN_RETURN_IF_ERROR(s.read_bytes(dim));
          CAIRN_RETURN_IF_ERROR(parse_dimension(dim, info));
        } else {
          CAIRN_RETURN_IF_ERROR(s.skip(w));
        }
      }
    } else {
      CAIRN_RETURN_IF_ERROR(r.skip(wt));
    }
  }
  return Status::ok();
}

Status parse_value_info(std::span<const uint8_t> bytes, ValueInfo& info) {
  Reader r(bytes);
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    if (field == 1 && wt == protobuf::kLengthDelimited) {
      CAIRN_RETURN_IF_ERROR(r.read_string(info.name));
    } else if (field == 2 && wt == protobuf::kLengthDelimited) {
      std::span<const uint8_t> type;
      CAIRN_RETURN_IF_ERROR(r.read_bytes(type));
      Reader t(type);
      while (!t.at_end()) {
        uint32_t f = 0, w = 0;
        CAIRN_RETURN_IF_ERROR(t.next_field(f, w));
        if (f == 1 && w == protobuf::kLengthDelimited) {
          std::span<const uint8_t> tensor_type;
          CAIRN_RETURN_IF_ERROR(t.read_bytes(tensor_type));
          CAIRN_RETURN_IF_ERROR(parse_tensor_type(tensor_type, info));
        } else if (f == 4 || f == 5 || f == 8 || f == 9) {
          info.non_tensor_kind = f == 4 ? "sequence" : f == 5 ? "map" : f == 8 ? "sparse tensor" : "optional";
          CAIRN_RETURN_IF_ERROR(t.skip(w));
        } else {
          CAIRN_RETURN_IF_ERROR(t.skip(w));
        }
      }
    } else {
      CAIRN_RETURN_IF_ERROR(r.skip(wt));
    }
  }
  return Status::ok();
}

Status parse_attribute(std::span<const uint8_t> bytes, std::string& name, Attribute& a, const LoadLimits& limits) {
  Reader r(bytes);
  int64_t declared_type = 0;
  bool has_f = false, has_i = false, has_s = false, has_t = false, has_g = false;
  int n_strings = 0;
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    switch (field) {
      case 1: CAIRN_RETURN_IF_ERROR(r.read_string(name)); break;
      case 20: CAIRN_RETURN_IF_ERROR(r.read_int64(declared_type)); break;
      case 2: CAIRN_RETURN_IF_ERROR(r.read_float(a.f)); has_f = true; break;
      case 3: CAIRN_RETURN_IF_ERROR(r.read_int64(a.i)); has_i = true; break;
      case 4: CAIRN_RETURN_IF_ERROR(r.read_string(a.s)); has_s = true; break;
      case 5: {
        std::span<const uint8_t> t;
        CAIRN_RETURN_IF_ERROR(r.read_bytes(t));
        auto tensor = parse_tensor(t, limits);
        if (!tensor.is_ok()) return tensor.status().with_context("attribute '" + name + "'");
        a.tensor = std::make_shared<ConstTensor>(std::move(tensor).value());
        has_t = true;
        break;
      }
      case 6: CAIRN_RETURN_IF_ERROR(r.skip(wt)); has_g = true; break;
      case 7: CAIRN_RETURN_IF_ERROR(r.read_repeated_float(wt, a.floats)); break;
      case 8: CAIRN_RETURN_IF_ERROR(r.read_repeated_int64(wt, a.ints)); break;
      case 9: {
        std::string s;
        CAIRN_RETURN_IF_ERROR(r.read_string(s));
        a.strings.push_back(std::move(s));
        ++n_strings;
        break;
      }
      default: CAIRN_RETURN_IF_ERROR(r.skip(wt)); break;
    }
  }
  using K = Attribute::Kind;
  switch (declared_type) {
    case 1: a.kind = K::kFloat; break;
    case 2: a.kind = K::kInt; break;
    case 3: a.kind = K::kString; break;
    case 4: a.kind = K::kTensor; break;
    case 5: a.kind = K::kGraph; break;
    case 6: a.kind = K::kFloats; break;
    case 7: a.kind = K::kInts; break;
    case 8: a.kind = K::kStrings; break;
    case 0:  // IR < 3 files may omit the type: infer it from the field that is set
      if (has_f) a.kind = K::kFloat;
      else if (has_i) a.kind = K::kInt;
      else if (has_s) a.kind = K::kString;
      else if (has_t) a.kind = K::kTensor;
      else if (has_g) a.kind = K::kGraph;
      else if (!a.floats.empty()) a.kind = K::kFloats;
      else if (!a.ints.empty()) a.kind = K::kInts;
      else if (n_strings > 0) a.kind = K::kStrings;
      break;
    default: a.kind = K::kOther; break;
  }
  if (a.kind == K::kTensor && !a.tensor) return invalid_model("attribute '" + name + "' is a tensor without a value");
  return Status::ok();
}

struct RawNode {
  Node node;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

Status parse_node(std::span<const uint8_t> bytes, RawNode& out, const LoadLimits& limits) {
  Reader r(bytes);
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    switch (field) {
      case 1: out.inputs.emplace_back(); CAIRN_RETURN_IF_ERROR(r.read_string(out.inputs.back())); break;
      case 2: out.outputs.emplace_back(); CAIRN_RETURN_IF_ERROR(r.read_string(out.outputs.back())); break;
      case 3: CAIRN_RETURN_IF_ERROR(r.read_string(out.node.name)); break;
      case 4: CAIRN_RETURN_IF_ERROR(r.read_string(out.node.op_type)); break;
      case 7: CAIRN_RETURN_IF_ERROR(r.read_string(out.node.domain)); break;
      case 5: {
        std::span<const uint8_t> attr;
        CAIRN_RETURN_IF_ERROR(r.read_bytes(attr));
        std::string name;
        Attribute a;
        CAIRN_RETURN_IF_ERROR(parse_attribute(attr, name, a, limits));
        out.node.attributes[name] = std::move(a);
        break;
      }
      default: CAIRN_RETURN_IF_ERROR(r.skip(wt)); break;
    }
  }
  if (out.node.domain == "ai.onnx") out.node.domain.clear();
  return Status::ok();
}

struct RawGraph {
  std::vector<RawNode> nodes;
  std::vector<ConstTensor> initializers;
  std::vector<std::string> initializer_names;
  std::vector<ValueInfo> inputs, outputs, value_infos;
  bool has_sparse_initializer = false;
};

Status parse_graph(std::span<const uint8_t> bytes, RawGraph& g, const LoadLimits& limits) {
  Reader r(bytes);
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    CAIRN_RETURN_IF_ERROR(r.next_field(field, wt));
    if (wt != protobuf::kLengthDelimited) {
      CAIRN_RETURN_IF_ERROR(r.skip(wt));
      continue;
    }
    std::span<const uint8_t> sub;
    CAIRN_RETURN_IF_ERROR(r.read_bytes(sub));
    switch (field) {
      case 1: {
        RawNode n;
        Status s = parse_node(sub, n, limits);
        if (!s.is_ok()) return s.with_context("node #" + std::to_string(g.nodes.size()));
        g.nodes.push_back(std::move(n));
        break;
      }
      case 5: {
        RawTensor raw;
        CAIRN_RETURN_IF_ERROR(parse_raw_tensor(sub, raw));
        auto t = decode_tensor(raw, limits);
        if (!t.is_ok()) return t.status().with_context("initializer");
        g.initializers.push_back(std::move(t).value());
        g.initializer_names.push_back(raw.name);
        break;
      }
      case 15: g.has_sparse_initializer = true; break;
      case 11: g.inputs.emplace_back(); CAIRN_RETURN_IF_ERROR(parse_value_info(sub, g.inputs.back())); break;
      case 12: g.outputs.emplace_back(); CAIRN_RETURN_IF_ERROR(parse_value_info(sub, g.outputs.back())); break;
      case 13: g.value_infos.emplace_back(); CAIRN_RETURN_IF_ERROR(parse_value_info(sub, g.value_infos.back())); break;
      default: break;
    }
  }
  return Status::ok();
}

// A Constant node's value as a tensor.
Result<ConstTensor> constant_value(const Node& node) {
  if (const Attribute* a = node.find_attr("value"); a != nullptr && a->kind == Attribute::Kind::kTensor) {
    return *a->tensor;
  }
  if (const Attribute* a = node.find_attr("value_float"); a != nullptr) {
    return ConstTensor::from_floats({}, {a->f});
  }
  if (const Attribute* a = node.find_attr("value_floats"); a != nullptr) {
    return ConstTensor::from_floats({int64_t(a->floats.size())}, a->floats);
  }
  if (const Attribute* a = node.find_attr("value_int"); a != nullptr) {
    return ConstTensor::from_ints({}, {a->i});
  }
  if (const Attribute* a = node.find_attr("value_ints"); a != nullptr) {
    return ConstTensor::from_ints({int64_t(a->ints.size())}, a->ints);
  }
  if (node.has_attr("sparse_value")) return unsupported(node.describe() + ": sparse constants are not supported");
  if (node.has_attr("value_string") || node.has_attr("value_strings")) {
    return unsupported(node.describe() + ": string constants are not supported");
  }
  return invalid_model(node.describe() + " has no value attribute");
}

Status build_graph(RawGraph& raw, Graph& graph) {
  std::map<std::string, int> by_name;
  auto define = [&](const std::string& name) -> Result<int> {
    if (by_name.count(name) != 0) return invalid_model("tensor '" + name + "' is defined more than once");
    Value v;
    v.name = name;
    int id = graph.add_value(std::move(v));
    by_name[name] = id;
    return id;
  };

  for (size_t i = 0; i < raw.initializers.size(); ++i) {
    const std::string& name = raw.initializer_names[i];
    if (name.empty()) return invalid_model("an initializer has no name");
    CAIRN_ASSIGN_OR_RETURN(int id, define(name));
    graph.values[size_t(id)].type = raw.initializers[i].type;
    graph.values[size_t(id)].initializer = true;
    graph.values[size_t(id)].constant = std::make_shared<ConstTensor>(std::move(raw.initializers[i]));
  }
  auto apply_info = [](Value& v, const ValueInfo& info) {
    if (info.type != DataType::kUndefined) v.type = info.type;
    if (info.has_shape) {
      v.has_declared_shape = true;
      v.declared_dims = info.dims;
      v.dim_names = info.dim_names;
    }
  };
  for (const ValueInfo& info : raw.inputs) {
    auto it = by_name.find(info.name);
    if (it != by_name.end()) {  // an input with a default value (initializer): IR < 4 style, a constant
      if (graph.values[size_t(it->second)].constant == nullptr) {
        return invalid_model("graph input '" + info.name + "' is listed twice");
      }
      continue;
    }
    if (info.name.empty()) return invalid_model("a graph input has no name");
    if (!info.non_tensor_kind.empty()) {
      return unsupported("graph input '" + info.name + "' is a " + info.non_tensor_kind + "; Cairn takes tensors");
    }
    CAIRN_ASSIGN_OR_RETURN(int id, define(info.name));
    apply_info(graph.values[size_t(id)], info);
    graph.inputs.push_back(id);
  }

  // Nodes: define outputs, turn Constant nodes into constant values.
  std::vector<Node> nodes;
  std::vector<std::vector<std::string>> node_inputs;
  for (RawNode& rn : raw.nodes) {
    if (rn.node.name.empty()) {
      rn.node.name = rn.outputs.empty() ? rn.node.op_type + "_" + std::to_string(nodes.size()) : rn.outputs[0];
    }
    if (rn.node.op_type.empty()) return invalid_model("node '" + rn.node.name + "' has no operator type");
    if (rn.node.domain.empty() && rn.node.op_type == "Constant") {
      if (rn.outputs.size() != 1 || rn.outputs[0].empty()) return invalid_model(rn.node.describe() + " needs one output");
      auto value = constant_value(rn.node);
      if (!value.is_ok()) return value.status();
      CAIRN_ASSIGN_OR_RETURN(int id, define(rn.outputs[0]));
      graph.values[size_t(id)].type = value->type;
      graph.values[size_t(id)].constant = std::make_shared<ConstTensor>(std::move(value).value());
      continue;
    }
    for (const std::string& out : rn.outputs) {
      if (out.empty()) {
        rn.node.outputs.push_back(-1);
        continue;
      }
      auto id = define(out);
      if (!id.is_ok()) return id.status().with_context(rn.node.describe());
      rn.node.outputs.push_back(*id);
    }
    node_inputs.push_back(rn.inputs);
    nodes.push_back(std::move(rn.node));
  }
  // Resolve inputs now that every producer is known (nodes may be listed out of order).
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (const std::string& in : node_inputs[n]) {
      if (in.empty()) {
        nodes[n].inputs.push_back(-1);
        continue;
      }
      auto it = by_name.find(in);
      if (it == by_name.end()) {
        return invalid_model(nodes[n].describe() + " reads '" + in +
                             "', which no node, initializer or graph input produces");
      }
      nodes[n].inputs.push_back(it->second);
    }
    for (int out : nodes[n].outputs) {
      if (out >= 0) graph.values[size_t(out)].producer = int(n);
    }
  }
  for (const ValueInfo& info : raw.value_infos) {
    auto it = by_name.find(info.name);
    if (it != by_name.end()) apply_info(graph.values[size_t(it->second)], info);
  }
  for (const ValueInfo& info : raw.outputs) {
    auto it = by_name.find(info.name);
    if (it == by_name.end()) return invalid_model("graph output '" + info.name + "' is not produced by any node");
    if (!info.non_tensor_kind.empty()) {
      return unsupported("graph output '" + info.name + "' is a " + info.non_tensor_kind + "; Cairn computes tensors");
    }
    apply_info(graph.values[size_t(it->second)], info);
    graph.outputs.push_back(it->second);
  }
  if (graph.outputs.empty()) return invalid_model("the graph has no outputs");

  // Topological order (Kahn), which also finds cycles.
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> consumers(graph.values.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    std::set<int> seen;
    for (int in : nodes[n].inputs) {
      if (in < 0 || graph.values[size_t(in)].producer < 0 || !seen.insert(in).second) continue;
      ++pending[n];
      consumers[size_t(in)].push_back(int(n));
    }
  }
  std::vector<int> order;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (pending[n] == 0) order.push_back(int(n));
  }
  for (size_t k = 0; k < order.size(); ++k) {
    for (int out : nodes[size_t(order[k])].outputs) {
      if (out < 0) continue;
      for (int c : consumers[size_t(out)]) {
        if (--pending[size_t(c)] == 0) order.push_back(c);
      }
    }
  }
  if (order.size() != nodes.size()) {
    for (size_t n = 0; n < nodes.size(); ++n) {
      if (pending[n] > 0) return invalid_model("the graph has a cycle through " + nodes[n].describe());
    }
  }
  std::vector<int> new_index(nodes.size());
  for (size_t k = 0; k < order.size(); ++k) new_index[size_t(order[k])] = int(k);
  for (int n : order) graph.nodes.push_back(std::move(nodes[size_t(n)]));
  for (Value& v : graph.values) {
    if (v.producer >= 0) v.producer = new_index[size_t(v.producer)];
  }
  return Status::ok();
}

}  // namespace

Result<ConstTensor> parse_tensor_proto(std::span<const uint8_t> bytes, const LoadLimits& limits) {
  return parse_tensor(bytes, limits);
}

Result<Graph> load_onnx_graph(std::span<const uint8_t> bytes, const LoadLimits& limits) {
  if (bytes.empty()) return invalid_model("the file is empty");
  Graph graph;
  Reader r(bytes);
  std::span<const uint8_t> graph_bytes;
  bool has_graph = false, has_default_opset = false;
  while (!r.at_end()) {
    uint32_t field = 0, wt = 0;
    Status s = r.next_field(field, wt);
    if (!s.is_ok()) return s.with_context("not an ONNX model (bad protobuf)");
    switch (field) {
      case 1: CAIRN_RETURN_IF_ERROR(r.read_int64(graph.ir_version)); break;
      case 2: CAIRN_RETURN_IF_ERROR(r.read_string(graph.producer_name)); break;
      case 3: CAIRN_RETURN_IF_ERROR(r.read_string(graph.producer_version)); break;
      case 7: CAIRN_RETURN_IF_ERROR(r.read_bytes(graph_bytes)); has_graph = true; break;
      case 8: {
        std::span<const uint8_t> sub;
        CAIRN_RETURN_IF_ERROR(r.read_bytes(sub));
        Reader o(sub);
        std::string domain;
        int64_t version = 0;
        while (!o.at_end()) {
          uint32_t f = 0, w = 0;
          CAIRN_RETURN_IF_ERROR(o.next_field(f, w));
          if (f == 1 && w == protobuf::kLengthDelimited) CAIRN_RETURN_IF_ERROR(o.read_string(domain));
          else if (f == 2 && w == protobuf::kVarint) CAIRN_RETURN_IF_ERROR(o.read_int64(version));
          else CAIRN_RETURN_IF_ERROR(o.skip(w));
        }
        if (domain.empty() || domain == "ai.onnx") {
          graph.opset = version;
          has_default_opset = true;
        }
        break;
      }
      case 14: {
        std::span<const uint8_t> sub;
        CAIRN_RETURN_IF_ERROR(r.read_bytes(sub));
        Reader e(sub);
        std::string key, value;
        while (!e.at_end()) {
          uint32_t f = 0, w = 0;
          CAIRN_RETURN_IF_ERROR(e.next_field(f, w));
          if (f == 1 && w == protobuf::kLengthDelimited) CAIRN_RETURN_IF_ERROR(e.read_string(key));
          else if (f == 2 && w == protobuf::kLengthDelimited) CAIRN_RETURN_IF_ERROR(e.read_string(value));
          else CAIRN_RETURN_IF_ERROR(e.skip(w));
        }
        graph.metadata.emplace_back(std::move(key), std::move(value));
        break;
      }
      default: {
        Status sk = r.skip(wt);
        if (!sk.is_ok()) return sk.with_context("not an ONNX model (bad protobuf)");
        break;
      }
    }
  }
  if (!has_graph) return invalid_model("not an ONNX model: no graph found (is the file truncated or of another format?)");
  if (graph.ir_version < 3) {
    return unsupported("ONNX ir_version " + std::to_string(graph.ir_version) + " is not supported (3 to 10 are)");
  }
  if (graph.ir_version > 10) {
    return unsupported("ONNX ir_version " + std::to_string(graph.ir_version) + " is newer than Cairn reads (3 to 10)");
  }
  if (!has_default_opset) return invalid_model("the model imports no opset of the default ONNX domain");
  if (graph.opset < 7 || graph.opset > 21) {
    return unsupported("opset " + std::to_string(graph.opset) + " of the ONNX domain is not supported (7 to 18 are; "
                       "19 to 21 are accepted for the operators whose semantics did not change)");
  }
  RawGraph raw;
  CAIRN_RETURN_IF_ERROR(parse_graph(graph_bytes, raw, limits));
  if (raw.has_sparse_initializer) return unsupported("sparse initializers are not supported");
  CAIRN_RETURN_IF_ERROR(build_graph(raw, graph));
  return graph;
}

}  // namespace cairn
