// SPDX-License-Identifier: MIT
// Decoder tests: our table-driven decoder against Capstone 4 as an oracle, in 16- and 32-bit
// modes. (a) A sweep over every opcode of the one-byte and 0F maps with every ModRM byte, a set
// of SIB bytes and prefix combinations; (b) seeded random byte streams. Where both decode, the
// lengths must agree and the mnemonics must agree modulo the alias list below. Where only one
// side decodes, the difference must fall into a documented category (Capstone knows extensions
// our CPU model lacks; x87 and MMX/SSE rows are still being written). The test prints a
// coverage summary. It does not check operands beyond what the length implies; the
// interpreter's instruction tests do that.
#include "cpu/decoder/decoder.h"
#include "cpu/state.h"

#include <capstone/capstone.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using cpu::CodeMode;
using cpu::DecodedInsn;
using cpu::DecodeError;

constexpr const char* kCondNames[16] = {"o", "no", "b",  "ae", "e", "ne", "be", "a",
                                        "s", "ns", "p",  "np", "l", "ge", "le", "g"};

/// Our spelling of a decoded instruction, completed from the operand/address size and the
/// condition nibble where the row's mnemonic column is only a stem ("j", "movs", "cbw").
std::string our_mnemonic(const DecodedInsn& d) {
    const cpu::InsnInfo& info = d.info();
    std::string m = info.mnemonic;
    if (info.ext & cpu::kExtCond) {
        return m + kCondNames[d.opcode & 15];
    }
    const bool o16 = d.opsize == 2;
    if (m == "movs" || m == "cmps" || m == "stos" || m == "lods" || m == "scas" || m == "ins" ||
        m == "outs") {
        return m + (o16 ? "w" : d.opsize == 4 ? "d" : "q");
    }
    if (m == "cbw") {
        return o16 ? "cbw" : "cwde";
    }
    if (m == "cwd") {
        return o16 ? "cwd" : "cdq";
    }
    if (m == "pusha" || m == "popa") {
        return m + (o16 ? "w" : "l");
    }
    if (m == "pushf" || m == "popf" || m == "iret") {
        return o16 ? m : m + "d";
    }
    if (m == "jcxz") {
        return d.addrsize == 2 ? "jcxz" : "jecxz";
    }
    return m;
}

/// Capstone's mnemonic without prefix words ("rep movsd" -> "movsd", "lock add" -> "add").
std::string cs_mnemonic(const cs_insn& in) {
    std::string m = in.mnemonic;
    const auto sp = m.rfind(' ');
    return sp == std::string::npos ? m : m.substr(sp + 1);
}

/// Documented spelling differences: pairs that name the same instruction.
bool same_instruction(const std::string& ours, const std::string& theirs, CodeMode mode) {
    if (ours == theirs) {
        return true;
    }
    // CMPPS/PD/SS/SD: Capstone folds the predicate immediate into the name (cmpleps).
    if (ours.size() == 5 && ours.rfind("cmp", 0) == 0 && theirs.size() > 5 &&
        theirs.rfind("cmp", 0) == 0 && theirs.compare(theirs.size() - 2, 2, ours, 3, 2) == 0 &&
        (ours[3] == 'p' || ours[3] == 's') && (ours[4] == 's' || ours[4] == 'd')) {
        return true;
    }
    static const std::array<std::pair<const char*, const char*>, 15> kAliases = {{
        {"sal", "shl"},   // C0..D3 /6: Capstone prints the undocumented form as "shl" sometimes
        {"ud1", "ud2b"},  // 0F B9: Capstone 4's old name
        {"int1", "icebp"},
        {"retf", "lret"},
        {"wait", "fwait"},
        // Capstone 4 prints F3 90 as "nop" in 16-bit mode and after repeated prefixes; PAUSE is
        // a NOP with a spin-loop hint.
        {"pause", "nop"},
        // F3 0F BC/BD are TZCNT/LZCNT only on CPUs with BMI1/LZCNT; our model ignores the F3
        // (SDM Vol. 2A, BSF/BSR), as every P6-class CPU does.
        {"bsf", "tzcnt"},
        {"bsr", "lzcnt"},
        // 0F 1A/1B with prefixes are MPX instructions; without MPX they are hint NOPs.
        {"nop", "bndcl"},
        {"nop", "bndcu"},
        {"nop", "bndcn"},
        {"nop", "bndmov"},
        {"nop", "bndmk"},
        {"nop", "bndldx"},
        {"nop", "bndstx"},
    }};
    for (const auto& [a, b] : kAliases) {
        if ((ours == a && theirs == b) || (ours == b && theirs == a)) {
            return true;
        }
    }
    // Capstone 4 ignores the operand size of CBW/CWDE and CWD/CDQ in 16-bit mode.
    if (mode == CodeMode::Bits16 && ((ours == "cbw" && theirs == "cwde") ||
                                     (ours == "cwde" && theirs == "cbw") ||
                                     (ours == "cwd" && theirs == "cdq") ||
                                     (ours == "cdq" && theirs == "cwd"))) {
        return true;
    }
    return false;
}

