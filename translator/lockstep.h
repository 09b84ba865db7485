// SPDX-License-Identifier: MIT
// LockstepEngine (-accel lockstep): runs the guest twice from the same state, stretch by stretch
// (up to kUnit instructions, many translated blocks), first with the interpreter (the reference)
// and then translated, and compares the architectural state and the memory written. The
// reference run's writes are logged and undone before the translated run. A stretch ends
// before any device access (MMIO, port I/O, the clock), and the translator runs that one
// instruction alone, so no device sees an access twice. At the first difference it replays the
// stretch block by block, narrows the first differing block down to one instruction, prints
// both states and exits with status 5.
#pragma once

#include "cpu/interp/interpreter.h"
#include "translator/jit_engine.h"

namespace translator {

class LockstepEngine final : public cpu::ExecutionEngine {
public:
    LockstepEngine() = default;
    ~LockstepEngine() override;
    cpu::RunExit run(cpu::Cpu& cpu, u64 budget) override;
    void invalidate_code(u64 pa, u64 len) override {
        m_jit.invalidate_code(pa, len);
        m_interp.invalidate_code(pa, len);
    }
    void tlb_flushed() override { m_jit.tlb_flushed(); }

    /// Exit status after a divergence.
    static constexpr int kDivergenceStatus = 5;

private:
    struct RefResult {
        cpu::CpuState state;
        u64 icount = 0;
        bool compared = false; ///< false: touched a device (or shut down): not comparable
        std::vector<std::pair<u64, std::vector<u8>>> written; ///< final bytes of each write
        std::vector<cpu::WriteRecord> undo;                   ///< its writes, with the old bytes
    };
    /// Runs the reference for `n` instructions from the current state, then restores the state
    /// and undoes its writes.
    RefResult reference(cpu::Cpu& cpu, u64 n);
    /// Differences between two states (empty when equal).
    static std::string diff(const cpu::CpuState& a, u64 ia, const cpu::CpuState& b, u64 ib);
    [[noreturn]] void report(cpu::Cpu& cpu, const cpu::CpuState& s0, u64 ic0, Block* b,
                             const std::vector<cpu::WriteRecord>& undo, const std::string& first_diff);
    void undo_writes(cpu::Cpu& cpu, const std::vector<cpu::WriteRecord>& log);
    /// Compares the next block alone (`room`: instructions left in the budget).
    cpu::RunExit compare_block(cpu::Cpu& cpu, u64 room);
    /// Compares the next `n` instructions (many blocks, chained as usual) in one stretch.
    cpu::RunExit compare_unit(cpu::Cpu& cpu, u64 n);
    /// After a stretch differed: replays it block by block to report the first instruction.
    [[noreturn]] void locate(cpu::Cpu& cpu, const cpu::CpuState& s0, u64 ic0, u64 n, const RefResult& r,
                             const std::string& d);

    JitEngine m_jit;
    cpu::interp::Interpreter m_interp; ///< the reference
    /// Instructions per compared stretch when no interrupt is pending.
    static constexpr u64 kUnit = 4096;
    u64 m_units_compared = 0;
    u64 m_blocks_compared = 0;
    u64 m_insns_compared = 0;
    u64 m_blocks_skipped = 0;
};

} // namespace translator
