// SPDX-License-Identifier: MIT
// PcBoard: wires RAM, firmware, the CPU and the devices into a PC, implements cpu::CpuEnv,
// and runs the machine. The one place below frontend/ where cpu and devices meet.
#pragma once

#include "cpu/cpu.h"
#include "devices/char/char_sink.h"
#include "devices/char/debugcon.h"
#include "devices/char/uart16550.h"
#include "devices/io_bus.h"
#include "devices/misc/debug_exit.h"
#include "mmu/phys_map.h"

#include <memory>
#include <string>
#include <vector>

namespace devices {

struct BoardConfig {
    u64 ram_bytes = 128ull << 20;
    std::string bios_path;
    CharSink* serial = nullptr;   ///< COM1 output (nullptr = discard)
    CharSink* debugcon = nullptr; ///< port 0xE9 output (nullptr = discard)
    bool no_reboot = false;
};

/// How a run ended.
struct RunResult {
    int exit_status = 0;
    std::string message; ///< printed by the frontend when not empty
};

class PcBoard final : public cpu::CpuEnv {
public:
    PcBoard();
    ~PcBoard() override;

    /// Builds the machine. Returns an error message (empty on success).
    std::string create(const BoardConfig& config);
    /// Runs until the guest exits, shuts down or halts for good.
    RunResult run();

    cpu::Cpu& cpu() { return *m_cpu; }
    mmu::PhysMap& phys() { return m_phys; }
    IoBus& io() { return m_io; }

    // cpu::CpuEnv
    u32 port_in(u16 port, unsigned size) override { return m_io.read(port, size); }
    void port_out(u16 port, unsigned size, u32 value) override {
        m_io.write(port, size, value);
        // isa-debug-exit ends the run at once, as in QEMU: no further guest instruction runs.
        if (m_debug_exit.requested() && m_cpu) {
            m_cpu->request_stop();
        }
    }
    u8 acknowledge_interrupt() override { return 0x08; }
    u64 tsc() override;
    void shutdown(cpu::ShutdownKind kind) override;

private:
    std::string load_bios(const std::string& path);

    BoardConfig m_config;
    mmu::PhysMap m_phys;
    IoBus m_io;
    std::unique_ptr<cpu::Cpu> m_cpu;
    std::unique_ptr<cpu::ExecutionEngine> m_engine;
    CharSink m_null_sink;
    std::unique_ptr<Uart16550> m_com1;
    std::unique_ptr<DebugCon> m_debugcon;
    DebugExit m_debug_exit;
    std::vector<u8> m_bios;
    bool m_shutdown = false;
    cpu::ShutdownKind m_shutdown_kind = cpu::ShutdownKind::TripleFault;
};

} // namespace devices
