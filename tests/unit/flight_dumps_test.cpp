// SPDX-License-Identifier: MIT
// The flight recorder's automatic dumps ([flight]): the -flight and -flight-dump-on options,
// and the panic watch on the serial console (frontend/panic_watch.h): it passes the console
// through untouched and reports the first line of each dying-kernel kind once. Not here: the
// triple-fault explanation (fault_explain_test.cpp), the recorder (tools/trace).
#include "frontend/config.h"
#include "frontend/panic_watch.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace frontend;

namespace {

ParseResult parse(std::vector<const char*> args) {
    args.insert(args.begin(), "tx86");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

/// Feeds `text` through a PanicWatch in front of a sink writing to a temporary file; returns
/// what reached the file and collects the reports.
std::string feed(const std::string& text, std::vector<std::pair<PanicKind, std::string>>& seen) {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    {
        devices::CharSink inner(f, false);
        PanicWatch watch(&inner, [&](PanicKind k, const std::string& line) {
            seen.emplace_back(k, line);
        });
        for (const char c : text) {
            watch.write(static_cast<u8>(c));
        }
        watch.flush();
    }
    std::rewind(f);
    std::string out;
    for (int c; (c = std::fgetc(f)) != EOF;) {
        out.push_back(static_cast<char>(c));
    }
    std::fclose(f);
    return out;
}

} // namespace

TEST_CASE("-flight and -flight-dump-on", "[flight][config]") {
    const ParseResult defaults = parse({});
    REQUIRE(defaults.config);
    CHECK(defaults.config->flight_insns == kFlightDefaultInsns);
    CHECK(defaults.config->flight_dump_on == (kFlightDumpTriple | kFlightDumpPanic));

    CHECK(parse({"-flight", "0"}).config->flight_insns == 0);
    CHECK(parse({"--flight", "5000"}).config->flight_insns == 5000);
    CHECK(parse({"-flight-dump-on", "watch"}).config->flight_dump_on == kFlightDumpWatch);
    CHECK(parse({"-flight-dump-on", "triple,watch"}).config->flight_dump_on ==
          (kFlightDumpTriple | kFlightDumpWatch));
    CHECK(parse({"-flight-dump-on", "all"}).config->flight_dump_on ==
          (kFlightDumpTriple | kFlightDumpPanic | kFlightDumpWatch));
    CHECK(parse({"-flight-dump-on", "none"}).config->flight_dump_on == 0);

    CHECK(parse({"-flight", "lots"}).error ==
          "tx86: invalid -flight size 'lots' (use 0..1000000 instructions; 0 = off)");
    CHECK(parse({"-flight", "2000000"}).error.find("invalid -flight size") != std::string::npos);
    CHECK(parse({"-flight", "-1"}).error.find("invalid -flight size") != std::string::npos);
    CHECK(parse({"-flight-dump-on", "triple,oops"}).error ==
          "tx86: unknown -flight-dump-on event 'oops' (use triple, panic, watch, all or none)");
    CHECK(parse({"-flight-dump-on", ""}).error.find("unknown -flight-dump-on event ''") !=
          std::string::npos);
    CHECK(parse({"-flight-dump-on"}).error == "tx86: option '-flight-dump-on' needs an argument");
    CHECK(help_text().find("-flight-dump-on") != std::string::npos);
}

TEST_CASE("dying-kernel lines are recognised", "[flight]") {
    CHECK(classify_panic_line("[    5.1] Kernel panic - not syncing: sysrq triggered crash") ==
          PanicKind::Panic);
    CHECK(classify_panic_line("[   12.0] Oops: 0002 [#1] PREEMPT SMP") == PanicKind::Oops);
    CHECK(classify_panic_line("BUG: kernel NULL pointer dereference, address: 00000000") ==
          PanicKind::Bug);
    CHECK(classify_panic_line("general protection fault: 0000 [#1] SMP") ==
          PanicKind::GeneralProtection);
    CHECK(!classify_panic_line("Booting the kernel."));
    CHECK(!classify_panic_line("oops, lower case is someone's message"));
    CHECK(std::string(panic_kind_name(PanicKind::Panic)) == "kernel panic");
}

TEST_CASE("the panic watch passes the console through and reports once per kind", "[flight]") {
    std::vector<std::pair<PanicKind, std::string>> seen;
    const std::string text =
        "Linux version 6.1\r\n"
        "[    5.1] Kernel panic - not syncing: sysrq triggered crash\r\n"
        "[    5.2] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\r\n"
        "BUG: something\nOops: 0002 [#1]\nBUG: again\npartial line without an end";
    CHECK(feed(text, seen) == text);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].first == PanicKind::Panic);
    CHECK(seen[0].second == "[    5.1] Kernel panic - not syncing: sysrq triggered crash");
    CHECK(seen[1] == std::pair<PanicKind, std::string>{PanicKind::Bug, "BUG: something"});
    CHECK(seen[2] == std::pair<PanicKind, std::string>{PanicKind::Oops, "Oops: 0002 [#1]"});
}

TEST_CASE("the panic watch keeps watching without an output", "[flight]") {
    std::vector<PanicKind> seen;
    PanicWatch watch(nullptr, [&](PanicKind k, const std::string&) { seen.push_back(k); });
    const std::string long_line = std::string(2000, 'x') + "\n";
    for (const char c : long_line + "general protection fault: 0000\n") {
        watch.write(static_cast<u8>(c));
    }
    CHECK(seen == std::vector<PanicKind>{PanicKind::GeneralProtection});
}
