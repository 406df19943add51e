"""Revoked device certificates: ``tak certs revoke`` signs a CRL, the stream reads it live.

A lost or stolen phone holds a client certificate that the CA signed for two years; the
stream must refuse it from the moment an administrator says so, without a restart that
would cut every other field team off the picture. So the revocation list is an X.509 CRL
(RFC 5280, section 5) signed by the deployment's CA, ``crl.pem`` beside ``ca.pem``, and
the stream checks each connection's certificate serial against it: at the handshake, and
again as the connection reads, so a device revoked while connected is dropped too. The
file is read again whenever it changes (its modification time and size).

The CRL's own signature is checked against the CA: a CRL another key signed is not ours.
A CRL that cannot be read when the service starts stops it (the option named); one that
turns unreadable while it runs leaves the last good list in force and is reported, so a
half-written file never lets a revoked device back in.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from borderwatch.domain import InputError

CRL = "crl.pem"
CRL_DAYS = 3650
"""Until the CRL's ``nextUpdate``: as long as the CA lives. The stream does not treat an
old CRL as void (that would let every revoked device back in, or refuse every device);
each ``revoke`` signs a new one anyway."""
REASONS: Mapping[str, x509.ReasonFlags] = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "lost": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
}
"""`tak certs revoke --reason`: RFC 5280 reason codes (5.3.1); ``lost`` is recorded as
key compromise, as a lost phone's key must be taken to be."""


class RevocationError(InputError):
    """The CRL cannot be read or is not signed by this deployment's CA."""


@dataclass(frozen=True)
class Revoked:
    serial: int
    when: dt.datetime
    reason: str


def read_crl(folder: Path, ca: x509.Certificate) -> list[Revoked]:
    """The revoked serials in ``folder``'s CRL (none without one), its signature checked."""
    path = folder / CRL
    if not path.is_file():
        return []
    try:
        crl = x509.load_pem_x509_crl(path.read_bytes())
    except ValueError as err:
        raise RevocationError("--tak-certs", f"{path}: not a PEM CRL: {err}") from None
    public = ca.public_key()
    if crl.issuer != ca.subject or not (isinstance(public, rsa.RSAPublicKey)
                                        and crl.is_signature_valid(public)):
        raise RevocationError("--tak-certs", f"{path}: not signed by the CA in {folder}")
    out = []
    for entry in crl:
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
        except x509.ExtensionNotFound:
            reason = "unspecified"
        out.append(Revoked(entry.serial_number, entry.revocation_date_utc, reason))
    return out


def write_crl(folder: Path, ca_key: rsa.RSAPrivateKey, ca: x509.Certificate,
              revoked: list[Revoked]) -> Path:
    """Sign a CRL of ``revoked`` with the CA and put it in place atomically (a reader sees
    the old file or the new one, never half of one)."""
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(ca.subject).last_update(now)
               .next_update(now + dt.timedelta(days=CRL_DAYS)))
    for item in revoked:
        entry = (x509.RevokedCertificateBuilder().serial_number(item.serial)
                 .revocation_date(item.when)
                 .add_extension(x509.CRLReason(x509.ReasonFlags[item.reason]), critical=False)
                 .build())
        builder = builder.add_revoked_certificate(entry)
    data = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    path = folder / CRL
    fd, temp = tempfile.mkstemp(prefix=".crl-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


@dataclass
class Revocations:
    """The stream's view of ``folder``'s CRL, read again whenever the file changes."""

    folder: Path
    ca: x509.Certificate
    serials: frozenset[int] = frozenset()
    last_error: str = ""
    """Why the file could not be read the last time it changed (the old list stays)."""
    _seen: tuple[int, int] | None = field(default=None, repr=False)

    @classmethod
    def at(cls, folder: Path) -> Revocations:
        """Read at the service's start: an unreadable CRL is an error naming the option."""
        path = folder / "ca.pem"
        try:
            ca = x509.load_pem_x509_certificate(path.read_bytes())
        except (OSError, ValueError) as err:
            raise RevocationError("--tak-certs", f"{path}: {err}") from None
        made = cls(folder, ca)
        made.serials = frozenset(r.serial for r in read_crl(folder, ca))
        made._seen = made._stat()
        return made

    def is_revoked(self, serial: int) -> bool:
        self._refresh()
        return serial in self.serials

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = (self.folder / CRL).stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _refresh(self) -> None:
        seen = self._stat()
        if seen == self._seen:
            return
        try:
            self.serials = frozenset(r.serial for r in read_crl(self.folder, self.ca))
            self.last_error = ""
        except RevocationError as err:
            self.last_error = err.reason
        self._seen = seen


def peer_serial(peer: Mapping[str, object]) -> int | None:
    """The serial of a peer certificate as ``SSLSocket.getpeercert()`` gives it (hex)."""
    value = peer.get("serialNumber")
    return int(value, 16) if isinstance(value, str) else None
