// SPDX-License-Identifier: MIT
// Interpreter handlers: string instructions MOVS CMPS STOS LODS SCAS, with REP / REPE / REPNE.
// Not here: INS/OUTS (io.cpp).
//
// The counter (rCX) and the index registers (rSI, rDI) have the address size; DF picks the
// direction; a segment override applies to the source (DS:rSI) only, the destination is always
// ES:rDI. A REP instruction runs its iterations in a loop but commits rCX/rSI/rDI after each
// one, so a fault in the middle leaves the registers describing the remaining work and RIP at
// the instruction: restarting it finishes the job (SDM Vol. 2B, REP, "interrupted"). Long runs
// are also cut into chunks (the instruction restarts itself), so that interrupts and the
// single-step trap are seen between iterations, as on hardware.
//
// Page runs: a REP instruction whose next iterations all stay inside one page on every side it
// touches, inside the segment limits and without wrapping the address size, does them at once
// on host memory (memmove, memset, a compare loop) when the TLB's fast path allows those
// accesses (Cpu::host_ptr_for: plain RAM; for writes no ROM, no cached code, no watched page
// tables). Such a run cannot fault after its first element, and the page walks for that first
// element are made in the order an element would make them, so faults, CR2 and A/D bits are
// those of the element path; registers are committed after the run. Everything else (MMIO,
// slow-path pages, page crossings inside an element, segment-limit or address-size edges, the
// lockstep checker's write log) goes element by element through Cpu::read/write as before.
#include "cpu/interp/handlers.h"

#include <algorithm>
#include <cstring>