bool has_group(csh h, const cs_insn& in, const char* name) {
    for (unsigned i = 0; i < in.detail->groups_count; ++i) {
        const char* g = cs_group_name(h, in.detail->groups[i]);
        if (g && std::strcmp(g, name) == 0) {
            return true;
        }
    }
    return false;
}

/// Instructions Capstone decodes that belong to extensions our CPU model (a P6-class part with
/// MMX/SSE/SSE2, see cpu/cpuid.cpp) does not have. Documented difference: we raise #UD.
bool beyond_our_model(csh h, const cs_insn& in) {
    static const char* const kGroups[] = {"sse3",  "ssse3", "sse41", "sse42", "sse4a", "avx",
                                          "avx2",  "avx512", "fma",  "fma4",  "3dnow", "aes",
                                          "pclmul", "sha",  "xop",   "f16c",  "bmi",   "bmi2",
                                          "adx",   "tbm",   "vm",    "rtm",   "mpx",   "smap",
                                          "novlx", "vlx",   "dqi",   "bwi",   "cdi",   "eri",
                                          "pfi",   "fsgsbase"};
    for (const char* g : kGroups) {
        if (has_group(h, in, g)) {
            return true;
        }
    }
    // Extensions Capstone 4 does not tag with a group.
    static const char* const kMnemonics[] = {
        "rdtscp", "xgetbv", "xsetbv", "xsave", "xrstor", "xsaveopt", "xsavec", "xsaves",
        "xrstors", "xsave64", "xrstor64", "movbe", "popcnt", "lzcnt", "tzcnt", "crc32",
        "rdrand", "rdseed", "invpcid", "clflushopt", "clwb", "clac", "stac", "encls", "enclu",
        "xend", "xtest", "xabort", "xbegin", "getsec", "femms", "prefetchw", "prefetchwt1",
        "cmpxchg16b", "rdfsbase", "rdgsbase", "wrfsbase", "wrgsbase", "ud0", "monitorx",
        "mwaitx", "clzero", "rdpid", "ptwrite", "endbr32", "endbr64", "wbnoinvd", "rdpkru",
        "wrpkru", "rdpru", "mcommit", "serialize", "xsusldtrk", "xresldtrk", "clgi", "stgi",
        "skinit", "invlpga", "vmrun", "vmload", "vmsave", "vmmcall", "rsm", "sysexitq",
        "bndmk", "bndcl", "bndcu", "bndcn", "bndmov", "bndldx", "bndstx", "vmfunc", "encls",
        "pcommit", "montmul", "xsha1", "xsha256", "xstorerng", "xcryptecb", "xcryptcbc",
        "xcryptctr", "xcryptcfb", "xcryptofb", // VIA PadLock
        "lfence", "mfence", "sfence", "clflush", "ldmxcsr", "stmxcsr", "fxsave", "fxrstor"};
    const std::string m = cs_mnemonic(in);
    for (const char* k : kMnemonics) {
        if (m == k) {
            // The fences, CLFLUSH, LDMXCSR/STMXCSR and FXSAVE/FXRSTOR are SSE/SSE2 rows of
            // 0F AE that the SIMD table will hold; they are counted as "not yet in the table".
            return !(m == "lfence" || m == "mfence" || m == "sfence" || m == "clflush" ||
                     m == "ldmxcsr" || m == "stmxcsr" || m == "fxsave" || m == "fxrstor");
        }
    }
    return false;
}

