// SPDX-License-Identifier: MIT
// Interpreter handlers: the x87 FPU (SDM Vol. 1 ch. 8; Vol. 2 per instruction). The arithmetic
// itself is cpu/softfloat (exact 80-bit, masked responses); this file owns what the softfloat
// layer leaves to the instruction: the register stack (TOP, full tag word), stack overflow and
// underflow, unmasked-exception responses and FSW.ES, condition codes, the last-instruction
// pointers, #NM / #MF checks, and the environment/save image formats. The control-word and
// environment instructions live in fpu_env.cpp.
//
// Unmasked exceptions (decided here, checked against the host x87 in tests/unit/fpu_test.cpp):
//   - IE / DE / ZE: the destination is not written, the stack is not popped or pushed; only
//     the pre-computation flags are recorded, plus ES and B.
//   - OE / UE with a register destination: the result is the exact result multiplied by
//     2^-24576 (overflow) or 2^+24576 (underflow), rounded to the FCW precision (SDM Vol. 1,
//     4.9.1.4/4.9.1.5), computed from exactly pre-scaled operands (FADD..FDIVR and the FI
//     forms, FSCALE, FPREM/FPREM1, FYL2X, and FYL2XP1/FPATAN/F2XM1/FSIN/FSINCOS/FPTAN in
//     their linear tiny-argument region). Still out of range after the bias (FSCALE by a
//     huge count): a signed infinity / zero. With UE unmasked an exact tiny result also
//     raises UE. Where no exact pre-scaling exists the masked result is kept, flag + ES set.
//   - OE / UE with a memory destination (FST/FSTP m32/m64): nothing is stored, nothing popped.
//   - PE alone never suppresses a result.
#include "cpu/interp/fpu_common.h"

namespace cpu::interp::x87 {

// ---- shared helpers (declared in fpu_common.h) --------------------------------------------

Status enter(Cpu& cpu, bool waiting) {
    if (cpu.s.cr0 & (kCr0EM | kCr0TS)) {
        return cpu.raise(kVecNM);
    }
    if (waiting && (cpu.s.fpu.fsw & kES)) {
        if (cpu.s.cr0 & kCr0NE) {
            return cpu.raise(kVecMF);
        }
        // CR0.NE=0: the PC way. FERR# goes to the board (IRQ 13) and the instruction runs;
        // the guest's IRQ 13 handler clears the flags (cf. QEMU's cpu_set_ferr).
        if (cpu.device_guarded()) {
            return Status::Stop;
        }
        cpu.env().fpu_error(true);
    }
    return Status::Ok;
}

void note(Cpu& cpu, const DecodedInsn& insn) {
    FpuState& f = cpu.s.fpu;
    f.fip = static_cast<u32>(cpu.s.rip);
    f.fcs = cpu.s.seg[kCs].selector;
    f.fop = static_cast<u16>(((insn.opcode & 7u) << 8) | insn.modrm);
    if (insn.has_mem()) {
        f.fdp = static_cast<u32>(ea_offset(cpu, insn));
        f.fds = cpu.s.seg[insn.mem.seg].selector;
    }
}

void raise_flags(FpuState& f, u16 flags) {
    f.fsw = static_cast<u16>(f.fsw | (flags & (kExcMask | kStackFault)));
    if (flags & kExcMask & ~f.fcw) {
        f.fsw = static_cast<u16>(f.fsw | kES | kBusy);
    }
}

void recompute_es(FpuState& f) {
    if (f.fsw & kExcMask & ~f.fcw) {
        f.fsw = static_cast<u16>(f.fsw | kES | kBusy);
    } else {
        f.fsw = static_cast<u16>(f.fsw & ~(kES | kBusy));
    }
}

bool stack_underflow(FpuState& f) {
    set_cc(f, kC1, 0);
    raise_flags(f, kIE | kStackFault);
    return (f.fcw & kIE) != 0;
}

bool stack_overflow(FpuState& f) {
    set_cc(f, kC1, kC1);
    raise_flags(f, kIE | kStackFault);
    return (f.fcw & kIE) != 0;
}

u64 mem_off(const Cpu& cpu, const DecodedInsn& insn, unsigned delta) {
    const u64 a = ea_offset(cpu, insn) + delta;
    switch (insn.addrsize) {
    case 2: return a & 0xFFFF;
    case 4: return a & 0xFFFFFFFF;
    default: return a;
    }
}

Status read_f80(Cpu& cpu, const DecodedInsn& insn, Float80& v) {
    u64 m;
    u16 se;
    TRY(cpu.read<u64>(insn.mem.seg, mem_off(cpu, insn, 0), m));
    TRY(cpu.read<u16>(insn.mem.seg, mem_off(cpu, insn, 8), se));
    v = Float80{m, se};
    return Status::Ok;
}

Status write_f80(Cpu& cpu, const DecodedInsn& insn, Float80 v) {
    TRY(cpu.probe_write(insn.mem.seg, mem_off(cpu, insn, 0), 10));
    TRY(cpu.write<u64>(insn.mem.seg, mem_off(cpu, insn, 0), v.mant));
    return cpu.write<u16>(insn.mem.seg, mem_off(cpu, insn, 8), v.sign_exp);
}

namespace {

// ---- operand conversion ---------------------------------------------------------------------

bool is_nan_bits(u64 bits, int fbits, int ebits) {
    const u64 emax = (u64{1} << ebits) - 1;
    return ((bits >> fbits) & emax) == emax && (bits & ((u64{1} << fbits) - 1)) != 0;
}

/// Widens an m32/m64 real operand. NaNs are widened bit for bit (an SNaN stays signaling, so
/// the arithmetic applies the two-NaN rules to the real operands); the rest goes through the
/// softfloat conversion, which reports DE for denormals.
Float80 widen(sf::Context& c, u64 bits, unsigned size) {
    const int fbits = size == 4 ? 23 : 52;
    const int ebits = size == 4 ? 8 : 11;
    if (is_nan_bits(bits, fbits, ebits)) {
        const u16 sign = ((bits >> (fbits + ebits)) & 1) ? 0x8000 : 0;
        const u64 frac = bits & ((u64{1} << fbits) - 1);
        return Float80{(u64{1} << 63) | (frac << (63 - fbits)), static_cast<u16>(sign | 0x7FFF)};
    }
    return size == 4 ? sf::from_f32(c, static_cast<u32>(bits)) : sf::from_f64(c, bits);
}

/// A memory source operand of an arithmetic/compare instruction: real (4/8) or integer (2/4).
template <bool Int> Status read_src(Cpu& cpu, const DecodedInsn& insn, u64& raw) {
    return read_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), insn.op[0].size, raw);
}

