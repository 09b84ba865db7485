// SPDX-License-Identifier: MIT
// PcBoard: wires RAM, firmware, the CPU and the PC devices together, implements cpu::CpuEnv,
// keeps the virtual clock and runs the machine. The one place below frontend/ where cpu and
// devices meet. Not here: device models (devices/*), the terminal (frontend/).
#pragma once

#include "cpu/cpu.h"
#include "devices/board/boot_loader.h"
#include "devices/board/host_events.h"
#include "devices/char/char_sink.h"
#include "devices/char/debugcon.h"
#include "devices/char/uart16550.h"
#include "devices/input/i8042.h"
#include "devices/intc/i8259.h"
#include "devices/io_bus.h"
#include "devices/irq.h"
#include "devices/misc/debug_exit.h"
#include "devices/misc/port92.h"
#include "devices/scheduler.h"
#include "devices/timer/i8254.h"
#include "devices/timer/mc146818.h"
#include "mmu/phys_map.h"

#include <memory>
#include <string>
#include <vector>

namespace devices {

struct BoardConfig {
    u64 ram_bytes = 128ull << 20;
    std::string bios_path;   ///< raw BIOS image (used when no kernel is given)
    std::string kernel_path; ///< direct boot: bzImage or Multiboot kernel
    std::string initrd_path;
    std::string cmdline;
    CharSink* serial = nullptr;   ///< COM1 output (nullptr = discard)
    CharSink* debugcon = nullptr; ///< port 0xE9 output (nullptr = discard)
    bool no_reboot = false;
    /// Virtual nanoseconds per guest instruction: the clock devices and the TSC see.
    u64 ns_per_insn = 1;
    /// Fixed RTC start (Unix seconds) for reproducible runs; negative = host time.
    i64 rtc_start = -1;
};

/// How a run ended.
struct RunResult {
    int exit_status = 0;
    std::string message; ///< printed by the frontend when not empty
};

class PcBoard final : public cpu::CpuEnv, public IntrListener {
public:
    static constexpr u64 kTscHz = 1'000'000'000; ///< advertised TSC rate: 1 GHz of virtual time

    PcBoard();
    ~PcBoard() override;

    /// Builds the machine. Returns an error message (empty on success).
    std::string create(const BoardConfig& config);
    /// Runs until the guest exits, powers off, shuts down or the user quits.
    RunResult run(HostEvents* host = nullptr);

    cpu::Cpu& cpu() { return *m_cpu; }
    mmu::PhysMap& phys() { return m_phys; }
    IoBus& io() { return m_io; }
    Scheduler& scheduler() { return m_sched; }
    Uart16550& com1() { return *m_com1; }
    I8042& keyboard() { return *m_kbc; }
    /// Asks the run loop to stop (from the monitor's quit, or a signal).
    void request_quit() { m_quit = true; }

    // cpu::CpuEnv
    u32 port_in(u16 port, unsigned size) override;
    void port_out(u16 port, unsigned size, u32 value) override;
    u8 acknowledge_interrupt() override;
    u64 tsc() override;
    void shutdown(cpu::ShutdownKind kind) override;

    // IntrListener (the 8259A's INT output)
    void intr_changed(bool asserted) override;

private:
    std::string load_bios(const std::string& path);
    std::string boot_kernel();
    void build_e820();
    void fill_cmos();
    /// Brings the virtual clock up to the instruction being executed and fires due timers,
    /// so devices see exact time on every access.
    void sync_clock();
    void update_a20();

    BoardConfig m_config;
    mmu::PhysMap m_phys;
    IoBus m_io;
    Scheduler m_sched;
    std::unique_ptr<cpu::Cpu> m_cpu;
    std::unique_ptr<cpu::ExecutionEngine> m_engine;
    CharSink m_null_sink;
    std::unique_ptr<I8259> m_pic;
    std::unique_ptr<I8254> m_pit;
    std::unique_ptr<Mc146818> m_rtc;
    std::unique_ptr<I8042> m_kbc;
    std::unique_ptr<Port92> m_port92;
    std::unique_ptr<Uart16550> m_com1;
    std::unique_ptr<Uart16550> m_com2;
    std::unique_ptr<DebugCon> m_debugcon;
    DebugExit m_debug_exit;
    std::vector<u8> m_bios;
    std::vector<u8> m_low_rom; ///< writable copy of 0xE0000-0xFFFFF for direct boot tables
    std::vector<E820Entry> m_e820;
    u64 m_ram_below_4g = 0;
    bool m_shutdown = false;
    bool m_reset_requested = false;
    bool m_quit = false;
    cpu::ShutdownKind m_shutdown_kind = cpu::ShutdownKind::TripleFault;
    // Clock bookkeeping for the current CPU run.
    u64 m_chunk_ns = 0;
    u64 m_chunk_icount = 0;
};

} // namespace devices
