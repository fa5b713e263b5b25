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
  template <class... B>
  void flags(B&... b) {
    std::uint8_t packed = r.u8(), bit = 0;
    ((b = ((packed >> bit++) & 1) != 0), ...);
  }
};

template <class Ar>
void walk_pte(Ar& ar, Pte& p) {
  ar.flags(p.present, p.protnone, p.write, p.dirty, p.soft_dirty, p.uffd_wp);
  ar.byte(p.pfn);
}

template <class Ar>
void walk(Ar& ar, State& s, const Shape& shape) {
  for (int t = 0; t < shape.threads; ++t) {
    ThreadState& th = s.threads[t];
    ar.byte(th.pc);
    ar.byte(th.phase);
    ar.byte(th.fault);
    ar.byte(th.index);
    ar.flags(th.changed, th.failed, th.retried);
    ar.byte(th.sd_generation);
    walk_pte(ar, th.saved);
    ar.byte(th.old_pfn);
    ar.byte(th.new_pfn);
    ar.u32(th.frames_to_put);
    for (int p = 0; p < shape.pages; ++p) {
      TlbEntry& e = s.tlb[t][p];
      ar.flags(e.valid, e.writable, e.dirty);
      ar.byte(e.pfn);
    }
  }
  for (int m = 0; m < shape.processes; ++m) {
    Mm& mm = s.mm[m];
    ar.flags(mm.exists, mm.live, mm.writer, mm.has_pinned, mm.clear_refs_busy);
    ar.byte(mm.readers);
    ar.byte(mm.tlb_flush_pending);
    for (int p = 0; p < shape.pages; ++p) {
      walk_pte(ar, mm.pte[p]);
      VmaPage& v = mm.vma[p];
      ar.flags(v.mapped, v.read, v.write, v.uffd_wp, v.soft_dirty);
      ar.byte(mm.expect_valid[p]);
      for (int w = 0; w < shape.words; ++w) ar.byte(mm.expect[p][w]);
    }
    ar.u64(mm.forbidden);
    ar.u16(mm.wp_protected);
    ar.u16(mm.sd_required);
    ar.byte(mm.clear_refs_done);
  }
  for (int h = 0; h < shape.handles; ++h) {
    Handle& hd = s.handles[h];
    std::uint8_t kind = static_cast<std::uint8_t>(hd.kind);
    ar.flags(hd.active, hd.write, hd.lru);
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

State decode_state(ByteReader& r, const Shape& shape) {
  State s{};
  Decoder d{r};
  walk(d, s, shape);
  MM_ASSERT(r.at_end(), "a state encoding has trailing bytes");
  return s;
}

}  // namespace mmcheck::vm
