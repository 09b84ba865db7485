// SPDX-License-Identifier: MIT
// x87 instruction tests ([fpu]). The oracle is the host's own x87 (x86-64 only): every row of
// cpu/decoder/opcodes_x87.inc runs as a single instruction on a seeded random FPU state, once
// in tx86 (CpuHarness, flat 32-bit protected mode, memory operand [ebx+0x10]) and once
// natively, in a stub generated into executable memory that FRSTORs the same state, loads the
// same EFLAGS, executes the same bytes with rbx pointing at a copy of the same data, and
// FNSAVEs the result. Compared: all eight registers (bits), the full tag word, FSW (minus the
// condition bits the SDM leaves undefined for the instruction), FCW, the data buffer, EFLAGS
// for FCOMI & co, AX for FNSTSW AX, and FOP. The states cover specials (NaN, inf, denormals,
// unsupported encodings), empty/full stacks, every RC/PC and unmasked exceptions (a single
// instruction is safe natively: the stub's epilogue has no waiting instruction).
// Directed tests cover the image layouts of the 16-bit and real-mode formats, #NM and #MF.
#include "cpu/decoder/decoder.h"
#include "cpu/decoder/insn.h"
#include "cpu/interp/handlers.h"
#include "cpu/softfloat/float80.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <sys/mman.h>

namespace {

using cpu::Float80;
using cpu::InsnId;

// ---- the 108-byte FNSAVE image (32-bit protected-mode layout) ------------------------------

struct Image {
    u8 b[108] = {};
    u16 w(unsigned off) const { return static_cast<u16>(b[off] | (b[off + 1] << 8)); }
    u32 d(unsigned off) const {
        u32 v;
        std::memcpy(&v, b + off, 4);
        return v;
    }
    void set_w(unsigned off, u16 v) { std::memcpy(b + off, &v, 2); }
    Float80 reg(unsigned i) const { // ST(i)
        Float80 f;
        std::memcpy(&f.mant, b + 28 + 10 * i, 8);
        std::memcpy(&f.sign_exp, b + 36 + 10 * i, 2);
        return f;
    }
    void set_reg(unsigned i, Float80 f) {
        std::memcpy(b + 28 + 10 * i, &f.mant, 8);
        std::memcpy(b + 36 + 10 * i, &f.sign_exp, 2);
    }
};

#if defined(__x86_64__)
constexpr bool kHostX87 = true;
#else
constexpr bool kHostX87 = false;
#endif

// ---- native runner ------------------------------------------------------------------------

struct HostIo {
    Image in;       // 0
    Image out;      // 108
    u64 flags_in;   // 216
    u64 flags_out;  // 224
    u64 rax_out;    // 232
};
static_assert(offsetof(HostIo, flags_in) == 216 && offsetof(HostIo, rax_out) == 232);

class HostRunner {
public:
    HostRunner() {
        m_mem = static_cast<u8*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (m_mem == MAP_FAILED) {
            m_mem = nullptr;
        }
    }
    ~HostRunner() {
        if (m_mem) {
            munmap(m_mem, 4096);
        }
    }
    bool ok() const { return m_mem != nullptr; }

    /// Runs `code` natively between FRSTOR io.in and FNSAVE io.out, rbx = data.
    void run(const std::vector<u8>& code, HostIo& io, u8* data) {
        std::vector<u8> s = {
            0x53,                                     // push rbx
            0x48, 0x89, 0xF3,                         // mov rbx, rsi
            0xDD, 0x27,                               // frstor [rdi]
            0xFF, 0xB7, 0xD8, 0x00, 0x00, 0x00,       // push qword [rdi+216]
            0x9D,                                     // popfq
        };
        s.insert(s.end(), code.begin(), code.end());
        const u8 tail[] = {
            0x9C,                                     // pushfq
            0x8F, 0x87, 0xE0, 0x00, 0x00, 0x00,       // pop qword [rdi+224]
            0x48, 0x89, 0x87, 0xE8, 0x00, 0x00, 0x00, // mov [rdi+232], rax
            0xDD, 0xB7, 0x6C, 0x00, 0x00, 0x00,       // fnsave [rdi+108]
            0x5B,                                     // pop rbx
            0xC3,                                     // ret
        };
        s.insert(s.end(), tail, tail + sizeof tail);
        std::memcpy(m_mem, s.data(), s.size());
        __builtin___clear_cache(reinterpret_cast<char*>(m_mem), reinterpret_cast<char*>(m_mem + s.size()));
        auto fn = reinterpret_cast<void (*)(HostIo*, u8*)>(m_mem);
        fn(&io, data);
    }

private:
    u8* m_mem = nullptr;
};

// ---- random operands ----------------------------------------------------------------------

class Gen {
public:
    explicit Gen(u64 seed) : m_rng(seed) {}
    u64 u64r() { return m_rng(); }
    unsigned below(unsigned n) { return static_cast<unsigned>(m_rng() % n); }
    bool chance(unsigned pct) { return below(100) < pct; }

