// SPDX-License-Identifier: MIT
#include "base/huge_pages.h"

#include "base/check.h"

#include <sys/mman.h>
#include <utility>

namespace base {

namespace {
constexpr usize kHuge = usize{2} << 20;
}

HugeRegion::HugeRegion(usize bytes) {
    // One huge page more than asked for, so that a 2 MiB boundary lies within the first.
    // MAP_NORESERVE: guest RAM is committed only where the guest touches it.
    m_map_size = bytes + kHuge;
    m_map = mmap(nullptr, m_map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    TX86_CHECK(m_map != MAP_FAILED, "cannot map host memory");
    m_data = reinterpret_cast<u8*>((reinterpret_cast<uptr>(m_map) + kHuge - 1) & ~(kHuge - 1));
    m_size = bytes;
    (void)madvise(m_data, bytes, MADV_HUGEPAGE); // advice only: without THP, 4 KiB pages
}

HugeRegion::~HugeRegion() {
    if (m_map != nullptr) {
        munmap(m_map, m_map_size);
    }
}

void HugeRegion::swap(HugeRegion& o) noexcept {
    std::swap(m_map, o.m_map);
    std::swap(m_map_size, o.m_map_size);
    std::swap(m_data, o.m_data);
    std::swap(m_size, o.m_size);
}

} // namespace base
