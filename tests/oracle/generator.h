// SPDX-License-Identifier: MIT
// The oracle's case generator: walks the instruction table (cpu::insn_info), decides which rows
// the host CPU can judge, and builds seeded random cases for them — the 32-bit encoding tx86
// runs, the 64-bit-mode equivalent the native runner runs (tests/oracle/native_runner.c says
// why), initial registers, flags, memory patch and x87/SSE image, and the comparison masks that
// hide exactly what the SDM leaves undefined for those inputs.
#pragma once

#include "base/types.h"
#include "cpu/decoder/insn.h"
#include "tests/oracle/oracle_proto.h"

#include <string>

namespace oracle {

/// SplitMix64: small, seedable, identical everywhere.
class Rng {
public:
    explicit Rng(u64 seed) : m_s(seed) {}
    u64 next() {
        u64 z = (m_s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    u32 u32v() { return static_cast<u32>(next()); }
    u32 below(u32 n) { return n ? static_cast<u32>(next() % n) : 0; }
    bool chance(u32 num, u32 den) { return below(den) < num; }

private:
    u64 m_s;
};

enum class Verdict : u8 {
    Test,     ///< generated and compared
    NoOracle, ///< unprivileged, but the host cannot run an equivalent (see the reason)
    Excluded, ///< privileged, control flow, I/O, segment loads, host-specific results
};

struct FormClass {
    Verdict verdict;
    const char* why;
};

FormClass classify(cpu::InsnId id);

/// Family name used in reports: alu, muldiv, shift, bit, bcd, data, string, flags, x87, mmx, sse.
const char* family_of(cpu::InsnId id);

struct Case {
    cpu::InsnId id = cpu::InsnId::Count;
    u8 code32[16] = {};
    unsigned len32 = 0;
    u8 code64[ORACLE_MAX_CODE] = {};
    unsigned len64 = 0;
    u32 gpr[8] = {};
    u32 eflags = 0;
    u32 window_seed = 0;
    u16 patch_off = 0;
    u16 patch_len = 0;
    u8 patch[ORACLE_MAX_PATCH] = {};
    bool fx = false;
    alignas(16) u8 fx_image[512] = {};
    // What to compare (everything the SDM defines for these inputs).
    u32 gpr_cmp[8] = {};
    u32 flags_cmp = 0;
    /// Window byte ranges [off, off+len) holding an undefined result (or, for FXSAVE, bytes the
    /// 64-bit-mode twin writes differently).
    struct Skip {
        u16 off = 0, len = 0;
    };
    Skip mem_skip[3];
    bool skipped(u32 off) const {
        for (const Skip& k : mem_skip) {
            if (off >= k.off && off < static_cast<u32>(k.off + k.len)) {
                return true;
            }
        }
        return false;
    }
};

/// Builds case number `index` of form `id` (deterministic in seed, id and index).
void make_case(cpu::InsnId id, u64 seed, unsigned index, Case& c);

/// Hex dump of an encoding, for messages.
std::string hex_bytes(const u8* p, unsigned n);

} // namespace oracle
