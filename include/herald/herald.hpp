// The whole public API of herald in one include.
#pragma once

#include "herald/clock.hpp"
#include "herald/engine.hpp"
#include "herald/error.hpp"
#include "herald/event.hpp"
#include "herald/options.hpp"
#include "herald/page.hpp"
#include "herald/secret.hpp"
#include "herald/version.hpp"
