/*
 * xyd.h — the C ABI of xyd (信易贷), the credit-information core a bank links
 * into its loan system to work with the financing credit service platform.
 *
 * This is the only header a C, C++, Java (JNA/FFM), Go or Python caller needs.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Conventions (docs/c-api.md has the full reference):
 *  - Every function returns an int status: XYD_OK (0) or a negative XYD_E*
 *    code. Codes are never renumbered; new ones are appended.
 *  - After a failure, xyd_errmsg() gives a message for people, for the calling
 *    thread. Messages never contain a key, a token or an unmasked id number.
 *  - Inputs come first and output parameters last, named out_*. On failure an
 *    output pointer is set to NULL unless the function says otherwise.
 *  - Every string the library hands out is UTF-8, NUL-terminated, owned by
 *    the caller and released with xyd_free(). xyd_free(NULL) is a no-op.
 *  - Complex requests and answers cross the ABI as UTF-8 JSON, so the ABI
 *    stays stable while the JSON grows.
 *  - No exception or C++ type ever crosses this boundary.
 */
#ifndef XYD_H
#define XYD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(XYD_BUILDING)
#    define XYD_API __declspec(dllexport)
#  else
#    define XYD_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define XYD_API __attribute__((visibility("default")))
#else
#  define XYD_API
#endif

/* ------------------------------------------------------------ version */

#define XYD_VERSION_MAJOR 0
#define XYD_VERSION_MINOR 1
#define XYD_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, as zstd does. */
#define XYD_VERSION_NUMBER (XYD_VERSION_MAJOR * 10000 + XYD_VERSION_MINOR * 100 + XYD_VERSION_PATCH)
#define XYD_VERSION_STRING "0.1.0"

/* The library's version, to compare with XYD_VERSION_NUMBER at run time.
 * Thread-safe. */
XYD_API unsigned xyd_version_number(void);
/* "MAJOR.MINOR.PATCH"; static, never freed. Thread-safe. */
XYD_API const char *xyd_version_string(void);

/* ------------------------------------------------------------ status */

#define XYD_OK 0
#define XYD_ERROR (-1)       /* unspecified failure */
#define XYD_EINVAL (-2)      /* misuse: NULL argument, bad flag */
#define XYD_EVALIDATION (-3) /* a value broke a rule of the catalog or a standard */
#define XYD_EPARSE (-4)      /* malformed input: JSON syntax, truncated data */
#define XYD_ENOMEM (-5)      /* out of memory */
#define XYD_EIO (-6)         /* a file could not be read or written */
#define XYD_ENOTFOUND (-7)   /* the named thing does not exist */
#define XYD_EEXISTS (-8)     /* the named thing exists already */
#define XYD_EINTERNAL (-9)   /* a bug in xyd */
#define XYD_EKEY (-10)       /* wrong key: the store was created under another master key */
#define XYD_ECORRUPT (-11)   /* stored data failed authentication, or the file is damaged */
#define XYD_EBUSY (-12)      /* the database stayed locked past the busy timeout */
#define XYD_EFULL (-13)      /* disk full, or the store's size cap reached */
#define XYD_EREADONLY (-14)  /* the store (or its file) is read-only */
#define XYD_ECONSENT (-15)   /* refused: no valid consent covers the request (xyd_errmsg names the check) */

/* Static English text for a status code ("unknown error code" for codes this
 * version does not know). Never NULL, never freed. Thread-safe. */
XYD_API const char *xyd_strerror(int code);

/* The message of the last failure on the calling thread ("no error" when
 * there was none). Never NULL; valid until the thread's next xyd call; not
 * freed. Thread-safe (thread-local). */
XYD_API const char *xyd_errmsg(void);

/* Releases memory the library handed out. NULL is a no-op. Thread-safe. */
XYD_API void xyd_free(void *p);
/* Wipes a secret the library handed out (a k4.secret or k4.local PASERK:
 * its bytes up to the terminating NUL are zeroed), then frees it. NULL is a
 * no-op. Thread-safe. */
XYD_API void xyd_free_secret(char *secret);

/* ------------------------------------------------------------ catalog */

