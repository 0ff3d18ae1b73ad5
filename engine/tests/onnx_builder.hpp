// Builds serialized ONNX models in tests without libprotobuf or Python: a tiny protobuf writer and helpers
// for the ModelProto fields the loader reads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace cairn::testing {

class ProtoWriter {
 public:
  ProtoWriter& varint(uint32_t field, uint64_t v) {
    key(field, 0);
    put_varint(v);
    return *this;
  }
  ProtoWriter& fixed32(uint32_t field, float f) {
    key(field, 5);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    for (int i = 0; i < 4; ++i) bytes_.push_back(uint8_t(bits >> (8 * i)));
    return *this;
  }
  ProtoWriter& bytes(uint32_t field, const std::string& s) {
    key(field, 2);
    put_varint(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  ProtoWriter& message(uint32_t field, const ProtoWriter& m) { return bytes(field, m.str()); }
  ProtoWriter& packed_int64(uint32_t field, const std::vector<int64_t>& v) {
    ProtoWriter inner;
    for (int64_t x : v) inner.put_varint(uint64_t(x));
    return bytes(field, inner.str());
  }
  std::string str() const { return std::string(bytes_.begin(), bytes_.end()); }
  std::vector<uint8_t> data() const { return bytes_; }

 private:
  void key(uint32_t field, uint32_t wire) { put_varint(uint64_t(field) << 3 | wire); }
  void put_varint(uint64_t v) {
    while (v >= 0x80) {
      bytes_.push_back(uint8_t(v | 0x80));
      v >>= 7;
    }
    bytes_.push_back(uint8_t(v));
  }
  std::vector<uint8_t> bytes_;
};

// TensorProto with float raw_data.
inline ProtoWriter float_tensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  ProtoWriter t;
  for (int64_t d : dims) t.varint(1, uint64_t(d));
  t.varint(2, 1);
  t.bytes(8, name);
  t.bytes(9, std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
  return t;
}

inline ProtoWriter int64_tensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
  ProtoWriter t;
  for (int64_t d : dims) t.varint(1, uint64_t(d));
  t.varint(2, 7);
  t.bytes(8, name);
  t.packed_int64(7, v);
  return t;
}

// ValueInfoProto for a float tensor; a negative dim is symbolic ("N").
inline ProtoWriter value_info(const std::string& name, const std::vector<int64_t>& dims, int elem_type = 1) {
  ProtoWriter shape;
  for (int64_t d : dims) {
    ProtoWriter dim;
    if (d >= 0) dim.varint(1, uint64_t(d));
    else dim.bytes(2, "N");
    shape.message(1, dim);
  }
  ProtoWriter tensor_type;
  tensor_type.varint(1, uint64_t(elem_type));
  tensor_type.message(2, shape);
  ProtoWriter type;
  type.message(1, tensor_type);
  ProtoWriter vi;
  vi.bytes(1, name);
  vi.message(2, type);
  return vi;
}

struct AttrSpec {
  std::string name;
  int type = 0;  // 1 float, 2 int, 3 string, 4 tensor, 7 ints
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<int64_t> ints;
  ProtoWriter tensor;
};

inline AttrSpec make_attr(const std::string& n, int type) {
  AttrSpec a;
  a.name = n;
  a.type = type;
  return a;
}
inline AttrSpec int_attr(const std::string& n, int64_t v) { AttrSpec a = make_attr(n, 2); a.i = v; return a; }
inline AttrSpec float_attr(const std::string& n, float v) { AttrSpec a = make_attr(n, 1); a.f = v; return a; }
inline AttrSpec ints_attr(const std::string& n, std::vector<int64_t> v) { AttrSpec a = make_attr(n, 7); a.ints = std::move(v); return a; }
inline AttrSpec tensor_attr(const std::string& n, ProtoWriter t) { AttrSpec a = make_attr(n, 4); a.tensor = std::move(t); return a; }

inline ProtoWriter node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::vector<AttrSpec>& attrs = {},
                        const std::string& name = "") {
  ProtoWriter n;
  for (const auto& in : inputs) n.bytes(1, in);
  for (const auto& out : outputs) n.bytes(2, out);
  n.bytes(3, name.empty() ? outputs.at(0) + "_node" : name);
  n.bytes(4, op);
  for (const AttrSpec& a : attrs) {
    ProtoWriter w;
    w.bytes(1, a.name);
    w.varint(20, uint64_t(a.type));
    if (a.type == 1) w.fixed32(2, a.f);
    if (a.type == 2) w.varint(3, uint64_t(a.i));
    if (a.type == 3) w.bytes(4, a.s);
    if (a.type == 4) w.message(5, a.tensor);
    if (a.type == 7) w.packed_int64(8, a.ints);
    n.message(5, w);
  }
  return n;
}

struct GraphSpec {
  std::vector<ProtoWriter> nodes, initializers, inputs, outputs;
  int64_t ir_version = 8;
  int64_t opset = 17;
  std::vector<std::pair<std::string, std::string>> metadata;
};

inline std::vector<uint8_t> build_model(const GraphSpec& spec) {
  ProtoWriter g;
  for (const auto& n : spec.nodes) g.message(1, n);
  g.bytes(2, "test-graph");
  for (const auto& t : spec.initializers) g.message(5, t);
  for (const auto& i : spec.inputs) g.message(11, i);
  for (const auto& o : spec.outputs) g.message(12, o);
  ProtoWriter opset;
  opset.bytes(1, "");
  opset.varint(2, uint64_t(spec.opset));
  ProtoWriter m;
  m.varint(1, uint64_t(spec.ir_version));
  m.bytes(2, "cairn-tests");
  m.message(7, g);
  m.message(8, opset);
  for (const auto& [k, v] : spec.metadata) {
    ProtoWriter e;
    e.bytes(1, k);
    e.bytes(2, v);
    m.message(14, e);
  }
  return m.data();
}

}  // namespace cairn::testing