/// True when Capstone's instruction belongs to a family whose rows another engineer is writing
/// (x87: opcodes_x87.inc; MMX/SSE/SSE2: opcodes_simd.inc).
bool not_yet_in_table(csh h, const cs_insn& in, bool& x87) {
    x87 = has_group(h, in, "fpu") || (in.bytes[0] >= 0xD8 && in.bytes[0] <= 0xDF);
    // The prefix bytes precede the opcode: look for the escape byte past them.
    for (unsigned i = 0; i < in.size; ++i) {
        const u8 b = in.bytes[i];
        if (b >= 0xD8 && b <= 0xDF) {
            x87 = true;
            break;
        }
        if (!(b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65 ||
              b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3)) {
            break;
        }
    }
    if (x87) {
        return true;
    }
    if (has_group(h, in, "mmx") || has_group(h, in, "sse1") || has_group(h, in, "sse2")) {
        return true;
    }
    const std::string m = cs_mnemonic(in);
    static const char* const kSimd[] = {"lfence", "mfence", "sfence", "clflush", "ldmxcsr",
                                        "stmxcsr", "fxsave", "fxrstor", "emms", "prefetchnta",
                                        "prefetcht0", "prefetcht1", "prefetcht2", "maskmovq",
                                        "movntq", "movnti", "pause"};
    for (const char* k : kSimd) {
        if (m == k) {
            return true;
        }
    }
    return false;
}

std::string hex(const u8* b, unsigned n) {
    std::string s;
    char t[4];
    for (unsigned i = 0; i < n; ++i) {
        std::snprintf(t, sizeof t, "%02x", b[i]);
        s += t;
    }
    return s;
}

enum class Outcome {
    Match,          ///< both decode, same length, same instruction
    LengthMismatch, ///< failure
    NameMismatch,   ///< failure
    NotYetX87,      ///< Capstone only: x87 row not in the table yet
    NotYetSimd,     ///< Capstone only: MMX/SSE/SSE2 row not in the table yet
    BeyondModel,    ///< Capstone only: an extension our CPU model does not implement
    CapstoneOnly,   ///< failure: Capstone decodes, we do not, no documented reason
    ModeOnly64,     ///< Capstone only: SYSCALL/SYSRET/SWAPGS, valid only in 64-bit mode on our model
    CapstoneQuirk,  ///< both decode but differ because of a documented Capstone 4 bug
    OursOnlyKnown,  ///< we decode, Capstone 4 does not: documented (see ours_only_documented)
    OursOnly,       ///< failure
    Neither,        ///< both reject
    Count,
};

constexpr const char* kOutcomeNames[] = {
    "match", "length mismatch", "mnemonic mismatch", "x87 not yet in table",
    "MMX/SSE not yet in table", "beyond our CPU model", "Capstone-only (undocumented)",
    "64-bit-mode only (documented)", "Capstone 4 quirk (documented)",
    "ours-only (documented)", "ours-only (undocumented)", "both reject"};

static_assert(sizeof(kOutcomeNames) / sizeof(kOutcomeNames[0]) == static_cast<usize>(Outcome::Count));

bool is_failure(Outcome o) {
    return o == Outcome::LengthMismatch || o == Outcome::NameMismatch ||
           o == Outcome::CapstoneOnly || o == Outcome::OursOnly;
}

/// What the prefix bytes of an encoding contain (Capstone 4's prefix handling has gaps).
struct PrefixScan {
    unsigned n66 = 0, n67 = 0, nrep = 0, count = 0;
    u8 last = 0; ///< the prefix byte right before the opcode (0 if none)
};

PrefixScan scan_prefixes(const u8* b) {
    PrefixScan p;
    for (unsigned i = 0; i < 15; ++i) {
        switch (b[i]) {
        case 0x66: ++p.n66; break;
        case 0x67: ++p.n67; break;
        case 0xF2: case 0xF3: ++p.nrep; break;
        case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65: case 0xF0: break;
        default: p.count = i; p.last = i ? b[i - 1] : 0; return p;
        }
    }
    p.count = 15;
    return p;
}