/* The catalog in force (the national list CN-2024 plus loaded provincial
 * extensions) as JSON:
 *   {"version":"CN-2024","extensions":[…],
 *    "categories":[{"number","id","zh","en","origin","item_types":[ids]}…],
 *    "item_types":[{"id","category","zh","en","channel","consent_required",
 *                   "kind","subjects","subject_field"?,"fields":[…],
 *                   "natural_key":[…],"rules"?,"origin"}…]}
 * docs/catalog.md describes every member. *out is freed with xyd_free().
 * Thread-safe. Errors: XYD_EINVAL (out is NULL), XYD_ENOMEM. */
XYD_API int xyd_catalog_json(char **out);

/* Adds a provincial list with the catalog schema (docs/catalog.md,
 * "Provincial extensions") to the process-wide catalog. All or nothing: on
 * error the catalog is unchanged. Thread-safe (readers see the catalog before
 * or after, never half of it).
 * Errors: XYD_EINVAL (NULL), XYD_EPARSE (malformed JSON), XYD_EVALIDATION
 * (schema broken; the message gives the JSON path), XYD_EEXISTS (an item type,
 * category or catalog version that is defined already). */
XYD_API int xyd_catalog_load_extension(const char *json);

/* ------------------------------------------------------------ identifiers */

/* Unified social credit identifier (GB 32100-2015). Strict: no trimming or
 * case folding (see xyd_normalize_id). XYD_OK, or XYD_EVALIDATION with the
 * reason in xyd_errmsg() (length, character at position N, registration
 * authority or entity type, expected check character). XYD_EINVAL for NULL.
 * Thread-safe. */
XYD_API int xyd_validate_uscc(const char *code);

/* Resident identity number (GB 11643-1999): ISO 7064 MOD 11-2 check
 * character (upper-case X), a real birth date not in the future (China
 * time), a known province code. Same returns as xyd_validate_uscc.
 * Thread-safe. */
XYD_API int xyd_validate_rid(const char *code);

/* Normalises an id typed by a person: trims, folds full-width characters,
 * drops spaces and hyphens, upper-cases. Does not validate. *out is freed
 * with xyd_free(). Thread-safe. Errors: XYD_EINVAL, XYD_ENOMEM. */
XYD_API int xyd_normalize_id(const char *text, char **out);

/* ------------------------------------------------------------ records */

/* Validates one record {"type","subject","as_of","source","data"} against
 * the catalog in force. *out_problems_json receives a JSON array of every
 * problem found, each {"path":"$.data.uscc","code":…,"message":…}; "[]" when
 * the record is valid. Returns XYD_OK (valid), XYD_EVALIDATION (problems
 * found), XYD_EPARSE (not JSON; one problem with code "syntax"), XYD_EINVAL
 * (NULL json or out_problems_json). out_problems_json is set on XYD_OK,
 * XYD_EVALIDATION and XYD_EPARSE; free it with xyd_free(). Thread-safe. */
XYD_API int xyd_validate_record(const char *json, char **out_problems_json);

/* The record with every value in canonical form (trimmed text, upper-case
 * ids, money as "1234.50", dates as YYYY-MM-DD, booleans from 是/否, enum
 * labels to codes). Idempotent; does not validate. *out_json is freed with
 * xyd_free(). Thread-safe. Errors: XYD_EINVAL, XYD_EPARSE. */
XYD_API int xyd_normalize_record(const char *json, char **out_json);

/* ------------------------------------------------------------ keys */

#define XYD_KEY_BYTES 32

/* Fills out[0..31] with a new random master key (libsodium's CSPRNG).
 * Keep it secret; wipe your copy after use. Thread-safe.
 * Errors: XYD_EINVAL (out is NULL). */
XYD_API int xyd_key_generate(unsigned char *out);

/* Writes a new key file (64 hexadecimal characters and a newline, mode 0600)
 * holding a new random key. Refuses to overwrite (XYD_EEXISTS). XYD_EIO when
 * it cannot be written. Thread-safe. */
XYD_API int xyd_key_file_generate(const char *path);

/* XYD_OK when key[0..31] is fit for a store; XYD_EKEY when it is weak (every
 * byte the same, e.g. all zero, or every byte printable ASCII: a passphrase
 * where 32 random bytes belong), xyd_errmsg saying which. A store is never
 * created or rekeyed under a weak key (XYD_EKEY); an existing one still
 * opens, so call this to warn. XYD_EINVAL for NULL or a length other than
 * 32. Thread-safe. */
