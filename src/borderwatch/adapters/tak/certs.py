"""A small certificate authority for the TAK stream, and ATAK data packages.

``tak certs init`` makes the CA and the stream's server certificate; ``tak certs revoke``
puts a device's certificate on the CA's revocation list (revocation.py); ``tak certs device``
a client certificate per device, ``CN=<device>, O=<agency>, OU=<role>`` (identity.py
reads them back), and the data package ATAK imports (docs/devices.md, "ATAK phones"):

    <device>.zip
      MANIFEST/manifest.xml   MissionPackageManifest version 2: uid, name, the entries
      <device>.pref           cot_streams (connectString0 host:port:ssl, caLocation0,
                              certificateLocation0 and their passwords) and the same keys
                              in com.atakmap.app_preferences (the default TLS settings)
      truststore.p12          the CA certificate alone
      <device>.p12            the device's key and certificate, and the CA

Keys are RSA 2048 and the PKCS#12 files use SHA-1/3DES (PBESv1) with a SHA-1 MAC: what
TAK Server's own scripts make and every Android keystore ATAK runs on reads (a
PBES2/AES file is refused by older ones). Private keys, the .p12 files and the packages
(they hold passwords) are written 0600; nothing is overwritten without ``force``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from borderwatch.adapters.tak.identity import DEVICE_ROLES, normal_agency
from borderwatch.adapters.tak.revocation import REASONS, Revoked, read_crl, write_crl
from borderwatch.domain import BorderwatchError, InputError

CA_KEY, CA_CERT = "ca.key", "ca.pem"
SERVER_KEY, SERVER_CERT = "server.key", "server.pem"
DEVICES = "devices"
DEFAULT_HOSTS = ("127.0.0.1", "localhost")
CA_DAYS, LEAF_DAYS = 3650, 730
DEFAULT_PORT = 8089
"""TAK Server's TLS streaming port (CoreConfig ``<input ... port="8089"/>``)."""


class CertError(BorderwatchError):
    """A certificate cannot be made or read (printed without a traceback)."""


@dataclass(frozen=True)
class DevicePackage:
    """What ``tak certs device`` wrote."""

    key: Path
    cert: Path
    p12: Path
    package: Path
    password: str
    """The password of the device's .p12 (also in the package's .pref, as ATAK needs)."""


def init_authority(folder: Path, *, hosts: Sequence[str] = DEFAULT_HOSTS,
                   name: str = "Borderwatch TAK CA", force: bool = False) -> list[Path]:
    """Make the CA and the server certificate (SAN: ``hosts``, IPs or DNS names) in
    ``folder``; the paths written."""
    if not hosts:
        raise InputError("--host", "give at least one host name or IP address")
    paths = [folder / n for n in (CA_KEY, CA_CERT, SERVER_KEY, SERVER_CERT)]
    _refuse_overwrite(paths, force, "--dir")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = _new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (_builder(ca_name, ca_name, ca_key, CA_DAYS)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server_key = _new_key()
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    server = (_builder(server_name, ca.subject, server_key, LEAF_DAYS)
              .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]),
                             critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
    _write_key(paths[0], ca_key)
    _write(paths[1], ca.public_bytes(serialization.Encoding.PEM), 0o644)
    _write_key(paths[2], server_key)
    _write(paths[3], server.public_bytes(serialization.Encoding.PEM), 0o644)
    return paths


