// The op registry: one descriptor per line of models/ops/ops.def, indexed by OpKind.
#include <iterator>

#include "models/ops/op.hpp"

namespace mmcheck::vm {

namespace {

// Addresses only: constant-initialized, so op_descriptor() (on the search's hot path: every
// enabled_actions and refcounts check) is one load, with no initialization guard.
const OpDescriptor* const kRegistry[] = {
#define MM_OP(kind, descriptor) &descriptor,
#include "models/ops/ops.def"
#undef MM_OP
};

}  // namespace

const std::vector<const OpDescriptor*>& op_registry() {
  static const std::vector<const OpDescriptor*> registry = [] {
    std::vector<const OpDescriptor*> out(std::begin(kRegistry), std::end(kRegistry));
    for (std::size_t i = 0; i < out.size(); ++i)
      MM_ASSERT(static_cast<std::size_t>(out[i]->kind) == i,
                "an op descriptor registered under another op's line of ops.def");
    return out;
  }();
  return registry;
}

const OpDescriptor& op_descriptor(OpKind kind) {
  return *kRegistry[static_cast<std::size_t>(kind)];
}

}  // namespace mmcheck::vm
