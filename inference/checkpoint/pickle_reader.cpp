#include "inference/checkpoint/pickle_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "inference/checkpoint/byte_cursor.h"
#include "inference/checkpoint/checked_arithmetic.h"
#include "inference/checkpoint/format_error.h"

namespace shape::checkpoint_detail {
namespace {

// Far above what torch writes for any real state dict (text_cond.pt: ~10k objects); they bound the
// memory a hostile pickle can make us use. Every opcode also consumes at least one byte, so parsing
// always terminates.
constexpr size_t kMaxObjects = size_t{1} << 20;
constexpr size_t kMaxStackDepth = size_t{1} << 20;
constexpr size_t kMaxMemoEntries = size_t{1} << 20;
constexpr size_t kMaxGlobalNameLength = 256;
constexpr size_t kMaxStorageKeyLength = 256;  // torch writes decimal numbers
constexpr size_t kMaxTensorDims = 16;
constexpr int kHighestProtocol = 5;
// TorchScript module trees: nesting depth and the number of (object, path) visits, which bounds a
// hostile pickle that shares objects so that the paths multiply.
constexpr size_t kMaxModuleDepth = 256;
constexpr size_t kMaxModuleVisits = size_t{1} << 20;
constexpr std::string_view kScriptClassPrefix = "__torch__.";

namespace op {
constexpr uint8_t kMark = '(';
constexpr uint8_t kStop = '.';
constexpr uint8_t kPop = '0';
constexpr uint8_t kPopMark = '1';
constexpr uint8_t kDup = '2';
constexpr uint8_t kBinFloat = 'G';
constexpr uint8_t kBinInt = 'J';
constexpr uint8_t kBinInt1 = 'K';
constexpr uint8_t kBinInt2 = 'M';
constexpr uint8_t kNone = 'N';
constexpr uint8_t kBinPersId = 'Q';
constexpr uint8_t kReduce = 'R';
constexpr uint8_t kBinUnicode = 'X';
constexpr uint8_t kBinBytes = 'B';
constexpr uint8_t kShortBinBytes = 'C';
constexpr uint8_t kEmptyList = ']';
constexpr uint8_t kAppend = 'a';
constexpr uint8_t kBuild = 'b';
constexpr uint8_t kGlobal = 'c';
constexpr uint8_t kDict = 'd';
constexpr uint8_t kEmptyDict = '}';
constexpr uint8_t kAppends = 'e';
constexpr uint8_t kBinGet = 'h';
constexpr uint8_t kLongBinGet = 'j';
constexpr uint8_t kList = 'l';
constexpr uint8_t kBinPut = 'q';
constexpr uint8_t kLongBinPut = 'r';
constexpr uint8_t kSetItem = 's';
constexpr uint8_t kTuple = 't';
constexpr uint8_t kEmptyTuple = ')';
constexpr uint8_t kSetItems = 'u';
constexpr uint8_t kProto = 0x80;
constexpr uint8_t kNewObj = 0x81;
constexpr uint8_t kTuple1 = 0x85;
constexpr uint8_t kTuple2 = 0x86;
constexpr uint8_t kTuple3 = 0x87;
constexpr uint8_t kNewTrue = 0x88;
constexpr uint8_t kNewFalse = 0x89;
constexpr uint8_t kLong1 = 0x8a;
constexpr uint8_t kLong4 = 0x8b;
constexpr uint8_t kShortBinUnicode = 0x8c;
constexpr uint8_t kBinUnicode8 = 0x8d;
constexpr uint8_t kBinBytes8 = 0x8e;
constexpr uint8_t kStackGlobal = 0x93;
constexpr uint8_t kMemoize = 0x94;
constexpr uint8_t kFrame = 0x95;
}  // namespace op

using ObjectId = uint32_t;

enum class Kind : uint8_t {
  None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor, ScriptObject
};

// The whitelisted globals; anything else is rejected when the GLOBAL opcode names it.
// ScriptClass (a `__torch__.*` class) only in TorchScript module mode.
enum class Global : uint8_t { OrderedDict, RebuildTensorV2, RebuildParameter, RestoreTypeTag, StorageType, ScriptClass };

struct Object {
  Kind kind = Kind::None;
  Global global = Global::OrderedDict;              // Kind::Global
  ElementType storage_type = ElementType::Float32;  // Kind::Global with Global::StorageType
  // Bool/Int: the value; String/Bytes/Tuple/List/Dict/Storage/Tensor/ScriptObject: pool index;
  // Global::ScriptClass: index of its qualified name in the string pool.
  int64_t value = 0;
  double real = 0;  // Float
};

// Tensors and storages refer to other objects by id rather than copying them, so a pickle that
// rebuilds many tensors from one memoized argument tuple cannot multiply its memory use.
struct TensorObject {
  ObjectId storage = 0;
  uint64_t storage_offset = 0;
  ObjectId sizes = 0;  // tuples of non-negative ints, checked when the tensor was rebuilt
  ObjectId strides = 0;
};

struct StorageObject {
  ObjectId key = 0;  // a str
  ElementType element_type = ElementType::Float32;
  uint64_t numel = 0;
};

// An instance of a TorchScript class: only its attribute dict matters, set once by BUILD.
struct ScriptObjectData {
  ObjectId class_global = 0;
  std::optional<ObjectId> attributes;  // a dict of attribute name -> value
};

// Kind::Bool / Kind::Int objects, and others whose `value` is a pool index.
Object object_of(Kind kind, int64_t value = 0) {
  Object object;
  object.kind = kind;
  object.value = value;
  return object;
}

// With its article, for messages: "an int", "a dict".
const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "a bool";
    case Kind::Int: return "an int";
    case Kind::Float: return "a float";
    case Kind::String: return "a str";
    case Kind::Bytes: return "a bytes object";
    case Kind::Tuple: return "a tuple";
    case Kind::List: return "a list";
    case Kind::Dict: return "a dict";
    case Kind::Global: return "a global";
    case Kind::Storage: return "a storage";
    case Kind::Tensor: return "a tensor";
    case Kind::ScriptObject: return "a TorchScript object";
  }
  return "an object";
}

