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

TEST_CASE("-rtc base sets where the guest's clock starts", "[config]") {
    CHECK(ok({}).rtc_start == -1);
    CHECK(ok({"-rtc", "base=utc"}).rtc_start == -1);
    CHECK(ok({"-rtc", "base=1970-01-01"}).rtc_start == 0);
    CHECK(ok({"-rtc", "base=2000-03-01T00:00:01"}).rtc_start == 951868801); // date -d @951868801
    CHECK(ok({"-rtc", "base=2024-02-29T23:59:59"}).rtc_start == 1709251199);
    CHECK(ok({"-rtc", "base=2024-01-01", "-rtc", "base=localtime"}).rtc_start == -1);
    CHECK(contains(bad({"-rtc", "base=2023-02-29"}), "invalid -rtc base '2023-02-29'"));
    CHECK(contains(bad({"-rtc", "base=2024-1-01"}), "invalid -rtc base"));
    CHECK(contains(bad({"-rtc", "base=2024-01-01T24:00:00"}), "invalid -rtc base"));
    CHECK(contains(bad({"-rtc", "base=1969-12-31"}), "invalid -rtc base"));
    CHECK(contains(bad({"-rtc", "clock=vm"}), "unsupported -rtc option 'clock=vm'"));
}

TEST_CASE("-trace-regs adds to a trace and needs the interpreter", "[config]") {
    CHECK(ok({"-trace-file", "t", "-trace-regs"}).trace.regs);
    CHECK(ok({"-d", "exec", "-trace-regs"}).trace.regs);
    CHECK_FALSE(ok({"-trace-file", "t"}).trace.regs);
    CHECK(contains(bad({"-trace-regs"}), "give -trace-file FILE or -d exec too"));
    CHECK(contains(bad({"-trace-file", "t", "-trace-regs", "-accel", "lockstep"}),
                   "cannot be used with -accel lockstep"));
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

// ---- instruction tracing options (tools/trace/trace_options.h) ----

TEST_CASE("tracing options: trace file, filters, window, triggers, exit count", "[config][trace]") {
    auto c = ok({"-d", "exec", "-trace-file", "boot.trace", "-dfilter", "0xc1000000..0xc2000000",
                 "-dcpl", "0", "-dcr3", "0x1234000", "--dicount", "1000+500", "-dstart", "port=0x80",
                 "-dstop", "addr=0xc1000123", "-exit-at-icount", "2000"});
    CHECK(c.trace.file == "boot.trace");
    REQUIRE(c.trace.filter.ranges.size() == 1);
    CHECK(c.trace.filter.ranges[0] == tools::AddrRange{0xc1000000, 0xc2000000});
    CHECK(c.trace.filter.cpl_mask == 1);
    CHECK(c.trace.filter.cr3s == std::vector<u64>{0x1234000});
    CHECK(c.trace.filter.icount_first == 1000);
    CHECK(c.trace.filter.icount_last == 1499);
    CHECK(c.trace.filter.start.kind == tools::TraceTrigger::Kind::Port);
    CHECK(c.trace.filter.stop.addr == 0xc1000123);
    CHECK(c.trace.exit_at_icount == 2000);
    CHECK(ok({}).trace == tools::TraceOptions{});
}

TEST_CASE("bad tracing options name the option and the value", "[config][trace]") {
    CHECK(contains(bad({"-dcpl", "5"}), "invalid -dcpl value '5'"));
    CHECK(contains(bad({"-dfilter", "0x10..0x1"}), "ends before it starts"));
    CHECK(contains(bad({"-dicount", "x"}), "-dicount"));
    CHECK(contains(bad({"-dstart", "pc=0x1"}), "-dstart"));
    CHECK(contains(bad({"-trace-file", ""}), "-trace-file"));
    CHECK(contains(bad({"-trace-file"}), "needs an argument"));
    CHECK(contains(bad({"-exit-at-icount", "0"}), "-exit-at-icount"));
    CHECK(contains(bad({"-exit-at-icount", "1e6"}), "'1e6'"));
}

TEST_CASE("help text lists the tracing options", "[config][trace]") {
    const auto h = frontend::help_text();
    for (const char* opt : {"-trace-file", "-dfilter", "-dcpl", "-dcr3", "-dicount", "-dstart", "-dstop",
                            "-exit-at-icount"}) {
        INFO(opt);
        CHECK(contains(h, opt));
    }
}

TEST_CASE("ring log options: -d ring and -ringlog", "[config][ringlog]") {
    CHECK(ok({"-d", "ring"}).log_items == "ring");
    const auto c = ok({"-ringlog", "/tmp/boot.ringlog", "-d", "int,ring", "-accel", "interp"});
    CHECK(c.ringlog_file == "/tmp/boot.ringlog");
    CHECK(c.log_items == "int,ring");
    CHECK(ok({}).ringlog_file.empty());
    CHECK(bad({"-ringlog"}) == "tx86: option '-ringlog' needs an argument");
    CHECK(contains(bad({"-ringlog", ""}), "'-ringlog' needs a file name"));
    // The lockstep engine runs every instruction twice: it would log each transition twice.
    CHECK(contains(bad({"-accel", "lockstep", "-ringlog", "x"}), "-accel lockstep"));
    CHECK(contains(bad({"-d", "ring", "-accel", "lockstep"}), "-accel lockstep"));
    CHECK(ok({"-d", "int", "-accel", "lockstep"}).accel == "lockstep");
    const auto h = frontend::help_text();
    CHECK(contains(h, "-ringlog"));
    CHECK(contains(h, "-d ring"));
}

// ---- the gdb stub and the monitor (frontend/gdb_stub.h, frontend/monitor_server.h) ----

TEST_CASE("gdb and monitor options in QEMU's spelling", "[config][gdb]") {
    auto c = ok({});
    CHECK_FALSE(c.gdb);
    CHECK_FALSE(c.start_paused);
    CHECK(c.monitor_socket.empty());
    CHECK(c.qmp_socket.empty());
    c = ok({"-s", "-S"});
    CHECK(c.gdb);
    CHECK(c.gdb_host.empty());
    CHECK(c.gdb_port == 1234);
    CHECK(c.start_paused);
    c = ok({"-gdb", "tcp::4321"});
    CHECK(c.gdb);
    CHECK(c.gdb_host.empty());
    CHECK(c.gdb_port == 4321);
    c = ok({"-gdb", "tcp:localhost:1235,server,nowait"});
    CHECK(c.gdb_host == "localhost");
    CHECK(c.gdb_port == 1235);
    CHECK(ok({"-gdb", "tcp:127.0.0.1:0"}).gdb_port == 0);
    CHECK_FALSE(ok({"-s", "-gdb", "none"}).gdb);
    c = ok({"-monitor", "unix:/tmp/m.sock,server,nowait", "-qmp", "unix:/tmp/q.sock,server=on,wait=off"});
    CHECK(c.monitor_socket == "/tmp/m.sock");
    CHECK(c.qmp_socket == "/tmp/q.sock");
    CHECK(ok({"-monitor", "unix:/tmp/m.sock,server", "-monitor", "none"}).monitor_socket.empty());
}

TEST_CASE("bad gdb and monitor options name the option and the value", "[config][gdb]") {
    CHECK(contains(bad({"-gdb", "tcp::99999"}), "invalid -gdb port '99999'"));
    CHECK(contains(bad({"-gdb", "tcp::"}), "invalid -gdb port ''"));
    CHECK(contains(bad({"-gdb", "tcp:host"}), "has no port"));
    CHECK(contains(bad({"-gdb", "1234"}), "unsupported -gdb device '1234'"));
    CHECK(contains(bad({"-gdb", "udp::1234"}), "tcp::PORT"));
    CHECK(contains(bad({"-gdb", "tcp::1234,ipv6"}), "unsupported -gdb option 'ipv6'"));
    CHECK(contains(bad({"-gdb"}), "needs an argument"));
    CHECK(contains(bad({"-monitor", "stdio"}), "Ctrl-A C"));
    CHECK(contains(bad({"-monitor", "unix:/tmp/m.sock"}), "add ',server,nowait'"));
    CHECK(contains(bad({"-monitor", "unix:,server"}), "unsupported -monitor device"));
    CHECK(contains(bad({"-qmp", "tcp::4444,server"}), "unsupported -qmp device"));
    CHECK(contains(bad({"-qmp", "unix:/tmp/q,server,telnet"}), "unsupported -qmp option 'telnet'"));
}

TEST_CASE("help text lists the gdb and monitor options", "[config][gdb]") {
    const auto h = frontend::help_text();
    for (const char* opt : {"-s ", "-S ", "-gdb tcp:", "-monitor unix:", "-qmp unix:"}) {
        INFO(opt);
        CHECK(contains(h, opt));
    }
}