XYD_API int xyd_key_check(const unsigned char *key, size_t key_len);

/* ------------------------------------------------------------ store */

/* An encrypted embedded store (one SQLite file in WAL mode). docs/storage.md.
 * Thread safety: one handle may be shared by several threads; its calls are
 * serialised. Several processes may open the same file. */
typedef struct xyd_store xyd_store;

#define XYD_OPEN_CREATE 1u   /* create the file when it does not exist */
#define XYD_OPEN_READONLY 2u /* open for reading only */

/* Opens (or with XYD_OPEN_CREATE creates) the store at `path` with a 32-byte
 * master key (key_len must be XYD_KEY_BYTES). A store made by an older xyd is
 * upgraded in one transaction. Errors: XYD_EINVAL, XYD_EKEY (wrong key: the
 * file is left untouched; or a new store under a weak key, see
 * xyd_key_check), XYD_ENOTFOUND (no such file without
 * XYD_OPEN_CREATE), XYD_ECORRUPT (not an xyd store), XYD_EIO, XYD_EBUSY.
 * *out is closed with xyd_store_close. Thread-safe. */
XYD_API int xyd_store_open(const char *path, const unsigned char *key, size_t key_len, unsigned flags,
                           xyd_store **out);

/* The same, with the key read from a key file (as xyd_key_file_generate
 * writes, or 32 raw bytes). */
XYD_API int xyd_store_open_key_file(const char *path, const char *key_file, unsigned flags, xyd_store **out);

/* Closes the store; NULL is a no-op. Not to be called while another thread
 * uses the handle. */
XYD_API void xyd_store_close(xyd_store *store);

#define XYD_INGEST_SKIP_INVALID 1u /* store the valid records, report the rest */

/* Ingests JSON Lines (one record per line) as one transaction: parsed,
 * normalised, validated against the catalog, upserted idempotently per item
 * type, natural key and as_of. Atomic by default: the first invalid record
 * aborts the batch, the store is exactly as before, the return is
 * XYD_EVALIDATION and xyd_errmsg says "line N: $.path: reason". With
 * XYD_INGEST_SKIP_INVALID the valid records are stored and each rejected one
 * is reported. *out_summary_json (set whenever the input was read, on
 * success and on XYD_EVALIDATION) is
 *   {"batch","committed","changed","records","inserted","updated",
 *    "unchanged","rejected","per_type":{type:{…}},
 *    "rejections":[{"line","path","code","message"}]}
 * Other errors: XYD_EINVAL, XYD_EREADONLY, XYD_EFULL, XYD_EBUSY, XYD_EIO. */
XYD_API int xyd_store_ingest(xyd_store *store, const char *data, size_t len, unsigned flags,
                             char **out_summary_json);
/* The same from a file. */
XYD_API int xyd_store_ingest_file(xyd_store *store, const char *path, unsigned flags, char **out_summary_json);

/* The institution's own view of a subject's records (unmasked, repair
 * notes included), as a JSON array. query_json:
 *   {"subject": "…", "item_type"?: "…", "category"?: N, "history"?: false}
 * Current, active records only unless "history" is true (then superseded,
 * withdrawn and repaired records too). Each record:
 *   {"id","state","current","repair"?:{…},"type","subject","as_of","source","data"}
 * Logged in the audit log. A release to a bank is xyd_store_release.
 * Errors: XYD_EINVAL (bad query, naming the JSON path), XYD_ECORRUPT (a
 * record failed authentication). Since 0.2: "audience", "token" and the
 * other release members are refused here. */
XYD_API int xyd_store_records(xyd_store *store, const char *query_json, char **out_json);