    Float80 f80() {
        const u16 sign = chance(50) ? 0x8000 : 0;
        u64 m = u64r() | (u64{1} << 63);
        if (chance(20)) { // few-bit significands: exact results and ties
            m &= ~u64{0} << (40 + below(24));
        }
        switch (below(20)) {
        case 0: return Float80{0, sign};                                         // zero
        case 1: return Float80{m >> (1 + below(63)), sign};                       // denormal
        case 2: return Float80{m, sign};                                          // pseudo-denormal
        case 3: return Float80{u64{1} << 63, static_cast<u16>(sign | 0x7FFF)};    // inf
        case 4: return Float80{m | (u64{1} << 62), static_cast<u16>(sign | 0x7FFF)}; // QNaN
        case 5: { // SNaN
            u64 s = (m & ~(u64{1} << 62)) | (u64{1} << 63);
            if ((s << 2) == 0) s |= 1;
            return Float80{s, static_cast<u16>(sign | 0x7FFF)};
        }
        case 6: return chance(50) ? Float80{m >> 1, static_cast<u16>(sign | (1 + below(0x7FFE)))} // unnormal
                                  : Float80{m >> 1, static_cast<u16>(sign | 0x7FFF)};   // pseudo-NaN/inf
        case 7: return Float80{m, static_cast<u16>(sign | (0x7FFE - below(3)))};  // near overflow
        case 8: return Float80{m, static_cast<u16>(sign | (1 + below(4)))};       // near underflow
        case 9: { // small integers
            const i64 v = static_cast<i64>(below(2000)) - 1000;
            return cpu::sf::from_int(v);
        }
        case 10: return Float80{m, static_cast<u16>(sign | (0x3FFF + 62 + below(4)))}; // ~2^63
        case 11: return Float80{m, static_cast<u16>(sign | (0x3FFF - 70 + below(140)))};
        case 12: return Float80{m, static_cast<u16>(sign | (0x3FFF - 24000 + below(48000) % 0x7FFE))};
        case 13: return Float80{m, static_cast<u16>(sign | (1 + below(0x7FFE)))};
        default: return Float80{m, static_cast<u16>(sign | (0x3FFF - 8 + below(16)))};
        }
    }

    /// Raw bits of an m32/m64 real operand.
    u64 ieee(unsigned size) {
        const int fbits = size == 4 ? 23 : 52, ebits = size == 4 ? 8 : 11;
        const u64 emax = (u64{1} << ebits) - 1;
        const u64 frac = u64r() & ((u64{1} << fbits) - 1);
        const u64 sign = chance(50) ? u64{1} << (fbits + ebits) : 0;
        u64 e;
        switch (below(8)) {
        case 0: e = 0; break;
        case 1: e = emax; break;
        case 2: return sign;
        case 3: return sign | (emax << fbits);
        default: e = (emax >> 1) - 10 + below(20); break;
        }
        if (chance(20)) e = 1 + below(static_cast<unsigned>(emax - 1));
        return sign | (e << fbits) | frac;
    }

