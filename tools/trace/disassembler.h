// SPDX-License-Identifier: MIT
// Disassembler: Capstone behind one call, for the lines tx86 prints (-d exec, tx86-trace
// print, the flight-recorder dump, the monitor's x/i). With tests, the only includer of Capstone. One instance
// per thread (Capstone handles are not shared).
#pragma once

#include "base/types.h"

#include <memory>
#include <string>

namespace tools {

class Disassembler {
  public:
    Disassembler();
    ~Disassembler();
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    /// "mnemonic operands" of the instruction in `bytes` (`code_bits` 16, 32 or 64) at
    /// `address` (relative branch targets are shown from it); "(bad)" if Capstone cannot.
    /// `decoded`, when given, receives the instruction's length (1 for "(bad)"), for callers
    /// that walk a byte range (the monitor's x/i).
    std::string text(const u8* bytes, usize length, u8 code_bits, u64 address,
                     unsigned* decoded = nullptr);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tools
