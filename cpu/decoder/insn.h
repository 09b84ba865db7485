// SPDX-License-Identifier: MIT
// The decoded-instruction types: InsnId (one per row of cpu/decoder/opcodes*.inc), the static
// row description InsnInfo, and DecodedInsn, the plain value the pure decoder produces and the
// interpreter, translator, tracer and tests consume.
#pragma once

#include "base/types.h"

#include <type_traits>

namespace cpu {

/// Opcode maps. X87 is the D8..DF escape space (opcode byte = D8..DF, always ModRM).
enum class OpMap : u8 { One = 0, Two0F = 1, Three38 = 2, Three3A = 3 };

/// Mandatory-prefix class of a row (SSE rows are told apart by 66/F3/F2).
enum class MandPfx : u8 { Any = 0, None = 1, P66 = 2, PF3 = 3, PF2 = 4 };

/// Operand specification in SDM notation: an addressing method and a size.
enum class OpMethod : u8 {
    None,
    E,     ///< ModRM r/m: register or memory (GPR)
    G,     ///< ModRM reg: GPR
    M,     ///< ModRM r/m, memory only
    R,     ///< ModRM r/m, GPR only (mod ignored: MOV CRn/DRn)
    I,     ///< immediate
    J,     ///< relative branch offset (immediate, sign-extended)
    A,     ///< far pointer immediate (offset, then selector)
    O,     ///< memory offset immediate (moffs), address-size wide
    Z,     ///< GPR in the low 3 bits of the opcode (+REX.B)
    S,     ///< segment register from ModRM reg
    C,     ///< control register from ModRM reg
    D,     ///< debug register from ModRM reg
    Fixed, ///< a fixed GPR named by the size column's register (AL, eAX, CL, DX...)
    FixedSeg, ///< a fixed segment register (PUSH ES...)
    One,   ///< the constant 1 (shift by one)
    X,     ///< string source DS:rSI
    Y,     ///< string destination ES:rDI
    ST0,   ///< x87 top of stack
    STi,   ///< x87 ST(i), i from ModRM rm
    P,     ///< MMX register from ModRM reg
    Q,     ///< MMX register or memory from ModRM r/m
    N,     ///< MMX register from ModRM r/m (register only)
    V,     ///< XMM register from ModRM reg
    W,     ///< XMM register or memory from ModRM r/m
    U,     ///< XMM register from ModRM r/m (register only)
};

/// Operand size codes of the SDM tables.
enum class OpSize : u8 {
    None,
    b,  ///< byte
    w,  ///< word
    d,  ///< dword
    q,  ///< qword
    v,  ///< word/dword/qword by operand size
    z,  ///< word/dword (dword for 64-bit operand size too)
    y,  ///< dword/qword (qword only with REX.W in 64-bit mode)
    bs, ///< byte immediate sign-extended to the operand size
    p,  ///< far pointer: 16:16 or 16:32
    s,  ///< 6/10-byte pseudo-descriptor (LGDT)
    a,  ///< pair of words/dwords (BOUND)
    t,  ///< 80-bit x87 value
    dq, ///< 128 bits
    x,  ///< no size (LEA, INVLPG, FLDENV...: the handler knows)
    // Fixed registers for OpMethod::Fixed (the size column names the register):
    AL, CL, DL, BL, AH, CH, DH, BH, // byte registers (index 0..7)
    AX, DX,                         // 16-bit fixed (DX for IN/OUT)
    eAX,                            // AX/EAX/RAX by operand size
    ES, CS, SS, DS, FS, GS,         // for FixedSeg
};

struct OpSpec {
    OpMethod method = OpMethod::None;
    OpSize size = OpSize::None;
};

/// Row attributes (bit set).
enum InsnAttr : u32 {
    kAttrNone = 0,
    kLockable = 1u << 0,    ///< LOCK allowed (with a memory destination)
    kEndsBlock = 1u << 1,   ///< changes control flow or mode; the translator ends a block
    kPriv0 = 1u << 2,       ///< requires CPL 0 (#GP(0) otherwise; the handler may check more)
    kNo64 = 1u << 3,        ///< invalid (#UD) in 64-bit mode
    kOnly64 = 1u << 4,      ///< valid only in 64-bit mode
    kDefault64 = 1u << 5,   ///< operand size defaults to 64 bits in 64-bit mode
    kRepOk = 1u << 6,       ///< string instruction honouring REP/REPE/REPNE
    kFpu = 1u << 7,         ///< x87: #NM when CR0.EM or CR0.TS
    kMmx = 1u << 8,         ///< MMX: #UD if CR0.EM, #NM if CR0.TS
    kSse = 1u << 9,         ///< SSE/SSE2: #UD if CR0.EM or !CR4.OSFXSR, #NM if CR0.TS
    kIoPriv = 1u << 10,     ///< IOPL-sensitive (handler checks)
    kMayFault = 1u << 11,   ///< may raise an exception (most rows; informational)
    kForce64 = 1u << 12,    ///< operand size is always 64 in 64-bit mode (near branches)
    kReadsFlags = 1u << 13, ///< reads arithmetic flags
    kWritesFlags = 1u << 14,///< writes arithmetic flags
    kSerializing = 1u << 15,///< ends a block and flushes prefetched translations
    kNoRex = 1u << 16,      ///< (reserved)
};

/// Encoding constraint on ModRM for rows sharing an opcode (groups, x87, mod-dependent forms).
/// Stored in a u16: bit 15 = has reg constraint, bits 8..10 = reg; bits 4..5 = mod constraint
/// (0 any, 1 memory only, 2 register only); bit 14 = has rm constraint, bits 0..2 = rm.
using ExtCode = u16;
constexpr ExtCode kExtNone = 0;
constexpr ExtCode ext_reg(unsigned r) { return ExtCode(0x8000 | (r << 8)); }
constexpr ExtCode ext_reg_mem(unsigned r) { return ExtCode(0x8000 | (r << 8) | 0x10); }
constexpr ExtCode ext_reg_reg(unsigned r) { return ExtCode(0x8000 | (r << 8) | 0x20); }
constexpr ExtCode ext_reg_rm(unsigned r, unsigned m) {
    return ExtCode(0x8000 | (r << 8) | 0x20 | 0x4000 | m);
}
constexpr ExtCode kExtMem = 0x10;
constexpr ExtCode kExtReg = 0x20;
/// The row covers opc..opc+15; the condition is the opcode's low nibble (Jcc, SETcc, CMOVcc).
constexpr ExtCode kExtCond = 0x80;
/// Forces a ModRM byte for rows without a ModRM operand (e.g. 0F 0D NOP-hint groups).
constexpr ExtCode kExtModrm = 0x40;

enum class InsnId : u16 {
#define INSN(id, mnem, map, opc, ext, pfx, o1, o2, o3, attrs, undef) id,
#include "cpu/decoder/opcodes.inc"
#undef INSN
    Count,
};

constexpr usize kInsnCount = static_cast<usize>(InsnId::Count);

/// One row of the instruction table.
struct InsnInfo {
    const char* id_name;  ///< "ADD_EvGv"
    const char* mnemonic; ///< "add"
    OpMap map;
    u8 opcode;
    ExtCode ext;
    MandPfx pfx;
    OpSpec ops[3];
    u32 attrs;
    u32 undef_flags; ///< EFLAGS bits the SDM leaves undefined (masked by tests)
};

const InsnInfo& insn_info(InsnId id);

/// Decoded operand kinds.
enum class OperandKind : u8 {
    None,
    Reg,    ///< GPR: reg = index (0..15); for byte size without REX, 4..7 mean AH..BH
    Mem,    ///< memory, described by DecodedInsn::mem
    Imm,    ///< DecodedInsn::imm (or imm2 for the second immediate)
    Seg,    ///< segment register 0..5
    Cr,
    Dr,
    St,     ///< x87 ST(reg)
    Mmx,
    Xmm,
    Const,  ///< constant in `reg` (the 1 of shift-by-one)
};

struct Operand {
    OperandKind kind = OperandKind::None;
    u8 size = 0; ///< bytes (0 when not meaningful); far pointers: 4 or 6; x87 memory: its size
    u8 reg = 0;
    /// For Reg with size 1: true when `reg` 4..7 means AH/CH/DH/BH (no REX prefix).
    bool high_byte = false;
};

/// Effective address parts; the address itself is computed at run time (cpu/modrm).
struct MemRef {
    u8 seg = 3;        ///< SegIndex after overrides and SS defaults for rBP/rSP bases
    u8 base = 0xFF;    ///< GPR index or 0xFF for none
    u8 index = 0xFF;   ///< GPR index or 0xFF for none
    u8 scale = 0;      ///< log2 of the scale factor
    bool rip_relative = false;
    i64 disp = 0;
};

enum class DecodeError : u8 {
    None = 0,
    TooLong,      ///< more than 15 bytes (#GP on a 386+)
    Truncated,    ///< ran out of bytes (caller should fetch more)
    Unknown,      ///< no row matches (#UD)
    InvalidInMode,///< a row matched but is invalid in this mode (#UD)
    BadLock,      ///< LOCK on a non-lockable form (#UD)
};

/// Decoder modes (code-segment default sizes and 64-bit mode).
enum class CodeMode : u8 { Bits16 = 0, Bits32 = 1, Bits64 = 2 };

/// Prefix bits recorded by the decoder.
enum PrefixBits : u8 {
    kPfxLock = 1, kPfxRep = 2 /* F3 */, kPfxRepne = 4 /* F2 */, kPfxOpsize = 8, kPfxAdsize = 16,
    kPfxRex = 32, kPfxSeg = 64,
};

struct DecodedInsn {
    InsnId id = InsnId::Count;
    u8 length = 0;
    u8 opsize = 0;      ///< 2, 4 or 8
    u8 addrsize = 0;    ///< 2, 4 or 8
    u8 prefixes = 0;    ///< PrefixBits
    u8 rex = 0;         ///< REX byte (0 if none)
    u8 modrm = 0;
    bool has_modrm = false;
    u8 nops = 0;        ///< number of operands present
    CodeMode mode = CodeMode::Bits32;
    u8 opcode = 0;      ///< final opcode byte
    Operand op[3];
    MemRef mem;
    u64 imm = 0;        ///< first immediate / branch displacement (sign-extended) / moffs / far offset
    u64 imm2 = 0;       ///< second immediate (ENTER's level byte, a far pointer's selector)
    u8 bytes[15] = {};

    bool has_mem() const {
        return op[0].kind == OperandKind::Mem || op[1].kind == OperandKind::Mem ||
               op[2].kind == OperandKind::Mem;
    }
    const InsnInfo& info() const { return insn_info(id); }
    u8 reg_field() const { return (modrm >> 3) & 7; }
};

static_assert(std::is_trivially_copyable_v<DecodedInsn>);

} // namespace cpu
