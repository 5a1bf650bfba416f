// One allocation per notification: std::allocate_shared with an allocator that asks for `extra`
// bytes more than the control block (which holds the Notification) needs, and hands that room's
// address to the Notification's constructor, which copies the fields' text into it.
#include "herald/notification.hpp"

#include <cstring>
#include <new>

#include "model/message.hpp"

namespace herald {
namespace {

struct Room {
  std::size_t extra = 0;
  char* text = nullptr;  // set by allocate(), read by the constructor that runs after it
};

template <typename T>
struct TrailingAllocator {
  using value_type = T;
  Room* room;

  explicit TrailingAllocator(Room* r) noexcept : room(r) {}
  template <typename U>
  TrailingAllocator(const TrailingAllocator<U>& other) noexcept : room(other.room) {}  // NOLINT

  T* allocate(std::size_t n) {
    // allocate_shared asks for one control block; its size is a multiple of its alignment, so
    // the room starts right after it.
    const std::size_t bytes = n * sizeof(T) + room->extra;
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    auto* raw = static_cast<char*>(::operator new(bytes));
    room->text = raw + n * sizeof(T);
    return reinterpret_cast<T*>(raw);
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(static_cast<void*>(p)); }
  template <typename U>
  friend bool operator==(const TrailingAllocator&, const TrailingAllocator<U>&) noexcept {
    return true;
  }
};

std::size_t text_size(const NotificationFields& f) {
  return f.notification_id.size() + f.project_id.size() + f.event_name.size() + f.event_id.size() +
         f.secret_name.size() + (f.version_id ? f.version_id->size() : 0) +
         f.target.target_type.size() + f.target.target_id.size() + f.target.target_name.size();
}

// Copies `from` to `at` and answers the view of the copy; `at` moves past it.
std::string_view copy(char*& at, std::string_view from) {
  if (from.empty()) return {};
  std::memcpy(at, from.data(), from.size());
  const std::string_view view(at, from.size());
  at += from.size();
  return view;
}

}  // namespace

Notification::Notification(Made, const NotificationFields& f, char* text)
    : trigger_event_type(f.trigger_event_type),
      secret_type(f.secret_type),
      trigger_time(f.trigger_time),
      format(f.format) {
  char* at = text;
  notification_id = copy(at, f.notification_id);
  project_id = copy(at, f.project_id);
  event_name = copy(at, f.event_name);
  event_id = copy(at, f.event_id);
  secret_name = copy(at, f.secret_name);
  if (f.version_id) version_id = copy(at, *f.version_id);
  target.target_type = copy(at, f.target.target_type);
  target.target_id = copy(at, f.target.target_id);
  target.target_name = copy(at, f.target.target_name);
  if (!f.message.empty()) message_.store(new std::string(f.message), std::memory_order_release);
}

Notification::~Notification() { delete message_.load(std::memory_order_acquire); }

const std::string& Notification::rendered() const {
  if (const std::string* done = message_.load(std::memory_order_acquire)) return *done;
  // Rendered once: a thread that loses the race drops its copy and reads the winner's.
  auto* mine = new std::string(detail::render_message(*this, format));
  const std::string* expected = nullptr;
  if (message_.compare_exchange_strong(expected, mine, std::memory_order_acq_rel)) return *mine;
  delete mine;
  return *expected;
}

std::string_view Notification::message() const { return rendered(); }

std::shared_ptr<const std::string> Notification::shared_message(
    const std::shared_ptr<const Notification>& notification) {
  return {notification, &notification->rendered()};
}

std::shared_ptr<const Notification> make_notification(const NotificationFields& fields) {
  Room room{text_size(fields)};
  return std::allocate_shared<Notification>(TrailingAllocator<Notification>(&room),
                                            Notification::Made{}, fields, room.text);
}

NotificationFields fields_of(const Notification& n) {
  return NotificationFields{.notification_id = n.notification_id,
                            .project_id = n.project_id,
                            .event_name = n.event_name,
                            .event_id = n.event_id,
                            .trigger_event_type = n.trigger_event_type,
                            .secret_name = n.secret_name,
                            .secret_type = n.secret_type,
                            .version_id = n.version_id,
                            .trigger_time = n.trigger_time,
                            .target = n.target,
                            .format = n.format,
                            .message = n.message()};
}

}  // namespace herald
