// SPDX-License-Identifier: MIT
// FaultChain: the record of the last exception whose delivery itself faulted — each failed
// step (the event being delivered, the fault its delivery raised, CR2 before and after), as
// deliver_exception (cpu/exceptions.cpp) escalates it towards #DF and shutdown. It costs
// nothing while deliveries succeed; cpu/fault_explain.h turns it into the triple-fault
// explanation. Not here: why a step failed (re-derived from the tables by the explainer).
#pragma once

#include "base/types.h"
#include "cpu/status.h"

#include <array>

namespace cpu {

/// One delivery that faulted.
struct DeliveryFailure {
    Fault delivering;   ///< the exception whose delivery was attempted
    Fault raised;       ///< what the attempt raised (#GP, #NP, #TS, #SS, #PF)
    u64 cr2_before = 0; ///< CR2 when the attempt began (the address of a #PF being delivered)
    u64 cr2_after = 0;  ///< CR2 after it (the address when `raised` is a #PF)
};

struct FaultChain {
    /// Escalations are short (at most a benign fault, a contributory one, #PF, #DF and the
    /// fault that ends it): steps beyond this are counted but not kept.
    static constexpr unsigned kMaxSteps = 8;

    std::array<DeliveryFailure, kMaxSteps> steps{};
    unsigned count = 0; ///< failed steps of the last escalation (may exceed kMaxSteps)
    u64 icount = 0;     ///< Cpu::icount when it happened

    /// Records failed step `step` (0 = the first of a new escalation, which replaces the
    /// previous record; `entry_cr2` is CR2 when that escalation's delivery began).
    void record(unsigned step, const Fault& delivering, const Fault& raised, u64 cr2,
                u64 entry_cr2, u64 at_icount) {
        if (step == 0) {
            count = 0;
            icount = at_icount;
        }
        if (count < kMaxSteps) {
            const u64 before = count == 0 ? entry_cr2 : steps[count - 1].cr2_after;
            steps[count] = DeliveryFailure{delivering, raised, before, cr2};
        }
        ++count;
    }
    unsigned kept() const { return count < kMaxSteps ? count : kMaxSteps; }
    /// True when the recorded escalation ended in a shutdown (its last step delivered #DF).
    bool ended_in_shutdown() const {
        return count > 0 && count <= kMaxSteps && steps[count - 1].delivering.vector == kVecDF;
    }
};

} // namespace cpu