template <bool Int> Float80 src_value(sf::Context& c, u64 raw, unsigned size) {
    if constexpr (Int) {
        return sf::from_int(static_cast<i64>(sx(raw, size)));
    } else {
        return widen(c, raw, size);
    }
}

// ---- arithmetic -----------------------------------------------------------------------------

enum class Op : u8 { Add, Mul, Sub, SubR, Div, DivR };

Float80 arith(sf::Context& c, Op op, Float80 d, Float80 s) {
    switch (op) {
    case Op::Add: return sf::add(c, d, s);
    case Op::Mul: return sf::mul(c, d, s);
    case Op::Sub: return sf::sub(c, d, s);
    case Op::SubR: return sf::sub(c, s, d);
    case Op::Div: return sf::div(c, d, s);
    case Op::DivR: return sf::div(c, s, d);
    }
    return d;
}

/// x * 2^k exactly for a finite nonzero x whose scaled value is a normal; values that fall
/// below the normal range are denormalised with the lost bits jammed into bit 0 (only used for
/// an addend far below the rounding point, where just its sign and nonzeroness matter).
Float80 scale_exact(Float80 x, int k) {
    int e = x.sign_exp & 0x7FFF;
    u64 m = x.mant;
    if (e == 0x7FFF || m == 0) {
        return x;
    }
    const u16 sign = x.sign_exp & 0x8000;
    if (e == 0) {
        e = 1;
    }
    while (!(m >> 63)) {
        m <<= 1;
        --e;
    }
    e += k;
    if (e >= 0x7FFF) {
        return Float80{u64{1} << 63, static_cast<u16>(sign | 0x7FFE)};
    }
    if (e < 1) {
        const int sh = 1 - e;
        if (sh >= 64) {
            m = 1;
        } else {
            const bool lost = (m & ((u64{1} << sh) - 1)) != 0;
            m = (m >> sh) | (lost ? 1 : 0);
        }
        e = 0;
    }
    return Float80{m, static_cast<u16>(sign | e)};
}

/// Unbiased exponent of a finite nonzero value after normalisation.
int norm_exp(Float80 x) {
    int e = x.sign_exp & 0x7FFF;
    if (e == 0) {
        e = 1;
    }
    for (u64 m = x.mant; m && !(m >> 63); m <<= 1) {
        --e;
    }
    return e - 16383;
}

/// Whether scale_exact(x, k) gives a normal number (x finite and nonzero).
bool scalable(Float80 x, int k) {
    int e = x.sign_exp & 0x7FFF;
    if (e == 0x7FFF || x.mant == 0) {
        return false;
    }
    if (e == 0) {
        e = 1;
    }
    for (u64 m = x.mant; !(m >> 63); m <<= 1) {
        --e;
    }
    return e + k >= 1 && e + k <= 0x7FFE;
}

/// The SDM's unmasked overflow/underflow response for the four basic operations: the exact
/// result times 2^-24576 (overflow) or 2^+24576 (underflow), rounded once. The scaling is
/// split between the operands so both stay exactly representable: an overflowing product or
/// quotient needs operand exponents that survive a 2^-/+12288 shift, an overflowing sum's
/// small addend only matters as a sticky bit, and underflowing operands are all small.
Float80 rebias(sf::Context& c, Op op, Float80 d, Float80 s, bool over) {
    Float80 a = d, b = s;
    if (op == Op::SubR || op == Op::DivR) {
        a = s;
        b = d;
    }
    const int k = over ? -24576 : 24576;
    switch (op) {
    case Op::Add:
    case Op::Sub:
    case Op::SubR:
        a = scale_exact(a, k);
        b = scale_exact(b, k);
        break;
    case Op::Mul:
        a = scale_exact(a, k / 2);
        b = scale_exact(b, k / 2);
        break;
    case Op::Div:
    case Op::DivR:
        a = scale_exact(a, k / 2);
        b = scale_exact(b, -k / 2);
        break;
    }
    switch (op) {
    case Op::Add: return sf::add(c, a, b);
    case Op::Mul: return sf::mul(c, a, b);
    case Op::Sub:
    case Op::SubR: return sf::sub(c, a, b);
    case Op::Div:
    case Op::DivR: return sf::div(c, a, b);
    }
    return a;
}

} // namespace

bool finish_reg(FpuState& f, sf::Context& c, Float80& r, const Rebias& rb) {
    const u16 fl = c.flags;
    const u16 pre = fl & (kIE | kDE | kZE);
    if (pre & ~f.fcw) {
        // Only the highest-priority one is reported (invalid before denormal, SDM 8.7), and
        // C1 is cleared (measured on the host).
        raise_flags(f, static_cast<u16>((pre & kIE) ? u16{kIE} : pre));
        set_cc(f, kC1, 0);
        return false;
    }
    const bool denormal_result = (r.sign_exp & 0x7FFF) == 0 && r.mant != 0;
    u16 out = fl;
    bool c1 = c.c1;
    const bool over = (fl & kOE) && !(f.fcw & kOE);
    const bool under = !over && ((fl & kUE) || denormal_result) && !(f.fcw & kUE);
    if ((over || under) && rb.fn) {
        sf::Context c2 = sf::Context::from_fcw(f.fcw);
        r = rb.fn(rb.ctx, c2, over);
        out = static_cast<u16>(pre | (over ? kOE : kUE) | (c2.flags & kPE));
        c1 = c2.c1;
        if (c2.flags & (over ? kOE : kUE)) {
            // Out of range even after the bias (FSCALE by a huge count): a signed infinity or
            // zero (host x87).
            r = Float80{over ? u64{1} << 63 : 0,
                        static_cast<u16>((r.sign_exp & 0x8000) | (over ? 0x7FFF : 0))};
            c1 = over;
        }
    } else if (under) {
        out = static_cast<u16>(out | kUE);
    }
    raise_flags(f, out);
    set_cc(f, kC1, c1 ? kC1 : 0);
    return true;
}

