// The canonical encoding of a VM state: the packed structs' flag bytes and runs of counts are
// copied as they are, a thread's locals are written only when nonzero (a mask says which), and
// only the threads, processes, pages, words, handles and frames the scenario can use are
// written. decode_from() reads back exactly what encode_to() writes; the round trip is tested
// on every state of the race library (tests/model/state_codec_test.cpp).
#include "models/state.hpp"

#include <cstddef>
#include <cstring>

namespace mmcheck::vm {

namespace {

// The flag byte of a packed struct (its first byte) and the bits its flags use there, found by
// setting every flag: the bits a struct leaves unused may hold anything in a struct that was not
// value-initialized, so the encoder masks them off.
template <class T>
std::uint8_t flag_byte(const T& v) {
  return *reinterpret_cast<const std::uint8_t*>(&v);  // bytes may be read through uint8_t
}
template <class T>
void set_flag_byte(T& v, std::uint8_t b) {
  *reinterpret_cast<std::uint8_t*>(&v) = b;
}
// `T{}` is aggregate initialization, which sets the flags but not the bits no flag uses: those
// may hold whatever the stack held (they did in the ASan build). So the object is cleared
// byte by byte first.
template <class T>
T all_zero() {
  T v;
  std::memset(static_cast<void*>(&v), 0, sizeof v);
  return v;
}
// The bits of byte `at` of a T that its flags use.
template <class T, class F>
std::uint8_t flag_bits(F set_all, std::size_t at = 0) {
  T v = all_zero<T>();
  set_all(v);
  return reinterpret_cast<const std::uint8_t*>(&v)[at];
}
const std::uint8_t kPteFlags = flag_bits<Pte>([](Pte& v) { MM_PTE_FLAGS(MM_SET_FLAG) });
const std::uint8_t kVmaFlags = flag_bits<VmaPage>([](VmaPage& v) { MM_VMA_FLAGS(MM_SET_FLAG) });
const std::uint8_t kFrameFlags = flag_bits<Frame>([](Frame& v) { MM_FRAME_FLAGS(MM_SET_FLAG) });
const std::uint8_t kMmFlags = flag_bits<Mm>([](Mm& v) { MM_MM_FLAGS(MM_SET_FLAG) });
const std::uint8_t kHandleFlags = flag_bits<Handle>([](Handle& v) { MM_HANDLE_FLAGS(MM_SET_FLAG) });

// A thread's locals: the bytes from `fault` to `new_pfn`, then `masks`'s four.
static_assert(sizeof(Frame) == 8, "the codec copies a frame as one 8-byte run");

constexpr std::size_t kLocalsAt = offsetof(ThreadState, fault);
constexpr std::size_t kLocalsRun = offsetof(ThreadState, observed) - kLocalsAt;  // 8
constexpr std::size_t kMasksAt = offsetof(ThreadState, masks);
constexpr std::size_t kObservedAt = offsetof(ThreadState, observed);
static_assert(kLocalsRun == 8 && offsetof(ThreadState, sd_generation) == 5 && kMasksAt == 12);
// The locals with the bits of their two flag bytes (the thread's, byte 2 of the run, and the
// saved PTE's, byte 4) that no flag uses cleared.
const std::uint8_t kThreadFlags = flag_bits<ThreadState>(
    [](ThreadState& v) { MM_THREAD_FLAGS(MM_SET_FLAG) }, offsetof(ThreadState, sd_generation) - 1);
static_assert(offsetof(ThreadState, saved) - kLocalsAt == 4);
const std::uint64_t kLocalsKeep = ~std::uint64_t{0x0000'00ff'00ff'0000} |
                                  std::uint64_t{kThreadFlags} << 16 |
                                  std::uint64_t{kPteFlags} << 32;

// A mask of the low n bytes of a word (n <= 8).
inline std::uint64_t low_bytes(std::size_t n) {
  return n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
}

// The bit i of the result is set when byte i of x is nonzero.
inline unsigned nonzero_bytes(std::uint64_t x) {
  constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  std::uint64_t t = (((x & kLow7) + kLow7) | x) & ~kLow7;  // the high bit of each nonzero byte
  return static_cast<unsigned>(((t >> 7) * 0x0102040810204080ull) >> 56);
}

// An upper bound of the encoding's length for a shape, with room for the 8-byte runs the
// encoder writes whole (what it reserves).
std::size_t max_encoding_bytes(const Shape& shape) {
  std::size_t thread = 18 + static_cast<std::size_t>(shape.pages);
  std::size_t mm = 4 + static_cast<std::size_t>(shape.pages) * (4 + shape.words) + 10 + 3 + 3;
  std::size_t frames = 1 + static_cast<std::size_t>(shape.frames) * (4 + shape.words);
  return thread * shape.threads + mm * shape.processes + 5 * shape.handles + shape.pages + frames +
         8;
}

void put_varint(std::uint8_t*& p, std::uint64_t x) {
  while (x >= 0x80) {
    *p++ = static_cast<std::uint8_t>(x | 0x80);
    x >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(x);
}

std::uint64_t get_varint(const std::uint8_t*& p) {
  std::uint64_t x = 0;
  for (int shift = 0;; shift += 7) {
    std::uint8_t b = *p++;
    x |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80) || shift >= 63) break;
  }
  return x;
}

// A thread's part: pc, phase, a mask of its nonzero locals (one byte, or two when new_pfn,
// masks or observed is set: a varint; observed's bits are 12 and 13, so a scenario without
// outcomes encodes as before), those locals' bytes, then its TLB row, a byte per page.
std::uint8_t* encode_thread_to(std::uint8_t* p, const State& s, int t, const Shape& shape) {
  const ThreadState& th = s.threads[t];
  const auto* raw = reinterpret_cast<const std::uint8_t*>(&th);
  p[0] = th.pc;
  p[1] = th.phase;
  std::uint64_t locals;
  std::memcpy(&locals, raw + kLocalsAt, 8);
  locals &= kLocalsKeep;
  std::uint32_t masks = th.masks;
  std::uint16_t observed;
  std::memcpy(&observed, raw + kObservedAt, 2);
  if ((locals | masks | observed) == 0) {  // between ops, or in a step with no locals
    p[2] = 0;
    p += 3;
  } else {
    unsigned mask =
        nonzero_bytes(locals) | (nonzero_bytes(masks) << 8) | (nonzero_bytes(observed) << 12);
    p += 2;
    put_varint(p, mask);
    for (unsigned m = mask & 0xff; m != 0; m &= m - 1)
      *p++ = static_cast<std::uint8_t>(locals >> (8 * __builtin_ctz(m)));
    for (unsigned m = (mask >> 8) & 0xf; m != 0; m &= m - 1)
      *p++ = static_cast<std::uint8_t>(masks >> (8 * __builtin_ctz(m)));
    for (unsigned m = mask >> 12; m != 0; m &= m - 1)
      *p++ = static_cast<std::uint8_t>(observed >> (8 * __builtin_ctz(m)));
  }
  // The TLB row as one 8-byte copy (an invalid entry is all zero: flushes clear the whole
  // entry); the reserve leaves room for the bytes past the row.
  static_assert(sizeof(s.tlb[t]) == 8);
  std::memcpy(p, s.tlb[t].data(), 8);
  return p + shape.pages;
}

// The encoding, in order:
// - per thread, its part (above);
// - per process: a flag byte, and when it exists: readers, tlb_flush_pending,
//   clear_refs_done, per page the PTE's flag byte (and frame when present or a migration
//   entry), the VMA's flag byte, the ghost's valid-word mask and valid words; then forbidden,
//   wp_protected, sd_required, uffd_minor, uffd_wp_unpopulated and uffd_wp_async as varints;
// - per handle: a flag byte, and when active: kind, frame, process, page;
// - the page cache, a byte per page;
// - the number of frames up to the highest in use, then per frame a flag byte and, when in use,
//   its counts and words.
// `cuts` (when given) receives the ends of the parts the compressed store shares between states:
// each thread, each process, the handles with the page cache; the frames are the last part.
[[gnu::flatten]] std::uint8_t* encode_to(std::uint8_t* p, const State& s, const Shape& shape,
                                         std::uint32_t* cuts = nullptr) {
  std::uint8_t* const begin = p;
  auto cut = [&] {
    if (cuts != nullptr) *cuts++ = static_cast<std::uint32_t>(p - begin);
  };
  for (int t = 0; t < shape.threads; ++t) {
    p = encode_thread_to(p, s, t, shape);
    cut();
  }
  for (int i = 0; i < shape.processes; ++i) {
    if (i > 0) cut();
    const Mm& mm = s.mm[i];
    *p++ = flag_byte(mm) & kMmFlags;
    if (!mm.exists) continue;
    p[0] = mm.readers;
    p[1] = mm.tlb_flush_pending;
    p[2] = mm.clear_refs_done;
    p += 3;
    for (int pg = 0; pg < shape.pages; ++pg) {
      const Pte& pte = mm.pte[pg];
      *p++ = flag_byte(pte) & kPteFlags;
      if (pte.present || pte.migration) *p++ = pte.pfn;
      *p++ = flag_byte(mm.vma[pg]) & kVmaFlags;
      std::uint8_t valid = mm.expect_valid[pg];
      *p++ = valid;
      for (int w = 0; w < shape.words; ++w)
        if (valid >> w & 1) *p++ = mm.expect[pg][w];
    }
    if ((mm.forbidden | mm.wp_protected | mm.sd_required | mm.uffd_minor | mm.uffd_wp_unpopulated |
         mm.uffd_wp_async) < 0x80) {  // the usual case: six one-byte varints
      p[0] = static_cast<std::uint8_t>(mm.forbidden);
      p[1] = static_cast<std::uint8_t>(mm.wp_protected);
      p[2] = static_cast<std::uint8_t>(mm.sd_required);
      p[3] = mm.uffd_minor;
      p[4] = mm.uffd_wp_unpopulated;
      p[5] = mm.uffd_wp_async;
      p += 6;
      continue;
    }
    put_varint(p, mm.forbidden);
    put_varint(p, mm.wp_protected);
    put_varint(p, mm.sd_required);
    put_varint(p, mm.uffd_minor);
    put_varint(p, mm.uffd_wp_unpopulated);
    put_varint(p, mm.uffd_wp_async);
  }
  if (shape.processes > 0) cut();
  for (int h = 0; h < shape.handles; ++h) {
    const Handle& hd = s.handles[h];
    *p++ = flag_byte(hd) & kHandleFlags;
    if (!hd.active) continue;
    p[0] = static_cast<std::uint8_t>(hd.kind);
    p[1] = hd.pfn;
    p[2] = hd.mm;
    p[3] = hd.page;
    p += 4;
  }
  for (int pg = 0; pg < shape.pages; ++pg) *p++ = s.page_cache[pg];
  cut();
  // Frames: only up to the highest one in use; free frames are all zero.
  int used = shape.frames;  // frames are taken lowest first: scan down from the top
  while (used > 0 && !s.frames[used - 1].in_use) --used;
  *p++ = static_cast<std::uint8_t>(used);
  const std::size_t counts = 3 + static_cast<std::size_t>(shape.words);
  for (int f = 0; f < used; ++f) {
    const Frame& fr = s.frames[f];
    // The flag byte, then the counts and words, contiguous in the struct: one 8-byte load and
    // one 8-byte store (the reserve leaves room for the bytes past the run).
    std::uint64_t run;
    std::memcpy(&run, &fr, 8);
    run = (run & ~std::uint64_t{0xff}) | (run & kFrameFlags);
    std::memcpy(p, &run, 8);
    p += fr.in_use ? 1 + counts : 1;
  }
  return p;
}

// Reads what encode_to wrote into a zeroed state; returns where it stopped. `end` bounds the
// reads of the variable parts (the walk checks it after each part).
// One function on purpose, as encode_to: through a reference or a call per part, GCC reloads
// the cursor after every byte stored (8% of a search).
[[gnu::flatten]] const std::uint8_t* decode_from(const std::uint8_t* p, const std::uint8_t* end,
                                                 State& s, const Shape& shape) {
  auto check = [&] {
    if (p > end) [[unlikely]]
      MM_ASSERT(false, "state decoding read past the encoding");
  };
  for (int t = 0; t < shape.threads; ++t) {
    ThreadState& th = s.threads[t];
    auto* raw = reinterpret_cast<std::uint8_t*>(&th);
    th.pc = p[0];
    th.phase = p[1];
    p += 2;
    unsigned mask = static_cast<unsigned>(get_varint(p));
    MM_ASSERT(mask < 0x4000, "a thread's locals mask names bytes it does not have");
    for (unsigned m = mask & 0xff; m != 0; m &= m - 1) raw[kLocalsAt + __builtin_ctz(m)] = *p++;
    for (unsigned m = (mask >> 8) & 0xf; m != 0; m &= m - 1)
      raw[kMasksAt + __builtin_ctz(m)] = *p++;
    for (unsigned m = mask >> 12; m != 0; m &= m - 1) raw[kObservedAt + __builtin_ctz(m)] = *p++;
    std::uint64_t row;
    std::memcpy(&row, p, 8);
    row &= low_bytes(static_cast<std::size_t>(shape.pages));
    std::memcpy(static_cast<void*>(s.tlb[t].data()), &row, 8);
    p += shape.pages;
    check();
  }
  for (int i = 0; i < shape.processes; ++i) {
    Mm& mm = s.mm[i];
    set_flag_byte(mm, *p++);
    if (!mm.exists) continue;
    mm.readers = p[0];
    mm.tlb_flush_pending = p[1];
    mm.clear_refs_done = p[2];
    p += 3;
    for (int pg = 0; pg < shape.pages; ++pg) {
      Pte& pte = mm.pte[pg];
      set_flag_byte(pte, *p++);
      if (pte.present || pte.migration) pte.pfn = *p++;
      set_flag_byte(mm.vma[pg], *p++);
      std::uint8_t valid = *p++;
      mm.expect_valid[pg] = valid;
      for (int w = 0; w < shape.words; ++w)
        if (valid >> w & 1) mm.expect[pg][w] = *p++;
    }
    mm.forbidden = get_varint(p);
    mm.wp_protected = static_cast<std::uint16_t>(get_varint(p));
    mm.sd_required = static_cast<std::uint16_t>(get_varint(p));
    mm.uffd_minor = static_cast<std::uint8_t>(get_varint(p));
    mm.uffd_wp_unpopulated = static_cast<std::uint8_t>(get_varint(p));
    mm.uffd_wp_async = static_cast<std::uint8_t>(get_varint(p));
    check();
  }
  for (int h = 0; h < shape.handles; ++h) {
    Handle& hd = s.handles[h];
    set_flag_byte(hd, *p++);
    if (!hd.active) continue;
    hd.kind = static_cast<HandleKind>(p[0]);
    hd.pfn = p[1];
    hd.mm = p[2];
    hd.page = p[3];
    p += 4;
  }
  for (int pg = 0; pg < shape.pages; ++pg) s.page_cache[pg] = *p++;
  check();
  int used = *p++;
  MM_ASSERT(used <= shape.frames, "a state encoding names more frames than the scenario has");
  const std::size_t counts = 3 + static_cast<std::size_t>(shape.words);
  for (int f = 0; f < used; ++f) {
    Frame& fr = s.frames[f];
    set_flag_byte(fr, *p);
    if (!fr.in_use) {
      ++p;
      continue;
    }
    // The flag byte and the counts and words in one 8-byte copy, the bytes past them cleared.
    std::uint64_t run;
    std::memcpy(&run, p, 8);
    run &= low_bytes(1 + counts);
    std::memcpy(static_cast<void*>(&fr), &run, 8);
    p += 1 + counts;
    check();
  }
  return p;
}

}  // namespace

void encode_state(const State& s, const Shape& shape, ByteWriter& w) {
  std::uint8_t* begin = w.reserve(max_encoding_bytes(shape));
  std::uint32_t cuts[kMaxThreads + kMaxProcesses + 1];
  static_assert(std::size(cuts) <= ByteWriter::kMaxCuts);
  w.commit(encode_to(begin, s, shape, cuts));
  w.set_cuts(cuts, shape.threads + shape.processes + 1);
}

void encode_thread(const State& s, int thread, const Shape& shape, ByteWriter& w) {
  std::uint8_t* begin = w.reserve(max_encoding_bytes(shape));
  w.commit(encode_thread_to(begin, s, thread, shape));
}

State decode_state(ByteReader& r, const Shape& shape) {
  State s{};
  // The reads of one part (a thread, a process...) may run past the end before the check
  // after it: they read from a copy with room for that.
  std::uint8_t copy[2048];
  MM_ASSERT(r.size() + 1024 <= sizeof copy, "a state encoding is longer than any shape allows");
  std::memcpy(copy, r.data(), r.size());
  const std::uint8_t* end = decode_from(copy, copy + r.size(), s, shape);
  MM_ASSERT(end == copy + r.size(), "a state encoding has trailing bytes");
  r.skip_to_end();
  return s;
}

}  // namespace mmcheck::vm
