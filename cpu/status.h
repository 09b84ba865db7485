// SPDX-License-Identifier: MIT
// Status: how an instruction step, memory access or delivery ended. Architectural faults are
// values (Status::Fault + Cpu::fault), never C++ exceptions or longjmp.
#pragma once

#include "base/types.h"

namespace cpu {

enum class [[nodiscard]] Status : u8 {
    Ok = 0,
    Fault, ///< an exception is pending in Cpu::fault; the instruction did not retire
    Stop,  ///< the CPU must stop running (shutdown after triple fault, reset request)
};

/// Exception vectors.
enum Vector : u8 {
    kVecDE = 0, kVecDB = 1, kVecNMI = 2, kVecBP = 3, kVecOF = 4, kVecBR = 5, kVecUD = 6,
    kVecNM = 7, kVecDF = 8, kVecTS = 10, kVecNP = 11, kVecSS = 12, kVecGP = 13, kVecPF = 14,
    kVecMF = 16, kVecAC = 17, kVecMC = 18, kVecXM = 19,
};

struct Fault {
    u8 vector = 0;
    bool has_error = false;
    u32 error = 0;
};

} // namespace cpu

/// Propagates a non-Ok Status to the caller (cf. v86's return_on_pagefault!).
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if (const ::cpu::Status tx86_status_ = (expr); tx86_status_ != ::cpu::Status::Ok)          \
            [[unlikely]] {                                                                         \
            return tx86_status_;                                                                   \
        }                                                                                          \
    } while (0)
