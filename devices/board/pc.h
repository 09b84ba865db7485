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
#include "devices/acpi/piix4_pm.h"
#include "devices/char/uart16550.h"
#include "devices/firmware/fw_cfg.h"
#include "devices/intc/ioapic.h"
#include "devices/intc/lapic.h"
#include "devices/pci/i440fx.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/piix3.h"
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

#include <functional>
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
    /// Deterministic clock (QEMU's -icount): virtual time advances by `ns_per_insn` per
    /// executed instruction. Otherwise (the default) virtual time is host monotonic time.
    bool icount = false;
    u64 ns_per_insn = 1;
    /// Fixed RTC start (Unix seconds) for reproducible runs; negative = host time.
    i64 rtc_start = -1;
    /// Execution engine: "jit" (the binary translator), "interp" or "lockstep" (both, compared).
    std::string accel = "jit";
};

/// Exit status of tx86 when the guest triple-faults under -no-reboot.
inline constexpr int kTripleFaultStatus = 4;

/// How a run ended.
struct RunResult {
    int exit_status = 0;
    std::string message; ///< printed by the frontend when not empty
};

/// Fans each ISA IRQ out to both interrupt controllers, as the PC's wiring does: the 8259A pair
/// and the I/O APIC (where ISA IRQ0, the PIT, arrives on pin 2).
class IsaIrqFanout final : public IrqSink {
public:
    IsaIrqFanout(IrqSink& pic, IrqSink& ioapic) : m_pic(pic), m_ioapic(ioapic) {}
    void set_irq(unsigned line, bool level) override {
        m_pic.set_irq(line, level);
        if (line == 0) {
            m_ioapic.set_irq(2, level);
        } else if (line != 2) {
            m_ioapic.set_irq(line, level);
        }
    }

private:
    IrqSink& m_pic;
    IrqSink& m_ioapic;
};

/// Wraps an MMIO device so that the virtual clock is brought up to date before each access
/// (the local APIC's timer count must be exact when read).
class ClockedMmio final : public mmu::MmioOps {
public:
    ClockedMmio(mmu::MmioOps& inner, std::function<void()> sync)
        : m_inner(inner), m_sync(std::move(sync)) {}
    u64 mmio_read(u64 offset, unsigned size) override {
        m_sync();
        return m_inner.mmio_read(offset, size);
    }
    void mmio_write(u64 offset, unsigned size, u64 value) override {
        m_sync();
        m_inner.mmio_write(offset, size, value);
    }

private:
    mmu::MmioOps& m_inner;
    std::function<void()> m_sync;
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

    // ---- automatic reports (the frontend's flight-recorder dumps, frontend/flight_dumps.h) ----
    /// Called when the guest triple-faults, before the machine resets or run() returns: the
    /// CPU state is still that of the failure.
    std::function<void()> on_triple_fault;
    /// Called when a watchpoint stops the CPU (Cpu::debug_hit), before a debugger hears of it.
    std::function<void()> on_watchpoint;

    // ---- run control (the gdb stub, the monitor, -S) ----
    /// Stops running guest instructions: run() then only pumps host events (HostEvents::wait
    /// blocks on host input). Takes effect between two CPU runs, so the state is consistent
    /// when the next pump sees it. The virtual clock stops too, as QEMU's does, so a resumed
    /// guest does not see the paused time as a flood of timer ticks.
    void pause();
    /// Runs the guest again. A breakpoint at the current instruction does not stop it at once
    /// (the debugger resumes from it).
    void resume();
    bool paused() const { return m_run_state == RunState::Paused; }
    /// While paused: executes one instruction with interrupts held off (QEMU's default step),
    /// then pauses again and reports through on_debug_stop. A halted CPU first waits for
    /// its interrupt, and the step ends at the handler's entry.
    void request_step();
    /// Linear address of the next instruction (CS base + rIP).
    u64 pc_linear() const;
    /// Called when the guest stops for a debugger: a breakpoint or watchpoint hit (the CPU's
    /// debug_hit says which) or the end of a request_step() (debug_hit kind None). The board
    /// is paused during the call. Returning true keeps it paused (a debugger took the stop);
    /// false, or no callback, lets the guest continue as if nothing had happened.
    std::function<bool()> on_debug_stop;

    // cpu::CpuEnv
    u32 port_in(u16 port, unsigned size) override;
    void port_out(u16 port, unsigned size, u32 value) override;
    u8 acknowledge_interrupt() override;
    u64 tsc() override;
    void shutdown(cpu::ShutdownKind kind) override;
    void apic_base_changed(u64 value) override;

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
    /// The clock's value for the instruction being executed (icount or host time).
    u64 clock_now() const;
    static u64 host_ns();
    void update_a20();
    /// Asks the CPU to stop (reset, power-off, isa-debug-exit), translated code included.
    void stop_cpu();
    void wire_pci_and_acpi();
    void setup_firmware_tables();
    void map_lapic();
    void apply_pam(unsigned index, u8 value);
    void reset_machine();
    enum class RunState : u8 { Running, Paused, Stepping };
    void set_run_state(RunState st);
    /// The CPU returned RunExit::Debug, or finished a step: tells on_debug_stop, stays paused
    /// if it took the stop, and otherwise lets the guest continue past it.
    void debug_stop();

    BoardConfig m_config;
    mmu::PhysMap m_phys;
    IoBus m_io;
    Scheduler m_sched;
    std::unique_ptr<cpu::Cpu> m_cpu;
    std::unique_ptr<cpu::ExecutionEngine> m_engine;
    CharSink m_null_sink;
    std::unique_ptr<I8259> m_pic;
    std::unique_ptr<IoApic> m_ioapic;
    std::unique_ptr<Lapic> m_lapic;
    std::unique_ptr<IsaIrqFanout> m_isa_irq;
    std::unique_ptr<ClockedMmio> m_lapic_mmio;
    std::unique_ptr<ClockedMmio> m_ioapic_mmio;
    u64 m_lapic_mapped = 0; ///< base of the mapped LAPIC page (0 = unmapped)
    std::unique_ptr<PciBus> m_pci;
    std::unique_ptr<I440fx> m_host_bridge;
    std::unique_ptr<Piix3> m_piix3;
    std::unique_ptr<Piix4Pm> m_pm;
    std::unique_ptr<FwCfg> m_fw_cfg;
    std::vector<u8> m_shadow; ///< shadow RAM for 0xC0000-0xFFFFF (BIOS boot, PAM)
    bool m_power_off = false;
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
    u64 m_ram_below_4g = 0; ///< end of guest RAM below 4 GiB
    u64 m_ram_usable_top = 0; ///< end of RAM the OS may use (ACPI tables sit above it)
    bool m_shutdown = false;
    bool m_reset_requested = false;
    bool m_quit = false;
    RunState m_run_state = RunState::Running;
    u64 m_paused_at = 0;     ///< host time when the virtual clock stopped (host-clock mode)
    bool m_hold_irqs = false; ///< a step runs: the INTR line stays low for the CPU
    bool m_intr_level = false; ///< the interrupt controllers' INTR output
    cpu::ShutdownKind m_shutdown_kind = cpu::ShutdownKind::TripleFault;
    // Clock bookkeeping for the current CPU run.
    u64 m_chunk_ns = 0;
    u64 m_chunk_icount = 0;
    /// Host-clock mode: host time at creation, and the measured guest instructions per ns
    /// used to size CPU runs to the next timer deadline.
    u64 m_host_start = 0;
    double m_insn_per_ns = 0.05;
};

} // namespace devices