namespace cpu::interp {
namespace {

enum class StrOp { Movs, Cmps, Stos, Lods, Scas };

/// Iterations done per step before the instruction restarts itself. Page runs count their
/// elements here too, so the instruction restarts (and retires) exactly where it did before.
constexpr u64 kChunk = 4096;

/// The REP prefix that counts: the last of F2/F3 before the opcode (hardware takes the last).
u8 rep_prefix(const DecodedInsn& insn) {
    u8 last = 0;
    for (unsigned i = 0; i < insn.length; ++i) {
        const u8 b = insn.bytes[i];
        if (b == 0xF2 || b == 0xF3) {
            last = b;
        } else if (b == 0xF0 || b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 ||
                   b == 0x65 || b == 0x66 || b == 0x67 ||
                   (insn.mode == CodeMode::Bits64 && (b & 0xF0) == 0x40)) {
            continue;
        } else {
            break;
        }
    }
    return last;
}

/// What one execution of a string instruction needs, copied out of the DecodedInsn up front
/// (a write to the instruction's own bytes may drop the cached decode it lives in).
struct StrCtx {
    unsigned size; ///< element bytes: 1, 2, 4 (8 in 64-bit mode)
    unsigned asz;  ///< address size of rCX/rSI/rDI
    u64 amask;     ///< the address-size mask (offsets wrap at it)
    u8 src_seg;
    u8 rep;        ///< 0, 0xF2 (REPNE) or 0xF3 (REP/REPE)
    bool backward; ///< DF = 1
    u64 step;      ///< added to rSI/rDI per element (two's complement when backward)
};

constexpr bool uses_si(StrOp op) {
    return op == StrOp::Movs || op == StrOp::Cmps || op == StrOp::Lods;
}
constexpr bool uses_di(StrOp op) { return op != StrOp::Lods; }
constexpr bool compares(StrOp op) { return op == StrOp::Cmps || op == StrOp::Scas; }

/// Whether a REPE/REPNE compare ends after an element whose operands were (not) equal.
bool rep_ends(const StrCtx& c, bool equal) {
    return (c.rep == 0xF3 && !equal) || (c.rep == 0xF2 && equal);
}

/// One iteration through the ordinary memory accesses, rSI/rDI advanced (rCX is the caller's).
template <StrOp Op> Status element(Cpu& cpu, const StrCtx& c) {
    const u64 si = cpu.reg(kRsi, c.asz);
    const u64 di = cpu.reg(kRdi, c.asz);
    u64 a = 0, b = 0;
    switch (Op) {
    case StrOp::Movs:
        TRY(read_mem(cpu, c.src_seg, si, c.size, a));
        TRY(write_mem(cpu, kEs, di, c.size, a));
        break;
    case StrOp::Cmps:
        TRY(read_mem(cpu, c.src_seg, si, c.size, a));
        TRY(read_mem(cpu, kEs, di, c.size, b));
        set_lazy(cpu.s, kFlagsSub, c.size, a, b, trunc(a - b, c.size));
        break;
    case StrOp::Stos:
        TRY(write_mem(cpu, kEs, di, c.size, cpu.reg(kRax, c.size)));
        break;
    case StrOp::Lods:
        TRY(read_mem(cpu, c.src_seg, si, c.size, a));
        cpu.set_reg(kRax, c.size, a);
        break;
    case StrOp::Scas:
        a = cpu.reg(kRax, c.size);
        TRY(read_mem(cpu, kEs, di, c.size, b));
        set_lazy(cpu.s, kFlagsSub, c.size, a, b, trunc(a - b, c.size));
        break;
    }
    if (uses_si(Op)) {
        cpu.set_reg(kRsi, c.asz, si + c.step);
    }
    if (uses_di(Op)) {
        cpu.set_reg(kRdi, c.asz, di + c.step);
    }
    return Status::Ok;
}

// ---- page runs ----

/// One side (source or destination) of a planned run.
struct RunSide {
    u64 lin = 0;        ///< linear address of the run's first element
    u8* host = nullptr; ///< host address of the run's first element, once resolved
};

/// How many of the next `want` elements starting at seg:off stay inside the page of the first
/// one and inside the address size, with every element inside the segment. Returns 0 when not
/// even the first element qualifies. The segment is checked at the run's two ends: valid
/// offsets form one interval (normal or expand-down), so the elements between are valid too.
/// A failed check is not a fault yet: the element path then raises it in element order (the
/// `fault` record it leaves behind is only read with Status::Fault).
u64 side_room(Cpu& cpu, const StrCtx& c, u8 seg, u64 off, bool write, u64 want, u64& lin) {
    if (cpu.seg_linear(seg, off, c.size, write, lin) != Status::Ok) {
        return 0;
    }
    const u64 pofs = lin & 0xFFF;
    if (pofs + c.size > 0x1000) {
        return 0; // the element crosses the page
    }
    // Elements after the first start `size` apart; none may wrap the address size.
    const u64 in_page = c.backward ? pofs / c.size + 1 : (0x1000 - pofs) / c.size;
    const u64 in_space = c.backward ? off / c.size + 1 : (c.amask - off) / c.size + 1;
    const u64 n = std::min({want, in_page, in_space});
    if (n > 1) {
        const u64 span = (n - 1) * c.size;
        const u64 off_last = c.backward ? off - span : off + span;
        u64 lin_last = 0;
        if (cpu.seg_linear(seg, off_last, c.size, write, lin_last) != Status::Ok ||
            lin_last != (c.backward ? lin - span : lin + span)) {
            return 0; // a limit inside the run: the element path raises its fault in order
        }
    }
    return n;
}

u64 load(const u8* p, unsigned size) {
    switch (size) {
    case 1: return *p;
    case 2: { u16 v; std::memcpy(&v, p, 2); return v; }
    case 4: { u32 v; std::memcpy(&v, p, 4); return v; }
    default: { u64 v; std::memcpy(&v, p, 8); return v; }
    }
}

/// Fills n elements of Size bytes with the low bytes of v (a little-endian host's layout).
template <unsigned Size> void fill_pattern(u8* p, u64 n, u64 v) {
    std::memcpy(p, &v, Size);
    // Doubling copies of what is already filled (a whole number of elements) reach memcpy
    // speed after a few steps.
    const u64 len = n * Size;
    for (u64 done = Size; done < len; done *= 2) {
        std::memcpy(p + done, p, std::min(done, len - done));
    }
}

/// Stores `v` (element size `size`) n times from `lo` upwards; the order is invisible in RAM.
void fill_run(u8* lo, u64 n, unsigned size, u64 v) {
    const u64 splat = (v & 0xFF) * 0x0101010101010101ull;
    if (size == 1 || (v & base::size_mask(size)) == (splat & base::size_mask(size))) {
        std::memset(lo, static_cast<int>(v & 0xFF), n * size);
        return;
    }
    switch (size) {
    case 2: fill_pattern<2>(lo, n, v); break;
    case 4: fill_pattern<4>(lo, n, v); break;
    default: fill_pattern<8>(lo, n, v); break;
    }
}

/// Copies n elements as the element loop would: element k moves src+k*step to dst+k*step in
/// order of k. That is memmove unless the destination lies ahead of the source in the copy
/// direction within reach of it, where later elements read what earlier ones wrote (a
/// replicating copy): those are done element by element on host memory.
void copy_run(u8* dst, const u8* src, u64 n, unsigned size, bool backward) {
    const u64 len = n * size;
    const uptr d = reinterpret_cast<uptr>(dst);
    const uptr s = reinterpret_cast<uptr>(src);
    const bool replicates = backward ? (d < s && s - d < len) : (s < d && d - s < len);
    if (!replicates) {
        std::memmove(backward ? dst - (len - size) : dst, backward ? src - (len - size) : src, len);
        return;
    }
    const std::ptrdiff_t step = backward ? -static_cast<std::ptrdiff_t>(size) : size;
    for (u64 k = 0; k < n; ++k) {
        std::memmove(dst, src, size); // one element: read whole, then written
        dst += step;
        src += step;
    }
}

/// Compares up to n elements (CMPS: source against destination; SCAS: rAX against the
/// destination) until the REPE/REPNE condition ends the instruction. Returns the elements done
/// and sets the flags from the last one.
u64 compare_run(Cpu& cpu, const StrCtx& c, const u8* src, const u8* dst, u64 n, u64 acc_value,
                bool scas, bool& ended) {
    const std::ptrdiff_t step = c.backward ? -static_cast<std::ptrdiff_t>(c.size) : c.size;
    u64 a = acc_value, b = 0, k = 0;
    ended = false;
    if (scas && c.size == 1 && c.rep == 0xF2 && !c.backward) {
        // REPNE SCASB (strlen, memchr): the host's memchr finds the end.
        const void* hit = std::memchr(dst, static_cast<int>(acc_value & 0xFF), n);
        k = hit ? static_cast<u64>(static_cast<const u8*>(hit) - dst) + 1 : n;
        ended = hit != nullptr;
        b = dst[k - 1];
    } else {
        while (k < n) {
            if (!scas) {
                a = load(src + static_cast<std::ptrdiff_t>(k) * step, c.size);
            }
            b = load(dst + static_cast<std::ptrdiff_t>(k) * step, c.size);
            ++k;
            if (rep_ends(c, a == b)) {
                ended = true;
                break;
            }
        }
    }
    set_lazy(cpu.s, kFlagsSub, c.size, a, b, trunc(a - b, c.size));
    return k;
}

/// Result of one attempt at a page run.
struct RunResult {
    u64 done = 0;       ///< elements performed (registers committed); 0: none
    u64 slow = 0;       ///< when nothing was done: elements the element path should do instead
    bool ended = false; ///< a REPE/REPNE condition ended the instruction
};

/// Tries to do up to `want` iterations of a REP instruction as one page run (see the top of
/// the file). Fails only with a fault of the run's first element, with nothing done.
template <StrOp Op>
Status page_run(Cpu& cpu, const StrCtx& c, u64 want, RunResult& r) {
    r = RunResult{};
    const u64 si = cpu.reg(kRsi, c.asz);
    const u64 di = cpu.reg(kRdi, c.asz);
    constexpr bool dst_write = Op == StrOp::Movs || Op == StrOp::Stos;
    RunSide src, dst;
    u64 n = want;
    if (uses_si(Op)) {
        n = side_room(cpu, c, c.src_seg, si, false, n, src.lin);
    }
    if (uses_di(Op) && n != 0) {
        n = side_room(cpu, c, kEs, di, dst_write, n, dst.lin);
    }
    if (n < 2) {
        r.slow = 1; // not worth the walk, or the element path must raise a fault in order
        return Status::Ok;
    }
    // The first element's page walks, in the order the element makes them.
    if (uses_si(Op)) {
        TRY(cpu.host_ptr_for(src.lin, mmu::Access::Read, src.host));
    }
    if (uses_di(Op)) {
        const mmu::Access acc = dst_write ? mmu::Access::Write : mmu::Access::Read;
        TRY(cpu.host_ptr_for(dst.lin, acc, dst.host));
    }
    if ((uses_si(Op) && !src.host) || (uses_di(Op) && !dst.host)) {
        r.slow = n; // MMIO, ROM, code or table pages: every element through the slow path
        return Status::Ok;
    }
    const u64 span = (n - 1) * c.size; // from the first element's start to the last one's
    switch (Op) {
    case StrOp::Movs:
        copy_run(dst.host, src.host, n, c.size, c.backward);
        break;
    case StrOp::Stos:
        fill_run(c.backward ? dst.host - span : dst.host, n, c.size, cpu.reg(kRax, c.size));
        break;
    case StrOp::Lods: // only the last load is visible
        cpu.set_reg(kRax, c.size, load(c.backward ? src.host - span : src.host + span, c.size));
        break;
    case StrOp::Cmps:
    case StrOp::Scas:
        n = compare_run(cpu, c, src.host, dst.host, n, cpu.reg(kRax, c.size), Op == StrOp::Scas,
                        r.ended);
        break;
    }
    if (uses_si(Op)) {
        cpu.set_reg(kRsi, c.asz, si + n * c.step);
    }
    if (uses_di(Op)) {
        cpu.set_reg(kRdi, c.asz, di + n * c.step);
    }
    cpu.set_reg(kRcx, c.asz, cpu.reg(kRcx, c.asz) - n);
    r.done = n;
    return Status::Ok;
}

template <StrOp Op> Status string_op(Cpu& cpu, const DecodedInsn& insn) {
    StrCtx c;
    c.size = (insn.opcode & 1) ? insn.opsize : 1;
    c.asz = insn.addrsize;
    c.amask = base::size_mask(c.asz);
    c.src_seg = insn.mem.seg;
    c.rep = (insn.prefixes & (kPfxRep | kPfxRepne)) ? rep_prefix(insn) : 0;
    c.backward = (cpu.s.eflags & kDF) != 0;
    c.step = c.backward ? u64{0} - c.size : u64{c.size};
    if (!c.rep) {
        return element<Op>(cpu, c);
    }
    // The lockstep checker logs every write (and guards MMIO) in the slow paths; 64-bit
    // addressing has no segment limits to lean on. Both stay element by element.
    const bool runs = cpu.write_log == nullptr && !cpu.mmio_guard && !cpu.long_mode();
    u64 n = 0;
    for (;;) {
        const u64 count = cpu.reg(kRcx, c.asz);
        if (count == 0) {
            return Status::Ok;
        }
        if (n == kChunk) {
            cpu.next_rip = cpu.s.rip; // run again: the registers hold the remaining work
            return Status::Ok;
        }
        const u64 want = std::min(count, kChunk - n);
        u64 slow = 1;
        if (runs) {
            RunResult r;
            TRY(page_run<Op>(cpu, c, want, r));
            if (r.ended) {
                return Status::Ok;
            }
            n += r.done;
            slow = r.done ? 0 : r.slow;
        }
        for (u64 i = 0; i < slow; ++i, ++n) {
            TRY(element<Op>(cpu, c));
            cpu.set_reg(kRcx, c.asz, cpu.reg(kRcx, c.asz) - 1);
            if (compares(Op) && rep_ends(c, (read_eflags(cpu.s) & kZF) != 0)) {
                return Status::Ok;
            }
        }
    }
}

} // namespace

void install_string(HandlerTable& t) {
    auto set = [&](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
    set(InsnId::MOVSB, string_op<StrOp::Movs>);
    set(InsnId::MOVS, string_op<StrOp::Movs>);
    set(InsnId::CMPSB, string_op<StrOp::Cmps>);
    set(InsnId::CMPS, string_op<StrOp::Cmps>);
    set(InsnId::STOSB, string_op<StrOp::Stos>);
    set(InsnId::STOS, string_op<StrOp::Stos>);
    set(InsnId::LODSB, string_op<StrOp::Lods>);
    set(InsnId::LODS, string_op<StrOp::Lods>);
    set(InsnId::SCASB, string_op<StrOp::Scas>);
    set(InsnId::SCAS, string_op<StrOp::Scas>);
}

} // namespace cpu::interp
