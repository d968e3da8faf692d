// The xyd CLI: consent — keygen, issue, verify (stateless: PASETO tokens and
// PASERK keys), and trust, retire, keys, revoke, check on a store's keyring
// through xyd::session (docs/consent.md).
// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "common.hpp"
#include "xyd/consent.hpp"
#include "xyd/json.hpp"
#include "xyd/paseto.hpp"

namespace xyd::cli {

namespace {

int refused(const consent::decision &d) {
  return say(std::string("consent refused: ") + consent::reason_id(d.refused) + ": " + d.detail, exit_data);
}

// ---------------------------------------------------------------- stateless

struct keygen_opts {
  std::string prefix;
};

int run_keygen(const keygen_opts &o) {
  paseto::secret_key sk;
  paseto::public_key pk;
  paseto::generate_key_pair(sk, pk);
  const std::string secret = paseto::paserk_secret(sk) + "\n";
  const std::string secret_path = o.prefix + ".secret";
  const int fd = ::open(secret_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, secret.data(), secret.size()) != static_cast<ssize_t>(secret.size())) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return say("cannot create " + secret_path + ": " + std::strerror(err));
  }
  ::close(fd);
  std::ofstream(o.prefix + ".public") << paseto::paserk(pk) << "\n";
  std::cerr << "xyd: wrote " << secret_path << " (mode 0600) and " << o.prefix << ".public; key id " << paseto::pid(pk) << "\n";
  return exit_ok;
}

struct issue_opts {
  secret_arg secret{secret_key_kind, {}, {}};
  std::string claims_file;
};

int run_issue(const issue_opts &o) {
  std::string secret, claims;
  const wipe_on_exit wipe{secret};
  if (!read_secret(o.secret, true, secret)) return exit_usage;
  if (!read_file(o.claims_file, claims)) return say("--claims: cannot read " + o.claims_file);
  auto sk = paseto::parse_secret(secret);
  if (!sk) return say("--secret: " + sk.error().message());
  auto token = consent::issue(*sk, claims, *current_catalog());
  if (!token) return say(token.error().message(), exit_data);
  std::cout << *token << "\n";
  return exit_ok;
}

struct verify_opts {
  secret_arg pub{public_key_kind, {}, {}};
  secret_arg token{token_kind, {}, {}};
};

int run_verify(const verify_opts &o) {
  std::string pub, token;
  if (!read_secret(o.pub, true, pub) || !read_secret(o.token, true, token)) return exit_usage;
  auto pk = paseto::parse_public(pub);
  if (!pk) return say("--public: " + pk.error().message());
  const auto d = consent::verifier::verify_with(*pk, token, 0, *current_catalog());
  if (!d.ok()) return refused(d);
  std::cout << d.granted->json << "\n";
  return exit_ok;
}

void add_stateless(CLI::App *g, context &ctx) {
  auto k = std::make_shared<keygen_opts>();
  auto *c = g->add_subcommand("keygen", "write PREFIX.secret (mode 0600) and PREFIX.public (PASERK k4)");
  c->add_option("--out", k->prefix, "the file name prefix")->required();
  on_run(c, ctx, k, run_keygen);

  auto i = std::make_shared<issue_opts>();
  c = g->add_subcommand("issue", "print a signed consent token (PASETO v4.public) for a claims file");
  add_secret(c, i->secret, "the issuer's secret key");
  c->add_option("--claims", i->claims_file, "the claims (JSON; docs/consent.md)")->required();
  on_run(c, ctx, i, run_issue);

  auto v = std::make_shared<verify_opts>();
  c = g->add_subcommand("verify", "print a token's claims, or exit 1 naming the failed check");
  add_secret(c, v->pub, "the issuer's public key");
  add_secret(c, v->token, "the consent token");
  on_run(c, ctx, v, run_verify);
}

// ---------------------------------------------------------------- the keyring

struct trust_opts {
  store_args store;
  secret_arg pub{public_key_kind, {}, {}};
  std::string positional, retired_from;
  trust_request r;
};

int run_trust(trust_opts o) {
  if (!store_exists(o.store)) return exit_usage;
  if (!o.pub.given() && !o.positional.empty()) o.pub.text = o.positional;
  if (!read_secret(o.pub, true, o.r.public_paserk)) return exit_usage;
  if (auto pk = paseto::parse_public(o.r.public_paserk); !pk) return say("--public: " + pk.error().message());
  if (!o.retired_from.empty()) {
    o.r.retired_from = parse_rfc3339(o.retired_from);
    if (!o.r.retired_from) return say("--retired-from takes an RFC 3339 date-time");
  }
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  auto kid = s->trust_key(o.r);
  if (!kid) return fail(kid.error());
  // The session returns the kid: printed as {"kid":…}, as before.
  std::string out = "{\"kid\":";
  json::append_quoted(out, *kid);
  std::cout << out << "}\n";
  return exit_ok;
}

