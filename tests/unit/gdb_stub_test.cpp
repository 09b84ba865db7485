// SPDX-License-Identifier: MIT
// The gdb stub's building blocks: packet framing, checksums, escaping and the byte-stream
// decoder (frontend/gdb_packet.h); the register file layout and target description
// (frontend/gdb_regs.h); and the side-effect-free guest memory access the m/M packets and the
// monitor use (frontend/debug_memory.h).
#include "cpu/flags.h"
#include "cpu/guest_peek.h"
#include "frontend/debug_memory.h"
#include "frontend/gdb_packet.h"
#include "frontend/gdb_regs.h"
#include "tests/harness/cpu_harness.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

using namespace frontend;
using Event = gdb::PacketDecoder::Event;

namespace {

std::vector<Event> feed(gdb::PacketDecoder& d, const std::string& bytes) {
    std::vector<Event> out;
    d.feed(reinterpret_cast<const u8*>(bytes.data()), bytes.size(), out);
    return out;
}

u64 reg_value(cpu::Cpu& c, const char* name) {
    const int n = gdb::register_number(name);
    REQUIRE(n >= 0);
    const std::vector<u8> b = gdb::read_register(c, static_cast<unsigned>(n));
    u64 v = 0;
    for (usize i = 0; i < b.size() && i < 8; ++i) {
        v |= u64{b[i]} << (8 * i);
    }
    return v;
}

std::vector<u8> le(u64 v, unsigned n) {
    std::vector<u8> out;
    for (unsigned i = 0; i < n; ++i) {
        out.push_back(static_cast<u8>(v >> (8 * i)));
    }
    return out;
}

} // namespace

TEST_CASE("gdb packets are framed with a modulo-256 checksum", "[gdb]") {
    CHECK(gdb::checksum("") == 0);
    CHECK(gdb::checksum("OK") == 0x9a);
    CHECK(gdb::frame("OK") == "$OK#9a");
    CHECK(gdb::frame("") == "$#00");
    // The checksum covers the escaped bytes, as they travel.
    const std::string f = gdb::frame("a#b");
    CHECK(f.substr(0, 6) == "$a}\x03" "b#");
    CHECK(f.substr(6) == "43"); // 0x61 + 0x7d + 0x03 + 0x62 = 0x143
}

TEST_CASE("gdb escaping covers the four reserved bytes and round-trips", "[gdb]") {
    CHECK(gdb::escape("#$}*") == "}\x03}\x04}]}\x0a");
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
    }
    CHECK(gdb::unescape(gdb::escape(all)) == all);
    CHECK(gdb::unescape("ab}") == "ab"); // a lone trailing escape is dropped, not read past
}

TEST_CASE("the packet decoder splits a byte stream into packets, acks and Ctrl-C", "[gdb]") {
    gdb::PacketDecoder d;
    auto ev = feed(d, "+$g#67\x03-");
    REQUIRE(ev.size() == 4);
    CHECK(ev[0].kind == Event::Ack);
    CHECK(ev[1].kind == Event::Packet);
    CHECK(ev[1].payload == "g");
    CHECK(ev[2].kind == Event::Interrupt);
    CHECK(ev[3].kind == Event::Nack);

    // Split anywhere, even inside the checksum.
    const std::string pkt = gdb::frame("qSupported:swbreak+;hwbreak+");
    std::vector<Event> all;
    for (const char c : pkt) {
        auto part = feed(d, std::string(1, c));
        all.insert(all.end(), part.begin(), part.end());
    }
    REQUIRE(all.size() == 1);
    CHECK(all[0].payload == "qSupported:swbreak+;hwbreak+");

    // Escaped binary data (an X packet) comes back unescaped.
    const std::string data = std::string("X1000,2:") + '#' + '}';
    ev = feed(d, gdb::frame(data));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].payload == data);
}

TEST_CASE("the packet decoder rejects bad checksums and oversized packets", "[gdb]") {
    gdb::PacketDecoder d;
    auto ev = feed(d, "$g#00");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == Event::BadChecksum);
    ev = feed(d, "$g#zz");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == Event::BadChecksum);
    // A '$' inside a packet restarts it (the old one was cut short).
    ev = feed(d, "$ab$g#67");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].payload == "g");
    std::string huge(gdb::PacketDecoder::kMaxPayload + 10, 'a');
    ev = feed(d, "$" + huge + "#00");
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == Event::BadChecksum);
    ev = feed(d, "$g#67"); // and the decoder is fine afterwards
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == Event::Packet);
}

