// SPDX-License-Identifier: MIT
#include "mmu/phys_map.h"

#include "base/check.h"

#include <algorithm>
#include <cstring>

namespace mmu {

PhysMap::PhysMap() : m_pages(kSpace >> kPageShift) {}

PhysMap::~PhysMap() = default;

u8* PhysMap::add_ram(u64 base, u64 size, const std::string& name) {
    TX86_CHECK(base % kPageSize == 0 && size % kPageSize == 0 && base + size <= kSpace,
               name.c_str());
    // Zeroed, committed only where touched, on huge pages where the host gives them: with
    // 4 KiB host pages each guest page needs a host TLB entry of its own, and workloads that
    // touch many pages (fork+exec) spend their time in host page walks.
    m_ram_blocks.emplace_back(size);
    u8* host = m_ram_blocks.back().data();
    map_host(base, size, host, true, name);
    return host;
}

void PhysMap::map_host(u64 base, u64 size, u8* host, bool writable, const std::string& name) {
    TX86_CHECK(base % kPageSize == 0 && base + size <= kSpace, name.c_str());
    for (u64 off = 0; off < size; off += kPageSize) {
        Entry& e = m_pages[(base + off) >> kPageShift];
        e = Entry{host + off, nullptr, 0, writable};
    }
    ++m_generation;
}

void PhysMap::add_mmio(u64 base, u64 size, MmioOps* ops, const std::string& name) {
    TX86_CHECK(base % kPageSize == 0 && base + size <= kSpace, name.c_str());
    for (u64 off = 0; off < size; off += kPageSize) {
        m_pages[(base + off) >> kPageShift] = Entry{nullptr, ops, base, false};
    }
    ++m_generation;
}

void PhysMap::unmap(u64 base, u64 size) {
    for (u64 off = 0; off < size && base + off < kSpace; off += kPageSize) {
        m_pages[(base + off) >> kPageShift] = Entry{};
    }
    ++m_generation;
}

PageLookup PhysMap::lookup(u64 pa) const {
    pa &= m_a20_mask;
    if (pa >= kSpace) {
        return {};
    }
    const Entry& e = m_pages[pa >> kPageShift];
    const bool watched = e.writable && m_watch_count.get(pa >> kPageShift) != 0;
    return PageLookup{e.host, e.writable && !watched, e.mmio, e.mmio_base};
}

u8* PhysMap::ram_ptr(u64 pa) const {
    pa &= m_a20_mask;
    if (pa >= kSpace) {
        return nullptr;
    }
    const Entry& e = m_pages[pa >> kPageShift];
    if (!e.host || !e.writable) {
        return nullptr;
    }
    return e.host + (pa & (kPageSize - 1));
}

void PhysMap::add_watcher(WriteWatcher* w) { m_watchers.push_back(w); }

void PhysMap::remove_watcher(WriteWatcher* w) {
    m_watchers.erase(std::remove(m_watchers.begin(), m_watchers.end(), w), m_watchers.end());
}

u64 PhysMap::read(u64 pa, unsigned size) {
    pa &= m_a20_mask;
    const u64 off = pa & (kPageSize - 1);
    if (off + size > kPageSize) {
        u64 v = 0;
        for (unsigned i = 0; i < size; ++i) {
            v |= read(pa + i, 1) << (8 * i);
        }
        return v;
    }
    const PageLookup l = lookup(pa);
    if (l.host) {
        u64 v = 0;
        std::memcpy(&v, l.host + off, size);
        return v;
    }
    if (l.mmio) {
        return l.mmio->mmio_read(pa - l.mmio_base, size);
    }
    return size >= 8 ? ~u64{0} : (u64{1} << (8 * size)) - 1;
}

void PhysMap::write(u64 pa, unsigned size, u64 value) {
    pa &= m_a20_mask;
    const u64 off = pa & (kPageSize - 1);
    if (off + size > kPageSize) {
        for (unsigned i = 0; i < size; ++i) {
            write(pa + i, 1, value >> (8 * i));
        }
        return;
    }
    if (pa >= kSpace) {
        return;
    }
    const Entry& e = m_pages[pa >> kPageShift];
    if (e.host) {
        if (!e.writable) {
            return; // ROM
        }
        if (m_watch_count.get(pa >> kPageShift) != 0) [[unlikely]] {
            const u64 mask = size >= 8 ? ~u64{0} : (u64{1} << (8 * size)) - 1;
            u64 old = 0;
            std::memcpy(&old, e.host + off, size);
            std::memcpy(e.host + off, &value, size);
            for (WriteWatcher* w : m_watchers) {
                w->watched_write(pa, size, old & mask, value & mask);
            }
            return;
        }
        std::memcpy(e.host + off, &value, size);
        return;
    }
    if (e.mmio) {
        e.mmio->mmio_write(pa - e.mmio_base, size, value);
    }
}

template <typename Fn> void PhysMap::page_runs(u64 pa, usize n, Fn fn) const {
    usize done = 0;
    while (done < n) {
        const u64 a = pa & m_a20_mask;
        const usize len = static_cast<usize>(std::min<u64>(n - done, kPageSize - (a & (kPageSize - 1))));
        fn(pa, a < kSpace ? &m_pages[a >> kPageShift] : nullptr, done, len);
        pa += len;
        done += len;
    }
}

void PhysMap::read_bytes(u64 pa, void* dst, usize n) {
    // RAM is copied a page at a time (FXSAVE images, DMA buffers); anything else goes
    // through read() byte by byte.
    u8* d = static_cast<u8*>(dst);
    page_runs(pa, n, [&](u64 run, const Entry* e, usize at, usize len) {
        if (e && e->host) {
            std::memcpy(d + at, e->host + ((run & m_a20_mask) & (kPageSize - 1)), len);
            return;
        }
        for (usize i = 0; i < len; ++i) {
            d[at + i] = static_cast<u8>(read(run + i, 1));
        }
    });
}

void PhysMap::write_bytes(u64 pa, const void* src, usize n) {
    // Writable RAM that no watcher follows is copied a page at a time; ROM, MMIO and watched
    // pages take write() byte by byte, so watchers still see each byte's old value.
    const u8* s = static_cast<const u8*>(src);
    page_runs(pa, n, [&](u64 run, const Entry* e, usize at, usize len) {
        const u64 a = run & m_a20_mask;
        if (e && e->host && e->writable && m_watch_count.get(a >> kPageShift) == 0) {
            std::memcpy(e->host + (a & (kPageSize - 1)), s + at, len);
            return;
        }
        for (usize i = 0; i < len; ++i) {
            write(run + i, 1, s[at + i]);
        }
    });
}

} // namespace mmu
