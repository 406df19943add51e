"""`borderwatch tak`: certificates for the TAK stream and ATAK data packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

tak_app = typer.Typer(help="TAK: the CA, server and device certificates of the TLS CoT "
                      "stream (`serve --tak-port`), and ATAK data packages "
                      "(docs/devices.md).", no_args_is_help=True)
certs_app = typer.Typer(help="Make the CA and certificates (`init` once, then `device` per "
                        "phone).", no_args_is_help=True)
tak_app.add_typer(certs_app, name="certs")

DirOption = Annotated[Path, typer.Option(
    "--dir", help="The certificate folder (the CA's key is in it: keep it off shared "
    "disks). `serve --tak-certs` reads the same folder.", file_okay=False)]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace files that exist (devices holding the old certificates must "
    "be re-issued).")]


@certs_app.command("init")
def init(
    folder: DirOption,
    host: Annotated[list[str] | None, typer.Option(
        "--host", help="A name or IP address clients connect to, put in the server "
        "certificate (repeatable; default 127.0.0.1 and localhost).")] = None,
    force: ForceOption = False,
) -> None:
    """Make a CA (ca.key, ca.pem) and the stream's server certificate (server.key,
    server.pem) signed by it. Keys are written 0600."""
    from borderwatch.adapters.tak.certs import DEFAULT_HOSTS, init_authority

    for path in init_authority(folder, hosts=tuple(host or DEFAULT_HOSTS), force=force):
        typer.echo(path)
    Console(stderr=True).print("Next: `borderwatch tak certs device --dir "
                               f"{folder} --name ATAK-01 --agency RCMP --role field`")


@certs_app.command("device")
def device(
    folder: DirOption,
    name: Annotated[str, typer.Option("--name", help="The device, e.g. ATAK-01 (the "
                                      "certificate's CN; names it in logs and sensor ids).")],
    agency: Annotated[str, typer.Option("--agency", help="Its agency as the sharing policy "
                                        "names it, e.g. RCMP, USBP (the certificate's O).")],
    role: Annotated[str, typer.Option("--role", help="field (reads the picture, reports "
                                      "positions and sightings), viewer (reads), or partner "
                                      "(another agency: what sharing.yaml releases) (the "
                                      "certificate's OU).")] = "field",
    host: Annotated[str, typer.Option("--host", help="Address the phone connects to "
                                      "(one of `init --host`).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The stream's port "
                                      "(`serve --tak-port`).")] = 8089,
    password: Annotated[str | None, typer.Option(
        "--password", help="Password of the device's .p12 (default: a random one, "
        "printed once). It is also in the package's .pref, as ATAK needs.")] = None,
    force: ForceOption = False,
) -> None:
    """A client certificate for one device (CN=name, O=agency, OU=role) and its ATAK
    data package (devices/NAME.zip: manifest, truststore.p12, NAME.p12, NAME.pref).
    Import the .zip in ATAK; the key, the .p12 and the .zip are written 0600."""
    from borderwatch.adapters.tak.certs import issue_device

    made = issue_device(folder, name=name, agency=agency, role=role, host=host, port=port,
                        password=password, force=force)
    for path in (made.key, made.cert, made.p12, made.package):
        typer.echo(path)
    if password is None:
        Console(stderr=True).print(f"Password of {made.p12.name}: {made.password} (shown "
                                   "once; it is also inside the package)")


@certs_app.command("revoke")
def revoke(
    folder: DirOption,
    name: Annotated[str, typer.Option("--name", help="The device whose certificate is "
                                      "revoked (as given to `device --name`).")],
    reason: Annotated[str, typer.Option("--reason", help="unspecified, lost (recorded as "
                                        "key compromise), key_compromise, superseded or "
                                        "cessation_of_operation (RFC 5280).")]
    = "unspecified",
) -> None:
    """Revoke a device's certificate: a lost or stolen phone, a team member who left.
    Its serial goes into crl.pem, signed by the CA; a running `serve --tak-certs` reads
    the file again at once, refuses the device's next connection and drops the one it
    has. Issue the device a new certificate with `device --name NEW-NAME`."""
    from borderwatch.adapters.tak.certs import revoke_device

    item = revoke_device(folder, name=name, reason=reason)
    typer.echo(f"{name}: certificate {item.serial:x} revoked at "
               f"{item.when.isoformat()} ({item.reason})")