TEST_CASE("gdb hex helpers", "[gdb]") {
    const u8 bytes[] = {0x00, 0x7f, 0xa5, 0xff};
    CHECK(gdb::to_hex(bytes, 4) == "007fa5ff");
    std::vector<u8> out;
    REQUIRE(gdb::from_hex("007FA5ff", out));
    CHECK(out == std::vector<u8>{0x00, 0x7f, 0xa5, 0xff});
    CHECK_FALSE(gdb::from_hex("abc", out));
    CHECK_FALSE(gdb::from_hex("zz", out));
    u64 v = 0;
    REQUIRE(gdb::parse_hex_number("c1000000", v));
    CHECK(v == 0xc1000000);
    CHECK_FALSE(gdb::parse_hex_number("", v));
    CHECK_FALSE(gdb::parse_hex_number("12345678123456789", v)); // 17 digits
    CHECK_FALSE(gdb::parse_hex_number("1g", v));
}

TEST_CASE("the gdb register file follows gdb's i386 numbering and sizes", "[gdb]") {
    // gdb's org.gnu.gdb.i386.core numbers, then SSE, then our system registers.
    const char* const core[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip",
                                "eflags", "cs", "ss", "ds", "es", "fs", "gs"};
    for (unsigned i = 0; i < 16; ++i) {
        CHECK(std::string(gdb::register_info(i).name) == core[i]);
        CHECK(gdb::register_info(i).bytes == 4);
    }
    CHECK(gdb::register_number("st0") == 16);
    CHECK(gdb::register_info(16).bytes == 10);
    CHECK(gdb::register_number("fop") == 31);
    CHECK(gdb::register_number("xmm0") == 32);
    CHECK(gdb::register_info(32).bytes == 16);
    CHECK(gdb::register_number("mxcsr") == 40);
    CHECK(gdb::register_number("cr0") > 40);
    CHECK(gdb::register_number("cr3") > 40);
    CHECK(gdb::register_number("efer") > 40);
    CHECK(gdb::register_number("cs_base") > 40);
    CHECK(gdb::register_number("nope") == -1);

    // The description names every register with its number and size.
    const std::string& xml = gdb::target_xml();
    CHECK(xml.find("<feature name=\"org.gnu.gdb.i386.core\">") != std::string::npos);
    CHECK(xml.find("<feature name=\"org.gnu.gdb.i386.sse\">") != std::string::npos);
    CHECK(xml.find("<architecture>i386</architecture>") != std::string::npos);
    for (unsigned i = 0; i < gdb::register_count(); ++i) {
        const gdb::RegInfo r = gdb::register_info(i);
        const std::string tag = "<reg name=\"" + std::string(r.name) + "\" bitsize=\"" +
                                std::to_string(r.bytes * 8) + "\"";
        INFO(r.name);
        CHECK(xml.find(tag) != std::string::npos);
        CHECK(xml.find("regnum=\"" + std::to_string(i) + "\"") != std::string::npos);
    }
    // Well formed enough: every feature closed, no reserved packet bytes that need escaping.
    usize open = 0, close = 0;
    for (usize p = 0; (p = xml.find("<feature ", p)) != std::string::npos; ++p) {
        ++open;
    }
    for (usize p = 0; (p = xml.find("</feature>", p)) != std::string::npos; ++p) {
        ++close;
    }
    CHECK(open == 3);
    CHECK(close == 3);
}

