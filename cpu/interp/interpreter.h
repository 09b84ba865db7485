// SPDX-License-Identifier: MIT
// The interpreter: fetch, decode, dispatch to the row's handler, commit or deliver the fault.
// It is the reference engine and the translator's fallback for any instruction it does not
// lower itself.
#pragma once

#include "cpu/cpu.h"

namespace cpu::interp {

class Interpreter final : public ExecutionEngine {
public:
    RunExit run(Cpu& cpu, u64 budget) override;
    void invalidate_code(u64 pa, u64 len) override;
};

/// Executes exactly one instruction (or delivers one pending interrupt/exception) — the unit
/// the run loop, the lockstep checker and single-step tests share. Returns Status::Stop on
/// shutdown; Status::Ok otherwise (faults are delivered inside).
Status step(Cpu& cpu);

/// Checks for and delivers a pending NMI/INTR. Returns true if one was delivered.
bool service_interrupts(Cpu& cpu, Status& st);

} // namespace cpu::interp
