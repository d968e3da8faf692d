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

/* Static English text for a status code ("unknown error code" for codes this
 * version does not know). Never NULL, never freed. Thread-safe. */
XYD_API const char *xyd_strerror(int code);

/* The message of the last failure on the calling thread ("no error" when
 * there was none). Never NULL; valid until the thread's next xyd call; not
 * freed. Thread-safe (thread-local). */
XYD_API const char *xyd_errmsg(void);

/* Releases memory the library handed out. NULL is a no-op. Thread-safe. */
XYD_API void xyd_free(void *p);

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

#ifdef __cplusplus
}
#endif

#endif /* XYD_H */