namespace {

struct ArithOperands {
    Op op;
    Float80 d, s;
};

Float80 rebias_thunk(const void* p, sf::Context& c, bool over) {
    const auto* o = static_cast<const ArithOperands*>(p);
    return rebias(c, o->op, o->d, o->s, over);
}

/// dst(ST(di)) = dst op src; the common tail of all arithmetic forms. Returns true when the
/// result was written (the P forms then pop).
bool do_arith(FpuState& f, Op op, unsigned di, Float80 d, Float80 s, sf::Context& c) {
    Float80 r = arith(c, op, d, s);
    const ArithOperands ops{op, d, s};
    if (!finish_reg(f, c, r, Rebias{rebias_thunk, &ops})) {
        return false;
    }
    set_st(f, di, r);
    return true;
}

/// Whether the operation reports DE for a denormal memory operand: exactly when it would for
/// an 80-bit denormal in its place (not with a NaN or invalid partner, for instance). The
/// widened m32/m64 operand itself is normal, so a stand-in with the same sign asks softfloat.
bool denormal_reported(const FpuState& f, Op op, Float80 s) {
    sf::Context probe = ctx(f);
    const Float80 stand_in{1, static_cast<u16>(s.sign_exp & 0x8000)};
    (void)arith(probe, op, st(f, 0), stand_in);
    return (probe.flags & kDE) != 0;
}

template <Op O, bool Int> Status arith_mem(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u64 raw;
    TRY(read_src<Int>(cpu, insn, raw));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    sf::Context conv = ctx(f);
    const Float80 s = src_value<Int>(conv, raw, insn.op[0].size);
    // A denormal m32/m64 reports DE unless the operation is invalid anyway (IE outranks DE,
    // and the widened operand is normal, so only the conversion can tell).
    sf::Context c = ctx(f);
    if (conv.flags & kDE) {
        c.flags = denormal_reported(f, O, s) ? kDE : 0;
    }
    do_arith(f, O, 0, st(f, 0), s, c);
    return Status::Ok;
}

/// Register forms: ToSti selects ST(i) = ST(i) op ST(0) (DC/DE) over ST(0) = ST(0) op ST(i).
template <Op O, bool ToSti, bool Pop> Status arith_reg(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = insn.modrm & 7;
    const unsigned di = ToSti ? i : 0, si = ToSti ? 0 : i;
    if (empty(f, 0) || empty(f, i)) {
        if (stack_underflow(f)) {
            set_st(f, di, sf::kIndefinite);
            if (Pop) {
                pop(f);
            }
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    if (do_arith(f, O, di, st(f, di), st(f, si), c) && Pop) {
        pop(f);
    }
    return Status::Ok;
}

// ---- comparisons ------------------------------------------------------------------------------

u16 cc_of(sf::Ordering o) {
    switch (o) {
    case sf::Ordering::Less: return kC0;
    case sf::Ordering::Equal: return kC3;
    case sf::Ordering::Greater: return 0;
    case sf::Ordering::Unordered: break;
    }
    return kC0 | kC2 | kC3;
}

/// Compares a with b into C0/C2/C3 (C1 = 0) and pops `pops` times. Unmasked IE/DE: no
/// condition codes, no pops.
void compare_cc(FpuState& f, Float80 a, Float80 b, bool signaling, unsigned pops, sf::Context& c) {
    if (c.flags & kDE) { // a denormal m32/m64 operand (see denormal_reported)
        sf::Context probe = c;
        probe.flags = 0;
        (void)sf::compare(probe, a, Float80{1, static_cast<u16>(b.sign_exp & 0x8000)}, signaling);
        c.flags = probe.flags & kDE;
    }
    const sf::Ordering o = sf::compare(c, a, b, signaling);
    // The condition codes are written even when IE/DE is unmasked (measured on the host,
    // unlike the SDM's wording); only the pops are suppressed.
    set_cc(f, kC0 | kC1 | kC2 | kC3, cc_of(o));
    const u16 pre = c.flags & (kIE | kDE);
    if (pre & ~f.fcw) {
        raise_flags(f, static_cast<u16>((pre & kIE) ? u16{kIE} : pre));
        return;
    }
    raise_flags(f, c.flags);
    for (unsigned n = 0; n < pops; ++n) {
        pop(f);
    }
}

void compare_underflow(FpuState& f, unsigned pops) {
    set_cc(f, kC0 | kC2 | kC3, kC0 | kC2 | kC3);
    if (stack_underflow(f)) {
        for (unsigned n = 0; n < pops; ++n) {
            pop(f);
        }
    }
}

template <bool Int, unsigned Pops> Status com_mem(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u64 raw;
    TRY(read_src<Int>(cpu, insn, raw));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        compare_underflow(f, Pops);
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    const Float80 s = src_value<Int>(c, raw, insn.op[0].size);
    compare_cc(f, st(f, 0), s, true, Pops, c);
    return Status::Ok;
}

/// FCOM/FCOMP/FUCOM/FUCOMP ST(i), FCOMPP/FUCOMPP (ST(1)).
template <bool Signaling, unsigned Pops, bool FixedSt1>
Status com_reg(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = FixedSt1 ? 1 : insn.modrm & 7;
    if (empty(f, 0) || empty(f, i)) {
        compare_underflow(f, Pops);
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    compare_cc(f, st(f, 0), st(f, i), Signaling, Pops, c);
    return Status::Ok;
}

/// FCOMI/FUCOMI/FCOMIP/FUCOMIP: ZF PF CF from the comparison, OF SF AF cleared, C1 = 0.
template <bool Signaling, bool Pop> Status comi(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = insn.modrm & 7;
    constexpr u32 kMask = kZF | kPF | kCF | kOF | cpu::kSF | kAF;
    if (empty(f, 0) || empty(f, i)) {
        set_flags(cpu.s, kMask, kZF | kPF | kCF);
        if (stack_underflow(f) && Pop) {
            pop(f);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    const sf::Ordering o = sf::compare(c, st(f, 0), st(f, i), Signaling);
    u32 fl = 0;
    switch (o) {
    case sf::Ordering::Less: fl = kCF; break;
    case sf::Ordering::Equal: fl = kZF; break;
    case sf::Ordering::Greater: fl = 0; break;
    case sf::Ordering::Unordered: fl = kZF | kPF | kCF; break;
    }
    // As with FCOM, the result is written even when IE/DE is unmasked; C1 is left alone
    // (the SDM says cleared; the host x87 keeps it).
    set_flags(cpu.s, kMask, fl);
    const u16 pre = c.flags & (kIE | kDE);
    if (pre & ~f.fcw) {
        raise_flags(f, static_cast<u16>((pre & kIE) ? u16{kIE} : pre));
        return Status::Ok;
    }
    raise_flags(f, c.flags);
    if (Pop) {
        pop(f);
    }
    return Status::Ok;
}

Status ftst(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        compare_underflow(f, 0);
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    compare_cc(f, st(f, 0), sf::kPosZero, true, 0, c);
    return Status::Ok;
}

Status fxam(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    set_cc(f, kC0 | kC1 | kC2 | kC3, sf::fxam(st(f, 0), empty(f, 0)));
    return Status::Ok;
}

// ---- loads ------------------------------------------------------------------------------------

/// Pushes v (or, on a stack overflow with IE masked, the indefinite). C1 = 0 on success.
void push_value(FpuState& f, Float80 v) {
    if (!empty(f, 7)) {
        if (stack_overflow(f)) {
            push(f, sf::kIndefinite);
        }
        return;
    }
    set_cc(f, kC1, 0);
    push(f, v);
}

template <unsigned Size> Status fld_mem(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    Float80 v;
    u64 raw = 0;
    if constexpr (Size == 10) {
        TRY(read_f80(cpu, insn, v));
    } else {
        TRY(read_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), Size, raw));
    }
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (!empty(f, 7)) {
        if (stack_overflow(f)) {
            push(f, sf::kIndefinite);
        }
        return Status::Ok;
    }
    if constexpr (Size != 10) {
        sf::Context c = ctx(f);
        v = Size == 4 ? sf::from_f32(c, static_cast<u32>(raw)) : sf::from_f64(c, raw);
        if (c.flags & ~f.fcw & kIE) { // an unmasked DE still loads (host x87)
            raise_flags(f, kIE);
            set_cc(f, kC1, 0);
            return Status::Ok;
        }
        raise_flags(f, c.flags);
    }
    set_cc(f, kC1, 0);
    push(f, v);
    return Status::Ok;
}

template <unsigned Size> Status fild(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u64 raw;
    TRY(read_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), Size, raw));
    note(cpu, insn);
    push_value(cpu.s.fpu, sf::from_int(static_cast<i64>(sx(raw, Size))));
    return Status::Ok;
}

Status fbld(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    u8 bcd[10];
    for (unsigned k = 0; k < 10; ++k) {
        TRY(cpu.read<u8>(insn.mem.seg, mem_off(cpu, insn, k), bcd[k]));
    }
    note(cpu, insn);
    push_value(cpu.s.fpu, sf::from_bcd(bcd));
    return Status::Ok;
}

Status fld_sti(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = insn.modrm & 7;
    // An empty source is reported before a full stack (host x87).
    if (empty(f, i)) {
        if (stack_underflow(f)) {
            push(f, sf::kIndefinite);
        }
        return Status::Ok;
    }
    if (!empty(f, 7)) {
        if (stack_overflow(f)) {
            push(f, sf::kIndefinite);
        }
        return Status::Ok;
    }
    set_cc(f, kC1, 0);
    push(f, st(f, i));
    return Status::Ok;
}

/// The five irrational constants: the 64 leading significand bits of the true value and
/// whether the bits beyond them exceed one half (round-to-nearest goes up). None is exact,
/// so round-up adds one ulp and round-down/zero truncate (the constants are positive).
struct Const80 {
    u64 mant;
    u16 exp;
    bool nearest_up;
};
constexpr Const80 kL2T{0xD49A784BCD1B8AFEull, 0x4000, false}; // log2(10)  ...8AFE 492B...
constexpr Const80 kL2E{0xB8AA3B295C17F0BBull, 0x3FFF, true};  // log2(e)   ...F0BB BE87...
constexpr Const80 kPi{0xC90FDAA22168C234ull, 0x4000, true};   // pi        ...C234 C4C6...
constexpr Const80 kLG2{0x9A209A84FBCFF798ull, 0x3FFD, true};  // log10(2)  ...F798 8F89...
constexpr Const80 kLN2{0xB17217F7D1CF79ABull, 0x3FFE, true};  // ln(2)     ...79AB C9E3...

template <int Which> Status fldconst(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    Float80 v;
    if constexpr (Which == 0) {
        v = sf::kPosOne;
    } else if constexpr (Which == 1) {
        v = sf::kPosZero;
    } else {
        constexpr Const80 k = Which == 2 ? kL2T : Which == 3 ? kL2E : Which == 4 ? kPi
                            : Which == 5 ? kLG2 : kLN2;
        const unsigned rc = (f.fcw >> 10) & 3;
        const bool up = rc == sf::kRoundUp || (rc == sf::kRoundNearest && k.nearest_up);
        v = Float80{k.mant + (up ? 1 : 0), k.exp};
    }
    push_value(f, v);
    return Status::Ok;
}

// ---- stores -----------------------------------------------------------------------------------

/// An integer or float store from an empty ST(0): stack underflow; with IE masked the
/// indefinite `indefinite` is stored (and the stack popped if the instruction pops).
Status store_from_empty(Cpu& cpu, const DecodedInsn& insn, unsigned size, u64 indefinite,
                        bool pops) {
    FpuState& f = cpu.s.fpu;
    if (f.fcw & kIE) {
        TRY(write_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), size, indefinite));
    }
    note(cpu, insn);
    if (stack_underflow(f) && pops) {
        pop(f);
    }
    return Status::Ok;
}

