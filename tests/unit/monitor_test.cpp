// SPDX-License-Identifier: MIT
// The monitor's pieces: the small JSON parser/writer (frontend/json.h), the QMP session
// (frontend/qmp.h) and the human commands (frontend/monitor.h) on a board built around a tiny
// BIOS image (the CPU never runs).
#include "devices/board/pc.h"
#include "frontend/json.h"
#include "frontend/monitor.h"
#include "frontend/qmp.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace frontend;

namespace {

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

/// A machine with 8 MiB of RAM and a 4 KiB BIOS (HLT at the reset vector).
struct TestBoard {
    devices::PcBoard board;
    std::string bios_path;

    TestBoard() {
        bios_path = "/tmp/tx86-monitor-test-bios-" + std::to_string(getpid()) + ".bin";
        std::vector<char> image(4096, 0);
        image[0xFF0] = static_cast<char>(0xF4);
        std::ofstream(bios_path, std::ios::binary).write(image.data(), static_cast<std::streamsize>(image.size()));
        devices::BoardConfig bc;
        bc.ram_bytes = 8u << 20;
        bc.bios_path = bios_path;
        REQUIRE(board.create(bc).empty());
    }
    ~TestBoard() { std::remove(bios_path.c_str()); }
};

} // namespace

TEST_CASE("json parses objects, arrays, strings and numbers", "[monitor][json]") {
    const auto r = json::parse(R"( {"execute": "x", "arguments": {"n": [1, -2.5, 3e2, true, false, null]},
                                   "s": "a\"b\\c\/d\n\u00e9\ud83d\ude00"} )");
    REQUIRE(r.value);
    const json::Value& v = *r.value;
    REQUIRE(v.is_object());
    CHECK(v.find("execute")->as_string() == "x");
    const json::Value* n = v.find("arguments")->find("n");
    REQUIRE(n->is_array());
    REQUIRE(n->items().size() == 6);
    CHECK(n->items()[0].as_number() == 1);
    CHECK(n->items()[1].as_number() == -2.5);
    CHECK(n->items()[2].as_number() == 300);
    CHECK(n->items()[3].as_bool());
    CHECK_FALSE(n->items()[4].as_bool());
    CHECK(n->items()[5].is_null());
    CHECK(v.find("s")->as_string() == "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(v.find("missing") == nullptr);
}

TEST_CASE("json refuses malformed text with a message", "[monitor][json]") {
    const char* const bad[] = {
        "", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "\"abc", "tru",
        "01", "-", "1.", "1e", "{\"a\":1} x", "\"\\q\"", "\"\\u12\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"a\nb\"", "{1:2}", "nul", "[", "\"\\",
    };
    for (const char* text : bad) {
        INFO(text);
        const auto r = json::parse(text);
        CHECK_FALSE(r.value.has_value());
        CHECK_FALSE(r.error.empty());
    }
    // Deep nesting is refused rather than recursing without bound.
    const std::string deep(100000, '[');
    const auto r = json::parse(deep);
    CHECK_FALSE(r.value.has_value());
    CHECK(contains(r.error, "deep"));
}

TEST_CASE("json writes what it reads, integers exactly", "[monitor][json]") {
    json::Value o = json::Value::object();
    o.set("eip", json::Value::integer(0xFFFFFFFFFFFFFFFFull));
    o.set("s", json::Value::string("tab\there \"q\" \x01"));
    o.set("a", json::Value::array().push(json::Value::boolean(true)).push(json::Value()));
    o.set("f", json::Value::number(0.5));
    const std::string text = o.dump();
    CHECK(text == R"({"eip": 18446744073709551615, "s": "tab\there \"q\" \u0001", "a": [true, null], "f": 0.5})");
    const auto back = json::parse(text);
    REQUIRE(back.value);
    CHECK(back.value->dump() == text);
}

