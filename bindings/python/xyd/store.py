# SPDX-License-Identifier: Apache-2.0
"""The encrypted embedded store (xyd_store_* of the C ABI)."""

import ctypes
import json
import os
import warnings

from . import _ffi
from .errors import Error, ValidationError, error_for

OPEN_CREATE = 1
OPEN_READONLY = 2
INGEST_SKIP_INVALID = 1


def generate_key():
    """A new random 32-byte master key (bytes). Keep it secret."""
    buf = ctypes.create_string_buffer(32)
    _ffi.xyd_key_generate(buf)
    return buf.raw


def write_key_file(path):
    """Writes a new key file (mode 0600); refuses to overwrite (ExistsError)."""
    _ffi.xyd_key_file_generate(os.fsencode(path))


class IngestError(ValidationError):
    """An atomic ingest stopped at an invalid record; `summary` says what was read."""

    def __init__(self, message, code, summary):
        super().__init__(message, code)
        self.summary = summary


class AuditVerdict(dict):
    """The verdict of Store.audit_verify: a dict ({"ok", "entries",
    "checkpoints", "first_bad"?, "problem"?}) that is true only when the log
    is intact."""

    def __bool__(self):
        return bool(self.get("ok"))


class Store(_ffi.Handle):
    """An encrypted xyd store: ``with xyd.Store(path, key) as store: ...``.

    `key` is 32 bytes, or a path to a key file (str or os.PathLike) with
    ``key_file=True``. `create` makes the file when it does not exist;
    `read_only` opens it for reading only. The handle may be shared by
    threads; its calls are serialised."""

    def __init__(self, path, key, *, create=True, read_only=False, key_file=False):
        flags = (OPEN_CREATE if create and not read_only else 0) | (OPEN_READONLY if read_only else 0)
        handle = _ffi.store_p()
        if isinstance(key, (str, os.PathLike)):
            key_file = True  # a path: the key file `xyd keygen` writes
        elif isinstance(key, (bytes, bytearray)) and len(key) == 64:
            try:
                key = bytes.fromhex(bytes(key).decode("ascii"))  # the hex text of a key file
            except ValueError:
                pass
        if key_file:
            _ffi.xyd_store_open_key_file(os.fsencode(path), os.fsencode(key), flags, ctypes.byref(handle))
        else:
            key = bytes(key)
            _ffi.xyd_store_open(os.fsencode(path), key, len(key), flags, ctypes.byref(handle))
            if len(key) == 32 and _ffi.xyd_key_check(key, 32) != 0:
                # An existing store opened under a weak key (a new one is refused).
                warnings.warn("xyd: " + _ffi.xyd_errmsg().decode("utf-8", "replace"), RuntimeWarning, stacklevel=2)
        self._h = handle

    _free = staticmethod(_ffi.xyd_store_close)
    _closed_error = Error
    _closed = "store is closed"

    # -- ingest
    def _ingest_result(self, status, out):
        text = _ffi.take_string(out)
        if status == 0:
            return json.loads(text)
        message = _ffi.xyd_errmsg().decode("utf-8", "replace")
        if text is not None:
            raise IngestError(message, status, json.loads(text))
        raise error_for(status, message)

    def ingest(self, data, *, skip_invalid=False):
        """Ingests JSON Lines (str or bytes) as one batch; returns the summary dict.
        Atomic unless skip_invalid: raises IngestError (a ValidationError) at the
        first invalid record, the store unchanged."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        out = ctypes.c_void_p()
        status = _ffi.xyd_store_ingest(
            self._handle(), data, len(data), INGEST_SKIP_INVALID if skip_invalid else 0, ctypes.byref(out)
        )
        return self._ingest_result(status, out)

    def ingest_file(self, path, *, skip_invalid=False):
        out = ctypes.c_void_p()
        status = _ffi.xyd_store_ingest_file(
            self._handle(), os.fsencode(path), INGEST_SKIP_INVALID if skip_invalid else 0, ctypes.byref(out)
        )
        return self._ingest_result(status, out)

    # -- queries
    def records(self, subject, *, item_type=None, category=None, history=False):
        """The institution's own view of a subject's records as dicts
        (unmasked; current ones unless history=True). A release to a bank is
        release()."""
        query = {"subject": subject, "history": bool(history)}
        if item_type is not None:
            query["item_type"] = item_type
        if category is not None:
            query["category"] = int(category)
        out = ctypes.c_void_p()
        _ffi.xyd_store_records(self._handle(), json.dumps(query, ensure_ascii=False).encode("utf-8"), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    def release(self, subject, audience, purpose=None, token=None, *, item_type=None, category=None, history=False,
                at=None, role=None, policy=None):
        """A release of a subject's records to the bank `audience` (its
        institution id): only what needs no consent, plus, with a consent
        `token` granted for this subject, audience and `purpose`, the item
        types of its scope (stamped "consent_jti"); everything else is
        masked for `role` (loan_officer, external — the default —,
        regulator) under `policy` (xyd.MaskPolicy or dict; None: built-in).
        A refused token raises xyd.ConsentError."""
        request = {"subject": subject, "audience": audience, "history": bool(history)}
        for key, v in (("purpose", purpose), ("token", token), ("at", at), ("item_type", item_type), ("role", role)):
            if v is not None:
                request[key] = v
        if category is not None:
            request["category"] = int(category)
        if policy is not None:
            request["policy"] = json.loads(policy.json) if hasattr(policy, "json") else policy
        out = ctypes.c_void_p()
        _ffi.xyd_store_release(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    def subjects(self):
        out = ctypes.c_void_p()
        _ffi.xyd_store_subjects(self._handle(), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    def stats(self):
        out = ctypes.c_void_p()
        _ffi.xyd_store_stats(self._handle(), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    # -- changes
    def repair(self, record_id, reason, date, operator, action="repair"):
        """Marks a record repaired (信用修复) or, with action="withdraw", withdrawn,
        with the reason, the date (YYYY-MM-DD) and the operator."""
        request = {"id": int(record_id), "action": action, "reason": reason, "operator": operator, "date": date}
        _ffi.xyd_store_repair(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"))

    def purge(self, before):
        out = ctypes.c_void_p()
        _ffi.xyd_store_purge(self._handle(), before.encode("ascii"), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    # -- consent keyring and revocation
    def trust_key(self, public, *, issuer="", retired_from=None, use="consent"):
        """Trusts a k4.public key (found by its k4.pid) to sign consents
        (use="consent", the default) or scorecard models (use="model")."""
        options = {"issuer": issuer, "use": use}
        if retired_from is not None:
            options["retired_from"] = retired_from
        _ffi.xyd_store_trust_key(self._handle(), public.encode("utf-8"), json.dumps(options, ensure_ascii=False).encode("utf-8"))

    def retire_key(self, kid, retired_from):
        _ffi.xyd_store_retire_key(self._handle(), kid.encode("utf-8"), retired_from.encode("utf-8"))

    def keys(self):
        out = ctypes.c_void_p()
        _ffi.xyd_store_keys(self._handle(), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    def revoke(self, *, jti=None, subject=None, audience=None, at=None):
        """Revokes one consent (jti) or every consent of subject to audience."""
        request = {k: v for k, v in (("jti", jti), ("subject", subject), ("audience", audience), ("at", at)) if v is not None}
        _ffi.xyd_store_revoke(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"))

    def check_consent(self, token, *, subject, audience, purpose, at=None):
        """The decision dict: {"granted": True, …claims} or {"granted": False, "reason", "detail"}."""
        request = {"token": token, "subject": subject, "audience": audience, "purpose": purpose}
        if at is not None:
            request["at"] = at
        out = ctypes.c_void_p()
        status = _ffi.xyd_store_check_consent(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"),
                                              ctypes.byref(out))
        text = _ffi.take_string(out)
        if text is None:
            raise error_for(status, _ffi.xyd_errmsg().decode("utf-8", "replace"))
        return json.loads(text)

    # -- reports and verification (docs/report.md)
    def report(self, subject, audience=None, purpose=None, token=None, *, role=None, policy=None, model=None, at=None):
        """A credit report (dict): header, score, sections per category,
        series, freshness, omitted item types with their reason. Without a
        token the consent-gated sections are omitted ("no_consent"); a
        refused token raises ConsentError."""
        if not audience or not purpose:
            raise TypeError("report() needs audience and purpose")
        request = {"subject": subject, "audience": audience, "purpose": purpose}
        for key, v in (("token", token), ("role", role), ("model", model), ("at", at)):
            if v is not None:
                request[key] = v
        if policy is not None:
            request["policy"] = json.loads(policy.json) if hasattr(policy, "json") else policy
        out = ctypes.c_void_p()
        _ffi.xyd_store_report(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"), ctypes.byref(out))
        return json.loads(_ffi.take_string(out), parse_float=__import__("decimal").Decimal)

    def check_claims(self, subject, claims, audience=None, purpose=None, token=None, *, at=None):
        """Data verification (数据核验): each claim answered "match",
        "no_match" or "no_data" (never the record); {"subject", "jti",
        "answers": [...]}. The token must grant mode "verify"."""
        if not audience or not purpose:
            raise TypeError("check_claims() needs audience and purpose")
        request = {"subject": subject, "audience": audience, "purpose": purpose, "token": token or "", "claims": claims}
        if at is not None:
            request["at"] = at
        out = ctypes.c_void_p()
        _ffi.xyd_store_check_claims(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"),
                                    ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    # -- audit log (docs/audit.md)
    def set_actor(self, actor):
        """Who this handle's audit entries name."""
        _ffi.xyd_store_set_actor(self._handle(), actor.encode("utf-8"))

    def audit_verify(self, public=None, *, anchors=None, require_anchored=False):
        """{"ok": True, "entries", "checkpoints", "keys", "tamper_evident",
        "evident_to", …} or {"ok": False, …, "first_bad", "problem"}
        (docs/audit.md). tamper_evident covers entries 1 to evident_to only.
        `public`: the institution's k4.public PASERK that signs checkpoints
        (without it the store's own keyring is used: never tamper evidence).
        `anchors`: checkpoint tokens kept outside the store; the chain must
        reach each. `require_anchored`: entries after the last anchor fail."""
        out = ctypes.c_void_p()
        if anchors is None and not require_anchored:
            status = _ffi.xyd_store_audit_verify(self._handle(), public.encode("utf-8") if public else None,
                                                 ctypes.byref(out))
        else:
            request = {"anchors": list(anchors or []), "require_anchored": bool(require_anchored)}
            if public:
                request["public"] = public
            status = _ffi.xyd_store_audit_verify_request(self._handle(), json.dumps(request).encode("utf-8"),
                                                         ctypes.byref(out))
        text = _ffi.take_string(out)
        if text is None:
            raise error_for(status, _ffi.xyd_errmsg().decode("utf-8", "replace"))
        return AuditVerdict(json.loads(text))

    def audit_checkpoint(self, secret):
        """Signs the chain's head with the institution's k4.secret PASERK:
        {"seq", "hash", "token"}; file the token outside the store (an anchor)."""
        out = ctypes.c_void_p()
        _ffi.xyd_store_audit_checkpoint(self._handle(), secret.encode("utf-8"), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    def set_audit_signer(self, secret, every=1000):
        """Signs a checkpoint automatically every `every` entries; None stops."""
        _ffi.xyd_store_set_audit_signer(self._handle(), secret.encode("utf-8") if secret else None, int(every))

    def audit_export(self):
        """The log: a list of {"entry": {...}, "hash": hex}."""
        out = ctypes.c_void_p()
        _ffi.xyd_store_audit_export(self._handle(), ctypes.byref(out))
        return [json.loads(line) for line in _ffi.take_string(out).splitlines()]

    def audit_stats(self):
        out = ctypes.c_void_p()
        _ffi.xyd_store_audit_stats(self._handle(), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    # -- scoring (docs/scoring.md)
    def score(self, subject=None, *, all=False, model=None, as_of=None, threads=None, write=True):
        """Scores one subject from its records (features, then the model:
        by default xyd-public-2024; else "id" or "id@version" of a model
        added with add_model). With all=True, every subject over all cores:
        {"summary": {...}, "results": [...]}. Results are kept in the store
        with the model hash unless write=False. Exact numbers (int/Decimal)."""
        from .scoring import loads
        request = {"write": bool(write)}
        if all:
            request["all"] = True
        else:
            request["subject"] = subject
        if model is not None:
            request["model"] = model
        if as_of is not None:
            request["as_of"] = as_of
        if threads is not None:
            request["threads"] = int(threads)
        out = ctypes.c_void_p()
        _ffi.xyd_store_score(self._handle(), json.dumps(request, ensure_ascii=False).encode("utf-8"), ctypes.byref(out))
        return loads(_ffi.take_string(out))

    def scores(self, subject):
        """The subject's kept score results, newest first."""
        from .scoring import loads
        out = ctypes.c_void_p()
        _ffi.xyd_store_scores(self._handle(), subject.encode("utf-8"), ctypes.byref(out))
        return loads(_ffi.take_string(out))

    def features(self, subject, as_of=None):
        """The subject's features (the feature catalog) from its records."""
        from .scoring import features
        return features(self.records(subject, history=True), as_of)

    def add_model(self, scorecard, signature=None):
        """Keeps a Scorecard in the store; signature from Scorecard.sign()."""
        _ffi.xyd_store_add_model(self._handle(), scorecard._handle(), signature.encode("utf-8") if signature else None)

    def models(self):
        out = ctypes.c_void_p()
        _ffi.xyd_store_models(self._handle(), ctypes.byref(out))
        return json.loads(_ffi.take_string(out))

    def require_signed_models(self, on=True):
        _ffi.xyd_store_require_signed_models(self._handle(), 1 if on else 0)

    def rekey(self, new_key):
        new_key = bytes(new_key)
        _ffi.xyd_store_rekey(self._handle(), new_key, len(new_key))
