// SPDX-License-Identifier: MIT
// The host CPU as the oracle for unprivileged 32-bit instructions. For every row of the
// instruction table the generator can judge (tests/oracle/generator.h), seeded random cases run
// natively (tests/oracle/native_runner.c, a separate process over pipes) and in tx86 (CpuHarness
// in flat 32-bit protected mode, the same memory window at the same address), and every GPR,
// EIP, the defined EFLAGS bits, the memory window and the x87/SSE image are compared.
//
// Environment: TX86_ORACLE_CASES=N cases per form (default 200), TX86_ORACLE_SEED=S,
// TX86_ORACLE_FORMS=substring filter on row ids, TX86_ORACLE_REPORT=1 per-form table,
// TX86_ORACLE_RUNNER / TX86_ORACLE_KNOWN paths (set by tests/meson.build).
// Forms listed in known_failures.txt may fail; a listed form that passes is reported.
#include "cpu/decoder/decoder.h"
#include "cpu/flags.h"
#include "cpu/interp/handlers.h"
#include "tests/harness/cpu_harness.h"
#include "tests/oracle/generator.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using cpu::InsnId;

constexpr u32 kCodeAddr = 0x00100000;
constexpr unsigned kFxCompareBytes = 288; // FCW..XMM7 of the 32-bit FXSAVE layout

std::string env_str(const char* name, const std::string& dflt) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : dflt;
}

// ---- the native runner process ----

