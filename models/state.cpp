// The canonical encoding of a VM state. One template walks the state in a fixed order for both
// directions, so encode and decode cannot drift apart; flags are packed into bytes, and only the
// threads, processes, pages, words, handles and frames the scenario can use are written.
#include "models/state.hpp"

namespace mmcheck::vm {

namespace {

// Both walkers work on raw pointers held in registers: a ByteWriter's bounds check and size
// update on every byte (which the compiler must reload after each byte store, as a byte store
// may alias anything) cost more than the rest of the walk.
struct Encoder {
  std::uint8_t* p;
  static constexpr bool kDecoding = false;
  void byte(std::uint8_t& v) { *p++ = v; }
  void u16(std::uint16_t& v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p += 2;
  }
  void u32(std::uint32_t& v) {
    for (int i = 0; i < 4; ++i) *p++ = static_cast<std::uint8_t>(v >> (8 * i));
  }
  void varint(std::uint64_t& v) {
    std::uint64_t x = v;
    while (x >= 0x80) {
      *p++ = static_cast<std::uint8_t>(x | 0x80);
      x >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(x);
  }
  template <class... B>
  void flags(B&... b) {
    std::uint8_t packed = 0, bit = 0;
    ((packed |= static_cast<std::uint8_t>((b ? 1 : 0) << bit++)), ...);
    *p++ = packed;
  }
};

struct Decoder {
  const std::uint8_t* p;
  const std::uint8_t* end;
  static constexpr bool kDecoding = true;
  std::uint8_t next() {
    if (p == end) [[unlikely]]
      overrun();
    return *p++;
  }
  [[noreturn, gnu::noinline]] static void overrun() {
    MM_ASSERT(false, "state decoding read past the encoding");
    __builtin_unreachable();
  }
  void byte(std::uint8_t& v) { v = next(); }
  void u16(std::uint16_t& v) {
    std::uint16_t lo = next();
    v = static_cast<std::uint16_t>(lo | (next() << 8));
  }
  void u32(std::uint32_t& v) {
    std::uint32_t x = 0;
    for (int i = 0; i < 4; ++i) x |= static_cast<std::uint32_t>(next()) << (8 * i);
    v = x;
  }
  void varint(std::uint64_t& v) {
    std::uint64_t x = 0;
    for (int shift = 0;; shift += 7) {
      std::uint8_t b = next();
      x |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    v = x;
  }
  template <class... B>
  void flags(B&... b) {
    std::uint8_t packed = next(), bit = 0;
    ((b = ((packed >> bit++) & 1) != 0), ...);
  }
};

// An upper bound of the encoding's length for a shape (what the encoder reserves).
std::size_t max_encoding_bytes(const Shape& shape) {
  std::size_t thread = 15 + static_cast<std::size_t>(shape.pages);
  std::size_t mm = 3 + static_cast<std::size_t>(shape.pages) * (5 + shape.words) + 10 + 3 + 3 + 1;
  std::size_t frames = 1 + static_cast<std::size_t>(shape.frames) * (4 + shape.words);
  return thread * shape.threads + mm * shape.processes + 5 * shape.handles + shape.pages + frames;
}

// A PTE: one byte of flags, then the frame number when present.
template <class Ar>
void walk_pte(Ar& ar, Pte& p) {
  ar.flags(p.present, p.protnone, p.write, p.dirty, p.soft_dirty, p.uffd_wp);
  if (p.present) ar.byte(p.pfn);
}

// A TLB entry in one byte: valid, writable, dirty and a 5-bit frame number.
template <class Ar>
void walk_tlb(Ar& ar, TlbEntry& e) {
  std::uint8_t packed = 0;
  if constexpr (!Ar::kDecoding)
    packed =
        e.valid ? static_cast<std::uint8_t>(0x80 | (e.writable << 6) | (e.dirty << 5) | e.pfn) : 0;
  ar.byte(packed);
  if constexpr (Ar::kDecoding) {
    e.valid = packed & 0x80;
    e.writable = packed & 0x40;
    e.dirty = packed & 0x20;
    e.pfn = packed & 0x1f;
  }
}

// A thread: its op and step, then only the locals in use (a mask says which).
template <class Ar>
void walk_thread(Ar& ar, ThreadState& th) {
  ar.byte(th.pc);
  ar.byte(th.phase);
  std::uint8_t mask = 0;
  if constexpr (!Ar::kDecoding) {
    mask = static_cast<std::uint8_t>(
        (th.fault ? 1 : 0) | (th.index ? 2 : 0) | (th.changed || th.failed || th.retried ? 4 : 0) |
        (th.sd_generation ? 8 : 0) | (th.saved.present || th.old_pfn || th.new_pfn ? 16 : 0) |
        (th.frames_to_put ? 32 : 0));
  }
  ar.byte(mask);
  if (mask & 1) ar.byte(th.fault);
  if (mask & 2) ar.byte(th.index);
  if (mask & 4) ar.flags(th.changed, th.failed, th.retried);
  if (mask & 8) ar.byte(th.sd_generation);
  if (mask & 16) {
    walk_pte(ar, th.saved);
    ar.byte(th.old_pfn);
    ar.byte(th.new_pfn);
  }
  if (mask & 32) ar.u32(th.frames_to_put);
}

template <class Ar>
void walk_mm(Ar& ar, Mm& mm, const Shape& shape) {
  ar.flags(mm.exists, mm.live, mm.writer, mm.has_pinned, mm.clear_refs_busy);
  if (!mm.exists) return;
  ar.byte(mm.readers);
  ar.byte(mm.tlb_flush_pending);
  for (int p = 0; p < shape.pages; ++p) {
    walk_pte(ar, mm.pte[p]);
    VmaPage& v = mm.vma[p];
    ar.flags(v.mapped, v.read, v.write, v.uffd_wp, v.soft_dirty);
    ar.byte(mm.expect_valid[p]);
    for (int w = 0; w < shape.words; ++w)
      if (mm.expect_valid[p] >> w & 1) ar.byte(mm.expect[p][w]);
  }
  ar.varint(mm.forbidden);
  std::uint64_t wp = mm.wp_protected, sd = mm.sd_required;
  ar.varint(wp);
  ar.varint(sd);
  mm.wp_protected = static_cast<std::uint16_t>(wp);
  mm.sd_required = static_cast<std::uint16_t>(sd);
  ar.byte(mm.clear_refs_done);
}

template <class Ar>
void walk(Ar& ar, State& s, const Shape& shape) {
  for (int t = 0; t < shape.threads; ++t) {
    walk_thread(ar, s.threads[t]);
    for (int p = 0; p < shape.pages; ++p) walk_tlb(ar, s.tlb[t][p]);
  }
  for (int m = 0; m < shape.processes; ++m) walk_mm(ar, s.mm[m], shape);
  for (int h = 0; h < shape.handles; ++h) {
    Handle& hd = s.handles[h];
    ar.flags(hd.active, hd.write, hd.lru);
    if (!hd.active) continue;
    std::uint8_t kind = static_cast<std::uint8_t>(hd.kind);
    ar.byte(kind);
    hd.kind = static_cast<HandleKind>(kind);
    ar.byte(hd.pfn);
    ar.byte(hd.mm);
    ar.byte(hd.page);
  }
  for (int p = 0; p < shape.pages; ++p) ar.byte(s.page_cache[p]);
  // Frames: only up to the highest one in use; free frames are all zero.
  std::uint8_t used = 0;
  if constexpr (!Ar::kDecoding) {
    for (int f = 0; f < shape.frames; ++f)
      if (s.frames[f].in_use) used = static_cast<std::uint8_t>(f + 1);
  }
  ar.byte(used);
  for (int f = 0; f < used; ++f) {
    Frame& fr = s.frames[f];
    ar.flags(fr.in_use, fr.shmem, fr.anon_exclusive, fr.dirty);
    if (!fr.in_use) continue;
    ar.byte(fr.refcount);
    ar.byte(fr.mapcount);
    ar.byte(fr.pincount);
    for (int w = 0; w < shape.words; ++w) ar.byte(fr.content[w]);
  }
}

}  // namespace

void encode_state(const State& s, const Shape& shape, ByteWriter& w) {
  Encoder e{w.reserve(max_encoding_bytes(shape))};
  walk(e, const_cast<State&>(s), shape);  // the encoder only reads
  w.commit(e.p);
}

void encode_thread(const State& s, int thread, const Shape& shape, ByteWriter& w) {
  Encoder e{w.reserve(max_encoding_bytes(shape))};
  State& m = const_cast<State&>(s);  // the encoder only reads
  walk_thread(e, m.threads[thread]);
  for (int p = 0; p < shape.pages; ++p) walk_tlb(e, m.tlb[thread][p]);
  w.commit(e.p);
}

State decode_state(ByteReader& r, const Shape& shape) {
  State s{};
  Decoder d{r.data(), r.data() + r.size()};
  walk(d, s, shape);
  MM_ASSERT(d.p == d.end, "a state encoding has trailing bytes");
  r.skip_to_end();
  return s;
}

}  // namespace mmcheck::vm