/// Capstone 4 drops an operand-size prefix that is repeated, or combined with F2/F3 or 67, and
/// an address-size prefix combined with 66 (real CPUs honour them: SDM Vol. 2A, 2.1.1). When the
/// encoding has such a combination, decode it again without the 66 (or 67) bytes: if that
/// matches Capstone, the difference is Capstone's.
bool capstone_prefix_quirk(const u8* bytes, CodeMode mode, const cs_insn& in) {
    const PrefixScan p = scan_prefixes(bytes);
    const bool quirky66 = p.n66 && (p.n66 > 1 || p.nrep || p.n67 || p.last != 0x66);
    const bool quirky67 = p.n67 && (p.n67 > 1 || p.n66 || p.last != 0x67);
    for (u8 drop : {u8{0x66}, u8{0x67}}) {
        if ((drop == 0x66 && !quirky66) || (drop == 0x67 && !quirky67)) {
            continue;
        }
        u8 buf[32] = {};
        unsigned n = 0, removed = 0;
        for (unsigned i = 0; i < 15; ++i) {
            if (i < p.count && bytes[i] == drop) {
                ++removed;
            } else {
                buf[n++] = bytes[i];
            }
        }
        DecodedInsn d;
        const DecodeError err = cpu::decode(buf, n, mode, d);
        if ((err == DecodeError::None || err == DecodeError::BadLock) &&
            d.length + removed == in.size && same_instruction(our_mnemonic(d), cs_mnemonic(in), mode)) {
            return true;
        }
    }
    return false;
}

/// Capstone 4 honours an SSE mandatory prefix (66/F2/F3) only in 32-bit mode and only when it
/// is the single such prefix right before the 0F escape. Real CPUs take it from anywhere in the
/// prefix bytes, F2/F3 winning over 66 (SDM Vol. 2A, 2.1.2). Both sides must still see an
/// MMX/SSE instruction of the same length.
bool simd_prefix_quirk(const u8* bytes, CodeMode mode, const DecodedInsn& d, csh h,
                       const cs_insn& in) {
    if (!(d.info().attrs & (cpu::kSse | cpu::kMmx)) || d.length != in.size) {
        return false;
    }
    if (!(has_group(h, in, "sse1") || has_group(h, in, "sse2") || has_group(h, in, "mmx"))) {
        return false;
    }
    const PrefixScan p = scan_prefixes(bytes);
    const unsigned mand = p.n66 + p.nrep;
    const bool clean = mode == CodeMode::Bits32 &&
                       (mand == 0 || (mand == 1 && (p.last == 0x66 || p.last == 0xF2 ||
                                                    p.last == 0xF3)));
    return !clean;
}

/// Encodings we accept that Capstone 4 rejects; each is architecturally valid on a P6.
bool ours_only_documented(const u8* bytes, CodeMode mode, const DecodedInsn& d) {
    const std::string m = d.info().mnemonic;
    // SSE2 forms selected by a mandatory prefix that Capstone 4 does not see (16-bit mode, or
    // the prefix not right before the opcode; see simd_prefix_quirk).
    if (d.info().attrs & (cpu::kSse | cpu::kMmx)) {
        const PrefixScan p = scan_prefixes(bytes);
        const unsigned mand = p.n66 + p.nrep;
        if (mode == CodeMode::Bits16 ||
            (mand > 0 && !(mand == 1 && (p.last == 0x66 || p.last == 0xF2 || p.last == 0xF3)))) {
            return true;
        }
    }
    // LFENCE/MFENCE/SFENCE ignore the rm bits (0F AE E8..EF, F0..F7, F8..FF) on real CPUs;
    // Capstone 4 accepts only rm = 0.
    if ((m == "lfence" || m == "mfence" || m == "sfence") && (d.modrm & 7) != 0) {
        return true;
    }
    // Register forms of the hint NOPs (0F 18..0F 1F, mod = 3) execute as NOP on P6+ CPUs;
    // Capstone 4 knows only the memory forms.
    if (m == "nop" && d.has_modrm && (d.modrm >> 6) == 3) {
        return true;
    }
    // Capstone 4 rejects some forms that combine 66 with F2/F3 (e.g. 66 F2 A0 moffs); the
    // F2/F3 are ignored there and the 66 keeps its meaning.
    const PrefixScan p = scan_prefixes(bytes);
    if (p.n66 && p.nrep) {
        return true;
    }
    // 0F 20..23 with mod != 3: MOV CRn/DRn ignore mod (SDM Vol. 2B, MOV—Move to/from Control
    // Registers); Capstone 4 rejects some of these encodings.
    if (m == "mov" && (d.op[0].kind == cpu::OperandKind::Cr || d.op[1].kind == cpu::OperandKind::Cr ||
                       d.op[0].kind == cpu::OperandKind::Dr || d.op[1].kind == cpu::OperandKind::Dr)) {
        return true;
    }
    return false;
}