/* A release of a subject's records to a bank. request_json:
 *   {"subject": "…", "audience": "<institution>", "purpose"?: "…",
 *    "token"?: "<consent token>", "item_type"?: "…", "category"?: N,
 *    "history"?: false, "at"?: "<RFC 3339>", "role"?: "external",
 *    "policy"?: {…}}
 * Only the channels that need no consent, plus — with a token granted for
 * this subject, audience and purpose — the national_api item types of its
 * scope, each stamped "consent_jti"; every record a consent does not cover
 * is masked for "role" (loan_officer, external — the default —, regulator)
 * under "policy" (default: the built-in one); verification data is never
 * released raw; repair notes never leave. Each record:
 *   {"id","state","current","type","subject","as_of","source","data","consent_jti"?}
 * A refused token is XYD_ECONSENT ("consent refused: <reason>: …"); asking
 * for one item type that may not be released is XYD_ECONSENT, out_of_scope;
 * an unknown role XYD_ENOTFOUND. The release or the refusal is logged. */
XYD_API int xyd_store_release(xyd_store *store, const char *request_json, char **out_json);

/* Every subject of the store, sorted, as a JSON array of strings. */
XYD_API int xyd_store_subjects(xyd_store *store, char **out_json);

/* Credit repair (信用修复) and withdrawal (撤销): request_json is
 *   {"id": N, "action": "withdraw"|"repair", "reason": "…", "date": "YYYY-MM-DD",
 *    "operator": "…"}
 * The record stays, marked, with the note sealed beside it; current views
 * leave it out. Errors: XYD_EINVAL, XYD_ENOTFOUND (no such id), XYD_EEXISTS
 * (already withdrawn or repaired). */
XYD_API int xyd_store_repair(xyd_store *store, const char *request_json);

/* Deletes records whose as_of is before `before` (YYYY-MM-DD); the newest
 * remaining record of each natural key becomes current.
 * Logged releases whose data life has passed are deleted too (every door
 * does both). *out_summary_json: {"before","deleted",…,"releases_expired"}. */
XYD_API int xyd_store_purge(xyd_store *store, const char *before, char **out_summary_json);

/* Re-encrypts everything under a new 32-byte master key in one transaction;
 * on error the store still opens with the old key. A weak new key
 * (xyd_key_check) is XYD_EKEY, nothing changed. */
XYD_API int xyd_store_rekey(xyd_store *store, const unsigned char *new_key, size_t key_len);

/* Counts as JSON: {"schema_version","records","current","history",
 * "withdrawn","repaired","subjects","batches","page_count","page_size",
 * "per_type":{type:{"records","current"}}}. */
XYD_API int xyd_store_stats(xyd_store *store, char **out_json);

/* ------------------------------------------------------------ PASETO v4 / PASERK k4 */

/* A new Ed25519 key pair as PASERK strings: *out_secret "k4.secret.…",
 * *out_public "k4.public.…". Free the secret with xyd_free_secret (it wipes),
 * the public key with xyd_free. Thread-safe. */
XYD_API int xyd_paserk_keygen(char **out_secret, char **out_public);

/* A new v4.local key as a PASERK string "k4.local.…"; free it with
 * xyd_free_secret. Thread-safe. */
XYD_API int xyd_paserk_local_keygen(char **out_local);

/* The PASERK key id of a key: k4.pid for k4.public, k4.sid for k4.secret,
 * k4.lid for k4.local. XYD_EVALIDATION for a malformed or wrong-version
 * PASERK. Thread-safe. */
XYD_API int xyd_paserk_id(const char *paserk, char **out_id);

/* v4.public: signs `message` with a k4.secret PASERK; footer and implicit
 * assertion may be NULL (empty). *out_token is freed with xyd_free.
 * Thread-safe. */
XYD_API int xyd_paseto_sign(const char *secret_paserk, const char *message, const char *footer, const char *implicit,
                            char **out_token);

/* v4.public: verifies `token` with a k4.public PASERK and the implicit
 * assertion (NULL: empty). On XYD_OK *out_message and, when out_footer is
 * not NULL, *out_footer receive the authenticated message and footer.
 * XYD_EVALIDATION with xyd_errmsg() beginning with the reason: "malformed
 * token", "wrong version or purpose", "bad signature", "malformed key".
 * Messages never contain the token or the key. Thread-safe. */
XYD_API int xyd_paseto_verify(const char *public_paserk, const char *token, const char *implicit, char **out_message,
                              char **out_footer);

/* v4.local: encrypts with a k4.local PASERK (random nonce). Thread-safe. */
XYD_API int xyd_paseto_encrypt(const char *local_paserk, const char *message, const char *footer, const char *implicit,
                               char **out_token);

