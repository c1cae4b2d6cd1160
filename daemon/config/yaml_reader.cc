#include "daemon/config/yaml_reader.h"

#include <fmt/format.h>

#include <charconv>
#include <utility>

namespace partitiond::config::detail {
namespace {

std::string JoinKeys(const std::vector<std::string_view>& keys) {
  std::string joined;
  for (const std::string_view key : keys) {
    if (!joined.empty()) joined.append(", ");
    joined.append(key);
  }
  return joined;
}

bool Contains(const std::vector<std::string_view>& keys, std::string_view key) {
  for (const std::string_view allowed : keys) {
    if (allowed == key) return true;
  }
  return false;
}

}  // namespace

void Source::Fail(const YAML::Mark& mark, std::string_view message) const {
  std::string what = name_;
  if (!mark.is_null()) {
    what.append(":").append(std::to_string(mark.line + 1));
    what.append(":").append(std::to_string(mark.column + 1));
  }
  what.append(": ").append(message);
  throw ConfigError(what);
}

std::string DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "\"" + node.Scalar() + "\"";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

Field::Field(const Source& source, std::string key, YAML::Node node, YAML::Mark key_mark)
    : source_(&source), key_(std::move(key)), node_(std::move(node)), key_mark_(key_mark) {}

YAML::Mark Field::Where() const { return node_.IsNull() ? key_mark_ : node_.Mark(); }

void Field::Fail(std::string_view message) const { source_->Fail(Where(), message); }

void Field::FailAtKey(std::string_view message) const { source_->Fail(key_mark_, message); }

std::string Field::String() const {
  if (!node_.IsScalar()) Fail(key_ + ": expected a string, got " + DescribeNode(node_));
  // libpq, paths and identifiers all end at a NUL: "a\0b" would silently mean "a".
  if (node_.Scalar().find('\0') != std::string::npos) Fail(key_ + ": contains a NUL byte (\\0)");
  return node_.Scalar();
}

void Field::FailNotOneOf(const std::string& text,
                         const std::vector<std::string_view>& names) const {
  std::string expected;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += i + 1 == names.size() ? " or " : ", ";
    expected += names[i];
  }
  Fail(fmt::format("{}: expected {}, got \"{}\"", key_, expected, text));
}

std::int64_t Field::Integer(std::int64_t min, std::int64_t max) const {
  if (!node_.IsScalar()) Fail(key_ + ": expected an integer, got " + DescribeNode(node_));
  const std::string& text = node_.Scalar();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    Fail(key_ + ": expected an integer, got " + DescribeNode(node_));
  }
  if (value < min) Fail(key_ + " must be at least " + std::to_string(min) + ", got " + text);
  if (value > max) Fail(key_ + " must be at most " + std::to_string(max) + ", got " + text);
  return value;
}

std::vector<Field> Field::Items() const {
  if (!node_.IsSequence()) Fail(key_ + ": expected a list, got " + DescribeNode(node_));
  std::vector<Field> items;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    const YAML::Node item = node_[i];
    const YAML::Mark where = item.IsNull() ? node_.Mark() : item.Mark();
    items.emplace_back(*source_, key_ + "[" + std::to_string(i) + "]", item, where);
  }
  return items;
}

Mapping::Mapping(const Field& field, std::string_view what,
                 const std::vector<std::string_view>& allowed)
    : field_(field), what_(what) {
  const YAML::Node& node = field.node();
  if (node.IsNull()) return;
  if (!node.IsMap()) field.Fail("expected a mapping for " + what_ + ", got " + DescribeNode(node));
  // Dereferencing a yaml-cpp iterator yields a temporary pair: copy it, never hold `it->first`.
  for (const auto& entry : node) {
    const YAML::Node key = entry.first;
    if (!key.IsScalar()) field.source().Fail(key.Mark(), "keys must be plain strings");
    const std::string& name = key.Scalar();
    if (!Contains(allowed, name)) {
      field.source().Fail(key.Mark(), "unknown key \"" + name + "\" in " + what_ +
                                          "; allowed keys: " + JoinKeys(allowed));
    }
    if (Find(name)) field.source().Fail(key.Mark(), "duplicate key \"" + name + "\"");
    entries_.emplace_back(field.source(), name, entry.second, key.Mark());
  }
}

std::optional<Field> Mapping::Find(std::string_view key) const {
  for (const Field& entry : entries_) {
    if (entry.key() == key) return entry;
  }
  return std::nullopt;
}

Field Mapping::Require(std::string_view key) const {
  std::optional<Field> found = Find(key);
  if (!found) {
    const YAML::Mark where = field_.node().IsNull() ? field_.Where() : field_.node().Mark();
    field_.source().Fail(where, "missing required key \"" + std::string(key) + "\" in " + what_);
  }
  return *std::move(found);
}

}  // namespace partitiond::config::detail
