#include <gtest/gtest.h>

#include "cairn/engine.hpp"

TEST(Shape, ParsesAndPrints) {
  auto shape = cairn::parse_shape("1x1x512x512");
  ASSERT_TRUE(shape.is_ok());
  EXPECT_EQ(cairn::shape_to_string(*shape), "1x1x512x512");
  EXPECT_FALSE(cairn::parse_shape("1x0").is_ok());
  EXPECT_FALSE(cairn::parse_shape("1xx2").is_ok());
  EXPECT_FALSE(cairn::parse_shape("1x").is_ok());
}
