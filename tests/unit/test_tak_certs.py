"""`borderwatch tak certs`: the CA, the server certificate, device certificates whose
subject carries agency and role, the ATAK data package, 0600 keys, no silent overwrite;
and the certificate subject read back as (device, agency, role)."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree as SafeET
from typer.testing import CliRunner

from borderwatch.adapters.tak.certs import CertError, init_authority, issue_device, revoke_device
from borderwatch.adapters.tak.identity import (
    DeviceIdentity,
    identity_from_peercert,
    identity_from_subject,
)
from borderwatch.adapters.tak.revocation import CRL, Revocations, read_crl
from borderwatch.app.cli.main import app
from borderwatch.domain import InputError
from borderwatch.domain.access import Role


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_makes_a_ca_and_a_server_certificate_with_the_hosts(tmp_path: Path) -> None:
    init_authority(tmp_path, hosts=("127.0.0.1", "tak.example.org"))
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    server = x509.load_pem_x509_certificate((tmp_path / "server.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert server.issuer == ca.subject
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["tak.example.org"]
    assert _mode(tmp_path / "ca.key") == 0o600 and _mode(tmp_path / "server.key") == 0o600


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    init_authority(tmp_path)
    before = (tmp_path / "ca.pem").read_bytes()
    with pytest.raises(InputError, match=r"already exist.*--force"):
        init_authority(tmp_path)
    assert (tmp_path / "ca.pem").read_bytes() == before
    init_authority(tmp_path, force=True)
    assert (tmp_path / "ca.pem").read_bytes() != before


def test_device_certificate_subject_and_data_package(tmp_path: Path) -> None:
    init_authority(tmp_path)
    made = issue_device(tmp_path, name="ATAK-01", agency="rcmp", role="field",
                        host="10.0.0.5", port=8089, password="s3cret-pass")
    cert = x509.load_pem_x509_certificate(made.cert.read_bytes())
    subject = {a.oid: a.value for a in cert.subject}
    assert subject == {NameOID.COMMON_NAME: "ATAK-01", NameOID.ORGANIZATION_NAME: "RCMP",
                       NameOID.ORGANIZATIONAL_UNIT_NAME: "field"}
    for secret in (made.key, made.p12, made.package):
        assert _mode(secret) == 0o600, secret
    with zipfile.ZipFile(made.package) as package:
        names = set(package.namelist())
        assert names == {"MANIFEST/manifest.xml", "ATAK-01.pref", "truststore.p12",
                         "ATAK-01.p12"}
        manifest = SafeET.fromstring(package.read("MANIFEST/manifest.xml"))
        entries = {c.get("zipEntry") for c in manifest.iter("Content")}
        assert entries == names - {"MANIFEST/manifest.xml"}
        pref = SafeET.fromstring(package.read("ATAK-01.pref"))
        streams = {e.get("key"): e.text for e in pref.find("preference[@name='cot_streams']")}
        client = pkcs12.load_pkcs12(package.read("ATAK-01.p12"), b"s3cret-pass")
        trust = pkcs12.load_pkcs12(package.read("truststore.p12"),
                                   (streams["caPassword0"] or "").encode())
    assert streams["connectString0"] == "10.0.0.5:8089:ssl"
    assert streams["certificateLocation0"] == "cert/ATAK-01.p12"
    assert streams["clientPassword0"] == "s3cret-pass"
    assert client.cert is not None and client.cert.certificate == cert
    assert trust.key is None and [c.certificate.subject for c in trust.additional_certs] == [
        cert.issuer]


def test_device_refuses_bad_input_and_overwrites(tmp_path: Path) -> None:
    with pytest.raises(CertError, match=r"no CA in .*tak certs init"):
        issue_device(tmp_path, name="ATAK-01", agency="RCMP", role="field")
    init_authority(tmp_path)
    with pytest.raises(InputError, match="--role: must be one of field, viewer, partner"):
        issue_device(tmp_path, name="ATAK-01", agency="RCMP", role="boss")
    with pytest.raises(InputError, match="--name"):
        issue_device(tmp_path, name="../x", agency="RCMP", role="field")
    with pytest.raises(InputError, match="agency"):
        issue_device(tmp_path, name="ATAK-01", agency="R C", role="field")
    issue_device(tmp_path, name="ATAK-01", agency="RCMP", role="field")
    with pytest.raises(InputError, match="--force"):
        issue_device(tmp_path, name="ATAK-01", agency="USBP", role="field")


def test_cli_makes_the_files_and_names_a_missing_ca(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["tak", "certs", "device", "--dir", str(tmp_path),
                                 "--name", "A1", "--agency", "RCMP"])
    assert isinstance(result.exception, CertError)
    assert runner.invoke(app, ["tak", "certs", "init", "--dir", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["tak", "certs", "device", "--dir", str(tmp_path),
                                 "--name", "A1", "--agency", "usbp", "--role", "partner"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "devices" / "A1.zip").is_file()


def test_subject_maps_to_agency_and_role() -> None:
    peer = {"subject": ((("commonName", "ATAK-07"),), (("organizationName", "usbp"),),
                        (("organizationalUnitName", "partner"),))}
    who = identity_from_peercert(peer)
    assert who == DeviceIdentity("ATAK-07", "USBP", "partner")
    assert who.principal.role is Role.PARTNER and who.principal.sharing_agency == "USBP"
    assert not who.may_report
    field = identity_from_subject([("commonName", "A"), ("organizationName", "RCMP"),
                                   ("organizationalUnitName", "Field")])
    assert field.principal.role is Role.OPERATOR and field.may_report


@pytest.mark.parametrize(("subject", "field"), [
    ([("organizationName", "RCMP"), ("organizationalUnitName", "field")], "certificate CN"),
    ([("commonName", "A"), ("organizationalUnitName", "field")], "certificate O"),
    ([("commonName", "A"), ("organizationName", "RCMP"), ("organizationName", "USBP"),
      ("organizationalUnitName", "field")], "certificate O"),
    ([("commonName", "A"), ("organizationName", "RCMP")], "certificate OU"),
    ([("commonName", "A"), ("organizationName", "RCMP"),
      ("organizationalUnitName", "admin")], "certificate OU"),
])
def test_a_subject_without_a_clear_agency_or_role_is_refused(
        subject: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(InputError) as caught:
        identity_from_subject(subject)
    assert caught.value.field == field


def test_revoking_a_device_signs_a_crl_with_its_serial(tmp_path: Path) -> None:
    init_authority(tmp_path)
    first = issue_device(tmp_path, name="ATAK-01", agency="RCMP", role="field")
    issue_device(tmp_path, name="ATAK-02", agency="RCMP", role="field")
    revocations = Revocations.at(tmp_path)  # no CRL yet: nothing revoked
    serial = x509.load_pem_x509_certificate(first.cert.read_bytes()).serial_number
    assert not revocations.is_revoked(serial)
    made = revoke_device(tmp_path, name="ATAK-01", reason="lost")
    assert (made.serial, made.reason) == (serial, "key_compromise")
    assert revocations.is_revoked(serial)  # read again: the file changed
    again = revoke_device(tmp_path, name="ATAK-01")
    assert again == made  # the first revocation stands
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    assert [r.serial for r in read_crl(tmp_path, ca)] == [serial]
    crl = x509.load_pem_x509_crl((tmp_path / CRL).read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None


def test_revoke_names_the_field_and_refuses_a_crl_of_another_ca(tmp_path: Path) -> None:
    init_authority(tmp_path / "ours")
    issue_device(tmp_path / "ours", name="ATAK-01", agency="RCMP", role="field")
    with pytest.raises(InputError, match=r"--name.*no device 'ATAK-9'.*ATAK-01"):
        revoke_device(tmp_path / "ours", name="ATAK-9")
    with pytest.raises(InputError, match="--reason"):
        revoke_device(tmp_path / "ours", name="ATAK-01", reason="bored")
    init_authority(tmp_path / "theirs")
    issue_device(tmp_path / "theirs", name="X", agency="RCMP", role="field")
    revoke_device(tmp_path / "theirs", name="X")
    (tmp_path / "ours" / CRL).write_bytes((tmp_path / "theirs" / CRL).read_bytes())
    with pytest.raises(InputError, match="not signed by the CA"):
        Revocations.at(tmp_path / "ours")