/// Finishes FST/FIST m16..m64 once the value is converted: an unmasked exception among
/// `unmasked_stops` stores nothing and does not pop; otherwise the value is stored, the flags
/// raised, C1 set from rounding, and the stack popped if the instruction pops.
Status store_converted(Cpu& cpu, const DecodedInsn& insn, const sf::Context& c, u16 unmasked_stops,
                       unsigned size, u64 value, bool pops) {
    FpuState& f = cpu.s.fpu;
    if (c.flags & ~f.fcw & unmasked_stops) {
        note(cpu, insn);
        raise_flags(f, c.flags & unmasked_stops);
        set_cc(f, kC1, 0);
        return Status::Ok;
    }
    TRY(write_mem(cpu, insn.mem.seg, ea_offset(cpu, insn), size, value));
    note(cpu, insn);
    raise_flags(f, c.flags);
    set_cc(f, kC1, c.c1 ? kC1 : 0);
    if (pops) {
        pop(f);
    }
    return Status::Ok;
}

/// FST/FSTP m32/m64. Unmasked IE/OE/UE: nothing stored, no pop.
template <unsigned Size, bool Pop> Status fst_mem(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        return store_from_empty(cpu, insn, Size, Size == 4 ? 0xFFC00000ull : 0xFFF8000000000000ull,
                                Pop);
    }
    sf::Context c = ctx(f);
    const u64 bits = Size == 4 ? sf::to_f32(c, st(f, 0)) : sf::to_f64(c, st(f, 0));
    return store_converted(cpu, insn, c, kIE | kOE | kUE, Size, bits, Pop);
}