TEST_CASE("QMP negotiates capabilities and answers commands", "[monitor][qmp]") {
    TestBoard t;
    Monitor monitor(t.board);
    QmpSession qmp(t.board, monitor);
    CHECK(contains(QmpSession::greeting(), "{\"QMP\": {\"version\""));

    CHECK(contains(qmp.handle(R"({"execute": "stop"})"), "CommandNotFound"));
    CHECK(qmp.handle(R"({"execute": "qmp_capabilities"})") == R"({"return": {}})");
    CHECK(qmp.handle(R"({"execute": "stop", "id": 7})") == R"({"return": {}, "id": 7})");
    CHECK(t.board.paused());
    CHECK(contains(qmp.handle(R"({"execute": "query-status"})"), R"("status": "paused", "running": false)"));
    CHECK(qmp.handle(R"({"execute": "cont"})") == R"({"return": {}})");
    CHECK_FALSE(t.board.paused());
    CHECK(contains(qmp.handle(R"({"execute": "query-status"})"), R"("status": "running")"));

    const auto regs = json::parse(qmp.handle(R"({"execute": "query-registers"})"));
    REQUIRE(regs.value);
    const json::Value* ret = regs.value->find("return");
    REQUIRE(ret);
    CHECK(ret->find("eip")->as_number() == 0xFFF0);
    CHECK(ret->find("cs")->as_number() == 0xF000);
    CHECK(ret->find("cs_base")->as_number() == 0xFFFF0000);
    CHECK(ret->find("cr0") != nullptr);
    CHECK(ret->find("cr3") != nullptr);
    CHECK(ret->find("eax") != nullptr);
    CHECK(ret->find("st0") == nullptr);

    const auto hmp = json::parse(qmp.handle(
        R"({"execute": "human-monitor-command", "arguments": {"command-line": "info registers"}})"));
    REQUIRE(hmp.value);
    CHECK(contains(hmp.value->find("return")->as_string(), "EIP=0000fff0"));

    // Errors, never crashes.
    CHECK(contains(qmp.handle("{\"execute\": "), "JSON parse error"));
    CHECK(contains(qmp.handle("[1, 2]"), "must be a JSON object"));
    CHECK(contains(qmp.handle(R"({"exec": "stop"})"), "lacks member 'execute'"));
    CHECK(contains(qmp.handle(R"({"execute": "frobnicate"})"), "CommandNotFound"));
    CHECK(contains(qmp.handle(R"({"execute": "human-monitor-command"})"), "command-line"));
    CHECK(contains(qmp.handle(R"({"execute": "cont", "arguments": 3})"), "GenericError"));
    CHECK(contains(qmp.handle(R"({"execute": "qmp_capabilities"})"), "already complete"));
    CHECK(qmp.handle(R"({"execute": "quit"})") == R"({"return": {}})");
}

TEST_CASE("monitor commands: info, x, xp, stop, cont, stats", "[monitor]") {
    TestBoard t;
    Monitor m(t.board);
    t.board.phys().write_bytes(0x1000, "\x01\x02\x03\x04hello\0", 10);

    CHECK(contains(m.execute("info registers"), "EIP=0000fff0"));
    CHECK(contains(m.execute("info status"), "running"));
    CHECK(m.execute("stop").empty());
    CHECK(contains(m.execute("info status"), "paused"));
    CHECK(m.execute("c").empty());
    CHECK(contains(m.execute("info status"), "running"));
    CHECK(contains(m.execute("info mmu"), "paging: off"));
    CHECK(contains(m.execute("info tlb"), "paging is off"));
    CHECK(contains(m.execute("stats"), "instructions retired: 0"));
    CHECK(contains(m.execute("help"), "xp/FMT"));
    CHECK(contains(m.execute("screendump /tmp/x.ppm"), "no display"));

    // Paging is off, so x and xp agree.
    CHECK(m.execute("xp/4xb 0x1000") == "0000000000001000: 0x01 0x02 0x03 0x04\n");
    CHECK(m.execute("x/4xb 0x1000") == "00001000: 0x01 0x02 0x03 0x04\n");
    CHECK(m.execute("x/xw 0x1000") == "00001000: 0x04030201\n");
    CHECK(m.execute("x /2xh 0x1000") == "00001000: 0x0201 0x0403\n");
    CHECK(m.execute("x/1xg 0x1000") == "00001000: 0x6c6c656804030201\n");
    CHECK(m.execute("x/2ub 0x1000") == "00001000: 1 2\n");
    CHECK(m.execute("x/s 0x1004") == "00001004: \"hello\"\n");
    CHECK(m.execute("x/5c 0x1004") == "00001004: h e l l o\n");
    CHECK(m.execute("x/4xb 0x0ffe + 2") == "00001000: 0x01 0x02 0x03 0x04\n");
    CHECK(m.execute("x/2xb $eip - 0xfff0 + 0x1000") == "00001000: 0x01 0x02\n");
    CHECK(contains(m.execute("x/20xb 0x1000"), "\n00001010:"));
    // The BIOS byte at the reset vector disassembles (16-bit code after reset).
    CHECK(m.execute("x/1i 0xffff0") == "0x000ffff0:  hlt\n");

    // Bad input: one clear line each.
    CHECK(contains(m.execute("x/4q 0x1000"), "invalid format"));
    CHECK(contains(m.execute("x/4x"), "missing address"));
    CHECK(contains(m.execute("x/4x $nosuchreg"), "cannot evaluate"));
    CHECK(contains(m.execute("x/99999999x 0"), "count too large"));
    CHECK(contains(m.execute("xp/4x 0xfee00000"), "Cannot access memory")); // MMIO: not read
    CHECK(contains(m.execute("info nothing"), "unknown item"));
    CHECK(contains(m.execute("frob"), "unknown command"));
    CHECK(m.execute("   ").empty());
    CHECK(m.execute("quit").empty());
}
