// SPDX-License-Identifier: MIT
// ChunkCompressor: deflates chunks of bytes (optionally rearranged first) into one zlib stream
// in a file, on a thread of its own, so that the thread producing the data (the emulated CPU, for the ring log) only copies
// bytes into a buffer. Chunks are compressed in order and each ends with a zlib sync flush, so
// a file whose writer was killed can still be read up to its last whole chunk. At most a few
// chunks wait at a time: a producer faster than the compressor waits for it, memory does not
// grow.
#pragma once

#include "base/types.h"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace ringlog {

class ChunkCompressor {
public:
    /// Rearranges a chunk before it is compressed (on the compressor thread); may use the
    /// second vector as scratch space.
    using Transform = void (*)(std::vector<u8>& chunk, std::vector<u8>& scratch);

    /// Compresses into `file` (owned from now on, closed by finish) at zlib `level`, passing
    /// each chunk through `transform` first when it is not null.
    ChunkCompressor(std::FILE* file, int level, Transform transform = nullptr);
    ~ChunkCompressor();
    ChunkCompressor(const ChunkCompressor&) = delete;
    ChunkCompressor& operator=(const ChunkCompressor&) = delete;

    /// An empty buffer to fill (a recycled one when there is one).
    std::vector<u8> take_buffer();
    /// Queues `chunk` for compression; waits while the queue is full.
    void submit(std::vector<u8> chunk);
    /// Compresses everything queued, ends the zlib stream and closes the file. Returns false
    /// when a write failed (or zlib could not start). Safe to call more than once.
    bool finish();
    /// Compressed bytes written so far (exact once finish returned).
    u64 bytes_written() const;

private:
    void run();

    static constexpr std::size_t kMaxQueued = 4;

    std::FILE* m_file;
    int m_level;
    Transform m_transform;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::vector<u8>> m_queue;
    std::vector<std::vector<u8>> m_free;
    bool m_closing = false;
    bool m_finished = false;
    bool m_failed = false;
    u64 m_bytes = 0;
    std::thread m_thread; ///< last: started once everything above exists
};

} // namespace ringlog