Status fstp_m80(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        if (f.fcw & kIE) {
            TRY(write_f80(cpu, insn, sf::kIndefinite));
        }
        note(cpu, insn);
        if (stack_underflow(f)) {
            pop(f);
        }
        return Status::Ok;
    }
    TRY(write_f80(cpu, insn, st(f, 0)));
    note(cpu, insn);
    set_cc(f, kC1, 0);
    pop(f);
    return Status::Ok;
}

/// FIST/FISTP m16/m32/m64: integer indefinite on overflow/NaN (masked IE), nothing stored on
/// unmasked IE.
template <unsigned Size, bool Pop> Status fist(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        return store_from_empty(cpu, insn, Size, u64{1} << (Size * 8 - 1), Pop);
    }
    sf::Context c = ctx(f);
    u64 v;
    if constexpr (Size == 2) {
        v = static_cast<u16>(sf::to_i16(c, st(f, 0)));
    } else if constexpr (Size == 4) {
        v = static_cast<u32>(sf::to_i32(c, st(f, 0)));
    } else {
        v = static_cast<u64>(sf::to_i64(c, st(f, 0)));
    }
    return store_converted(cpu, insn, c, kIE, Size, v, Pop);
}

Status fbstp(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    FpuState& f = cpu.s.fpu;
    u8 bcd[10] = {};
    sf::Context c = ctx(f);
    const bool under = empty(f, 0);
    if (under) {
        bcd[7] = 0xC0; // the BCD indefinite: FF FF C0 00 .. 00 from the top byte down
        bcd[8] = 0xFF;
        bcd[9] = 0xFF;
    } else {
        sf::to_bcd(c, st(f, 0), bcd);
    }
    const bool suppressed = under ? !(f.fcw & kIE) : (c.flags & ~f.fcw & kIE) != 0;
    if (!suppressed) {
        TRY(cpu.probe_write(insn.mem.seg, mem_off(cpu, insn, 0), 10));
        for (unsigned k = 0; k < 10; ++k) {
            TRY(cpu.write<u8>(insn.mem.seg, mem_off(cpu, insn, k), bcd[k]));
        }
    }
    note(cpu, insn);
    if (under) {
        if (stack_underflow(f)) {
            pop(f);
        }
        return Status::Ok;
    }
    if (suppressed) {
        raise_flags(f, kIE);
        set_cc(f, kC1, 0);
        return Status::Ok;
    }
    raise_flags(f, c.flags);
    set_cc(f, kC1, c.c1 ? kC1 : 0);
    pop(f);
    return Status::Ok;
}

/// FST/FSTP ST(i): a register copy, never rounded, never an exception but underflow.
template <bool Pop> Status fst_sti(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = insn.modrm & 7;
    if (empty(f, 0)) {
        if (stack_underflow(f)) {
            set_st(f, i, sf::kIndefinite);
            if (Pop) {
                pop(f);
            }
        }
        return Status::Ok;
    }
    set_cc(f, kC1, 0);
    set_st(f, i, st(f, 0));
    if (Pop) {
        pop(f);
    }
    return Status::Ok;
}

// ---- register manipulation -------------------------------------------------------------------

Status fxch(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = insn.modrm & 7;
    Float80 a = st(f, 0), b = st(f, i);
    if (empty(f, 0) || empty(f, i)) {
        const bool e0 = empty(f, 0), ei = empty(f, i);
        if (!stack_underflow(f)) {
            return Status::Ok;
        }
        if (e0) {
            a = sf::kIndefinite;
        }
        if (ei) {
            b = sf::kIndefinite;
        }
    } else {
        set_cc(f, kC1, 0);
    }
    set_st(f, 0, b);
    set_st(f, i, a);
    return Status::Ok;
}

Status ffree(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    set_tag(f, phys(f, insn.modrm & 7), 3);
    return Status::Ok;
}

template <int Delta> Status incdec(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    set_top(f, static_cast<unsigned>(static_cast<int>(top(f)) + Delta));
    set_cc(f, kC1, 0);
    return Status::Ok;
}

Status fnop(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    return Status::Ok;
}

template <bool Abs> Status chs_abs(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    Float80 v = st(f, 0);
    v.sign_exp = static_cast<u16>(Abs ? v.sign_exp & 0x7FFF : v.sign_exp ^ 0x8000);
    set_cc(f, kC1, 0);
    set_st(f, 0, v);
    return Status::Ok;
}