class Runner {
public:
    bool start(const std::string& path) {
        int to_child[2], from_child[2];
        if (pipe(to_child) != 0 || pipe(from_child) != 0) {
            return false;
        }
        m_pid = fork();
        if (m_pid == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            close(to_child[0]);
            close(to_child[1]);
            close(from_child[0]);
            close(from_child[1]);
            execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        m_out = to_child[1];
        m_in = from_child[0];
        return read_exact(&hello, sizeof hello) && hello.magic == ORACLE_MAGIC_HELLO;
    }
    ~Runner() {
        if (m_out >= 0) {
            close(m_out);
        }
        if (m_in >= 0) {
            close(m_in);
        }
        if (m_pid > 0) {
            int st;
            waitpid(m_pid, &st, 0);
        }
    }
    bool run(const oracle_case& c, oracle_result& r) {
        return write_exact(&c, sizeof c) && read_exact(&r, sizeof r) && r.magic == ORACLE_MAGIC_RESULT;
    }
    oracle_hello hello{};

private:
    bool read_exact(void* p, size_t n) {
        auto* b = static_cast<u8*>(p);
        while (n) {
            const ssize_t k = read(m_in, b, n);
            if (k <= 0) {
                return false;
            }
            b += k;
            n -= static_cast<size_t>(k);
        }
        return true;
    }
    bool write_exact(const void* p, size_t n) {
        const auto* b = static_cast<const u8*>(p);
        while (n) {
            const ssize_t k = write(m_out, b, n);
            if (k <= 0) {
                return false;
            }
            b += k;
            n -= static_cast<size_t>(k);
        }
        return true;
    }
    pid_t m_pid = -1;
    int m_out = -1, m_in = -1;
};

// ---- FXSAVE image <-> tx86 state (32-bit layout) ----

u16 full_tag(const cpu::Float80& v) {
    const unsigned exp = v.sign_exp & 0x7FFF;
    if (exp == 0 && v.mant == 0) {
        return 1; // zero
    }
    if (exp == 0x7FFF || exp == 0 || !(v.mant >> 63)) {
        return 2; // special
    }
    return 0;
}

void fx_to_state(const u8* fx, cpu::CpuState& s) {
    std::memcpy(&s.fpu.fcw, fx + 0, 2);
    std::memcpy(&s.fpu.fsw, fx + 2, 2);
    const unsigned top = (s.fpu.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) {
        cpu::Float80& v = s.fpu.st[(top + i) & 7];
        std::memcpy(&v.mant, fx + 32 + 16 * i, 8);
        std::memcpy(&v.sign_exp, fx + 40 + 16 * i, 2);
    }
    u16 ftw = 0;
    for (unsigned p = 0; p < 8; ++p) {
        const u16 t = (fx[4] >> p) & 1 ? full_tag(s.fpu.st[p]) : 3;
        ftw = static_cast<u16>(ftw | (t << (2 * p)));
    }
    s.fpu.ftw = ftw;
    std::memcpy(&s.fpu.fop, fx + 6, 2);
    std::memcpy(&s.fpu.fip, fx + 8, 4);
    std::memcpy(&s.fpu.fcs, fx + 12, 2);
    std::memcpy(&s.fpu.fdp, fx + 16, 4);
    std::memcpy(&s.fpu.fds, fx + 20, 2);
    std::memcpy(&s.sse.mxcsr, fx + 24, 4);
    for (unsigned i = 0; i < 8; ++i) {
        std::memcpy(&s.sse.xmm[i].lo, fx + 160 + 16 * i, 8);
        std::memcpy(&s.sse.xmm[i].hi, fx + 168 + 16 * i, 8);
    }
}

void state_to_fx(const cpu::CpuState& s, u8* fx) {
    std::memset(fx, 0, 512);
    std::memcpy(fx + 0, &s.fpu.fcw, 2);
    std::memcpy(fx + 2, &s.fpu.fsw, 2);
    u8 abr = 0;
    for (unsigned p = 0; p < 8; ++p) {
        if (((s.fpu.ftw >> (2 * p)) & 3) != 3) {
            abr = static_cast<u8>(abr | (1u << p));
        }
    }
    fx[4] = abr;
    const unsigned top = (s.fpu.fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; ++i) {
        const cpu::Float80& v = s.fpu.st[(top + i) & 7];
        std::memcpy(fx + 32 + 16 * i, &v.mant, 8);
        std::memcpy(fx + 40 + 16 * i, &v.sign_exp, 2);
    }
    std::memcpy(fx + 24, &s.sse.mxcsr, 4);
    for (unsigned i = 0; i < 8; ++i) {
        std::memcpy(fx + 160 + 16 * i, &s.sse.xmm[i].lo, 8);
        std::memcpy(fx + 168 + 16 * i, &s.sse.xmm[i].hi, 8);
    }
}

/// Bytes of the FXSAVE image that are compared: FCW, FSW, abridged FTW, MXCSR, ST0..7, XMM0..7.
/// FOP/FIP/FDP are skipped: AMD saves them only while an exception is pending.
bool fx_byte_compared(unsigned i) {
    if (i < 5 || (i >= 24 && i < 28)) {
        return true;
    }
    if (i >= 32 && i < 160) {
        return (i - 32) % 16 < 10;
    }
    return i >= 160 && i < kFxCompareBytes;
}

// ---- tx86 side ----

struct TxResult {
    bool faulted = false;
    u8 vector = 0;
    u32 gpr[8] = {};
    u32 eip = 0;
    u32 eflags = 0;
    alignas(16) u8 fx[512] = {};
};

class Tx86 {
public:
    explicit Tx86(const oracle_hello& hello) : m_hello(hello) {}

    void setup(const oracle::Case& c) {
        tests::CpuHarness& h = m_h;
        h.flat32_at(kCodeAddr);
        cpu::CpuState& s = h.cpu->s;
        // The native selectors, so MOV r/m, Sreg and PUSH FS/GS agree; bases stay flat.
        for (int i = 0; i < 6; ++i) {
            s.seg[i].selector = m_hello.sel[i];
        }
        s.cr0 = (s.cr0 | cpu::kCr0MP | cpu::kCr0NE) & ~(cpu::kCr0EM | cpu::kCr0TS);
        s.cr4 |= cpu::kCr4OSFXSR | cpu::kCr4OSXMMEXCPT;
        for (unsigned i = 0; i < 8; ++i) {
            s.gpr[i] = c.gpr[i];
        }
        s.eflags = (c.eflags & (cpu::kArithFlags | cpu::kDF)) | cpu::kIF | cpu::kFixed1;
        s.lazy.op = cpu::kFlagsNone;
        if (c.fx) {
            fx_to_state(c.fx_image, s);
        }
        u8* w = h.ram + ORACLE_WINDOW_BASE;
        oracle_fill_window(w, c.window_seed);
        std::memcpy(w + c.patch_off, c.patch, c.patch_len);
        std::memcpy(m_before, w, ORACLE_WINDOW_SIZE);
        std::memset(h.ram + kCodeAddr, 0xCC, 64);
        std::memcpy(h.ram + kCodeAddr, c.code32, c.len32);
        h.code_changed(kCodeAddr, 64);
        h.env.shut_down = false;
    }

