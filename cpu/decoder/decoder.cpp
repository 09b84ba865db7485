// SPDX-License-Identifier: MIT
// Table-driven decoder. The opcode maps are built once from the rows of opcodes.inc, so a
// row's encoding columns are the only place an opcode number is written down.
#include "cpu/decoder/decoder.h"
#include "cpu/state.h" // register and segment index names only

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace cpu {
namespace {

struct Maps {
    // Candidate rows per (map, opcode).
    std::array<std::vector<InsnId>, 4 * 256> rows;
    std::array<bool, 4 * 256> needs_modrm{};
};

bool method_uses_modrm(OpMethod m) {
    switch (m) {
    case OpMethod::E: case OpMethod::G: case OpMethod::M: case OpMethod::R: case OpMethod::S:
    case OpMethod::C: case OpMethod::D: case OpMethod::STi: case OpMethod::P: case OpMethod::Q:
    case OpMethod::N: case OpMethod::V: case OpMethod::W: case OpMethod::U:
        return true;
    default:
        return false;
    }
}

const Maps& maps() {
    static const Maps s_maps = [] {
        Maps m;
        for (usize i = 0; i < kInsnCount; ++i) {
            const InsnInfo& info = insn_info(static_cast<InsnId>(i));
            unsigned span = 1;
            for (const OpSpec& op : info.ops) {
                if (op.method == OpMethod::Z) {
                    span = 8;
                }
            }
            if (info.ext & kExtCond) {
                span = 16;
            }
            bool modrm = info.ext != kExtNone && info.ext != kExtCond;
            for (const OpSpec& op : info.ops) {
                modrm = modrm || method_uses_modrm(op.method);
            }
            for (unsigned k = 0; k < span; ++k) {
                const usize slot = static_cast<usize>(info.map) * 256 + info.opcode + k;
                m.rows[slot].push_back(static_cast<InsnId>(i));
                m.needs_modrm[slot] = m.needs_modrm[slot] || modrm;
            }
        }
        return m;
    }();
    return s_maps;
}

bool ext_matches(ExtCode ext, u8 modrm) {
    const unsigned mod = modrm >> 6;
    const unsigned reg = (modrm >> 3) & 7;
    const unsigned rm = modrm & 7;
    if ((ext & 0x8000) && ((ext >> 8) & 7) != reg) {
        return false;
    }
    if ((ext & 0x10) && mod == 3) {
        return false;
    }
    if ((ext & 0x20) && mod != 3) {
        return false;
    }
    if ((ext & 0x4000) && (ext & 7) != rm) {
        return false;
    }
    return true;
}

int specificity(const InsnInfo& info, u8 opcode) {
    int s = 0;
    if (info.opcode == opcode) {
        s += 8;
    }
    if (info.ext & 0x8000) {
        s += 4;
    }
    if (info.ext & 0x4000) {
        s += 2;
    }
    if (info.ext & 0x30) {
        s += 1;
    }
    return s;
}

struct Reader {
    const u8* p;
    usize avail;
    usize pos = 0;
    bool truncated = false;

    u64 take(unsigned n) {
        if (pos + n > avail || pos + n > 15) {
            truncated = true;
            pos += n;
            return 0;
        }
        u64 v = 0;
        for (unsigned i = 0; i < n; ++i) {
            v |= u64{p[pos + i]} << (8 * i);
        }
        pos += n;
        return v;
    }
};

u64 sext(u64 v, unsigned bytes) {
    const unsigned bits = bytes * 8;
    if (bits >= 64) {
        return v;
    }
    const u64 m = u64{1} << (bits - 1);
    return (v ^ m) - m;
}

} // namespace

unsigned resolve_size(OpSize size, unsigned opsize, CodeMode mode) {
    switch (size) {
    case OpSize::b: case OpSize::AL: case OpSize::CL: case OpSize::DL: case OpSize::BL:
    case OpSize::AH: case OpSize::CH: case OpSize::DH: case OpSize::BH:
        return 1;
    case OpSize::w: case OpSize::AX: case OpSize::DX:
    case OpSize::ES: case OpSize::CS: case OpSize::SS: case OpSize::DS: case OpSize::FS:
    case OpSize::GS:
        return 2;
    case OpSize::d: return 4;
    case OpSize::q: return 8;
    case OpSize::v: case OpSize::eAX: case OpSize::bs: return opsize;
    case OpSize::z: return opsize == 2 ? 2 : 4;
    case OpSize::y: return opsize == 8 ? 8 : 4;
    case OpSize::p: return opsize == 2 ? 4 : (opsize == 4 ? 6 : 10);
    case OpSize::s: return mode == CodeMode::Bits64 ? 10 : 6;
    case OpSize::a: return opsize * 2;
    case OpSize::t: return 10;
    case OpSize::dq: return 16;
    case OpSize::x: case OpSize::None: return 0;
    }
    return 0;
}

DecodeError decode(const u8* bytes, usize avail, CodeMode mode, DecodedInsn& out) {
    out = DecodedInsn{};
    out.mode = mode;
    Reader rd{bytes, avail};
    const bool m64 = mode == CodeMode::Bits64;

    // --- prefixes ---
    u8 seg_override = kNoSeg;
    u8 last_rep = 0; // 0xF2 or 0xF3, whichever came last
    bool opsize_pfx = false;
    bool adsize_pfx = false;
    u8 rex = 0;
    u8 b = 0;
    for (;;) {
        if (rd.pos >= avail) {
            return DecodeError::Truncated;
        }
        if (rd.pos >= 15) {
            return DecodeError::TooLong;
        }
        b = bytes[rd.pos];
        bool is_prefix = true;
        switch (b) {
        case 0xF0: out.prefixes |= kPfxLock; break;
        case 0xF2: out.prefixes |= kPfxRepne; last_rep = b; break;
        case 0xF3: out.prefixes |= kPfxRep; last_rep = b; break;
        case 0x26: seg_override = kEs; break;
        case 0x2E: seg_override = kCs; break;
        case 0x36: seg_override = kSs; break;
        case 0x3E: seg_override = kDs; break;
        case 0x64: seg_override = kFs; break;
        case 0x65: seg_override = kGs; break;
        case 0x66: opsize_pfx = true; break;
        case 0x67: adsize_pfx = true; break;
        default: is_prefix = false; break;
        }
        if (m64 && (b & 0xF0) == 0x40) {
            rex = b; // a REX counts only if the opcode follows it directly
            ++rd.pos;
            continue;
        }
        if (!is_prefix) {
            break;
        }
        rex = 0;
        ++rd.pos;
        if (m64 && (b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E)) {
            seg_override = kNoSeg; // ignored in 64-bit mode
        }
    }
    if (seg_override != kNoSeg) {
        out.prefixes |= kPfxSeg;
    }
    if (opsize_pfx) {
        out.prefixes |= kPfxOpsize;
    }
    if (adsize_pfx) {
        out.prefixes |= kPfxAdsize;
    }
    if (rex) {
        out.prefixes |= kPfxRex;
        out.rex = rex;
    }

    // --- opcode ---
    OpMap map = OpMap::One;
    u8 opc = static_cast<u8>(rd.take(1));
    if (opc == 0x0F) {
        map = OpMap::Two0F;
        opc = static_cast<u8>(rd.take(1));
        if (opc == 0x38 || opc == 0x3A) {
            map = opc == 0x38 ? OpMap::Three38 : OpMap::Three3A;
            opc = static_cast<u8>(rd.take(1));
        }
    }
    if (rd.truncated) {
        return rd.pos > 15 ? DecodeError::TooLong : DecodeError::Truncated;
    }
    out.opcode = opc;
    const Maps& mp = maps();
    const usize slot = static_cast<usize>(map) * 256 + opc;
    const auto& cands = mp.rows[slot];
    if (cands.empty()) {
        out.length = static_cast<u8>(rd.pos);
        return DecodeError::Unknown;
    }
    u8 modrm = 0;
    if (mp.needs_modrm[slot]) {
        modrm = static_cast<u8>(rd.take(1));
        if (rd.truncated) {
            return rd.pos > 15 ? DecodeError::TooLong : DecodeError::Truncated;
        }
        out.has_modrm = true;
        out.modrm = modrm;
    }

    // --- row selection ---
    bool any_mand = false;
    for (InsnId id : cands) {
        any_mand = any_mand || insn_info(id).pfx != MandPfx::Any;
    }
    MandPfx eff = MandPfx::None;
    if (last_rep == 0xF3) {
        eff = MandPfx::PF3;
    } else if (last_rep == 0xF2) {
        eff = MandPfx::PF2;
    } else if (opsize_pfx) {
        eff = MandPfx::P66;
    }
    const InsnInfo* best = nullptr;
    InsnId best_id = InsnId::Count;
    int best_score = -1;
    auto consider = [&](MandPfx want) {
        for (InsnId id : cands) {
            const InsnInfo& info = insn_info(id);
            if (info.pfx != want) {
                continue;
            }
            if (out.has_modrm && !ext_matches(info.ext, modrm)) {
                continue;
            }
            if (map == OpMap::One && opc == 0x90 && (rex & 1) && info.opcode == 0x90 &&
                info.ops[0].method != OpMethod::Z) {
                continue; // REX.B 90 is XCHG r8, rAX, not NOP
            }
            const int sc = specificity(info, opc);
            if (sc > best_score) {
                best = &info;
                best_id = id;
                best_score = sc;
            }
        }
    };
    if (any_mand) {
        consider(eff);
        if (!best && eff != MandPfx::None) {
            // A 66 that selects no row is an operand-size prefix; F2/F3 stay REP prefixes.
            if (eff == MandPfx::P66 || !opsize_pfx) {
                consider(MandPfx::None);
            } else {
                consider(MandPfx::P66);
            }
        }
    }
    const bool mand_used = best != nullptr && best->pfx != MandPfx::None;
    if (!best) {
        consider(MandPfx::Any);
    }
    if (!best) {
        out.length = static_cast<u8>(rd.pos);
        return DecodeError::Unknown;
    }
    out.id = best_id;
    const InsnInfo& info = *best;
    const bool consumed66 = mand_used && best->pfx == MandPfx::P66;

    // --- sizes ---
    unsigned opsize = mode == CodeMode::Bits16 ? 2 : 4;
    if (opsize_pfx && !consumed66) {
        opsize = opsize == 2 ? 4 : 2;
    }
    if (m64) {
        if (rex & 8) {
            opsize = 8;
        } else if ((info.attrs & kForce64) ||
                   ((info.attrs & kDefault64) && !(opsize_pfx && !consumed66))) {
            opsize = 8;
        }
    }
    unsigned adsize = mode == CodeMode::Bits16 ? 2 : (m64 ? 8 : 4);
    if (adsize_pfx) {
        adsize = mode == CodeMode::Bits32 ? 2 : 4;
    }
    out.opsize = static_cast<u8>(opsize);
    out.addrsize = static_cast<u8>(adsize);

    if (m64 && (info.attrs & kNo64)) {
        out.length = static_cast<u8>(std::min<usize>(rd.pos, 15));
        return DecodeError::InvalidInMode;
    }
    if (!m64 && (info.attrs & kOnly64)) {
        out.length = static_cast<u8>(std::min<usize>(rd.pos, 15));
        return DecodeError::InvalidInMode;
    }

    // --- memory operand (ModRM / SIB / displacement) ---
    const unsigned mod = modrm >> 6;
    const unsigned rm = modrm & 7;
    const unsigned regf = (modrm >> 3) & 7;
    bool mem_operand = false;
    // Every ModRM with mod != 3 carries SIB/displacement bytes, except MOV CRn/DRn (R operands),
    // which treat any mod as a register form.
    bool wants_mem = true;
    for (const OpSpec& op : info.ops) {
        if (op.method == OpMethod::R) {
            wants_mem = false;
        }
    }
    if (out.has_modrm && mod != 3 && wants_mem) {
        mem_operand = true;
        MemRef& m = out.mem;
        u8 default_seg = kDs;
        if (adsize == 2) {
            static constexpr u8 kBase[8] = {kRbx, kRbx, kRbp, kRbp, kRsi, kRdi, kRbp, kRbx};
            static constexpr u8 kIndex[8] = {kRsi, kRdi, kRsi, kRdi, 0xFF, 0xFF, 0xFF, 0xFF};
            if (mod == 0 && rm == 6) {
                m.disp = static_cast<i64>(rd.take(2));
            } else {
                m.base = kBase[rm];
                m.index = kIndex[rm];
                if (rm == 2 || rm == 3 || rm == 6) {
                    default_seg = kSs;
                }
                if (mod == 1) {
                    m.disp = static_cast<i64>(sext(rd.take(1), 1));
                } else if (mod == 2) {
                    m.disp = static_cast<i64>(rd.take(2));
                }
            }
        } else {
            if (rm == 4) {
                const u8 sib = static_cast<u8>(rd.take(1));
                const unsigned scale = sib >> 6;
                const unsigned index = ((sib >> 3) & 7) | ((rex & 2) << 2);
                const unsigned base = sib & 7;
                if (index != 4) {
                    m.index = static_cast<u8>(index);
                    m.scale = static_cast<u8>(scale);
                }
                if (base == 5 && mod == 0) {
                    m.disp = static_cast<i64>(sext(rd.take(4), 4));
                } else {
                    m.base = static_cast<u8>(base | ((rex & 1) << 3));
                    if (base == kRsp || base == kRbp) {
                        default_seg = kSs;
                    }
                }
            } else if (rm == 5 && mod == 0) {
                m.disp = static_cast<i64>(sext(rd.take(4), 4));
                m.rip_relative = m64;
            } else {
                m.base = static_cast<u8>(rm | ((rex & 1) << 3));
                if (rm == kRbp) {
                    default_seg = kSs;
                }
            }
            if (mod == 1) {
                m.disp += static_cast<i64>(sext(rd.take(1), 1));
            } else if (mod == 2) {
                m.disp += static_cast<i64>(sext(rd.take(4), 4));
            }
        }
        m.seg = seg_override != kNoSeg ? seg_override : default_seg;
    } else {
        out.mem.seg = seg_override != kNoSeg ? seg_override : static_cast<u8>(kDs);
    }

    // --- operands and immediates ---
    unsigned nimm = 0;
    auto set_imm = [&](u64 v) {
        if (nimm++ == 0) {
            out.imm = v;
        } else {
            out.imm2 = v;
        }
    };
    const bool rex_present = rex != 0;
    for (unsigned i = 0; i < 3; ++i) {
        const OpSpec spec = info.ops[i];
        if (spec.method == OpMethod::None) {
            break;
        }
        Operand& o = out.op[i];
        const unsigned sz = resolve_size(spec.size, opsize, mode);
        o.size = static_cast<u8>(sz);
        auto gpr = [&](unsigned idx) {
            o.kind = OperandKind::Reg;
            o.reg = static_cast<u8>(idx);
            o.high_byte = sz == 1 && !rex_present && idx >= 4 && idx < 8;
        };
        switch (spec.method) {
        case OpMethod::None: break;
        case OpMethod::E:
            if (mod == 3) {
                gpr(rm | ((rex & 1) << 3));
            } else {
                o.kind = OperandKind::Mem;
            }
            break;
        case OpMethod::M:
        case OpMethod::W:
        case OpMethod::Q:
            if (mod == 3) {
                if (spec.method == OpMethod::M) {
                    out.length = static_cast<u8>(std::min<usize>(rd.pos, 15));
                    return DecodeError::Unknown;
                }
                o.kind = spec.method == OpMethod::W ? OperandKind::Xmm : OperandKind::Mmx;
                o.reg = static_cast<u8>(spec.method == OpMethod::W ? (rm | ((rex & 1) << 3)) : rm);
            } else {
                o.kind = OperandKind::Mem;
            }
            break;
        case OpMethod::G: gpr(regf | ((rex & 4) << 1)); break;
        case OpMethod::R: gpr(rm | ((rex & 1) << 3)); break;
        case OpMethod::Z: gpr((opc & 7) | ((rex & 1) << 3)); break;
        case OpMethod::S:
            if (regf > 5) {
                out.length = static_cast<u8>(std::min<usize>(rd.pos, 15));
                return DecodeError::Unknown;
            }
            o.kind = OperandKind::Seg;
            o.reg = static_cast<u8>(regf);
            break;
        case OpMethod::C: o.kind = OperandKind::Cr; o.reg = static_cast<u8>(regf | ((rex & 4) << 1)); break;
        case OpMethod::D: o.kind = OperandKind::Dr; o.reg = static_cast<u8>(regf | ((rex & 4) << 1)); break;
        case OpMethod::Fixed:
            switch (spec.size) {
            case OpSize::AL: case OpSize::CL: case OpSize::DL: case OpSize::BL:
                gpr(static_cast<unsigned>(spec.size) - static_cast<unsigned>(OpSize::AL));
                break;
            case OpSize::AH: case OpSize::CH: case OpSize::DH: case OpSize::BH:
                o.kind = OperandKind::Reg;
                o.reg = static_cast<u8>(4 + static_cast<unsigned>(spec.size) - static_cast<unsigned>(OpSize::AH));
                o.high_byte = true;
                break;
            case OpSize::AX: case OpSize::eAX: gpr(kRax); break;
            case OpSize::DX: gpr(kRdx); break;
            default: break;
            }
            break;
        case OpMethod::FixedSeg:
            o.kind = OperandKind::Seg;
            o.reg = static_cast<u8>(static_cast<unsigned>(spec.size) - static_cast<unsigned>(OpSize::ES));
            break;
        case OpMethod::One: o.kind = OperandKind::Const; o.reg = 1; break;
        case OpMethod::X: case OpMethod::Y: break; // string operands: implicit rSI / rDI
        case OpMethod::ST0: o.kind = OperandKind::St; o.reg = 0; break;
        case OpMethod::STi: o.kind = OperandKind::St; o.reg = static_cast<u8>(rm); break;
        case OpMethod::P: o.kind = OperandKind::Mmx; o.reg = static_cast<u8>(regf); break;
        case OpMethod::N: o.kind = OperandKind::Mmx; o.reg = static_cast<u8>(rm); break;
        case OpMethod::V: o.kind = OperandKind::Xmm; o.reg = static_cast<u8>(regf | ((rex & 4) << 1)); break;
        case OpMethod::U: o.kind = OperandKind::Xmm; o.reg = static_cast<u8>(rm | ((rex & 1) << 3)); break;
        case OpMethod::I: {
            o.kind = OperandKind::Imm;
            if (spec.size == OpSize::bs) {
                set_imm(sext(rd.take(1), 1));
            } else if (spec.size == OpSize::z) {
                const unsigned n = opsize == 2 ? 2 : 4;
                set_imm(sext(rd.take(n), n));
            } else {
                set_imm(rd.take(sz));
            }
            break;
        }
        case OpMethod::J: {
            o.kind = OperandKind::Imm;
            const unsigned n = spec.size == OpSize::b ? 1 : (opsize == 2 ? 2 : 4);
            set_imm(sext(rd.take(n), n));
            break;
        }
        case OpMethod::A: {
            o.kind = OperandKind::Imm;
            const unsigned n = opsize == 2 ? 2 : 4;
            const u64 off = rd.take(n);
            const u64 sel = rd.take(2);
            set_imm(off);
            set_imm(sel);
            break;
        }
        case OpMethod::O: {
            o.kind = OperandKind::Mem;
            out.mem.base = 0xFF;
            out.mem.index = 0xFF;
            out.mem.disp = static_cast<i64>(rd.take(adsize));
            mem_operand = true;
            break;
        }
        }
        out.nops = static_cast<u8>(i + 1);
    }
    (void)mem_operand;

    if (rd.pos > 15) {
        return DecodeError::TooLong;
    }
    if (rd.truncated) {
        return DecodeError::Truncated;
    }
    out.length = static_cast<u8>(rd.pos);
    std::memcpy(out.bytes, bytes, rd.pos);

    if ((out.prefixes & kPfxLock) &&
        (!(info.attrs & kLockable) || out.op[0].kind != OperandKind::Mem)) {
        return DecodeError::BadLock;
    }
    return DecodeError::None;
}

} // namespace cpu