/* v4.local: decrypts and authenticates; reasons as xyd_paseto_verify, with
 * "bad authentication tag". Thread-safe. */
XYD_API int xyd_paseto_decrypt(const char *local_paserk, const char *token, const char *implicit, char **out_message,
                               char **out_footer);

/* The footer of a token, decoded but NOT authenticated (to find the key id
 * before verifying). Thread-safe. */
XYD_API int xyd_paseto_footer(const char *token, char **out_footer);

/* ------------------------------------------------------------ consent (docs/consent.md) */

/* Signs consent claims (JSON: iss, sub, aud, exp, scope, purpose, and
 * optionally mode, data_life, iat, nbf, jti — iat, nbf and jti are filled in
 * when absent) with a k4.secret PASERK: a v4.public token whose footer is
 * {"kid": k4.pid}. XYD_EVALIDATION names the claim that is wrong. */
XYD_API int xyd_consent_issue(const char *secret_paserk, const char *claims_json, char **out_token);

/* Verifies a consent token with a k4.public PASERK (no store): signature,
 * claims, time window (now). XYD_OK with the claims JSON, or XYD_ECONSENT
 * with xyd_errmsg() "consent refused: <reason>: <detail>", reason one of
 * malformed, bad_signature, not_yet_valid, expired. Thread-safe. */
XYD_API int xyd_consent_verify(const char *public_paserk, const char *token, char **out_claims_json);

/* Trusts an issuer's k4.public key in the store's keyring (found by its
 * k4.pid). options_json may be NULL or {"issuer": "…", "retired_from":
 * "<RFC 3339>", "use": "consent"|"model"}: a key signs consents (the
 * default) or scorecard models, never both. A key is used for nothing from
 * its retirement on. */
XYD_API int xyd_store_trust_key(xyd_store *store, const char *public_paserk, const char *options_json);
/* Retires a trusted key (kid = its k4.pid) from an RFC 3339 date-time on. */
XYD_API int xyd_store_retire_key(xyd_store *store, const char *kid, const char *from);
/* The keyring as JSON: [{"kid","public","issuer","added_at","use","retired_from"?}]. */
XYD_API int xyd_store_keys(xyd_store *store, char **out_json);

/* Revokes consents, persistently: {"jti": "…"} one consent, or
 * {"subject": "…", "audience": "…"} every consent of the subject to that
 * institution issued up to now ("at": RFC 3339 overrides now). */
XYD_API int xyd_store_revoke(xyd_store *store, const char *request_json);

/* Checks a consent for a request {"token","subject","audience","purpose",
 * "at"?}: key (by the footer's kid) trusted and not retired, signature,
 * claims, time window, audience, subject, purpose, revocation — in that
 * order. *out_decision_json is set in both cases:
 *   {"granted":true,"jti","sub","aud","iss","mode","nbf","exp","purpose":[…],"scope":[…],"data_life_days"?}
 *   {"granted":false,"reason":"expired","detail":"…"}
 * XYD_OK when granted, XYD_ECONSENT when refused. Verified tokens are cached
 * (by hash, bounded); expiry, the request and revocation are checked every
 * time. */
XYD_API int xyd_store_check_consent(xyd_store *store, const char *request_json, char **out_decision_json);

/* ------------------------------------------------------------ masking (docs/masking.md) */

/* Checks a masking policy (JSON, docs/masking.md); *out_json (may be NULL)
 * receives it in canonical form. XYD_EVALIDATION names the JSON path of
 * the first problem. Thread-safe. */
XYD_API int xyd_mask_policy_check(const char *policy_json, char **out_json);

/* Masks one record {"type","subject",…,"data"} or, when `json` is a JSON
 * array, every record of it, for `audience` (loan_officer, external,
 * regulator, or one the policy defines) under `policy_json` (NULL: the
 * built-in policy). pseudonym_key (32 bytes, NULL when the policy asks for
 * no pseudonyms) keys the institution's pseudonyms. Thread-safe.
 * Errors: XYD_EINVAL, XYD_EPARSE, XYD_EVALIDATION, XYD_ENOTFOUND (audience). */
