// SPDX-License-Identifier: MIT
// Case generation for the host-CPU oracle (see generator.h). Every case is built from parts —
// prefixes, opcode, ModRM/SIB, displacement, immediate — so the same parts can be emitted twice:
// as the 32-bit encoding tx86 runs and as its 64-bit-mode twin for the native runner (67h for
// 32-bit addressing, [disp32] as SIB-absolute, INC/DEC r32 through FF /0 /1, 82 as its 80 alias).
#include "tests/oracle/generator.h"

#include "base/bits.h"
#include "cpu/state.h"

#include <cstdio>
#include <cstring>
#include <string_view>

namespace oracle {

using cpu::InsnId;
using cpu::OpMethod;
using cpu::OpSize;

namespace {

constexpr u32 kW = ORACLE_WINDOW_BASE;
constexpr u32 kArithDf = cpu::kArithFlags | cpu::kDF;

bool is(InsnId id, std::initializer_list<InsnId> ids) {
    for (InsnId x : ids) {
        if (x == id) {
            return true;
        }
    }
    return false;
}

std::string_view mnem(InsnId id) { return cpu::insn_info(id).mnemonic; }

bool is_stack_form(InsnId id) {
    return is(id, {InsnId::PUSH_Zv, InsnId::POP_Zv, InsnId::PUSH_Iz, InsnId::PUSH_Ib, InsnId::POP_Ev,
                   InsnId::PUSH_Ev, InsnId::PUSHF, InsnId::POPF, InsnId::ENTER_IwIb, InsnId::LEAVE,
                   InsnId::PUSH_FS, InsnId::PUSH_GS});
}

bool is_string_form(InsnId id) {
    return is(id, {InsnId::MOVSB, InsnId::MOVS, InsnId::CMPSB, InsnId::CMPS, InsnId::STOSB,
                   InsnId::STOS, InsnId::LODSB, InsnId::LODS, InsnId::SCASB, InsnId::SCAS});
}

/// Edge-biased value of `bytes` width (upper bits random).
u32 edge_value(Rng& r, unsigned bytes) {
    const unsigned bits = bytes * 8;
    const u32 mask = bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
    u32 v;
    switch (r.below(10)) {
    case 0: v = 0; break;
    case 1: v = 1; break;
    case 2: v = mask; break;                  // -1
    case 3: v = 1u << (bits - 1); break;      // sign bit
    case 4: v = (1u << (bits - 1)) - 1; break; // max positive
    case 5: v = r.below(40); break;
    case 6: v = static_cast<u32>(-static_cast<i32>(r.below(40))); break;
    default: return r.u32v();
    }
    return (r.u32v() & ~mask) | (v & mask);
}

/// A register value: edge-biased at a random width.
u32 reg_value(Rng& r) {
    static const unsigned widths[3] = {1, 2, 4};
    return edge_value(r, widths[r.below(3)]);
}

/// The instruction being assembled.
struct Parts {
    u8 pfx[6] = {};
    unsigned npfx = 0;
    u8 mand = 0; ///< mandatory SIMD prefix (emitted after the others)
    cpu::OpMap map = cpu::OpMap::One;
    u8 opcode = 0;
    bool has_modrm = false;
    u8 modrm = 0;
    bool has_sib = false;
    u8 sib = 0;
    unsigned disp_len = 0;
    u32 disp = 0;
    bool abs32 = false; ///< mod=00 rm=101: [disp32] in 32-bit code
    u8 imm[8] = {};
    unsigned imm_len = 0;
    bool addr = false;  ///< uses 32-bit addressing (memory operand, string, XLAT, moffs)
    bool incdec_z = false; ///< 40+r / 48+r, re-encoded for 64-bit mode
};

void emit_tail(const Parts& p, u8* out, unsigned& n, bool native64) {
    if (p.map != cpu::OpMap::One) {
        out[n++] = 0x0F;
        if (p.map == cpu::OpMap::Three38) {
            out[n++] = 0x38;
        } else if (p.map == cpu::OpMap::Three3A) {
            out[n++] = 0x3A;
        }
    }
    if (native64 && p.incdec_z) {
        out[n++] = 0xFF;
        out[n++] = static_cast<u8>(0xC0 | (p.opcode >= 0x48 ? 0x08 : 0) | (p.opcode & 7));
        return;
    }
    out[n++] = native64 && p.map == cpu::OpMap::One && p.opcode == 0x82 ? 0x80 : p.opcode;
    if (p.has_modrm) {
        if (native64 && p.abs32) {
            out[n++] = static_cast<u8>((p.modrm & 0x38) | 0x04);
            out[n++] = 0x25;
        } else {
            out[n++] = p.modrm;
            if (p.has_sib) {
                out[n++] = p.sib;
            }
        }
    }
    for (unsigned i = 0; i < p.disp_len; ++i) {
        out[n++] = static_cast<u8>(p.disp >> (8 * i));
    }
    for (unsigned i = 0; i < p.imm_len; ++i) {
        out[n++] = p.imm[i];
    }
}

void emit(const Parts& p, Case& c) {
    c.len32 = 0;
    for (unsigned i = 0; i < p.npfx; ++i) {
        c.code32[c.len32++] = p.pfx[i];
    }
    if (p.mand) {
        c.code32[c.len32++] = p.mand;
    }
    emit_tail(p, c.code32, c.len32, false);

    c.len64 = 0;
    if (p.addr) {
        c.code64[c.len64++] = 0x67;
    }
    for (unsigned i = 0; i < p.npfx; ++i) {
        c.code64[c.len64++] = p.pfx[i];
    }
    if (p.mand) {
        c.code64[c.len64++] = p.mand;
    }
    emit_tail(p, c.code64, c.len64, true);
}

void put_imm(Parts& p, u32 v, unsigned len) {
    for (unsigned i = 0; i < len; ++i) {
        p.imm[p.imm_len++] = static_cast<u8>(v >> (8 * i));
    }
}

/// Picks an addressing form whose effective address is `target`, using base/index registers
/// not in `busy` (a bit set of GPRs whose values are already fixed).
void address(Rng& r, Parts& p, Case& c, u32 target, unsigned busy, bool allow_esp_base) {
    p.addr = true;
    auto free_reg = [&](bool for_index) -> int {
        for (int tries = 0; tries < 16; ++tries) {
            const unsigned g = r.below(8);
            if (busy & (1u << g)) {
                continue;
            }
            if (g == cpu::kRsp && (for_index || !allow_esp_base)) {
                continue;
            }
            return static_cast<int>(g);
        }
        return -1;
    };
    const u8 reg = p.modrm & 0x38;
    const unsigned form = r.below(6);
    const int base = free_reg(false);
    if (form == 0 || base < 0) {
        p.modrm = static_cast<u8>(reg | 0x05); // [disp32]
        p.abs32 = true;
        p.disp_len = 4;
        p.disp = target;
        return;
    }
    const int index = form >= 4 ? free_reg(true) : -1;
    if (index < 0 && base != cpu::kRsp) {
        // [base + disp]: mod 00 (not EBP), 01 or 10.
        unsigned mod = r.below(3);
        if (mod == 0 && base == cpu::kRbp) {
            mod = 1;
        }
        const u32 disp = mod == 0 ? 0 : (mod == 1 ? static_cast<u32>(static_cast<i8>(r.u32v())) : r.u32v());
        p.modrm = static_cast<u8>((mod << 6) | reg | base);
        p.disp_len = mod == 0 ? 0 : (mod == 1 ? 1 : 4);
        p.disp = disp;
        c.gpr[base] = target - disp;
        busy |= 1u << base;
        return;
    }
    // SIB: [base + index*scale + disp]; index 100 means none.
    const unsigned scale = r.below(4);
    const unsigned idx = index < 0 ? 4u : static_cast<unsigned>(index);
    u32 idx_val = 0;
    if (index >= 0) {
        idx_val = r.chance(1, 2) ? r.below(64) : r.u32v();
        c.gpr[idx] = idx_val;
    }
    if (index >= 0 && index == base) {
        // Same register twice: v + v*scale + disp32 = target.
        p.modrm = static_cast<u8>(0x80 | reg | 0x04);
        p.has_sib = true;
        p.sib = static_cast<u8>((scale << 6) | (idx << 3) | static_cast<unsigned>(base));
        p.disp_len = 4;
        p.disp = target - idx_val - (idx_val << scale);
        return;
    }
    unsigned mod = r.below(3);
    if (mod == 0 && base == cpu::kRbp) {
        mod = 1;
    }
    const u32 disp = mod == 0 ? 0 : (mod == 1 ? static_cast<u32>(static_cast<i8>(r.u32v())) : r.u32v());
    p.modrm = static_cast<u8>((mod << 6) | reg | 0x04);
    p.has_sib = true;
    p.sib = static_cast<u8>((scale << 6) | (idx << 3) | static_cast<unsigned>(base));
    p.disp_len = mod == 0 ? 0 : (mod == 1 ? 1 : 4);
    p.disp = disp;
    c.gpr[base] = target - disp - (idx_val << scale);
}

u32 window_dword(u32 seed, unsigned off, const Case& c) {
    static u8 w[ORACLE_WINDOW_SIZE];
    static u32 cached = 0;
    static bool valid = false;
    if (!valid || cached != seed) {
        oracle_fill_window(w, seed);
        cached = seed;
        valid = true;
    }
    u8 b[4];
    for (unsigned i = 0; i < 4; ++i) {
        const unsigned o = off + i;
        b[i] = (o >= c.patch_off && o < static_cast<unsigned>(c.patch_off + c.patch_len))
                   ? c.patch[o - c.patch_off]
                   : w[o];
    }
    return static_cast<u32>(b[0]) | (static_cast<u32>(b[1]) << 8) | (static_cast<u32>(b[2]) << 16) |
           (static_cast<u32>(b[3]) << 24);
}

void set_patch(Case& c, u16 off, const u8* bytes, u16 len) {
    c.patch_off = off;
    c.patch_len = len;
    std::memcpy(c.patch, bytes, len);
}

void patch_value(Case& c, u16 off, u32 lo, u32 hi, u16 len) {
    u8 b[8];
    for (unsigned i = 0; i < 4; ++i) {
        b[i] = static_cast<u8>(lo >> (8 * i));
        b[4 + i] = static_cast<u8>(hi >> (8 * i));
    }
    set_patch(c, off, b, len);
}

u32 get_reg(const Case& c, unsigned idx, unsigned size) {
    if (size == 1) {
        return idx >= 4 ? (c.gpr[idx - 4] >> 8) & 0xFF : c.gpr[idx] & 0xFF;
    }
    return size == 2 ? c.gpr[idx] & 0xFFFF : c.gpr[idx];
}

void set_reg(Case& c, unsigned idx, unsigned size, u32 v) {
    if (size == 1) {
        u32& r = c.gpr[idx >= 4 ? idx - 4 : idx];
        const unsigned sh = idx >= 4 ? 8 : 0;
        r = (r & ~(0xFFu << sh)) | ((v & 0xFF) << sh);
    } else if (size == 2) {
        c.gpr[idx] = (c.gpr[idx] & 0xFFFF0000u) | (v & 0xFFFF);
    } else {
        c.gpr[idx] = v;
    }
}

/// Random x87/SSE image: exceptions masked, a random TOP and tags, varied values.
void random_fx(Rng& r, Case& c) {
    u8* fx = c.fx_image;
    std::memset(fx, 0, 512);
    const u16 fcw = static_cast<u16>(0x037F | (r.chance(1, 4) ? (r.below(4) << 10) : 0) |
                                     (r.chance(1, 4) ? (r.below(4) << 8) : 0));
    const unsigned top = r.below(8);
    const u16 fsw = static_cast<u16>(top << 11);
    std::memcpy(fx + 0, &fcw, 2);
    std::memcpy(fx + 2, &fsw, 2);
    fx[4] = static_cast<u8>(r.u32v()); // abridged tags
    for (unsigned i = 0; i < 8; ++i) {
        u8* st = fx + 32 + 16 * i;
        u64 mant = r.next() | (1ull << 63);
        u16 se = static_cast<u16>(0x3FFF - 64 + r.below(128));
        switch (r.below(8)) {
        case 0: mant = 0; se = 0; break;
        case 1: mant = 1ull << 63; se = 0x7FFF; break;       // infinity
        case 2: mant = (3ull << 62) | r.below(1000); se = 0x7FFF; break; // quiet NaN
        case 3: mant >>= 1 + r.below(8); se = 0; break;       // denormal
        default: break;
        }
        if (r.chance(1, 2)) {
            se |= 0x8000;
        }
        std::memcpy(st, &mant, 8);
        std::memcpy(st + 8, &se, 2);
    }
    const u32 mxcsr = 0x1F80 | (r.chance(1, 4) ? (r.below(4) << 13) : 0) |
                      (r.chance(1, 8) ? 0x8040u : 0);
    std::memcpy(fx + 24, &mxcsr, 4);
    const u32 mxmask = 0xFFFF;
    std::memcpy(fx + 28, &mxmask, 4);
    for (unsigned i = 0; i < 8 * 16; i += 4) {
        const u32 v = r.chance(1, 4) ? edge_value(r, 4) : r.u32v();
        std::memcpy(fx + 160 + i, &v, 4);
    }
}

} // namespace

std::string hex_bytes(const u8* p, unsigned n) {
    std::string s;
    char buf[4];
    for (unsigned i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", p[i]);
        s += buf;
    }
    return s;
}

const char* family_of(InsnId id) {
    const cpu::InsnInfo& in = cpu::insn_info(id);
    if (in.attrs & cpu::kFpu) {
        return "x87";
    }
    if (in.attrs & cpu::kMmx) {
        return "mmx";
    }
    if (in.attrs & cpu::kSse) {
        return "sse";
    }
    const std::string_view m = in.mnemonic;
    for (const char* x : {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test", "inc", "dec",
                          "neg", "not"}) {
        if (m == x) {
            return "alu";
        }
    }
    for (const char* x : {"mul", "imul", "div", "idiv"}) {
        if (m == x) {
            return "muldiv";
        }
    }
    for (const char* x : {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar", "shld", "shrd"}) {
        if (m == x) {
            return "shift";
        }
    }
    for (const char* x : {"bt", "bts", "btr", "btc", "bsf", "bsr", "set"}) {
        if (m == x) {
            return "bit";
        }
    }
    for (const char* x : {"daa", "das", "aaa", "aas", "aam", "aad"}) {
        if (m == x) {
            return "bcd";
        }
    }
    if (is_string_form(id)) {
        return "string";
    }
    for (const char* x : {"clc", "stc", "cmc", "cld", "std", "lahf", "sahf", "pushf", "popf"}) {
        if (m == x) {
            return "flags";
        }
    }
    return "data";
}

FormClass classify(InsnId id) {
    const cpu::InsnInfo& in = cpu::insn_info(id);
    if (in.attrs & cpu::kPriv0) {
        return {Verdict::Excluded, "privileged"};
    }
    if (in.attrs & cpu::kOnly64) {
        return {Verdict::Excluded, "64-bit mode only"};
    }
    if (id == InsnId::PUSHF || id == InsnId::POPF) {
        return {Verdict::Test, nullptr}; // IOPL-sensitive only in virtual-8086 mode
    }
    if (in.attrs & cpu::kIoPriv) {
        return {Verdict::Excluded, "I/O or IOPL-sensitive"};
    }
    if (in.attrs & cpu::kEndsBlock) {
        return {Verdict::Excluded, "control flow or mode change"};
    }
    for (const cpu::OpSpec& o : in.ops) {
        if (o.method == OpMethod::J || o.method == OpMethod::A || o.method == OpMethod::C ||
            o.method == OpMethod::D) {
            return {Verdict::Excluded, "control flow or system register"};
        }
        if (o.size == OpSize::p) {
            return {Verdict::Excluded, "segment load (far pointer)"};
        }
    }
    if (is(id, {InsnId::POP_ES, InsnId::POP_SS, InsnId::POP_DS, InsnId::POP_FS, InsnId::POP_GS})) {
        return {Verdict::Excluded, "segment load"};
    }
    if (is(id, {InsnId::CPUID, InsnId::RDTSC, InsnId::RDPMC})) {
        return {Verdict::Excluded, "host-specific result"};
    }
    if (is(id, {InsnId::SLDT_Ev, InsnId::STR_Ev, InsnId::SGDT_Ms, InsnId::SIDT_Ms, InsnId::SMSW_Ev,
                InsnId::LAR_GvEw, InsnId::LSL_GvEw, InsnId::VERR_Ew, InsnId::VERW_Ew})) {
        return {Verdict::Excluded, "reads descriptor tables or system state (UMIP on the host)"};
    }
    if (is(id, {InsnId::DAA, InsnId::DAS, InsnId::AAA, InsnId::AAS, InsnId::AAM_Ib, InsnId::AAD_Ib,
                InsnId::SALC, InsnId::PUSHA, InsnId::POPA, InsnId::BOUND_GvMa, InsnId::ARPL_EwGw,
                InsnId::PUSH_ES, InsnId::PUSH_CS, InsnId::PUSH_SS, InsnId::PUSH_DS})) {
        return {Verdict::NoOracle, "invalid in 64-bit mode and the host cannot run 32-bit code"};
    }
    for (const cpu::OpSpec& o : in.ops) {
        switch (o.method) {
        case OpMethod::None: case OpMethod::E: case OpMethod::G: case OpMethod::M: case OpMethod::I:
        case OpMethod::O: case OpMethod::Z: case OpMethod::S: case OpMethod::Fixed:
        case OpMethod::FixedSeg: case OpMethod::One: case OpMethod::X: case OpMethod::Y:
        case OpMethod::ST0: case OpMethod::STi: case OpMethod::P: case OpMethod::Q:
        case OpMethod::N: case OpMethod::V: case OpMethod::W: case OpMethod::U:
            break;
        default:
            return {Verdict::Excluded, "operand kind the generator does not build"};
        }
    }
    return {Verdict::Test, nullptr};
}

void make_case(InsnId id, u64 seed, unsigned index, Case& c) {
    c = Case{};
    c.id = id;
    const cpu::InsnInfo& in = cpu::insn_info(id);
    u64 h = 1469598103934665603ull;
    for (const char* s = in.id_name; *s; ++s) {
        h = (h ^ static_cast<u8>(*s)) * 1099511628211ull;
    }
    Rng r(seed ^ h ^ (static_cast<u64>(index) * 0xD1B54A32D192ED03ull));

    for (u32& g : c.gpr) {
        g = reg_value(r);
    }
    c.eflags = r.u32v() & kArithDf;
    c.window_seed = r.u32v() | 1;
    c.flags_cmp = kArithDf & ~in.undef_flags;
    for (u32& m : c.gpr_cmp) {
        m = 0xFFFFFFFFu;
    }

    Parts p;
    p.map = in.map;
    p.opcode = in.opcode;
    unsigned busy = 0; // GPRs whose values the form fixes

    // Operand size: 66 where the row depends on it; stack forms always 16-bit, because 64-bit
    // mode (the native twin) has no 32-bit pushes and pops.
    bool opsize_dep = is(id, {InsnId::CBW, InsnId::CWD, InsnId::PUSHF, InsnId::POPF, InsnId::LEAVE});
    for (const cpu::OpSpec& o : in.ops) {
        if (o.size == OpSize::v || o.size == OpSize::z || o.size == OpSize::eAX || o.size == OpSize::bs) {
            opsize_dep = true;
        }
    }
    unsigned opsize = 4;
    if (is_stack_form(id) || (opsize_dep && r.chance(1, 3))) {
        opsize = 2;
    }
    if (id == InsnId::BSWAP_Zy) {
        opsize = 4; // 16-bit BSWAP is undefined
    }
    if (opsize == 2 && in.pfx != cpu::MandPfx::P66) {
        p.pfx[p.npfx++] = 0x66;
    }
    switch (in.pfx) {
    case cpu::MandPfx::P66: p.mand = 0x66; break;
    case cpu::MandPfx::PF3: p.mand = 0xF3; break;
    case cpu::MandPfx::PF2: p.mand = 0xF2; break;
    default: break;
    }
    if (in.attrs & (cpu::kFpu | cpu::kMmx | cpu::kSse)) {
        c.fx = true;
        random_fx(r, c);
    }

    // Sizes of the operands as decoded.
    auto op_size = [&](const cpu::OpSpec& o) -> unsigned {
        switch (o.size) {
        case OpSize::b: return 1;
        case OpSize::w: return 2;
        case OpSize::d: return 4;
        case OpSize::q: return 8;
        case OpSize::dq: return 16;
        case OpSize::t: return 10;
        case OpSize::v: case OpSize::eAX: case OpSize::bs: return opsize;
        case OpSize::z: return opsize == 2 ? 2 : 4;
        case OpSize::y: return 4;
        default: return 0;
        }
    };

    // Condition-code rows and register-in-opcode rows.
    if (in.ext & cpu::kExtCond) {
        p.opcode = static_cast<u8>(p.opcode + r.below(16));
    }
    int zreg = -1;
    for (const cpu::OpSpec& o : in.ops) {
        if (o.method == OpMethod::Z) {
            zreg = static_cast<int>(r.below(8));
            p.opcode = static_cast<u8>(p.opcode + zreg);
            if (id == InsnId::INC_Zv || id == InsnId::DEC_Zv) {
                p.incdec_z = true;
            }
        }
    }
    // PAUSE is F3 90 (not XCHG with a register).
    if (id == InsnId::XCHG_ZveAX && zreg == 0 && r.chance(1, 2)) {
        p.opcode = static_cast<u8>(0x90 + 1 + r.below(7));
        zreg = p.opcode - 0x90;
    }

    // ModRM.
    bool needs_modrm = (in.ext & (0x8000 | 0x10 | 0x20 | cpu::kExtModrm)) != 0;
    bool mem_only = (in.ext & 0x10) != 0, reg_only = (in.ext & 0x20) != 0;
    int e_index = -1; // operand index of the r/m operand
    int g_index = -1;
    for (unsigned i = 0; i < 3; ++i) {
        switch (in.ops[i].method) {
        case OpMethod::E: case OpMethod::Q: case OpMethod::W: e_index = static_cast<int>(i); needs_modrm = true; break;
        case OpMethod::M: e_index = static_cast<int>(i); needs_modrm = true; mem_only = true; break;
        case OpMethod::N: case OpMethod::U: case OpMethod::STi: e_index = static_cast<int>(i); needs_modrm = true; reg_only = true; break;
        case OpMethod::G: case OpMethod::S: case OpMethod::P: case OpMethod::V: g_index = static_cast<int>(i); needs_modrm = true; break;
        default: break;
        }
    }
    unsigned regf = r.below(8);
    if (in.ext & 0x8000) {
        regf = (in.ext >> 8) & 7;
    } else if (g_index >= 0 && in.ops[g_index].method == OpMethod::S) {
        regf = r.below(6);
    }
    bool use_mem = mem_only || (!reg_only && needs_modrm && e_index >= 0 && r.chance(1, 2));
    if (in.map == cpu::OpMap::One && in.opcode >= 0xD8 && in.opcode <= 0xDF) {
        needs_modrm = true;
    }
    const unsigned e_size = e_index >= 0 ? op_size(in.ops[e_index]) : 0;
    const unsigned g_size = g_index >= 0 ? op_size(in.ops[g_index]) : 0;
    unsigned rm = r.below(8);
    if (in.ext & 0x4000) {
        rm = in.ext & 7;
        use_mem = false;
    }

    // Register constraints of particular forms.
    const u32 stack_esp = ORACLE_STACK_PAGE + 0x800 + 2 * (r.below(256)) - 256;
    if (is_stack_form(id)) {
        c.gpr[cpu::kRsp] = stack_esp;
        busy |= 1u << cpu::kRsp;
    }
    if (id == InsnId::ENTER_IwIb) {
        c.gpr[cpu::kRbp] = ORACLE_STACK_PAGE + 0x900 + 2 * r.below(128);
        busy |= 1u << cpu::kRbp;
    }
    if (id == InsnId::LEAVE) {
        c.gpr[cpu::kRbp] = ORACLE_STACK_PAGE + 0x700 + 2 * r.below(256);
        busy |= 1u << cpu::kRbp;
    }
    const bool bt_reg_mem = use_mem && is(id, {InsnId::BT_EvGv, InsnId::BTS_EvGv, InsnId::BTR_EvGv, InsnId::BTC_EvGv});
    if (bt_reg_mem) {
        busy |= 1u << regf;
    }
    const bool div_form = is(id, {InsnId::DIV_Eb, InsnId::DIV_Ev, InsnId::IDIV_Eb, InsnId::IDIV_Ev});
    if (id == InsnId::CMPXCHG_EbGb || id == InsnId::CMPXCHG_EvGv) {
        busy |= 1u << cpu::kRax; // the accumulator may be set equal to the destination
    }
    if (id == InsnId::MASKMOVQ_PqNq || id == InsnId::MASKMOVDQU_VdqUdq) {
        c.gpr[cpu::kRdi] = kW + 0x100 + r.below(0xD00); // implicit DS:EDI destination
        busy |= 1u << cpu::kRdi;
        p.addr = true;
    }
    if (div_form || id == InsnId::CMPXCHG8B_Mq) {
        busy |= (1u << cpu::kRax) | (1u << cpu::kRdx);
    }
    if (id == InsnId::CMPXCHG8B_Mq) {
        busy |= (1u << cpu::kRcx) | (1u << cpu::kRbx);
    }
    if (id == InsnId::XLAT) {
        c.gpr[cpu::kRbx] = kW + r.below(0xE00);
        p.addr = true;
    }

    // String forms: ESI/EDI in the data page, small REP counts, REP/REPE/REPNE.
    if (is_string_form(id)) {
        p.addr = true;
        c.gpr[cpu::kRsi] = kW + 0x200 + r.below(0x600);
        c.gpr[cpu::kRdi] = kW + 0x900 + r.below(0x600);
        const bool cmp = is(id, {InsnId::CMPSB, InsnId::CMPS, InsnId::SCASB, InsnId::SCAS});
        const unsigned k = r.below(3);
        if (k == 1) {
            p.pfx[p.npfx++] = 0xF3;
        } else if (k == 2 && cmp) {
            p.pfx[p.npfx++] = 0xF2;
        }
        if (k != 0) {
            c.gpr[cpu::kRcx] = r.chance(1, 8) ? 0 : r.below(12);
        }
        const unsigned esz = (id == InsnId::MOVSB || id == InsnId::CMPSB || id == InsnId::STOSB ||
                              id == InsnId::LODSB || id == InsnId::SCASB) ? 1 : opsize;
        // Make compares meet equal data: copy the destination bytes over the source, or fill
        // the destination with the accumulator, with one difference at a random place.
        if (cmp && r.chance(2, 3)) {
            const unsigned di = c.gpr[cpu::kRdi] - kW;
            const bool down = (c.eflags & cpu::kDF) != 0;
            const unsigned len = ORACLE_MAX_PATCH;
            u8 buf[ORACLE_MAX_PATCH];
            const unsigned base = down ? di + esz - len : di;
            if (id == InsnId::SCASB || id == InsnId::SCAS) {
                const u32 acc = c.gpr[cpu::kRax];
                // Align the pattern to the element grid starting at EDI.
                for (unsigned i = 0; i < len; ++i) {
                    const unsigned rel = (base + i + 64 - di) % esz;
                    buf[i] = static_cast<u8>(acc >> (8 * rel));
                }
                if (r.chance(1, 2)) {
                    buf[r.below(len)] ^= 0x10;
                }
                set_patch(c, static_cast<u16>(base), buf, static_cast<u16>(len));
            } else {
                const unsigned si = c.gpr[cpu::kRsi] - kW;
                const unsigned sbase = down ? si + esz - len : si;
                for (unsigned i = 0; i < len; i += 4) {
                    const u32 v = window_dword(c.window_seed, base + i, c);
                    std::memcpy(buf + i, &v, 4);
                }
                if (r.chance(1, 2)) {
                    buf[r.below(len)] ^= 0x10;
                }
                set_patch(c, static_cast<u16>(sbase), buf, static_cast<u16>(len));
            }
        }
    }

    // The memory operand: an address in the data page (or near the stack for stack forms).
    u32 target_off = 0;
    if (needs_modrm) {
        p.has_modrm = true;
        p.modrm = static_cast<u8>((regf << 3) | (use_mem ? 0 : (0xC0 | rm)));
        if (use_mem) {
            target_off = bt_reg_mem ? 0x800 + r.below(64) : 0x100 + r.below(0xD00);
            const bool fx_area = id == InsnId::FXSAVE_M || id == InsnId::FXRSTOR_M;
            const unsigned sz = fx_area ? 16 : (e_size ? e_size : 4);
            if (fx_area) {
                target_off = 0x100 + r.below(0xA00);
            }
            if ((r.chance(2, 3) || (fx_area && r.chance(7, 8))) && sz <= 16) {
                target_off &= ~(sz - 1);
            }
            address(r, p, c, kW + target_off, busy | (is_stack_form(id) ? (1u << cpu::kRsp) : 0),
                    !is_stack_form(id));
            // An edge-biased value for the operand itself.
            const unsigned psz = sz > 8 ? 8 : sz;
            if (c.patch_len == 0 && psz > 0) {
                patch_value(c, static_cast<u16>(target_off), edge_value(r, psz >= 4 ? 4 : psz),
                            edge_value(r, 4), static_cast<u16>(psz));
            }
        }
    }

    // Immediates and moffs.
    unsigned imm_count = 0;
    u32 imm_val = 0;
    for (const cpu::OpSpec& o : in.ops) {
        if (o.method == OpMethod::O) {
            p.addr = true;
            const u32 a = kW + 0x100 + r.below(0xD00);
            put_imm(p, a, 4);
            patch_value(c, static_cast<u16>(a - kW), edge_value(r, 4), 0, 4);
        } else if (o.method == OpMethod::I) {
            unsigned len = op_size(o);
            if (o.size == OpSize::bs) {
                len = 1;
            }
            u32 v = edge_value(r, len > 4 ? 4 : len);
            if (mnem(id) == "rol" || mnem(id) == "ror" || mnem(id) == "rcl" || mnem(id) == "rcr" ||
                mnem(id) == "shl" || mnem(id) == "shr" || mnem(id) == "sal" || mnem(id) == "sar" ||
                mnem(id) == "shld" || mnem(id) == "shrd") {
                static const u8 counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33};
                v = r.chance(1, 2) ? counts[r.below(sizeof counts)] : r.below(256);
            }
            if (id == InsnId::ENTER_IwIb) {
                v = imm_count == 0 ? 2 * r.below(32) : (r.chance(1, 2) ? 0 : r.below(4));
            }
            if (imm_count == 0) {
                imm_val = v;
            }
            put_imm(p, v, len);
            ++imm_count;
        }
    }

    // Lock and segment prefixes (flat data segments: the override changes nothing, which is the
    // point; not CS, which is read-only in 32-bit code but ignored in 64-bit mode).
    if ((in.attrs & cpu::kLockable) && use_mem && r.chance(1, 3)) {
        p.pfx[p.npfx++] = 0xF0;
    }
    if ((use_mem || p.addr) && r.chance(1, 8)) {
        static const u8 segs[3] = {0x26, 0x36, 0x3E};
        p.pfx[p.npfx++] = segs[r.below(3)];
    }

    // ---- per-form operand values and the masks of what the SDM leaves undefined ----
    if (id == InsnId::FXSAVE_M) {
        // AMD stores FOP/FIP/FDP only with an exception pending; 64-bit mode adds XMM8-15.
        c.mem_skip[0] = {static_cast<u16>(target_off + 6), 18};
        c.mem_skip[1] = {static_cast<u16>(target_off + 288), 224};
    }
    if (id == InsnId::FXRSTOR_M) {
        // A loadable header: valid MXCSR, exceptions masked.
        u8 b[32];
        for (u8& x : b) {
            x = static_cast<u8>(r.u32v());
        }
        const u16 fcw = 0x037F | static_cast<u16>(r.below(4) << 10);
        const u32 mx = 0x1F80 | (r.below(4) << 13), mxmask = 0xFFFF;
        std::memcpy(b, &fcw, 2);
        b[3] &= 0x38; // FSW: TOP only
        b[2] = 0;
        std::memcpy(b + 24, &mx, 4);
        std::memcpy(b + 28, &mxmask, 4);
        set_patch(c, static_cast<u16>(target_off), b, 32);
    }
    auto e_value = [&]() -> u32 {
        if (use_mem) {
            const u32 v = window_dword(c.window_seed, target_off, c);
            return e_size == 1 ? v & 0xFF : (e_size == 2 ? v & 0xFFFF : v);
        }
        return get_reg(c, rm, e_size);
    };

    if (bt_reg_mem) {
        // Keep the bit offset within ±1 KiB of the operand.
        const i32 bits = static_cast<i32>(r.below(16384)) - 8192;
        set_reg(c, regf, g_size, static_cast<u32>(bits));
        if (g_size == 2) {
            set_reg(c, regf, 2, static_cast<u32>(static_cast<i32>(r.below(4096)) - 2048));
        }
    }
    if (id == InsnId::POPF) {
        const u16 v = static_cast<u16>((r.u32v() & kArithDf) | 0x0202);
        u8 b[2] = {static_cast<u8>(v), static_cast<u8>(v >> 8)};
        set_patch(c, static_cast<u16>(c.gpr[cpu::kRsp] - kW), b, 2);
    }
    if (div_form && r.chance(3, 4)) {
        const unsigned sz = e_size;
        const bool sgn = id == InsnId::IDIV_Eb || id == InsnId::IDIV_Ev;
        const bool clash = !use_mem && (rm == cpu::kRax || rm == cpu::kRdx || (sz == 1 && rm == 4));
        const u32 d = e_value();
        if (!clash && d != 0) {
            const unsigned bits = sz * 8;
            const u64 m = bits == 32 ? 0xFFFFFFFFull : (1ull << bits) - 1;
            i64 dividend;
            if (!sgn) {
                const u64 q = r.chance(1, 2) ? r.below(100) : (r.next() & m);
                const u64 rem = r.next() % d;
                dividend = static_cast<i64>(q * d + rem);
            } else {
                const i64 ds = static_cast<i64>(base::sign_extend(d, bits));
                const i64 qmax = static_cast<i64>(m >> 1);
                const i64 q = r.chance(1, 2) ? static_cast<i64>(r.below(200)) - 100
                                             : static_cast<i64>(r.next() % (2 * qmax + 1)) - qmax;
                const i64 ad = ds < 0 ? -ds : ds;
                i64 rem = static_cast<i64>(r.next() % static_cast<u64>(ad));
                const i64 prod = q * ds;
                if (prod < 0 || (prod == 0 && r.chance(1, 2))) {
                    rem = -rem;
                }
                dividend = prod + rem;
            }
            const u64 dv = static_cast<u64>(dividend);
            if (sz == 1) {
                set_reg(c, cpu::kRax, 2, static_cast<u32>(dv));
            } else if (sz == 2) {
                set_reg(c, cpu::kRax, 2, static_cast<u32>(dv));
                set_reg(c, cpu::kRdx, 2, static_cast<u32>(dv >> 16));
            } else {
                c.gpr[cpu::kRax] = static_cast<u32>(dv);
                c.gpr[cpu::kRdx] = static_cast<u32>(dv >> 32);
            }
        }
    }
    if ((id == InsnId::CMPXCHG_EbGb || id == InsnId::CMPXCHG_EvGv) && r.chance(1, 2)) {
        const u32 v = e_value();
        if (!(!use_mem && (rm == 0 || (e_size == 1 && rm == 4)))) {
            set_reg(c, cpu::kRax, e_size, v);
        }
    }
    if (id == InsnId::CMPXCHG8B_Mq && r.chance(1, 2)) {
        c.gpr[cpu::kRax] = window_dword(c.window_seed, target_off, c);
        c.gpr[cpu::kRdx] = window_dword(c.window_seed, target_off + 4, c);
    }

    // Shifts and rotates: what is defined depends on the masked count.
    const std::string_view mn = mnem(id);
    const bool rot = mn == "rol" || mn == "ror";
    const bool rc = mn == "rcl" || mn == "rcr";
    const bool sh = mn == "shl" || mn == "shr" || mn == "sal" || mn == "sar";
    const bool dbl = mn == "shld" || mn == "shrd";
    if (rot || rc || sh || dbl) {
        unsigned count = 1;
        const cpu::OpSpec& cnt = in.ops[dbl ? 2 : 1];
        if (cnt.method == OpMethod::I) {
            count = imm_val & 0xFF;
        } else if (cnt.method == OpMethod::Fixed) {
            count = c.gpr[cpu::kRcx] & 0xFF;
        }
        const unsigned mc = count & 0x1F;
        const unsigned bits = e_size * 8;
        u32 cmpf = kArithDf;
        if (mc != 0) {
            if (mc != 1) {
                cmpf &= ~cpu::kOF;
            }
            if (sh || dbl) {
                cmpf &= ~cpu::kAF;
            }
            if ((mn == "shl" || mn == "shr" || mn == "sal") && mc >= bits) {
                cmpf &= ~cpu::kCF;
            }
            if (dbl && mc > bits) {
                // Result and flags undefined (16-bit operands, count 17..31).
                cmpf = cpu::kDF;
                if (use_mem) {
                    c.mem_skip[0] = {static_cast<u16>(target_off), static_cast<u16>(e_size)};
                } else {
                    c.gpr_cmp[rm] = 0xFFFF0000u;
                }
            }
        }
        c.flags_cmp = cmpf;
    }
    if ((id == InsnId::BSF_GvEv || id == InsnId::BSR_GvEv) && e_value() == 0) {
        c.gpr_cmp[regf] = g_size == 2 ? 0xFFFF0000u : 0;
    }

    emit(p, c);
}

} // namespace oracle