/// FCMOVcc: ST(0) = ST(i) when the EFLAGS condition (Jcc numbering) holds.
template <unsigned Cc> Status fcmov(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    const unsigned i = insn.modrm & 7;
    if (empty(f, 0) || empty(f, i)) {
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    // C1 is left alone (the SDM says cleared; the host x87 keeps it).
    if (eval_cond(cpu.s, Cc)) {
        set_st(f, 0, st(f, i));
    }
    return Status::Ok;
}

// ---- one- and two-operand functions on the stack --------------------------------------------

Float80 no_rebias(const void* p, sf::Context&, bool) { return *static_cast<const Float80*>(p); }

/// For exact results (FPREM/FPREM1): the masked result scaled by 2^+/-24576.
Float80 rebias_exact(const void* p, sf::Context&, bool over) {
    return scale_exact(*static_cast<const Float80*>(p), over ? -24576 : 24576);
}

struct TinyTrig {
    Float80 x;
    bool tan; ///< tan x = x(1 + d) rather than sin x = x(1 - d)
};

/// FSIN/FSINCOS/FPTAN underflow: for |x| < 2^-16382, sin x and tan x are x times (1 -/+ d)
/// with d < 2^-32000, so the bias-adjusted result is x * 2^24576 nudged by a far-away
/// sticky bit, rounded to 64 bits: an add/sub of a minimal denormal does exactly that.
Float80 rebias_tiny_trig(const void* p, sf::Context& c, bool over) {
    const auto* o = static_cast<const TinyTrig*>(p);
    if (over || !scalable(o->x, 24576)) {
        return o->x;
    }
    c.precision = sf::kPrec64;
    const Float80 xs = scale_exact(o->x, 24576);
    const Float80 nudge{1, static_cast<u16>(o->x.sign_exp & 0x8000)};
    Float80 r = o->tan ? sf::add(c, xs, nudge) : sf::sub(c, xs, nudge);
    c.flags = static_cast<u16>((c.flags & ~kDE) | kPE);
    return r;
}

Float80 patan_fn(sf::Context& c, Float80 x, Float80 y);
Float80 f2xm1_fn(sf::Context& c, Float80 a);

/// F2XM1 underflow (tiny x): 2^x - 1 = x ln 2 (1 + x ln2 / 2 ...) is linear far beyond 64
/// bits once |x| <= 2^-100, so evaluate at x * 2^j there and scale the result.
Float80 rebias_f2xm1(const void* p, sf::Context& c, bool over) {
    const Float80 x = *static_cast<const Float80*>(p);
    const int j = -100 - norm_exp(x);
    if (!over && j > 0 && scalable(x, j)) {
        const Float80 r = sf::f2xm1(c, scale_exact(x, j));
        if (scalable(r, 24576 - j)) {
            return scale_exact(r, 24576 - j);
        }
    }
    c.flags = 0;
    return sf::f2xm1(c, x);
}

/// ST(0) = fn(ST(0)) for FSQRT, FRNDINT, F2XM1.
template <Float80 (*Fn)(sf::Context&, Float80)> Status unary(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    const Float80 x = st(f, 0);
    Float80 r = Fn(c, x);
    const Float80 masked = r;
    const Rebias rb = Fn == f2xm1_fn ? Rebias{rebias_f2xm1, &x} : Rebias{no_rebias, &masked};
    if (finish_reg(f, c, r, rb)) {
        set_st(f, 0, r);
    }
    return Status::Ok;
}

/// FSIN/FCOS: C2 = 1 and ST(0) unchanged when |x| >= 2^63.
template <sf::TrigResult (*Fn)(sf::Context&, Float80)> Status trig(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        set_cc(f, kC2, 0);
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    sf::TrigResult t = Fn(c, st(f, 0));
    if (t.out_of_range) {
        set_cc(f, kC2, kC2);
        return Status::Ok;
    }
    const TinyTrig tt{st(f, 0), false}; // only FSIN can underflow (cos x is near 1)
    set_cc(f, kC2, 0);
    if (finish_reg(f, c, t.value, Rebias{rebias_tiny_trig, &tt})) {
        set_st(f, 0, t.value);
    }
    return Status::Ok;
}

/// The stack checks of the instructions that replace ST(0) and push a second result (FPTAN,
/// FSINCOS): an empty ST(0) underflows, a full ST(7) overflows; with the exception masked both
/// results become the indefinite. Returns true when the instruction ends here.
bool replace_and_push_faults(FpuState& f) {
    if (empty(f, 0) || !empty(f, 7)) {
        set_cc(f, kC2, 0);
        if (empty(f, 0) ? stack_underflow(f) : stack_overflow(f)) {
            set_st(f, 0, sf::kIndefinite);
            push(f, sf::kIndefinite);
        }
        return true;
    }
    return false;
}

Status fptan(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (replace_and_push_faults(f)) {
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    sf::TrigResult t = sf::fptan(c, st(f, 0));
    if (t.out_of_range) {
        set_cc(f, kC2, kC2);
        return Status::Ok;
    }
    const TinyTrig tt{st(f, 0), true};
    set_cc(f, kC2, 0);
    if (finish_reg(f, c, t.value, Rebias{rebias_tiny_trig, &tt})) {
        set_st(f, 0, t.value);
        // A completed FPTAN pushes 1.0; a NaN result is pushed again instead (host x87).
        const bool nan = (t.value.sign_exp & 0x7FFF) == 0x7FFF && (t.value.mant << 1) != 0;
        push(f, nan ? t.value : sf::kPosOne);
    }
    return Status::Ok;
}

Status fsincos(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (replace_and_push_faults(f)) {
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    sf::SinCosResult t = sf::fsincos(c, st(f, 0));
    if (t.out_of_range) {
        set_cc(f, kC2, kC2);
        return Status::Ok;
    }
    Float80 s = t.sin;
    const TinyTrig tt{st(f, 0), false};
    set_cc(f, kC2, 0);
    if (finish_reg(f, c, s, Rebias{rebias_tiny_trig, &tt})) {
        set_st(f, 0, s);
        push(f, t.cos);
    }
    return Status::Ok;
}

struct LogOperands {
    Float80 (*fn)(sf::Context&, Float80, Float80);
    Float80 x, y, masked;
};

/// FYL2X/FYL2XP1's unmasked overflow/underflow: y * 2^-/+24576 in place of y, which is exact
/// whenever that is representable (always for FYL2X; FYL2XP1 with a tiny x and a large y
/// keeps the masked result).
Float80 rebias_log(const void* p, sf::Context& c, bool over) {
    const auto* o = static_cast<const LogOperands*>(p);
    const int k = over ? -24576 : 24576;
    if (o->fn != patan_fn && scalable(o->y, k)) { // y * log2(...) is linear in y
        return o->fn(c, o->x, scale_exact(o->y, k));
    }
    // FYL2XP1 with a tiny x (y * log2(1 + x) ~ y * x * log2(e)): move x up to about 2^-100,
    // where the function is still linear far beyond 64 bits, and the rest of the bias onto
    // the result, which is then exact to scale.
    const int j = -100 - norm_exp(o->x);
    if (!over && o->fn != patan_fn && j > 0 && scalable(o->x, j) && norm_exp(o->y) > -16000 &&
        norm_exp(o->y) < 16000) {
        const Float80 r = o->fn(c, scale_exact(o->x, j), o->y);
        if (scalable(r, k - j)) {
            return scale_exact(r, k - j);
        }
    }
    // FPATAN with a tiny y / x: atan is linear there too; scale y instead.
    if (!over && o->fn == patan_fn) {
        const int jy = -100 - (norm_exp(o->y) - norm_exp(o->x));
        if (jy > 0 && scalable(o->y, jy)) {
            const Float80 r = o->fn(c, o->x, scale_exact(o->y, jy));
            if (scalable(r, k - jy)) {
                return scale_exact(r, k - jy);
            }
        }
    }
    c.flags = 0;
    return o->masked;
}


/// ST(1) = fn(ST(0), ST(1)), then pop: FYL2X, FYL2XP1, FPATAN.
template <Float80 (*Fn)(sf::Context&, Float80, Float80)> Status binary_pop(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0) || empty(f, 1)) {
        if (stack_underflow(f)) {
            set_st(f, 1, sf::kIndefinite);
            pop(f);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    Float80 r = Fn(c, st(f, 0), st(f, 1));
    const LogOperands ops{Fn, st(f, 0), st(f, 1), r};
    const Float80 masked = r;
    (void)masked;
    if (finish_reg(f, c, r, Rebias{rebias_log, &ops})) {
        set_st(f, 1, r);
        pop(f);
    }
    return Status::Ok;
}

struct ScaleOperands {
    Float80 a, b;
};

/// FSCALE's unmasked overflow/underflow: scale by trunc(ST(1)) -/+ 24576 instead.
Float80 rebias_scale(const void* p, sf::Context& c, bool over) {
    const auto* o = static_cast<const ScaleOperands*>(p);
    sf::Context tc;
    tc.rounding = sf::kRoundZero;
    const Float80 n = sf::round_to_int(tc, o->b);
    sf::Context ic;
    const i64 k = sf::to_i64(ic, n);
    if (ic.flags & kIE) {
        return sf::scale(c, o->a, o->b);
    }
    const i64 adj = over ? k - 24576 : k + 24576;
    return sf::scale(c, o->a, sf::from_int(adj));
}

Status fscale(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0) || empty(f, 1)) {
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    const ScaleOperands ops{st(f, 0), st(f, 1)};
    Float80 r = sf::scale(c, ops.a, ops.b);
    if (finish_reg(f, c, r, Rebias{rebias_scale, &ops})) {
        set_st(f, 0, r);
    }
    return Status::Ok;
}

template <bool Ieee> Status fprem(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0) || empty(f, 1)) {
        set_cc(f, kC2, 0);
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    sf::RemResult r = Ieee ? sf::prem1(c, st(f, 0), st(f, 1)) : sf::prem(c, st(f, 0), st(f, 1));
    const Float80 masked = r.value;
    set_cc(f, kC2, 0);
    // The remainder is exact, so its bias-adjusted form is just the scaled value.
    if (finish_reg(f, c, r.value, Rebias{rebias_exact, &masked})) {
        const u16 q = r.quotient;
        const bool nan = (r.value.sign_exp & 0x7FFF) == 0x7FFF && (r.value.mant << 1) != 0;
        // A NaN result leaves C0 and C3 alone (undefined in the SDM; kept by the host).
        set_cc(f, nan ? kC1 | kC2 : kC0 | kC1 | kC2 | kC3,
               static_cast<u16>(((q & 1) ? kC1 : 0) | ((q & 2) ? kC3 : 0) | ((q & 4) ? kC0 : 0) |
                                (r.incomplete ? kC2 : 0)));
        set_st(f, 0, r.value);
    }
    return Status::Ok;
}

Status fxtract(Cpu& cpu, const DecodedInsn& insn) {
    TRY(enter(cpu, true));
    note(cpu, insn);
    FpuState& f = cpu.s.fpu;
    if (empty(f, 0)) {
        if (stack_underflow(f)) {
            set_st(f, 0, sf::kIndefinite);
            push(f, sf::kIndefinite);
        }
        return Status::Ok;
    }
    if (!empty(f, 7)) {
        if (stack_overflow(f)) {
            set_st(f, 0, sf::kIndefinite);
            push(f, sf::kIndefinite);
        }
        return Status::Ok;
    }
    sf::Context c = ctx(f);
    sf::XtractResult x = sf::xtract(c, st(f, 0));
    Float80 e = x.exponent;
    const Float80 masked = e;
    if (finish_reg(f, c, e, Rebias{no_rebias, &masked})) {
        set_st(f, 0, e);
        push(f, x.significand);
    }
    return Status::Ok;
}

Float80 sqrt_fn(sf::Context& c, Float80 a) { return sf::sqrt(c, a); }
Float80 rndint_fn(sf::Context& c, Float80 a) { return sf::round_to_int(c, a); }
Float80 f2xm1_fn(sf::Context& c, Float80 a) { return sf::f2xm1(c, a); }
sf::TrigResult sin_fn(sf::Context& c, Float80 a) { return sf::fsin(c, a); }
sf::TrigResult cos_fn(sf::Context& c, Float80 a) { return sf::fcos(c, a); }
Float80 yl2x_fn(sf::Context& c, Float80 x, Float80 y) { return sf::fyl2x(c, x, y); }
Float80 yl2xp1_fn(sf::Context& c, Float80 x, Float80 y) { return sf::fyl2xp1(c, x, y); }
Float80 patan_fn(sf::Context& c, Float80 x, Float80 y) { return sf::fpatan(c, x, y); }

} // namespace
} // namespace cpu::interp::x87