    u64 integer(unsigned size) {
        switch (below(4)) {
        case 0: return u64r() & 0xFF;
        case 1: return static_cast<u64>(-static_cast<i64>(below(1000)));
        case 2: return u64{1} << (size * 8 - 1);
        default: return u64r();
        }
    }

private:
    std::mt19937_64 m_rng;
};

// ---- the tx86 side ------------------------------------------------------------------------

constexpr u32 kCode = 0x1000;
constexpr u32 kData = 0x20000;
constexpr unsigned kDataSize = 160;
constexpr unsigned kDisp = 0x10;

/// Loads an image into tx86's state as FRSTOR would (tags: empty or recomputed).
void load_state(cpu::FpuState& f, const Image& img) {
    f.fcw = img.w(0);
    f.fsw = img.w(4);
    const u16 tw = img.w(8);
    const unsigned top = (f.fsw >> 11) & 7;
    f.ftw = 0;
    for (unsigned i = 0; i < 8; ++i) {
        f.st[(top + i) & 7] = img.reg(i);
    }
    for (unsigned p = 0; p < 8; ++p) {
        const unsigned t = ((tw >> (2 * p)) & 3) == 3 ? 3 : cpu::sf::tag(f.st[p]);
        f.ftw = static_cast<u16>(f.ftw | (t << (2 * p)));
    }
    f.fip = img.d(12);
    f.fcs = img.w(16);
    f.fop = static_cast<u16>((img.d(16) >> 16) & 0x7FF);
    f.fdp = img.d(20);
    f.fds = img.w(24);
}

struct Outcome {
    u16 fcw, fsw, ftw, fop;
    Float80 st[8]; // ST(i) order
    u8 data[kDataSize];
    u32 eflags;
    u16 ax;
};

Outcome from_host(const HostIo& io, const u8* data) {
    Outcome o{};
    o.fcw = io.out.w(0);
    o.fsw = io.out.w(4);
    o.ftw = io.out.w(8);
    o.fop = static_cast<u16>((io.out.d(16) >> 16) & 0x7FF);
    for (unsigned i = 0; i < 8; ++i) {
        o.st[i] = io.out.reg(i);
    }
    std::memcpy(o.data, data, kDataSize);
    o.eflags = static_cast<u32>(io.flags_out);
    o.ax = static_cast<u16>(io.rax_out);
    return o;
}

Outcome from_tx86(tests::CpuHarness& h) {
    cpu::FpuState& f = h.cpu->s.fpu;
    Outcome o{};
    o.fcw = f.fcw;
    o.fsw = f.fsw;
    const unsigned top = (f.fsw >> 11) & 7;
    // What FNSAVE stores: empty stays empty, the rest from the contents.
    for (unsigned p = 0; p < 8; ++p) {
        const unsigned t = ((f.ftw >> (2 * p)) & 3) == 3 ? 3 : cpu::sf::tag(f.st[p]);
        o.ftw = static_cast<u16>(o.ftw | (t << (2 * p)));
    }
    o.fop = f.fop;
    for (unsigned i = 0; i < 8; ++i) {
        o.st[i] = f.st[(top + i) & 7];
    }
    std::memcpy(o.data, h.ram + kData, kDataSize);
    o.eflags = cpu::read_eflags(h.cpu->s);
    o.ax = static_cast<u16>(h.cpu->s.gpr[cpu::kRax]);
    return o;
}

// ---- per-row knowledge --------------------------------------------------------------------

bool is_row(InsnId id, std::initializer_list<InsnId> l) {
    for (InsnId x : l) {
        if (x == id) return true;
    }
    return false;
}

/// FSW condition bits the SDM leaves undefined after the instruction (not compared).
u16 undefined_cc(InsnId id, const char* mnem) {
    const std::string m = mnem;
    constexpr u16 c0 = 0x100, c2 = 0x400, c3 = 0x4000, c1 = 0x200;
    if (m == "fxam" || m.rfind("fcom", 0) == 0 || m.rfind("fucom", 0) == 0 || m == "ftst" ||
        m.rfind("ficom", 0) == 0 || m == "fprem" || m == "fprem1" || m == "fnclex" ||
        m == "fninit" || m == "fldcw") {
        if (m.rfind("fcomi", 0) == 0 || m.rfind("fucomi", 0) == 0) return c0 | c2 | c3;
        if (m == "fnclex") return c0 | c1 | c2 | c3;
        if (m == "fldcw") return c0 | c1 | c2 | c3;
        return 0;
    }
    if (m == "fsin" || m == "fcos" || m == "fptan" || m == "fsincos") return c0 | c3;
    if (m == "ffree" || m == "fnop" || m == "fnstsw" || m == "fnstcw") return c0 | c1 | c2 | c3;
    (void)id;
    return c0 | c2 | c3;
}

bool is_transcendental(const char* mnem) {
    const std::string m = mnem;
    return m == "f2xm1" || m == "fyl2x" || m == "fyl2xp1" || m == "fpatan" || m == "fsin" ||
           m == "fcos" || m == "fptan" || m == "fsincos";
}

/// |a - b| <= 1 ulp for same-sign finite values with the same exponent field or adjacent.
/// FSW bits a 1-ulp difference from the host may change: C1, PE, UE, ES and B.
constexpr u16 kOneUlpStatus = 0x200 | 0x20 | 0x10 | 0x80 | 0x8000;

bool within_ulp(Float80 a, Float80 b) {
    if (a == b) return true;
    if ((a.sign_exp & 0x8000) != (b.sign_exp & 0x8000)) return false;
    // Compare as integers over (exponent, significand) for normals.
    auto key = [](Float80 f) {
        return (static_cast<__int128>(f.sign_exp & 0x7FFF) << 63) + static_cast<__int128>(f.mant & ~(u64{1} << 63));
    };
    __int128 d = key(a) - key(b);
    if (d < 0) d = -d;
    return d <= 1;
}

/// Operands for which the SDM leaves the result undefined: FYL2XP1 outside
/// |x| < 1 - sqrt(2)/2 and F2XM1 outside [-1, 1] (not compared).
bool undefined_operand(const char* mnem, const Image& in) {
    const std::string m = mnem;
    const unsigned top = (in.w(4) >> 11) & 7;
    if (((in.w(8) >> (2 * top)) & 3) == 3) return false;
    const Float80 x = in.reg(0);
    if ((x.sign_exp & 0x7FFF) == 0x7FFF || ((x.sign_exp & 0x7FFF) != 0 && !(x.mant >> 63))) return false;
    long double v;
    static_assert(sizeof(long double) >= 10);
    std::memset(&v, 0, sizeof v);
    std::memcpy(&v, &x.mant, 8);
    std::memcpy(reinterpret_cast<u8*>(&v) + 8, &x.sign_exp, 2);
    const long double a = v < 0 ? -v : v;
    if (m == "fyl2xp1") return a >= 0.29289321881345247559915563789515096L;
    if (m == "f2xm1") return a > 1.0L;
    return false;
}

struct Stats {
    u64 total = 0, exact = 0, near = 0, skipped = 0;
    std::string first_fail;
};

std::string hex80(Float80 f) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04x:%016llx", f.sign_exp, static_cast<unsigned long long>(f.mant));
    return buf;
}

