// SPDX-License-Identifier: MIT
// Why did the CPU shut down? Turns the record of the last failed exception delivery
// (Cpu::fault_chain, kept by cpu/exceptions.cpp) into an explanation a person can act on: the
// chain of vectors, and for each failed step the IDT gate, the GDT/LDT descriptor of its code
// segment, the TSS stack and its SS descriptor and the frame the delivery used — decoded — and
// what failed; then the registers and a one-line verdict. The failing check is re-derived by
// walking the same checks as delivery (SDM Vol. 3A, 6.12 and Vol. 2 "INT n") against the
// tables as they are now, reading guest memory without side effects (cpu/guest_peek.h); a
// disagreement with the recorded fault is reported, not hidden.
// Not here: delivery itself (cpu/exceptions.cpp), printing or when to print (frontend/).
#pragma once

#include "base/types.h"
#include "cpu/status.h"

#include <string>
#include <vector>

namespace cpu {

class Cpu;

/// What delivering one exception runs into, as the tables are now.
struct DeliveryDiagnosis {
    bool found = false;      ///< a failing check was found (`fault` and `failure` are valid)
    Fault fault;             ///< the fault that check raises
    u64 fault_address = 0;   ///< for a #PF: the linear address (CR2)
    std::string failure;     ///< what failed, e.g. "IDT entry 14: gate not present (P=0)"
    std::vector<std::string> used; ///< the entries the delivery read, decoded, in order
};

/// Walks the delivery of exception `event` (as deliver_exception would, in the current mode
/// and privilege) and reports the first check that fails.
DeliveryDiagnosis diagnose_delivery(Cpu& cpu, const Fault& event);

/// The explanation of the escalation recorded in cpu.fault_chain: several lines, each ending
/// in '\n', the last one starting with "verdict:".
std::string explain_triple_fault(Cpu& cpu);

} // namespace cpu
