"""Who a TAK client certificate names: its device (CN), agency (O) and role (OU).

The subject is the one place a device's agency comes from (docs/devices.md, "ATAK
phones"): never the CoT it sends, so a phone cannot claim another agency's view.
``tak certs device`` writes ``CN=<device name>, O=<agency>, OU=<role>``, as TAK Server's
own ``makeCert.sh`` puts a unit in O/OU (TAK Server configuration guide, "Certificates").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from borderwatch.domain import InputError
from borderwatch.domain.access import Principal, Role

DEVICE_ROLES: Mapping[str, Role] = {
    "field": Role.OPERATOR,
    "viewer": Role.VIEWER,
    "partner": Role.PARTNER,
}
"""A device's role (the certificate's OU) and what it may do here: a ``field`` device
(a patrol's phone) reads the picture and reports sightings, as an operator key does; a
``viewer`` only reads; a ``partner`` device is another agency's and gets what the sharing
policy releases to that agency, whatever its O says."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """A connected device as its certificate names it."""

    device: str
    """The certificate's CN (``ATAK-01``): names the device in sensor ids and logs."""
    agency: str
    """The certificate's O, upper case as the sharing policy names agencies (``RCMP``)."""
    role: str
    """The certificate's OU: one of :data:`DEVICE_ROLES`."""

    @property
    def principal(self) -> Principal:
        """The device as the views and the sharing gate see a caller."""
        return Principal(f"tak:{self.device}", self.agency, DEVICE_ROLES[self.role])

    @property
    def may_report(self) -> bool:
        """Whether its sightings (GeoChat, markers) become detections: field devices only."""
        return DEVICE_ROLES[self.role] is Role.OPERATOR


def normal_agency(agency: str) -> str:
    """An agency as the sharing policy and API keys name it: upper case, no blanks.

    >>> normal_agency("rcmp")
    'RCMP'
    >>> normal_agency("usbp-hvm")
    'USBP-HVM'
    """
    text = agency.strip().upper()
    if not text or not all(c.isalnum() or c in "-_" for c in text):
        raise InputError("agency", f"letters, digits, '-' and '_' only, got {agency!r}")
    return text


def identity_from_subject(subject: Iterable[tuple[str, str]]) -> DeviceIdentity:
    """The identity in a certificate subject given as (attribute, value) pairs, with the
    attribute names Python's ``ssl`` uses (``commonName``, ``organizationName``,
    ``organizationalUnitName``). Raises ``InputError`` naming the missing or bad part:
    a certificate without an agency or with an unknown role is refused, not guessed.

    >>> identity_from_subject([("commonName", "ATAK-01"), ("organizationName", "rcmp"),
    ...                        ("organizationalUnitName", "field")])
    DeviceIdentity(device='ATAK-01', agency='RCMP', role='field')
    """
    parts: dict[str, list[str]] = {}
    for name, value in subject:
        parts.setdefault(name, []).append(value)

    def one(name: str, field: str) -> str:
        values = parts.get(name, [])
        if len(values) != 1 or not values[0].strip():
            raise InputError(f"certificate {field}", f"needs exactly one {name}, "
                             f"got {len(values)}")
        return values[0].strip()

    device = one("commonName", "CN")
    try:
        agency = normal_agency(one("organizationName", "O"))
    except InputError as err:
        raise InputError("certificate O", err.reason) from None
    role = one("organizationalUnitName", "OU").lower()
    if role not in DEVICE_ROLES:
        raise InputError("certificate OU", f"role must be one of {', '.join(DEVICE_ROLES)}, "
                         f"got {role!r}")
    return DeviceIdentity(device, agency, role)


def identity_from_peercert(peer: Mapping[str, Any]) -> DeviceIdentity:
    """The identity of ``ssl.SSLSocket.getpeercert()``'s dict (its subject is a tuple of
    relative distinguished names, each a tuple of (attribute, value) pairs)."""
    subject = peer.get("subject") or ()
    return identity_from_subject(pair for rdn in subject for pair in rdn)
