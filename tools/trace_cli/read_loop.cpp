// SPDX-License-Identifier: MIT
// The tx86-trace read loop.
#include "tools/trace_cli/read_loop.h"

#include "tools/trace_cli/cli.h"

namespace trace_cli {

int read_through(tools::TraceFileReader& reader, tools::StreamSink& head,
                 const std::function<bool()>& enough) {
    std::string message;
    for (;;) {
        const tools::TraceFileReader::Step s = reader.next(head, message);
        switch (s) {
        case tools::TraceFileReader::Step::Chunk:
            if (enough && enough()) {
                head.finish();
                return kOk;
            }
            continue;
        case tools::TraceFileReader::Step::End:
            head.finish();
            return kOk;
        case tools::TraceFileReader::Step::Truncated:
            head.finish();
            complain("warning: " + message);
            return kOk;
        case tools::TraceFileReader::Step::Corrupt:
            head.finish();
            complain(message);
            return kFileError;
        }
    }
}

bool open_trace(tools::TraceFileReader& reader, const std::string& path) {
    std::string error;
    if (!reader.open(path, error)) {
        complain(error);
        return false;
    }
    return true;
}

} // namespace trace_cli