struct retire_opts {
  store_args store;
  std::string kid, from;
};

int run_retire(const retire_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  auto from = parse_rfc3339(o.from);
  if (!from) return say("--from takes an RFC 3339 date-time");
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  auto st = s->retire_key(o.kid, *from);
  return st ? exit_ok : fail(st);  // a status only: nothing on stdout
}

struct revoke_opts {
  store_args store;
  revoke_request r;
};

int run_revoke(const revoke_opts &o) {
  if (!store_exists(o.store)) return exit_usage;
  const bool one = !o.r.jti.empty() && o.r.subject.empty() && o.r.audience.empty();
  const bool grant = o.r.jti.empty() && !o.r.subject.empty() && !o.r.audience.empty();
  if (!one && !grant) return say("consent revoke: give --jti JTI, or --subject S and --audience BANK");
  auto s = open_session(o.store, access::write);
  if (!s) return exit_usage;
  auto st = s->revoke(o.r);
  return st ? exit_ok : fail(st);  // a status only: nothing on stdout
}

struct check_opts {
  store_args store;
  secret_arg token{token_kind, {}, {}};
  consent::request r;
};

int run_check(check_opts o) {
  if (!store_exists(o.store)) return exit_usage;
  if (!read_secret(o.token, true, o.r.token)) return exit_usage;
  auto s = open_session(o.store, access::read_only);
  if (!s) return exit_usage;
  const auto d = s->check_consent(o.r);
  std::cout << d.to_json() << "\n";
  return d.ok() ? exit_ok : refused(d);
}

void add_keyring(CLI::App *g, context &ctx) {
  auto t = std::make_shared<trust_opts>();
  auto *c = g->add_subcommand("trust", "trust a public key (for consents, models or the audit log); prints its kid");
  add_store_args(c, t->store);
  c->add_option("KEY", t->positional, "the public key, when not given by --public");
  add_secret(c, t->pub, "the public key");
  c->add_option("--issuer", t->r.issuer, "who holds the key");
  c->add_option("--use", t->r.use, "consent (default), model or audit")->check(CLI::IsMember({"consent", "model", "audit"}));
  c->add_option("--retired-from", t->retired_from, "used for nothing from this RFC 3339 date-time on");
  on_run(c, ctx, t, run_trust);

  auto r = std::make_shared<retire_opts>();
  c = g->add_subcommand("retire", "a trusted key is used for nothing from T on");
  add_store_args(c, r->store);
  c->add_option("--kid", r->kid, "the key id (k4.pid…)")->required();
  c->add_option("--from", r->from, "RFC 3339 date-time")->required();
  on_run(c, ctx, r, run_retire);

  auto k = std::make_shared<store_args>();
  c = g->add_subcommand("keys", "the keyring (JSON)");
  add_store_args(c, *k);
  on_run(c, ctx, k, [](const store_args &a) {
    auto s = open_session(a, access::read_only);
    if (!s) return exit_usage;
    return print_json(s->keys());
  });

  auto v = std::make_shared<revoke_opts>();
  c = g->add_subcommand("revoke", "revoke one consent (--jti), or every consent of a subject to an audience");
  add_store_args(c, v->store);
  c->add_option("--jti", v->r.jti, "the consent's token id");
  c->add_option("--subject", v->r.subject, "the subject");
  c->add_option("--audience", v->r.audience, "the institution");
  on_run(c, ctx, v, run_revoke);

  auto h = std::make_shared<check_opts>();
  c = g->add_subcommand("check", "check a token for a subject, audience and purpose (no release); exit 1 when refused");
  add_store_args(c, h->store);
  add_secret(c, h->token, "the consent token");
  c->add_option("--subject", h->r.subject, "the subject")->required();
  c->add_option("--audience", h->r.audience, "the institution")->required();
  c->add_option("--purpose", h->r.purpose, "the purpose")->required();
  on_run(c, ctx, h, run_check);
}

}  // namespace

void add_consent_cmds(CLI::App &app, context &ctx) {
  auto *g = app.add_subcommand("consent", "consent tokens (PASETO v4.public) and the store's keyring (docs/consent.md)");
  g->require_subcommand(1);
  add_stateless(g, ctx);
  add_keyring(g, ctx);
}

}  // namespace xyd::cli