XYD_API int xyd_mask_record(const char *json, const char *audience, const char *policy_json,
                            const unsigned char *pseudonym_key, size_t key_len, char **out_json);

/* ------------------------------------------------------------ scoring (docs/scoring.md) */

/* A scorecard model: immutable once loaded; may be shared by threads. */
typedef struct xyd_scorecard xyd_scorecard;

/* Loads a model from an xyd-scorecard/1 JSON document or a PMML 4.x document
 * whose model is a Scorecard (told apart by the first character). Every
 * check is made here, including that every value of each characteristic's
 * fields matches an attribute; XYD_EVALIDATION names the characteristic or
 * the JSON path / PMML element at fault, XYD_EPARSE malformed JSON or XML.
 * Free with xyd_scorecard_free. Thread-safe. */
XYD_API int xyd_scorecard_load(const char *text, size_t len, xyd_scorecard **out);
/* The built-in model xyd-public-2024. */
XYD_API int xyd_scorecard_default(xyd_scorecard **out);
/* NULL is a no-op. */
XYD_API void xyd_scorecard_free(xyd_scorecard *model);
/* {"id","version","model_hash","format","fields":[{"name","type"}],
 *  "characteristics","knockouts","reason_codes":[…],"grades":[…]}. */
XYD_API int xyd_scorecard_info(const xyd_scorecard *model, char **out_json);
/* The canonical JSON form (what the content hash covers). */
XYD_API int xyd_scorecard_canonical(const xyd_scorecard *model, char **out_json);
/* Scores a JSON object of feature values (a missing key or null is a
 * missing value; numbers exact, as JSON numbers or decimal strings).
 * *out_json: {"model","version","model_hash","score","grade","knockout",
 * "reason_codes":[ranked],"reasons":[{"code","points","zh"?,"en"?}],
 * "characteristics":[{"name","attribute","label"?,"partial_score"}]}.
 * XYD_EVALIDATION names the feature at fault. Thread-safe. */
XYD_API int xyd_scorecard_score(const xyd_scorecard *model, const char *features_json, char **out_json);
/* A signature for the model (v4.public token over its id, version and
 * content hash) with a k4.secret PASERK. */
XYD_API int xyd_scorecard_sign(const xyd_scorecard *model, const char *secret_paserk, char **out_token);
/* The feature catalog's values computed from records as xyd_store_records
 * gives them with "history": true; as_of (YYYY-MM-DD, NULL: the latest
 * as_of of the records) is the reference date. Thread-safe. */
XYD_API int xyd_score_features(const char *records_json, const char *as_of, char **out_json);

/* Keeps a model in the store (id, version, content hash). signature (NULL:
 * none) must verify with a key trusted for "model"; a store that requires
 * signed models refuses a model without one (XYD_EVALIDATION). The same
 * content again is XYD_OK; another content under the same id and version is
 * XYD_EEXISTS. */
XYD_API int xyd_store_add_model(xyd_store *store, const xyd_scorecard *model, const char *signature);
/* [{"id","version","model_hash","format","signed_by","added_at"}]. */
XYD_API int xyd_store_models(xyd_store *store, char **out_json);
/* on != 0: models must be signed to be added or used (the built-in one
 * excepted). Persisted in the store. */
XYD_API int xyd_store_require_signed_models(xyd_store *store, int on);
/* Scores from the store. request_json:
 *   {"subject": "…"} or {"all": true}, "model"?: "id" | "id@version"
 *   (default "xyd-public-2024"), "as_of"?: "YYYY-MM-DD", "threads"?: N
 *   (0: every core), "write"?: true (keep each result with its model hash)
 * One subject: *out_json is its result ({"subject","as_of", then as
 * xyd_scorecard_score}). All: {"summary":{"subjects","model","version",
 * "model_hash","threads","grades":{…},"seconds"},"results":[…]} in subject
 * order. Errors: XYD_ENOTFOUND (subject or model), XYD_EVALIDATION. */
XYD_API int xyd_store_score(xyd_store *store, const char *request_json, char **out_json);
/* A subject's kept score results, newest first: [{"scored_at", …}]. */
XYD_API int xyd_store_scores(xyd_store *store, const char *subject, char **out_json);

