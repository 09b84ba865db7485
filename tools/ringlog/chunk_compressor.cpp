// SPDX-License-Identifier: MIT
// The background zlib compressor of ring log files (chunk_compressor.h).
#include "tools/ringlog/chunk_compressor.h"

#include <zlib.h>

namespace ringlog {

ChunkCompressor::ChunkCompressor(std::FILE* file, int level, Transform transform)
    : m_file(file), m_level(level), m_transform(transform), m_thread([this] { run(); }) {}

ChunkCompressor::~ChunkCompressor() { finish(); }

std::vector<u8> ChunkCompressor::take_buffer() {
    std::lock_guard lock(m_mutex);
    if (m_free.empty()) {
        return {};
    }
    std::vector<u8> b = std::move(m_free.back());
    m_free.pop_back();
    b.clear();
    return b;
}

void ChunkCompressor::submit(std::vector<u8> chunk) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return m_queue.size() < kMaxQueued || m_finished; });
    if (m_finished) {
        return;
    }
    m_queue.push_back(std::move(chunk));
    m_changed.notify_all();
}

bool ChunkCompressor::finish() {
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
        m_changed.notify_all();
    }
    if (m_thread.joinable()) {
        m_thread.join();
    }
    std::lock_guard lock(m_mutex);
    return !m_failed;
}

u64 ChunkCompressor::bytes_written() const {
    std::lock_guard lock(m_mutex);
    return m_bytes;
}

void ChunkCompressor::run() {
    z_stream s{};
    bool ok = deflateInit(&s, m_level) == Z_OK;
    std::vector<u8> out, scratch;
    for (;;) {
        std::vector<u8> chunk;
        bool last;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return !m_queue.empty() || m_closing; });
            if (!m_queue.empty()) {
                chunk = std::move(m_queue.front());
                m_queue.pop_front();
                m_changed.notify_all(); // room for the producer
            }
            last = m_closing && m_queue.empty();
        }
        if (m_transform && !chunk.empty()) {
            m_transform(chunk, scratch);
        }
        if (ok) {
            // Compress the chunk, flushing the stream (Z_FINISH for the last one).
            s.next_in = chunk.data();
            s.avail_in = static_cast<uInt>(chunk.size());
            out.resize(deflateBound(&s, static_cast<uLong>(chunk.size())) + 64);
            const int flush = last ? Z_FINISH : Z_SYNC_FLUSH;
            int rc;
            do {
                s.next_out = out.data();
                s.avail_out = static_cast<uInt>(out.size());
                rc = deflate(&s, flush);
                const std::size_t n = out.size() - s.avail_out;
                const bool wrote = n == 0 || std::fwrite(out.data(), 1, n, m_file) == n;
                std::lock_guard lock(m_mutex);
                m_bytes += n;
                m_failed = m_failed || !wrote;
            } while (s.avail_out == 0 || (last && rc == Z_OK));
        }
        {
            std::lock_guard lock(m_mutex);
            if (!chunk.empty() || chunk.capacity() > 0) {
                m_free.push_back(std::move(chunk));
            }
            if (last) {
                break;
            }
        }
    }
    if (ok) {
        deflateEnd(&s);
    }
    const bool closed = std::fclose(m_file) == 0;
    std::lock_guard lock(m_mutex);
    m_failed = m_failed || !ok || !closed;
    m_finished = true;
    m_changed.notify_all();
}

} // namespace ringlog