class Oracle {
public:
    Oracle() {
        REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_16, &m_cs16) == CS_ERR_OK);
        REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_32, &m_cs32) == CS_ERR_OK);
        cs_option(m_cs16, CS_OPT_DETAIL, CS_OPT_ON);
        cs_option(m_cs32, CS_OPT_DETAIL, CS_OPT_ON);
        m_insn16 = cs_malloc(m_cs16);
        m_insn32 = cs_malloc(m_cs32);
    }
    ~Oracle() {
        cs_free(m_insn16, 1);
        cs_free(m_insn32, 1);
        cs_close(&m_cs16);
        cs_close(&m_cs32);
    }
    Oracle(const Oracle&) = delete;
    Oracle& operator=(const Oracle&) = delete;

    Outcome check(const u8* bytes, CodeMode mode) {
        DecodedInsn d;
        const DecodeError err = cpu::decode(bytes, 15, mode, d);
        // LOCK on a non-lockable form is #UD at run time but the length is still known; Capstone
        // accepts any LOCK, so compare such forms like valid ones.
        const bool ours = err == DecodeError::None || err == DecodeError::BadLock;
        csh h = mode == CodeMode::Bits16 ? m_cs16 : m_cs32;
        cs_insn* in = mode == CodeMode::Bits16 ? m_insn16 : m_insn32;
        const u8* code = bytes;
        size_t size = 15;
        u64 addr = 0x1000;
        const bool theirs = cs_disasm_iter(h, &code, &size, &addr, in);

        Outcome o = Outcome::Neither;
        std::string detail;
        if (ours && theirs) {
            const std::string om = our_mnemonic(d);
            const std::string tm = cs_mnemonic(*in);
            if (d.length == in->size && same_instruction(om, tm, mode)) {
                o = Outcome::Match;
            } else if (capstone_prefix_quirk(bytes, mode, *in)) {
                o = Outcome::CapstoneQuirk;
            } else if (simd_prefix_quirk(bytes, mode, d, h, *in)) {
                o = Outcome::CapstoneQuirk;
            } else if (beyond_our_model(h, *in)) {
                // E.g. F3 0F 12 is MOVSLDUP with SSE3; without SSE3 the F3 is ignored.
                o = Outcome::BeyondModel;
            } else if (om == "ud1" && tm == "ud2b") {
                o = Outcome::CapstoneQuirk; // Capstone 4 decodes 0F B9 without its ModRM byte
            } else {
                o = d.length != in->size ? Outcome::LengthMismatch : Outcome::NameMismatch;
            }
            detail = "ours " + om + "/" + std::to_string(d.length) + " (" + d.info().id_name +
                     "), capstone " + in->mnemonic + " " + in->op_str + "/" +
                     std::to_string(in->size);
        } else if (theirs) {
            bool x87 = false;
            if (err == DecodeError::InvalidInMode) {
                o = Outcome::ModeOnly64; // rows marked O64 (SDM: #UD outside 64-bit mode)
            } else if (not_yet_in_table(h, *in, x87)) {
                o = x87 ? Outcome::NotYetX87 : Outcome::NotYetSimd;
            } else if (beyond_our_model(h, *in)) {
                o = Outcome::BeyondModel;
            } else {
                o = Outcome::CapstoneOnly;
            }
            detail = std::string("ours error ") + std::to_string(static_cast<int>(err)) +
                     ", capstone " + in->mnemonic + " " + in->op_str + "/" +
                     std::to_string(in->size);
        } else if (err == DecodeError::BadLock) {
            o = Outcome::Neither; // Capstone 4 also rejects LOCK on most non-lockable forms
        } else if (ours) {
            o = ours_only_documented(bytes, mode, d) ? Outcome::OursOnlyKnown : Outcome::OursOnly;
            detail = std::string("ours ") + our_mnemonic(d) + "/" + std::to_string(d.length) +
                     " (" + d.info().id_name + "), capstone rejects";
        }
        ++counts[static_cast<int>(o)];
        if (o == Outcome::NotYetX87 || o == Outcome::NotYetSimd) {
            missing.insert(cs_mnemonic(*in));
        }
        if (is_failure(o)) {
            // One example per distinct (outcome, mnemonics) pair keeps the report readable.
            const std::string key = std::string(kOutcomeNames[static_cast<int>(o)]) + ": ours " +
                                    (ours ? our_mnemonic(d) : "-") + ", capstone " +
                                    (theirs ? cs_mnemonic(*in) : "-");
            auto [it, fresh] = examples.try_emplace(key, 0, std::string{});
            if (fresh) {
                it->second.second = std::string(mode == CodeMode::Bits16 ? "16: " : "32: ") +
                                    hex(bytes, ours && d.length ? d.length : 8) + "  " + detail;
            }
            ++it->second.first;
        }
        return o;
    }

    u64 failures() const {
        u64 n = 0;
        for (int i = 0; i < static_cast<int>(Outcome::Count); ++i) {
            if (is_failure(static_cast<Outcome>(i))) {
                n += counts[i];
            }
        }
        return n;
    }

    void report(const char* title) const {
        u64 total = 0;
        for (u64 c : counts) {
            total += c;
        }
        std::printf("decoder vs Capstone 4, %s: %llu encodings\n", title,
                    static_cast<unsigned long long>(total));
        for (int i = 0; i < static_cast<int>(Outcome::Count); ++i) {
            if (counts[i]) {
                std::printf("  %-30s %10llu\n", kOutcomeNames[i],
                            static_cast<unsigned long long>(counts[i]));
            }
        }
        if (!missing.empty()) {
            std::string line;
            for (const std::string& m : missing) {
                line += " " + m;
            }
            std::printf("  not yet in the table:%s\n", line.c_str());
        }
        unsigned shown = 0;
        for (const auto& [key, ex] : examples) {
            if (++shown > 60) {
                std::printf("  ... %zu more kinds\n", examples.size() - 60);
                break;
            }
            std::printf("  FAIL x%llu %s\n      e.g. %s\n", static_cast<unsigned long long>(ex.first),
                        key.c_str(), ex.second.c_str());
        }
    }

    u64 counts[static_cast<int>(Outcome::Count)] = {};
    /// Capstone mnemonics counted as "not yet in the table".
    std::set<std::string> missing;
    /// Failure kind -> (count, first example).
    std::map<std::string, std::pair<u64, std::string>> examples;

