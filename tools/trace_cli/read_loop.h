// SPDX-License-Identifier: MIT
// The read loop the tx86-trace commands share: open a trace file, pump its chunks through a
// sink chain, and turn the reader's verdict into a warning (cut short) or an error (corrupt).
#pragma once

#include "tools/trace/stream.h"
#include "tools/trace/trace_reader.h"

#include <functional>
#include <string>

namespace trace_cli {

/// Opens `path`; on failure prints why and returns false.
bool open_trace(tools::TraceFileReader& reader, const std::string& path);

/// Reads the whole file into `head` (stopping early once `enough` says so, checked between
/// chunks: a filter that is done, a print limit reached), then calls head.finish(). kOk, also for a
/// file cut short (after a warning), or kFileError for a corrupt one.
int read_through(tools::TraceFileReader& reader, tools::StreamSink& head,
                 const std::function<bool()>& enough);

} // namespace trace_cli