std::string describe(const char* what, const Outcome& t, const Outcome& n, const Image& in,
                     const std::vector<u8>& code, const u8* data_in) {
    std::string s = what;
    char buf[200];
    s += " code=";
    for (u8 b : code) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        s += buf;
    }
    std::snprintf(buf, sizeof buf, " in: fcw=%04x fsw=%04x ftw=%04x mem=", in.w(0), in.w(4), in.w(8));
    s += buf;
    for (unsigned k = kDisp; k < kDisp + 10; ++k) {
        std::snprintf(buf, sizeof buf, "%02x", data_in[k]);
        s += buf;
    }
    s += " st0=" + hex80(in.reg(0)) + " st1=" + hex80(in.reg(1));
    std::snprintf(buf, sizeof buf, "\n  tx86: fsw=%04x fcw=%04x ftw=%04x fl=%03x st0=", t.fsw, t.fcw, t.ftw, t.eflags & 0x8D5);
    s += buf + hex80(t.st[0]) + " st1=" + hex80(t.st[1]);
    std::snprintf(buf, sizeof buf, "\n  host: fsw=%04x fcw=%04x ftw=%04x fl=%03x st0=", n.fsw, n.fcw, n.ftw, n.eflags & 0x8D5);
    s += buf + hex80(n.st[0]) + " st1=" + hex80(n.st[1]);
    return s;
}

/// The x87 rows compared against the host in the random loop (the image instructions have
/// their own tests; FWAIT has no x87 row).
bool random_row(InsnId) { return true; }

/// Bytes of the data buffer not compared: the FIP/FCS/FDP/FDS fields of a stored image
/// (the host runs at a 64-bit address in another code segment). FOP (bits 16..26 of the
/// FCS dword) is compared.
bool ignored_byte(InsnId id, unsigned k) {
    if (!is_row(id, {InsnId::FNSTENV_M, InsnId::FNSAVE_M}) || k < kDisp) return false;
    const unsigned o = k - kDisp;
    return (o >= 12 && o < 18) || (o >= 20 && o < 28);
}

std::vector<InsnId> x87_rows() {
    std::vector<InsnId> v;
    for (usize k = 0; k < cpu::kInsnCount; ++k) {
        const auto id = static_cast<InsnId>(k);
        const cpu::InsnInfo& info = cpu::insn_info(id);
        if ((info.attrs & cpu::kFpu) && info.map == cpu::OpMap::One && info.opcode >= 0xD8 &&
            info.opcode <= 0xDF) {
            v.push_back(id);
        }
    }
    return v;
}

/// Encodes one instance of a row: memory forms use [ebx+0x10] / [rbx+0x10].
std::vector<u8> encode(InsnId id, Gen& g) {
    const cpu::InsnInfo& info = cpu::insn_info(id);
    const unsigned reg = (info.ext >> 8) & 7;
    const unsigned mod = (info.ext >> 4) & 3;
    if (mod == 1) {
        return {info.opcode, static_cast<u8>(0x40 | (reg << 3) | 3), kDisp};
    }
    const unsigned rm = (info.ext & 0x4000) ? (info.ext & 7) : g.below(8);
    return {info.opcode, static_cast<u8>(0xC0 | (reg << 3) | rm)};
}

/// Random FPU state with no pending unmasked exception.
Image random_state(Gen& g, bool unmask) {
    Image img;
    std::memset(img.b, 0, sizeof img.b);
    const unsigned pcs[] = {0, 2, 3, 3, 1};
    u16 masks = 0x3F;
    if (unmask && g.chance(30)) {
        masks = static_cast<u16>(g.u64r() & 0x3F);
    }
    const u16 fcw = static_cast<u16>(0x40 | masks | (pcs[g.below(5)] << 8) | (g.below(4) << 10));
    const unsigned top = g.below(8);
    u16 fsw = static_cast<u16>((top << 11) | (g.u64r() & 0x4700));
    fsw = static_cast<u16>(fsw | (g.u64r() & masks & 0x3F & (g.chance(30) ? 0x3F : 0)));
    img.set_w(0, fcw);
    img.set_w(2, 0xFFFF);
    img.set_w(4, fsw);
    img.set_w(6, 0xFFFF);
    u16 tw = 0;
    const unsigned fill = g.below(10); // how full the stack is
    for (unsigned i = 0; i < 8; ++i) {
        const Float80 v = g.f80();
        img.set_reg(i, v);
        const bool is_empty = fill < 8 ? i >= fill : g.chance(10);
        const unsigned p = (top + i) & 7;
        tw = static_cast<u16>(tw | ((is_empty ? 3u : cpu::sf::tag(v)) << (2 * p)));
    }
    img.set_w(8, tw);
    img.set_w(10, 0xFFFF);
    return img;
}

