// SPDX-License-Identifier: MIT
// SingleStepTests runner: replays the hardware-captured 80286 real-mode vectors (the main
// oracle) and the 8086 vectors (a second opinion) from /work/shared/testdata through the
// interpreter and compares every register, FLAGS (undefined bits masked per metadata.json)
// and memory byte. It is not a cycle or bus-trace checker.
//
// CI runs the first kCiPerFile tests of every file; TX86_SST_FULL=1 (or -Dfull_vectors=true)
// runs them all. Files whose instructions are not implemented yet are listed with a reason in
// tests/vectors/known_failures.txt: they are run and reported but do not fail the test, and a
// listed file that passes completely is reported so the list can shrink.
// Environment: TX86_SST_REPORT=1 prints a per-file table, TX86_SST_REPORT_FILE=path writes it,
// TX86_SST_FILTER=substr runs only matching files, TX86_SST_LIMIT=n sets the tests per file,
// TX86_SST_VERBOSE=1 prints every failing test.
#include "cpu/decoder/decoder.h"
#include "cpu/flags.h"
#include "tests/harness/cpu_harness.h"
#include "tests/vectors/json_lite.h"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef TX86_TESTDATA
#error "TX86_TESTDATA must point at shared/testdata (tests/meson.build sets it)"
#endif

namespace {

namespace fs = std::filesystem;
using json_lite::Value;

constexpr int kCiPerFile = 20;
constexpr int kStepCap = 64; // instructions per 286 test before we call it a runaway

enum class Suite { I286, I8086 };

struct SuiteInfo {
    Suite suite;
    const char* key;    ///< name used in known_failures.txt and the report
    const char* folder; ///< under TX86_TESTDATA
};

constexpr SuiteInfo kSuites[] = {
    {Suite::I286, "286", "sst-80286-real"},
    {Suite::I8086, "8086", "sst-8086"},
};

struct FileResult {
    std::string file;
    int passed = 0;
    int failed = 0;
    int skipped = 0;
    std::string first_failure;
};

bool env_on(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::string(v) != "0";
}

bool full_run() {
#ifdef TX86_SST_FULL
    return true;
#else
    return env_on("TX86_SST_FULL");
#endif
}

bool read_gz(const fs::path& p, std::string& out) {
    gzFile f = gzopen(p.string().c_str(), "rb");
    if (!f) {
        return false;
    }
    out.clear();
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<size_t>(n));
    }
    gzclose(f);
    return n == 0;
}

