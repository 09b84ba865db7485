// SPDX-License-Identifier: MIT
// Tests for frontend::parse_command_line: QEMU-style command lines that tx86 must accept
// (with the values they should produce) and ones it must refuse (with a message that names
// the culprit, since that message is all the user sees).
#include "frontend/config.h"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

using frontend::CharDevSpec;
using frontend::kMiB;
using frontend::parse_command_line;
using frontend::ParseResult;

namespace {

ParseResult parse(std::initializer_list<const char*> args) {
    std::vector<const char*> argv{"tx86"};
    argv.insert(argv.end(), args.begin(), args.end());
    return parse_command_line(int(argv.size()), argv.data());
}

// Parses and asserts success, returning the config.
frontend::MachineConfig ok(std::initializer_list<const char*> args) {
    auto r = parse(args);
    INFO("error: " << r.error);
    REQUIRE(r.config.has_value());
    CHECK(r.error.empty());
    return *r.config;
}

// Parses and asserts failure, returning the message.
std::string bad(std::initializer_list<const char*> args) {
    auto r = parse(args);
    REQUIRE_FALSE(r.config.has_value());
    CHECK(r.error.rfind("tx86: ", 0) == 0);
    return r.error;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

} // namespace

TEST_CASE("empty command line gives the defaults", "[config]") {
    auto c = ok({});
    CHECK(c.ram_bytes == 128 * kMiB);
    CHECK(c.kernel.empty());
    CHECK(c.bios.empty());
    CHECK(c.serial.kind == CharDevSpec::None);
    CHECK(c.debugcon.kind == CharDevSpec::None);
    CHECK_FALSE(c.nographic);
    CHECK_FALSE(c.no_reboot);
    CHECK(c.accel == "jit");
    CHECK_FALSE(c.show_help);
    CHECK_FALSE(c.show_version);
}

TEST_CASE("memory sizes in QEMU syntax", "[config][memory]") {
    CHECK(ok({"-m", "256"}).ram_bytes == 256 * kMiB);
    CHECK(ok({"-m", "256M"}).ram_bytes == 256 * kMiB);
    CHECK(ok({"-m", "256m"}).ram_bytes == 256 * kMiB);
    CHECK(ok({"-m", "1G"}).ram_bytes == 1024 * kMiB);
    CHECK(ok({"-m", "1.5G"}).ram_bytes == 1536 * kMiB);
    CHECK(ok({"-m", "2048K"}).ram_bytes == 2 * kMiB);
    CHECK(ok({"-m", "size=256M"}).ram_bytes == 256 * kMiB);
    CHECK(ok({"-m", "size=64"}).ram_bytes == 64 * kMiB);
    CHECK(ok({"-m", "1"}).ram_bytes == 1 * kMiB);
    CHECK(ok({"-m", "3584"}).ram_bytes == 3584 * kMiB);
    CHECK(ok({"-m", "3.5G"}).ram_bytes == 3584 * kMiB);
    // The last one wins, as in QEMU.
    CHECK(ok({"-m", "64", "-m", "32"}).ram_bytes == 32 * kMiB);
}

TEST_CASE("bad memory sizes are refused with a clear message", "[config][memory]") {
    CHECK(bad({"-m", "12x"}) == "tx86: invalid memory size '12x'");
    CHECK(contains(bad({"-m", "0"}), "must not be zero"));
    CHECK(contains(bad({"-m", "0M"}), "must not be zero"));
    CHECK(contains(bad({"-m", "512K"}), "too small"));
    CHECK(contains(bad({"-m", "3585"}), "too large"));
    CHECK(contains(bad({"-m", "4G"}), "too large"));
    CHECK(contains(bad({"-m", "99999999999999999999999"}), "invalid memory size"));
    CHECK(contains(bad({"-m", ""}), "invalid memory size"));
    CHECK(contains(bad({"-m", "M"}), "invalid memory size"));
    CHECK(contains(bad({"-m", "-5"}), "invalid memory size"));
    CHECK(contains(bad({"-m", "1."}), "invalid memory size"));
    CHECK(contains(bad({"-m", "256MB"}), "invalid memory size"));
    CHECK(contains(bad({"-m", "size="}), "invalid memory size"));
    CHECK(contains(bad({"-m", "256,slots=2"}), "unsupported -m parameter"));
    CHECK(contains(bad({"-m", "maxmem=1G"}), "unsupported -m parameter"));
    CHECK(contains(bad({"-m", "1000001K"}), "multiple of 4 KiB"));
    CHECK(bad({"-m"}) == "tx86: option '-m' needs an argument");
}

TEST_CASE("boot files and kernel command line", "[config]") {
    auto c = ok({"-kernel", "bzImage", "-initrd", "initrd.gz", "-append", "console=ttyS0 quiet", "-bios",
                 "bios.bin"});
    CHECK(c.kernel == "bzImage");
    CHECK(c.initrd == "initrd.gz");
    CHECK(c.append == "console=ttyS0 quiet");
    CHECK(c.bios == "bios.bin");
    // An option's value may itself start with a dash.
    CHECK(ok({"-append", "-v"}).append == "-v");
    CHECK(bad({"-kernel"}) == "tx86: option '-kernel' needs an argument");
    CHECK(bad({"-bios", "x", "-append"}) == "tx86: option '-append' needs an argument");
}

TEST_CASE("one or two dashes are equivalent", "[config]") {
    CHECK(ok({"--m", "64"}).ram_bytes == 64 * kMiB);
    CHECK(ok({"--kernel", "k"}).kernel == "k");
    CHECK(ok({"--nographic"}).nographic);
    CHECK(ok({"--no-reboot"}).no_reboot);
    CHECK(ok({"-no-reboot"}).no_reboot);
}

TEST_CASE("serial and debugcon backends", "[config][chardev]") {
    CHECK(ok({"-serial", "stdio"}).serial == CharDevSpec{CharDevSpec::Stdio, ""});
    CHECK(ok({"-serial", "null"}).serial == CharDevSpec{CharDevSpec::Null, ""});
    CHECK(ok({"-serial", "none"}).serial == CharDevSpec{CharDevSpec::None, ""});
    CHECK(ok({"-serial", "file:/tmp/out.txt"}).serial == CharDevSpec{CharDevSpec::File, "/tmp/out.txt"});
    CHECK(ok({"-debugcon", "stdio"}).debugcon == CharDevSpec{CharDevSpec::Stdio, ""});
    CHECK(ok({"-debugcon", "file:dbg.log"}).debugcon == CharDevSpec{CharDevSpec::File, "dbg.log"});
    CHECK(ok({"-debugcon", "null"}).debugcon == CharDevSpec{CharDevSpec::Null, ""});

    CHECK(contains(bad({"-serial", "tcp::4444"}), "invalid serial backend 'tcp::4444'"));
    CHECK(contains(bad({"-serial", "file:"}), "needs a path"));
    CHECK(contains(bad({"-debugcon", "none"}), "invalid debugcon backend 'none'"));
    CHECK(contains(bad({"-debugcon", "vc"}), "invalid debugcon backend"));
    CHECK(bad({"-serial"}) == "tx86: option '-serial' needs an argument");
}

TEST_CASE("-nographic implies serial on stdio unless -serial is given", "[config][chardev]") {
    auto c = ok({"-nographic"});
    CHECK(c.nographic);
    CHECK(c.serial.kind == CharDevSpec::Stdio);

    // Order does not matter: an explicit -serial always wins.
    CHECK(ok({"-nographic", "-serial", "null"}).serial.kind == CharDevSpec::Null);
    CHECK(ok({"-serial", "file:x", "-nographic"}).serial == CharDevSpec{CharDevSpec::File, "x"});
    CHECK(ok({"-nographic", "-serial", "none"}).serial.kind == CharDevSpec::None);
    // debugcon is not affected.
    CHECK(c.debugcon.kind == CharDevSpec::None);
}

TEST_CASE("logging options", "[config][log]") {
    auto c = ok({"-d", "int,mmu", "-D", "/tmp/tx86.log"});
    CHECK(c.log_items == "int,mmu");
    CHECK(c.log_file == "/tmp/tx86.log");
    CHECK(ok({"-d", "in_asm,cpu,guest_errors,unimp,jit,nochain"}).log_items ==
          "in_asm,cpu,guest_errors,unimp,jit,nochain");

    CHECK(contains(bad({"-d", "int,bogus"}), "unknown log item 'bogus'"));
    CHECK(bad({"-d"}) == "tx86: option '-d' needs an argument");
    CHECK(bad({"-D"}) == "tx86: option '-D' needs an argument");
    CHECK(contains(bad({"-D", ""}), "'-D' needs a file name"));
}

TEST_CASE("accelerator selection", "[config][accel]") {
    CHECK(ok({"-accel", "interp"}).accel == "interp");
    CHECK(ok({"-accel", "jit"}).accel == "jit");
    CHECK(ok({"--accel", "jit"}).accel == "jit");
    CHECK(ok({"-accel", "lockstep"}).accel == "lockstep");

    const auto tcg = bad({"-accel", "tcg"});
    CHECK(contains(tcg, "'tcg'"));
    CHECK(contains(tcg, "QEMU accelerator"));
    CHECK(contains(tcg, "interp"));
    CHECK(contains(bad({"-accel", "kvm"}), "QEMU accelerator"));
    CHECK(contains(bad({"-accel", "fast"}), "unknown accelerator 'fast'"));
    CHECK(contains(bad({"-accel", "jit,thread=multi"}), "takes no properties"));
    CHECK(bad({"-accel"}) == "tx86: option '-accel' needs an argument");
}

TEST_CASE("help and version stop parsing", "[config]") {
    CHECK(ok({"--help"}).show_help);
    CHECK(ok({"-help"}).show_help);
    CHECK(ok({"-h"}).show_help);
    CHECK(ok({"--version"}).show_version);
    CHECK(ok({"-version"}).show_version);
    // Like QEMU, -h acts immediately: later garbage is not even looked at...
    CHECK(ok({"-h", "-bogus"}).show_help);
    // ...but earlier garbage is still an error.
    CHECK(contains(bad({"-bogus", "-h"}), "unknown option '-bogus'"));
}

TEST_CASE("unknown options and stray words", "[config]") {
    CHECK(bad({"-foo"}) == "tx86: unknown option '-foo' (try --help)");
    CHECK(contains(bad({"--foo"}), "unknown option '--foo'"));
    CHECK(contains(bad({"-hda", "disk.img"}), "unknown option '-hda'"));
    CHECK(contains(bad({"-"}), "unexpected argument '-'"));
    CHECK(contains(bad({"--"}), "unknown option '--'"));
    CHECK(contains(bad({"disk.img"}), "unexpected argument 'disk.img'"));
    // Option names are case-sensitive: -d and -D differ.
    CHECK(contains(bad({"-M", "pc"}), "unknown option '-M'"));
    CHECK(contains(bad({"-nographic", "-no_reboot"}), "unknown option '-no_reboot'"));
}

TEST_CASE("a full QEMU-style command line", "[config]") {
    auto c = ok({"-m", "512M", "-nographic", "-no-reboot", "-kernel", "bzImage", "-append",
                 "console=ttyS0", "-debugcon", "file:e9.log", "-d", "int", "-D", "log.txt", "-accel", "jit"});
    CHECK(c.ram_bytes == 512 * kMiB);
    CHECK(c.nographic);
    CHECK(c.no_reboot);
    CHECK(c.serial.kind == CharDevSpec::Stdio);
    CHECK(c.debugcon == CharDevSpec{CharDevSpec::File, "e9.log"});
    CHECK(c.log_items == "int");
    CHECK(c.log_file == "log.txt");
    CHECK(c.accel == "jit");
}

TEST_CASE("help text lists every option", "[config]") {
    const auto h = frontend::help_text();
    for (const char* opt : {"-h", "-version", "-m ", "-accel", "-bios", "-kernel", "-initrd", "-append",
                            "-no-reboot", "-nographic", "-serial", "-debugcon", "-d ", "-D "}) {
        INFO(opt);
        CHECK(contains(h, opt));
    }
}