void fill_operand(InsnId id, Gen& g, u8* data) {
    for (unsigned k = 0; k < kDataSize; ++k) {
        data[k] = static_cast<u8>(g.u64r());
    }
    const cpu::InsnInfo& info = cpu::insn_info(id);
    const std::string m = info.mnemonic;
    u8* p = data + kDisp;
    if (info.ops[0].method != cpu::OpMethod::M) return;
    switch (info.ops[0].size) {
    case cpu::OpSize::w:
        if (m == "fldcw") {
            u16 v = static_cast<u16>(g.u64r());
            if (g.chance(70)) v = static_cast<u16>(v | 0x3F); // mostly masked
            std::memcpy(p, &v, 2);
        } else {
            const u16 v = static_cast<u16>(g.integer(2));
            std::memcpy(p, &v, 2);
        }
        break;
    case cpu::OpSize::d:
        if (m[1] == 'i') {
            const u32 v = static_cast<u32>(g.integer(4));
            std::memcpy(p, &v, 4);
        } else {
            const u32 v = static_cast<u32>(g.ieee(4));
            std::memcpy(p, &v, 4);
        }
        break;
    case cpu::OpSize::q:
        if (m[1] == 'i') {
            const u64 v = g.integer(8);
            std::memcpy(p, &v, 8);
        } else {
            const u64 v = g.ieee(8);
            std::memcpy(p, &v, 8);
        }
        break;
    case cpu::OpSize::x:
        if (m == "fldenv" || m == "frstor") {
            Image img = random_state(g, true);
            // Pending unmasked exceptions are fine here: the stub's epilogue never waits.
            if (g.chance(30)) img.set_w(4, static_cast<u16>(img.w(4) | (g.u64r() & 0x3F)));
            for (unsigned k = 12; k < 28; ++k) img.b[k] = static_cast<u8>(g.u64r());
            std::memcpy(p, img.b, m == "fldenv" ? 28 : 108);
        }
        break;
    case cpu::OpSize::t:
        if (m == "fbld") {
            for (unsigned k = 0; k < 9; ++k) {
                p[k] = static_cast<u8>(g.below(10) | (g.below(10) << 4));
            }
            p[9] = g.chance(50) ? 0x80 : 0;
        } else {
            const Float80 v = g.f80();
            std::memcpy(p, &v.mant, 8);
            std::memcpy(p + 8, &v.sign_exp, 2);
        }
        break;
    default: break;
    }
}

} // namespace

TEST_CASE("x87 rows match the host x87", "[fpu]") {
    if (!kHostX87) {
        SUCCEED("not an x86-64 host");
        return;
    }
    HostRunner host;
    REQUIRE(host.ok());
    tests::CpuHarness h(1u << 20);
    // TX86_FPU_SEED / TX86_FPU_ITERS override the defaults for longer soak runs.
    const char* seed_env = std::getenv("TX86_FPU_SEED");
    const char* iters_env = std::getenv("TX86_FPU_ITERS");
    Gen g(seed_env ? std::strtoull(seed_env, nullptr, 0) : 0x5EED0087);
    std::map<std::string, Stats> stats;
    const int iters = iters_env ? std::atoi(iters_env) : 2500;
    for (InsnId id : x87_rows()) {
        if (!random_row(id)) continue;
        const cpu::InsnInfo& info = cpu::insn_info(id);
        Stats& st = stats[info.id_name];
        const bool trans = is_transcendental(info.mnemonic);
        for (int it = 0; it < iters; ++it) {
            const std::vector<u8> code = encode(id, g);
            Image in = random_state(g, true);
            if (undefined_operand(info.mnemonic, in)) {
                ++st.skipped;
                continue;
            }
            u8 data_in[kDataSize];
            fill_operand(id, g, data_in);
            const u64 flags_in = 0x2 | (g.u64r() & 0x8D5);

            HostIo io{};
            io.in = in;
            io.flags_in = flags_in;
            u8 hdata[kDataSize];
            std::memcpy(hdata, data_in, kDataSize);
            host.run(code, io, hdata);
            const Outcome n = from_host(io, hdata);

            h.flat32_at(kCode);
            std::vector<u8> prog = code;
            prog.push_back(0xF4);
            h.poke(kCode, prog);
            std::memcpy(h.ram + kData, data_in, kDataSize);
            h.cpu->s.gpr[cpu::kRbx] = kData;
            h.cpu->s.gpr[cpu::kRax] = 0;
            h.cpu->s.eflags = static_cast<u32>(flags_in);
            h.cpu->s.lazy.op = cpu::kFlagsNone;
            h.cpu->s.cr0 = (h.cpu->s.cr0 & ~u64{cpu::kCr0EM | cpu::kCr0TS}) | cpu::kCr0NE;
            load_state(h.cpu->s.fpu, in);
            const cpu::Status s = h.step();
            const Outcome t = from_tx86(h);

            ++st.total;
            const u16 ucc = undefined_cc(id, info.mnemonic);
            bool ok = s == cpu::Status::Ok && h.cpu->s.rip == kCode + code.size();
            ok = ok && t.fcw == n.fcw && (t.fsw & ~ucc) == (n.fsw & ~ucc) && t.ftw == n.ftw;
            for (unsigned k = 0; k < kDataSize; ++k) {
                ok = ok && (t.data[k] == n.data[k] || ignored_byte(id, k));
            }
            ok = ok && (t.eflags & 0x8D5) == (n.eflags & 0x8D5);
            if (info.ops[0].method == cpu::OpMethod::Fixed) ok = ok && t.ax == n.ax;
            bool regs = true, regs_near = true;
            for (unsigned i = 0; i < 8; ++i) {
                if (!(t.st[i] == n.st[i])) {
                    regs = false;
                    if (!within_ulp(t.st[i], n.st[i])) regs_near = false;
                }
            }
            if (ok && regs) {
                ++st.exact;
                ++st.near;
            } else if (trans && ok && regs_near) {
                ++st.near;
            } else if (trans && regs_near && s == cpu::Status::Ok &&
                       ((t.fsw ^ n.fsw) & ~ucc & ~kOneUlpStatus) == 0) {
                // C1 follows the 1-ulp rounding difference; so do PE and UE (and the ES and B
                // summary bits) where a host generation returns a tiny argument's sine or 1 for
                // its cosine unrounded in a directed rounding mode (a 2024 Xeon does).
                ++st.near;
            } else if (st.first_fail.empty()) {
                st.first_fail = describe(info.id_name, t, n, in, code, data_in);
            }
        }
    }
    u64 bad_exact = 0;
    std::string report = "per-row agreement with the host x87 (exact / within 1 ulp / total):\n";
    for (auto& [name, st] : stats) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "  %-18s %6llu %6llu %6llu\n", name.c_str(),
                      static_cast<unsigned long long>(st.exact), static_cast<unsigned long long>(st.near),
                      static_cast<unsigned long long>(st.total));
        report += buf;
        if (st.near != st.total) {
            ++bad_exact;
            report += "    first mismatch: " + st.first_fail + "\n";
        }
    }
    if (std::getenv("TX86_FPU_REPORT") || bad_exact) {
        WARN(report);
    }
    CHECK(bad_exact == 0);
}