TEST_CASE("gdb registers read and write the CPU state", "[gdb]") {
    tests::CpuHarness h;
    h.flat32_at(0x1000);
    cpu::Cpu& c = *h.cpu;
    c.s.gpr[cpu::kRax] = 0x11223344;
    c.s.gpr[cpu::kRsp] = 0x8000;
    c.s.eflags = cpu::kFixed1 | cpu::kIF | cpu::kZF;
    c.s.lazy.op = cpu::kFlagsNone;
    c.s.cr3 = 0x5000;
    c.s.fpu.fsw = 6 << 11; // TOP = 6: ST(0) is physical register 6
    c.s.fpu.st[6] = cpu::Float80{0x8000000000000000ull, 0x3FFF}; // 1.0
    c.s.sse.xmm[1] = U128{0x0102030405060708ull, 0x1112131415161718ull};

    CHECK(reg_value(c, "eax") == 0x11223344);
    CHECK(reg_value(c, "esp") == 0x8000);
    CHECK(reg_value(c, "eip") == 0x1000);
    CHECK(reg_value(c, "eflags") == (cpu::kFixed1 | cpu::kIF | cpu::kZF));
    CHECK(reg_value(c, "cr3") == 0x5000);
    CHECK(reg_value(c, "cr0") == c.s.cr0);
    const std::vector<u8> st0 = gdb::read_register(c, 16);
    CHECK(st0 == std::vector<u8>{0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f});
    const std::vector<u8> xmm1 = gdb::read_register(c, 33);
    CHECK(xmm1[0] == 0x08);
    CHECK(xmm1[15] == 0x11);

    // 'g' is every register in order.
    const std::vector<u8> all = gdb::read_all_registers(c);
    usize size = 0;
    for (unsigned i = 0; i < gdb::register_count(); ++i) {
        size += gdb::register_info(i).bytes;
    }
    CHECK(all.size() == size);
    CHECK(std::vector<u8>(all.begin(), all.begin() + 4) == le(0x11223344, 4));
    CHECK(std::vector<u8>(all.begin() + 32, all.begin() + 36) == le(0x1000, 4)); // eip at 8*4

    REQUIRE(gdb::write_register(c, 0, le(0xdeadbeef, 4)));
    CHECK(c.s.gpr[cpu::kRax] == 0xdeadbeef);
    REQUIRE(gdb::write_register(c, 8, le(0x2000, 4)));
    CHECK(c.s.rip == 0x2000);
    // EFLAGS: reserved bits keep their values, VM cannot be set from a debugger.
    REQUIRE(gdb::write_register(c, 9, le(0xFFFFFFFF, 4)));
    CHECK((c.s.eflags & cpu::kFixed1) != 0);
    CHECK((c.s.eflags & cpu::kVM) == 0);
    CHECK((c.s.eflags & (1u << 3)) == 0);
    CHECK((c.s.eflags & cpu::kCF) != 0);
    CHECK_FALSE(gdb::write_register(c, 0, le(1, 2)));     // wrong size
    CHECK_FALSE(gdb::write_register(c, 999, le(1, 4)));   // unknown register
    // CS cannot be reloaded in protected mode; an unchanged value is fine ('G' writes all).
    CHECK(gdb::write_register(c, 10, le(c.s.seg[cpu::kCs].selector, 4)));
    CHECK_FALSE(gdb::write_register(c, 10, le(0x1234, 4)));
    // A 'G' of what 'g' gave back changes nothing and succeeds.
    const std::vector<u8> before = gdb::read_all_registers(c);
    REQUIRE(gdb::write_all_registers(c, before));
    CHECK(gdb::read_all_registers(c) == before);
    // A real-mode selector write sets the base.
    h.real_mode_at(0x1000, 0);
    REQUIRE(gdb::write_register(c, 12, le(0x2345, 4))); // ds
    CHECK(c.s.seg[cpu::kDs].base == 0x23450);
}

TEST_CASE("debug memory walks the page tables without touching them", "[gdb]") {
    tests::CpuHarness h;
    h.flat32_at(0x1000);
    cpu::Cpu& c = *h.cpu;
    // 32-bit paging: PD at 0x10000; PDE 1 -> PT at 0x11000; PTE 0 maps linear 0x400000 to
    // physical 0x20000 (present, writable); PDE 2 is a 4 MiB page at physical 0 (PSE).
    const u32 pde1 = 0x11000 | 0x3;
    const u32 pte0 = 0x20000 | 0x3;
    const u32 pde2 = 0x00000000 | 0x83;
    std::memcpy(h.ram + 0x10000 + 4, &pde1, 4);
    std::memcpy(h.ram + 0x10000 + 8, &pde2, 4);
    std::memcpy(h.ram + 0x11000, &pte0, 4);
    const char text[] = "hello";
    std::memcpy(h.ram + 0x20010, text, sizeof(text));
    c.s.cr3 = 0x10000;
    c.s.cr4 |= cpu::kCr4PSE;
    c.s.cr0 |= cpu::kCr0PG;
    c.tlb_flush_all();

    REQUIRE(debug_translate(c, 0x400010).has_value());
    CHECK(*debug_translate(c, 0x400010) == 0x20010);
    CHECK(*debug_translate(c, 0x800123) == 0x123); // inside the 4 MiB page
    CHECK_FALSE(debug_translate(c, 0x401000).has_value()); // PTE 1 not present
    CHECK_FALSE(debug_translate(c, 0xC0000000).has_value());

    char buf[6] = {};
    REQUIRE(debug_read_linear(c, 0x400010, reinterpret_cast<u8*>(buf), sizeof(buf)));
    CHECK(std::string(buf) == "hello");
    CHECK_FALSE(debug_read_linear(c, 0x400FFE, reinterpret_cast<u8*>(buf), 4)); // runs off the page
    // The walk set no accessed bits.
    u32 pde_after = 0, pte_after = 0;
    std::memcpy(&pde_after, h.ram + 0x10004, 4);
    std::memcpy(&pte_after, h.ram + 0x11000, 4);
    CHECK(pde_after == pde1);
    CHECK(pte_after == pte0);

    const u8 patch[] = {'j'};
    REQUIRE(debug_write_linear(c, 0x400010, patch, 1));
    CHECK(h.ram[0x20010] == 'j');
    CHECK_FALSE(debug_write_linear(c, 0x401000, patch, 1));
    CHECK_FALSE(debug_write_phys(c, 0xFFFFF000, patch, 1)); // nothing (or ROM) there: refused

    std::vector<PageMapping> maps;
    debug_walk_mappings(c, [&](const PageMapping& m) { maps.push_back(m); });
    REQUIRE(maps.size() == 2);
    CHECK(maps[0].lin == 0x400000);
    CHECK(maps[0].phys == 0x20000);
    CHECK(maps[0].size == 0x1000);
    CHECK(maps[1].lin == 0x800000);
    CHECK(maps[1].size == 0x400000);
}

