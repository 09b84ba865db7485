// SPDX-License-Identifier: MIT
// dump_tail: prints the last instructions of a run of records (the flight recorder's dump,
// shared by Recorder and FlightRing).
#pragma once

#include "base/types.h"
#include "cpu/trace_record.h"

#include <cstdio>
#include <span>

namespace tools {

class BlockTable;

/// Consecutive records, part of one stream.
using RecordRun = std::span<const cpu::TraceRecord>;

/// Decodes `records` (one stream, oldest first; `cr3` in force before the first, `end_icount`
/// the instruction counter now) and prints to `out` the last `max_insns` instructions with the
/// events among them, under a header with their count and instruction counts.
void dump_tail(const BlockTable& table, std::span<const RecordRun> records, u64 cr3,
               u64 end_icount, std::FILE* out, u64 max_insns);

} // namespace tools
