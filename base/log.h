// SPDX-License-Identifier: MIT
// Log channels (QEMU's -d vocabulary) and the one sink they write to (-D FILE or stderr).
#pragma once

#include "base/types.h"

#include <cstdarg>
#include <cstdio>
#include <string>
#include <string_view>

namespace base {

/// One bit per `-d` item.
enum LogChannel : u32 {
    kLogExec = 1u << 0,     ///< each executed instruction (-d exec / in_asm)
    kLogCpu = 1u << 1,      ///< register state before each instruction (-d cpu)
    kLogInt = 1u << 2,      ///< exceptions and interrupts delivered (-d int)
    kLogMmu = 1u << 3,      ///< page walks and TLB events (-d mmu)
    kLogGuestErr = 1u << 4, ///< guest did something odd (-d guest_errors)
    kLogUnimp = 1u << 5,    ///< unimplemented hardware touched (-d unimp)
    kLogJit = 1u << 6,      ///< translator events (-d jit)
    kLogRing = 1u << 7,     ///< privilege and mode transitions (-d ring; tools/ringlog)
};

/// Enabled channels; tested inline on hot paths.
extern u32 g_log_mask;

inline bool log_enabled(u32 channel) { return (g_log_mask & channel) != 0; }

/// Parses "exec,int,..." into a mask. Returns false and names the bad item in `bad`.
bool parse_log_items(std::string_view items, u32& mask, std::string& bad);

/// Sends logs to `path` (empty = stderr). Returns false if the file cannot be opened.
bool set_log_file(const std::string& path);

FILE* log_file();

void log_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

} // namespace base