namespace cpu::interp {

void install_fpu(HandlerTable& t) {
    using namespace x87;
    auto set = [&t](InsnId id, Handler h) { t.h[static_cast<usize>(id)] = h; };
#define ARITH_ROWS(NAME, OP)                                                                  \
    set(InsnId::F##NAME##_Md, arith_mem<Op::OP, false>);                                           \
    set(InsnId::F##NAME##_Mq, arith_mem<Op::OP, false>);                                           \
    set(InsnId::FI##NAME##_Md, arith_mem<Op::OP, true>);                                           \
    set(InsnId::FI##NAME##_Mw, arith_mem<Op::OP, true>);                                           \
    set(InsnId::F##NAME##_ST0STi, arith_reg<Op::OP, false, false>);                                \
    set(InsnId::F##NAME##_STiST0, arith_reg<Op::OP, true, false>);                                \
    set(InsnId::F##NAME##P_STiST0, arith_reg<Op::OP, true, true>);
    // The DC/DE register forms name the operation from ST(i)'s side, and for SUB/DIV the
    // DC E0+i / DE E0+i encodings are FSUBR, so the row's own name already says which way.
    ARITH_ROWS(ADD, Add)
    ARITH_ROWS(MUL, Mul)
    ARITH_ROWS(SUB, Sub)
    ARITH_ROWS(SUBR, SubR)
    ARITH_ROWS(DIV, Div)
    ARITH_ROWS(DIVR, DivR)
#undef ARITH_ROWS

    set(InsnId::FCOM_Md, com_mem<false, 0>);
    set(InsnId::FCOM_Mq, com_mem<false, 0>);
    set(InsnId::FCOMP_Md, com_mem<false, 1>);
    set(InsnId::FCOMP_Mq, com_mem<false, 1>);
    set(InsnId::FICOM_Md, com_mem<true, 0>);
    set(InsnId::FICOM_Mw, com_mem<true, 0>);
    set(InsnId::FICOMP_Md, com_mem<true, 1>);
    set(InsnId::FICOMP_Mw, com_mem<true, 1>);
    set(InsnId::FCOM_STi, com_reg<true, 0, false>);
    set(InsnId::FCOMP_STi, com_reg<true, 1, false>);
    set(InsnId::FCOMPP, com_reg<true, 2, true>);
    set(InsnId::FUCOM_STi, com_reg<false, 0, false>);
    set(InsnId::FUCOMP_STi, com_reg<false, 1, false>);
    set(InsnId::FUCOMPP, com_reg<false, 2, true>);
    set(InsnId::FCOMI_ST0STi, comi<true, false>);
    set(InsnId::FCOMIP_ST0STi, comi<true, true>);
    set(InsnId::FUCOMI_ST0STi, comi<false, false>);
    set(InsnId::FUCOMIP_ST0STi, comi<false, true>);
    set(InsnId::FTST, ftst);
    set(InsnId::FXAM, fxam);

    set(InsnId::FLD_Md, fld_mem<4>);
    set(InsnId::FLD_Mq, fld_mem<8>);
    set(InsnId::FLD_Mt, fld_mem<10>);
    set(InsnId::FILD_Mw, fild<2>);
    set(InsnId::FILD_Md, fild<4>);
    set(InsnId::FILD_Mq, fild<8>);
    set(InsnId::FBLD_Mt, fbld);
    set(InsnId::FLD_STi, fld_sti);
    set(InsnId::FLD1, fldconst<0>);
    set(InsnId::FLDZ, fldconst<1>);
    set(InsnId::FLDL2T, fldconst<2>);
    set(InsnId::FLDL2E, fldconst<3>);
    set(InsnId::FLDPI, fldconst<4>);
    set(InsnId::FLDLG2, fldconst<5>);
    set(InsnId::FLDLN2, fldconst<6>);

    set(InsnId::FST_Md, fst_mem<4, false>);
    set(InsnId::FSTP_Md, fst_mem<4, true>);
    set(InsnId::FST_Mq, fst_mem<8, false>);
    set(InsnId::FSTP_Mq, fst_mem<8, true>);
    set(InsnId::FSTP_Mt, fstp_m80);
    set(InsnId::FIST_Mw, fist<2, false>);
    set(InsnId::FISTP_Mw, fist<2, true>);
    set(InsnId::FIST_Md, fist<4, false>);
    set(InsnId::FISTP_Md, fist<4, true>);
    set(InsnId::FISTP_Mq, fist<8, true>);
    set(InsnId::FBSTP_Mt, fbstp);
    set(InsnId::FST_STi, fst_sti<false>);
    set(InsnId::FSTP_STi, fst_sti<true>);

    set(InsnId::FXCH_STi, fxch);
    set(InsnId::FFREE_STi, ffree);
    set(InsnId::FINCSTP, incdec<1>);
    set(InsnId::FDECSTP, incdec<-1>);
    set(InsnId::FNOP, fnop);
    set(InsnId::FCHS, chs_abs<false>);
    set(InsnId::FABS, chs_abs<true>);
    set(InsnId::FCMOVB_ST0STi, fcmov<0x2>);
    set(InsnId::FCMOVNB_ST0STi, fcmov<0x3>);
    set(InsnId::FCMOVE_ST0STi, fcmov<0x4>);
    set(InsnId::FCMOVNE_ST0STi, fcmov<0x5>);
    set(InsnId::FCMOVBE_ST0STi, fcmov<0x6>);
    set(InsnId::FCMOVNBE_ST0STi, fcmov<0x7>);
    set(InsnId::FCMOVU_ST0STi, fcmov<0xA>);
    set(InsnId::FCMOVNU_ST0STi, fcmov<0xB>);

    set(InsnId::FSQRT, unary<sqrt_fn>);
    set(InsnId::FRNDINT, unary<rndint_fn>);
    set(InsnId::F2XM1, unary<f2xm1_fn>);
    set(InsnId::FSIN, trig<sin_fn>);
    set(InsnId::FCOS, trig<cos_fn>);
    set(InsnId::FPTAN, fptan);
    set(InsnId::FSINCOS, fsincos);
    set(InsnId::FYL2X, binary_pop<yl2x_fn>);
    set(InsnId::FYL2XP1, binary_pop<yl2xp1_fn>);
    set(InsnId::FPATAN, binary_pop<patan_fn>);
    set(InsnId::FSCALE, fscale);
    set(InsnId::FPREM, fprem<false>);
    set(InsnId::FPREM1, fprem<true>);
    set(InsnId::FXTRACT, fxtract);

    install_fpu_env(t);
}

} // namespace cpu::interp
