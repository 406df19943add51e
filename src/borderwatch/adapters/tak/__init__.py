"""TAK as TAK Server and ATAK connect: certificates and data packages (certs.py), who a
client certificate names (identity.py), the TLS CoT stream (stream.py) and what clients
send on it (inbound.py)."""
