// The whole public API of herald in one include.
#pragma once

#include "herald/clock.hpp"
#include "herald/engine.hpp"
#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/expiry_scheduler.hpp"
#include "herald/json_lines_sink.hpp"
#include "herald/lifecycle.hpp"
#include "herald/notification.hpp"
#include "herald/options.hpp"
#include "herald/page.hpp"
#include "herald/record.hpp"
#include "herald/secret.hpp"
#include "herald/sink.hpp"
#include "herald/smn.hpp"
#include "herald/store.hpp"
#include "herald/version.hpp"
