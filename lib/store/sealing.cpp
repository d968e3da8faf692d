// The store's keys, blind indexes and sealed values.
// SPDX-License-Identifier: Apache-2.0
#include "sealing.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <new>

#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

namespace xyd::store_detail {

namespace {
constexpr char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "xydstore";
enum subkey_id : uint64_t { payload_key_id = 1, index_key_id = 2, check_key_id = 3 };
}  // namespace

namespace {
unsigned char *locked_keys() {
  void *p = sodium_malloc(key_set::payload_bytes + key_set::index_bytes + key_set::check_bytes);
  if (!p) throw std::bad_alloc();
  return static_cast<unsigned char *>(p);
}
}  // namespace

key_set::key_set(const master_key &m, std::string_view salt)
    : payload(locked_keys()), index(payload + payload_bytes), check(index + index_bytes) {
  const unsigned char *root = m.data();
  unsigned char *salted = nullptr;
  if (!salt.empty()) {
    salted = static_cast<unsigned char *>(sodium_malloc(crypto_kdf_KEYBYTES));
    if (!salted) {
      sodium_free(payload);
      throw std::bad_alloc();
    }
    static const char label[] = "xyd-store-root-v2";
    crypto_generichash_state st;
    crypto_generichash_init(&st, m.data(), master_key_bytes, crypto_kdf_KEYBYTES);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(label), sizeof label - 1);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(salt.data()), salt.size());
    crypto_generichash_final(&st, salted, crypto_kdf_KEYBYTES);
    sodium_memzero(&st, sizeof st);
    root = salted;
  }
  crypto_kdf_derive_from_key(payload, payload_bytes, payload_key_id, kdf_context, root);
  crypto_kdf_derive_from_key(index, index_bytes, index_key_id, kdf_context, root);
  crypto_kdf_derive_from_key(check, check_bytes, check_key_id, kdf_context, root);
  if (salted) sodium_free(salted);
}

key_set::~key_set() { sodium_free(payload); }  // wipes, unlocks and unmaps

bi_t key_set::blind(char domain, std::string_view text) const {
  bi_t out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, index, index_bytes, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(&domain), 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char *>(text.data()), text.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

std::array<unsigned char, 32> key_set::key_check() const {
  static const char label[] = "xyd store key check v1";
  std::array<unsigned char, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char *>(label), sizeof label - 1, check,
                     check_bytes);
  return out;
}

bi_t to_bi(std::string_view blob) {
  bi_t b{};
  std::memcpy(b.data(), blob.data(), std::min(blob.size(), b.size()));
  return b;
}

std::string to_hex(const bi_t &b) {
  return xyd::to_hex(std::string_view(reinterpret_cast<const char *>(b.data()), b.size()));
}

namespace {
void append_int(std::string &out, int64_t n) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}
}  // namespace

void row_aad(std::string &aad, int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of,
             int64_t version, std::string_view state) {
  aad.assign("xyd-record-v2:");
  append_int(aad, id);
  aad += '\0';
  aad += type;
  aad += '\0';
  aad.append(reinterpret_cast<const char *>(subject_bi.data()), subject_bi.size());
  aad += as_of;
  aad += '\0';
  append_int(aad, version);
  aad += '\0';
  aad += state;
}

std::string row_aad(int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of,
                    int64_t version, std::string_view state) {
  std::string aad;
  row_aad(aad, id, type, subject_bi, as_of, version, state);
  return aad;
}

std::string row_aad_v1(int64_t id, std::string_view type, const bi_t &subject_bi, std::string_view as_of) {
  std::string aad("xyd-record-v1:");
  append_int(aad, id);
  aad += '\0';
  aad += type;
  aad += '\0';
  aad.append(reinterpret_cast<const char *>(subject_bi.data()), subject_bi.size());
  aad += as_of;
  return aad;
}

std::string subject_aad(const bi_t &sbi) {
  return "xyd-subject-v1" + std::string(reinterpret_cast<const char *>(sbi.data()), sbi.size());
}

std::string repair_aad_v1(int64_t id) { return "xyd-repair-v1:" + std::to_string(id); }

std::string repair_aad(int64_t id, std::string_view state) {
  std::string aad = "xyd-repair-v2:" + std::to_string(id);
  aad += '\0';
  aad += state;
  return aad;
}

std::string score_aad_v1(int64_t id) { return "xyd-score-v1:" + std::to_string(id); }

std::string score_aad_v2(int64_t id, const bi_t &subject_bi) {
  std::string aad = "xyd-score-v2:" + std::to_string(id);
  aad += '\0';
  aad.append(reinterpret_cast<const char *>(subject_bi.data()), subject_bi.size());
  return aad;
}

std::string score_aad(int64_t id, const bi_t &subject_bi, std::string_view model_hash, std::string_view scored_at) {
  std::string aad = "xyd-score-v3:" + std::to_string(id);
  aad += '\0';
  aad.append(reinterpret_cast<const char *>(subject_bi.data()), subject_bi.size());
  aad += model_hash;
  aad += '\0';
  aad += scored_at;
  return aad;
}

std::string revocation_aad(std::string_view kind, const bi_t &key_bi, int64_t revoked_at) {
  std::string aad = "xyd-revocation-v1:" + std::string(kind);
  aad += '\0';
  aad.append(reinterpret_cast<const char *>(key_bi.data()), key_bi.size());
  aad += '\0';
  aad += std::to_string(revoked_at);
  return aad;
}

