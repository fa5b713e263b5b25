// The canonical encoding of a VM state. One template walks the state in a fixed order for both
// directions, so encode and decode cannot drift apart; flags are packed into bytes, and only the
// threads, processes, pages, words, handles and frames the scenario can use are written.
#include "models/state.hpp"

namespace mmcheck::vm {

namespace {

struct Encoder {
  ByteWriter& w;
  static constexpr bool kDecoding = false;
  void byte(std::uint8_t& v) { w.u8(v); }
  void u16(std::uint16_t& v) { w.u16(v); }
  void u32(std::uint32_t& v) { w.u32(v); }
  void u64(std::uint64_t& v) { w.u64(v); }
  void varint(std::uint64_t& v) { w.varint(v); }
  template <class... B>
  void flags(B&... b) {
    std::uint8_t packed = 0, bit = 0;
    ((packed |= static_cast<std::uint8_t>((b ? 1 : 0) << bit++)), ...);
    w.u8(packed);
  }
};

struct Decoder {
  ByteReader& r;
  static constexpr bool kDecoding = true;
  void byte(std::uint8_t& v) { v = r.u8(); }
  void u16(std::uint16_t& v) { v = r.u16(); }
  void u32(std::uint32_t& v) { v = r.u32(); }
  void u64(std::uint64_t& v) { v = r.u64(); }
  void varint(std::uint64_t& v) { v = r.varint(); }
  template <class... B>
  void flags(B&... b) {
    std::uint8_t packed = r.u8(), bit = 0;
    ((b = ((packed >> bit++) & 1) != 0), ...);
  }
};

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
  Encoder e{w};
  walk(e, const_cast<State&>(s), shape);  // the encoder only reads
}

void encode_thread(const State& s, int thread, const Shape& shape, ByteWriter& w) {
  Encoder e{w};
  State& m = const_cast<State&>(s);  // the encoder only reads
  walk_thread(e, m.threads[thread]);
  for (int p = 0; p < shape.pages; ++p) walk_tlb(e, m.tlb[thread][p]);
}

State decode_state(ByteReader& r, const Shape& shape) {
  State s{};
  Decoder d{r};
  walk(d, s, shape);
  MM_ASSERT(r.at_end(), "a state encoding has trailing bytes");
  return s;
}

}  // namespace mmcheck::vm
