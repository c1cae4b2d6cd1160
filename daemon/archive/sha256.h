// Incremental SHA-256 (OpenSSL's EVP), for archive checksums. Not copyable; not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace partitiond::archive {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // Lowercase hex of the digest of everything given to Update. Call once.
  std::string HexDigest();

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context_;
};

}  // namespace partitiond::archive