def issue_device(folder: Path, *, name: str, agency: str, role: str,
                 host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 password: str | None = None, force: bool = False) -> DevicePackage:
    """A client certificate for device ``name`` signed by the CA in ``folder``, and its
    data package (connecting to ``host:port`` over TLS)."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InputError("--name", f"letters, digits, '-', '_' and '.' only, got {name!r}")
    agency = normal_agency(agency)
    if role not in DEVICE_ROLES:
        raise InputError("--role", f"must be one of {', '.join(DEVICE_ROLES)}, got {role!r}")
    if not 0 < port < 65536:
        raise InputError("--port", f"must be a TCP port, got {port}")
    if password is not None and len(password) < 8:
        raise InputError("--password", "at least 8 characters")
    ca_key, ca = load_authority(folder)
    out = folder / DEVICES
    paths = DevicePackage(out / f"{name}.key", out / f"{name}.pem", out / f"{name}.p12",
                          out / f"{name}.zip", password or secrets.token_urlsafe(12))
    _refuse_overwrite([paths.key, paths.cert, paths.p12, paths.package], force, "--name")
    out.mkdir(parents=True, exist_ok=True)
    key = _new_key()
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
    ])
    cert = (_builder(subject, ca.subject, key, LEAF_DAYS)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    client_p12 = pkcs12.serialize_key_and_certificates(
        name.encode(), key, cert, [ca], _p12_encryption(paths.password))
    # The truststore's password protects nothing secret (a CA certificate); ATAK needs one.
    trust_password = "atakatak"
    truststore = pkcs12.serialize_key_and_certificates(
        None, None, None, [ca], _p12_encryption(trust_password))
    _write_key(paths.key, key)
    _write(paths.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(paths.p12, client_p12, 0o600)
    pref_name = f"{name}.pref"
    files = {
        pref_name: preference_file(name=name, host=host, port=port,
                                   client_p12=f"{name}.p12", client_password=paths.password,
                                   truststore="truststore.p12",
                                   truststore_password=trust_password).encode(),
        "truststore.p12": truststore,
        f"{name}.p12": client_p12,
    }
    manifest = manifest_xml(uid=str(uuid.uuid4()), name=f"Borderwatch {name}",
                            entries=list(files))
    _write_zip(paths.package, {"MANIFEST/manifest.xml": manifest.encode(), **files})
    return paths


def revoke_device(folder: Path, *, name: str, reason: str = "unspecified") -> Revoked:
    """Revoke device ``name``'s certificate (``devices/<name>.pem``): its serial goes into
    the CA's CRL, which a running stream reads at once (revocation.py). Revoking it again
    changes nothing and returns the first revocation."""
    if reason not in REASONS:
        raise InputError("--reason", f"must be one of {', '.join(REASONS)}, got {reason!r}")
    ca_key, ca = load_authority(folder)
    path = folder / DEVICES / f"{name}.pem"
    if not path.is_file():
        known = sorted(p.stem for p in (folder / DEVICES).glob("*.pem"))
        raise InputError("--name", f"no device {name!r} in {folder / DEVICES} (devices: "
                         f"{', '.join(known) or 'none'})")
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    if cert.issuer != ca.subject:
        raise CertError(f"{path} was not signed by the CA in {folder}")
    revoked = read_crl(folder, ca)
    for item in revoked:
        if item.serial == cert.serial_number:
            return item
    item = Revoked(cert.serial_number, dt.datetime.now(dt.UTC).replace(microsecond=0),
                   REASONS[reason].name)
    write_crl(folder, ca_key, ca, [*revoked, item])
    return item


def load_authority(folder: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The CA's key and certificate in ``folder`` (``CertError`` says what is missing)."""
    key_path, cert_path = folder / CA_KEY, folder / CA_CERT
    if not key_path.is_file() or not cert_path.is_file():
        raise CertError(f"no CA in {folder}: run `borderwatch tak certs init --dir {folder}`")
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError as err:
        raise CertError(f"{folder}: the CA files cannot be read: {err}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertError(f"{key_path}: not an RSA key")
    return key, cert


def preference_file(*, name: str, host: str, port: int, client_p12: str,
                    client_password: str, truststore: str, truststore_password: str) -> str:
    """ATAK's preference file: one TLS stream (``cot_streams``) and the same certificate
    settings as the app's defaults. Certificate paths are ``cert/<file>``: where ATAK
    puts the .p12 files of an imported package."""

    def entry(key: str, value: str | int | bool) -> str:
        kind = {bool: "Boolean", int: "Integer"}.get(type(value), "String")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        kind_attr = quoteattr(f"class java.lang.{kind}")
        return f"    <entry key={quoteattr(key)} class={kind_attr}>{escape(text)}</entry>"

    certs = {"caLocation": f"cert/{truststore}", "caPassword": truststore_password,
             "certificateLocation": f"cert/{client_p12}", "clientPassword": client_password}
    stream = [entry("count", 1), entry("description0", f"Borderwatch ({name})"),
              entry("enabled0", True), entry("connectString0", f"{host}:{port}:ssl"),
              *(entry(k + "0", v) for k, v in certs.items())]
    app = [entry("displayServerConnectionWidget", True), *(entry(k, v) for k, v in certs.items())]
    return "\n".join([
        "<?xml version='1.0' encoding='ASCII' standalone='yes'?>",
        "<preferences>",
        '  <preference version="1" name="cot_streams">', *stream, "  </preference>",
        '  <preference version="1" name="com.atakmap.app_preferences">', *app,
        "  </preference>",
        "</preferences>", ""])


def manifest_xml(*, uid: str, name: str, entries: Sequence[str]) -> str:
    """MANIFEST/manifest.xml: a version 2 MissionPackageManifest listing ``entries``,
    imported on receipt and kept afterwards."""
    contents = "\n".join(f'    <Content ignore="false" zipEntry={quoteattr(e)}/>'
                         for e in entries)
    return "\n".join([
        '<MissionPackageManifest version="2">',
        "  <Configuration>",
        f'    <Parameter name="uid" value={quoteattr(uid)}/>',
        f'    <Parameter name="name" value={quoteattr(name)}/>',
        '    <Parameter name="onReceiveImport" value="true"/>',
        '    <Parameter name="onReceiveDelete" value="false"/>',
        "  </Configuration>",
        "  <Contents>", contents, "  </Contents>",
        "</MissionPackageManifest>", ""])


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _builder(subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey,
             days: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))  # a phone's clock runs behind
            .not_valid_after(now + dt.timedelta(days=days)))


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        if not host or not all(c.isalnum() or c in "-." for c in host):
            raise InputError("--host", f"not an IP address or DNS name: {host!r}") from None
        return x509.DNSName(host)


def _p12_encryption(password: str) -> serialization.KeySerializationEncryption:
    return (serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(password.encode()))


def _refuse_overwrite(paths: Sequence[Path], force: bool, option: str) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise InputError(option, f"{', '.join(existing)} already exist(s); give --force to "
                         "replace (devices holding the old certificates must be re-issued)")


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    _write(path, key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()), 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file created with ``mode`` (a key is never readable by
    others, not even for a moment), then move it into place."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)  # the umask may have narrowed it; never widened
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_zip(path: Path, files: dict[str, bytes]) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