namespace {

/// A CPU in flat 32-bit mode with `code` at kCode; returns the harness ready to step.
void setup(tests::CpuHarness& h, const std::vector<u8>& code) {
    h.flat32_at(kCode);
    h.poke(kCode, code);
    h.cpu->s.gpr[cpu::kRbx] = kData;
    h.cpu->s.cr0 &= ~u64{cpu::kCr0EM | cpu::kCr0TS | cpu::kCr0MP};
    h.cpu->s.cr0 |= cpu::kCr0NE;
}

u16 rd16(tests::CpuHarness& h, u32 a) { return static_cast<u16>(h.ram[a] | (h.ram[a + 1] << 8)); }
u32 rd32(tests::CpuHarness& h, u32 a) { return rd16(h, a) | (u32{rd16(h, a + 2)} << 16); }

class FerrEnv final : public cpu::CpuEnv {
public:
    int asserts = 0, deasserts = 0;
    u32 port_in(u16, unsigned) override { return ~0u; }
    void port_out(u16, unsigned, u32) override {}
    u8 acknowledge_interrupt() override { return 0x20; }
    u64 tsc() override { return 0; }
    void shutdown(cpu::ShutdownKind) override {}
    void fpu_error(bool a) override { (a ? asserts : deasserts)++; }
};

} // namespace

/// Executes one instruction without exception delivery: returns the handler's Status
/// (cpu.fault holds the vector when it is Fault) and advances RIP on success.
cpu::Status exec(tests::CpuHarness& h, const std::vector<u8>& bytes) {
    cpu::DecodedInsn insn;
    REQUIRE(cpu::decode(bytes.data(), static_cast<unsigned>(bytes.size()), cpu::CodeMode::Bits32, insn) ==
            cpu::DecodeError::None);
    h.cpu->next_rip = h.cpu->s.rip + insn.length;
    const cpu::Status st = cpu::interp::handler_table().h[static_cast<usize>(insn.id)](*h.cpu, insn);
    if (st == cpu::Status::Ok) h.cpu->s.rip = h.cpu->next_rip;
    return st;
}