private:
    csh m_cs16 = 0, m_cs32 = 0;
    cs_insn* m_insn16 = nullptr;
    cs_insn* m_insn32 = nullptr;
};

bool is_prefix(u8 b) {
    return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 || b == 0x65 ||
           b == 0x66 || b == 0x67 || b == 0xF0 || b == 0xF2 || b == 0xF3;
}

} // namespace

TEST_CASE("decoder agrees with Capstone on every opcode, ModRM, SIB and prefix", "[decoder]") {
    Oracle oracle;
    const std::vector<std::vector<u8>> prefix_sets = {
        {}, {0x66}, {0x67}, {0xF2}, {0xF3}, {0x2E}, {0x36}, {0x64}, {0xF0}, {0x66, 0x67},
        {0xF0, 0x66}, {0xF3, 0x66}};
    // SIB bytes: plain base+index, no index, base=5 (disp32 when mod=0), scaled index.
    const u8 sibs[] = {0x00, 0x24, 0x25, 0x65, 0xE5, 0x9C};
    // Filler after the variable part: displacements and immediates with the sign bit set.
    const u8 filler[] = {0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
                         0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E};
    for (CodeMode mode : {CodeMode::Bits16, CodeMode::Bits32}) {
        for (const auto& pfx : prefix_sets) {
            for (unsigned map = 0; map < 2; ++map) {
                for (unsigned opc = 0; opc < 256; ++opc) {
                    if (map == 0 && (is_prefix(static_cast<u8>(opc)) || opc == 0x0F)) {
                        continue;
                    }
                    for (unsigned modrm = 0; modrm < 256; ++modrm) {
                        u8 buf[32];
                        unsigned n = 0;
                        for (u8 p : pfx) {
                            buf[n++] = p;
                        }
                        if (map == 1) {
                            buf[n++] = 0x0F;
                        }
                        buf[n++] = static_cast<u8>(opc);
                        buf[n++] = static_cast<u8>(modrm);
                        // A SIB follows with 32-bit addressing, mod != 3, rm == 4.
                        const bool a32 = (mode == CodeMode::Bits32) !=
                                         (std::find(pfx.begin(), pfx.end(), 0x67) != pfx.end());
                        const bool sib = a32 && (modrm >> 6) != 3 && (modrm & 7) == 4;
                        const unsigned nsib = sib ? sizeof sibs : 1;
                        for (unsigned k = 0; k < nsib; ++k) {
                            unsigned m = n;
                            if (sib) {
                                buf[m++] = sibs[k];
                            }
                            for (unsigned f = 0; m < sizeof buf; ++f) {
                                buf[m++] = filler[f % sizeof filler];
                            }
                            oracle.check(buf, mode);
                        }
                    }
                }
            }
        }
    }
    oracle.report("opcode/ModRM/SIB/prefix sweep");
    CHECK(oracle.failures() == 0);
    CHECK(oracle.counts[static_cast<int>(Outcome::Match)] > 1000000);
}

