// SPDX-License-Identifier: MIT
// HugeRegion: zeroed anonymous memory on a 2 MiB boundary that asks the host for transparent
// huge pages. For the large tables translated code indexes at random (guest RAM, the TLB of
// each retained address space, the jump cache): on 4 KiB host pages each of their pages takes a
// host TLB entry of its own, and hosts set to give huge pages on request only (THP "madvise",
// Debian's default) never back plain malloc memory with them.
#pragma once

#include "base/types.h"

#include <memory>
#include <type_traits>

namespace base {

class HugeRegion {
public:
    HugeRegion() = default;
    explicit HugeRegion(usize bytes); ///< fails with a TX86_CHECK when the host has no memory
    ~HugeRegion();
    HugeRegion(HugeRegion&& o) noexcept { swap(o); }
    HugeRegion& operator=(HugeRegion&& o) noexcept {
        swap(o);
        return *this;
    }
    HugeRegion(const HugeRegion&) = delete;
    HugeRegion& operator=(const HugeRegion&) = delete;

    u8* data() const { return m_data; }
    usize size() const { return m_size; }

private:
    void swap(HugeRegion& o) noexcept;
    void* m_map = nullptr; ///< the whole mapping (m_data rounded up inside it)
    usize m_map_size = 0;
    u8* m_data = nullptr;
    usize m_size = 0;
};

/// n default-constructed Ts in a HugeRegion (T must be trivially destructible: the region is
/// unmapped without running destructors).
template <class T> class HugeArray {
    static_assert(std::is_trivially_destructible_v<T>);

public:
    HugeArray() = default;
    explicit HugeArray(usize n) : m_region(n * sizeof(T)) {
        m_data = reinterpret_cast<T*>(m_region.data());
        std::uninitialized_default_construct_n(m_data, n);
    }
    T* get() const { return m_data; }
    T& operator[](usize i) const { return m_data[i]; }

private:
    HugeRegion m_region;
    T* m_data = nullptr;
};

} // namespace base
