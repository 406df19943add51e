"""Options shared by the commands that run the service (`serve`, `worker`, `cluster up`):
where alerts are delivered. One definition, so each command's --help says the same."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from borderwatch.app.runtime.config import WEBHOOK_SECRET_ENV, Delivery, TakSettings

PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", help="Routing policy YAML (docs/alert-policy.md): which units "
                 "hear of which incidents, over which channels. Default: the bundled "
                 "Alberta-Montana policy.", dir_okay=False),
]
TakOption = Annotated[
    list[str] | None,
    typer.Option("--tak", help="TAK server for the policy's CoT channel: tcp://host:port or "
                 "tls://host:port (repeatable)."),
]
CapOption = Annotated[
    list[str] | None,
    typer.Option("--cap", help="Folder for the policy's CAP channel, one file per message "
                 "(repeatable)."),
]
WebhookOption = Annotated[
    list[str] | None,
    typer.Option("--webhook", help="URL for the policy's webhook channel (repeatable); "
                 "signed with the secret in --webhook-secret-env."),
]
SecretEnvOption = Annotated[
    str, typer.Option("--webhook-secret-env",
                      help="Environment variable holding the webhook secret."),
]
MqttAlertsOption = Annotated[
    list[str] | None,
    typer.Option("--alerts-mqtt", help="MQTT broker (mqtt://host:port) for the policy's mqtt "
                 "channel: incidents on borderwatch/incidents/<segment>, QoS 1, not retained "
                 "(repeatable)."),
]
TakCertOption = Annotated[
    Path | None, typer.Option("--tak-cert", help="Client certificate (PEM) for tls:// TAK.")]
TakKeyOption = Annotated[
    Path | None, typer.Option("--tak-key", help="Client key (PEM) for tls:// TAK.")]
TakCaOption = Annotated[
    Path | None, typer.Option("--tak-ca", help="CA of the TAK server (PEM).")]


def delivery_from(
    policy: Path | None,
    tak: list[str] | None,
    cap: list[str] | None,
    webhook: list[str] | None,
    secret_env: str = WEBHOOK_SECRET_ENV,
    tak_cert: Path | None = None,
    tak_key: Path | None = None,
    tak_ca: Path | None = None,
    mqtt: list[str] | None = None,
) -> Delivery:
    """The options as a checked :class:`Delivery` (``InputError`` names a bad option)."""
    delivery = Delivery(
        policy=policy,
        cot=tuple(tak or ()),
        cap=tuple(cap or ()),
        webhook=tuple(webhook or ()),
        webhook_secret_env=secret_env,
        mqtt=tuple(mqtt or ()),
        tak=TakSettings(client_cert=tak_cert, client_key=tak_key, ca_file=tak_ca),
    )
    delivery.check()
    return delivery