TEST_CASE("x87 pointers, #NM and #MF", "[fpu]") {
    tests::CpuHarness h(1u << 20);
    setup(h, {});
    const std::vector<u8> fninit{0xDB, 0xE3}, fld1{0xD9, 0xE8}, fldz{0xD9, 0xEE},
        fdivp{0xDE, 0xF9}, fwait{0x9B}, fnclex{0xDB, 0xE2}, fnstsw_ax{0xDF, 0xE0},
        fldcw{0xD9, 0x6B, 0x10}, fnstcw{0xD9, 0x7B, 0x20};
    REQUIRE(exec(h, fninit) == cpu::Status::Ok);

    SECTION("last-instruction pointers follow non-control instructions") {
        h.cpu->s.rip = kCode;
        REQUIRE(exec(h, {0x3E, 0xD9, 0x43, 0x10}) == cpu::Status::Ok); // ds: fld dword [ebx+0x10]
        REQUIRE(exec(h, fnstcw) == cpu::Status::Ok);                 // control: no update
        const cpu::FpuState& f = h.cpu->s.fpu;
        CHECK(f.fip == kCode);
        CHECK(f.fcs == 0x08);
        CHECK(f.fop == 0x143); // (D9 & 7) << 8 | modrm
        CHECK(f.fdp == kData + 0x10);
        CHECK(f.fds == 0x10);
    }
    SECTION("#NM: CR0.EM or CR0.TS for x87, MP+TS for FWAIT") {
        h.cpu->s.cr0 |= cpu::kCr0TS;
        CHECK(exec(h, fld1) == cpu::Status::Fault);
        CHECK(h.cpu->fault.vector == cpu::kVecNM);
        CHECK(exec(h, fnclex) == cpu::Status::Fault); // no-wait forms too
        CHECK(exec(h, fwait) == cpu::Status::Ok);     // TS without MP
        h.cpu->s.cr0 |= cpu::kCr0MP;
        CHECK(exec(h, fwait) == cpu::Status::Fault);
        CHECK(h.cpu->fault.vector == cpu::kVecNM);
        h.cpu->s.cr0 &= ~u64{cpu::kCr0TS | cpu::kCr0MP};
        h.cpu->s.cr0 |= cpu::kCr0EM;
        CHECK(exec(h, fld1) == cpu::Status::Fault);
        CHECK(h.cpu->fault.vector == cpu::kVecNM);
        CHECK(exec(h, fwait) == cpu::Status::Ok); // EM does not affect WAIT
    }
    SECTION("#MF at the next waiting instruction, not at no-wait ones") {
        h.ram[kData + 0x10] = 0x7B; // FCW 0x037B: ZE unmasked
        h.ram[kData + 0x11] = 0x03;
        REQUIRE(exec(h, fldcw) == cpu::Status::Ok);
        REQUIRE(exec(h, fld1) == cpu::Status::Ok);
        REQUIRE(exec(h, fldz) == cpu::Status::Ok);
        REQUIRE(exec(h, fdivp) == cpu::Status::Ok); // 1/0: ZE + ES, ST(1) unchanged, no pop
        const cpu::FpuState& f = h.cpu->s.fpu;
        CHECK((f.fsw & 0x80FF) == 0x8084);
        CHECK(((f.fsw >> 11) & 7) == 6);
        CHECK(exec(h, fnstsw_ax) == cpu::Status::Ok);
        CHECK(exec(h, fnstcw) == cpu::Status::Ok);
        CHECK(exec(h, fwait) == cpu::Status::Fault);
        CHECK(h.cpu->fault.vector == cpu::kVecMF);
        CHECK(exec(h, fld1) == cpu::Status::Fault);
        CHECK(h.cpu->fault.vector == cpu::kVecMF);
        CHECK(exec(h, fnclex) == cpu::Status::Ok);
        CHECK(exec(h, fwait) == cpu::Status::Ok);
    }
    SECTION("unmasking a pending exception with FLDCW arms #MF") {
        REQUIRE(exec(h, fld1) == cpu::Status::Ok);
        REQUIRE(exec(h, fldz) == cpu::Status::Ok);
        REQUIRE(exec(h, fdivp) == cpu::Status::Ok); // masked: ZE only
        CHECK((h.cpu->s.fpu.fsw & 0x80FF) == 0x0004);
        h.ram[kData + 0x10] = 0x7B;
        h.ram[kData + 0x11] = 0x03;
        REQUIRE(exec(h, fldcw) == cpu::Status::Ok);
        CHECK((h.cpu->s.fpu.fsw & 0x8080) == 0x8080);
        CHECK(exec(h, fwait) == cpu::Status::Fault);
        CHECK(h.cpu->fault.vector == cpu::kVecMF);
    }
}

TEST_CASE("x87 FERR# with CR0.NE=0", "[fpu]") {
    mmu::PhysMap phys;
    u8* ram = phys.add_ram(0, 1u << 20, "ram");
    FerrEnv env;
    cpu::Cpu c(phys, env);
    cpu::interp::Interpreter interp;
    c.set_engine(&interp);
    c.reset();
    c.s.cr0 = (c.s.cr0 | cpu::kCr0PE) & ~u64{cpu::kCr0NE | cpu::kCr0EM | cpu::kCr0TS};
    for (int i = 0; i < 6; ++i) c.s.seg[i] = cpu::Segment{0x10, 0xC093, 0xFFFFFFFF, 0};
    c.s.seg[cpu::kCs] = cpu::Segment{0x08, 0xC09B, 0xFFFFFFFF, 0};
    c.tlb_flush_all();
    // fninit; fldcw [0x2000] (037B); fld1; fldz; fdivp; fwait; fnclex; hlt
    const u8 code[] = {0xDB, 0xE3, 0xD9, 0x2D, 0x00, 0x20, 0x00, 0x00, 0xD9, 0xE8, 0xD9, 0xEE,
                       0xDE, 0xF9, 0x9B, 0xDB, 0xE2, 0xF4};
    std::memcpy(ram + 0x1000, code, sizeof code);
    ram[0x2000] = 0x7B;
    ram[0x2001] = 0x03;
    c.s.rip = 0x1000;
    for (int i = 0; i < 7; ++i) REQUIRE(cpu::interp::step(c) == cpu::Status::Ok);
    CHECK(env.asserts == 1);   // at the FWAIT, which then completes
    CHECK(env.deasserts == 1); // FNCLEX
    CHECK(c.s.rip == 0x1011);
}

