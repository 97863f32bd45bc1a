// The HTML5 named character references (generated into html_entities.cpp).
#pragma once

#include <cstddef>

namespace shape::clip_detail {

struct HtmlEntity {
  const char* name;  // e.g. "amp;" or the legacy form "amp"
  const char* utf8;  // replacement text, one or two code points
};

// Sorted bytewise by name.
extern const HtmlEntity kHtmlEntities[];
extern const size_t kHtmlEntityCount;

}  // namespace shape::clip_detail
