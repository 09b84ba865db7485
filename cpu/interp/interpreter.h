// SPDX-License-Identifier: MIT
// The interpreter: fetch, decode, dispatch to the row's handler, commit or deliver the fault.
// It is the reference engine and the translator's fallback for any instruction it does not
// lower itself.
#pragma once

#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"
#include "cpu/interp/decode_cache.h"

#include <optional>

namespace cpu::interp {

class Interpreter final : public ExecutionEngine {
public:
    Interpreter();
    ~Interpreter() override;
    RunExit run(Cpu& cpu, u64 budget) override;
    /// Runs until `n` more instructions have retired (a fault delivered on the way does not
    /// count), the CPU halts, or it shuts down (Status::Stop). Services no interrupts: the
    /// lockstep checker's reference run of one translated block.
    Status run_retired(Cpu& cpu, u64 n);
    /// Drops the decoded instructions overlapping [pa, pa+len) (see DecodeCache).
    void invalidate_code(u64 pa, u64 len) override;

private:
    /// step() through the decode cache (falls back to step() for anything unusual).
    Status step_cached(Cpu& cpu);
    /// Decodes and caches the instruction at `pa` (host bytes at `host`); nullptr when it
    /// cannot be cached (decode error, crosses the page).
    [[gnu::noinline]] const DecodedInsn* decode_miss(Cpu& cpu, const u8* host, u64 pa, CodeMode mode);

    /// Created on the first run (needs the PhysMap); held inline so the hot path saves a load.
    std::optional<DecodeCache> m_cache;
    /// The PhysMap's A20 mask, refreshed with the cache generation (set_a20 bumps it).
    u64 m_a20_mask = ~u64{0};
    /// The handler table (handlers.h HandlerTable::h), fetched once instead of per instruction.
    Status (*const* m_handlers)(Cpu&, const DecodedInsn&) = nullptr;
};

/// Executes exactly one instruction (or delivers one pending interrupt/exception) — the unit
/// the run loop, the lockstep checker and single-step tests share. Returns Status::Stop on
/// shutdown; Status::Ok otherwise (faults are delivered inside).
Status step(Cpu& cpu);

/// Checks for and delivers a pending NMI/INTR. Returns true if one was delivered.
bool service_interrupts(Cpu& cpu, Status& st);

} // namespace cpu::interp
