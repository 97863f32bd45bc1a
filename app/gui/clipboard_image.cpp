#include "gui/clipboard_image.h"

#include <chrono>
#include <thread>

#include <X11/Xatom.h>
#include <X11/Xlibint.h>  // Display's resource_base and resource_mask: which windows are ours

// From GLFW's glfw3native.h, whose X11 part also wants the XRandR headers this does not use.
extern "C" Display* glfwGetX11Display(void);

namespace shape::studio {
namespace {

constexpr const char* kImageTypes[] = {"image/png", "image/jpeg", "image/webp", "image/bmp", "image/gif"};
constexpr auto kOwnerTimeout = std::chrono::milliseconds(1000);
constexpr size_t kMaxImageBytes = size_t{64} << 20;

// A window of our own to receive the selection on, destroyed with it.
class RequestWindow {
 public:
  explicit RequestWindow(Display* display)
      : display_(display), window_(XCreateSimpleWindow(display, DefaultRootWindow(display), 0, 0, 1, 1, 0, 0, 0)) {
    XSelectInput(display_, window_, PropertyChangeMask);
  }
  ~RequestWindow() {
    XDestroyWindow(display_, window_);
    XFlush(display_);
  }
  RequestWindow(const RequestWindow&) = delete;
  RequestWindow& operator=(const RequestWindow&) = delete;
  Window id() const { return window_; }

 private:
  Display* display_;
  Window window_;
};

// Waits for an event of `type` on `window` matching `accept`, until `deadline`.
template <typename Accept>
bool wait_for_event(Display* display, Window window, int type, XEvent& event,
                    std::chrono::steady_clock::time_point deadline, Accept accept) {
  while (std::chrono::steady_clock::now() < deadline) {
    XFlush(display);
    while (XCheckTypedWindowEvent(display, window, type, &event)) {
      if (accept(event)) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

struct Property {
  Atom type = None;
  int format = 0;
  std::vector<uint8_t> bytes;
};

// Reads and deletes `property` of `window` (whole: XGetWindowProperty's length is in 32-bit units).
Property take_property(Display* display, Window window, Atom property) {
  Property result;
  unsigned long items = 0, remaining = 0;
  unsigned char* data = nullptr;
  if (XGetWindowProperty(display, window, property, 0, static_cast<long>(kMaxImageBytes / 4), True, AnyPropertyType,
                         &result.type, &result.format, &items, &remaining, &data) != Success) {
    return result;
  }
  if (data != nullptr) {
    // Xlib hands 32-bit items as longs.
    const size_t item_size = result.format == 32 ? sizeof(long) : static_cast<size_t>(result.format / 8);
    result.bytes.assign(data, data + items * item_size);
    XFree(data);
  }
  if (remaining > 0) result.bytes.clear(), result.type = None;  // over kMaxImageBytes
  return result;
}

// Asks the owner of CLIPBOARD for `target` into `property` of `window`; false when it refuses or
// does not answer in time.
bool convert(Display* display, Window window, Atom clipboard, Atom target, Atom property,
             std::chrono::steady_clock::time_point deadline) {
  XConvertSelection(display, clipboard, target, property, window, CurrentTime);
  XEvent event;
  if (!wait_for_event(display, window, SelectionNotify, event, deadline,
                      [&](const XEvent& e) { return e.xselection.selection == clipboard; })) {
    return false;
  }
  return event.xselection.property != None;
}

}  // namespace

ClipboardImage read_clipboard_image(GLFWwindow* window) {
  ClipboardImage result;
  Display* display = glfwGetX11Display();
  if (display == nullptr || window == nullptr) return result;
  const Atom clipboard = XInternAtom(display, "CLIPBOARD", False);
  const Window owner = XGetSelectionOwner(display, clipboard);
  // Nobody owns it, or we do (GLFW's helper window, holding text we copied): it would answer only
  // from our own event loop, which this call is blocking.
  if (owner == None || (owner & ~display->resource_mask) == display->resource_base) return result;

  const RequestWindow request(display);
  const Atom property = XInternAtom(display, "SHAPE_STUDIO_PASTE", False);
  const auto deadline = std::chrono::steady_clock::now() + kOwnerTimeout;
  if (!convert(display, request.id(), clipboard, XInternAtom(display, "TARGETS", False), property, deadline)) {
    return result;
  }
  const Property targets = take_property(display, request.id(), property);
  if (targets.type != XA_ATOM || targets.format != 32) return result;
  const auto* offered = reinterpret_cast<const Atom*>(targets.bytes.data());
  const size_t offered_count = targets.bytes.size() / sizeof(Atom);
  Atom chosen = None;
  for (const char* type : kImageTypes) {
    const Atom atom = XInternAtom(display, type, False);
    for (size_t i = 0; i < offered_count && chosen == None; ++i) {
      if (offered[i] == atom) chosen = atom, result.type = type;
    }
    if (chosen != None) break;
  }
  if (chosen == None) return result;

  auto failed = [&](const std::string& why) {
    result.bytes.clear();
    result.error = "the clipboard's " + result.type + " " + why;
    return result;
  };
  if (!convert(display, request.id(), clipboard, chosen, property, deadline)) {
    return failed("was not handed over in time");
  }
  Property data = take_property(display, request.id(), property);
  const Atom incremental = XInternAtom(display, "INCR", False);
  if (data.type != incremental) {
    if (data.bytes.empty()) return failed("is empty or larger than 64 MB");
    result.bytes = std::move(data.bytes);
    return result;
  }
  // INCR: a large image comes in chunks, each announced by a new value of the property (deleting
  // it asks for the next one); an empty chunk ends it.
  const auto incremental_deadline = std::chrono::steady_clock::now() + 5 * kOwnerTimeout;
  for (;;) {
    XEvent event;
    if (!wait_for_event(display, request.id(), PropertyNotify, event, incremental_deadline, [&](const XEvent& e) {
          return e.xproperty.atom == property && e.xproperty.state == PropertyNewValue;
        })) {
      return failed("stopped arriving part way");
    }
    const Property chunk = take_property(display, request.id(), property);
    if (chunk.type == None) continue;  // an earlier notice (the INCR value itself), already taken
    if (chunk.bytes.empty()) break;
    result.bytes.insert(result.bytes.end(), chunk.bytes.begin(), chunk.bytes.end());
    if (result.bytes.size() > kMaxImageBytes) return failed("is larger than 64 MB");
  }
  if (result.bytes.empty()) return failed("is empty");
  return result;
}

}  // namespace shape::studio