    TxResult run(const oracle::Case& c) {
        TxResult t;
        setup(c);
        cpu::Cpu& cpu = *m_h.cpu;
        const u64 before = cpu.icount;
        (void)m_h.step();
        if (cpu.icount == before + 1) {
            for (unsigned i = 0; i < 8; ++i) {
                t.gpr[i] = static_cast<u32>(cpu.s.gpr[i]);
            }
            t.eip = static_cast<u32>(cpu.s.rip);
            t.eflags = cpu::read_eflags(cpu.s);
            if (c.fx) {
                state_to_fx(cpu.s, t.fx);
            }
            return t;
        }
        // It did not retire. Exception delivery in protected mode may not exist yet, so find the
        // vector by running the decoder and the row's handler directly on a fresh copy.
        t.faulted = true;
        setup(c);
        cpu::DecodedInsn insn;
        const cpu::DecodeError err = cpu::decode(m_h.ram + kCodeAddr, 15, cpu::CodeMode::Bits32, insn);
        if (err != cpu::DecodeError::None) {
            t.vector = err == cpu::DecodeError::TooLong ? cpu::kVecGP : cpu::kVecUD;
            return t;
        }
        cpu.next_rip = cpu.s.rip + insn.length;
        const cpu::Status st = cpu::interp::handler_table().h[static_cast<usize>(insn.id)](cpu, insn);
        t.vector = st == cpu::Status::Fault ? cpu.fault.vector : 0xFF;
        return t;
    }

