// SPDX-License-Identifier: MIT
// The two timeline renderers: a PNG picture and an HTML page with the same picture as inline
// SVG (hover titles on each column) and the summary as tables.
#pragma once

#include "tools/timeline/image.h"
#include "tools/timeline/timeline_model.h"

#include <string>

namespace timeline {

/// Draws the timeline (ring lanes, mode strip, transition strips, axis, legend).
Image draw_timeline(const Timeline& t);
/// The HTML page.
std::string timeline_html(const Timeline& t);

} // namespace timeline
