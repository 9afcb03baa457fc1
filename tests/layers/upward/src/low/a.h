#pragma once
// Includes upward: check_layers must refuse it.
#include "high/b.h"