    const u8* window() const { return m_h.ram + ORACLE_WINDOW_BASE; }
    const u8* before() const { return m_before; }

private:
    tests::CpuHarness m_h;
    oracle_hello m_hello;
    u8 m_before[ORACLE_WINDOW_SIZE];
};

// ---- comparison ----

const char* kRegNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

/// FCW, FSW, abridged tags and ST0..ST2 of an FXSAVE image, for messages.
std::string fx_summary(const u8* fx) {
    char buf[200];
    u16 fcw, fsw;
    std::memcpy(&fcw, fx, 2);
    std::memcpy(&fsw, fx + 2, 2);
    std::string s;
    std::snprintf(buf, sizeof buf, " fcw=%04x fsw=%04x tags=%02x", fcw, fsw, fx[4]);
    s += buf;
    for (unsigned i = 0; i < 3; ++i) {
        u64 m;
        u16 se;
        std::memcpy(&m, fx + 32 + 16 * i, 8);
        std::memcpy(&se, fx + 40 + 16 * i, 2);
        std::snprintf(buf, sizeof buf, " st%u=%04x:%016llx", i, se, static_cast<unsigned long long>(m));
        s += buf;
    }
    return s;
}

std::string describe_inputs(const oracle::Case& c) {
    std::ostringstream o;
    char buf[160];
    std::snprintf(buf, sizeof buf, "  bytes %s (native: %s)\n", oracle::hex_bytes(c.code32, c.len32).c_str(),
                  oracle::hex_bytes(c.code64, c.len64).c_str());
    o << buf;
    o << "  in:";
    for (unsigned i = 0; i < 8; ++i) {
        std::snprintf(buf, sizeof buf, " %s=%08x", kRegNames[i], c.gpr[i]);
        o << buf;
    }
    std::snprintf(buf, sizeof buf, " efl=%08x seed=%08x", c.eflags, c.window_seed);
    o << buf;
    if (c.patch_len) {
        std::snprintf(buf, sizeof buf, " mem[%08x]=%s", ORACLE_WINDOW_BASE + c.patch_off,
                      oracle::hex_bytes(c.patch, c.patch_len > 8 ? 8 : c.patch_len).c_str());
        o << buf;
    }
    o << "\n";
    if (c.fx) {
        o << "  x87 in:" << fx_summary(c.fx_image) << "\n";
    }
    return o.str();
}

/// Returns an empty string when tx86 agrees with the host, else what differs.
std::string compare(const oracle::Case& c, const oracle_result& n, const TxResult& t, const Tx86& tx,
                    bool& tx_ud_only) {
    std::ostringstream o;
    char buf[200];
    tx_ud_only = false;
    if (n.signo || t.faulted) {
        if (n.signo && t.faulted && n.trapno == t.vector) {
            return {};
        }
        if (!n.signo && t.faulted && t.vector == cpu::kVecUD) {
            tx_ud_only = true;
        }
        std::snprintf(buf, sizeof buf, "  native: %s (trap %u, signal %u); tx86: %s (vector %u)\n",
                      n.signo ? "fault" : "retired", n.trapno, n.signo, t.faulted ? "fault" : "retired",
                      t.vector);
        o << buf;
        return o.str();
    }
    for (unsigned i = 0; i < 8; ++i) {
        if ((n.gpr[i] ^ t.gpr[i]) & c.gpr_cmp[i]) {
            std::snprintf(buf, sizeof buf, "  %s: native %08x tx86 %08x\n", kRegNames[i], n.gpr[i], t.gpr[i]);
            o << buf;
        }
    }
    if (t.eip != kCodeAddr + c.len32) {
        std::snprintf(buf, sizeof buf, "  eip: expected %08x tx86 %08x\n", kCodeAddr + c.len32, t.eip);
        o << buf;
    }
    if ((n.eflags ^ t.eflags) & c.flags_cmp) {
        std::snprintf(buf, sizeof buf, "  eflags: native %08x tx86 %08x (compared %08x, differ %08x)\n",
                      n.eflags, t.eflags, c.flags_cmp, (n.eflags ^ t.eflags) & c.flags_cmp);
        o << buf;
    }
    // Memory: rebuild the native window from its diff list.
    static u8 native_w[ORACLE_WINDOW_SIZE];
    std::memcpy(native_w, tx.before(), ORACLE_WINDOW_SIZE);
    for (u32 i = 0; i < n.ndiff && i < ORACLE_MAX_DIFFS; ++i) {
        native_w[n.diff_off[i]] = n.diff_val[i];
    }
    if (n.ndiff > ORACLE_MAX_DIFFS) {
        o << "  native changed more window bytes than the protocol carries\n";
    }
    unsigned shown = 0;
    for (u32 i = 0; i < ORACLE_WINDOW_SIZE; ++i) {
        if (c.skipped(i)) {
            continue;
        }
        if (native_w[i] != tx.window()[i] && shown++ < 8) {
            std::snprintf(buf, sizeof buf, "  mem[%08x]: native %02x tx86 %02x (was %02x)\n",
                          ORACLE_WINDOW_BASE + i, native_w[i], tx.window()[i], tx.before()[i]);
            o << buf;
        }
    }
    if (c.fx) {
        for (unsigned i = 0; i < kFxCompareBytes; ++i) {
            if (fx_byte_compared(i) && n.fx[i] != t.fx[i]) {
                std::snprintf(buf, sizeof buf, "  fxsave image differs from byte %u (native %02x tx86 %02x)\n",
                              i, n.fx[i], t.fx[i]);
                o << buf << "  x87 native:" << fx_summary(n.fx) << "\n  x87 tx86:  " << fx_summary(t.fx) << "\n";
                break;
            }
        }
    }
    return o.str();
}

struct FormStats {
    InsnId id;
    unsigned cases = 0, pass = 0, fail = 0, native_faults = 0;
    bool all_tx_ud = true;
    std::string first_failure;
};

struct Known {
    std::map<std::string, std::string> forms;    // id -> reason
    std::map<std::string, std::string> families; // family -> reason
    std::map<std::string, std::string> skip;     // "!id": not run at all (crashes tx86)
};

Known load_known(const std::string& path) {
    Known k;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto hash = line.find('#');
        if (hash == 0) {
            continue;
        }
        std::istringstream ls(line);
        std::string name;
        if (!(ls >> name)) {
            continue;
        }
        std::string reason;
        std::getline(ls, reason);
        if (name[0] == '!') {
            k.skip[name.substr(1)] = reason;
            k.forms[name.substr(1)] = reason;
        } else if (name.rfind("family:", 0) == 0) {
            k.families[name.substr(7)] = reason;
        } else {
            k.forms[name] = reason;
        }
    }
    return k;
}

