// Private to daemon/config: typed, position-aware access to a parsed YAML tree. Every failure is a
// ConfigError "SOURCE:LINE:COLUMN: message" pointing at the offending key or value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "daemon/config/config.h"

namespace partitiond::config::detail {

// The name of the text being read; turns problems into ConfigError.
class Source {
 public:
  explicit Source(std::string name) : name_(std::move(name)) {}

  // "NAME:LINE:COLUMN: message" (1-based), or "NAME: message" for a null mark.
  [[noreturn]] void Fail(const YAML::Mark& mark, std::string_view message) const;

 private:
  std::string name_;
};

// One value of the tree, with the key it was found under. Holds a reference to `source`, which
// must outlive it.
class Field {
 public:
  Field(const Source& source, std::string key, YAML::Node node, YAML::Mark key_mark);

  const std::string& key() const { return key_; }
  const YAML::Node& node() const { return node_; }
  const Source& source() const { return *source_; }
  const YAML::Mark& key_mark() const { return key_mark_; }
  // The value's position; for an empty value the key's (yaml-cpp places empty values at the next
  // token, which would mislead).
  YAML::Mark Where() const;

  [[noreturn]] void Fail(std::string_view message) const;
  [[noreturn]] void FailAtKey(std::string_view message) const;
  [[noreturn]] void FailNotOneOf(const std::string& text,
                                 const std::vector<std::string_view>& names) const;

  // The scalar text; fails on lists, mappings, empty values and text holding a NUL byte.
  std::string String() const;
  // A whole number within [min, max].
  std::int64_t Integer(std::int64_t min, std::int64_t max) const;
  // The items of a list, each keyed "KEY[i]".
  std::vector<Field> Items() const;

  // The scalar as the value paired with its text in `choices`; any other text fails with
  // "KEY: expected a, b or c, got "text"".
  template <typename T>
  T OneOf(std::initializer_list<std::pair<std::string_view, T>> choices) const {
    const std::string text = String();
    std::vector<std::string_view> names;
    for (const auto& [name, value] : choices) {
      if (name == text) return value;
      names.push_back(name);
    }
    FailNotOneOf(text, names);
  }

  // fn(text) converts the scalar; a std::invalid_argument it throws becomes "KEY: what()" here.
  template <typename Fn>
  auto Parse(Fn&& fn) const -> decltype(fn(std::string_view())) {
    const std::string text = String();
    try {
      return fn(std::string_view(text));
    } catch (const std::invalid_argument& e) {
      Fail(key_ + ": " + e.what());
    }
  }

 private:
  const Source* source_;  // not owned
  std::string key_;
  YAML::Node node_;
  YAML::Mark key_mark_;
};

// A mapping whose keys have been checked: all plain strings, all among `allowed`, none repeated.
// An empty value counts as an empty mapping.
class Mapping {
 public:
  // `what` names the mapping in messages: "a table", "maintenance", "the top level".
  Mapping(const Field& field, std::string_view what, const std::vector<std::string_view>& allowed);

  std::optional<Field> Find(std::string_view key) const;
  // Fails at the mapping when `key` is absent.
  Field Require(std::string_view key) const;

 private:
  Field field_;
  std::string what_;
  std::vector<Field> entries_;
};

// "nothing", "a list", "a mapping" or the quoted scalar; for messages.
std::string DescribeNode(const YAML::Node& node);

}  // namespace partitiond::config::detail