bool read_text(const fs::path& p, std::string& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

i64 num(const Value* v, i64 dflt = 0) { return v && v->is_number() ? v->integer : dflt; }

/// known_failures.txt: "<suite> <file> <reason...>" per line, '#' comments.
std::map<std::string, std::string> load_known_failures() {
    std::map<std::string, std::string> m;
    std::ifstream in(fs::path(TX86_SOURCE_DIR) / "tests" / "vectors" / "known_failures.txt");
    std::string line;
    while (std::getline(in, line)) {
        const auto hash = line.find('#');
        const std::string body = line.substr(0, hash);
        std::istringstream ls(body);
        std::string suite, file;
        if (!(ls >> suite >> file)) {
            continue;
        }
        std::string reason;
        std::getline(ls, reason);
        m[suite + " " + file] = reason;
    }
    return m;
}

/// The flags mask of a file from metadata.json (bits to compare), 0xFFFF if none.
u32 flags_mask(const Value& meta, const std::string& file) {
    const Value* ops = meta.find("opcodes");
    const std::string op = file.substr(0, 2);
    const Value* o = ops ? ops->find(op) : nullptr;
    if (!o) {
        return 0xFFFF;
    }
    if (file.size() > 3 && file[2] == '.') {
        if (const Value* regs = o->find("reg")) {
            if (const Value* r = regs->find(file.substr(3))) {
                o = r;
            }
        }
    }
    return static_cast<u32>(num(o->find("flags-mask"), 0xFFFF));
}

/// Status string of a file (normal / alias / undocumented / ...) from metadata.json.
std::string status_of(const Value& meta, const std::string& file) {
    const Value* ops = meta.find("opcodes");
    const Value* o = ops ? ops->find(file.substr(0, 2)) : nullptr;
    if (!o) {
        return "normal";
    }
    if (const Value* regs = o->find("reg"); regs && file.size() > 3) {
        if (const Value* r = regs->find(file.substr(3))) {
            o = r;
        }
    }
    const Value* st = o->find("status");
    return st && st->is_string() ? st->str : "normal";
}

bool is_prefix(u8 b) {
    return b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E || b == 0x36 ||
           b == 0x3E || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67;
}

/// The ModRM byte of a one-byte-opcode instruction (after its prefixes).
unsigned modrm_byte(const std::vector<u8>& bytes) {
    usize i = 0;
    while (i < bytes.size() && is_prefix(bytes[i])) {
        ++i;
    }
    return i + 1 < bytes.size() ? bytes[i + 1] : 0;
}

unsigned modrm_reg(const std::vector<u8>& bytes) { return (modrm_byte(bytes) >> 3) & 7; }

constexpr const char* kRegNames[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
constexpr const char* kSegNames[] = {"es", "cs", "ss", "ds"};

class Runner {
public:
    Runner(Suite suite, const Value& meta) : m_suite(suite), m_meta(meta) {
        // The 8086 has a 20-bit bus (addresses wrap at 1 MiB); the 286 vectors reach above
        // 1 MiB with A20 enabled.
        m_h.phys.set_a20(suite == Suite::I286);
    }

    /// Runs one vector; returns "" on pass, "skip" to skip, else a failure description.
    std::string run(const std::string& file, const Value& t) {
        const Value* bytes_v = t.find("bytes");
        const Value* init = t.find("initial");
        const Value* fin = t.find("final");
        if (!bytes_v || !init || !fin) {
            return "malformed test";
        }
        std::vector<u8> bytes;
        for (const Value& b : bytes_v->arr) {
            bytes.push_back(static_cast<u8>(b.integer));
        }
        const Value* iregs = init->find("regs");
        const Value* fregs = fin->find("regs");
        if (std::string why = skip_reason(file, bytes, *iregs, *fregs, t); !why.empty()) {
            return "skip";
        }

        cpu::Cpu& c = *m_h.cpu;
        const u16 cs = static_cast<u16>(num(iregs->find("cs")));
        m_h.real_mode_at(cs, static_cast<u16>(num(iregs->find("ip"))));
        for (unsigned i = 0; i < 8; ++i) {
            c.s.gpr[i] = static_cast<u64>(num(iregs->find(kRegNames[i]))) & 0xFFFF;
        }
        for (unsigned i = 0; i < 4; ++i) {
            const u16 sel = static_cast<u16>(num(iregs->find(kSegNames[i])));
            c.s.seg[i] = cpu::Segment{sel, static_cast<u16>(i == cpu::kCs ? 0x9B : 0x93), 0xFFFF,
                                      u64{sel} << 4};
        }
        c.s.idtr = cpu::TableReg{0, 0x3FF};
        // Bits 12-15 are 0 on a 286 in real mode (and ours would keep IOPL/NT): load them clear.
        c.s.eflags = (static_cast<u32>(num(iregs->find("flags"))) & 0x0FFF) | cpu::kFixed1;
        c.s.lazy.op = cpu::kFlagsNone;

        m_touched.clear();
        if (const Value* ram = init->find("ram")) {
            for (const Value& e : ram->arr) {
                const u64 a = static_cast<u64>(e.arr[0].integer);
                m_h.ram[a] = static_cast<u8>(e.arr[1].integer);
                m_h.code_changed(a, 1);
                m_touched.push_back(a);
            }
        }
        if (m_suite == Suite::I286) {
            const Value* ex = t.find("exception");
            if (ex && num(ex->find("number")) == cpu::kVecGP) {
                // The 286 reports every real-mode segment overrun as #GP; a 386 raises #SS
                // for SS-based operands (SDM Vol. 3A, 6.15). Route vector 12 to the #GP
                // handler so both end at the same HLT with the same frame.
                for (u64 i = 0; i < 4; ++i) {
                    m_h.ram[4 * cpu::kVecSS + i] = m_h.ram[4 * cpu::kVecGP + i];
                    m_h.code_changed(4 * cpu::kVecSS + i, 1);
                    m_touched.push_back(4 * cpu::kVecSS + i);
                }
            }
        }
        std::string err = execute(bytes);
        if (err.empty()) {
            err = compare(file, *init, *fin, t);
        }
        // Leave RAM clean for the next vector.
        for (u64 a : m_touched) {
            m_h.ram[a] = 0;
            m_h.code_changed(a, 1);
        }
        if (const Value* ram = fin->find("ram")) {
            for (const Value& e : ram->arr) {
                m_h.ram[static_cast<u64>(e.arr[0].integer)] = 0;
                m_h.code_changed(static_cast<u64>(e.arr[0].integer), 1);
            }
        }
        return err;
    }

private:
    std::string skip_reason(const std::string& file, const std::vector<u8>& bytes,
                            const Value& iregs, const Value& fregs, const Value& test) {
        bool lock = false;
        bool rep = false;
        for (u8 b : bytes) {
            if (!is_prefix(b)) {
                break;
            }
            lock = lock || b == 0xF0;
            rep = rep || b == 0xF2 || b == 0xF3;
        }
        const std::string op = file.substr(0, 2);
        if (m_suite == Suite::I286) {
            if (bytes.size() - 1 > 10) {
                return "longer than the 286 limit of 10 bytes";
            }
            if (lock) {
                return "LOCK: the 286 ignores it where a 386 raises #UD";
            }
            if (op == "D8") {
                return "ESC without an FPU";
            }
            const bool string_op = (op >= "A4" && op <= "A7") || (op >= "AA" && op <= "AF") ||
                                   (op >= "6C" && op <= "6F");
            const Value* ex = test.find("exception");
            if (string_op && ex && num(ex->find("number")) == cpu::kVecGP) {
                return "286 string overrun #GP comes after rSI/rDI moved (a 386 faults first)";
            }
            if ((op == "8C" || op == "8E") && modrm_reg(bytes) >= 4 && modrm_reg(bytes) <= 5) {
                return "FS/GS do not exist on a 286 (#UD there)";
            }
            return "";
        }
        // 8086 (its README): different instructions on a 186+, or 8086-only behaviour.
        const std::string st = status_of(m_meta, file);
        if (st == "alias" || st == "undefined" || st == "undocumented" || st == "prefix" ||
            st == "fpu") {
            return "not the same instruction on a 386";
        }
        if (lock) {
            return "LOCK";
        }
        if ((op == "8F" || op == "C6" || op == "C7") && modrm_reg(bytes) != 0) {
            return "8086 ignores the reg field (#UD on a 186+)";
        }
        if ((op == "8C" || op == "8E") && modrm_reg(bytes) >= 4) {
            return "8086 uses 2 bits of the segment field";
        }
        if (op == "54" || (file == "FF.6" && modrm_byte(bytes) == 0xF4)) {
            return "8086 PUSH SP pushes the decremented value";
        }
        if ((op == "D2" || op == "D3") && (num(iregs.find("cx")) & 0xE0) != 0) {
            return "8086 does not mask the shift count";
        }
        const bool divide = op == "D4" || file.rfind("F6.6", 0) == 0 || file.rfind("F6.7", 0) == 0 ||
                            file.rfind("F7.6", 0) == 0 || file.rfind("F7.7", 0) == 0;
        if (divide && (fregs.find("cs") != nullptr ||
                       num(fregs.find("ip"), -1) != -1 &&
                           num(fregs.find("ip")) != ((num(iregs.find("ip")) + static_cast<i64>(bytes.size())) & 0xFFFF))) {
            return "8086 divide error pushes the next IP";
        }
        const unsigned al = num(iregs.find("ax")) & 0xFF;
        const bool af = (num(iregs.find("flags")) & cpu::kAF) != 0;
        const bool cf = (num(iregs.find("flags")) & cpu::kCF) != 0;
        if (op == "2F" && al < 6 && af && !cf) {
            return "8086 DAS does not carry the low-nibble borrow into CF (286+ does)";
        }
        if (op == "3F" && al < 6 && (af || (al & 0xF) > 9)) {
            return "8086 AAS does not borrow from AH when AL < 6 (286+ does)";
        }
        if (divide && rep) {
            return "8086 REP negates the quotient";
        }
        return "";
    }

    /// 286 vectors: run until the CPU reaches a HLT (the instruction's own or the one at a
    /// branch target / exception handler), counting IP past it. 8086 vectors: one step.
    std::string execute(const std::vector<u8>& bytes) {
        cpu::Cpu& c = *m_h.cpu;
        m_fault_seen = false;
        if (m_suite == Suite::I8086) {
            c.fault = cpu::Fault{0xFF, false, 0};
            (void)m_h.step();
            m_fault_seen = c.fault.vector == cpu::kVecGP || c.fault.vector == cpu::kVecSS;
            return "";
        }
        (void)bytes;
        for (int n = 0; n < kStepCap; ++n) {
            // Detect HLT ourselves (its handler belongs to the system family): decode at CS:IP.
            u8 buf[15];
            const u64 lin = c.s.seg[cpu::kCs].base + (c.s.rip & 0xFFFF);
            for (unsigned i = 0; i < 15; ++i) {
                buf[i] = m_h.ram[(lin + i) & 0xFFFFFF];
            }
            cpu::DecodedInsn d;
            if (cpu::decode(buf, 15, cpu::CodeMode::Bits16, d) == cpu::DecodeError::None &&
                d.id == cpu::InsnId::HLT) {
                c.s.rip = (c.s.rip + d.length) & 0xFFFF;
                c.s.halted = true;
                return "";
            }
            if (c.s.halted) {
                return "";
            }
            if (m_h.step() != cpu::Status::Ok) {
                return "cpu stopped (shutdown)";
            }
        }
        return "no HLT reached after " + std::to_string(kStepCap) + " steps";
    }

    std::string compare(const std::string& file, const Value& init, const Value& fin,
                        const Value& t) {
        cpu::Cpu& c = *m_h.cpu;
        if (m_suite == Suite::I8086 && m_fault_seen) {
            return "skip"; // the 8086 wraps word accesses at FFFF where a 386 faults
        }
        const Value* iregs = init.find("regs");
        const Value* fregs = fin.find("regs");
        auto expect = [&](const char* name) {
            const Value* v = fregs->find(name);
            return static_cast<u32>(num(v ? v : iregs->find(name)));
        };
        std::ostringstream err;
        for (unsigned i = 0; i < 8; ++i) {
            const u32 got = static_cast<u32>(c.s.gpr[i] & 0xFFFF);
            if (got != expect(kRegNames[i])) {
                err << kRegNames[i] << "=" << std::hex << got << " want " << expect(kRegNames[i]) << "; ";
            }
        }
        for (unsigned i = 0; i < 4; ++i) {
            const u32 got = c.s.seg[i].selector;
            if (got != expect(kSegNames[i])) {
                err << kSegNames[i] << "=" << std::hex << got << " want " << expect(kSegNames[i]) << "; ";
            }
        }
        if ((c.s.rip & 0xFFFF) != expect("ip")) {
            err << "ip=" << std::hex << (c.s.rip & 0xFFFF) << " want " << expect("ip") << "; ";
        }
        const u32 fmask = flags_mask(m_meta, file) & 0x0FFF;
        const u32 gotf = cpu::read_eflags(c.s) & fmask;
        const u32 wantf = expect("flags") & fmask;
        if (gotf != wantf) {
            err << "flags=" << std::hex << gotf << " want " << wantf << " (diff " << (gotf ^ wantf) << "); ";
        }
        // Memory: the initial image with the final bytes written over it.
        std::map<u64, u8> want;
        for (const Value* ram : {init.find("ram"), fin.find("ram")}) {
            if (ram) {
                for (const Value& e : ram->arr) {
                    want[static_cast<u64>(e.arr[0].integer)] = static_cast<u8>(e.arr[1].integer);
                }
            }
        }
        // A FLAGS image pushed by an exception: mask undefined and 12-15 bits like FLAGS.
        // The vectors' flag_address is one byte low when SP is odd, so the FLAGS image is
        // located from the frame itself: the first word pushed, at SS:SP-2.
        i64 flag_addr = -1;
        const std::string op = file.substr(0, 2);
        if (t.find("exception") != nullptr ||
            (m_suite == Suite::I8086 && (op == "9C" || op == "CC" || op == "CD" || op == "CE"))) {
            // FLAGS is the first word pushed; its bits 12-15 read as 1 on an 8086.
            flag_addr = (num(iregs->find("ss")) << 4) + ((num(iregs->find("sp")) - 2) & 0xFFFF);
            if (m_suite == Suite::I8086) {
                flag_addr &= 0xFFFFF; // 20-bit bus
            }
        }
        int bad = 0;
        for (const auto& [a, v] : want) {
            u8 m = 0xFF;
            if (flag_addr >= 0 && a == static_cast<u64>(flag_addr)) {
                m = static_cast<u8>(fmask);
            } else if (flag_addr >= 0 && a == static_cast<u64>(flag_addr) + 1) {
                m = static_cast<u8>(fmask >> 8);
            }
            if ((m_h.ram[a] & m) != (v & m) && bad++ < 4) {
                err << "[" << std::hex << a << "]=" << unsigned(m_h.ram[a]) << " want " << unsigned(v) << "; ";
            }
        }
        return err.str();
    }

    Suite m_suite;
    const Value& m_meta;
    tests::CpuHarness m_h;
    std::vector<u64> m_touched;
    bool m_fault_seen = false;
};

std::string format_report(const SuiteInfo& si, const std::vector<FileResult>& results,
                          const std::map<std::string, std::string>& known) {
    std::ostringstream o;
    int p = 0, f = 0, s = 0;
    o << "SingleStepTests " << si.folder << " (" << (full_run() ? "full" : "CI subset") << ")\n";
    o << "file        pass  fail  skip   rate  note\n";
    for (const FileResult& r : results) {
        p += r.passed;
        f += r.failed;
        s += r.skipped;
        const int n = r.passed + r.failed;
        char line[256];
        const auto k = known.find(std::string(si.key) + " " + r.file);
        std::snprintf(line, sizeof line, "%-10s %5d %5d %5d %6.1f%%  %s\n", r.file.c_str(),
                      r.passed, r.failed, r.skipped, n ? 100.0 * r.passed / n : 100.0,
                      k != known.end() ? ("known:" + k->second).c_str()
                                       : (r.failed ? r.first_failure.substr(0, 120).c_str() : ""));
        o << line;
    }
    char tot[128];
    std::snprintf(tot, sizeof tot, "TOTAL      %5d %5d %5d %6.2f%%\n", p, f, s,
                  p + f ? 100.0 * p / (p + f) : 100.0);
    o << tot;
    return o.str();
}

void run_suite(const SuiteInfo& si) {
    const fs::path root = fs::path(TX86_TESTDATA) / si.folder;
    INFO("test data folder: " << root.string());
    if (!fs::is_directory(root / "tests")) {
        FAIL("SingleStepTests data not found at " << root.string()
                                                  << " (expected shared/testdata next to the repo)");
        return;
    }
    std::string meta_text;
    REQUIRE(read_text(root / "metadata.json", meta_text));
    Value meta;
    std::string perr;
    REQUIRE(json_lite::parse(meta_text, meta, &perr));
    const auto known = load_known_failures();

    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(root / "tests")) {
        const std::string n = e.path().filename().string();
        if (n.size() > 8 && n.substr(n.size() - 8) == ".json.gz") {
            files.push_back(n.substr(0, n.size() - 8));
        }
    }
    std::sort(files.begin(), files.end());
    const char* filter = std::getenv("TX86_SST_FILTER");
    const char* lim_env = std::getenv("TX86_SST_LIMIT");
    const int limit = lim_env ? std::atoi(lim_env) : (full_run() ? 1 << 30 : kCiPerFile);
    const bool verbose = env_on("TX86_SST_VERBOSE");

    Runner runner(si.suite, meta);
    std::vector<FileResult> results;
    std::vector<std::string> unexpected, newly_passing;
    for (const std::string& file : files) {
        if (filter && file.find(filter) == std::string::npos) {
            continue;
        }
        std::string text;
        if (!read_gz(root / "tests" / (file + ".json.gz"), text)) {
            FAIL("cannot read " << file << ".json.gz");
        }
        FileResult r;
        r.file = file;
        json_lite::Parser parser(text);
        REQUIRE(parser.begin_array());
        Value t;
        for (int i = 0; i < limit && parser.next_element(t); ++i) {
            const std::string e = runner.run(file, t);
            if (e.empty()) {
                ++r.passed;
            } else if (e == "skip") {
                ++r.skipped;
            } else {
                ++r.failed;
                const Value* name = t.find("name");
                const std::string msg = (name ? name->str : std::string("?")) + ": " + e;
                if (r.first_failure.empty()) {
                    r.first_failure = msg;
                }
                if (verbose) {
                    std::printf("%s %s #%d %s\n", si.key, file.c_str(), i, msg.c_str());
                }
            }
        }
        if (!parser.error().empty()) {
            FAIL(file << ": JSON error " << parser.error());
        }
        const bool listed = known.count(std::string(si.key) + " " + file) != 0;
        if (r.failed && !listed) {
            unexpected.push_back(file + ": " + std::to_string(r.failed) + " failed, first: " +
                                 r.first_failure);
        }
        if (!r.failed && listed && r.passed) {
            newly_passing.push_back(file);
        }
        results.push_back(std::move(r));
    }

    const std::string report = format_report(si, results, known);
    if (env_on("TX86_SST_REPORT")) {
        std::fputs(report.c_str(), stdout);
    }
    if (const char* path = std::getenv("TX86_SST_REPORT_FILE")) {
        std::ofstream out(path, std::ios::app);
        out << report << "\n";
    }
    for (const std::string& f : newly_passing) {
        WARN("known failure now passes, remove it from known_failures.txt: " << si.key << " " << f);
    }
    for (const std::string& u : unexpected) {
        FAIL_CHECK(u);
    }
    CHECK(unexpected.empty());
}

} // namespace

TEST_CASE("SingleStepTests 80286 real mode", "[vectors]") { run_suite(kSuites[0]); }

TEST_CASE("SingleStepTests 8086", "[vectors]") { run_suite(kSuites[1]); }