TEST_CASE("x87 16-bit and real-mode environment layouts", "[fpu]") {
    tests::CpuHarness h(1u << 20);
    setup(h, {});
    cpu::FpuState& f = h.cpu->s.fpu;
    auto prime = [&] {
        f = cpu::FpuState{};
        f.fcw = 0x027F;
        f.fsw = 0x3800 | 0x4100; // TOP 7, C3 C0
        f.ftw = 0x3FFF;          // R7 valid, others empty
        f.st[7] = cpu::sf::kPosOne;
        f.fip = 0x00012345;
        f.fcs = 0x1234;
        f.fop = 0x5AB;
        f.fdp = 0x00045678;
        f.fds = 0x2345;
    };
    SECTION("16-bit protected mode: 7 words (SDM figure 8-10)") {
        prime();
        REQUIRE(exec(h, {0x66, 0xD9, 0x73, 0x10}) == cpu::Status::Ok); // o16 fnstenv [ebx+0x10]
        const u32 a = kData + 0x10;
        CHECK(rd16(h, a) == 0x027F);
        CHECK(rd16(h, a + 2) == 0x7900);
        CHECK(rd16(h, a + 4) == 0x3FFF);
        CHECK(rd16(h, a + 6) == 0x2345);
        CHECK(rd16(h, a + 8) == 0x1234);
        CHECK(rd16(h, a + 10) == 0x5678);
        CHECK(rd16(h, a + 12) == 0x2345);
        CHECK(f.fcw == 0x027F); // FNSTENV masks all exceptions
        prime();
        f.fcw = 0x0200;
        REQUIRE(exec(h, {0x66, 0xDD, 0x73, 0x10}) == cpu::Status::Ok); // o16 fnsave
        CHECK(rd16(h, a) == 0x0200);
        CHECK(rd32(h, a + 14 + 70) == 0); // ST(7) = R6 (empty, zero)
        CHECK(h.ram[a + 14 + 7] == 0x80); // ST(0) = R7 = 1.0
        CHECK(rd16(h, a + 14 + 8) == 0x3FFF);
        CHECK(f.fcw == 0x037F);
        CHECK(f.ftw == 0xFFFF);
        REQUIRE(exec(h, {0x66, 0xDD, 0x63, 0x10}) == cpu::Status::Ok); // o16 frstor
        CHECK(f.fcw == 0x0200);
        CHECK(f.fsw == 0x7900);
        CHECK(f.ftw == 0x3FFF);
        CHECK(f.st[7] == cpu::sf::kPosOne);
        CHECK(f.fip == 0x2345);
        CHECK(f.fcs == 0x1234);
        CHECK(f.fdp == 0x5678);
    }
    SECTION("real mode: 16-bit (figure 8-11) and 32-bit (figure 8-9) with linear pointers") {
        h.cpu->s.cr0 &= ~u64{cpu::kCr0PE};
        prime();
        // Linear FIP = 0x1234 * 16 + 0x12345 = 0x24685, FDP = 0x2345 * 16 + 0x45678 = 0x68AC8.
        REQUIRE(exec(h, {0x66, 0xD9, 0x73, 0x10}) == cpu::Status::Ok); // o16 fnstenv
        const u32 a = kData + 0x10;
        CHECK(rd16(h, a + 6) == 0x4685);
        CHECK(rd16(h, a + 8) == ((0x2 << 12) | 0x5AB));
        CHECK(rd16(h, a + 10) == 0x8AC8);
        CHECK(rd16(h, a + 12) == (0x6 << 12));
        prime();
        REQUIRE(exec(h, {0xD9, 0x73, 0x10}) == cpu::Status::Ok); // o32 fnstenv
        CHECK(rd32(h, a + 12) == (0xFFFF0000u | 0x4685));
        CHECK(rd32(h, a + 16) == ((0x0002u << 12) | 0x5AB));
        CHECK(rd32(h, a + 20) == (0xFFFF0000u | 0x8AC8));
        CHECK(rd32(h, a + 24) == (0x0006u << 12));
        REQUIRE(exec(h, {0xD9, 0x63, 0x10}) == cpu::Status::Ok); // o32 fldenv
        CHECK(f.fip == 0x24685);
        CHECK(f.fop == 0x5AB);
        CHECK(f.fdp == 0x68AC8);
        CHECK(f.fcw == 0x027F);
    }
}
