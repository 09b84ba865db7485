// SPDX-License-Identifier: MIT
// LockstepEngine (-accel lockstep): runs every block twice from the same state, first with the
// interpreter (the reference) and then translated, and compares the architectural state and the
// memory written. The reference run's writes are logged and undone before the translated run;
// a block whose reference run touches a device (MMIO, port I/O) is run once, translated, and
// not compared, so no device sees an access twice. At the first difference it narrows the
// block down to the first differing instruction, prints both states and exits with status 5.
#pragma once

#include "translator/jit_engine.h"

namespace translator {

class LockstepEngine final : public cpu::ExecutionEngine {
public:
    LockstepEngine() = default;
    ~LockstepEngine() override;
    cpu::RunExit run(cpu::Cpu& cpu, u64 budget) override;
    void invalidate_code(u64 pa, u64 len) override { m_jit.invalidate_code(pa, len); }
    void tlb_flushed() override { m_jit.tlb_flushed(); }

    /// Exit status after a divergence.
    static constexpr int kDivergenceStatus = 5;

private:
    struct RefResult {
        cpu::CpuState state;
        u64 icount = 0;
        bool compared = false; ///< false: touched a device (or shut down): not comparable
        std::vector<std::pair<u64, std::vector<u8>>> written; ///< final bytes of each write
    };
    /// Runs the reference for `n` instructions from the current state, then restores the state
    /// and undoes its writes.
    RefResult reference(cpu::Cpu& cpu, u64 n);
    /// Differences between two states (empty when equal).
    static std::string diff(const cpu::CpuState& a, u64 ia, const cpu::CpuState& b, u64 ib);
    [[noreturn]] void report(cpu::Cpu& cpu, const cpu::CpuState& s0, u64 ic0, Block* b,
                             const std::vector<std::pair<u64, std::vector<u8>>>& pages);

    JitEngine m_jit;
    u64 m_blocks_compared = 0;
    u64 m_insns_compared = 0;
    u64 m_blocks_skipped = 0;
};

} // namespace translator