TEST_CASE("debug memory translates 4-level long-mode paging like info tlb lists it", "[gdb]") {
    tests::CpuHarness h;
    h.flat32_at(0x1000);
    cpu::Cpu& c = *h.cpu;
    // PML4 at 0x10000: entries 0 and 511 -> PDPT at 0x11000. PDPTE 0 -> PD at 0x12000, PDPTE 1
    // is a 1 GiB page at physical 0. PDE 0 -> PT at 0x13000 (PTE 4 maps physical 0x20000),
    // PDE 2 is a 2 MiB page at physical 0x200000, read-only.
    auto put = [&](u32 pa, u64 v) { std::memcpy(h.ram + pa, &v, 8); };
    put(0x10000, 0x11000 | 0x7);
    put(0x10000 + 511 * 8, 0x11000 | 0x3); // supervisor only
    put(0x11000, 0x12000 | 0x7);
    put(0x11000 + 8, 0x00000000 | 0x87);
    put(0x12000, 0x13000 | 0x7);
    put(0x12000 + 2 * 8, 0x200000 | 0x85);
    put(0x13000 + 4 * 8, 0x20000 | 0x7);
    c.s.cr3 = 0x10000;
    c.s.cr4 |= cpu::kCr4PAE;
    c.s.efer |= cpu::kEferLME | cpu::kEferLMA;
    c.s.cr0 |= cpu::kCr0PG;
    c.tlb_flush_all();

    CHECK(debug_translate(c, 0x4010) == std::optional<u64>(0x20010));
    CHECK(debug_translate(c, 0x400123) == std::optional<u64>(0x200123));      // 2 MiB page
    CHECK(debug_translate(c, 0x40001234) == std::optional<u64>(0x1234));      // 1 GiB page
    CHECK(debug_translate(c, 0xFFFFFF8000004010ull) == std::optional<u64>(0x20010)); // PML4E 511
    CHECK_FALSE(debug_translate(c, 0x5000).has_value());      // PTE 5 not present
    CHECK_FALSE(debug_translate(c, 0x100000000ull).has_value()); // beyond 4 GiB: PDPTE 4 absent

    const cpu::PeekWalk w = cpu::peek_walk(c, 0xFFFFFF8000004010ull);
    REQUIRE(w.mapped);
    CHECK(w.levels == 4);
    CHECK(std::string(w.entries[0].level) == "PML4E");
    CHECK(w.rw);
    CHECK_FALSE(w.user); // PML4E 511 has no U/S
    CHECK_FALSE(cpu::peek_walk(c, 0x400000).rw); // the 2 MiB page is read-only

    // Every leaf info tlb lists translates to the physical address it lists.
    usize leaves = 0;
    debug_walk_mappings(c, [&](const PageMapping& m) {
        ++leaves;
        CHECK(debug_translate(c, m.lin) == std::optional<u64>(m.phys));
    });
    CHECK(leaves == 6); // 4 KiB, 2 MiB, 1 GiB, each under PML4E 0 and 511
}