/* ------------------------------------------------------------ reports and verification (docs/report.md) */

/* A credit report for request_json {"subject","audience","purpose",
 * "token"?, "at"?, "role"?: "external", "policy"?: {…}, "model"?:
 * "xyd-public-2024"}: header, score, one section per category, series,
 * freshness, omitted item types with their reason (docs/report.md). Without
 * a token the consent-gated sections are omitted ("no_consent"); a refused
 * token is XYD_ECONSENT. Logged in the audit log. */
XYD_API int xyd_store_report(xyd_store *store, const char *request_json, char **out_json);
/* The report (as xyd_store_report gives it) as a self-contained HTML page
 * in Chinese. Thread-safe. */
XYD_API int xyd_report_html(const char *report_json, char **out_html);
/* Data verification (数据核验: the caller's claims checked against the
 * subject's verification data; named apart from token and audit-chain
 * verification; xyd_store_verify in 0.1): request_json {"subject","audience","purpose","token",
 * "at"?, "claims":[{"id"?,"item_type","field","op"?,"value"} |
 * {"id"?,"item_type","conditions":[…]}]}; the token must grant mode
 * "verify" over the claims' item types. *out_json {"subject","jti",
 * "answers":[{"id","item_type","answer":"match"|"no_match"|"no_data"}]}.
 * Refusals are XYD_ECONSENT; bad claims XYD_EINVAL naming the claim. */
XYD_API int xyd_store_check_claims(xyd_store *store, const char *request_json, char **out_json);

/* ------------------------------------------------------------ audit log (docs/audit.md) */

/* Who this handle's audit entries name as actor (default: $XYD_ACTOR,
 * $USER, "unknown"). */
XYD_API int xyd_store_set_actor(xyd_store *store, const char *actor);
/* Recomputes the hash chain and checks the signed checkpoints, with
 * public_paserk (the institution's k4.public key; NULL: the keys the store
 * trusts for "audit", which is never tamper evidence: "keys":"store").
 * With a key given, a log that no checkpoint signed by it vouches for is
 * broken. *out_json (set in both cases):
 *   {"ok":true,"entries":N,"checkpoints":M,"keys":"given"|"store",
 *    "tamper_evident":bool,"evident_to":seq,"checkpointed_to":seq,
 *    "anchors":n,"anchored_to":seq,"unanchored":n}
 * tamper_evident covers entries 1 to evident_to only: later entries can be
 * cut off or rewritten by whoever writes the file (docs/audit.md). A
 * checkpoint entry left in the log without its checkpoint is broken.
 *   {"ok":false,…,"first_bad":seq,"problem":"…"}
 * XYD_OK when intact, XYD_ECORRUPT when not (xyd_errmsg names the entry). */
XYD_API int xyd_store_audit_verify(xyd_store *store, const char *public_paserk, char **out_json);
/* The same with anchors (docs/audit.md): request_json
 *   {"public":"k4.public…"|["k4.public…",…],
 *    "anchors":["v4.public…",…],        checkpoint tokens kept outside the store
 *    "require_anchored":false}          entries after the last anchor fail
 * Anchors need "public". A bad request is XYD_EINVAL naming the member. */
XYD_API int xyd_store_audit_verify_request(xyd_store *store, const char *request_json, char **out_json);
/* Signs the chain's head with a k4.secret PASERK; *out_json
 * {"seq","hash","token"}: file the token outside the store (the anchor). */
XYD_API int xyd_store_audit_checkpoint(xyd_store *store, const char *secret_paserk, char **out_json);
/* Automatic checkpoints: every `every` entries (0: the default, 1000), this
 * handle signs one with secret_paserk as it appends the entry. NULL stops. */
XYD_API int xyd_store_set_audit_signer(xyd_store *store, const char *secret_paserk, long long every);
/* The log as JSON Lines, one {"entry":{…},"hash":"hex"} per line. */
XYD_API int xyd_store_audit_export(xyd_store *store, char **out_jsonl);
/* {"released":{month:{purpose:{item_type:n}}},"refused":{month:{reason:n}},"actions":{…}}. */
XYD_API int xyd_store_audit_stats(xyd_store *store, char **out_json);

#ifdef __cplusplus
}
#endif

#endif /* XYD_H */
