// SPDX-License-Identifier: MIT
#include "devices/board/pc.h"

#include "cpu/interp/interpreter.h"

#include <fstream>
#include <iterator>

namespace devices {

PcBoard::PcBoard() = default;
PcBoard::~PcBoard() = default;

std::string PcBoard::load_bios(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        return "cannot open BIOS image '" + path + "'";
    }
    m_bios.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (m_bios.empty()) {
        return "BIOS image '" + path + "' is empty";
    }
    if (m_bios.size() % 4096 != 0 || m_bios.size() > (16u << 20)) {
        return "BIOS image '" + path + "' must be a multiple of 4 KiB and at most 16 MiB (is " +
               std::to_string(m_bios.size()) + " bytes)";
    }
    const u64 size = m_bios.size();
    // The whole image ends at 4 GiB; its last 128 KiB (all of it if smaller) also ends at 1 MiB.
    m_phys.map_host((u64{1} << 32) - size, size, m_bios.data(), false, "bios");
    const u64 low = std::min<u64>(size, 128u << 10);
    m_phys.map_host((1u << 20) - low, low, m_bios.data() + size - low, false, "bios-low");
    return {};
}

std::string PcBoard::create(const BoardConfig& config) {
    m_config = config;
    if (config.ram_bytes < (1u << 20) || config.ram_bytes > (3584ull << 20)) {
        return "memory size must be between 1 MiB and 3584 MiB";
    }
    const u64 ram = (config.ram_bytes + 0xFFF) & ~u64{0xFFF};
    m_phys.add_ram(0, std::min<u64>(ram, 0xA0000), "ram-low");
    if (ram > (1u << 20)) {
        m_phys.add_ram(1u << 20, ram - (1u << 20), "ram-high");
    }
    if (!config.bios_path.empty()) {
        if (std::string e = load_bios(config.bios_path); !e.empty()) {
            return e;
        }
    }
    m_com1 = std::make_unique<Uart16550>(config.serial ? *config.serial : m_null_sink, 0x3F8);
    m_debugcon = std::make_unique<DebugCon>(config.debugcon ? *config.debugcon : m_null_sink);
    std::string err;
    if (!m_io.map(0x3F8, 8, m_com1.get(), "com1", kIo8, &err) ||
        !m_io.map(0xE9, 1, m_debugcon.get(), "debugcon", kIo8, &err) ||
        !m_io.map(0xF4, 1, &m_debug_exit, "isa-debug-exit", kIo8 | kIo16 | kIo32, &err)) {
        return err;
    }
    m_cpu = std::make_unique<cpu::Cpu>(m_phys, *this);
    m_engine = std::make_unique<cpu::interp::Interpreter>();
    m_cpu->set_engine(m_engine.get());
    return {};
}

u64 PcBoard::tsc() { return m_cpu ? m_cpu->icount : 0; }

void PcBoard::shutdown(cpu::ShutdownKind kind) {
    m_shutdown = true;
    m_shutdown_kind = kind;
}

RunResult PcBoard::run() {
    for (;;) {
        const cpu::RunExit ex = m_cpu->run(100000);
        if (m_debug_exit.requested()) {
            return RunResult{m_debug_exit.status(), {}};
        }
        if (ex == cpu::RunExit::Shutdown || m_shutdown) {
            m_shutdown = false;
            if (m_config.no_reboot) {
                return RunResult{0, m_shutdown_kind == cpu::ShutdownKind::TripleFault
                                        ? "guest triple fault: machine shut down (-no-reboot)"
                                        : "guest requested reset: exiting (-no-reboot)"};
            }
            m_cpu->reset();
            continue;
        }
        if (ex == cpu::RunExit::Stopped) {
            return RunResult{0, {}};
        }
        if (ex == cpu::RunExit::Halted) {
            // No device of this board can raise an interrupt yet, so a halt is final.
            return RunResult{0, "guest halted"};
        }
    }
}

} // namespace devices
