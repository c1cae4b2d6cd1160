// The rendered exposition: TextSerializer's text, a gzip of it that decompresses to the same
// bytes, and a cache that renders once per announced change and never changes a rendering a
// scrape already holds.
#include "daemon/metrics/exposition.h"

#include <gtest/gtest.h>
#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <memory>
#include <string>

namespace partitiond::metrics {
namespace {

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);  // gzip only
  std::string out;
  char chunk[4096];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

class ExpositionTest : public ::testing::Test {
 protected:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Gauge>& family_ =
      prometheus::BuildGauge().Name("test_value").Help("A value.").Register(*registry_);
  prometheus::Gauge& gauge_ = family_.Add({{"table", "app.events"}});
};

TEST_F(ExpositionTest, RenderIsTheTextSerializationAndItsGzip) {
  gauge_.Set(42);
  for (int i = 0; i < 2000; ++i) family_.Add({{"table", "t" + std::to_string(i)}}).Set(i);
  const Exposition e = Render(*registry_);
  EXPECT_EQ(e.text, prometheus::TextSerializer().Serialize(registry_->Collect()));
  EXPECT_NE(e.text.find("test_value{table=\"app.events\"} 42\n"), std::string::npos);
  EXPECT_LT(e.gzip.size(), e.text.size() / 5);
  EXPECT_EQ(Gunzip(e.gzip), e.text);
  EXPECT_EQ(Gunzip(Gzip("")), "");
}

TEST_F(ExpositionTest, CacheServesTheLatestRenderingAfterEachAnnouncedChange) {
  gauge_.Set(1);
  ExpositionCache cache(registry_);
  const auto first = cache.Current();
  ASSERT_NE(first, nullptr);
  EXPECT_NE(first->text.find("test_value{table=\"app.events\"} 1\n"), std::string::npos);

  // Unannounced, a change is not rendered: a scrape serializes nothing itself.
  gauge_.Set(2);
  EXPECT_EQ(cache.Current(), first);

  cache.Invalidate();
  cache.WaitRendered();
  const auto second = cache.Current();
  EXPECT_NE(second, first);
  EXPECT_NE(second->text.find("test_value{table=\"app.events\"} 2\n"), std::string::npos);
  EXPECT_EQ(Gunzip(second->gzip), second->text);
  // What a scrape already holds stays as it was.
  EXPECT_NE(first->text.find("test_value{table=\"app.events\"} 1\n"), std::string::npos);

  // Nothing announced since: waiting returns at once and nothing is rendered again.
  cache.WaitRendered();
  EXPECT_EQ(cache.Current(), second);
}

TEST_F(ExpositionTest, TheLastOfManyChangesIsServed) {
  ExpositionCache cache(registry_);
  for (int i = 0; i < 100; ++i) {
    gauge_.Set(i);
    cache.Invalidate();
  }
  cache.WaitRendered();
  EXPECT_NE(cache.Current()->text.find("test_value{table=\"app.events\"} 99\n"), std::string::npos);
}

}  // namespace
}  // namespace partitiond::metrics
