// doctest's main for the native unit tests; each area adds its own <area>_test.cc.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