std::string describe_opcode(uint8_t opcode) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  text += kDigits[opcode >> 4];
  text += kDigits[opcode & 0xF];
  if (opcode >= 0x20 && opcode < 0x7f) text += std::string(" ('") + static_cast<char>(opcode) + "')";
  return text;
}

std::string format_dims(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

std::optional<Object> resolve_global(std::string_view module, std::string_view name) {
  Object object;
  object.kind = Kind::Global;
  // The caller decides whether TorchScript classes are allowed and records their names.
  if (module.substr(0, kScriptClassPrefix.size()) == kScriptClassPrefix && !name.empty()) {
    object.global = Global::ScriptClass;
    return object;
  }
  if (module == "collections" && name == "OrderedDict") {
    object.global = Global::OrderedDict;
    return object;
  }
  if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    object.global = Global::RebuildTensorV2;
    return object;
  }
  if (module == "torch._utils" && name == "_rebuild_parameter") {
    object.global = Global::RebuildParameter;
    return object;
  }
  // LibTorch's torch::pickle_save tags typed containers with it; it returns its first argument.
  if (module == "torch.jit._pickle" && name == "restore_type_tag") {
    object.global = Global::RestoreTypeTag;
    return object;
  }
  if (module == "torch") {
    if (const auto type = element_type_from_torch_storage(name)) {
      object.global = Global::StorageType;
      object.storage_type = *type;
      return object;
    }
  }
  return std::nullopt;
}

// Throws unless every element the view reaches lies inside its storage, so as_strided is safe later.
void check_view_inside_storage(const PickledTensor& tensor) {
  const uint64_t numel = tensor.storage.numel;
  const auto fail = [&](const std::string& why) {
    throw FormatError("tensor '" + printable(tensor.name) + "' (offset " + std::to_string(tensor.storage_offset) +
                      ", size " + format_dims(tensor.sizes) + ", stride " + format_dims(tensor.strides) + ") " + why +
                      " of storage '" + printable(tensor.storage.key) + "' with " + std::to_string(numel) +
                      " elements");
  };
  for (const int64_t size : tensor.sizes) {
    if (size == 0) {
      if (tensor.storage_offset > numel) fail("starts past the end");
      return;  // no element is reachable
    }
  }
  uint64_t last_index = tensor.storage_offset;
  for (size_t dim = 0; dim < tensor.sizes.size(); ++dim) {
    const uint64_t span = checked_multiply(static_cast<uint64_t>(tensor.sizes[dim] - 1),
                                           static_cast<uint64_t>(tensor.strides[dim]), "tensor view extent");
    last_index = checked_add(last_index, span, "tensor view extent");
  }
  if (last_index >= numel) fail("reaches element " + std::to_string(last_index) + ", past the end");
}