TEST_CASE("decoder agrees with Capstone on random byte streams", "[decoder]") {
    Oracle oracle;
    std::mt19937 rng(0x7886);
    // Random bytes, with the first bytes biased towards prefixes and the 0F escape so that
    // prefixed and two-byte forms are as common as one-byte forms.
    const u8 lead[] = {0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x2E, 0x26, 0x64, 0x0F, 0x0F, 0x0F};
    for (unsigned i = 0; i < 300000; ++i) {
        u8 buf[15];
        for (u8& b : buf) {
            b = static_cast<u8>(rng());
        }
        const unsigned nlead = rng() % 4;
        for (unsigned k = 0; k < nlead; ++k) {
            buf[k] = lead[rng() % sizeof lead];
        }
        oracle.check(buf, (i & 1) ? CodeMode::Bits32 : CodeMode::Bits16);
    }
    oracle.report("random streams");
    CHECK(oracle.failures() == 0);
}

TEST_CASE("decoder fields of common forms", "[decoder]") {
    DecodedInsn d;
    // mov eax, [ebx+esi*4+0x12345678] in 32-bit mode
    const u8 a[] = {0x8B, 0x84, 0xB3, 0x78, 0x56, 0x34, 0x12};
    REQUIRE(cpu::decode(a, sizeof a, CodeMode::Bits32, d) == DecodeError::None);
    CHECK(d.length == 7);
    CHECK(d.mem.base == cpu::kRbx);
    CHECK(d.mem.index == cpu::kRsi);
    CHECK(d.mem.scale == 2);
    CHECK(d.mem.disp == 0x12345678);
    CHECK(d.mem.seg == cpu::kDs);
    // [bp+di-2] defaults to SS in 16-bit addressing
    const u8 b[] = {0x8B, 0x43, 0xFE};
    REQUIRE(cpu::decode(b, sizeof b, CodeMode::Bits16, d) == DecodeError::None);
    CHECK(d.mem.seg == cpu::kSs);
    CHECK(d.mem.disp == -2);
    // Truncated input asks for more bytes.
    REQUIRE(cpu::decode(a, 4, CodeMode::Bits32, d) == DecodeError::Truncated);
    // 16 prefixes: too long.
    u8 longi[20];
    std::memset(longi, 0x66, sizeof longi);
    REQUIRE(cpu::decode(longi, sizeof longi, CodeMode::Bits32, d) == DecodeError::TooLong);
}
