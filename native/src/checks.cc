// Argument checks that ops run before calling libtorch, so a bad shape is an error naming it, not a crash (see shim.h).
#include "shim.h"

#include <sstream>

namespace adaptune {

const std::vector<int64_t>& needLen(const std::vector<int64_t>& v, size_t n, const char* name) {
  if (v.size() != n) {
    std::ostringstream os;
    os << "'" << name << "' must have " << n << " elements, got " << v.size();
    throw std::invalid_argument(os.str());
  }
  return v;
}

void checkRnnCell(const char* op, int64_t gates, const at::Tensor& input, const std::vector<at::Tensor>& hx,
                  const at::Tensor& wIh, const at::Tensor& wHh, const c10::optional<at::Tensor>& bIh,
                  const c10::optional<at::Tensor>& bHh) {
  (void)op;  // the barrier (guarded) prefixes the op's name
  auto fail = [&](const std::string& m) { throw std::invalid_argument(m); };
  auto shp = [](const at::Tensor& t) {
    std::ostringstream os;
    os << "[";
    for (int64_t d = 0; d < t.dim(); ++d) os << (d ? "," : "") << t.size(d);
    os << "]";
    return os.str();
  };
  if (gates == 4 && hx.size() != 2) fail("hx must be [h, c] (2 tensors), got " + std::to_string(hx.size()));
  if (input.dim() != 1 && input.dim() != 2) fail("input must be 1-D or 2-D, got shape " + shp(input));
  if (wIh.dim() != 2 || wHh.dim() != 2) fail("wIh and wHh must be 2-D, got " + shp(wIh) + " and " + shp(wHh));
  const int64_t hidden = wHh.size(1);
  const int64_t rows = gates * hidden;
  std::ostringstream want;
  want << gates << "*hidden=" << rows;
  if (wHh.size(0) != rows) fail("wHh must be [" + want.str() + ", hidden], got " + shp(wHh));
  if (wIh.size(0) != rows) fail("wIh must have " + want.str() + " rows (hidden from wHh), got " + shp(wIh));
  if (wIh.size(1) != input.size(-1)) fail("wIh's columns must match the input's features: " + shp(wIh) + " vs input " + shp(input));
  for (const auto* b : {&bIh, &bHh}) {
    if (*b && b->value().defined() && (b->value().dim() != 1 || b->value().size(0) != rows)) {
      fail("biases must be [" + want.str() + "], got " + shp(b->value()));
    }
  }
  for (const auto& h : hx) {
    bool ok = h.defined() && h.dim() == input.dim() && h.size(-1) == hidden && (input.dim() == 1 || h.size(0) == input.size(0));
    if (!ok) fail("hidden state must be " + std::string(input.dim() == 2 ? "[batch, hidden]" : "[hidden]") + " = " +
                  (input.dim() == 2 ? "[" + std::to_string(input.size(0)) + "," : "[") + std::to_string(hidden) + "], got " +
                  (h.defined() ? shp(h) : std::string("undefined")));
  }
}

}  // namespace adaptune
