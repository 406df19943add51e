"""The audit log's Ed25519 key directory: create it, load the signer, load the checker.

A key directory holds ``audit.key`` (the private key, PEM PKCS #8, mode 0600),
``audit.pub`` (the public key, PEM, for whoever verifies) and ``checkpoints.jsonl`` (the
signed checkpoints of the log's head, ``checkpoints.py``). Keep it outside the database's
directory and backups: whoever can write the database should not be able to read the key
or rewrite the checkpoints. One directory per audit log. An auditor needs only
``audit.pub`` and ``checkpoints.jsonl``. Key ids are the first 16 hex digits of the SHA-256
of the raw public key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from borderwatch.adapters.audit.checkpoints import CheckpointFile
from borderwatch.domain import InputError
from borderwatch.screening.audit_proof import AuditSeal

KEYS_ENV = "BORDERWATCH_AUDIT_KEYS"
"""The environment variable naming the key directory (the service, the CLI)."""
PRIVATE, PUBLIC, CHECKPOINTS = "audit.key", "audit.pub", "checkpoints.jsonl"


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Ed25519Signer:
    """:class:`~borderwatch.screening.audit_proof.Signer` with an Ed25519 key (RFC 8032)."""

    private: Ed25519PrivateKey

    @property
    def scheme(self) -> str:
        return "ed25519"

    @property
    def key_id(self) -> str:
        return key_id_of(self.private.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


@dataclass(frozen=True)
class Ed25519Check:
    """:class:`~borderwatch.screening.audit_proof.SignatureCheck` with a public key."""

    public: Ed25519PublicKey

    @property
    def scheme(self) -> str:
        return "ed25519"

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def valid(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def init_key_dir(directory: Path) -> str:
    """Create a key directory (mode 0700) with a new key pair; returns the key id.
    Refuses (``InputError``) when it already holds a key: a key is never overwritten."""
    if (directory / PRIVATE).exists():
        raise InputError("--keys", f"{directory / PRIVATE} exists: a key is never "
                         "overwritten (remove it yourself to start a new log)")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # O_EXCL with 0600: the key is never readable by others, not even for a moment.
    fd = os.open(directory / PRIVATE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    (directory / PUBLIC).write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key_id_of(private.public_key())


def load_signer(directory: Path) -> Ed25519Signer:
    """The signer of a key directory; ``InputError`` naming the file when it cannot be
    used (missing, not an Ed25519 key, readable by others)."""
    path = directory / PRIVATE
    if not path.is_file():
        raise InputError("--keys", f"no private key at {path} (`borderwatch audit init-key`)")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise InputError("--keys", f"{path} is readable by others: chmod 600 it")
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as err:
        raise InputError("--keys", f"{path} is not a usable private key ({err})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise InputError("--keys", f"{path} is not an Ed25519 key")
    return Ed25519Signer(private)


def load_check(directory: Path) -> Ed25519Check:
    """The public key of a key directory (``audit.pub``; all a verifier needs)."""
    path = directory / PUBLIC
    if not path.is_file():
        raise InputError("--keys", f"no public key at {path}")
    try:
        public = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, TypeError) as err:
        raise InputError("--keys", f"{path} is not a usable public key ({err})") from None
    if not isinstance(public, Ed25519PublicKey):
        raise InputError("--keys", f"{path} is not an Ed25519 public key")
    return Ed25519Check(public)


def load_seal(directory: Path, *, every: int = 1) -> AuditSeal:
    """What a writer of the log needs: the signer and the checkpoint file."""
    return AuditSeal(load_signer(directory), CheckpointFile(directory / CHECKPOINTS), every)


def seal_from_env(environ: dict[str, str] | None = None) -> AuditSeal | None:
    """The seal of the key directory named by ``BORDERWATCH_AUDIT_KEYS`` (None: unset,
    the log is written unsigned and verifies as *unkeyed*)."""
    value = (os.environ if environ is None else environ).get(KEYS_ENV, "")
    return load_seal(Path(value)) if value else None