namespace {
constexpr size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

// A thread's pool of random nonces, drawn from the CSPRNG a page at a time
// (one getrandom call per 160 nonces instead of one per record), kept in a
// page the kernel wipes in a forked child (MADV_WIPEONFORK): the child finds
// the pool empty and draws its own, so that a process that opens a store and
// then forks (a pre-fork server, Python multiprocessing) never hands out its
// parent's next nonces. Where the page cannot be had, or the kernel cannot
// wipe it, every nonce is a fresh draw. Not for use from a signal handler
// (the pool is not re-entrant).
class nonce_pool {
 public:
  nonce_pool() {
#ifdef MADV_WIPEONFORK
    const long page = sysconf(_SC_PAGESIZE);
    if (page < static_cast<long>(sizeof(state))) return;
    size_ = static_cast<size_t>(page);
    void *m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    if (madvise(m, size_, MADV_WIPEONFORK) != 0) {
      munmap(m, size_);
      return;
    }
    s_ = static_cast<state *>(m);  // zero-filled: empty
#endif
  }
  ~nonce_pool() {
    if (!s_) return;
    sodium_memzero(s_, size_);
    munmap(s_, size_);
    s_ = nullptr;  // a seal from a later thread_local destructor draws afresh
  }
  nonce_pool(const nonce_pool &) = delete;
  nonce_pool &operator=(const nonce_pool &) = delete;

  void take(unsigned char *out) {
    if (!s_) {
      randombytes_buf(out, nonce_bytes);
      return;
    }
    // Empty, wiped by a fork, or drawn by another process: where a kernel
    // (or an emulator) accepts MADV_WIPEONFORK without honouring it, the
    // process id still tells a child from its parent.
    const pid_t pid = getpid();
    if (s_->left == 0 || s_->pid != pid) {
      randombytes_buf(s_->bytes, sizeof s_->bytes);
      s_->left = sizeof s_->bytes / nonce_bytes;
      s_->pid = pid;
    }
    unsigned char *next = s_->bytes + --s_->left * nonce_bytes;
    std::memcpy(out, next, nonce_bytes);
    sodium_memzero(next, nonce_bytes);
  }

 private:
  struct state {
    size_t left;  // nonces not yet handed out; 0 after a fork
    pid_t pid;    // the process that drew them
    unsigned char bytes[nonce_bytes * 160];
  };
  state *s_ = nullptr;
  size_t size_ = 0;
};
}  // namespace

void random_nonce(unsigned char *out) {
  thread_local nonce_pool pool;
  pool.take(out);
}

void seal_into(const unsigned char *key, std::string_view plain, std::string_view aad, std::string &nonce_out,
               std::string &out) {
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  random_nonce(nonce);
  nonce_out.assign(reinterpret_cast<const char *>(nonce), sizeof nonce);
  out.resize(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char *>(out.data()), &len,
                                             reinterpret_cast<const unsigned char *>(plain.data()), plain.size(),
                                             reinterpret_cast<const unsigned char *>(aad.data()), aad.size(), nullptr,
                                             nonce, key);
  out.resize(len);
}

score_packer::score_packer() : cctx_(ZSTD_createCCtx()) {}
score_packer::~score_packer() { ZSTD_freeCCtx(cctx_); }

bool score_packer::pack(std::string_view json, std::string &out) {
  if (!cctx_) return false;
  out.resize(ZSTD_compressBound(json.size()));
  const size_t n = ZSTD_compressCCtx(cctx_, out.data(), out.size(), json.data(), json.size(), 1);
  if (ZSTD_isError(n)) return false;
  out.resize(n);
  return true;
}

bool unpack_score(std::string &plain, std::string &scratch) {
  if (!plain.empty() && plain.front() == '{') return true;  // a row kept before scores were compressed
  constexpr unsigned long long most = 16u << 20;
  const unsigned long long size = ZSTD_getFrameContentSize(plain.data(), plain.size());
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > most) return false;
  scratch.resize(static_cast<size_t>(size));
  const size_t n = ZSTD_decompress(scratch.data(), scratch.size(), plain.data(), plain.size());
  if (ZSTD_isError(n) || n != size || scratch.empty() || scratch.front() != '{') return false;
  plain.swap(scratch);
  return true;
}

std::string seal(const unsigned char *key, std::string_view plain, std::string_view aad, std::string &nonce_out) {
  std::string out;
  seal_into(key, plain, aad, nonce_out, out);
  return out;
}

bool open_sealed(const unsigned char *key, std::string_view sealed, std::string_view nonce, std::string_view aad,
                 std::string &plain) {
  if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      sealed.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return false;
  plain.resize(sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char *>(plain.data()), &len, nullptr,
                                                 reinterpret_cast<const unsigned char *>(sealed.data()), sealed.size(),
                                                 reinterpret_cast<const unsigned char *>(aad.data()), aad.size(),
                                                 reinterpret_cast<const unsigned char *>(nonce.data()), key) != 0)
    return false;
  plain.resize(len);
  return true;
}

std::string natural_key_text(const item_type &t, std::string_view subject, const json::value &data) {
  std::string s(t.id);
  s += '\0';
  s += subject;
  for (const auto &k : t.natural_key) {
    s += '\0';
    const json::value *v = data.find(k);
    if (v) json::dump_to(s, *v);
    else s += "null";
  }
  return s;
}

}  // namespace xyd::store_detail