class RestrictedUnpickler {
 public:
  RestrictedUnpickler(const uint8_t* data, size_t size, bool allow_script_classes)
      : input_(data, size, "data.pkl"), allow_script_classes_(allow_script_classes) {
    none_ = make(object_of(Kind::None));
    false_ = make(object_of(Kind::Bool, 0));
    true_ = make(object_of(Kind::Bool, 1));
  }

  // Runs the opcodes up to STOP and returns the pickled object.
  ObjectId run() {
    while (true) {
      if (input_.at_end()) throw FormatError("data.pkl ends without a STOP opcode (truncated)");
      const size_t offset = input_.position();
      const uint8_t opcode = input_.u8();
      try {
        if (opcode == op::kStop) return finish();
        execute(opcode);
      } catch (const FormatError& error) {
        throw FormatError(std::string(error.what()) + " (data.pkl opcode " + describe_opcode(opcode) + " at byte " +
                          std::to_string(offset) + ")");
      }
    }
  }

  std::vector<PickledTensor> state_dict(ObjectId root) const {
    const Object& container = objects_[root];
    if (container.kind != Kind::Dict) {
      throw FormatError(std::string("data.pkl holds ") + kind_name(container.kind) +
                        ", not a dict of tensors (a state dict)");
    }
    const std::vector<ObjectId>& items = sequences_[container.value];
    std::vector<PickledTensor> tensors;
    tensors.reserve(items.size() / 2);
    std::unordered_set<std::string> names;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      const Object& key = objects_[items[i]];
      const Object& value = objects_[items[i + 1]];
      if (key.kind != Kind::String) {
        throw FormatError(std::string("the state dict has a key that is ") + kind_name(key.kind) + ", not a str");
      }
      const std::string& name = strings_[key.value];
      if (value.kind != Kind::Tensor) {
        throw FormatError("state dict entry '" + printable(name) + "' is " + kind_name(value.kind) +
                          ", not a tensor; a state dict holds only tensors at its top level (for a training "
                          "checkpoint, save its model state dict instead)");
      }
      if (!names.insert(name).second) throw FormatError("duplicate state dict entry '" + printable(name) + "'");
      tensors.push_back(pickled_tensor(name, tensors_[value.value]));
    }
    return tensors;
  }

  // The tensor attributes of a TorchScript module tree, by attribute path.
  std::vector<PickledTensor> script_module(ObjectId root) const {
    if (objects_[root].kind != Kind::ScriptObject) {
      throw FormatError(std::string("data.pkl holds ") + kind_name(objects_[root].kind) +
                        ", not a TorchScript module");
    }
    std::vector<PickledTensor> tensors;
    std::vector<ObjectId> path_objects;
    size_t visits = 0;
    collect_module_tensors(root, "", path_objects, visits, tensors);
    return tensors;
  }

 private:
  void collect_module_tensors(ObjectId object_id, const std::string& prefix, std::vector<ObjectId>& path_objects,
                              size_t& visits, std::vector<PickledTensor>& tensors) const {
    if (++visits > kMaxModuleVisits) throw FormatError("TorchScript module tree too large");
    if (path_objects.size() >= kMaxModuleDepth) throw FormatError("TorchScript module tree nested too deeply");
    if (std::find(path_objects.begin(), path_objects.end(), object_id) != path_objects.end()) {
      throw FormatError("TorchScript module '" + printable(prefix) + "' contains itself");
    }
    const ScriptObjectData& object = script_objects_[objects_[object_id].value];
    if (!object.attributes) {
      throw FormatError("TorchScript object '" + printable(prefix) + "' of class '" +
                        printable(strings_[objects_[object.class_global].value]) + "' has no attributes (no BUILD)");
    }
    path_objects.push_back(object_id);
    const std::vector<ObjectId>& items = sequences_[objects_[*object.attributes].value];
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      const std::string& name = string_of(items[i], "TorchScript attribute name");
      if (name.empty() || name.find('.') != std::string::npos) {
        throw FormatError("TorchScript attribute name '" + printable(name) + "' is empty or contains '.'");
      }
      const std::string path = prefix + name;
      const Object& value = objects_[items[i + 1]];
      if (value.kind == Kind::ScriptObject) {
        collect_module_tensors(items[i + 1], path + ".", path_objects, visits, tensors);
      } else if (value.kind == Kind::Tensor) {
        tensors.push_back(pickled_tensor(path, tensors_[value.value]));
      }
    }
    path_objects.pop_back();
  }

  PickledTensor pickled_tensor(const std::string& name, const TensorObject& tensor) const {
    const StorageObject& storage = storages_[objects_[tensor.storage].value];
    PickledTensor result;
    result.name = name;
    result.storage.key = strings_[objects_[storage.key].value];
    result.storage.element_type = storage.element_type;
    result.storage.numel = storage.numel;
    result.storage_offset = tensor.storage_offset;
    for (const ObjectId size : sequences_[objects_[tensor.sizes].value]) result.sizes.push_back(objects_[size].value);
    for (const ObjectId stride : sequences_[objects_[tensor.strides].value]) {
      result.strides.push_back(objects_[stride].value);
    }
    check_view_inside_storage(result);
    return result;
  }

  void execute(uint8_t opcode) {
    switch (opcode) {
      case op::kProto: {
        const uint8_t protocol = input_.u8();
        if (protocol > kHighestProtocol) {
          throw FormatError("pickle protocol " + std::to_string(protocol) + " is not supported");
        }
        return;
      }
      case op::kFrame:  // protocol 4 framing only groups opcodes; the frame size is a hint
        if (input_.u64() > input_.remaining()) throw FormatError("pickle frame runs past the end of data.pkl");
        return;
      case op::kMark:
        if (marks_.size() >= kMaxStackDepth) throw FormatError("too many nested MARKs");
        marks_.push_back(stack_.size());
        return;
      case op::kPop: pop(); return;
      case op::kPopMark: pop_to_mark(); return;
      case op::kDup: push(top()); return;
      case op::kNone: push(none_); return;
      case op::kNewTrue: push(true_); return;
      case op::kNewFalse: push(false_); return;
      case op::kBinInt: push_int(static_cast<int32_t>(input_.u32())); return;
      case op::kBinInt1: push_int(input_.u8()); return;
      case op::kBinInt2: push_int(input_.u16()); return;
      case op::kLong1: push_long(input_.u8()); return;
      case op::kLong4: push_long(input_.u32()); return;
      case op::kBinFloat: {
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | input_.u8();  // big-endian, unlike the rest
        Object object = object_of(Kind::Float);
        std::memcpy(&object.real, &bits, sizeof bits);
        push(make(object));
        return;
      }
      case op::kBinUnicode: push_string(Kind::String, input_.u32()); return;
      case op::kShortBinUnicode: push_string(Kind::String, input_.u8()); return;
      case op::kBinUnicode8: push_string(Kind::String, input_.u64()); return;
      case op::kBinBytes: push_string(Kind::Bytes, input_.u32()); return;
      case op::kShortBinBytes: push_string(Kind::Bytes, input_.u8()); return;
      case op::kBinBytes8: push_string(Kind::Bytes, input_.u64()); return;
      case op::kEmptyTuple: push(make_sequence(Kind::Tuple, {})); return;
      case op::kTuple: push(make_sequence(Kind::Tuple, pop_to_mark())); return;
      case op::kTuple1:
      case op::kTuple2:
      case op::kTuple3: {
        std::vector<ObjectId> items(opcode - op::kTuple1 + 1);
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(make_sequence(Kind::Tuple, std::move(items)));
        return;
      }
      case op::kEmptyList: push(make_sequence(Kind::List, {})); return;
      case op::kList: push(make_sequence(Kind::List, pop_to_mark())); return;
      case op::kAppend: {
        const ObjectId item = pop();
        sequence_of(top(), Kind::List, "APPEND").push_back(item);
        return;
      }
      case op::kAppends: {
        const std::vector<ObjectId> items = pop_to_mark();
        auto& list = sequence_of(top(), Kind::List, "APPENDS");
        list.insert(list.end(), items.begin(), items.end());
        return;
      }
      case op::kEmptyDict: push(make_sequence(Kind::Dict, {})); return;
      case op::kDict: {
        std::vector<ObjectId> items = pop_to_mark();
        if (items.size() % 2 != 0) throw FormatError("DICT with an odd number of items");
        push(make_sequence(Kind::Dict, std::move(items)));
        return;
      }
      case op::kSetItem: {
        const ObjectId value = pop();
        const ObjectId key = pop();
        auto& dict = sequence_of(top(), Kind::Dict, "SETITEM");
        dict.push_back(key);
        dict.push_back(value);
        return;
      }
      case op::kSetItems: {
        const std::vector<ObjectId> items = pop_to_mark();
        if (items.size() % 2 != 0) throw FormatError("SETITEMS with an odd number of items");
        auto& dict = sequence_of(top(), Kind::Dict, "SETITEMS");
        dict.insert(dict.end(), items.begin(), items.end());
        return;
      }
      case op::kGlobal: {
        const std::string module = read_line();
        const std::string name = read_line();
        push(make_global(module, name));
        return;
      }
      case op::kStackGlobal: {
        const ObjectId name = pop();
        const ObjectId module = pop();
        push(make_global(string_of(module, "STACK_GLOBAL module"), string_of(name, "STACK_GLOBAL name")));
        return;
      }
      case op::kBinPut: memo_put(input_.u8()); return;
      case op::kLongBinPut: memo_put(input_.u32()); return;
      case op::kMemoize: memo_put(memo_.size()); return;
      case op::kBinGet: memo_get(input_.u8()); return;
      case op::kLongBinGet: memo_get(input_.u32()); return;
      case op::kReduce: {
        const ObjectId arguments = pop();
        const ObjectId callable = pop();
        push(reduce(callable, arguments));
        return;
      }
      case op::kNewObj: {
        if (!allow_script_classes_) throw FormatError("unsupported pickle opcode " + describe_opcode(opcode));
        const ObjectId arguments = pop();
        const ObjectId class_id = pop();
        push(new_script_object(class_id, arguments));
        return;
      }
      case op::kBuild: {
        const ObjectId state = pop();
        if (objects_[top()].kind == Kind::ScriptObject) {
          build_script_object(top(), state);
          return;
        }
        // torch pickles a state dict's `_metadata` attribute as BUILD(OrderedDict, {'_metadata': ...}).
        // Loading only needs the tensors, so the attribute is dropped.
        if (objects_[top()].kind != Kind::Dict || objects_[state].kind != Kind::Dict) {
          throw FormatError(std::string("BUILD of ") + kind_name(objects_[top()].kind) + " from " +
                            kind_name(objects_[state].kind) + " is not supported (only a state dict's metadata)");
        }
        return;
      }
      case op::kBinPersId: push(load_storage(pop())); return;
      default: throw FormatError("unsupported pickle opcode " + describe_opcode(opcode));
    }
  }

  ObjectId finish() {
    if (!marks_.empty() || stack_.size() != 1) {
      throw FormatError("STOP with " + std::to_string(stack_.size()) + " objects and " + std::to_string(marks_.size()) +
                        " MARKs on the stack (expected one object)");
    }
    return stack_.back();
  }

  // --- stack and object pool ---

  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }

  void push(ObjectId id) {
    if (stack_.size() >= kMaxStackDepth) throw FormatError("pickle stack too deep");
    stack_.push_back(id);
  }

  ObjectId pop() {
    if (stack_.size() <= fence()) throw FormatError("pickle stack underflow");
    const ObjectId id = stack_.back();
    stack_.pop_back();
    return id;
  }

  ObjectId top() const {
    if (stack_.size() <= fence()) throw FormatError("pickle stack underflow");
    return stack_.back();
  }

  std::vector<ObjectId> pop_to_mark() {
    if (marks_.empty()) throw FormatError("no MARK on the pickle stack");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ObjectId> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  ObjectId make(const Object& object) {
    if (objects_.size() >= kMaxObjects) throw FormatError("pickle holds too many objects");
    objects_.push_back(object);
    return static_cast<ObjectId>(objects_.size() - 1);
  }

  ObjectId make_sequence(Kind kind, std::vector<ObjectId> items) {
    const ObjectId id = make(object_of(kind, static_cast<int64_t>(sequences_.size())));
    sequences_.push_back(std::move(items));
    return id;
  }

  std::vector<ObjectId>& sequence_of(ObjectId id, Kind kind, const char* opcode_name) {
    const Object& object = objects_[id];
    if (object.kind != kind) {
      throw FormatError(std::string(opcode_name) + " on " + kind_name(object.kind) + " (expected " + kind_name(kind) +
                        ")");
    }
    return sequences_[object.value];
  }

  const std::vector<ObjectId>& tuple_of(ObjectId id, const char* what) const {
    const Object& object = objects_[id];
    if (object.kind != Kind::Tuple) {
      throw FormatError(std::string(what) + " is " + kind_name(object.kind) + ", expected a tuple");
    }
    return sequences_[object.value];
  }

  const std::string& string_of(ObjectId id, const char* what) const {
    const Object& object = objects_[id];
    if (object.kind != Kind::String) {
      throw FormatError(std::string(what) + " is " + kind_name(object.kind) + ", expected a str");
    }
    return strings_[object.value];
  }

  int64_t int_of(ObjectId id, const char* what) const {
    const Object& object = objects_[id];
    if (object.kind != Kind::Int) {
      throw FormatError(std::string(what) + " is " + kind_name(object.kind) + ", expected an int");
    }
    return object.value;
  }

  uint64_t non_negative_int_of(ObjectId id, const char* what) const {
    const int64_t value = int_of(id, what);
    if (value < 0) throw FormatError(std::string(what) + " is negative (" + std::to_string(value) + ")");
    return static_cast<uint64_t>(value);
  }

  void push_int(int64_t value) { push(make(object_of(Kind::Int, value))); }

  // LONG1/LONG4: little-endian two's complement of `length` bytes.
  void push_long(uint64_t length) {
    if (length > 8) {
      input_.require(length);
      throw FormatError("pickled integer of " + std::to_string(length) + " bytes does not fit in 64 bits");
    }
    const std::string_view bytes = input_.bytes(static_cast<size_t>(length));
    uint64_t value = 0;
    for (size_t i = 0; i < bytes.size(); ++i) value |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
    if (!bytes.empty() && bytes.size() < 8 && (static_cast<uint8_t>(bytes.back()) & 0x80)) {
      value |= ~uint64_t{0} << (8 * bytes.size());  // sign-extend
    }
    push_int(static_cast<int64_t>(value));
  }

  void push_string(Kind kind, uint64_t length) {
    // Checked against the remaining input before anything is allocated.
    if (length > input_.remaining()) {
      throw FormatError("string of " + std::to_string(length) + " bytes runs past the end of data.pkl");
    }
    const ObjectId id = make(object_of(kind, static_cast<int64_t>(strings_.size())));
    strings_.emplace_back(input_.bytes(static_cast<size_t>(length)));
    push(id);
  }

  // GLOBAL's module and name are newline-terminated.
  std::string read_line() {
    const size_t limit = std::min(input_.remaining(), kMaxGlobalNameLength + 1);
    const auto* begin = input_.current();
    const void* newline = std::memchr(begin, '\n', limit);
    if (newline == nullptr) throw FormatError("GLOBAL name is not newline-terminated (or too long)");
    const auto length = static_cast<size_t>(static_cast<const uint8_t*>(newline) - begin);
    std::string line(input_.bytes(length));
    input_.skip(1);
    return line;
  }

  ObjectId make_global(const std::string& module, const std::string& name) {
    std::optional<Object> global = resolve_global(module, name);
    if (global && global->global == Global::ScriptClass) {
      if (!allow_script_classes_) {
        throw FormatError("pickle references disallowed global '" + printable(module) + "." + printable(name) +
                          "', a TorchScript class: this is a TorchScript archive (torch.jit.save), not a state dict");
      }
      global->value = static_cast<int64_t>(strings_.size());
      strings_.push_back(module + "." + name);
    }
    if (!global) {
      throw FormatError("pickle references disallowed global '" + printable(module) + "." + printable(name) +
                        "'; only the torch tensor-rebuilding globals are allowed");
    }
    return make(*global);
  }

  void memo_put(uint64_t index) {
    const ObjectId id = top();
    auto it = memo_.find(index);
    if (it != memo_.end()) {
      it->second = id;
      return;
    }
    if (memo_.size() >= kMaxMemoEntries) throw FormatError("pickle memo too large");
    memo_.emplace(index, id);
  }

  void memo_get(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) throw FormatError("memo index " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  // --- TorchScript objects: inert attribute containers ---

  // NEWOBJ: cls.__new__(cls, *args); torch writes an empty argument tuple.
  ObjectId new_script_object(ObjectId class_id, ObjectId arguments_id) {
    const Object& cls = objects_[class_id];
    if (cls.kind != Kind::Global || cls.global != Global::ScriptClass) {
      throw FormatError(std::string("NEWOBJ of ") + kind_name(cls.kind) + " (only TorchScript classes are allowed)");
    }
    if (!tuple_of(arguments_id, "NEWOBJ arguments").empty()) {
      throw FormatError("NEWOBJ of '" + printable(strings_[cls.value]) + "' with arguments is not supported");
    }
    ScriptObjectData object;
    object.class_global = class_id;
    const ObjectId id = make(object_of(Kind::ScriptObject, static_cast<int64_t>(script_objects_.size())));
    script_objects_.push_back(object);
    return id;
  }

  void build_script_object(ObjectId object_id, ObjectId state) {
    ScriptObjectData& object = script_objects_[objects_[object_id].value];
    const std::string& class_name = strings_[objects_[object.class_global].value];
    if (objects_[state].kind != Kind::Dict) {
      throw FormatError("TorchScript object of class '" + printable(class_name) + "' has " +
                        kind_name(objects_[state].kind) +
                        " as its state, not an attribute dict (custom C++ classes are not supported)");
    }
    if (object.attributes) throw FormatError("TorchScript object of class '" + printable(class_name) + "' built twice");
    object.attributes = state;
  }

  // --- the whitelisted callables, interpreted ---

  ObjectId reduce(ObjectId callable_id, ObjectId arguments_id) {
    const Object callable = objects_[callable_id];
    if (callable.kind != Kind::Global) {
      throw FormatError(std::string("REDUCE calls ") + kind_name(callable.kind) + ", not a global");
    }
    const std::vector<ObjectId> arguments = tuple_of(arguments_id, "REDUCE arguments");
    switch (callable.global) {
      case Global::OrderedDict:
        if (!arguments.empty()) throw FormatError("collections.OrderedDict called with arguments");
        return make_sequence(Kind::Dict, {});
      case Global::RebuildTensorV2: return rebuild_tensor(arguments);
      case Global::RebuildParameter: {
        if (arguments.size() != 3) throw FormatError("torch._utils._rebuild_parameter needs 3 arguments");
        if (objects_[arguments[0]].kind != Kind::Tensor) {
          throw FormatError("torch._utils._rebuild_parameter of a non-tensor");
        }
        check_no_hooks(arguments[2]);
        return arguments[0];  // a Parameter loads as its plain tensor
      }
      case Global::RestoreTypeTag:
        if (arguments.size() != 2) throw FormatError("torch.jit._pickle.restore_type_tag needs 2 arguments");
        return arguments[0];  // the tag only names the container's static type
      case Global::StorageType: throw FormatError("a torch storage type can only appear in a storage's persistent id");
      case Global::ScriptClass: break;
    }
    throw FormatError("TorchScript class '" + printable(strings_[callable.value]) +
                      "' called with REDUCE (only NEWOBJ is supported)");
  }

  // backward hooks would be code; torch.save writes an empty OrderedDict.
  void check_no_hooks(ObjectId hooks) const {
    const Object& object = objects_[hooks];
    if (object.kind != Kind::Dict || !sequences_[object.value].empty()) {
      throw FormatError("tensor with backward hooks (or a malformed hooks argument) is not supported");
    }
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  ObjectId rebuild_tensor(const std::vector<ObjectId>& arguments) {
    if (arguments.size() != 6 && arguments.size() != 7) {
      throw FormatError("torch._utils._rebuild_tensor_v2 needs 6 or 7 arguments, got " +
                        std::to_string(arguments.size()));
    }
    const Object& storage = objects_[arguments[0]];
    if (storage.kind != Kind::Storage) {
      throw FormatError(std::string("tensor storage is ") + kind_name(storage.kind) + ", expected a storage");
    }
    TensorObject tensor;
    tensor.storage = arguments[0];
    tensor.storage_offset = non_negative_int_of(arguments[1], "tensor storage offset");
    tensor.sizes = arguments[2];
    tensor.strides = arguments[3];
    const std::vector<ObjectId>& sizes = tuple_of(arguments[2], "tensor size");
    const std::vector<ObjectId>& strides = tuple_of(arguments[3], "tensor stride");
    if (sizes.size() != strides.size()) throw FormatError("tensor size and stride differ in length");
    if (sizes.size() > kMaxTensorDims) throw FormatError("tensor has too many dimensions");
    for (size_t dim = 0; dim < sizes.size(); ++dim) {
      non_negative_int_of(sizes[dim], "tensor size");
      non_negative_int_of(strides[dim], "tensor stride");
    }
    if (objects_[arguments[4]].kind != Kind::Bool) throw FormatError("tensor requires_grad is not a bool");
    check_no_hooks(arguments[5]);
    if (arguments.size() == 7) {
      const Kind metadata = objects_[arguments[6]].kind;  // extra Python attributes; not needed for inference
      if (metadata != Kind::None && metadata != Kind::Dict) throw FormatError("tensor metadata is not a dict");
    }
    const ObjectId id = make(object_of(Kind::Tensor, static_cast<int64_t>(tensors_.size())));
    tensors_.push_back(std::move(tensor));
    return id;
  }

  // BINPERSID: ('storage', torch.<Type>Storage, key, location, numel). The location ('cpu', 'cuda:0')
  // is where the tensor lived when saved; everything loads on the CPU.
  ObjectId load_storage(ObjectId persistent_id) {
    const std::vector<ObjectId>& fields = tuple_of(persistent_id, "persistent id");
    if (fields.size() != 5 || objects_[fields[0]].kind != Kind::String ||
        strings_[objects_[fields[0]].value] != "storage") {
      throw FormatError("persistent id is not a ('storage', type, key, location, numel) tuple");
    }
    const Object& type = objects_[fields[1]];
    if (type.kind != Kind::Global || type.global != Global::StorageType) {
      throw FormatError("persistent id names no torch storage type");
    }
    StorageObject storage;
    storage.element_type = type.storage_type;
    storage.key = fields[2];
    if (string_of(fields[2], "storage key").size() > kMaxStorageKeyLength) throw FormatError("storage key too long");
    string_of(fields[3], "storage location");
    storage.numel = non_negative_int_of(fields[4], "storage size");
    const ObjectId id = make(object_of(Kind::Storage, static_cast<int64_t>(storages_.size())));
    storages_.push_back(std::move(storage));
    return id;
  }

  ByteCursor input_;
  bool allow_script_classes_ = false;
  std::vector<Object> objects_;
  std::vector<std::string> strings_;
  std::vector<std::vector<ObjectId>> sequences_;  // tuples, lists, dicts (key, value, key, value, ...)
  std::vector<StorageObject> storages_;
  std::vector<TensorObject> tensors_;
  std::vector<ScriptObjectData> script_objects_;
  std::vector<ObjectId> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ObjectId> memo_;
  ObjectId none_ = 0, false_ = 0, true_ = 0;
};

}  // namespace

std::vector<PickledTensor> parse_state_dict_pickle(const uint8_t* data, size_t size) {
  RestrictedUnpickler unpickler(data, size, /*allow_script_classes=*/false);
  const ObjectId root = unpickler.run();
  return unpickler.state_dict(root);
}

std::vector<PickledTensor> parse_script_module_pickle(const uint8_t* data, size_t size) {
  RestrictedUnpickler unpickler(data, size, /*allow_script_classes=*/true);
  const ObjectId root = unpickler.run();
  return unpickler.script_module(root);
}

}  // namespace shape::checkpoint_detail