std::string default_path(const char* rel) {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(rel) : (exe.parent_path() / rel).string();
}

} // namespace

TEST_CASE("host CPU oracle: unprivileged 32-bit instructions", "[oracle][.]") {
    const std::string runner_path = env_str("TX86_ORACLE_RUNNER", default_path("oracle/tx86_oracle_runner"));
    const std::string known_path = env_str("TX86_ORACLE_KNOWN", (std::filesystem::path(__FILE__).parent_path() /
                                                                 "known_failures.txt").string());
    const unsigned ncases = static_cast<unsigned>(std::stoul(env_str("TX86_ORACLE_CASES", "200")));
    const u64 seed = std::stoull(env_str("TX86_ORACLE_SEED", "20240601"), nullptr, 0);
    const std::string filter = env_str("TX86_ORACLE_FORMS", "");
    const bool report = env_str("TX86_ORACLE_REPORT", "0") == "1";
    const bool trace = env_str("TX86_ORACLE_TRACE", "0") == "1"; // form names, to find a crash

    std::signal(SIGPIPE, SIG_IGN);
    Runner runner;
    REQUIRE(runner.start(runner_path));
    Tx86 tx(runner.hello);
    const Known known = load_known(known_path);

    std::vector<FormStats> stats;
    std::map<std::string, std::vector<std::string>> skipped; // reason -> ids
    static oracle::Case c;
    static oracle_case wire;
    static oracle_result res;
    for (usize i = 0; i < cpu::kInsnCount; ++i) {
        const InsnId id = static_cast<InsnId>(i);
        const cpu::InsnInfo& info = cpu::insn_info(id);
        if (!filter.empty() && std::string(info.id_name).find(filter) == std::string::npos) {
            continue;
        }
        const oracle::FormClass fc = oracle::classify(id);
        if (fc.verdict != oracle::Verdict::Test) {
            skipped[std::string(fc.verdict == oracle::Verdict::NoOracle ? "no oracle: " : "excluded: ") +
                    fc.why]
                .push_back(info.id_name);
            continue;
        }
        if (known.skip.count(info.id_name)) {
            skipped["not run (known_failures.txt '!' entry)"].push_back(info.id_name);
            continue;
        }
        FormStats fs{id};
        if (trace) {
            std::fprintf(stderr, "oracle: %s\n", info.id_name);
        }
        for (unsigned k = 0; k < ncases; ++k) {
            oracle::make_case(id, seed, k, c);
            std::memset(&wire, 0, sizeof wire);
            wire.magic = ORACLE_MAGIC_CASE;
            wire.flags = c.fx ? ORACLE_FLAG_FX : 0;
            wire.window_seed = c.window_seed;
            wire.code_len = c.len64;
            std::memcpy(wire.code, c.code64, c.len64);
            wire.patch_off = c.patch_off;
            wire.patch_len = c.patch_len;
            std::memcpy(wire.patch, c.patch, c.patch_len);
            std::memcpy(wire.gpr, c.gpr, sizeof c.gpr);
            wire.eflags = c.eflags;
            std::memcpy(wire.fx, c.fx_image, 512);
            REQUIRE(runner.run(wire, res));
            const TxResult t = tx.run(c);
            bool ud_only = false;
            const std::string diff = compare(c, res, t, tx, ud_only);
            ++fs.cases;
            fs.native_faults += res.signo ? 1 : 0;
            if (diff.empty()) {
                ++fs.pass;
                fs.all_tx_ud = false;
            } else {
                ++fs.fail;
                fs.all_tx_ud = fs.all_tx_ud && ud_only;
                if (fs.first_failure.empty()) {
                    fs.first_failure = describe_inputs(c) + diff;
                    char buf[120];
                    std::snprintf(buf, sizeof buf, "  reproduce: TX86_ORACLE_FORMS=%s TX86_ORACLE_SEED=%llu (case %u)\n",
                                  info.id_name, static_cast<unsigned long long>(seed), k);
                    fs.first_failure += buf;
                }
            }
        }
        stats.push_back(fs);
    }

    // Per-family and per-form tables.
    struct Fam {
        unsigned forms = 0, pass = 0, fail = 0, unimpl = 0;
    };
    std::map<std::string, Fam> fam;
    std::vector<std::string> unexpected, now_pass;
    for (const FormStats& fs : stats) {
        const std::string name = cpu::insn_info(fs.id).id_name;
        const std::string family = oracle::family_of(fs.id);
        Fam& f = fam[family];
        ++f.forms;
        const bool listed = known.forms.count(name) || known.families.count(family);
        if (fs.fail == 0) {
            ++f.pass;
            if (known.forms.count(name)) {
                now_pass.push_back(name);
            }
        } else {
            ++f.fail;
            if (fs.all_tx_ud) {
                ++f.unimpl;
            }
            if (!listed) {
                unexpected.push_back(name);
            }
        }
    }
    std::printf("oracle: seed %llu, %u cases per form, %zu forms compared\n",
                static_cast<unsigned long long>(seed), ncases, stats.size());
    std::printf("  %-8s %6s %6s %6s %14s\n", "family", "forms", "pass", "fail", "(unimplemented)");
    for (const auto& [name, f] : fam) {
        std::printf("  %-8s %6u %6u %6u %14u\n", name.c_str(), f.forms, f.pass, f.fail, f.unimpl);
    }
    if (report) {
        std::printf("\n  %-22s %-7s %6s %6s %6s %s\n", "form", "family", "cases", "pass", "fail", "note");
        for (const FormStats& fs : stats) {
            const std::string name = cpu::insn_info(fs.id).id_name;
            std::printf("  %-22s %-7s %6u %6u %6u %s\n", name.c_str(), oracle::family_of(fs.id), fs.cases,
                        fs.pass, fs.fail,
                        fs.fail == 0 ? "" : (fs.all_tx_ud ? "tx86 #UD (no handler)" : "MISMATCH"));
        }
        for (const auto& [why, ids] : skipped) {
            std::printf("\n  %s (%zu):", why.c_str(), ids.size());
            for (const std::string& s : ids) {
                std::printf(" %s", s.c_str());
            }
            std::printf("\n");
        }
        std::printf("\nfirst failure of each failing form:\n");
        for (const FormStats& fs : stats) {
            if (fs.fail && !fs.all_tx_ud) {
                std::printf("%s:\n%s", cpu::insn_info(fs.id).id_name, fs.first_failure.c_str());
            }
        }
    }
    for (const std::string& s : now_pass) {
        std::printf("oracle: %s passes now; remove it from known_failures.txt\n", s.c_str());
    }
    for (const std::string& s : unexpected) {
        for (const FormStats& fs : stats) {
            if (s == cpu::insn_info(fs.id).id_name) {
                UNSCOPED_INFO(s << " (" << fs.fail << "/" << fs.cases << " cases differ):\n" << fs.first_failure);
            }
        }
    }
    CHECK(unexpected.empty());
}
